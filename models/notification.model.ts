/**
 * Exactly-once notifications: a log of sent messages keyed by the notification's key (derived
 * from the effect key), so a replayed effect does not message anyone twice.
 *
 * How close to exactly once this gets, honestly:
 * - replays after the record is written (the normal case: a redelivered event, a recovery sweep,
 *   a second instance) find the record and do not send;
 * - concurrent first attempts may each call `send()`; the caller passes Lark a deterministic
 *   `uuid` derived from the key (and tenant), and Lark drops a repeated uuid within 1 hour, so
 *   they produce one message; the first record written wins and every caller gets its messageId;
 * - the remaining window: a crash after `send()` returned and before the record was written,
 *   with the retry more than 1 hour later (Lark's uuid window has passed) → a second message.
 *   Closing it would need Lark to report "already sent" for a uuid forever, which it does not.
 *   Records are kept (no TTL): they are audit material ("who was told what when").
 */
import { Schema, type Connection, type Model } from 'mongoose';
import { nonEmpty } from './chain.js';

export interface NotificationRecord {
  /** `${tenantKey}:${key}` */
  _id: string;
  key: string;
  tenantKey: string;
  messageId: string;
  at: Date;
}

const notificationSchema = new Schema(
  {
    _id: { type: String, required: true },
    key: { type: String, required: true },
    tenantKey: { type: String, required: true },
    messageId: { type: String, required: true },
    at: { type: Date, required: true },
  },
  { versionKey: false, collection: 'notifications' },
);
// No secondary index: sendOnce looks a record up and claims it by _id only (the built-in unique
// _id index). No TTL: the log is kept as audit material.

export class NotificationLog {
  private readonly model: Model<NotificationRecord>;

  constructor(
    conn: Connection,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.model = (conn.models.NotificationRecord as Model<NotificationRecord> | undefined) ?? conn.model<NotificationRecord>('NotificationRecord', notificationSchema);
  }

  async init(): Promise<void> {
    await this.model.createIndexes();
  }

  /**
   * Calls `send()` unless a message was already recorded for `key` in this tenant; returns the
   * recorded messageId (`sent: false`) or the new one (`sent: true`). `key` is scoped by the
   * tenant: effect keys repeat across tenants. When `send()` throws nothing is recorded and the
   * error propagates (the effect stays pending and is retried).
   */
  async sendOnce(tenantKey: string, key: string, send: () => Promise<{ messageId: string }>): Promise<{ messageId: string; sent: boolean }> {
    nonEmpty('tenantKey', tenantKey);
    nonEmpty('key', key);
    const _id = `${tenantKey}:${key}`;
    const existing = await this.model.findOne({ _id }, { messageId: 1 }).lean();
    if (existing) return { messageId: existing.messageId, sent: false };
    const { messageId } = await send();
    nonEmpty('messageId', messageId);
    try {
      await this.model.collection.insertOne({ _id, key, tenantKey, messageId, at: this.now() } as never);
      return { messageId, sent: true };
    } catch (err) {
      if ((err as { code?: number }).code !== 11000) throw err;
    }
    // A concurrent sender recorded first; with the same Lark uuid its message is ours too.
    const winner = await this.model.findOne({ _id }, { messageId: 1 }).lean();
    if (!winner) throw new Error(`notification ${_id}: duplicate on insert but not found`);
    return { messageId: winner.messageId, sent: false };
  }
}
