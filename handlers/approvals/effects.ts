/**
 * The effect runner: carries out a request's outbox (docs/design.md §8 "Effects are independent and never
 * lost").
 *
 * - Storage effects (ledger, audit, carrier, reminders, incidents) run first, in order; messages to
 *   people (notifications, card refreshes) after them, side by side. Each effect succeeds or fails
 *   on its own: a message Lark refuses never holds back a ledger entry, the carrier's status or
 *   another person's message.
 * - A failed effect records its attempt and waits out a back-off (5 s, 20 s, 80 s … at most 1 h);
 *   after `maxAttempts`, or at once when Lark refused it for good (`permanent`, e.g. 230013 the user
 *   is outside the app's availability), it becomes a dead letter: counted in /metrics, listed by
 *   `/deadletters`, retried on demand, never dropped.
 * - One runner per request at a time (a lease in the store), across instances; the sweep picks
 *   requests by due time, so one that keeps failing waits its turn and never starves the others.
 *
 * Every effect is idempotent by its key (the executor's job), so running one twice — after a crash,
 * or when a lease expired under a slow runner — never doubles a ledger entry or a message.
 */
import type { Logger } from '../../bot/core/logger.js';
import type { Metrics } from '../../bot/core/metrics.js';
import type { OutboxRepo, PendingEffect, StoredRequest } from './ports.js';

const MESSAGE_EFFECTS = new Set<PendingEffect['type']>(['notify', 'card.refresh']);
/** Notifications and card refreshes; everything else writes to the store. */
export const isMessageEffect = (e: PendingEffect): boolean => MESSAGE_EFFECTS.has(e.type);

export interface RunnerOptions {
  outbox: OutboxRepo;
  /** Carries out one effect; throws when it failed (an error with `permanent: true` is not retried). */
  execute(stored: StoredRequest, effect: PendingEffect): Promise<void>;
  logger: Logger;
  metrics?: Pick<Metrics, 'effectsRetried' | 'effectsDeadLettered' | 'deadLetters'>;
  /**
   * Everything the `baomi_dead_letters` gauge counts, in all tenants: by default this outbox's dead
   * letters; the bot adds the notices and alarms given up on (`/deadletters` lists all three).
   */
  countDead?: () => Promise<number>;
  now?: () => Date;
  /** How long a runner holds a request's outbox (renewed between passes). Default 15 s. */
  leaseMs?: number;
  /** Attempts before an effect becomes a dead letter. Default 8 (about 7 hours of back-off). */
  maxAttempts?: number;
  /** Wait before attempt n + 1 after n failures, in ms. Default 5 s × 4^(n−1), at most 1 h, ±20 %. */
  backoffMs?: (attempts: number) => number;
  /** Background runs at once (the live path), so a burst of decisions is answered first. Default 4. */
  concurrency?: number;
  /** Fault injection for tests: throwing here aborts the run like a crash before the effect. */
  beforeEffect?: (effect: PendingEffect, index: number) => void;
  /** Fault injection: throwing here aborts the run after the effect ran, before it was marked done. */
  afterEffect?: (effect: PendingEffect, index: number) => void;
}

