/**
 * Slots of a cron expression, computed by node-cron's own matcher (the one its live tasks fire
 * by), from any instant: the coordinator's keys and the catch-up after downtime use the very
 * instants node-cron hands to a running task (`context.date`), so a slot run live and the same
 * slot found missed at start-up share one `<name>:<slot>` record.
 *
 * node-cron 4.6 computes a task's next run from `new Date()` (`getNextRun`, `getNextRuns`) and
 * arms a `setTimeout` towards it, so it cannot be driven by an injected clock; its matcher
 * (`TimeMatcher.getNextMatch(date)`, held by every task it creates) can, and is what we use here.
 * A task created for this is never started and is destroyed at once (it leaves node-cron's
 * registry).
 */
import { createTask, validate } from 'node-cron';

interface Matcher {
  getNextMatch(date: Date): Date;
}

/** How far back the search for the latest slot looks, shortest window first. */
const WINDOWS_MS = [60_000, 3_600_000, 86_400_000, 32 * 86_400_000, 367 * 86_400_000, 5 * 367 * 86_400_000];

export class CronSlots {
  private readonly matcher: Matcher;

  constructor(
    readonly expression: string,
    readonly timezone: string,
  ) {
    if (!validate(expression)) throw new TypeError(`invalid cron expression: ${JSON.stringify(expression)}`);
    const probe = createTask(expression, () => undefined, { timezone });
    const matcher = (probe as unknown as { timeMatcher?: Matcher }).timeMatcher;
    void probe.destroy();
    if (!matcher || typeof matcher.getNextMatch !== 'function') {
      throw new Error('node-cron no longer exposes its matcher on a task (checked against 4.6); update scheduler/slots.ts');
    }
    this.matcher = matcher;
  }

  /** The first slot strictly after `from`. */
  next(from: Date): Date {
    return this.matcher.getNextMatch(from);
  }

  /** The next `count` slots after `from`. */
  nextN(from: Date, count: number): Date[] {
    const out: Date[] = [];
    let at = from;
    for (let i = 0; i < count; i++) {
      at = this.next(at);
      out.push(at);
    }
    return out;
  }

  /** The latest slot at or before `now` (within about five years), or null. */
  latest(now: Date): Date | null {
    const nowMs = now.getTime();
    for (const w of WINDOWS_MS) {
      let slot = this.next(new Date(nowMs - w - 1));
      if (slot.getTime() > nowMs) continue;
      // The window holds at least one slot; walk to the last one not after now.
      for (let i = 0; i < 100_000; i++) {
        const after = this.next(slot);
        if (after.getTime() > nowMs) return slot;
        slot = after;
      }
      return slot;
    }
    return null;
  }
}
