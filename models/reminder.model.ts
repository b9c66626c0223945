/**
 * Reminder records for the scheduler (docs/domain.md §6.6): written from the workflow's
 * `reminder.create` / `reminder.cancel` effects, sent later by the reminder sweep.
 *
 * - Created exactly once per effect: the `_id` is `${tenantKey}:${effect key}` (effect keys name
 *   the request but not the tenant, and request ids are per-tenant sequences, so two tenants'
 *   'CP-2026-0001' produce the same keys).
 * - Cancelling only touches reminders created by versions before `beforeVersion`, so executing a
 *   version's cancel and create effects in any order, or replaying them, gives the same result.
 * - Claimed agenda-style: one findOneAndUpdate per reminder on
 *   `{state: 'pending', dueAt <= now, lockedUntil absent or past}` that sets `lockedUntil`;
 *   exactly one of several sweeping instances wins each reminder, a crashed sender's lock expires,
 *   and reminders that came due during downtime are found on the first sweep after a restart.
 */
import { Schema, type Connection, type Model } from 'mongoose';
import type { Params, ReminderKind, Role, Target } from '../domain/index.js';
import { ROLES } from '../domain/index.js';
import { nonEmpty, validDate } from './chain.js';

export type ReminderState = 'pending' | 'sent' | 'cancelled';

export interface Reminder {
  /** `${tenantKey}:${key}` */
  _id: string;
  /** The effect key that created it. */
  key: string;
  tenantKey: string;
  requestId: string;
  kind: ReminderKind;
  dueAt: Date;
  target: Target;
  params?: Params;
  state: ReminderState;
  createdForVersion: number;
  createdAt: Date;
  sentAt?: Date;
  cancelledAt?: Date;
  /** Set by a claim; the reminder is someone's until then. */
  lockedUntil?: Date;
}

export interface ReminderInput {
  key: string;
  requestId: string;
  /** The request version whose effect creates it. */
  version: number;
  kind: ReminderKind;
  dueAt: Date | string;
  target: Target;
  params?: Params;
}

const reminderSchema = new Schema(
  {
    _id: { type: String, required: true },
    key: { type: String, required: true },
    tenantKey: { type: String, required: true },
    requestId: { type: String, required: true },
    kind: { type: String, required: true },
    dueAt: { type: Date, required: true },
    target: { type: Schema.Types.Mixed, required: true },
    params: { type: Schema.Types.Mixed },
    state: { type: String, enum: ['pending', 'sent', 'cancelled'], required: true },
    createdForVersion: { type: Number, required: true },
    createdAt: { type: Date, required: true },
    sentAt: { type: Date },
    cancelledAt: { type: Date },
    lockedUntil: { type: Date },
  },
  { versionKey: false, collection: 'reminders', minimize: false },
);
// claimDue (the sweep, across tenants): pending reminders due by now, earliest first.
reminderSchema.index({ state: 1, dueAt: 1 });
// cancel and listForRequest: one request's reminders (cancel narrows to state 'pending').
reminderSchema.index({ tenantKey: 1, requestId: 1, state: 1 });

/** The stored form of a target: exactly one of openId / role / system, so it matches by field. */
function targetOf(t: Target): Target {
  if (typeof t !== 'object' || t === null) throw new TypeError('target must be an object');
  if ('openId' in t) return { openId: nonEmpty('target.openId', t.openId) };
  if ('role' in t) {
    if (!(ROLES as readonly unknown[]).includes(t.role)) throw new TypeError(`unknown role ${String(t.role)}`);
    return { role: t.role as Role };
  }
  if ('system' in t && t.system === true) return { system: true };
  throw new TypeError('target must be {openId}, {role} or {system: true}');
}

/** A filter matching reminders for exactly this target. */
function targetFilter(t: Target): Record<string, unknown> {
  const n = targetOf(t);
  if ('openId' in n) return { 'target.openId': n.openId };
  if ('role' in n) return { 'target.role': n.role };
  return { 'target.system': true };
}

const idOf = (tenantKey: string, key: string) => `${tenantKey}:${key}`;

export class ReminderStore {
  private readonly model: Model<Reminder>;

  constructor(
    conn: Connection,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.model = (conn.models.Reminder as Model<Reminder> | undefined) ?? conn.model<Reminder>('Reminder', reminderSchema);
  }

