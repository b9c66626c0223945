import { Schema, type Connection, type Model } from 'mongoose';
import type { Locale } from '../bot/core/config.js';
import type { UserPrefsStore } from '../bot/core/types.js';

const prefsSchema = new Schema(
  {
    tenantKey: { type: String, required: true },
    openId: { type: String, required: true },
    locale: { type: String, enum: ['zh-CN', 'en-US'] },
    welcomedAt: { type: Date },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'user_prefs' },
);
// getLocale/setLocale look a user up by (tenantKey, openId); one document per user.
prefsSchema.index({ tenantKey: 1, openId: 1 }, { unique: true });

const CACHE_MS = 30_000;

type PrefsDoc = { tenantKey: string; openId: string; locale?: Locale; welcomedAt?: Date; updatedAt: Date };

export class MongoUserPrefsStore implements UserPrefsStore {
  private readonly model: Model<PrefsDoc>;
  /** Short-lived, so a change made through another instance shows within CACHE_MS. */
  private readonly cache = new Map<string, { locale: Locale | null; until: number }>();
  constructor(conn: Connection) {
    this.model = (conn.models.UserPrefs as Model<PrefsDoc> | undefined) ?? conn.model<PrefsDoc>('UserPrefs', prefsSchema);
  }
  async init(): Promise<void> {
    await this.model.createIndexes();
  }
  async getLocale(tenantKey: string, openId: string): Promise<Locale | undefined> {
    const k = `${tenantKey}:${openId}`;
    const hit = this.cache.get(k);
    if (hit && hit.until > Date.now()) return hit.locale ?? undefined;
    const doc = await this.model.findOne({ tenantKey, openId }, { locale: 1 }).lean();
    const locale = doc?.locale ?? null;
    this.cache.set(k, { locale, until: Date.now() + CACHE_MS });
    return locale ?? undefined;
  }
  async setLocale(tenantKey: string, openId: string, locale: Locale): Promise<void> {
    await this.model.updateOne({ tenantKey, openId }, { $set: { locale, updatedAt: new Date() } }, { upsert: true });
    this.cache.set(`${tenantKey}:${openId}`, { locale, until: Date.now() + CACHE_MS });
  }

  async markWelcomed(tenantKey: string, openId: string): Promise<boolean> {
    try {
      const r = await this.model.updateOne({ tenantKey, openId, welcomedAt: null }, { $set: { welcomedAt: new Date(), updatedAt: new Date() } }, { upsert: true });
      return r.modifiedCount + r.upsertedCount === 1;
    } catch (err) {
      // The upsert lost to an existing document that is already welcomed.
      if ((err as { code?: number }).code === 11000) return false;
      throw err;
    }
  }
}
