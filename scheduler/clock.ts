/**
 * The scheduler's notion of "now". Production reads the system clock; tests move a fake clock
 * forward (the coordinator, the catch-up at start-up and the reminder sweep all take their time
 * from here, so a test can cross a slot or a deadline without waiting for it).
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that only moves when told to. */
export class FakeClock implements Clock {
  private ms: number;
  constructor(start: Date | string | number) {
    this.ms = new Date(start).getTime();
    if (!Number.isFinite(this.ms)) throw new RangeError('FakeClock: invalid start time');
  }
  now(): Date {
    return new Date(this.ms);
  }
  set(to: Date | string | number): void {
    const ms = new Date(to).getTime();
    if (!Number.isFinite(ms)) throw new RangeError('FakeClock: invalid time');
    this.ms = ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}