  async init(): Promise<void> {
    await this.model.createIndexes();
  }

  /** Records a reminder once per effect key (replays and concurrent executors → false). */
  async create(tenantKey: string, input: ReminderInput): Promise<boolean> {
    nonEmpty('tenantKey', tenantKey);
    const key = nonEmpty('key', input.key);
    if (!Number.isInteger(input.version) || input.version < 0) throw new TypeError('version must be a non-negative integer');
    const doc: Reminder = {
      _id: idOf(tenantKey, key),
      key,
      tenantKey,
      requestId: nonEmpty('requestId', input.requestId),
      kind: nonEmpty('kind', input.kind) as ReminderKind,
      dueAt: validDate('dueAt', typeof input.dueAt === 'string' ? new Date(input.dueAt) : input.dueAt),
      target: targetOf(input.target),
      state: 'pending',
      createdForVersion: input.version,
      createdAt: this.now(),
    };
    if (input.params !== undefined) doc.params = { ...input.params };
    try {
      await this.model.collection.insertOne(doc as never);
      return true;
    } catch (err) {
      if ((err as { code?: number }).code === 11000) return false;
      throw err;
    }
  }

  /**
   * Cancels the request's pending reminders created for versions < `beforeVersion` (of `kinds`
   * if given, only for `target` if given); returns how many it cancelled (0 on a replay).
   */
  async cancel(tenantKey: string, requestId: string, opts: { kinds?: readonly ReminderKind[]; target?: Target; beforeVersion: number }): Promise<number> {
    nonEmpty('tenantKey', tenantKey);
    nonEmpty('requestId', requestId);
    if (!Number.isInteger(opts.beforeVersion)) throw new TypeError('beforeVersion must be an integer');
    const r = await this.model.updateMany(
      {
        tenantKey,
        requestId,
        state: 'pending',
        createdForVersion: { $lt: opts.beforeVersion },
        ...(opts.kinds ? { kind: { $in: opts.kinds } } : {}),
        ...(opts.target ? targetFilter(opts.target) : {}),
      },
      { $set: { state: 'cancelled', cancelledAt: this.now() }, $unset: { lockedUntil: 1 } },
    );
    return r.modifiedCount;
  }

  /** All of a request's reminders (any state), by due time. */
  async listForRequest(tenantKey: string, requestId: string): Promise<Reminder[]> {
    nonEmpty('tenantKey', tenantKey);
    nonEmpty('requestId', requestId);
    return this.model.find({ tenantKey, requestId }).sort({ dueAt: 1, _id: 1 }).lean<Reminder[]>();
  }

  /**
   * Claims up to `limit` due reminders of every tenant for `lockMs` (only of `kinds` when given):
   * each is returned to exactly one claimer until its lock runs out (then it is due again unless
   * marked sent or cancelled).
   */
  async claimDue(now: Date, limit: number, lockMs: number, kinds?: readonly ReminderKind[]): Promise<Reminder[]> {
    validDate('now', now);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new RangeError('limit must be an integer in 1…1000');
    if (!Number.isFinite(lockMs) || lockMs <= 0) throw new RangeError('lockMs must be positive');
    const lockedUntil = new Date(now.getTime() + lockMs);
    const out: Reminder[] = [];
    while (out.length < limit) {
      const doc = await this.model
        .findOneAndUpdate(
          { state: 'pending', dueAt: { $lte: now }, ...(kinds ? { kind: { $in: [...kinds] } } : {}), $or: [{ lockedUntil: null }, { lockedUntil: { $lt: now } }] },
          { $set: { lockedUntil } },
          { sort: { dueAt: 1 }, returnDocument: 'after' },
        )
        .lean<Reminder>();
      if (!doc) break;
      out.push(doc);
    }
    return out;
  }

  /** Marks a claimed reminder sent; false when it is not pending any more (cancelled or sent). */
  async markSent(tenantKey: string, key: string): Promise<boolean> {
    nonEmpty('tenantKey', tenantKey);
    nonEmpty('key', key);
    const r = await this.model.updateOne({ _id: idOf(tenantKey, key), state: 'pending' }, { $set: { state: 'sent', sentAt: this.now() }, $unset: { lockedUntil: 1 } });
    return r.modifiedCount === 1;
  }
}
