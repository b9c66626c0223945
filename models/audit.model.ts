/**
 * The audit log: every action — also refused ones worth keeping, and admin role changes — as an
 * append-only record, hash-chained per tenant with the same mechanism as the ledgers (`chain.ts`).
 * Metadata only: digests of before/after states, never their content.
 */
import { Schema, type Connection, type Model } from 'mongoose';
import { toPlainJson, type JsonObject } from './canonical.js';
import { EffectKeyConflictError, guardAppendOnly, HashChain, MAX_PAGE, nonEmpty, optionalString, validDate, type ChainLink, type Page, type VerifyResult } from './chain.js';

export const AUDIT_CHANNELS = ['card', 'command', 'system', 'admin'] as const;
export type AuditChannel = (typeof AUDIT_CHANNELS)[number];
export const AUDIT_OUTCOMES = ['ok', 'refused'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

export interface AuditInput {
  /** When it happened; defaults to now. */
  at?: Date;
  actorId: string;
  /** e.g. 'request.approve', 'role.grant' */
  action: string;
  objectType: string;
  objectId: string;
  channel: AuditChannel;
  outcome: AuditOutcome;
  /** Why it was refused, or a short note; never classified content. */
  reason?: string;
  /** `digestOf(state)` before and after (canonical.ts). */
  beforeDigest?: string;
  afterDigest?: string;
  /** Makes the record idempotent: a replay returns the record already written. */
  effectKey?: string;
  /** Metadata only, stored as plain JSON (dates as ISO strings). */
  details?: Record<string, unknown>;
}

export interface AuditRecord extends ChainLink {
  tenantKey: string;
  at: Date;
  actorId: string;
  action: string;
  objectType: string;
  objectId: string;
  channel: AuditChannel;
  outcome: AuditOutcome;
  reason?: string;
  beforeDigest?: string;
  afterDigest?: string;
  effectKey?: string;
  details?: JsonObject;
}

export interface AuditFilter {
  objectId?: string;
  actorId?: string;
  /** at ≥ from */
  from?: Date;
  /** at < to */
  to?: Date;
}

/** Every stored field enters the hash except `hash` itself. */
const HASHED = [
  'tenantKey',
  'seq',
  'at',
  'actorId',
  'action',
  'objectType',
  'objectId',
  'channel',
  'outcome',
  'reason',
  'beforeDigest',
  'afterDigest',
  'effectKey',
  'details',
  'prevHash',
] as const;

const auditSchema = new Schema(
  {
    tenantKey: { type: String, required: true },
    seq: { type: Number, required: true },
    at: { type: Date, required: true },
    actorId: { type: String, required: true },
    action: { type: String, required: true },
    objectType: { type: String, required: true },
    objectId: { type: String, required: true },
    channel: { type: String, enum: AUDIT_CHANNELS, required: true },
    outcome: { type: String, enum: AUDIT_OUTCOMES, required: true },
    reason: { type: String },
    beforeDigest: { type: String },
    afterDigest: { type: String },
    effectKey: { type: String },
    details: { type: Schema.Types.Mixed },
    prevHash: { type: String, required: true },
    hash: { type: String, required: true },
  },
  // minimize: false keeps empty objects inside details; strict 'throw' refuses unhashed strays.
  { versionKey: false, collection: 'audit_log', minimize: false, strict: 'throw' },
);
// Chain order: head lookup on record (seq desc), verify and pagination (seq asc). Unique: two
// writers that read the same head cannot both insert the next seq.
auditSchema.index({ tenantKey: 1, seq: 1 }, { unique: true });
// Idempotency: record looks the effect key up; unique among records that have one (an equality
// query on effectKey implies $exists, so the planner can use this partial index).
auditSchema.index({ tenantKey: 1, effectKey: 1 }, { unique: true, partialFilterExpression: { effectKey: { $exists: true } } });
// list({objectId}): the history of one request / carrier / person, in seq order.
auditSchema.index({ tenantKey: 1, objectId: 1, seq: 1 });
// list({actorId}): what one person did, in seq order.
auditSchema.index({ tenantKey: 1, actorId: 1, seq: 1 });
// list({from, to}): date-range queries and exports.
auditSchema.index({ tenantKey: 1, at: 1 });
// LedgerReader (/ledger audit status=refused): refused or accepted actions, newest first.
auditSchema.index({ tenantKey: 1, outcome: 1, seq: 1 });
guardAppendOnly(auditSchema, 'the audit log is append-only');

function oneOf<T extends string>(name: string, allowed: readonly T[], v: unknown): T {
  if (!allowed.includes(v as T)) throw new TypeError(`${name} must be one of ${allowed.join(', ')}`);
  return v as T;
}

export class AuditLogStore {
  private readonly model: Model<AuditRecord>;
  private readonly chain: HashChain<AuditRecord>;

  constructor(
    conn: Connection,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.model = (conn.models.AuditRecord as Model<AuditRecord> | undefined) ?? conn.model<AuditRecord>('AuditRecord', auditSchema);
    this.chain = new HashChain(this.model, { label: 'audit log', hashed: HASHED });
  }

  async init(): Promise<void> {
    await this.model.createIndexes();
  }

  /** Appends one record; with an effectKey, exactly once (a replay returns `created: false`). */
  async record(tenantKey: string, input: AuditInput): Promise<{ record: AuditRecord; created: boolean }> {
    nonEmpty('tenantKey', tenantKey);
    const fields: Omit<AuditRecord, keyof ChainLink> = {
      tenantKey,
      at: validDate('at', input.at ?? this.now()),
      actorId: nonEmpty('actorId', input.actorId),
      action: nonEmpty('action', input.action),
      objectType: nonEmpty('objectType', input.objectType),
      objectId: nonEmpty('objectId', input.objectId),
      channel: oneOf('channel', AUDIT_CHANNELS, input.channel),
      outcome: oneOf('outcome', AUDIT_OUTCOMES, input.outcome),
    };
    for (const f of ['reason', 'beforeDigest', 'afterDigest', 'effectKey'] as const) {
      const v = optionalString(f, input[f]);
      if (v !== undefined) fields[f] = v;
    }
    if (input.details !== undefined && input.details !== null) {
      const details = toPlainJson(input.details);
      if (details === null || typeof details !== 'object' || Array.isArray(details)) throw new TypeError('details must be a plain object');
      fields.details = details;
    }
    const effect = fields.effectKey === undefined ? undefined : { tenantKey, effectKey: fields.effectKey };
    const { doc, created } = await this.chain.append({ tenantKey }, effect, fields);
    if (!created) {
      for (const f of ['action', 'objectId'] as const) {
        if (doc[f] !== fields[f]) throw new EffectKeyConflictError('audit log', fields.effectKey!, doc.seq, f);
      }
    }
    return { record: doc, created };
  }

  /** Walks the tenant's audit chain and names the first broken link. */
  async verify(tenantKey: string): Promise<VerifyResult> {
    return this.chain.verify({ tenantKey: nonEmpty('tenantKey', tenantKey) });
  }

  /** One page of records in seq order; `nextAfterSeq` is set when more may follow. */
  async list(tenantKey: string, filter: AuditFilter = {}, page: Page = { limit: MAX_PAGE }): Promise<{ records: AuditRecord[]; nextAfterSeq?: number }> {
    const q: Record<string, unknown> = { tenantKey: nonEmpty('tenantKey', tenantKey) };
    if (filter.objectId !== undefined) q.objectId = nonEmpty('objectId', filter.objectId);
    if (filter.actorId !== undefined) q.actorId = nonEmpty('actorId', filter.actorId);
    const { entries, nextAfterSeq } = await this.chain.page(q, 'at', filter, page);
    return nextAfterSeq === undefined ? { records: entries } : { records: entries, nextAfterSeq };
  }
}
