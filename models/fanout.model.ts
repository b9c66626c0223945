/**
 * The fan-out outbox: a notice to many people, persisted before anything is sent, one delivery
 * record per (notice, recipient).
 *
 * - `fanout_notices`: the notice (its message, who sent it, the progress card) — `_id` is the
 *   notice id, chosen by the caller from what asks for it, so creating it again (a redelivered
 *   command, a retried job) finds the same notice.
 * - `fanout_deliveries`: `_id` `<notice>:<recipient>` (unique: a recipient is in a notice once),
 *   `pending` → `sent` | `failed`; `attempts`, `nextAt` (back-off) and `lockedUntil` (a claim: one
 *   sender at a time, a dead sender's claim runs out). Claimed by one conditional update each.
 * - `fanout_workers`: a single lease, so one instance sends at a time and the app-wide rate limit
 *   holds however many instances run.
 */
import { Schema, type Connection, type Model } from 'mongoose';
import type { CardJson, Recipient } from '../bot/core/types.js';
import { nonEmpty } from './chain.js';

export type FanoutMessage = { type: 'text'; text: string } | { type: 'card'; card: CardJson };

export interface FanoutNotice {
  _id: string;
  tenantKey: string;
  /** Who asked for it (gets the progress card), if a person. */
  senderId?: string;
  title: string;
  message: FanoutMessage;
  total: number;
  createdAt: Date;
  /** The progress card's message, once sent. */
  progressMessageId?: string;
  /** The last counts shown on the progress card. */
  shown?: { sent: number; failed: number; done: boolean };
  doneAt?: Date;
}

/** `dropped`: a failed delivery the security office chose not to retry (`/deadletters drop`, audited). */
export type DeliveryState = 'pending' | 'sent' | 'failed' | 'dropped';

export interface FanoutDelivery {
  _id: string;
  noticeId: string;
  tenantKey: string;
  to: Recipient;
  /** The recipient's name when the notice was made (for the failure list). */
  name?: string;
  state: DeliveryState;
  attempts: number;
  nextAt: Date;
  lockedUntil?: Date;
  messageId?: string;
  sentAt?: Date;
  /** When it was given up on (state 'failed'). */
  failedAt?: Date;
  /** When the security office dropped it (state 'dropped'). */
  droppedAt?: Date;
  /** The mark of the `/deadletters` retry that last put it back in the queue. */
  revived?: string;
  lastError?: string;
}

/** A notice's deliveries given up on, as `/deadletters` lists them (FanoutStore.failedNotices). */
export interface FailedNotice {
  noticeId: string;
  /** Recipients it did not reach. */
  count: number;
  /** The first few of them. */
  missed: { to: Recipient; name?: string }[];
  attempts: number;
  failedAt: Date;
  lastError?: string;
}

const noticeSchema = new Schema(
  {
    _id: { type: String, required: true },
    tenantKey: { type: String, required: true },
    senderId: { type: String },
    title: { type: String, required: true },
    message: { type: Schema.Types.Mixed, required: true },
    total: { type: Number, required: true },
    createdAt: { type: Date, required: true },
    progressMessageId: { type: String },
    shown: { type: Schema.Types.Mixed },
    doneAt: { type: Date },
  },
  { versionKey: false, collection: 'fanout_notices', minimize: false },
);
// open(): notices still sending.
noticeSchema.index({ doneAt: 1, createdAt: 1 });

const deliverySchema = new Schema(
  {
    _id: { type: String, required: true },
    noticeId: { type: String, required: true },
    tenantKey: { type: String, required: true },
    to: { type: Schema.Types.Mixed, required: true },
    name: { type: String },
    state: { type: String, enum: ['pending', 'sent', 'failed', 'dropped'], required: true },
    attempts: { type: Number, required: true },
    nextAt: { type: Date, required: true },
    lockedUntil: { type: Date },
    messageId: { type: String },
    sentAt: { type: Date },
    failedAt: { type: Date },
    droppedAt: { type: Date },
    revived: { type: String },
    lastError: { type: String },
  },
  { versionKey: false, collection: 'fanout_deliveries' },
);
// claim(): pending deliveries due by now, earliest first.
deliverySchema.index({ state: 1, nextAt: 1 });
// counts() and failures(): one notice's deliveries by state.
deliverySchema.index({ noticeId: 1, state: 1 });
// failedNotices() and countFailed(): a tenant's deliveries given up on (/deadletters, the gauge).
deliverySchema.index({ tenantKey: 1, state: 1, failedAt: -1 });

