/**
 * The scheduler's run coordinator (docs/design.md §2 "distributed coordinator in MongoDB"): one record per
 * fire of a cadence task, `_id` `<name>:<slot ISO>`, so that several instances sharing one
 * database run each slot exactly once.
 *
 * - **Claim**: inserting the record wins the slot (the unique `_id` decides between instances);
 *   everyone else gets a duplicate-key error and skips it.
 * - **A dead runner's slot is taken over**: a `running` record whose lease has run out (its
 *   process died mid-run; a live runner renews the lease) is claimed again by one conditional
 *   update, once. Tasks are idempotent per item (reminders, outbox effects), so a rerun finishes
 *   the work instead of doubling it.
 * - **Outcome**: `done` or `failed` with the error and the duration, for `/schedule`.
 * Records are kept 90 days (TTL on `claimedAt`).
 */
import { Schema, type Connection, type Model } from 'mongoose';

export type RunState = 'running' | 'done' | 'failed';

export interface ScheduleRun {
  /** `<name>:<slot ISO>` */
  _id: string;
  name: string;
  slot: Date;
  state: RunState;
  owner: string;
  /** Why it ran: at its time, or at start-up for a slot missed while no instance was up. */
  reason: 'scheduled' | 'catch-up' | 'takeover';
  claimedAt: Date;
  leaseUntil: Date;
  attempt: number;
  finishedAt?: Date;
  error?: string;
  result?: string;
}

const runSchema = new Schema(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
    slot: { type: Date, required: true },
    state: { type: String, enum: ['running', 'done', 'failed'], required: true },
    owner: { type: String, required: true },
    reason: { type: String, required: true },
    claimedAt: { type: Date, required: true },
    leaseUntil: { type: Date, required: true },
    attempt: { type: Number, required: true },
    finishedAt: { type: Date },
    error: { type: String },
    result: { type: String },
  },
  { versionKey: false, collection: 'schedule_runs' },
);
// lastRun (/schedule): a task's newest slot.
runSchema.index({ name: 1, slot: -1 });
// Kept for 90 days: enough to see what ran and what failed.
runSchema.index({ claimedAt: 1 }, { expireAfterSeconds: 90 * 86_400 });

export const runKey = (name: string, slot: Date) => `${name}:${slot.toISOString()}`;

export class ScheduleRunStore {
  private readonly model: Model<ScheduleRun>;

  constructor(conn: Connection) {
    this.model = (conn.models.ScheduleRun as Model<ScheduleRun> | undefined) ?? conn.model<ScheduleRun>('ScheduleRun', runSchema);
  }

  async init(): Promise<void> {
    await this.model.createIndexes();
  }

  /**
   * Claims `<name>:<slot>` for `owner` until `now + leaseMs`: true for exactly one caller per
   * slot (or, once its lease ran out while still `running`, for exactly one taker-over).
   */
  async claim(name: string, slot: Date, owner: string, leaseMs: number, now: Date, reason: ScheduleRun['reason']): Promise<boolean> {
    const _id = runKey(name, slot);
    const leaseUntil = new Date(now.getTime() + leaseMs);
    try {
      await this.model.collection.insertOne({ _id, name, slot, state: 'running', owner, reason, claimedAt: now, leaseUntil, attempt: 1 } as never);
      return true;
    } catch (err) {
      if ((err as { code?: number }).code !== 11000) throw err;
    }
    const taken = await this.model.collection.updateOne(
      { _id, state: 'running', leaseUntil: { $lt: now } } as never,
      { $set: { owner, leaseUntil, reason: 'takeover' }, $inc: { attempt: 1 } } as never,
    );
    return taken.modifiedCount === 1;
  }

  /** Extends a running claim; false when it is no longer ours. */
  async renew(name: string, slot: Date, owner: string, leaseMs: number, now: Date): Promise<boolean> {
    const r = await this.model.collection.updateOne({ _id: runKey(name, slot), owner, state: 'running' } as never, {
      $set: { leaseUntil: new Date(now.getTime() + leaseMs) },
    });
    return r.modifiedCount === 1;
  }

  /** Records how the run ended (only by its owner). */
  async finish(name: string, slot: Date, owner: string, now: Date, outcome: { error?: string; result?: string }): Promise<void> {
    await this.model.collection.updateOne({ _id: runKey(name, slot), owner } as never, {
      $set: {
        state: outcome.error ? 'failed' : 'done',
        finishedAt: now,
        ...(outcome.error ? { error: outcome.error.slice(0, 500) } : {}),
        ...(outcome.result ? { result: outcome.result.slice(0, 200) } : {}),
      },
    });
  }

  async get(name: string, slot: Date): Promise<ScheduleRun | null> {
    return this.model.findOne({ _id: runKey(name, slot) }).lean<ScheduleRun>();
  }

  /** A task's newest recorded slot. */
  async last(name: string): Promise<ScheduleRun | null> {
    return this.model.findOne({ name }).sort({ slot: -1 }).lean<ScheduleRun>();
  }

  /** Every record of a task, oldest slot first (tests, diagnostics). */
  async list(name: string, limit = 100): Promise<ScheduleRun[]> {
    return this.model.find({ name }).sort({ slot: 1 }).limit(limit).lean<ScheduleRun[]>();
  }
}
