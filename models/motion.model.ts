/**
 * The committee's motions and votes (docs/domain.md §4, §6.2).
 *
 * - `motions`: `_id` `<tenantKey>:<motion id>` (MO-2026-0001). The members entitled to vote are
 *   fixed when the motion is made. `state` open → closed; the close is claimed by one conditional
 *   update (`lockedUntil`: a dead closer's claim runs out) and recorded by another that only an
 *   open motion accepts, so the result is decided and posted exactly once.
 * - `motion_votes`: `_id` `<tenantKey>:<motion id>:<member>` — one vote per member (a unique key);
 *   a changed vote overwrites the choice and counts the change. Titles are not secret; nothing
 *   else about the matter is stored.
 * - Reminders (24 h, 2 h before the close) are flags on the motion: `reminders.<k>` is 'done' or
 *   'skipped' (the motion was made after its time).
 */
import { Schema, type Connection, type Model } from 'mongoose';
import type { MotionKind, VoteChoice, VoteResult } from '../handlers/committee/rules.js';
import { nonEmpty } from './chain.js';

export type MotionState = 'open' | 'closed';
export const MOTION_REMINDERS = { h24: 24 * 3_600_000, h2: 2 * 3_600_000 } as const;
export type MotionReminder = keyof typeof MOTION_REMINDERS;

export interface Motion {
  _id: string;
  tenantKey: string;
  id: string;
  title: string;
  kind: MotionKind;
  secret: boolean;
  createdBy: string;
  createdAt: Date;
  closesAt: Date;
  /** Members entitled to vote, fixed when the motion was made. */
  members: string[];
  /** The command that made it (`<event id>`): a redelivered command finds the motion. */
  sourceKey: string;
  state: MotionState;
  reminders: Partial<Record<MotionReminder, 'done' | 'skipped'>>;
  lockedUntil?: Date;
  closedAt?: Date;
  result?: VoteResult;
}

export interface Vote {
  _id: string;
  tenantKey: string;
  motionId: string;
  voterId: string;
  choice: VoteChoice;
  at: Date;
  changes: number;
}

const motionSchema = new Schema(
  {
    _id: { type: String, required: true },
    tenantKey: { type: String, required: true },
    id: { type: String, required: true },
    title: { type: String, required: true },
    kind: { type: String, required: true },
    secret: { type: Boolean, required: true },
    createdBy: { type: String, required: true },
    createdAt: { type: Date, required: true },
    closesAt: { type: Date, required: true },
    members: { type: [String], required: true },
    sourceKey: { type: String, required: true },
    state: { type: String, enum: ['open', 'closed'], required: true },
    reminders: { type: Schema.Types.Mixed, default: {} },
    lockedUntil: { type: Date },
    closedAt: { type: Date },
    result: { type: Schema.Types.Mixed },
  },
  { versionKey: false, collection: 'motions', minimize: false },
);
// The sweep: open motions by close time; lists: a tenant's newest first.
motionSchema.index({ state: 1, closesAt: 1 });
motionSchema.index({ tenantKey: 1, createdAt: -1 });
motionSchema.index({ tenantKey: 1, sourceKey: 1 }, { unique: true });

const voteSchema = new Schema(
  {
    _id: { type: String, required: true },
    tenantKey: { type: String, required: true },
    motionId: { type: String, required: true },
    voterId: { type: String, required: true },
    choice: { type: String, enum: ['yes', 'no', 'abstain'], required: true },
    at: { type: Date, required: true },
    changes: { type: Number, required: true },
  },
  { versionKey: false, collection: 'motion_votes' },
);
voteSchema.index({ tenantKey: 1, motionId: 1 });

export class MotionStore {
  private readonly motions: Model<Motion>;
  private readonly votes: Model<Vote>;

  constructor(conn: Connection) {
    this.motions = (conn.models.Motion as Model<Motion> | undefined) ?? conn.model<Motion>('Motion', motionSchema);
    this.votes = (conn.models.MotionVote as Model<Vote> | undefined) ?? conn.model<Vote>('MotionVote', voteSchema);
  }

  async init(): Promise<void> {
    await Promise.all([this.motions.createIndexes(), this.votes.createIndexes()]);
  }

