/**
 * The registers (台账): append-only, hash-chained, one chain per (tenant, ledger).
 *
 * Entries carry metadata only (docs/design.md §1.1): numbers, people, counts, dates and the kind's
 * columns of docs/domain.md §6.5 in `data`. There is no update or delete API, and the schema refuses
 * mutations through the model; `verify` detects any made around it. See `chain.ts` for how
 * appends stay exactly-once and gap-free without transactions.
 */
import { Schema, type Connection, type Model } from 'mongoose';
import { toPlainJson, type JsonObject } from './canonical.js';
import { EffectKeyConflictError, guardAppendOnly, HashChain, MAX_PAGE, nonEmpty, optionalString, validDate, type ChainLink, type Page, type VerifyResult } from './chain.js';

export { EffectKeyConflictError, MAX_PAGE, type Page, type VerifyResult } from './chain.js';

/** INCIDENT: the leak incidents' steps (handlers/incidents), one entry per step. */
export const LEDGERS = ['MASTER', 'COPY', 'CARRY', 'DESTROY', 'RECEIVE_SEND', 'KNOWLEDGE', 'INCIDENT'] as const;
export type Ledger = (typeof LEDGERS)[number];

/** What a caller appends; `tenantKey`, `ledger`, `seq`, hashes and `recordedAt` are added here. */
export interface LedgerEntryInput {
  /** Idempotency key from the workflow, e.g. 'CP-2026-0001:5:ledger:0'. Unique per tenant. */
  effectKey: string;
  /** REGISTERED | COPIED | CHECKED_OUT | RETURNED | INSPECTED | DESTROYED | … */
  event: string;
  carrierNumber?: string;
  requestId?: string;
  actorId: string;
  counterpartIds?: string[];
  quantity?: number;
  occurredAt: Date;
  /** The kind's columns (docs/domain.md §6.5) as plain JSON; dates inside are stored as ISO strings. */
  data: Record<string, unknown>;
}

export interface LedgerEntry extends ChainLink {
  tenantKey: string;
  ledger: Ledger;
  effectKey: string;
  event: string;
  carrierNumber?: string;
  requestId?: string;
  actorId: string;
  counterpartIds?: string[];
  quantity?: number;
  occurredAt: Date;
  data: JsonObject;
  /** When the server wrote the entry; bookkeeping, not hashed. */
  recordedAt: Date;
}

export interface LedgerFilter {
  /** occurredAt ≥ from */
  from?: Date;
  /** occurredAt < to */
  to?: Date;
  carrierNumber?: string;
  requestId?: string;
  event?: string;
  actorId?: string;
}

/** Every field except `hash` and `recordedAt` enters the hash (including `effectKey`). */
const HASHED = [
  'tenantKey',
  'ledger',
  'seq',
  'effectKey',
  'event',
  'carrierNumber',
  'requestId',
  'actorId',
  'counterpartIds',
  'quantity',
  'occurredAt',
  'data',
  'prevHash',
] as const;

