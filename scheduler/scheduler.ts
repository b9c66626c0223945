/**
 * The scheduler (docs/design.md §2): cadence tasks fired by node-cron in the unit's time zone, coordinated
 * across instances through MongoDB, and interval tasks (the sweeps) that each instance runs on its
 * own because the work they pick is claimed item by item.
 *
 * - **Cadence tasks** (`cadence`): a cron expression, a `name`, the unit's timezone (BAOMI_TIMEZONE)
 *   and `noOverlap`. Live, node-cron fires them (`distributed` with our run coordinator, so the
 *   coordination key is node-cron's own `<name>:<slot ISO>`); the coordinator
 *   (models/schedule.model.ts) lets exactly one instance run each slot, and records the outcome.
 * - **Catch-up**: at start-up each cadence's latest slot at or before now runs once when no
 *   instance ran it (it was missed while the bot was down); older missed slots are not replayed.
 * - **A clock** (`Clock`): `tick()` does what the live timers do, at the clock's time, so tests
 *   move a fake clock across slots and deadlines instead of waiting (node-cron arms real timers
 *   from `new Date()`, see slots.ts).
 * - **Interval tasks** (`interval`): run at start, then every `everyMs`, one run at a time per
 *   instance; the outcome of the last run is kept in memory for `/schedule`.
 */
import { randomBytes } from 'node:crypto';
import { createTask, type ScheduledTask } from 'node-cron';
import type { Logger } from '../bot/core/logger.js';
import type { ScheduleRun, ScheduleRunStore } from '../models/schedule.model.js';
import { systemClock, type Clock } from './clock.js';
import { CronSlots } from './slots.js';

export interface RunContext {
  /** The slot this run is for (cadence), or the time it started (interval). */
  slot: Date;
  reason: ScheduleRun['reason'] | 'interval';
}

/** What a run reports (a short summary shown by /schedule), or nothing. */
export type TaskFn = (ctx: RunContext) => Promise<string | undefined>;

export interface CadenceSpec {
  name: string;
  /** Six- or five-field cron expression, in the scheduler's time zone. */
  cron: string;
  run: TaskFn;
  /** Run the latest slot missed during downtime at start-up (default true). */
  catchUp?: boolean;
  /**
   * Catch up only on a slot at most this old (default: any age). A quarterly reminder that was due
   * two months before the bot was first started, or came back, is news to nobody: it is skipped and
   * the next slot runs as scheduled.
   */
  catchUpWithinMs?: number;
  /** How long a claim holds without renewal (default 2 min; renewed while running). */
  leaseMs?: number;
}

export interface IntervalSpec {
  name: string;
  everyMs: number;
  run: TaskFn;
}

export interface SchedulerOptions {
  runs: ScheduleRunStore;
  timezone: string;
  logger: Logger;
  clock?: Clock;
  /** This instance's name on claims (default pid + random). */
  owner?: string;
}

export interface TaskStatus {
  name: string;
  kind: 'cron' | 'interval';
  /** The cron expression, or the period in ms. */
  every: string;
  next: Date[];
  last?: { at: Date; state: 'running' | 'done' | 'failed'; reason: string; error?: string; result?: string; finishedAt?: Date; owner?: string };
}

interface Cadence extends CadenceSpec {
  slots: CronSlots;
  live?: ScheduledTask;
}

interface Interval extends IntervalSpec {
  timer?: NodeJS.Timeout;
  last?: TaskStatus['last'];
  nextAt?: Date;
}

const NAME = /^[a-z][a-z0-9._-]{0,63}$/;

export class Scheduler {
  readonly owner: string;
  private readonly clock: Clock;
  private readonly cadences = new Map<string, Cadence>();
  private readonly intervals = new Map<string, Interval>();
  /** Names running in this process (noOverlap, also for catch-up and tick). */
  private readonly busy = new Set<string>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private started = false;
  /** When start() ran: tick() runs slots after it (slots before it are the catch-up's). */
  private startedAt = new Date(0);
  private stopped = false;

  constructor(private readonly o: SchedulerOptions) {
    this.clock = o.clock ?? systemClock;
    this.owner = o.owner ?? `${process.pid}-${randomBytes(4).toString('hex')}`;
  }

  cadence(spec: CadenceSpec): this {
    this.checkName(spec.name);
    this.cadences.set(spec.name, { ...spec, slots: new CronSlots(spec.cron, this.o.timezone) });
    return this;
  }

