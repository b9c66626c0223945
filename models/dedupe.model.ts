import { randomBytes } from 'node:crypto';
import { Schema, type Connection, type Model } from 'mongoose';
import type { DedupeStore } from '../bot/core/types.js';

const RETENTION_SECONDS = 3 * 24 * 3600; // Lark re-pushes for up to ~7 h; keep keys well past that.

/**
 * How long a claim holds without renewal. Shorter than Lark's first redelivery (15 s after a push
 * that was not answered 200 within 3 s): when the process dies while handling, its message is not
 * acknowledged (messages are acknowledged after handling, see bot/core/middleware.ts), and the
 * redelivery 15 s later must find the lease expired and take it over — a longer lease would drop
 * that redelivery as a duplicate and acknowledge it, and the command would be lost. Long enough
 * that a live handler renews it comfortably (every 5 s, see the heartbeat in the middleware).
 */
export const DEDUPE_LEASE_MS = 10_000;

const dedupeSchema = new Schema(
  {
    _id: { type: String, required: true },
    /** `processing` while a delivery is being handled; `done` once handled. Absent on old keys: done. */
    state: { type: String, enum: ['processing', 'done'] },
    /** Until when the holder owns a `processing` claim; after it, a redelivery may take it over. */
    leaseUntil: { type: Date },
    /** Which claim holds the lease (one per claim), so a late holder cannot touch a successor's. */
    owner: { type: String },
    /** When the key was claimed, then when it was handled: the start of the retention window. */
    at: { type: Date, required: true },
  },
  { versionKey: false, collection: 'dedupe' },
);
// TTL: forget handled deliveries after the retention window (no query reads it; the _id unique
// index serves the claim, the takeover and every other update, which all select by _id).
dedupeSchema.index({ at: 1 }, { expireAfterSeconds: RETENTION_SECONDS });

type DedupeDoc = { _id: string; state?: 'processing' | 'done'; leaseUntil?: Date; owner?: string; at: Date };
type Pending = { key: string; owner: string; resolve: (won: boolean) => void; reject: (err: unknown) => void };

/**
 * Claims are leases on `_id`: `{_id: key, state: 'processing', leaseUntil, owner}`.
 *
 * - claim: a unique insert; exactly one of many concurrent deliveries wins. Claims made in the
 *   same tick go to the server as one unordered insertMany (a burst of events costs one round
 *   trip, not one each); a duplicate key inside or outside the batch loses, as a single insert
 *   would — unless the existing claim is a `processing` lease that has expired (its holder died):
 *   then one conditional update on `{_id, state: 'processing', leaseUntil < now}` takes it over,
 *   atomically, so of several redeliveries exactly one wins;
 * - renew: the holder pushes `leaseUntil` forward (heartbeat);
 * - done: the holder marks the key handled; it stays for the retention window (TTL on `at`);
 * - release: the holder deletes its claim, so the next delivery is handled.
 *
 * Every write after the claim is conditional on this claim's `owner`, so a holder that was too
 * slow and lost its lease cannot mark done or delete the claim of the delivery that took over.
 */
export class MongoDedupeStore implements DedupeStore {
  private readonly model: Model<DedupeDoc>;
  private batch: Pending[] = [];
  private scheduled = false;
  /** key → owner of the claims this instance holds. */
  private readonly held = new Map<string, string>();
  private readonly instance = randomBytes(6).toString('hex');
  private seq = 0;

