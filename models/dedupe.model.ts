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

/**
 * Claims are unique inserts on _id: exactly one of many concurrent deliveries wins. Claims made in
 * the same tick go to the server as one unordered insertMany (a burst of events costs one round
 * trip, not one each); a duplicate key inside or outside the batch loses, as a single insert would.
 */
export class MongoDedupeStore implements DedupeStore {
  private readonly model: Model<DedupeDoc>;
  private batch: { key: string; resolve: (won: boolean) => void; reject: (err: unknown) => void }[] = [];
  private scheduled = false;

  constructor(conn: Connection, private readonly now: () => Date = () => new Date()) {
    this.model = (conn.models.Dedupe as Model<DedupeDoc> | undefined) ?? conn.model<DedupeDoc>('Dedupe', dedupeSchema);
  }
  async init(): Promise<void> {
    await this.model.createIndexes();
  }
  claim(key: string): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.batch.push({ key, resolve, reject });
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
    try {
      await this.model.collection.insertMany(batch.map((c) => ({ _id: c.key, at }) as never), { ordered: false });
      for (const c of batch) c.resolve(true);
    } catch (err) {
      const writeErrors = (err as { writeErrors?: { index: number; code?: number; err?: { code?: number } }[] }).writeErrors;
      if (!writeErrors?.length) {
        for (const c of batch) c.reject(err);
        return;
      }
      const lost = new Map(writeErrors.map((w) => [w.index, w.code ?? w.err?.code]));
      batch.forEach((c, i) => {
        const code = lost.get(i);
        if (code === undefined) c.resolve(true);
        else if (code === 11000) c.resolve(false);
        else c.reject(err);
      });
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
