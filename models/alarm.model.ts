/**
 * Alarms: the clocks of the features that are not approval requests — training sessions, people
 * joining and leaving, incidents, the register's calendar (docs/domain.md §6.6). One record per
 * (subject, kind): "remind the audience of TR-2026-0003 three days before", "incident
 * INC-2026-0001: the 24-hour report is not recorded after 12 h".
 *
 * - **Set once**: `_id` is `${tenantKey}:${key}`, the key chosen by the feature from what the alarm
 *   is about (`training:TR-2026-0003:d3`), so setting it again (a redelivered command, a retried
 *   sweep) finds the same record. `set` never moves an alarm that exists; `reschedule` does, on
 *   purpose (a session moved), and re-arms it.
 * - **Claimed**: the sweep takes each due alarm by one conditional update (`pending`, due, not
 *   locked or its lock run out) that sets `lockedUntil`; exactly one of several instances wins it, a
 *   crashed instance's claim runs out, and alarms that came due while the bot was down are found by
 *   the first sweep after a restart.
 * - **Done, cancelled, or retried**: `done` after the feature handled it (its messages go through the
 *   fan-out under ids derived from the alarm, so handling it twice after a crash reaches nobody
 *   twice); `cancel` when the thing is done (the report was made, the carrier found); `retry` with
 *   a back-off when handling failed; after `MAX_ALARM_ATTEMPTS` the alarm is `failed` and kept.
 */
import { Schema, type Connection, type Model } from 'mongoose';
import { nonEmpty, validDate } from './chain.js';

export type AlarmState = 'pending' | 'done' | 'cancelled' | 'failed';

export interface Alarm {
  /** `${tenantKey}:${key}` */
  _id: string;
  key: string;
  tenantKey: string;
  /** The feature that handles it: 'training', 'staff', 'incident', 'register'. */
  topic: string;
  /** What it is about (a session id, an incident id, an open_id, a carrier number). */
  subject: string;
  /** Which clock of the subject ('d3', 'h12', 'missing.p50'). */
  kind: string;
  dueAt: Date;
  params?: Record<string, unknown>;
  state: AlarmState;
  attempts: number;
  createdAt: Date;
  doneAt?: Date;
  cancelledAt?: Date;
  /** When it was given up on (state 'failed'). */
  failedAt?: Date;
  lockedUntil?: Date;
  lastError?: string;
}

export interface AlarmInput {
  key: string;
  topic: string;
  subject: string;
  kind: string;
  dueAt: Date;
  params?: Record<string, unknown>;
}

/** Handling that failed this many times marks the alarm failed (kept, listed by /deadletters until retried there). */
export const MAX_ALARM_ATTEMPTS = 8;

const alarmSchema = new Schema(
  {
    _id: { type: String, required: true },
    key: { type: String, required: true },
    tenantKey: { type: String, required: true },
    topic: { type: String, required: true },
    subject: { type: String, required: true },
    kind: { type: String, required: true },
    dueAt: { type: Date, required: true },
    params: { type: Schema.Types.Mixed },
    state: { type: String, enum: ['pending', 'done', 'cancelled', 'failed'], required: true },
    attempts: { type: Number, required: true },
    createdAt: { type: Date, required: true },
    doneAt: { type: Date },
    cancelledAt: { type: Date },
    failedAt: { type: Date },
    lockedUntil: { type: Date },
    lastError: { type: String },
  },
  { versionKey: false, collection: 'alarms', minimize: false },
);
// claimDue (the sweep, across tenants): pending alarms due by now, earliest first.
alarmSchema.index({ state: 1, dueAt: 1 });
// cancel and list: one subject's alarms.
alarmSchema.index({ tenantKey: 1, topic: 1, subject: 1, state: 1 });
// failed(): a tenant's alarms given up on, newest first (/deadletters).
alarmSchema.index({ tenantKey: 1, state: 1, failedAt: -1 });

export class AlarmStore {
  private readonly model: Model<Alarm>;

  constructor(conn: Connection) {
    this.model = (conn.models.Alarm as Model<Alarm> | undefined) ?? conn.model<Alarm>('Alarm', alarmSchema);
  }

  async init(): Promise<void> {
    await this.model.createIndexes();
  }

  /** Sets an alarm unless one with this key exists (then nothing changes); true when created. */
  async set(tenantKey: string, a: AlarmInput, now: Date): Promise<boolean> {
    nonEmpty('tenantKey', tenantKey);
    for (const f of ['key', 'topic', 'subject', 'kind'] as const) nonEmpty(f, a[f]);
    validDate('dueAt', a.dueAt);
    const doc: Alarm = {
      _id: `${tenantKey}:${a.key}`,
      key: a.key,
      tenantKey,
      topic: a.topic,
      subject: a.subject,
      kind: a.kind,
      dueAt: a.dueAt,
      ...(a.params ? { params: a.params } : {}),
      state: 'pending',
      attempts: 0,
      createdAt: now,
    };
    const r = await this.model.updateOne({ _id: doc._id }, { $setOnInsert: doc }, { upsert: true });
    return r.upsertedCount === 1;
  }

  /** Sets several alarms (each once). */
  async setAll(tenantKey: string, alarms: readonly AlarmInput[], now: Date): Promise<number> {
    let n = 0;
    for (const a of alarms) if (await this.set(tenantKey, a, now)) n++;
    return n;
  }

  /** Moves an alarm to a new time and arms it again (a session or a deadline moved). */
  async reschedule(tenantKey: string, a: AlarmInput, now: Date): Promise<void> {
    validDate('dueAt', a.dueAt);
    const id = `${tenantKey}:${a.key}`;
    await this.set(tenantKey, a, now);
    await this.model.updateOne(
      { _id: id },
      { $set: { dueAt: a.dueAt, state: 'pending', attempts: 0, ...(a.params ? { params: a.params } : {}) }, $unset: { lockedUntil: 1, doneAt: 1, cancelledAt: 1, lastError: 1 } },
    );
  }

