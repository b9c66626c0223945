/**
 * The committee's meetings (docs/domain.md §4; issue 9 item 4).
 *
 * - `meetings`: `_id` `<tenantKey>:<meeting id>` (MT-2026-0001); the members invited are fixed
 *   when it is scheduled. Each notice (the notice 14 days before, reminders 5 days, 1 day and 1
 *   hour before, the minutes reminder 3 days after) is a flag under `notices`: 'done' once handed
 *   to the fan-out, 'skipped' when its time was already past when the meeting was scheduled. The
 *   sweep's notice ids are deterministic, so a notice handed over twice reaches nobody twice.
 * - `meeting_replies`: `_id` `<tenantKey>:<meeting id>:<member>` — one answer per member (a unique
 *   key): attend, or leave with a reason; changeable until the meeting starts.
 * - Minutes: metadata only (filed on, where they are kept, by whom), never their content.
 */
import { Schema, type Connection, type Model } from 'mongoose';
import { nonEmpty } from './chain.js';

export type MeetingState = 'scheduled' | 'cancelled';
/** When each notice is due, relative to the meeting's start. */
export const MEETING_NOTICES = { notice: -14 * 86_400_000, d5: -5 * 86_400_000, d1: -86_400_000, h1: -3_600_000, minutes: 3 * 86_400_000 } as const;
export type MeetingNotice = keyof typeof MEETING_NOTICES;
export type MeetingAnswer = 'attend' | 'leave';

export interface Meeting {
  _id: string;
  tenantKey: string;
  id: string;
  at: Date;
  place?: string;
  agenda?: string;
  createdBy: string;
  createdAt: Date;
  sourceKey: string;
  members: string[];
  state: MeetingState;
  /** How often it was moved (`/meeting move`); names the update notice of each move. */
  revision?: number;
  notices: Partial<Record<MeetingNotice, 'done' | 'skipped'>>;
  /** The chair's attendance card (patched as members answer). */
  chairCard?: { openId: string; messageId: string };
  cancelledAt?: Date;
  minutes?: { filedOn: string; where: string; by: string; at: Date };
  /**
   * The Feishu calendar event (calendar.v4) mirroring the meeting — an outbox of its own: `want`
   * counts the changes to mirror, `pending` is cleared only when a sync finished for the latest
   * `want`; the event id is stored as soon as the event exists (before the attendees are added),
   * so a retried sync patches that event and never creates a second one.
   */
  calendar?: MeetingCalendarState;
}

export interface MeetingCalendarState {
  pending: boolean;
  want: number;
  /** A create was sent (its result may be unknown: the sync repeats it with the same idempotency key). */
  creating?: boolean;
  eventId?: string;
  attendees?: boolean;
  deleted?: boolean;
  attempts?: number;
  nextAt?: Date;
  error?: string;
}

export interface MeetingReply {
  _id: string;
  tenantKey: string;
  meetingId: string;
  memberId: string;
  answer: MeetingAnswer;
  reason?: string;
  at: Date;
}

const meetingSchema = new Schema(
  {
    _id: { type: String, required: true },
    tenantKey: { type: String, required: true },
    id: { type: String, required: true },
    at: { type: Date, required: true },
    place: { type: String },
    agenda: { type: String },
    createdBy: { type: String, required: true },
    createdAt: { type: Date, required: true },
    sourceKey: { type: String, required: true },
    members: { type: [String], required: true },
    state: { type: String, enum: ['scheduled', 'cancelled'], required: true },
    revision: { type: Number },
    notices: { type: Schema.Types.Mixed, default: {} },
    chairCard: { type: Schema.Types.Mixed },
    cancelledAt: { type: Date },
    minutes: { type: Schema.Types.Mixed },
    calendar: { type: Schema.Types.Mixed },
  },
  { versionKey: false, collection: 'meetings', minimize: false },
);
meetingSchema.index({ state: 1, at: 1 });
meetingSchema.index({ tenantKey: 1, at: -1 });
meetingSchema.index({ tenantKey: 1, sourceKey: 1 }, { unique: true });
meetingSchema.index({ 'calendar.pending': 1 }, { partialFilterExpression: { 'calendar.pending': true } });

