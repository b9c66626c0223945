import { Schema, type Connection, type Model } from 'mongoose';
import type { DedupeStore } from '../bot/core/types.js';

const RETENTION_SECONDS = 3 * 24 * 3600; // Lark re-pushes for up to ~7 h; keep keys well past that.

const dedupeSchema = new Schema(
  {
    _id: { type: String, required: true },
    at: { type: Date, required: true },
  },
  { versionKey: false, collection: 'dedupe' },
);
// TTL: forget processed deliveries after the retention window (no query reads it; the _id
// unique index serves the claim itself).
dedupeSchema.index({ at: 1 }, { expireAfterSeconds: RETENTION_SECONDS });

type DedupeDoc = { _id: string; at: Date };

/** Claims are unique inserts on _id: exactly one of many concurrent deliveries wins. */
export class MongoDedupeStore implements DedupeStore {
  private readonly model: Model<DedupeDoc>;
  constructor(conn: Connection, private readonly now: () => Date = () => new Date()) {
    this.model = (conn.models.Dedupe as Model<DedupeDoc> | undefined) ?? conn.model<DedupeDoc>('Dedupe', dedupeSchema);
  }
  async init(): Promise<void> {
    await this.model.createIndexes();
  }
  async claim(key: string): Promise<boolean> {
    try {
      // The raw driver: a claim is on the hot path of every event; no document casting needed.
      await this.model.collection.insertOne({ _id: key, at: this.now() } as never);
      return true;
    } catch (err) {
      if ((err as { code?: number }).code === 11000) return false;
      throw err;
    }
  }
  async release(key: string): Promise<void> {
    await this.model.deleteOne({ _id: key });
  }
}

/** For unit tests of the core only. */
export class MemoryDedupeStore implements DedupeStore {
  private readonly keys = new Set<string>();
  async claim(key: string): Promise<boolean> {
    if (this.keys.has(key)) return false;
    this.keys.add(key);
    return true;
  }
  async release(key: string): Promise<void> {
    this.keys.delete(key);
  }
}
