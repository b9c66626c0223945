/**
 * People joining and leaving (DOMAIN §1.6, §4.3, §6.2 Person, §6.6; issue 10 item 2).
 *
 * `staff`: one record per tenant and person, `_id` `<tenantKey>:<open_id>`:
 * - state: `joining` (onboarding training and the confidentiality pledge due) → `cleared` (both
 *   recorded) → `leaving` (a departure was recorded; its day is still ahead) → `decontaminating`
 *   (脱密期, from the day of leaving until its end) → `left`. A cancelled departure goes back to
 *   `joining` or `cleared`; a person who left may join again (a new join cycle, `joinSeq`).
 * - facts only, never content: the clearance class (核心/重要/一般涉密人员), the date the onboarding
 *   training was completed, the dates the pledge was signed (onboarding, yearly, departure), the
 *   departure's date, the decontamination period and its end, and the checklist's ticks (who, when).
 * - exactly once: a join and a departure remember the delivery that made them (`joinSource`,
 *   `leave.sourceKey`), so a redelivered command or event finds its own record, and whether their
 *   follow-ups were all done (`joinSettled`, `leave.settled`), so a redelivery after a crash in
 *   between does the rest; every change is one write guarded by `version`, so two changes racing
 *   never overwrite each other.
 */
import { Schema, type Connection, type Model } from 'mongoose';
import { nonEmpty } from './chain.js';

export type StaffState = 'joining' | 'cleared' | 'leaving' | 'decontaminating' | 'left';
export const STAFF_STATES: readonly StaffState[] = ['joining', 'cleared', 'leaving', 'decontaminating', 'left'];
export type StaffClearance = 'core' | 'important' | 'general';
export type PledgeKind = 'onboarding' | 'yearly' | 'departure';

/** A signed pledge: when it was signed (YYYY-MM-DD), of what kind, recorded by whom and when. */
export interface PledgeRecord {
  on: string;
  kind: PledgeKind;
  by: string;
  at: Date;
}

export interface Tick {
  by: string;
  at: Date;
}

/** A departure and its checklist (清退载体, 提醒谈话, 承诺书, 脱密期). */
export interface LeaveRecord {
  /** Numbers the person's departures (alarm keys and notice ids carry it). */
  seq: number;
  /** The day of leaving (YYYY-MM-DD, the unit's time zone). */
  on: string;
  months: number;
  /** The last day of the decontamination period is the day before (YYYY-MM-DD): it ends on this day. */
  deconEnd: string;
  by: string;
  at: Date;
  sourceKey: string;
  talk?: Tick;
  pledge?: Tick & { on: string };
  /** When the register last showed no carrier left in the person's custody. */
  carriersClear?: Date;
  cancelled?: Tick;
  /** The state before the departure (what a cancelled departure goes back to). */
  prev?: StaffState;
  /**
   * When the departure's follow-ups (audit, alarms) were all done: a redelivery of its source
   * finds it unset after a crash in between and does them again.
   */
  settled?: Date;
}

export interface StaffRecord {
  _id: string;
  tenantKey: string;
  openId: string;
  state: StaffState;
  clearance: StaffClearance;
  /** Join cycles (0 for a person first recorded by a departure). */
  joinSeq: number;
  joinedAt?: Date;
  joinedBy?: string;
  joinSource?: string;
  /**
   * The join cycle whose follow-ups (audit, first reminder, welcome) were all done: a redelivery of
   * `joinSource` finds it behind `joinSeq` after a crash in between and does them again.
   */
  joinSettled?: number;
  /** Onboarding training completed (YYYY-MM-DD): from the training feature or `/staff trained`. */
  trainedOn?: string;
  trainedBy?: string;
  /** The latest pledge signed (onboarding or yearly re-sign), YYYY-MM-DD. */
  pledgeOn?: string;
  pledges: PledgeRecord[];
  clearedAt?: Date;
  leaveSeq: number;
  leave?: LeaveRecord;
  createdAt: Date;
  updatedAt: Date;
  version: number;
}

