/**
 * Leak incidents (泄密事件, docs/domain.md §5; DOMAIN §6.2 Incident): facts only — what kind, when
 * and where it was discovered, who found and who reported it, the carriers by number, level,
 * quantity, the measures taken, the 24-hour external report (when, to whom), the result report
 * (when), status updates, and for a lost carrier the 10-day / 60-day countdown. Never content.
 *
 * - **Once per source**: `sourceKey` (the command's delivery, the form's nonce, the approval's
 *   effect key, the register's inventory) is unique per tenant, so opening again finds the same
 *   incident.
 * - **Each step once**: every step is one conditional update from the state it requires, and
 *   records the source that made it (`external.key`, `result.key` …): a redelivery of that same
 *   source sees its own step and carries on with the follow-ups (ledger, alarms, notices, each
 *   idempotent), anything else is refused as already done.
 */
import { Schema, type Connection, type Model } from 'mongoose';
import type { Level } from '../domain/index.js';
import { nonEmpty } from './chain.js';

export const INCIDENT_KINDS = ['LEAK', 'POSSIBLE_LEAK', 'LOST_CARRIER', 'VIOLATION'] as const;
export type IncidentKind = (typeof INCIDENT_KINDS)[number];

/** DRAFT (from an approval's failed attestation) → OPEN → REPORTED → CLOSED; a draft may be DISMISSED. */
export const INCIDENT_STATUSES = ['DRAFT', 'OPEN', 'REPORTED', 'CLOSED', 'DISMISSED'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

/** A step, by whom and from which source (the key lets a redelivery recognise its own step). */
export interface IncidentStep {
  by: string;
  at: Date;
  key: string;
}

export interface CarrierBefore {
  number: string;
  status: string;
  /** The request that held it (custody), restored when the carrier is found. */
  requestId?: string;
}

export interface MissingCountdown {
  since: Date;
  deadline: Date;
  days: number;
  /** The carriers' register status before they were reported missing. */
  before: CarrierBefore[];
  outcome?: 'found' | 'leak';
  outcomeAt?: Date;
}

export interface IncidentUpdate {
  at: Date;
  by: string;
  text: string;
  key: string;
}

export interface Incident {
  /** `${tenantKey}:${id}` */
  _id: string;
  tenantKey: string;
  /** INC-YYYY-NNNN */
  id: string;
  sourceKey: string;
  kind: IncidentKind;
  status: IncidentStatus;
  discoveredAt: Date;
  place?: string;
  foundBy?: string;
  reporterId: string;
  carriers: string[];
  level?: Level;
  quantity?: number;
  /** What was done so far (no content). */
  measures?: string;
  /** When the 24-hour external report clock started (absent while a lost carrier is searched for). */
  clockStart?: Date;
  /** The 24-hour report to the 保密局 / superior, as recorded. */
  external?: IncidentStep & { reportedAt: Date; to: string };
  /** The result report is due by then (3 months after the clock started). */
  resultDueAt?: Date;
  result?: IncidentStep & { on: string };
  missing?: MissingCountdown;
  /** An approval's failed supervision check that opened this as a draft. */
  draft?: { requestId: string; reason: string; note?: string; effectKey: string };
  confirmed?: IncidentStep;
  dismissed?: IncidentStep & { reason: string };
  closed?: IncidentStep;
  updates: IncidentUpdate[];
  createdAt: Date;
  /** The last step's time. */
  updatedAt?: Date;
  /** Changes so far (for the cards). */
  revision: number;
}

export type IncidentInput = Omit<Incident, '_id' | 'updates' | 'revision'>;

const incidentSchema = new Schema(
  {
    _id: { type: String, required: true },
    tenantKey: { type: String, required: true },
    id: { type: String, required: true },
    sourceKey: { type: String, required: true },
    kind: { type: String, enum: INCIDENT_KINDS, required: true },
    status: { type: String, enum: INCIDENT_STATUSES, required: true },
    discoveredAt: { type: Date, required: true },
    place: { type: String },
    foundBy: { type: String },
    reporterId: { type: String, required: true },
    carriers: { type: [String], default: [] },
    level: { type: String },
    quantity: { type: Number },
    measures: { type: String },
    clockStart: { type: Date },
    external: { type: Schema.Types.Mixed },
    resultDueAt: { type: Date },
    result: { type: Schema.Types.Mixed },
    missing: { type: Schema.Types.Mixed },
    draft: { type: Schema.Types.Mixed },
    confirmed: { type: Schema.Types.Mixed },
    dismissed: { type: Schema.Types.Mixed },
    closed: { type: Schema.Types.Mixed },
    updates: { type: [Schema.Types.Mixed], default: [] },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date },
    revision: { type: Number, required: true },
  },
  { versionKey: false, collection: 'incidents', minimize: false },
);
// open(): one incident per source (a redelivered command, a second form submission, a replayed effect).
incidentSchema.index({ tenantKey: 1, sourceKey: 1 }, { unique: true });
// list(): a tenant's incidents, newest first.
incidentSchema.index({ tenantKey: 1, createdAt: -1 });

const isDuplicate = (err: unknown) => (err as { code?: number }).code === 11000;

export class IncidentStore {
  private readonly model: Model<Incident>;

  constructor(conn: Connection) {
    this.model = (conn.models.Incident as Model<Incident> | undefined) ?? conn.model<Incident>('Incident', incidentSchema);
  }

  async init(): Promise<void> {
    await this.model.createIndexes();
  }

  /** Stores a new incident; when its source made one already, returns that one. */
  async create(input: IncidentInput): Promise<{ incident: Incident; created: boolean }> {
    nonEmpty('tenantKey', input.tenantKey);
    nonEmpty('id', input.id);
    nonEmpty('sourceKey', input.sourceKey);
    const doc: Incident = { ...input, _id: `${input.tenantKey}:${input.id}`, updates: [], revision: 0 };
    for (const k of Object.keys(doc) as (keyof Incident)[]) if (doc[k] === undefined) delete doc[k];
    try {
      await this.model.collection.insertOne(doc as never);
      return { incident: doc, created: true };
    } catch (err) {
      if (!isDuplicate(err)) throw err;
      const existing = await this.bySource(input.tenantKey, input.sourceKey);
      if (!existing) throw err;
      return { incident: existing, created: false };
    }
  }

  async bySource(tenantKey: string, sourceKey: string): Promise<Incident | null> {
    return this.model.findOne({ tenantKey, sourceKey }).lean<Incident>();
  }

  async get(tenantKey: string, id: string): Promise<Incident | null> {
    return this.model.findById(`${tenantKey}:${id}`).lean<Incident>();
  }

  async list(tenantKey: string, limit = 20): Promise<Incident[]> {
    return this.model.find({ tenantKey }).sort({ createdAt: -1 }).limit(limit).lean<Incident[]>();
  }

  /**
   * One step: the update applies only when the incident matches `when` (the state the step
   * requires); returns the incident after it, or null when it did not match.
   */
  async step(tenantKey: string, id: string, when: Record<string, unknown>, set: Record<string, unknown>, push?: { updates: IncidentUpdate }): Promise<Incident | null> {
    return this.model
      .findOneAndUpdate({ _id: `${tenantKey}:${id}`, ...when }, { $set: set, $inc: { revision: 1 }, ...(push ? { $push: push } : {}) }, { returnDocument: 'after' })
      .lean<Incident>();
  }
}
