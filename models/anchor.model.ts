/**
 * Anchors of the hash chains: the heads of every chain of a tenant (ledger, last seq, last hash)
 * taken at one moment and kept here, apart from the chains. A chain that was cut short (its newest
 * entries deleted) or rewritten from some point on still verifies link by link; it no longer
 * reaches the head it had when it was anchored, and `/verify` says so.
 *
 * Anchors are taken daily (one per tenant and local day, whatever the number of instances: the
 * key `daily:<YYYY-MM-DD>` is unique) and on demand (`/verify anchor`). Append-only.
 */
import { Schema, type Connection, type Model } from 'mongoose';
import type { ChainHead } from './ledger-reader.js';

export interface Anchor {
  tenantKey: string;
  /** `daily:<local date>` or `manual:<ISO time>:<open_id>`; unique per tenant. */
  key: string;
  at: Date;
  by: string;
  heads: ChainHead[];
}

const anchorSchema = new Schema(
  {
    tenantKey: { type: String, required: true },
    key: { type: String, required: true },
    at: { type: Date, required: true },
    by: { type: String, required: true },
    heads: {
      type: [new Schema({ ledger: { type: String, required: true }, seq: { type: Number, required: true }, hash: { type: String, required: true } }, { _id: false })],
      default: [],
    },
  },
  { versionKey: false, collection: 'ledger_anchors' },
);
// take(): one anchor per key and tenant — several instances taking the day's anchor, one wins.
anchorSchema.index({ tenantKey: 1, key: 1 }, { unique: true });
// latest(): the newest anchor of a tenant, checked by /verify.
anchorSchema.index({ tenantKey: 1, at: -1 });

function isDuplicate(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: number }).code === 11000;
}

export class AnchorStore {
  private readonly model: Model<Anchor>;

  constructor(conn: Connection) {
    this.model = (conn.models.LedgerAnchor as Model<Anchor> | undefined) ?? conn.model<Anchor>('LedgerAnchor', anchorSchema);
  }

  async init(): Promise<void> {
    await this.model.createIndexes();
  }

  /** Stores an anchor under its key; false when the key was taken already (by another instance). */
  async take(anchor: Anchor): Promise<boolean> {
    try {
      await this.model.create(anchor);
      return true;
    } catch (err) {
      if (isDuplicate(err)) return false;
      throw err;
    }
  }

  async has(tenantKey: string, key: string): Promise<boolean> {
    return (await this.model.exists({ tenantKey, key })) !== null;
  }

  /** The newest anchor of a tenant. */
  async latest(tenantKey: string): Promise<Anchor | null> {
    return (await this.model.findOne({ tenantKey }, { _id: 0 }).sort({ at: -1 }).lean()) as Anchor | null;
  }
}