const ledgerSchema = new Schema(
  {
    tenantKey: { type: String, required: true },
    ledger: { type: String, enum: LEDGERS, required: true },
    seq: { type: Number, required: true },
    effectKey: { type: String, required: true },
    event: { type: String, required: true },
    carrierNumber: { type: String },
    requestId: { type: String },
    actorId: { type: String, required: true },
    // No default []: an absent list must stay absent, or the entry would hash differently.
    counterpartIds: { type: [String], default: undefined },
    quantity: { type: Number },
    occurredAt: { type: Date, required: true },
    data: { type: Schema.Types.Mixed, required: true },
    prevHash: { type: String, required: true },
    hash: { type: String, required: true },
    recordedAt: { type: Date, required: true },
  },
  // minimize: false keeps empty objects inside data; strict 'throw' refuses unhashed strays.
  { versionKey: false, collection: 'ledger_entries', minimize: false, strict: 'throw' },
);
// Chain order: head lookup on append (seq desc), verify and pagination (seq asc). Unique: two
// writers that read the same head cannot both insert the next seq.
ledgerSchema.index({ tenantKey: 1, ledger: 1, seq: 1 }, { unique: true });
// Idempotency: append looks the effect key up; unique so a replayed effect is written once.
ledgerSchema.index({ tenantKey: 1, effectKey: 1 }, { unique: true });
// list({carrierNumber}): a carrier's history in one ledger, in seq order.
ledgerSchema.index({ tenantKey: 1, ledger: 1, carrierNumber: 1, seq: 1 });
// list({requestId}): everything one request registered, in seq order.
ledgerSchema.index({ tenantKey: 1, ledger: 1, requestId: 1, seq: 1 });
// list({actorId}): what one person registered, in seq order.
ledgerSchema.index({ tenantKey: 1, ledger: 1, actorId: 1, seq: 1 });
// list({from, to}): date-range queries and exports.
ledgerSchema.index({ tenantKey: 1, ledger: 1, occurredAt: 1 });
// LedgerReader.page/count/stream (/ledger, /export) with dept=: a department's entries, newest first.
ledgerSchema.index({ tenantKey: 1, ledger: 1, 'data.deptId': 1, seq: 1 });
// LedgerReader with level=: one level's entries, newest first.
ledgerSchema.index({ tenantKey: 1, ledger: 1, 'data.level': 1, seq: 1 });
// LedgerReader with status= (an event: CHECKED_OUT, OVERDUE…).
ledgerSchema.index({ tenantKey: 1, ledger: 1, event: 1, seq: 1 });
// LedgerReader with user= (PERSON_FIELD): the requester (COPY), the carrier person (CARRY), the
// custodian (DESTROY), the reporter (INCIDENT). Partial: an equality query on the field implies it exists.
ledgerSchema.index({ tenantKey: 1, ledger: 1, 'data.requesterId': 1, seq: 1 }, { partialFilterExpression: { 'data.requesterId': { $exists: true } } });
ledgerSchema.index({ tenantKey: 1, ledger: 1, 'data.carrierPersonId': 1, seq: 1 }, { partialFilterExpression: { 'data.carrierPersonId': { $exists: true } } });
ledgerSchema.index({ tenantKey: 1, ledger: 1, 'data.custodianId': 1, seq: 1 }, { partialFilterExpression: { 'data.custodianId': { $exists: true } } });
ledgerSchema.index({ tenantKey: 1, ledger: 1, 'data.reporterId': 1, seq: 1 }, { partialFilterExpression: { 'data.reporterId': { $exists: true } } });
guardAppendOnly(ledgerSchema, 'ledgers are append-only');

function ledgerName(v: unknown): Ledger {
  if (!LEDGERS.includes(v as Ledger)) throw new TypeError(`unknown ledger ${String(v)}`);
  return v as Ledger;
}

/**
 * Builds the stored fields from caller input, exactly as MongoDB will give them back: strings
 * checked (no silent casting), optional fields absent rather than null or empty, data as plain
 * JSON. Anything else would hash differently after a round trip.
 */
function entryFields(input: LedgerEntryInput): Omit<LedgerEntry, 'tenantKey' | 'ledger' | keyof ChainLink | 'recordedAt'> {
  const data = toPlainJson(input.data);
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new TypeError('data must be a plain object');
  const out: Omit<LedgerEntry, 'tenantKey' | 'ledger' | keyof ChainLink | 'recordedAt'> = {
    effectKey: nonEmpty('effectKey', input.effectKey),
    event: nonEmpty('event', input.event),
    actorId: nonEmpty('actorId', input.actorId),
    occurredAt: validDate('occurredAt', input.occurredAt),
    data,
  };
  const carrierNumber = optionalString('carrierNumber', input.carrierNumber);
  if (carrierNumber !== undefined) out.carrierNumber = carrierNumber;
  const requestId = optionalString('requestId', input.requestId);
  if (requestId !== undefined) out.requestId = requestId;
  if (input.counterpartIds !== undefined && input.counterpartIds !== null) {
    if (!Array.isArray(input.counterpartIds)) throw new TypeError('counterpartIds must be an array of strings');
    const ids = input.counterpartIds.map((id, i) => nonEmpty(`counterpartIds[${i}]`, id));
    if (ids.length > 0) out.counterpartIds = ids;
  }
  if (input.quantity !== undefined && input.quantity !== null) {
    if (typeof input.quantity !== 'number' || !Number.isFinite(input.quantity)) throw new TypeError('quantity must be a finite number');
    out.quantity = Object.is(input.quantity, -0) ? 0 : input.quantity;
  }
  return out;
}

