/**
 * Training (保密教育培训, docs/domain.md §4; DOMAIN §4.3, §6.2): sessions, their attendance and the
 * hours credited to each person.
 *
 * - `training_sessions`: `_id` `<tenantKey>:<session id>` (TR-2026-0001), one per scheduling
 *   command (`sourceKey`, a unique key: a redelivered command finds the session it made). The people
 *   invited are fixed when it is scheduled. The attendance list (the security officer's card) is
 *   split into parts of at most SHEET_PART people (a card holds at most 30 KB); each part is closed
 *   once, by one conditional update that stores who was ticked (`sheet.closed`); the session is
 *   `closed` when every part is (a second write, repaired by `settle` if the process died between
 *   the two). A cancel records who cancelled and the command that did (`cancelSource`).
 * - `training_confirmations`: `_id` `<tenantKey>:<session id>:<open_id>`: "I'll attend" (one per
 *   person, a unique key).
 * - `training_hours`: the hours credited, one entry per (session, person) —
 *   `_id` `<tenantKey>:session:<session id>:<open_id>`, written with `$setOnInsert`, so a close
 *   handled twice credits once — or per self-reported entry (`/training log`, keyed by the command's
 *   source key). `year` is the year of the session's date in the unit's time zone.
 * Metadata only: titles are what the officer typed (no content), hours, dates, people.
 */
import { Schema, type Connection, type Model } from 'mongoose';
import { nonEmpty } from './chain.js';

export const TRAINING_KINDS = ['onboarding', 'annual', 'topic', 'abroad', 'departure', 'classification'] as const;
export type TrainingKind = (typeof TRAINING_KINDS)[number];
export const TRAINING_FORMS = ['lecture', 'seminar', 'case', 'online'] as const;
export type TrainingForm = (typeof TRAINING_FORMS)[number];
export type TrainingState = 'scheduled' | 'cancelled' | 'closed';
export type Audience = { type: 'all' } | { type: 'dept'; deptId: string } | { type: 'role'; role: string };

/** People per attendance card (one form, one multi person picker): well inside Lark's 30 KB. */
export const SHEET_PART = 100;

export interface SheetClose {
  part: number;
  by: string;
  at: Date;
  attendees: string[];
}

export interface TrainingSession {
  _id: string;
  tenantKey: string;
  id: string;
  title: string;
  kind: TrainingKind;
  form: TrainingForm;
  at: Date;
  hours: number;
  /** Always true for a session: the unit organised it. */
  unitOrganised: boolean;
  audience: Audience;
  invited: string[];
  createdBy: string;
  createdAt: Date;
  sourceKey: string;
  state: TrainingState;
  sheet: {
    parts: number;
    closed: SheetClose[];
    /** The attendance cards sent (patched as people confirm, and when a part is closed). */
    cards: { part: number; openId: string; messageId: string }[];
  };
  cancelledAt?: Date;
  /** Who cancelled it, and the command that did (a redelivery of that command finishes the cancel). */
  cancelledBy?: string;
  cancelSource?: string;
  closedAt?: Date;
}

export interface TrainingConfirmation {
  _id: string;
  tenantKey: string;
  sessionId: string;
  openId: string;
  at: Date;
}

export interface TrainingHours {
  _id: string;
  tenantKey: string;
  openId: string;
  year: number;
  /** Local date YYYY-MM-DD (the session's, or the one given to /training log). */
  date: string;
  at: Date;
  hours: number;
  unitOrganised: boolean;
  kind: TrainingKind;
  source: 'session' | 'log';
  sessionId?: string;
  title: string;
  by: string;
  createdAt: Date;
}

const sessionSchema = new Schema(
  {
    _id: { type: String, required: true },
    tenantKey: { type: String, required: true },
    id: { type: String, required: true },
    title: { type: String, required: true },
    kind: { type: String, enum: TRAINING_KINDS, required: true },
    form: { type: String, enum: TRAINING_FORMS, required: true },
    at: { type: Date, required: true },
    hours: { type: Number, required: true },
    unitOrganised: { type: Boolean, required: true },
    audience: { type: Schema.Types.Mixed, required: true },
    invited: { type: [String], required: true },
    createdBy: { type: String, required: true },
    createdAt: { type: Date, required: true },
    sourceKey: { type: String, required: true },
    state: { type: String, enum: ['scheduled', 'cancelled', 'closed'], required: true },
    sheet: { type: Schema.Types.Mixed, required: true },
    cancelledAt: { type: Date },
    cancelledBy: { type: String },
    cancelSource: { type: String },
    closedAt: { type: Date },
  },
  { versionKey: false, collection: 'training_sessions', minimize: false },
);
// /training list: a tenant's sessions, newest first.
sessionSchema.index({ tenantKey: 1, at: -1 });
// schedule: the session a command made (a redelivery finds it).
sessionSchema.index({ tenantKey: 1, sourceKey: 1 }, { unique: true });

