/**
 * Hash chains in MongoDB without transactions, shared by the ledgers and the audit log.
 *
 * A chain is the set of documents of one collection that share a scope (e.g. `{tenantKey,
 * ledger}`), numbered `seq` 1, 2, 3… Each link stores `prevHash` (the previous link's hash,
 * `GENESIS_HASH` for seq 1) and
 *
 *     hash = sha256_hex( utf8( canonical(body) + prevHash ) )
 *
 * where `body` holds the chain's hashed fields (always including `seq` and `prevHash`) as stored,
 * absent optional fields left out (see `canonical.ts`).
 *
 * Exactly once, append-only:
 * - the collection has a unique index on scope + `seq`: of concurrent writers that read the same
 *   head, one insert wins and the others get E11000, back off (jittered) and try again on the new
 *   head, up to `maxAttempts` times; inside one process appends to a chain are also queued, so
 *   only separate instances ever race;
 * - an append with an effect key is idempotent through a unique index on `{tenantKey, effectKey}`:
 *   a replay (also concurrent, also after a crash) returns the link already written.
 */
import type { Model, Schema } from 'mongoose';
import { canonical, sha256Hex } from './canonical.js';

export const GENESIS_HASH = '0'.repeat(64);

/** Fields every chained document has. */
export interface ChainLink {
  seq: number;
  prevHash: string;
  hash: string;
}

export type VerifyResult =
  | { ok: true; count: number; head?: string }
  | {
      ok: false;
      /** Links checked and found intact before the broken one. */
      count: number;
      /** The seq of the first broken link (for a gap: the first missing seq). */
      brokenAt: number;
      reason: 'hash_mismatch' | 'prev_mismatch' | 'seq_gap';
      expected?: string;
      actual?: string;
    };

export interface ChainOptions {
  /** Names the chain in errors, e.g. "ledger". */
  label: string;
  /** Top-level fields that enter the hash besides `seq` and `prevHash`. */
  hashed: readonly string[];
  /** Insert attempts before giving up under contention (default 50). */
  maxAttempts?: number;
  /** Links fetched per round trip by `verify` (default 1000). */
  verifyBatchSize?: number;
}

export class ChainContentionError extends Error {
  constructor(label: string, scope: Record<string, string>, attempts: number) {
    super(`${label}: could not append to chain ${JSON.stringify(scope)} after ${attempts} attempts (too many concurrent writers)`);
    this.name = 'ChainContentionError';
  }
}

/** The same effect key was recorded before with different identity fields: a caller bug. */
export class EffectKeyConflictError extends Error {
  constructor(label: string, effectKey: string, existingSeq: number, field: string) {
    super(`${label}: effectKey ${effectKey} is already used by seq ${existingSeq} with a different ${field}`);
    this.name = 'EffectKeyConflictError';
  }
}

/** Keyset page of a chain, in seq order. */
export interface Page {
  /** 1…MAX_PAGE */
  limit: number;
  /** Continue after this seq (the previous page's `nextAfterSeq`). */
  afterSeq?: number;
}

export const MAX_PAGE = 500;

export function nonEmpty(name: string, v: unknown): string {
  if (typeof v !== 'string' || v.length === 0) throw new TypeError(`${name} must be a non-empty string`);
  return v;
}

/** null and undefined both mean absent (stored as a missing field). */
export function optionalString(name: string, v: unknown): string | undefined {
  return v === undefined || v === null ? undefined : nonEmpty(name, v);
}

export function validDate(name: string, v: unknown): Date {
  if (!(v instanceof Date) || Number.isNaN(v.getTime())) throw new TypeError(`${name} must be a valid Date`);
  return new Date(v.getTime());
}

type DuplicateKeyError = { code?: number; keyPattern?: Record<string, unknown>; message?: string };

function duplicateKey(err: unknown): DuplicateKeyError | undefined {
  const e = err as DuplicateKeyError | null;
  return e && typeof e === 'object' && e.code === 11000 ? e : undefined;
}