export class LedgerStore {
  private readonly model: Model<LedgerEntry>;
  private readonly chain: HashChain<LedgerEntry>;

  constructor(
    conn: Connection,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.model = (conn.models.LedgerEntry as Model<LedgerEntry> | undefined) ?? conn.model<LedgerEntry>('LedgerEntry', ledgerSchema);
    this.chain = new HashChain(this.model, { label: 'ledger', hashed: HASHED });
  }

  async init(): Promise<void> {
    await this.model.createIndexes();
  }

  /**
   * Appends `input` to `ledger` exactly once: a second append with the same effect key (also
   * concurrent, also after a crash) returns the entry already written with `created: false`.
   */
  async append(tenantKey: string, ledger: Ledger, input: LedgerEntryInput): Promise<{ entry: LedgerEntry; created: boolean }> {
    nonEmpty('tenantKey', tenantKey);
    ledgerName(ledger);
    const fields = entryFields(input);
    const { doc, created } = await this.chain.append({ tenantKey, ledger }, { tenantKey, effectKey: fields.effectKey }, { ...fields, tenantKey, ledger, recordedAt: this.now() });
    if (!created) {
      for (const field of ['ledger', 'event', 'carrierNumber', 'requestId'] as const) {
        const wanted = field === 'ledger' ? ledger : fields[field];
        if (doc[field] !== wanted) throw new EffectKeyConflictError('ledger', fields.effectKey, doc.seq, `${field} (in ${doc.ledger})`);
      }
    }
    return { entry: doc, created };
  }

  /** Walks the chain and names the first broken link (see VerifyResult). */
  async verify(tenantKey: string, ledger: Ledger): Promise<VerifyResult> {
    nonEmpty('tenantKey', tenantKey);
    return this.chain.verify({ tenantKey, ledger: ledgerName(ledger) });
  }

  /** The last entry's seq and hash (to anchor a chain externally), or null when empty. */
  async head(tenantKey: string, ledger: Ledger): Promise<{ seq: number; hash: string } | null> {
    nonEmpty('tenantKey', tenantKey);
    const head = await this.chain.head({ tenantKey, ledger: ledgerName(ledger) });
    return head && { seq: head.seq, hash: head.hash };
  }

  /** The entry written for `effectKey`, if any. */
  async findByEffectKey(tenantKey: string, effectKey: string): Promise<LedgerEntry | null> {
    return this.chain.byEffectKey(nonEmpty('tenantKey', tenantKey), nonEmpty('effectKey', effectKey));
  }

  /** One page of entries in seq order; `nextAfterSeq` is set when more may follow. */
  async list(tenantKey: string, ledger: Ledger, filter: LedgerFilter = {}, page: Page = { limit: MAX_PAGE }): Promise<{ entries: LedgerEntry[]; nextAfterSeq?: number }> {
    const q: Record<string, unknown> = { tenantKey: nonEmpty('tenantKey', tenantKey), ledger: ledgerName(ledger) };
    if (filter.carrierNumber !== undefined) q.carrierNumber = nonEmpty('carrierNumber', filter.carrierNumber);
    if (filter.requestId !== undefined) q.requestId = nonEmpty('requestId', filter.requestId);
    if (filter.event !== undefined) q.event = nonEmpty('event', filter.event);
    if (filter.actorId !== undefined) q.actorId = nonEmpty('actorId', filter.actorId);
    const { entries, nextAfterSeq } = await this.chain.page(q, 'occurredAt', filter, page);
    return nextAfterSeq === undefined ? { entries } : { entries, nextAfterSeq };
  }
}