const workerSchema = new Schema(
  { _id: { type: String, required: true }, owner: { type: String, required: true }, until: { type: Date, required: true } },
  { versionKey: false, collection: 'fanout_workers' },
);

interface WorkerLease {
  _id: string;
  owner: string;
  until: Date;
}

/**
 * The notice a per-language notice belongs to: `notifyByLanguage` and the committee send one notice
 * per reader language, `<id>:zh-CN` and `<id>:en-US`; for the security office they are one notice.
 */
export const noticeGroupOf = (noticeId: string): string => noticeId.replace(/:(zh-CN|en-US)$/, '');

export const recipientKey = (to: Recipient): string => ('openId' in to ? to.openId : `chat:${to.chatId}`);

export class FanoutStore {
  private readonly notices: Model<FanoutNotice>;
  private readonly deliveries: Model<FanoutDelivery>;
  private readonly workers: Model<WorkerLease>;

  constructor(conn: Connection) {
    this.notices = (conn.models.FanoutNotice as Model<FanoutNotice> | undefined) ?? conn.model<FanoutNotice>('FanoutNotice', noticeSchema);
    this.deliveries = (conn.models.FanoutDelivery as Model<FanoutDelivery> | undefined) ?? conn.model<FanoutDelivery>('FanoutDelivery', deliverySchema);
    this.workers = (conn.models.FanoutWorker as Model<WorkerLease> | undefined) ?? conn.model<WorkerLease>('FanoutWorker', workerSchema);
  }

  async init(): Promise<void> {
    await Promise.all([this.notices.createIndexes(), this.deliveries.createIndexes(), this.workers.createIndexes()]);
  }

  /**
   * Records a notice and one pending delivery per recipient (duplicates dropped). Idempotent by
   * notice id: created again, it adds nothing and returns `created: false`.
   */
  async create(notice: Omit<FanoutNotice, 'total' | 'createdAt'>, recipients: { to: Recipient; name?: string }[], now: Date): Promise<{ created: boolean; total: number }> {
    nonEmpty('notice id', notice._id);
    const unique = new Map<string, { to: Recipient; name?: string }>();
    for (const r of recipients) unique.set(recipientKey(r.to), r);
    // Deliveries first: a notice record without all its deliveries never exists for long (an
    // interrupted create is completed by calling it again, the inserts skip what is there).
    const docs = [...unique.entries()].map(([key, r]) => ({
      _id: `${notice._id}:${key}`,
      noticeId: notice._id,
      tenantKey: notice.tenantKey,
      to: r.to,
      ...(r.name ? { name: r.name } : {}),
      state: 'pending' as const,
      attempts: 0,
      nextAt: now,
    }));
    for (let i = 0; i < docs.length; i += 1000) {
      try {
        await this.deliveries.collection.insertMany(docs.slice(i, i + 1000) as never[], { ordered: false });
      } catch (err) {
        const e = err as { code?: number; writeErrors?: { code?: number }[] };
        const dupOnly = e.code === 11000 || (Array.isArray(e.writeErrors) && e.writeErrors.every((w) => w.code === 11000));
        if (!dupOnly) throw err;
      }
    }
    try {
      await this.notices.collection.insertOne({ ...notice, total: unique.size, createdAt: now } as never);
      return { created: true, total: unique.size };
    } catch (err) {
      if ((err as { code?: number }).code !== 11000) throw err;
      const existing = await this.notices.findById(notice._id).lean<FanoutNotice>();
      return { created: false, total: existing?.total ?? unique.size };
    }
  }