/** Upper bound of the jittered back-off after a lost race (1, 2, 4 … ms, then this). */
const MAX_BACKOFF_MS = 100;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Refuses every mutation through the model; a chain is only ever inserted into. */
export function guardAppendOnly(schema: Schema, message: string): void {
  const refuse = (): void => {
    throw new Error(message);
  };
  schema.pre(['updateOne', 'deleteOne'], { document: true, query: true }, refuse);
  schema.pre(['updateMany', 'deleteMany', 'findOneAndUpdate', 'findOneAndDelete', 'findOneAndReplace', 'replaceOne'], refuse);
  schema.pre('bulkWrite', refuse);
  schema.pre('save', function (this: { isNew: boolean }) {
    if (!this.isNew) throw new Error(message);
  });
}

/**
 * Appends to one chain from one process run one after another (per model, i.e. per connection):
 * racing only ever happens between processes, so a burst inside one instance costs no retries.
 */
const localTails = new WeakMap<object, Map<string, Promise<void>>>();

function serialised<R>(owner: object, key: string, fn: () => Promise<R>): Promise<R> {
  let tails = localTails.get(owner);
  if (!tails) localTails.set(owner, (tails = new Map()));
  const run = (tails.get(key) ?? Promise.resolve()).then(fn);
  const tail = run.then(
    () => undefined,
    () => undefined,
  );
  tails.set(key, tail);
  void tail.then(() => {
    if (tails.get(key) === tail) tails.delete(key);
  });
  return run;
}

/**
 * Append, page and verify for the chains of one collection. `T` is the stored document shape
 * (without `_id`); a `scope` (e.g. `{tenantKey, ledger}`) names one chain.
 */
export class HashChain<T extends ChainLink> {
  private readonly hashed: readonly string[];
  private readonly maxAttempts: number;
  private readonly batchSize: number;

  constructor(
    private readonly model: Model<T>,
    private readonly opts: ChainOptions,
  ) {
    this.hashed = [...new Set([...opts.hashed, 'seq', 'prevHash'])];
    this.maxAttempts = opts.maxAttempts ?? 50;
    this.batchSize = opts.verifyBatchSize ?? 1000;
  }

  /** The hash a link must carry, computed from its stored fields and its own `prevHash`. */
  hashOf(doc: Omit<T, 'hash'> | T): string {
    const body: Record<string, unknown> = {};
    for (const f of this.hashed) {
      const v = (doc as Record<string, unknown>)[f];
      if (v !== undefined) body[f] = v;
    }
    return sha256Hex(canonical(body) + (doc as ChainLink).prevHash);
  }

  /** The highest link of the chain, or null for an empty chain. */
  async head(scope: Record<string, string>): Promise<ChainLink | null> {
    return (await this.model.findOne(scope, { _id: 0, seq: 1, hash: 1 }).sort({ seq: -1 }).lean()) as ChainLink | null;
  }

  /** The link recorded under `effectKey` in this tenant, without `_id`. */
  async byEffectKey(tenantKey: string, effectKey: string): Promise<T | null> {
    return (await this.model.findOne({ tenantKey, effectKey }, { _id: 0 }).lean()) as T | null;
  }

  /**
   * Appends `fields` as the next link of the chain `scope`. With `effect`, an existing link with
   * that key is returned instead (`created: false`).
   */
  append(scope: Record<string, string>, effect: { tenantKey: string; effectKey: string } | undefined, fields: Omit<T, keyof ChainLink>): Promise<{ doc: T; created: boolean }> {
    return serialised(this.model, canonical(scope), () => this.appendRacing(scope, effect, fields));
  }

