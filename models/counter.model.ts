/**
 * Per-tenant sequence counters, e.g. for request ids: nextSeq(t, 'CP-2026') → 1, 2, 3… which
 * `formatRequestId` (domain/request-id.ts) turns into 'CP-2026-0001'.
 */
import { Schema, type Connection, type Model } from 'mongoose';
import { nonEmpty } from './chain.js';

type CounterDoc = { _id: string; tenantKey: string; name: string; seq: number };

const counterSchema = new Schema(
  {
    _id: { type: String, required: true },
    tenantKey: { type: String, required: true },
    name: { type: String, required: true },
    seq: { type: Number, required: true },
  },
  { versionKey: false, collection: 'counters' },
);
// No secondary index: nextSeq addresses a counter by _id (`${tenantKey}:${name}`) only.

export class CounterStore {
  private readonly model: Model<CounterDoc>;
  constructor(conn: Connection) {
    this.model = (conn.models.Counter as Model<CounterDoc> | undefined) ?? conn.model<CounterDoc>('Counter', counterSchema);
  }
  async init(): Promise<void> {
    await this.model.createIndexes();
  }

  /** The next value of the tenant's counter `name`, starting at 1; atomic across instances. */
  async nextSeq(tenantKey: string, name: string): Promise<number> {
    nonEmpty('tenantKey', tenantKey);
    // The name must not contain ':' so that `${tenantKey}:${name}` splits one way only.
    if (nonEmpty('name', name).includes(':')) throw new TypeError("counter name must not contain ':'");
    try {
      return await this.increment(tenantKey, name);
    } catch (err) {
      // Two first calls raced to insert the counter; the loser's retry finds it and increments.
      if ((err as { code?: number }).code !== 11000) throw err;
      return this.increment(tenantKey, name);
    }
  }

  private async increment(tenantKey: string, name: string): Promise<number> {
    const doc = await this.model
      .findOneAndUpdate({ _id: `${tenantKey}:${name}` }, { $inc: { seq: 1 }, $setOnInsert: { tenantKey, name } }, { upsert: true, returnDocument: 'after', projection: { seq: 1 } })
      .lean();
    if (!doc) throw new Error(`counter ${tenantKey}:${name}: upsert returned no document`);
    return doc.seq;
  }
}