const confirmationSchema = new Schema(
  {
    _id: { type: String, required: true },
    tenantKey: { type: String, required: true },
    sessionId: { type: String, required: true },
    openId: { type: String, required: true },
    at: { type: Date, required: true },
  },
  { versionKey: false, collection: 'training_confirmations' },
);
// The attendance card: a session's confirmations.
confirmationSchema.index({ tenantKey: 1, sessionId: 1 });

const hoursSchema = new Schema(
  {
    _id: { type: String, required: true },
    tenantKey: { type: String, required: true },
    openId: { type: String, required: true },
    year: { type: Number, required: true },
    date: { type: String, required: true },
    at: { type: Date, required: true },
    hours: { type: Number, required: true },
    unitOrganised: { type: Boolean, required: true },
    kind: { type: String, enum: TRAINING_KINDS, required: true },
    source: { type: String, enum: ['session', 'log'], required: true },
    sessionId: { type: String },
    title: { type: String, required: true },
    by: { type: String, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'training_hours' },
);
// /training report, export, the quarterly run: a tenant's entries of a year.
hoursSchema.index({ tenantKey: 1, year: 1 });
// /training mine, TrainingApi.completed: one person's entries.
hoursSchema.index({ tenantKey: 1, openId: 1, year: 1 });

export class TrainingStore {
  private readonly sessions: Model<TrainingSession>;
  private readonly confirmations: Model<TrainingConfirmation>;
  private readonly hours: Model<TrainingHours>;

  constructor(conn: Connection) {
    this.sessions = (conn.models.TrainingSession as Model<TrainingSession> | undefined) ?? conn.model<TrainingSession>('TrainingSession', sessionSchema);
    this.confirmations =
      (conn.models.TrainingConfirmation as Model<TrainingConfirmation> | undefined) ?? conn.model<TrainingConfirmation>('TrainingConfirmation', confirmationSchema);
    this.hours = (conn.models.TrainingHours as Model<TrainingHours> | undefined) ?? conn.model<TrainingHours>('TrainingHours', hoursSchema);
  }

  async init(): Promise<void> {
    await Promise.all([this.sessions.createIndexes(), this.confirmations.createIndexes(), this.hours.createIndexes()]);
  }

  /** Stores a new session; when the same command made one already, returns that one. */
  async create(s: Omit<TrainingSession, '_id' | 'state' | 'sheet'>): Promise<{ session: TrainingSession; created: boolean }> {
    nonEmpty('tenantKey', s.tenantKey);
    nonEmpty('sourceKey', s.sourceKey);
    const doc: TrainingSession = {
      ...s,
      _id: `${s.tenantKey}:${s.id}`,
      state: 'scheduled',
      sheet: { parts: Math.max(1, Math.ceil(s.invited.length / SHEET_PART)), closed: [], cards: [] },
    };
    try {
      await this.sessions.collection.insertOne(doc as never);
      return { session: doc, created: true };
    } catch (err) {
      if ((err as { code?: number }).code !== 11000) throw err;
      const existing = await this.bySource(s.tenantKey, s.sourceKey);
      if (!existing) throw err;
      return { session: existing, created: false };
    }
  }

  async bySource(tenantKey: string, sourceKey: string): Promise<TrainingSession | null> {
    return this.sessions.findOne({ tenantKey, sourceKey }).lean<TrainingSession>();
  }

  async get(tenantKey: string, id: string): Promise<TrainingSession | null> {
    return this.sessions.findById(`${tenantKey}:${id}`).lean<TrainingSession>();
  }

  /** Newest first; `invitee` limits to the sessions a person was invited to. */
  async list(tenantKey: string, opts: { invitee?: string; limit?: number } = {}): Promise<TrainingSession[]> {
    return this.sessions
      .find({ tenantKey, ...(opts.invitee ? { invited: opts.invitee } : {}) })
      .sort({ at: -1 })
      .limit(opts.limit ?? 20)
      .lean<TrainingSession[]>();
  }

  /**
   * Cancels a scheduled session none of whose attendance parts is closed, recording who did and the
   * command that did (`sourceKey`); false otherwise.
   */
  async cancel(tenantKey: string, id: string, now: Date, by: { by: string; sourceKey: string }): Promise<boolean> {
    nonEmpty('sourceKey', by.sourceKey);
    const r = await this.sessions.updateOne(
      { _id: `${tenantKey}:${id}`, state: 'scheduled', 'sheet.closed.0': { $exists: false } },
      { $set: { state: 'cancelled', cancelledAt: now, cancelledBy: by.by, cancelSource: by.sourceKey } },
    );
    return r.modifiedCount === 1;
  }

  /** "I'll attend" (once per person; a repeat keeps the first time). True when it is new. */
  async confirm(tenantKey: string, sessionId: string, openId: string, at: Date): Promise<boolean> {
    const r = await this.confirmations.updateOne({ _id: `${tenantKey}:${sessionId}:${openId}` }, { $setOnInsert: { tenantKey, sessionId, openId, at } }, { upsert: true });
    return r.upsertedCount === 1;
  }

  async confirmed(tenantKey: string, sessionId: string): Promise<string[]> {
    return (await this.confirmations.find({ tenantKey, sessionId }, { openId: 1 }).lean<{ openId: string }[]>()).map((c) => c.openId);
  }

  async addSheetCard(_id: string, card: { part: number; openId: string; messageId: string }): Promise<void> {
    await this.sessions.updateOne({ _id }, { $addToSet: { 'sheet.cards': card } });
  }

  /**
   * Closes one part of the attendance list: exactly one caller wins (a conditional update on the
   * part not being closed yet). Returns the session after the close, or null when this caller did
   * not close it (already closed, cancelled).
   */
  async closePart(tenantKey: string, id: string, close: SheetClose): Promise<TrainingSession | null> {
    const after = await this.sessions
      .findOneAndUpdate(
        { _id: `${tenantKey}:${id}`, state: 'scheduled', 'sheet.closed.part': { $ne: close.part } },
        { $push: { 'sheet.closed': close } },
        { returnDocument: 'after' },
      )
      .lean<TrainingSession>();
    if (!after) return null;
    return (await this.settle(after)).session;
  }

  /**
   * Closes the session once every part of its attendance list is closed: the second write of the
   * last part's close, and its repair when the process died between the two (a later click, the
   * attendance alarm). One conditional update (still scheduled, the last part's slot taken), so it
   * happens once; `closedAt` is when the last part was closed. Returns the session as it is now and
   * whether this call closed it.
   */
  async settle(s: TrainingSession): Promise<{ session: TrainingSession; closed: boolean }> {
    if (s.state !== 'scheduled' || s.sheet.closed.length < s.sheet.parts) return { session: s, closed: false };
    const closedAt = new Date(Math.max(...s.sheet.closed.map((c) => new Date(c.at).getTime())));
    const r = await this.sessions.updateOne({ _id: s._id, state: 'scheduled', [`sheet.closed.${s.sheet.parts - 1}`]: { $exists: true } }, { $set: { state: 'closed', closedAt } });
    if (r.modifiedCount === 1) return { session: { ...s, state: 'closed', closedAt }, closed: true };
    return { session: (await this.sessions.findById(s._id).lean<TrainingSession>()) ?? s, closed: false };
  }

  /** Credits hours (each entry once: `$setOnInsert` under its deterministic `_id`); returns how many are new. */
  async credit(entries: readonly TrainingHours[]): Promise<number> {
    let n = 0;
    for (const e of entries) {
      const { _id, ...rest } = e;
      const r = await this.hours.updateOne({ _id }, { $setOnInsert: rest }, { upsert: true });
      n += r.upsertedCount;
    }
    return n;
  }

  async entry(tenantKey: string, _id: string): Promise<TrainingHours | null> {
    return this.hours.findOne({ _id, tenantKey }).lean<TrainingHours>();
  }

  /** A tenant's entries of a year (or one person's). */
  async entries(tenantKey: string, year: number, openId?: string): Promise<TrainingHours[]> {
    return this.hours
      .find({ tenantKey, year, ...(openId ? { openId } : {}) })
      .sort({ date: 1, _id: 1 })
      .lean<TrainingHours[]>();
  }

  /** When the person's attendance at a session of this kind was last credited. */
  async lastCompleted(tenantKey: string, openId: string, kind: TrainingKind): Promise<Date | null> {
    const e = await this.hours.findOne({ tenantKey, openId, kind, source: 'session' }).sort({ at: -1 }).lean<TrainingHours>();
    return e ? e.at : null;
  }

  /** Tenants that have any training record (the quarterly run adds those with roles). */
  async tenants(): Promise<string[]> {
    const [a, b] = await Promise.all([this.sessions.distinct('tenantKey'), this.hours.distinct('tenantKey')]);
    return [...new Set([...(a as string[]), ...(b as string[])])];
  }
}