const staffSchema = new Schema(
  {
    _id: { type: String, required: true },
    tenantKey: { type: String, required: true },
    openId: { type: String, required: true },
    state: { type: String, enum: STAFF_STATES, required: true },
    clearance: { type: String, enum: ['core', 'important', 'general'], required: true },
    joinSeq: { type: Number, required: true },
    joinedAt: { type: Date },
    joinedBy: { type: String },
    joinSource: { type: String },
    joinSettled: { type: Number },
    trainedOn: { type: String },
    trainedBy: { type: String },
    pledgeOn: { type: String },
    pledges: { type: [Schema.Types.Mixed], default: [] },
    clearedAt: { type: Date },
    leaveSeq: { type: Number, required: true },
    leave: { type: Schema.Types.Mixed },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
    version: { type: Number, required: true },
  },
  { versionKey: false, collection: 'staff', minimize: false },
);
// list(): `/staff status` — a tenant's people in the given states.
staffSchema.index({ tenantKey: 1, state: 1 });

/** The fields a change may set (never the identity, the version or the creation time). */
export type StaffChange = Partial<Omit<StaffRecord, '_id' | 'tenantKey' | 'openId' | 'version' | 'createdAt' | 'updatedAt'>>;
type Unsettable = 'leave' | 'trainedOn' | 'trainedBy' | 'pledgeOn' | 'clearedAt';

export const staffId = (tenantKey: string, openId: string): string => `${tenantKey}:${openId}`;

export class StaffStore {
  private readonly model: Model<StaffRecord>;

  constructor(
    conn: Connection,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.model = (conn.models.Staff as Model<StaffRecord> | undefined) ?? conn.model<StaffRecord>('Staff', staffSchema);
  }

  async init(): Promise<void> {
    await this.model.createIndexes();
  }

  async get(tenantKey: string, openId: string): Promise<StaffRecord | null> {
    return this.model.findById(staffId(nonEmpty('tenantKey', tenantKey), nonEmpty('openId', openId))).lean<StaffRecord>();
  }

  /**
   * Stores a new record; when one exists for the person (a race, a redelivery) returns it instead,
   * with `created: false`.
   */
  async create(r: Omit<StaffRecord, '_id' | 'createdAt' | 'updatedAt' | 'version'>): Promise<{ record: StaffRecord; created: boolean }> {
    nonEmpty('tenantKey', r.tenantKey);
    nonEmpty('openId', r.openId);
    const at = this.now();
    const doc: StaffRecord = { ...r, _id: staffId(r.tenantKey, r.openId), createdAt: at, updatedAt: at, version: 0 };
    try {
      await this.model.collection.insertOne(doc as never);
      return { record: doc, created: true };
    } catch (err) {
      if ((err as { code?: number }).code !== 11000) throw err;
      const existing = await this.get(r.tenantKey, r.openId);
      if (!existing) throw err;
      return { record: existing, created: false };
    }
  }

  /**
   * Applies a change to the record as read (one write guarded by its version): the new record, or
   * null when someone changed it in between (read it again and decide again).
   */
  async update(rec: StaffRecord, change: StaffChange, unset: readonly Unsettable[] = []): Promise<StaffRecord | null> {
    const at = this.now();
    const $set = { ...change, updatedAt: at, version: rec.version + 1 };
    const r = await this.model.updateOne({ _id: rec._id, version: rec.version }, { $set, ...(unset.length ? { $unset: Object.fromEntries(unset.map((k) => [k, 1])) } : {}) });
    if (r.modifiedCount !== 1) return null;
    const next: StaffRecord = { ...rec, ...change, updatedAt: at, version: rec.version + 1 };
    for (const k of unset) delete next[k];
    return next;
  }

  /** A tenant's people in the given states (at most `limit`), by open_id. */
  async list(tenantKey: string, states: readonly StaffState[], limit = 200): Promise<StaffRecord[]> {
    return this.model
      .find({ tenantKey: nonEmpty('tenantKey', tenantKey), state: { $in: [...states] } })
      .sort({ openId: 1 })
      .limit(limit)
      .lean<StaffRecord[]>();
  }
}