const replySchema = new Schema(
  {
    _id: { type: String, required: true },
    tenantKey: { type: String, required: true },
    meetingId: { type: String, required: true },
    memberId: { type: String, required: true },
    answer: { type: String, enum: ['attend', 'leave'], required: true },
    reason: { type: String },
    at: { type: Date, required: true },
  },
  { versionKey: false, collection: 'meeting_replies' },
);
replySchema.index({ tenantKey: 1, meetingId: 1 });

export class MeetingStore {
  private readonly meetings: Model<Meeting>;
  private readonly replies: Model<MeetingReply>;

  constructor(conn: Connection) {
    this.meetings = (conn.models.Meeting as Model<Meeting> | undefined) ?? conn.model<Meeting>('Meeting', meetingSchema);
    this.replies = (conn.models.MeetingReply as Model<MeetingReply> | undefined) ?? conn.model<MeetingReply>('MeetingReply', replySchema);
  }

  async init(): Promise<void> {
    await Promise.all([this.meetings.createIndexes(), this.replies.createIndexes()]);
  }

  /** Stores a new meeting; when the same command made one already, returns that one. */
  async create(m: Omit<Meeting, '_id' | 'state' | 'notices'>): Promise<{ meeting: Meeting; created: boolean }> {
    nonEmpty('tenantKey', m.tenantKey);
    const notices: Meeting['notices'] = {};
    // Reminders whose time had passed when it was scheduled are skipped (the notice itself goes at once).
    for (const [k, rel] of Object.entries(MEETING_NOTICES)) if (k !== 'notice' && m.at.getTime() + rel <= m.createdAt.getTime()) notices[k as MeetingNotice] = 'skipped';
    const doc: Meeting = { ...m, _id: `${m.tenantKey}:${m.id}`, state: 'scheduled', notices, calendar: { pending: true, want: 1 } };
    try {
      await this.meetings.collection.insertOne(doc as never);
      return { meeting: doc, created: true };
    } catch (err) {
      if ((err as { code?: number }).code !== 11000) throw err;
      const existing = await this.bySource(m.tenantKey, m.sourceKey);
      if (!existing) throw err;
      return { meeting: existing, created: false };
    }
  }

  async bySource(tenantKey: string, sourceKey: string): Promise<Meeting | null> {
    return this.meetings.findOne({ tenantKey, sourceKey }).lean<Meeting>();
  }

  async get(tenantKey: string, id: string): Promise<Meeting | null> {
    return this.meetings.findById(`${tenantKey}:${id}`).lean<Meeting>();
  }

  async list(tenantKey: string, limit = 20): Promise<Meeting[]> {
    return this.meetings.find({ tenantKey }).sort({ at: -1 }).limit(limit).lean<Meeting[]>();
  }

  /** The next scheduled meeting starting after `now`. */
  async next(tenantKey: string, now: Date): Promise<Meeting | null> {
    return this.meetings
      .findOne({ tenantKey, state: 'scheduled', at: { $gt: now } })
      .sort({ at: 1 })
      .lean<Meeting>();
  }

  /** Scheduled meetings of a tenant starting in [from, to). */
  async scheduledBetween(tenantKey: string, from: Date, to: Date): Promise<number> {
    return this.meetings.countDocuments({ tenantKey, state: 'scheduled', at: { $gte: from, $lt: to } });
  }

  async cancel(tenantKey: string, id: string, now: Date): Promise<boolean> {
    const r = await this.meetings.updateOne(
      { _id: `${tenantKey}:${id}`, state: 'scheduled' },
      { $set: { state: 'cancelled', cancelledAt: now, 'calendar.pending': true, 'calendar.attempts': 0 }, $inc: { 'calendar.want': 1 }, $unset: { 'calendar.nextAt': 1 } },
    );
    return r.modifiedCount === 1;
  }

  /**
   * Moves a scheduled meeting (new time, and place or agenda when given): the reminders are due
   * again relative to the new time (those already past are skipped), the notice keeps its state,
   * and the calendar event is to be updated. Null when it is not scheduled (any more).
   */
  async reschedule(tenantKey: string, id: string, change: { at: Date; place?: string; agenda?: string }, now: Date): Promise<Meeting | null> {
    const set: Record<string, unknown> = { at: change.at, 'calendar.pending': true, 'calendar.attempts': 0 };
    if (change.place) set.place = change.place;
    if (change.agenda) set.agenda = change.agenda;
    const unset: Record<string, 1> = { 'calendar.nextAt': 1 };
    for (const [k, rel] of Object.entries(MEETING_NOTICES)) {
      if (k === 'notice') continue;
      if (change.at.getTime() + rel <= now.getTime()) set[`notices.${k}`] = 'skipped';
      else unset[`notices.${k}`] = 1;
    }
    return this.meetings
      .findOneAndUpdate({ _id: `${tenantKey}:${id}`, state: 'scheduled' }, { $set: set, $unset: unset, $inc: { revision: 1, 'calendar.want': 1 } }, { returnDocument: 'after' })
      .lean<Meeting>();
  }