  /** The cross-process part: read the head, insert the next seq, retry if another writer won. */
  private async appendRacing(
    scope: Record<string, string>,
    effect: { tenantKey: string; effectKey: string } | undefined,
    fields: Omit<T, keyof ChainLink>,
  ): Promise<{ doc: T; created: boolean }> {
    if (effect) {
      const existing = await this.byEffectKey(effect.tenantKey, effect.effectKey);
      if (existing) return { doc: existing, created: false };
    }
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const head = await this.head(scope);
      const link = { ...fields, ...scope, seq: (head?.seq ?? 0) + 1, prevHash: head?.hash ?? GENESIS_HASH } as Omit<T, 'hash'>;
      const doc = { ...link, hash: this.hashOf(link) } as T;
      try {
        await this.model.insertOne(doc as Parameters<Model<T>['insertOne']>[0]);
        return { doc, created: true };
      } catch (err) {
        const dup = duplicateKey(err);
        if (!dup) throw err;
        // Which index refused the insert? Servers name it in keyPattern; without it, look.
        const pattern = dup.keyPattern;
        if (effect && (!pattern || 'effectKey' in pattern)) {
          const existing = await this.byEffectKey(effect.tenantKey, effect.effectKey);
          if (existing) return { doc: existing, created: false };
        }
        if (pattern && !('seq' in pattern)) throw err;
        // Another writer took this seq: back off a little (jittered, growing) and re-read the head.
        await sleep(Math.random() * Math.min(2 ** attempt, MAX_BACKOFF_MS));
      }
    }
    throw new ChainContentionError(this.opts.label, scope, this.maxAttempts);
  }

  /**
   * One keyset page of the links matching `filter` (which must name the chain's scope), in seq
   * order, optionally restricted to `dateField` in [from, to). `nextAfterSeq` is set when more
   * links may follow.
   */
  async page(filter: Record<string, unknown>, dateField: string, range: { from?: Date; to?: Date }, page: Page): Promise<{ entries: T[]; nextAfterSeq?: number }> {
    const { limit, afterSeq = 0 } = page;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw new RangeError(`limit must be an integer in 1…${MAX_PAGE}`);
    if (!Number.isInteger(afterSeq) || afterSeq < 0) throw new RangeError('afterSeq must be a non-negative integer');
    const q: Record<string, unknown> = { ...filter };
    if (range.from !== undefined || range.to !== undefined) {
      const between: Record<string, Date> = {};
      if (range.from !== undefined) between.$gte = validDate('from', range.from);
      if (range.to !== undefined) between.$lt = validDate('to', range.to);
      q[dateField] = between;
    }
    if (afterSeq > 0) q.seq = { $gt: afterSeq };
    const docs = (await this.model
      .find(q, { _id: 0 })
      .sort({ seq: 1 })
      .limit(limit + 1)
      .lean()) as unknown as T[];
    if (docs.length <= limit) return { entries: docs };
    const entries = docs.slice(0, limit);
    return { entries, nextAfterSeq: entries[entries.length - 1]!.seq };
  }

  /**
   * Walks the chain in seq order, streaming in batches, and names the first broken link: a
   * missing seq (`seq_gap`), a `prevHash` that is not the previous link's hash (`prev_mismatch`),
   * or stored fields that do not hash to the stored `hash` (`hash_mismatch`).
   */
  async verify(scope: Record<string, string>): Promise<VerifyResult> {
    const cursor = this.model.find(scope, { _id: 0 }).sort({ seq: 1 }).lean().cursor({ batchSize: this.batchSize });
    let count = 0;
    let prevHash = GENESIS_HASH;
    try {
      for await (const raw of cursor) {
        const doc = raw as unknown as T;
        const expectedSeq = count + 1;
        if (doc.seq !== expectedSeq) {
          return { ok: false, count, brokenAt: expectedSeq, reason: 'seq_gap', expected: String(expectedSeq), actual: String(doc.seq) };
        }
        if (doc.prevHash !== prevHash) {
          return { ok: false, count, brokenAt: doc.seq, reason: 'prev_mismatch', expected: prevHash, actual: String(doc.prevHash) };
        }
        const hash = this.hashOfStored(doc);
        if (hash !== doc.hash) {
          return { ok: false, count, brokenAt: doc.seq, reason: 'hash_mismatch', expected: hash, actual: String(doc.hash) };
        }
        prevHash = doc.hash;
        count++;
      }
    } finally {
      await cursor.close();
    }
    return count === 0 ? { ok: true, count } : { ok: true, count, head: prevHash };
  }

  /** Like hashOf, but a stored value canonical JSON cannot represent counts as tampering. */
  private hashOfStored(doc: T): string {
    try {
      return this.hashOf(doc);
    } catch (err) {
      return `unhashable: ${(err as Error).message}`;
    }
  }
}