export function defaultBackoffMs(attempts: number): number {
  const base = Math.min(5_000 * 4 ** Math.max(0, attempts - 1), 3_600_000);
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

class Semaphore {
  private waiting: (() => void)[] = [];
  constructor(private free: number) {}
  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free -= 1;
      return;
    }
    await new Promise<void>((r) => this.waiting.push(r));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free += 1;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Requests the sweep runs side by side. */
const SWEEP_WORKERS = 3;

export class EffectRunner {
  /** This runner's name on leases; each run adds its own number (two runs of one process exclude each other too). */
  readonly owner = `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  private runs = 0;
  private readonly now: () => Date;
  private readonly leaseMs: number;
  private readonly maxAttempts: number;
  private readonly backoff: (attempts: number) => number;
  private readonly slots: Semaphore;

  constructor(private readonly o: RunnerOptions) {
    this.now = o.now ?? (() => new Date());
    this.leaseMs = o.leaseMs ?? 15_000;
    this.maxAttempts = o.maxAttempts ?? 8;
    this.backoff = o.backoffMs ?? defaultBackoffMs;
    this.slots = new Semaphore(o.concurrency ?? 4);
  }

  /**
   * Runs what is due in one request's outbox. 'busy' when another runner holds it (that runner
   * reloads the outbox between passes, so it usually takes our effects along).
   */
  async run(tenantKey: string, id: string): Promise<'done' | 'busy'> {
    const { outbox } = this.o;
    const holder = `${this.owner}:${++this.runs}`;
    let stored = await outbox.lease(tenantKey, id, holder, this.leaseMs);
    if (!stored) return 'busy';
    // A pass can outlast the lease when Lark is slow (a role notification to many holders): renew it
    // while the run goes on, so no second runner starts on this outbox meanwhile.
    const renew = setInterval(
      () => {
        void outbox.lease(tenantKey, id, holder, this.leaseMs).catch(() => undefined);
      },
      Math.max(50, Math.floor(this.leaseMs / 3)),
    );
    renew.unref();
    try {
      for (let pass = 0; pass < 5 && stored; pass++) {
        const now = this.now().getTime();
        const due = stored.pending.filter((e) => !e.nextAt || new Date(e.nextAt).getTime() <= now);
        if (due.length === 0) break;
        const position = new Map(stored.pending.map((e, i) => [e.key, i]));
        const current: StoredRequest = stored;
        // Each phase's finished effects leave the outbox in one write (they are idempotent, so a
        // crash before that write only means they run again).
        const storageDone: string[] = [];
        for (const e of due.filter((x) => !isMessageEffect(x))) if (await this.one(current, e, position.get(e.key)!)) storageDone.push(e.key);
        await outbox.complete(tenantKey, id, storageDone);
        const messagesDone = await Promise.all(due.filter(isMessageEffect).map(async (e) => ((await this.one(current, e, position.get(e.key)!)) ? e.key : undefined)));
        await outbox.complete(
          tenantKey,
          id,
          messagesDone.filter((k): k is string => k !== undefined),
        );
        // Renew the lease and pick up effects committed meanwhile.
        stored = await outbox.lease(tenantKey, id, holder, this.leaseMs);
      }
    } finally {
      clearInterval(renew);
      await outbox.release(tenantKey, id, holder).catch((err: unknown) => {
        this.o.logger.warn('could not release the outbox lease; it will expire', { id, err: (err as Error).message });
      });
    }
    return 'done';
  }

  /**
   * The live path after a commit: runs the request's effects in one of a few background slots
   * and waits out another runner's lease. Never throws: what fails stays in the outbox for the
   * sweep.
   */
  async runInBackground(tenantKey: string, id: string): Promise<void> {
    const deadline = Date.now() + this.leaseMs + 1_000;
    for (;;) {
      await this.slots.acquire();
      let outcome: 'done' | 'busy' | 'failed';
      try {
        outcome = await this.run(tenantKey, id);
      } catch (err) {
        this.o.logger.error('effects failed after commit; the sweep will finish them', { id, err: (err as Error).message });
        outcome = 'failed';
      } finally {
        this.slots.release();
      }
      // Another runner holds this outbox: wait without holding a slot (others' effects go on); what
      // is still due after its run, ours or the sweep's next run takes.
      if (outcome !== 'busy' || Date.now() >= deadline) return;
      await sleep(200);
    }
  }

  /**
   * The sweep: every request with an effect due (after a crash, a restart, a back-off), earliest
   * first, batch after batch until none is due or `budgetMs` is spent. Returns how many requests
   * it ran. Also refreshes the dead-letter gauge.
   */
  async sweep(opts: { batch?: number; budgetMs?: number } = {}): Promise<number> {
    const batch = opts.batch ?? 100;
    const until = Date.now() + (opts.budgetMs ?? 20_000);
    const seen = new Set<string>();
    let ran = 0;
    while (Date.now() < until) {
      const due = (await this.o.outbox.due(batch, this.now())).filter((s) => !seen.has(`${s.tenantKey}:${s.request.id}`));
      if (due.length === 0) break;
      for (const s of due) seen.add(`${s.tenantKey}:${s.request.id}`);
      // A few requests side by side, so one whose messages hang does not hold back the rest.
      let next = 0;
      const worker = async () => {
        while (next < due.length && Date.now() < until) {
          const s = due[next++]!;
          try {
            if ((await this.run(s.tenantKey, s.request.id)) === 'done') ran += 1;
          } catch (err) {
            this.o.logger.error('effects sweep failed for a request', { id: s.request.id, err: (err as Error).message });
          }
        }
      };
      await Promise.all(Array.from({ length: SWEEP_WORKERS }, worker));
    }
    if (this.o.metrics) this.o.metrics.deadLetters.set(await (this.o.countDead ?? (() => this.o.outbox.countDead()))());
    return ran;
  }

  /** Runs one effect; true when it succeeded (the caller marks it done), false when it failed and was recorded. */
  private async one(stored: StoredRequest, e: PendingEffect, index: number): Promise<boolean> {
    this.o.beforeEffect?.(e, index);
    let failure: unknown;
    try {
      await this.o.execute(stored, e);
    } catch (err) {
      failure = err ?? new Error('effect failed');
    }
    if (failure === undefined) {
      this.o.afterEffect?.(e, index);
      return true;
    }
    await this.failed(stored, e, failure);
    return false;
  }

  private async failed(stored: StoredRequest, e: PendingEffect, err: unknown): Promise<void> {
    const attempts = (e.attempts ?? 0) + 1;
    const permanent = (err as { permanent?: unknown }).permanent === true;
    const lastError = String((err as Error).message ?? err).slice(0, 500);
    const now = this.now();
    const { tenantKey } = stored;
    const id = stored.request.id;
    if (permanent || attempts >= this.maxAttempts) {
      const { nextAt: _next, ...rest } = e;
      // Counted once: a second runner that got here too (an expired lease) finds it moved already.
      if (await this.o.outbox.deadLetter(tenantKey, id, { ...rest, attempts, lastError, diedAt: now })) this.o.metrics?.effectsDeadLettered.inc({ type: e.type });
      this.o.logger.error('effect dead-lettered', { id, key: e.key, type: e.type, attempts, permanent, err: lastError });
      return;
    }
    const nextAt = new Date(now.getTime() + this.backoff(attempts));
    await this.o.outbox.retryLater(tenantKey, id, { ...e, attempts, lastError, nextAt });
    this.o.metrics?.effectsRetried.inc({ type: e.type });
    this.o.logger.warn('effect failed; will try again', { id, key: e.key, type: e.type, attempts, nextAt: nextAt.toISOString(), err: lastError });
  }
}
