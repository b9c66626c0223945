/**
 * The carrier register (载体台账, master data): one document per carrier, metadata only
 * (docs/design.md §1.1: number, level, type, counts, people, status; the title is an alias). The MASTER
 * ledger entries about these carriers are written by the ledger store, not here.
 *
 * Numbers (保密编号) are stored as entered (trimmed) and compared case- and width-insensitively:
 * `numberKey` = NFKC + upper case is what is unique per tenant and what every lookup uses. People
 * type numbers into chat on phones and with Chinese IMEs ("jm-001", "ＪＭ－００１"); two labels
 * that differ only in case or width would be indistinguishable on paper, so they must not name
 * two carriers. Whitespace is refused inside a number (commands split arguments on it).
 */
import { Schema, type Connection, type Model } from 'mongoose';
import {
  CARRIER_STATUSES,
  isIsoDate,
  isLevel,
  regimeOf,
  type Carrier,
  type CarrierFilter,
  type CarrierInput,
  type ClaimOptions,
  type ClaimResult,
  type RegisterStatus,
  type SetStatusResult,
} from '../domain/index.js';
import { nonEmpty } from './chain.js';

export { CARRIER_STATUSES, CARRIER_TYPES } from '../domain/index.js';
export type { Carrier, CarrierFilter, CarrierInput, CarrierOrigin, ClaimResult, RegisterStatus, SetStatusResult } from '../domain/index.js';

export const MAX_CARRIER_PAGE = 100;
const MAX_NUMBER_LENGTH = 64;

/** Copy numbers reserved for one request on its original (see reserveCopyNumbers). */
interface CopyBlock {
  requestId: string;
  first: number;
  count: number;
}

const carrierSchema = new Schema(
  {
    tenantKey: { type: String, required: true },
    number: { type: String, required: true },
    numberKey: { type: String, required: true },
    regime: { type: String, enum: ['STATE_SECRET', 'TRADE_SECRET'], required: true },
    level: { type: String, required: true },
    carrierType: { type: String, required: true },
    alias: { type: String, required: true },
    period: { type: String },
    issuedOn: { type: String },
    issuer: { type: String },
    copyRestricted: { type: Boolean, required: true },
    mustReturnToIssuer: { type: Boolean, required: true },
    pages: { type: Number },
    count: { type: Number, required: true },
    custodianId: { type: String },
    location: { type: String },
    status: { type: String, enum: CARRIER_STATUSES, required: true },
    statusRequestId: { type: String },
    // The attempt that made the current custody claim (claim/release tokens; see claim()).
    statusClaim: { type: String },
    origin: { type: String, enum: ['registered', 'copied'], required: true },
    parentNumber: { type: String },
    sourceRequestId: { type: String },
    createdBy: { type: String, required: true },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
    version: { type: Number, required: true },
    // Copy numbering (reserveCopyNumbers): the highest n handed out for '<number>-C<n>', and which
    // request holds which block.
    copySeq: { type: Number },
    copyBlocks: { type: [{ requestId: String, first: Number, count: Number, _id: false }], default: undefined },
  },
  { versionKey: false, collection: 'carriers' },
);
// get/getMany/setStatus by number, list() without filters (keyset on numberKey), and
// nextCopyIndex (anchored prefix regex on numberKey). Unique: one carrier per number per tenant.
carrierSchema.index({ tenantKey: 1, numberKey: 1 }, { unique: true });
// list({status}): e.g. the monthly PENDING_DESTRUCTION list, keyset-paged by number.
carrierSchema.index({ tenantKey: 1, status: 1, numberKey: 1 });
// list({custodianId}): a custodian's carriers (quarterly self-check, departures), by number.
carrierSchema.index({ tenantKey: 1, custodianId: 1, numberKey: 1 });
// list({level}): carriers of one level, by number.
carrierSchema.index({ tenantKey: 1, level: 1, numberKey: 1 });

/** The comparison form of a carrier number: NFKC (full-width → ASCII) and upper case. */
export function carrierNumberKey(number: string): string {
  return number.trim().normalize('NFKC').toUpperCase();
}