  constructor(
    conn: Connection,
    private readonly now: () => Date = () => new Date(),
    readonly leaseMs: number = DEDUPE_LEASE_MS,
  ) {
    this.model = (conn.models.Dedupe as Model<DedupeDoc> | undefined) ?? conn.model<DedupeDoc>('Dedupe', dedupeSchema);
  }
  async init(): Promise<void> {
    await this.model.createIndexes();
  }
  claim(key: string): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.batch.push({ key, owner: `${this.instance}:${++this.seq}`, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }
  private async flush(): Promise<void> {
    const batch = this.batch;
    this.batch = [];
    this.scheduled = false;
    const at = this.now();
    const leaseUntil = new Date(at.getTime() + this.leaseMs);
    const won = (c: Pending) => {
      this.held.set(c.key, c.owner);
      c.resolve(true);
    };
    const taken: Pending[] = [];
    try {
      await this.model.collection.insertMany(
        batch.map((c) => ({ _id: c.key, state: 'processing', leaseUntil, owner: c.owner, at }) as never),
        { ordered: false },
      );
      for (const c of batch) won(c);
      return;
    } catch (err) {
      const writeErrors = (err as { writeErrors?: { index: number; code?: number; err?: { code?: number } }[] }).writeErrors;
      if (!writeErrors?.length) {
        for (const c of batch) c.reject(err);
        return;
      }
      const lost = new Map(writeErrors.map((w) => [w.index, w.code ?? w.err?.code]));
      batch.forEach((c, i) => {
        const code = lost.get(i);
        if (code === undefined) won(c);
        else if (code === 11000) taken.push(c);
        else c.reject(err);
      });
    }
    // The key exists: a duplicate, unless its holder's lease ran out. One at a time, so that two
    // redeliveries of one key in this batch cannot both take it over.
    for (const c of taken) {
      try {
        const r = await this.model.collection.updateOne({ _id: c.key, state: 'processing', leaseUntil: { $lt: at } } as never, { $set: { leaseUntil, owner: c.owner, at } });
        if (r.matchedCount === 1) won(c);
        else c.resolve(false);
      } catch (err) {
        c.reject(err);
      }
    }
  }
  async renew(key: string): Promise<boolean> {
    const owner = this.held.get(key);
    if (!owner) return false;
    const leaseUntil = new Date(this.now().getTime() + this.leaseMs);
    const r = await this.model.collection.updateOne({ _id: key, state: 'processing', owner } as never, { $set: { leaseUntil } });
    if (r.matchedCount === 1) return true;
    if (this.held.get(key) === owner) this.held.delete(key);
    return false;
  }
  async done(key: string): Promise<void> {
    const owner = this.held.get(key);
    if (!owner) return;
    await this.model.collection.updateOne({ _id: key, owner } as never, { $set: { state: 'done', at: this.now() }, $unset: { leaseUntil: '', owner: '' } });
    if (this.held.get(key) === owner) this.held.delete(key);
  }
  async release(key: string): Promise<void> {
    const owner = this.held.get(key);
    if (!owner) return;
    await this.model.collection.deleteOne({ _id: key, state: 'processing', owner } as never);
    if (this.held.get(key) === owner) this.held.delete(key);
  }
}

/** The same leases in memory, for unit tests of the core only. */
export class MemoryDedupeStore implements DedupeStore {
  private readonly keys = new Map<string, { state: 'processing' | 'done'; leaseUntil: number; owner: number }>();
  private readonly held = new Map<string, number>();
  private seq = 0;

  constructor(
    private readonly now: () => Date = () => new Date(),
    readonly leaseMs: number = DEDUPE_LEASE_MS,
  ) {}

  async claim(key: string): Promise<boolean> {
    const t = this.now().getTime();
    const cur = this.keys.get(key);
    if (cur && (cur.state === 'done' || cur.leaseUntil >= t)) return false;
    const owner = ++this.seq;
    this.keys.set(key, { state: 'processing', leaseUntil: t + this.leaseMs, owner });
    this.held.set(key, owner);
    return true;
  }
  async renew(key: string): Promise<boolean> {
    const cur = this.keys.get(key);
    const owner = this.held.get(key);
    if (!cur || owner === undefined || cur.owner !== owner || cur.state !== 'processing') return false;
    cur.leaseUntil = this.now().getTime() + this.leaseMs;
    return true;
  }
  async done(key: string): Promise<void> {
    const cur = this.keys.get(key);
    const owner = this.held.get(key);
    this.held.delete(key);
    if (cur && cur.owner === owner) cur.state = 'done';
  }
  async release(key: string): Promise<void> {
    const cur = this.keys.get(key);
    const owner = this.held.get(key);
    this.held.delete(key);
    if (cur && cur.owner === owner && cur.state === 'processing') this.keys.delete(key);
  }
  /** For tests: the state of a key (`undefined` when free). */
  stateOf(key: string): 'processing' | 'done' | undefined {
    return this.keys.get(key)?.state;
  }
}
