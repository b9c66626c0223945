/**
 * The quarterly inventory (清查核对, docs/domain.md §1.6 and §6.6): every quarter each custodian
 * confirms the carriers in their custody as held, or reports some missing.
 *
 * - `inventory_rounds`: `_id` `<tenantKey>:<round id>` (INV-2027-Q1, from the calendar slot), so a
 *   slot run twice (catch-up, another instance) finds the round it made.
 * - `inventory_checks`: `_id` `<tenantKey>:<round id>:<custodian>` — one per custodian and round,
 *   holding the carriers listed on their card (a snapshot: what they were asked to confirm).
 *   `pending` → `confirmed` by one conditional update, so a double click or two instances record
 *   the confirmation once. A missing report claims its carriers by one conditional update too
 *   (`missing` must not hold any of them yet): each carrier is reported once per round, and the
 *   report's key (a digest of its numbers) is the incident's source key. `incidentId` is kept on the
 *   report once the incident is open, `refused` (why, when) once the incidents feature refused it.
 * - Metadata only: numbers, aliases, levels, statuses, people, dates.
 */
import { createHash } from 'node:crypto';
import { Schema, type Connection, type Model } from 'mongoose';
import { nonEmpty } from './chain.js';

export interface InventoryRound {
  /** `${tenantKey}:${id}` */
  _id: string;
  tenantKey: string;
  /** INV-2027-Q1 */
  id: string;
  slot: Date;
  startedAt: Date;
  /** When those who have not confirmed are reminded. */
  remindAt: Date;
  custodians: number;
  carriers: number;
  /** Carriers held with no custodian on the register (nobody could be asked). */
  unassigned: string[];
}

export interface InventoryItem {
  number: string;
  alias: string;
  level: string;
  status: string;
}

export interface MissingReport {
  numbers: string[];
  at: Date;
  incidentId?: string;
  /**
   * The incidents feature refused to open the incident (e.g. a carrier's status changed since the
   * card was sent): why, in both languages. Permanent: nobody retries it; the security office is told.
   */
  refused?: MissingRefusal;
}

export interface MissingRefusal {
  at: Date;
  /** The refusal's code (the incidents feature's error key). */
  code: string;
  reason: { zh: string; en: string };
}

export type CheckState = 'pending' | 'confirmed';

export interface InventoryCheck {
  /** `${tenantKey}:${roundId}:${custodianId}` */
  _id: string;
  tenantKey: string;
  roundId: string;
  custodianId: string;
  items: InventoryItem[];
  state: CheckState;
  createdAt: Date;
  confirmedAt?: Date;
  /** Numbers reported missing in this round. */
  missing: string[];
  /** The missing reports, by key (a digest of their numbers). */
  reports: Record<string, MissingReport>;
}

const roundSchema = new Schema(
  {
    _id: { type: String, required: true },
    tenantKey: { type: String, required: true },
    id: { type: String, required: true },
    slot: { type: Date, required: true },
    startedAt: { type: Date, required: true },
    remindAt: { type: Date, required: true },
    custodians: { type: Number, required: true },
    carriers: { type: Number, required: true },
    unassigned: { type: [String], default: [] },
  },
  { versionKey: false, collection: 'inventory_rounds' },
);
// latestRound (/inventory): a tenant's newest round.
roundSchema.index({ tenantKey: 1, slot: -1 });

const checkSchema = new Schema(
  {
    _id: { type: String, required: true },
    tenantKey: { type: String, required: true },
    roundId: { type: String, required: true },
    custodianId: { type: String, required: true },
    items: { type: [Schema.Types.Mixed], default: [] },
    state: { type: String, enum: ['pending', 'confirmed'], required: true },
    createdAt: { type: Date, required: true },
    confirmedAt: { type: Date },
    missing: { type: [String], default: [] },
    reports: { type: Schema.Types.Mixed, default: {} },
  },
  { versionKey: false, collection: 'inventory_checks', minimize: false },
);
// checksOf (/inventory progress, the 7-day reminder): one round's checks, by state.
checkSchema.index({ tenantKey: 1, roundId: 1, state: 1 });

const isDuplicate = (err: unknown) => (err as { code?: number }).code === 11000;

/** The key of a missing report: a digest of its numbers (sorted), stable across retries. */
export function reportKey(numbers: readonly string[]): string {
  return createHash('sha256')
    .update([...numbers].sort().join('\n'))
    .digest('hex')
    .slice(0, 16);
}

export type ConfirmResult = 'confirmed' | 'already' | 'not_found';
export type MissingResult =
  | { outcome: 'reported'; key: string; numbers: string[] }
  | { outcome: 'nothing_new' }
  | { outcome: 'confirmed' }
  | { outcome: 'not_listed'; numbers: string[] }
  | { outcome: 'not_found' };

export class InventoryStore {
  private readonly rounds: Model<InventoryRound>;
  private readonly checks: Model<InventoryCheck>;

  constructor(conn: Connection) {
    this.rounds = (conn.models.InventoryRound as Model<InventoryRound> | undefined) ?? conn.model<InventoryRound>('InventoryRound', roundSchema);
    this.checks = (conn.models.InventoryCheck as Model<InventoryCheck> | undefined) ?? conn.model<InventoryCheck>('InventoryCheck', checkSchema);
  }

  async init(): Promise<void> {
    await Promise.all([this.rounds.createIndexes(), this.checks.createIndexes()]);
  }