  /** Cancels a subject's pending alarms (all, or those of the given kinds); returns how many. */
  async cancel(tenantKey: string, topic: string, subject: string, now: Date, kinds?: readonly string[]): Promise<number> {
    const r = await this.model.updateMany(
      { tenantKey, topic, subject, state: 'pending', ...(kinds ? { kind: { $in: [...kinds] } } : {}) },
      { $set: { state: 'cancelled', cancelledAt: now }, $unset: { lockedUntil: 1 } },
    );
    return r.modifiedCount;
  }

  async get(tenantKey: string, key: string): Promise<Alarm | null> {
    return this.model.findById(`${tenantKey}:${key}`).lean<Alarm>();
  }

  /** A subject's alarms, earliest first. */
  async list(tenantKey: string, topic: string, subject: string): Promise<Alarm[]> {
    return this.model.find({ tenantKey, topic, subject }).sort({ dueAt: 1 }).lean<Alarm[]>();
  }

  /** Claims up to `limit` due alarms (each by one conditional update; one instance wins each). */
  async claimDue(now: Date, limit: number, lockMs: number): Promise<Alarm[]> {
    validDate('now', now);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new RangeError('limit must be an integer in 1…1000');
    if (!Number.isFinite(lockMs) || lockMs <= 0) throw new RangeError('lockMs must be positive');
    const lockedUntil = new Date(now.getTime() + lockMs);
    const free = { $or: [{ lockedUntil: { $exists: false } }, { lockedUntil: { $lte: now } }] };
    const candidates = await this.model
      .find({ state: 'pending', dueAt: { $lte: now }, ...free }, { _id: 1 })
      .sort({ dueAt: 1 })
      .limit(limit)
      .lean<{ _id: string }[]>();
    const out: Alarm[] = [];
    for (const c of candidates) {
      const won = await this.model
        .findOneAndUpdate({ _id: c._id, state: 'pending', dueAt: { $lte: now }, ...free }, { $set: { lockedUntil } }, { returnDocument: 'after' })
        .lean<Alarm>();
      if (won) out.push(won);
    }
    return out;
  }

  /** Marks a claimed alarm handled. */
  async done(id: string, now: Date): Promise<boolean> {
    const r = await this.model.updateOne({ _id: id, state: 'pending' }, { $set: { state: 'done', doneAt: now }, $unset: { lockedUntil: 1 } });
    return r.modifiedCount === 1;
  }

  /** Handling failed: due again after `retryAt`, or failed for good after MAX_ALARM_ATTEMPTS. */
  async retry(id: string, retryAt: Date, error: string, now: Date = new Date()): Promise<'retry' | 'failed'> {
    const doc = await this.model
      .findOneAndUpdate({ _id: id, state: 'pending' }, { $inc: { attempts: 1 }, $set: { lastError: error.slice(0, 500) } }, { returnDocument: 'after' })
      .lean<Alarm>();
    if (!doc) return 'failed';
    if (doc.attempts >= MAX_ALARM_ATTEMPTS) {
      await this.model.updateOne({ _id: id, state: 'pending' }, { $set: { state: 'failed', failedAt: now }, $unset: { lockedUntil: 1 } });
      return 'failed';
    }
    await this.model.updateOne({ _id: id, state: 'pending' }, { $set: { dueAt: retryAt }, $unset: { lockedUntil: 1 } });
    return 'retry';
  }

  /** Fails an alarm for good (nobody can handle it). */
  async fail(id: string, error: string, now: Date = new Date()): Promise<void> {
    await this.model.updateOne({ _id: id, state: 'pending' }, { $set: { state: 'failed', failedAt: now, lastError: error.slice(0, 500) }, $unset: { lockedUntil: 1 } });
  }

  /** A tenant's alarms given up on, newest first (`/deadletters`). */
  async failed(tenantKey: string, limit = 50): Promise<Alarm[]> {
    nonEmpty('tenantKey', tenantKey);
    return this.model.find({ tenantKey, state: 'failed' }).sort({ failedAt: -1 }).limit(limit).lean<Alarm[]>();
  }

  /** Failed alarms in all tenants (the `baomi_dead_letters` gauge). */
  async countFailed(): Promise<number> {
    return this.model.countDocuments({ state: 'failed' });
  }

  /** Drops a failed alarm for good (`/deadletters drop`): cancelled, its last error kept. */
  async drop(tenantKey: string, id: string, now: Date): Promise<boolean> {
    nonEmpty('tenantKey', tenantKey);
    const r = await this.model.updateOne({ _id: id, tenantKey, state: 'failed' }, { $set: { state: 'cancelled', cancelledAt: now } });
    return r.modifiedCount === 1;
  }

  /**
   * Arms failed alarms again, due `now`, with a fresh count of attempts: all of the tenant's, or
   * the one with this id. Returns how many.
   */
  async revive(tenantKey: string, now: Date, id?: string): Promise<number> {
    nonEmpty('tenantKey', tenantKey);
    const r = await this.model.updateMany(
      { tenantKey, state: 'failed', ...(id ? { _id: id } : {}) },
      { $set: { state: 'pending', dueAt: now, attempts: 0 }, $unset: { failedAt: 1, lockedUntil: 1 } },
    );
    return r.modifiedCount;
  }

  /** A topic's pending alarms, earliest first (overviews, tests). */
  async pending(tenantKey: string, topic: string): Promise<Alarm[]> {
    return this.model.find({ tenantKey, topic, state: 'pending' }).sort({ dueAt: 1 }).lean<Alarm[]>();
  }
}