  interval(spec: IntervalSpec): this {
    this.checkName(spec.name);
    if (!Number.isInteger(spec.everyMs) || spec.everyMs < 10) throw new RangeError(`${spec.name}: everyMs must be an integer ≥ 10`);
    this.intervals.set(spec.name, { ...spec });
    return this;
  }

  private checkName(name: string): void {
    if (!NAME.test(name)) throw new TypeError(`task name must match ${NAME}: ${JSON.stringify(name)}`);
    if (this.cadences.has(name) || this.intervals.has(name)) throw new Error(`task ${name} is defined twice`);
  }

  /**
   * Arms the intervals (each runs once now), catches up on missed slots, then arms node-cron for
   * the cadences. `live: false` (tests on a fake clock) only catches up; `tick()` does the rest.
   */
  async start(opts: { live?: boolean } = {}): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.startedAt = this.clock.now();
    if (opts.live !== false) for (const i of this.intervals.values()) this.armInterval(i, 0);
    await this.catchUp();
    if (opts.live === false || this.stopped) return;
    for (const c of this.cadences.values()) {
      c.live = createTask(c.cron, (ctx) => this.track(this.runClaimed(c, ctx.date, 'scheduled')), {
        name: c.name,
        timezone: this.o.timezone,
        noOverlap: true,
        distributed: true,
        runCoordinator: {
          shouldRun: (key: string, ttlMs: number) => this.claim(c, slotOfKey(c.name, key), Math.max(ttlMs, c.leaseMs ?? 120_000), 'scheduled'),
        },
        // A busy event loop may fire a little late; past this the slot counts as missed.
        missedExecutionTolerance: 30_000,
        unref: true,
      });
      // A slot node-cron saw too late is run here instead, still through the coordinator.
      c.live.on('execution:missed', (ctx) => void this.runSlot(c, ctx.date, 'catch-up'));
      void c.live.start();
    }
  }

  /** Stops firing and waits for runs in progress (at most `timeoutMs`). */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.stopped = true;
    for (const c of this.cadences.values()) if (c.live) await c.live.destroy();
    for (const i of this.intervals.values()) clearTimeout(i.timer);
    await Promise.race([Promise.allSettled([...this.inFlight]), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }

  /**
   * Does now (the clock's now) what the live timers would have done by now: every cadence's
   * latest slot that nobody ran, and every interval task once. Tests call it after moving a fake
   * clock. Returns the names that ran here.
   */
  async tick(): Promise<string[]> {
    const ran: string[] = [];
    for (const c of this.cadences.values()) if (await this.runLatest(c, 'scheduled', this.startedAt)) ran.push(c.name);
    for (const i of this.intervals.values()) if (await this.runInterval(i)) ran.push(i.name);
    return ran;
  }

  /** Runs one task now, out of its cadence (a cadence task runs its current slot, coordinated). */
  async runNow(name: string): Promise<boolean> {
    const c = this.cadences.get(name);
    if (c) return this.runLatest(c, 'scheduled');
    const i = this.intervals.get(name);
    if (i) return this.runInterval(i);
    throw new Error(`no task named ${name}`);
  }

  /** Every task with its next runs and its last run's outcome (cadences: across instances). */
  async status(count = 3): Promise<TaskStatus[]> {
    const now = this.clock.now();
    const out: TaskStatus[] = [];
    for (const c of this.cadences.values()) {
      const last = await this.o.runs.last(c.name);
      out.push({
        name: c.name,
        kind: 'cron',
        every: c.cron,
        next: c.slots.nextN(now, count),
        ...(last
          ? {
              last: {
                at: last.slot,
                state: last.state,
                reason: last.reason,
                owner: last.owner,
                ...(last.error ? { error: last.error } : {}),
                ...(last.result ? { result: last.result } : {}),
                ...(last.finishedAt ? { finishedAt: last.finishedAt } : {}),
              },
            }
          : {}),
      });
    }
    for (const i of this.intervals.values()) {
      const next: Date[] = [];
      const first = i.nextAt ?? now;
      for (let k = 0; k < count; k++) next.push(new Date(first.getTime() + k * i.everyMs));
      out.push({ name: i.name, kind: 'interval', every: `${i.everyMs} ms`, next, ...(i.last ? { last: i.last } : {}) });
    }
    return out;
  }

  private async catchUp(): Promise<void> {
    for (const c of this.cadences.values()) {
      if (c.catchUp === false) continue;
      await this.runLatest(c, 'catch-up');
    }
  }

  /** The latest slot at or before now (and after `after`), unless some instance already ran (or runs) it. */
  private async runLatest(c: Cadence, reason: ScheduleRun['reason'], after?: Date): Promise<boolean> {
    const now = this.clock.now();
    const slot = c.slots.latest(now);
    if (!slot || (after && slot.getTime() <= after.getTime())) return false;
    if (reason === 'catch-up' && c.catchUpWithinMs !== undefined && now.getTime() - slot.getTime() > c.catchUpWithinMs) {
      this.o.logger.info('scheduler: missed slot too old to catch up on; skipped', { task: c.name, slot: slot.toISOString() });
      return false;
    }
    return this.runSlot(c, slot, reason);
  }

  private async runSlot(c: Cadence, slot: Date, reason: ScheduleRun['reason']): Promise<boolean> {
    if (this.stopped || this.busy.has(c.name)) return false;
    let won: boolean;
    try {
      won = await this.claim(c, slot, c.leaseMs ?? 120_000, reason);
    } catch (err) {
      this.o.logger.error('scheduler: the run coordinator failed; slot skipped', { task: c.name, slot: slot.toISOString(), err: (err as Error).message });
      return false;
    }
    if (!won) return false;
    await this.track(this.runClaimed(c, slot, reason));
    return true;
  }

  private async claim(c: Cadence, slot: Date, leaseMs: number, reason: ScheduleRun['reason']): Promise<boolean> {
    if (this.stopped || this.busy.has(c.name)) return false;
    return this.o.runs.claim(c.name, slot, this.owner, leaseMs, this.clock.now(), reason);
  }

  /** Runs a claimed slot: renews the claim while running and records the outcome. */
  private async runClaimed(c: Cadence, slot: Date, reason: ScheduleRun['reason']): Promise<void> {
    const leaseMs = c.leaseMs ?? 120_000;
    this.busy.add(c.name);
    const renew = setInterval(() => void this.o.runs.renew(c.name, slot, this.owner, leaseMs, this.clock.now()).catch(() => undefined), Math.max(1_000, Math.floor(leaseMs / 3)));
    renew.unref();
    try {
      const result = await c.run({ slot, reason });
      await this.o.runs.finish(c.name, slot, this.owner, this.clock.now(), typeof result === 'string' ? { result } : {});
    } catch (err) {
      this.o.logger.error('scheduled task failed', { task: c.name, slot: slot.toISOString(), err: (err as Error).message });
      await this.o.runs.finish(c.name, slot, this.owner, this.clock.now(), { error: (err as Error).message ?? String(err) }).catch(() => undefined);
    } finally {
      clearInterval(renew);
      this.busy.delete(c.name);
    }
  }

  private armInterval(i: Interval, delayMs: number): void {
    if (this.stopped) return;
    i.nextAt = new Date(this.clock.now().getTime() + delayMs);
    i.timer = setTimeout(() => {
      void this.runInterval(i).finally(() => this.armInterval(i, i.everyMs));
    }, delayMs);
    i.timer.unref();
  }

  private async runInterval(i: Interval): Promise<boolean> {
    if (this.stopped || this.busy.has(i.name)) return false;
    this.busy.add(i.name);
    const at = this.clock.now();
    i.last = { at, state: 'running', reason: 'interval' };
    const run = (async () => {
      try {
        const result = await i.run({ slot: at, reason: 'interval' });
        i.last = { at, state: 'done', reason: 'interval', finishedAt: this.clock.now(), ...(typeof result === 'string' ? { result } : {}) };
      } catch (err) {
        this.o.logger.error('interval task failed', { task: i.name, err: (err as Error).message });
        i.last = { at, state: 'failed', reason: 'interval', finishedAt: this.clock.now(), error: (err as Error).message ?? String(err) };
      } finally {
        this.busy.delete(i.name);
      }
    })();
    await this.track(run);
    return true;
  }

  private async track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    try {
      return await p;
    } finally {
      this.inFlight.delete(p);
    }
  }
}

/** node-cron's coordination key is `<name>:<slot ISO>`. */
function slotOfKey(name: string, key: string): Date {
  const iso = key.startsWith(`${name}:`) ? key.slice(name.length + 1) : '';
  const d = new Date(iso);
  if (!Number.isFinite(d.getTime())) throw new Error(`unexpected coordination key ${key}`);
  return d;
}