  /** Meetings whose calendar event is to be created, updated or deleted (retries after `nextAt`). */
  async calendarDue(now: Date, limit = 50): Promise<Meeting[]> {
    return this.meetings
      .find({ 'calendar.pending': true, $or: [{ 'calendar.nextAt': { $exists: false } }, { 'calendar.nextAt': { $lte: now } }] })
      .limit(limit)
      .lean<Meeting[]>();
  }

  /** Records a step of the calendar sync (the event id, attendees added, deleted). */
  async setCalendar(_id: string, set: Partial<Pick<MeetingCalendarState, 'creating' | 'eventId' | 'attendees' | 'deleted'>>): Promise<void> {
    await this.meetings.updateOne({ _id }, { $set: Object.fromEntries(Object.entries(set).map(([k, v]) => [`calendar.${k}`, v])) });
  }

  /** The sync for change `want` finished: no longer pending unless the meeting changed meanwhile. */
  async calendarSynced(_id: string, want: number): Promise<boolean> {
    const r = await this.meetings.updateOne(
      { _id, 'calendar.want': want },
      { $set: { 'calendar.pending': false, 'calendar.attempts': 0 }, $unset: { 'calendar.nextAt': 1, 'calendar.error': 1 } },
    );
    return r.modifiedCount === 1;
  }

  /** The sync failed: tried again after `nextAt`. */
  async calendarFailed(_id: string, attempts: number, nextAt: Date, error: string): Promise<void> {
    await this.meetings.updateOne({ _id }, { $set: { 'calendar.attempts': attempts, 'calendar.nextAt': nextAt, 'calendar.error': error.slice(0, 300) } });
  }

  async setChairCard(_id: string, card: Meeting['chairCard']): Promise<void> {
    await this.meetings.updateOne({ _id }, { $set: { chairCard: card } });
  }

  async setMinutes(tenantKey: string, id: string, minutes: NonNullable<Meeting['minutes']>): Promise<boolean> {
    const r = await this.meetings.updateOne({ _id: `${tenantKey}:${id}`, state: 'scheduled' }, { $set: { minutes } });
    return r.matchedCount === 1;
  }

  /** Scheduled meetings with notice `k` due by `now` and not handed over yet. */
  async due(now: Date, k: MeetingNotice): Promise<Meeting[]> {
    const rel = MEETING_NOTICES[k];
    return this.meetings
      .find({ state: 'scheduled', at: { $lte: new Date(now.getTime() - rel) }, [`notices.${k}`]: { $exists: false } })
      .limit(100)
      .lean<Meeting[]>();
  }

  async noticeDone(_id: string, k: MeetingNotice): Promise<void> {
    await this.meetings.updateOne({ _id }, { $set: { [`notices.${k}`]: 'done' } });
  }

  /** A member's answer (one per member, changeable). */
  async reply(tenantKey: string, meetingId: string, memberId: string, answer: MeetingAnswer, reason: string | undefined, at: Date): Promise<void> {
    const _id = `${tenantKey}:${meetingId}:${memberId}`;
    const set = { answer, at, ...(reason ? { reason } : {}) };
    for (let attempt = 0; ; attempt++) {
      try {
        await this.replies.updateOne({ _id }, { $set: set, $setOnInsert: { tenantKey, meetingId, memberId }, ...(reason ? {} : { $unset: { reason: 1 } }) }, { upsert: true });
        return;
      } catch (err) {
        if ((err as { code?: number }).code !== 11000 || attempt > 0) throw err;
      }
    }
  }

  async repliesOf(tenantKey: string, meetingId: string): Promise<MeetingReply[]> {
    return this.replies.find({ tenantKey, meetingId }).lean<MeetingReply[]>();
  }
}