  async get(id: string): Promise<FanoutNotice | null> {
    return this.notices.findById(id).lean<FanoutNotice>();
  }

  /** Notices not finished yet (their progress cards may need a patch). */
  async open(limit = 50): Promise<FanoutNotice[]> {
    return this.notices
      .find({ doneAt: { $exists: false } })
      .sort({ createdAt: 1 })
      .limit(limit)
      .lean<FanoutNotice[]>();
  }

  /** Takes or renews the single sender lease; false when another live instance holds it. */
  async leaseWorker(owner: string, ms: number, now: Date): Promise<boolean> {
    try {
      const r = await this.workers.collection.updateOne(
        { _id: 'fanout', $or: [{ owner }, { until: { $lt: now } }] } as never,
        { $set: { owner, until: new Date(now.getTime() + ms) } },
        { upsert: true },
      );
      return r.matchedCount + (r.upsertedCount ?? 0) > 0;
    } catch (err) {
      // The upsert lost to the holder's record (unique _id): someone else holds the lease.
      if ((err as { code?: number }).code === 11000) return false;
      throw err;
    }
  }

  async releaseWorker(owner: string): Promise<void> {
    await this.workers.collection.deleteOne({ _id: 'fanout', owner } as never);
  }

  /** Claims the next due pending delivery for `lockMs`, or null. */
  async claim(now: Date, lockMs: number, skip: readonly string[] = []): Promise<FanoutDelivery | null> {
    return this.deliveries
      .findOneAndUpdate(
        {
          state: 'pending',
          nextAt: { $lte: now },
          $or: [{ lockedUntil: null }, { lockedUntil: { $lt: now } }],
          ...(skip.length ? { _id: { $nin: [...skip] } } : {}),
        },
        { $set: { lockedUntil: new Date(now.getTime() + lockMs) } },
        { sort: { nextAt: 1 }, returnDocument: 'after' },
      )
      .lean<FanoutDelivery>();
  }

  async markSent(id: string, messageId: string, now: Date): Promise<void> {
    await this.deliveries.updateOne({ _id: id, state: 'pending' }, { $set: { state: 'sent', messageId, sentAt: now }, $unset: { lockedUntil: 1 } });
  }

  /** A failed attempt: due again at `nextAt`, or failed for good (at `now`). */
  async markFailed(id: string, attempts: number, error: string, nextAt: Date | null, now: Date = new Date()): Promise<void> {
    await this.deliveries.updateOne(
      { _id: id, state: 'pending' },
      nextAt
        ? { $set: { attempts, lastError: error.slice(0, 300), nextAt }, $unset: { lockedUntil: 1 } }
        : { $set: { attempts, lastError: error.slice(0, 300), state: 'failed', failedAt: now }, $unset: { lockedUntil: 1 } },
    );
  }

  /**
   * A tenant's notices with deliveries given up on, the newest failure first (`/deadletters`): per
   * notice how many recipients it missed, the first `names` of them, the most attempts, when the
   * last one failed and why. Grouped in the store, so one notice that missed thousands of people
   * hides no other.
   */
  async failedNotices(tenantKey: string, limit = 50, names = 5): Promise<FailedNotice[]> {
    nonEmpty('tenantKey', tenantKey);
    return this.deliveries
      .aggregate<FailedNotice>([
        { $match: { tenantKey, state: 'failed' } },
        // Deliveries failed before failedAt was recorded count by their last due time.
        { $addFields: { at: { $ifNull: ['$failedAt', '$nextAt'] } } },
        { $sort: { at: -1 } },
        {
          $group: {
            _id: '$noticeId',
            count: { $sum: 1 },
            attempts: { $max: '$attempts' },
            failedAt: { $first: '$at' },
            lastError: { $first: '$lastError' },
            missed: { $push: { to: '$to', name: '$name' } },
          },
        },
        { $project: { _id: 0, noticeId: '$_id', count: 1, attempts: 1, failedAt: 1, lastError: 1, missed: { $slice: ['$missed', names] } } },
        { $sort: { failedAt: -1, noticeId: 1 } },
        { $limit: limit },
      ])
      .exec();
  }