function checkedNumber(name: string, v: unknown): string {
  const n = nonEmpty(name, typeof v === 'string' ? v.trim() : v);
  if (n.length > MAX_NUMBER_LENGTH) throw new TypeError(`${name} is longer than ${MAX_NUMBER_LENGTH} characters`);
  if (/[\s\u0000-\u001f\u007f]/u.test(n)) throw new TypeError(`${name} must not contain whitespace or control characters`);
  return n;
}

function optText(name: string, v: unknown, max = 100): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new TypeError(`${name} must be a string`);
  const t = v.trim();
  if (t.length > max) throw new TypeError(`${name} is longer than ${max} characters`);
  return t.length > 0 ? t : undefined;
}

/** 制发日期: a real calendar date YYYY-MM-DD, or absent. */
function issuedOn(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isIsoDate(v)) throw new TypeError('issuedOn must be a date YYYY-MM-DD');
  return v;
}

function status(v: unknown): RegisterStatus {
  if (!(CARRIER_STATUSES as readonly unknown[]).includes(v)) throw new TypeError(`unknown carrier status ${String(v)}`);
  return v as RegisterStatus;
}

function positiveInt(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new TypeError(`${name} must be a positive integer`);
  return v;
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Builds the stored document from caller input; throws TypeError naming the bad field. */
function carrierDoc(tenantKey: string, input: CarrierInput, now: Date): Carrier {
  if (typeof input !== 'object' || input === null) throw new TypeError('carrier input must be an object');
  const number = checkedNumber('number', input.number);
  if (!isLevel(input.level)) throw new TypeError(`unknown level ${String(input.level)}`);
  const regime = regimeOf(input.level);
  if (input.regime !== undefined && input.regime !== regime) throw new TypeError(`level ${input.level} is not of regime ${input.regime}`);
  const carrierType = optText('carrierType', input.carrierType, 32);
  if (carrierType === undefined) throw new TypeError('carrierType must be a non-empty string');
  const alias = optText('alias', input.alias, 100);
  if (alias === undefined) throw new TypeError('alias must be a non-empty string');
  const parentNumber = input.parentNumber === undefined ? undefined : checkedNumber('parentNumber', input.parentNumber);
  const doc: Carrier = {
    tenantKey,
    number,
    numberKey: carrierNumberKey(number),
    regime,
    level: input.level,
    carrierType,
    alias,
    copyRestricted: input.copyRestricted ?? false,
    mustReturnToIssuer: input.mustReturnToIssuer ?? false,
    count: input.count === undefined ? 1 : positiveInt('count', input.count),
    status: input.status === undefined ? 'IN_STOCK' : status(input.status),
    origin: input.origin ?? (parentNumber !== undefined ? 'copied' : 'registered'),
    createdBy: nonEmpty('createdBy', input.createdBy),
    createdAt: now,
    updatedAt: now,
    version: 0,
  };
  if (typeof doc.copyRestricted !== 'boolean' || typeof doc.mustReturnToIssuer !== 'boolean') {
    throw new TypeError('copyRestricted and mustReturnToIssuer must be booleans');
  }
  if (doc.origin !== 'registered' && doc.origin !== 'copied') throw new TypeError(`unknown origin ${String(doc.origin)}`);
  const optional = {
    period: optText('period', input.period, 32),
    issuedOn: issuedOn(input.issuedOn),
    issuer: optText('issuer', input.issuer),
    custodianId: optText('custodianId', input.custodianId, 128),
    location: optText('location', input.location),
    parentNumber,
    sourceRequestId: optText('sourceRequestId', input.sourceRequestId, 64),
    pages: input.pages === undefined ? undefined : positiveInt('pages', input.pages),
  };
  for (const [k, v] of Object.entries(optional)) if (v !== undefined) (doc as unknown as Record<string, unknown>)[k] = v;
  return doc;
}

/** What repositories hand out: the stored fields without mongoose's `_id`. */
function plain(doc: (Carrier & { _id?: unknown; copySeq?: unknown; copyBlocks?: unknown; statusClaim?: unknown }) | null): Carrier | null {
  if (!doc) return null;
  const { _id, copySeq, copyBlocks, statusClaim, ...rest } = doc;
  return rest;
}

const isDuplicate = (err: unknown) => (err as { code?: number }).code === 11000;

export class CarrierStore {
  private readonly model: Model<Carrier>;

  constructor(
    conn: Connection,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.model = (conn.models.Carrier as Model<Carrier> | undefined) ?? conn.model<Carrier>('Carrier', carrierSchema);
  }

  async init(): Promise<void> {
    await this.model.createIndexes();
  }

  /** Registers a carrier; a number already registered (ignoring case and width) → carrier.duplicate. */
  async create(tenantKey: string, input: CarrierInput): Promise<{ ok: true; carrier: Carrier } | { ok: false; code: 'carrier.duplicate' }> {
    nonEmpty('tenantKey', tenantKey);
    const doc = carrierDoc(tenantKey, input, this.now());
    try {
      await this.model.collection.insertOne({ ...doc });
      return { ok: true, carrier: doc };
    } catch (err) {
      if (isDuplicate(err)) return { ok: false, code: 'carrier.duplicate' };
      throw err;
    }
  }

  /**
   * Idempotent create for the copies an approved request registers: the same number again (a
   * replayed effect, a concurrent executor) returns the carrier already there with
   * `created: false`. The existing carrier is returned as is, even if someone registered that
   * number by hand; callers that care compare its `sourceRequestId`.
   */
  async createIfAbsent(tenantKey: string, input: CarrierInput): Promise<{ carrier: Carrier; created: boolean }> {
    nonEmpty('tenantKey', tenantKey);
    const doc = carrierDoc(tenantKey, input, this.now());
    try {
      await this.model.collection.insertOne({ ...doc });
      return { carrier: doc, created: true };
    } catch (err) {
      if (!isDuplicate(err)) throw err;
    }
    const existing = await this.get(tenantKey, doc.number);
    // Only a delete between our failed insert and this read gets here; no API deletes carriers.
    if (!existing) throw new Error(`carrier ${doc.number}: duplicate on insert but not found`);
    return { carrier: existing, created: false };
  }

  async get(tenantKey: string, number: string): Promise<Carrier | null> {
    nonEmpty('tenantKey', tenantKey);
    nonEmpty('number', number);
    return plain(await this.model.findOne({ tenantKey, numberKey: carrierNumberKey(number) }).lean<Carrier & { _id: unknown }>());
  }

  /** The carriers named, in the order asked (duplicates once), missing ones omitted. */
  async getMany(tenantKey: string, numbers: readonly string[]): Promise<Carrier[]> {
    nonEmpty('tenantKey', tenantKey);
    const keys = [...new Set(numbers.map((n) => carrierNumberKey(nonEmpty('number', n))))];
    if (keys.length === 0) return [];
    const docs = await this.model.find({ tenantKey, numberKey: { $in: keys } }).lean<(Carrier & { _id: unknown })[]>();
    const byKey = new Map(docs.map((d) => [d.numberKey, plain(d)!]));
    return keys.flatMap((k) => byKey.get(k) ?? []);
  }

  /** One page in number order; pass the previous page's `next` as `after`. */
  async list(tenantKey: string, filter: CarrierFilter = {}, page: { limit: number; after?: string }): Promise<{ items: Carrier[]; next?: string }> {
    nonEmpty('tenantKey', tenantKey);
    const { limit, after } = page;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_CARRIER_PAGE) throw new RangeError(`limit must be an integer in 1…${MAX_CARRIER_PAGE}`);
    const q: Record<string, unknown> = { tenantKey };
    if (filter.level !== undefined) q.level = filter.level;
    if (filter.status !== undefined) q.status = status(filter.status);
    if (filter.carrierType !== undefined) q.carrierType = filter.carrierType;
    if (filter.custodianId !== undefined) q.custodianId = filter.custodianId;
    if (after !== undefined) q.numberKey = { $gt: carrierNumberKey(after) };
    const text = filter.text?.trim();
    if (text) {
      // Regex on user text: escaped, and the number side compared in its key form.
      q.$or = [{ numberKey: { $regex: escapeRegex(carrierNumberKey(text)) } }, { alias: { $regex: escapeRegex(text), $options: 'i' } }];
    }
    const docs = await this.model
      .find(q)
      .sort({ numberKey: 1 })
      .limit(limit + 1)
      .lean<(Carrier & { _id: unknown })[]>();
    const items = docs.slice(0, limit).map((d) => plain(d)!);
    const last = items[items.length - 1];
    return docs.length > limit && last ? { items, next: last.number } : { items };
  }

  /**
   * Sets the status, idempotently:
   * - 'changed': it moved (from one of `expect` when given; and only from a status that request
   *   `expectRequestId` set, when given);
   * - 'unchanged': it already has this status and, when `requestId` is given, that request set
   *   it (a replayed effect);
   * - 'conflict': it is in a status not in `expect`, or not set by `expectRequestId`, or another
   *   request (or a manual change) set the status this request asks for — e.g. of two approved
   *   carry-outs of one carrier the second must not believe it holds it;
   * - 'missing': no such carrier.
   * `expectRequestId` protects releases: a carry-out's "back IN_STOCK" replayed after a crash,
   * once another request has checked the carrier out again, must not undo that check-out.
   */
  async setStatus(
    tenantKey: string,
    number: string,
    to: RegisterStatus | (string & {}),
    opts: { expect?: readonly string[]; requestId?: string; expectRequestId?: string } = {},
  ): Promise<SetStatusResult> {
    nonEmpty('tenantKey', tenantKey);
    nonEmpty('number', number);
    const target = status(to);
    const requestId = opts.requestId === undefined ? undefined : nonEmpty('requestId', opts.requestId);
    const expectRequestId = opts.expectRequestId === undefined ? undefined : nonEmpty('expectRequestId', opts.expectRequestId);
    const expect = opts.expect?.map(status);
    const numberKey = carrierNumberKey(number);
    const changed = await this.model
      .findOneAndUpdate(
        {
          tenantKey,
          numberKey,
          status: expect ? { $in: expect, $ne: target } : { $ne: target },
          ...(expectRequestId !== undefined ? { statusRequestId: expectRequestId } : {}),
        },
        {
          $set: { status: target, updatedAt: this.now(), ...(requestId !== undefined ? { statusRequestId: requestId } : {}) },
          ...(requestId === undefined ? { $unset: { statusRequestId: 1 } } : {}),
          $inc: { version: 1 },
        },
        { projection: { _id: 1 } },
      )
      .lean();
    if (changed) return 'changed';
    const cur = await this.model.findOne({ tenantKey, numberKey }, { status: 1, statusRequestId: 1 }).lean();
    if (!cur) return 'missing';
    if (cur.status !== target) return 'conflict';
    if (requestId !== undefined && cur.statusRequestId !== requestId) return 'conflict';
    return 'unchanged';
  }

  /**
   * Custody claim: takes the carrier for `requestId` (to CHECKED_OUT or PENDING_DESTRUCTION) in one
   * conditional write that only one request can win — from IN_STOCK, or already held by this very
   * request (a replay). A loser learns who holds it. Never a read followed by a write.
   */
  async claim(tenantKey: string, number: string, to: RegisterStatus, requestId: string, opts: ClaimOptions = {}): Promise<ClaimResult> {
    nonEmpty('tenantKey', tenantKey);
    nonEmpty('requestId', requestId);
    const target = status(to);
    const numberKey = carrierNumberKey(nonEmpty('number', number));
    const from: Record<string, unknown>[] = [{ status: 'IN_STOCK' }, { status: target, statusRequestId: requestId }];
    // Taking over a stale claim: only from exactly that holder, in exactly that status, unchanged since.
    if (opts.takeOver) from.push({ status: opts.takeOver.status, statusRequestId: opts.takeOver.from, updatedAt: { $lte: opts.takeOver.unchangedSince } });
    const won = await this.model.collection.findOneAndUpdate(
      { tenantKey, numberKey, $or: from },
      {
        $set: { status: target, statusRequestId: requestId, updatedAt: this.now(), ...(opts.token ? { statusClaim: opts.token } : {}) },
        ...(opts.token ? {} : { $unset: { statusClaim: 1 } }),
        $inc: { version: 1 },
      },
      { projection: { _id: 1 } },
    );
    if (won) return { ok: true };
    const cur = await this.model.findOne({ tenantKey, numberKey }, { status: 1, statusRequestId: 1, number: 1, updatedAt: 1 }).lean();
    if (!cur) return { ok: false, reason: 'missing' };
    return { ok: false, reason: 'held', status: cur.status, since: cur.updatedAt, ...(cur.statusRequestId ? { heldBy: cur.statusRequestId } : {}) };
  }

  /**
   * Gives a claimed carrier back to stock — only while `requestId` holds it in status `from` (and,
   * with `token`, only the claim that attempt made), so a late compensation never undoes another
   * request's claim, nor a later attempt of the same request. True when it moved.
   */
  async release(tenantKey: string, number: string, from: RegisterStatus, requestId: string, token?: string): Promise<boolean> {
    nonEmpty('tenantKey', tenantKey);
    const res = await this.model.collection.updateOne(
      {
        tenantKey,
        numberKey: carrierNumberKey(nonEmpty('number', number)),
        status: status(from),
        statusRequestId: nonEmpty('requestId', requestId),
        // A compensation gives back only its own attempt's claim, never a later one of the same request.
        ...(token ? { statusClaim: token } : {}),
      },
      { $set: { status: 'IN_STOCK', updatedAt: this.now() }, $unset: { statusRequestId: 1, statusClaim: 1 }, $inc: { version: 1 } },
    );
    return res.modifiedCount === 1;
  }

  /**
   * Reserves `count` consecutive copy numbers ('<parent>-C<n>') for one request, atomically: a
   * compare-and-set on the original's `copySeq` that only one writer wins per value, so two
   * concurrent completions never get the same number. Idempotent per request: asking again (a
   * retried or racing completion of the same request) returns the block it already holds. The
   * sequence never goes below a copy number registered by hand. Returns the first n of the block.
   */
  async reserveCopyNumbers(tenantKey: string, parentNumber: string, requestId: string, count: number): Promise<number> {
    nonEmpty('tenantKey', tenantKey);
    nonEmpty('requestId', requestId);
    positiveInt('count', count);
    const numberKey = carrierNumberKey(checkedNumber('parentNumber', parentNumber));
    for (let attempt = 0; attempt < 50; attempt++) {
      const doc = await this.model.collection.findOne<{ copySeq?: number; copyBlocks?: CopyBlock[] }>({ tenantKey, numberKey }, { projection: { copySeq: 1, copyBlocks: 1 } });
      if (!doc) throw new TypeError(`carrier ${parentNumber} is not registered`);
      const mine = doc.copyBlocks?.find((b) => b.requestId === requestId && b.count >= count);
      if (mine) return mine.first;
      const floor = (await this.nextCopyIndex(tenantKey, parentNumber)) - 1;
      const base = Math.max(doc.copySeq ?? 0, floor);
      const res = await this.model.collection.updateOne({ tenantKey, numberKey, copySeq: doc.copySeq === undefined ? { $exists: false } : doc.copySeq }, {
        $set: { copySeq: base + count },
        $push: { copyBlocks: { requestId, first: base + 1, count } },
      } as never);
      if (res.modifiedCount === 1) return base + 1;
    }
    throw new Error(`carrier ${parentNumber}: could not reserve copy numbers (too much contention)`);
  }

  /** 1 + the highest n among this tenant's carriers numbered '<parent>-C<n>' (1 when none). */
  async nextCopyIndex(tenantKey: string, parentNumber: string): Promise<number> {
    nonEmpty('tenantKey', tenantKey);
    const prefix = `${carrierNumberKey(checkedNumber('parentNumber', parentNumber))}-C`;
    const docs = await this.model.find({ tenantKey, numberKey: { $regex: `^${escapeRegex(prefix)}\\d+$` } }, { numberKey: 1, _id: 0 }).lean();
    let max = 0;
    for (const d of docs) {
      const n = Number(d.numberKey.slice(prefix.length));
      if (Number.isSafeInteger(n) && n > max) max = n;
    }
    return max + 1;
  }
}