  /** Stores a new motion; when the same command made one already (a race), returns that one. */
  async create(m: Omit<Motion, '_id' | 'state' | 'reminders'>): Promise<{ motion: Motion; created: boolean }> {
    nonEmpty('tenantKey', m.tenantKey);
    nonEmpty('sourceKey', m.sourceKey);
    const reminders: Motion['reminders'] = {};
    for (const [k, before] of Object.entries(MOTION_REMINDERS)) if (m.closesAt.getTime() - before <= m.createdAt.getTime()) reminders[k as MotionReminder] = 'skipped';
    const doc: Motion = { ...m, _id: `${m.tenantKey}:${m.id}`, state: 'open', reminders };
    try {
      await this.motions.collection.insertOne(doc as never);
      return { motion: doc, created: true };
    } catch (err) {
      if ((err as { code?: number }).code !== 11000) throw err;
      const existing = await this.bySource(m.tenantKey, m.sourceKey);
      if (!existing) throw err;
      return { motion: existing, created: false };
    }
  }

  async bySource(tenantKey: string, sourceKey: string): Promise<Motion | null> {
    return this.motions.findOne({ tenantKey, sourceKey }).lean<Motion>();
  }

  async get(tenantKey: string, id: string): Promise<Motion | null> {
    return this.motions.findById(`${tenantKey}:${id}`).lean<Motion>();
  }

  async list(tenantKey: string, limit = 20): Promise<Motion[]> {
    return this.motions.find({ tenantKey }).sort({ createdAt: -1 }).limit(limit).lean<Motion[]>();
  }

  /**
   * Records a member's vote (one per member: the key), or changes it. The caller has checked that
   * the motion is open; `at` is the time of the vote.
   */
  async vote(tenantKey: string, motionId: string, voterId: string, choice: VoteChoice, at: Date): Promise<{ changed: boolean; previous?: VoteChoice }> {
    const _id = `${tenantKey}:${motionId}:${voterId}`;
    for (let attempt = 0; attempt < 2; attempt++) {
      const before = await this.votes
        .findOneAndUpdate({ _id }, { $set: { choice, at }, $setOnInsert: { tenantKey, motionId, voterId }, $inc: { changes: 1 } }, { upsert: true, returnDocument: 'before' })
        .lean<Vote>()
        .catch((err: unknown) => {
          // Two first votes of one member raced on the unique key: the retry updates the winner's.
          if ((err as { code?: number }).code === 11000 && attempt === 0) return 'retry' as const;
          throw err;
        });
      if (before === 'retry') continue;
      return before ? { changed: before.choice !== choice, previous: before.choice } : { changed: false };
    }
    throw new Error('vote: unreachable');
  }

  async votesOf(tenantKey: string, motionId: string): Promise<Vote[]> {
    return this.votes.find({ tenantKey, motionId }).lean<Vote[]>();
  }

  async voteOf(tenantKey: string, motionId: string, voterId: string): Promise<Vote | null> {
    return this.votes.findById(`${tenantKey}:${motionId}:${voterId}`).lean<Vote>();
  }

  /** Open motions whose close is due, each claimed for `lockMs` (one closer at a time). */
  async claimDue(now: Date, lockMs: number): Promise<Motion | null> {
    return this.motions
      .findOneAndUpdate(
        { state: 'open', closesAt: { $lte: now }, $or: [{ lockedUntil: null }, { lockedUntil: { $lt: now } }] },
        { $set: { lockedUntil: new Date(now.getTime() + lockMs) } },
        { sort: { closesAt: 1 }, returnDocument: 'after' },
      )
      .lean<Motion>();
  }

  /** Records the result; false when the motion was closed already. */
  async close(_id: string, result: VoteResult, now: Date): Promise<boolean> {
    const r = await this.motions.updateOne({ _id, state: 'open' }, { $set: { state: 'closed', result, closedAt: now }, $unset: { lockedUntil: 1 } });
    return r.modifiedCount === 1;
  }

  /** Open motions with a reminder due (`closesAt − before ≤ now`) and not sent. */
  async remindersDue(now: Date, k: MotionReminder): Promise<Motion[]> {
    return this.motions
      .find({ state: 'open', closesAt: { $gt: now, $lte: new Date(now.getTime() + MOTION_REMINDERS[k]) }, [`reminders.${k}`]: { $exists: false } })
      .limit(100)
      .lean<Motion[]>();
  }

  async reminderDone(_id: string, k: MotionReminder): Promise<void> {
    await this.motions.updateOne({ _id }, { $set: { [`reminders.${k}`]: 'done' } });
  }
}