  /** Notices with deliveries given up on, in all tenants (the `baomi_dead_letters` gauge: one per notice, its languages together, as listed). */
  async countFailed(tenantKey?: string): Promise<number> {
    const ids = (await this.deliveries.distinct('noticeId', { state: 'failed', ...(tenantKey ? { tenantKey } : {}) })) as string[];
    return new Set(ids.map(noticeGroupOf)).size;
  }

  /**
   * Puts a tenant's failed deliveries (all, or one notice's) back in the queue, due `now`, with a
   * fresh count of attempts, and opens their notices again so a sender's progress card shows the
   * new outcome. The revived deliveries carry this revival's mark, so exactly their notices are
   * opened, also when another delivery fails meanwhile. Returns how many.
   */
  async revive(tenantKey: string, now: Date, noticeId?: string): Promise<number> {
    nonEmpty('tenantKey', tenantKey);
    const mark = `${now.getTime()}:${Math.random().toString(36).slice(2)}`;
    const r = await this.deliveries.updateMany(
      { tenantKey, state: 'failed', ...(noticeId ? { noticeId } : {}) },
      { $set: { state: 'pending', attempts: 0, nextAt: now, revived: mark }, $unset: { failedAt: 1, lockedUntil: 1 } },
    );
    if (r.modifiedCount === 0) return 0;
    const notices = (await this.deliveries.distinct('noticeId', { tenantKey, state: 'pending', revived: mark })) as string[];
    for (const id of notices) await this.reopen(id);
    return r.modifiedCount;
  }

  /** Drops one notice's failed deliveries for good (`/deadletters drop`): returns how many. */
  async drop(tenantKey: string, noticeId: string, now: Date): Promise<number> {
    nonEmpty('tenantKey', tenantKey);
    const r = await this.deliveries.updateMany({ tenantKey, noticeId, state: 'failed' }, { $set: { state: 'dropped', droppedAt: now } });
    return r.modifiedCount;
  }

  /** A notice is sending again: its progress card follows it until nothing is pending. */
  async reopen(noticeId: string): Promise<void> {
    await this.notices.updateOne({ _id: noticeId }, { $unset: { doneAt: 1 } });
  }

  /** Gives a claimed delivery back, due at `nextAt` (the per-recipient limit). */
  async postpone(id: string, nextAt: Date): Promise<void> {
    await this.deliveries.updateOne({ _id: id, state: 'pending' }, { $set: { nextAt }, $unset: { lockedUntil: 1 } });
  }

  async counts(noticeId: string): Promise<{ pending: number; sent: number; failed: number; dropped: number }> {
    const rows = await this.deliveries.aggregate<{ _id: DeliveryState; n: number }>([{ $match: { noticeId } }, { $group: { _id: '$state', n: { $sum: 1 } } }]).exec();
    const out = { pending: 0, sent: 0, failed: 0, dropped: 0 };
    for (const r of rows) out[r._id] = r.n;
    return out;
  }

  async failures(noticeId: string, limit = 100): Promise<FanoutDelivery[]> {
    return this.deliveries.find({ noticeId, state: 'failed' }).limit(limit).lean<FanoutDelivery[]>();
  }

  async setProgress(noticeId: string, set: { progressMessageId?: string; shown?: FanoutNotice['shown']; doneAt?: Date }): Promise<void> {
    await this.notices.updateOne({ _id: noticeId }, { $set: set });
  }

  /** Whether any delivery is still pending (due or not). */
  async anyPending(): Promise<boolean> {
    return (await this.deliveries.exists({ state: 'pending' })) !== null;
  }

  /** When the next pending delivery is due, or null. */
  async nextDue(): Promise<Date | null> {
    const d = await this.deliveries.findOne({ state: 'pending' }, { nextAt: 1 }).sort({ nextAt: 1 }).lean<Pick<FanoutDelivery, 'nextAt'>>();
    return d?.nextAt ?? null;
  }
}