  /** Stores a round unless it exists; returns the stored one. */
  async createRound(r: Omit<InventoryRound, '_id'>): Promise<{ round: InventoryRound; created: boolean }> {
    nonEmpty('tenantKey', r.tenantKey);
    nonEmpty('id', r.id);
    const doc: InventoryRound = { _id: `${r.tenantKey}:${r.id}`, ...r };
    try {
      await this.rounds.collection.insertOne(doc as never);
      return { round: doc, created: true };
    } catch (err) {
      if (!isDuplicate(err)) throw err;
    }
    const existing = await this.getRound(r.tenantKey, r.id);
    if (!existing) throw new Error(`inventory round ${r.id}: duplicate on insert but not found`);
    return { round: existing, created: false };
  }

  async getRound(tenantKey: string, id: string): Promise<InventoryRound | null> {
    return this.rounds.findById(`${tenantKey}:${id}`).lean<InventoryRound>();
  }

  async latestRound(tenantKey: string): Promise<InventoryRound | null> {
    return this.rounds.findOne({ tenantKey }).sort({ slot: -1 }).lean<InventoryRound>();
  }

  /** Stores a custodian's check unless it exists (the first snapshot stays); returns the stored one. */
  async createCheck(c: Omit<InventoryCheck, '_id' | 'state' | 'missing' | 'reports'>): Promise<{ check: InventoryCheck; created: boolean }> {
    nonEmpty('tenantKey', c.tenantKey);
    nonEmpty('custodianId', c.custodianId);
    const doc: InventoryCheck = { _id: `${c.tenantKey}:${c.roundId}:${c.custodianId}`, ...c, state: 'pending', missing: [], reports: {} };
    try {
      await this.checks.collection.insertOne(doc as never);
      return { check: doc, created: true };
    } catch (err) {
      if (!isDuplicate(err)) throw err;
    }
    const existing = await this.getCheck(c.tenantKey, c.roundId, c.custodianId);
    if (!existing) throw new Error(`inventory check ${doc._id}: duplicate on insert but not found`);
    return { check: existing, created: false };
  }

  async getCheck(tenantKey: string, roundId: string, custodianId: string): Promise<InventoryCheck | null> {
    return this.checks.findById(`${tenantKey}:${roundId}:${custodianId}`).lean<InventoryCheck>();
  }

  /** A round's checks (all, or those in one state), by custodian. */
  async checksOf(tenantKey: string, roundId: string, state?: CheckState): Promise<InventoryCheck[]> {
    return this.checks
      .find({ tenantKey, roundId, ...(state ? { state } : {}) })
      .sort({ custodianId: 1 })
      .lean<InventoryCheck[]>();
  }

  /** The custodian confirms (the rest of) their carriers as held: once (one conditional update). */
  async confirm(tenantKey: string, roundId: string, custodianId: string, at: Date): Promise<ConfirmResult> {
    const id = `${tenantKey}:${roundId}:${custodianId}`;
    const r = await this.checks.updateOne({ _id: id, state: 'pending' }, { $set: { state: 'confirmed', confirmedAt: at } });
    if (r.modifiedCount === 1) return 'confirmed';
    return (await this.checks.exists({ _id: id })) ? 'already' : 'not_found';
  }

  /**
   * Reports carriers of the check missing: those not reported yet are claimed in one conditional
   * update (none of them may be in `missing` already), so of a double click or two instances one
   * report records each carrier. Numbers not on the check are refused. Only while pending.
   */
  async reportMissing(tenantKey: string, roundId: string, custodianId: string, numbers: readonly string[], at: Date): Promise<MissingResult> {
    const id = `${tenantKey}:${roundId}:${custodianId}`;
    for (let attempt = 0; attempt < 10; attempt++) {
      const check = await this.checks.findById(id).lean<InventoryCheck>();
      if (!check) return { outcome: 'not_found' };
      const listed = new Set(check.items.map((i) => i.number));
      const notListed = numbers.filter((n) => !listed.has(n));
      if (notListed.length) return { outcome: 'not_listed', numbers: notListed };
      if (check.state !== 'pending') return { outcome: 'confirmed' };
      const fresh = [...new Set(numbers)].filter((n) => !check.missing.includes(n)).sort();
      if (fresh.length === 0) return { outcome: 'nothing_new' };
      const key = reportKey(fresh);
      const report: MissingReport = { numbers: fresh, at };
      const r = await this.checks.updateOne({ _id: id, state: 'pending', missing: { $nin: fresh } }, {
        $push: { missing: { $each: fresh } },
        $set: { [`reports.${key}`]: report },
      } as never);
      if (r.modifiedCount === 1) return { outcome: 'reported', key, numbers: fresh };
    }
    throw new Error(`inventory check ${id}: could not record the missing report (too much contention)`);
  }

  /** Records that the incidents feature refused a report's incident (once: the first refusal stays). */
  async setRefused(tenantKey: string, roundId: string, custodianId: string, key: string, refusal: MissingRefusal): Promise<boolean> {
    const r = await this.checks.updateOne(
      {
        _id: `${tenantKey}:${roundId}:${custodianId}`,
        [`reports.${key}`]: { $exists: true },
        [`reports.${key}.incidentId`]: { $exists: false },
        [`reports.${key}.refused`]: { $exists: false },
      },
      { $set: { [`reports.${key}.refused`]: refusal } },
    );
    return r.modifiedCount === 1;
  }

  /** Records the incident a missing report opened. */
  async setIncident(tenantKey: string, roundId: string, custodianId: string, key: string, incidentId: string): Promise<void> {
    await this.checks.updateOne({ _id: `${tenantKey}:${roundId}:${custodianId}`, [`reports.${key}`]: { $exists: true } }, { $set: { [`reports.${key}.incidentId`]: incidentId } });
  }
}
