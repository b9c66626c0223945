/**
 * What each card message sent about a request shows, so that several instances patching the same
 * message never replace a newer version with an older one (DESIGN §8).
 *
 * The cards live in the request document (`cards[]`, models/request.model.ts). A patcher first
 * claims the message for a version (a conditional update: only when the message shows an older
 * version and nobody else is patching it right now), patches, then records the version shown and
 * frees the claim. Patches of one message are therefore serialised across instances and the shown
 * version only ever goes up. A patcher that died loses its claim when `patchLockUntil` passes.
 */
import type { Connection, Model } from 'mongoose';
import { nonEmpty } from './chain.js';
import { requestSchema, type StoredRequest } from './request.model.js';

const idOf = (tenantKey: string, requestId: string) => `${tenantKey}:${requestId}`;

/** The card shows less than `version` (shownVersion, or the version it was sent for). */
const olderThan = (version: number) => ({
  $or: [{ shownVersion: { $lt: version } }, { shownVersion: { $exists: false }, sentForVersion: { $lt: version } }],
});

export class CardStateStore {
  private readonly model: Model<StoredRequest>;

  constructor(
    conn: Connection,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.model = (conn.models.ApprovalRequest as Model<StoredRequest> | undefined) ?? conn.model<StoredRequest>('ApprovalRequest', requestSchema);
  }

  async init(): Promise<void> {
    // Indexes belong to the requests collection (RequestStore.init).
  }

  async claimPatch(tenantKey: string, id: string, messageId: string, version: number, ms: number): Promise<'ok' | 'shown' | 'busy'> {
    nonEmpty('messageId', messageId);
    const now = this.now();
    const _id = idOf(nonEmpty('tenantKey', tenantKey), nonEmpty('id', id));
    const res = await this.model.collection.updateOne(
      {
        _id,
        cards: {
          $elemMatch: {
            messageId,
            $and: [olderThan(version), { $or: [{ patchLockUntil: { $exists: false } }, { patchLockUntil: { $lt: now } }] }],
          },
        },
      } as never,
      { $set: { 'cards.$.patchLockUntil': new Date(now.getTime() + ms) } } as never,
    );
    if (res.modifiedCount === 1) return 'ok';
    const older = await this.model.collection.countDocuments({ _id, cards: { $elemMatch: { messageId, ...olderThan(version) } } } as never);
    return older > 0 ? 'busy' : 'shown';
  }

  async markShown(tenantKey: string, id: string, messageId: string, version: number): Promise<void> {
    const _id = idOf(nonEmpty('tenantKey', tenantKey), nonEmpty('id', id));
    await this.model.collection.updateOne(
      { _id, cards: { $elemMatch: { messageId, ...olderThan(version) } } } as never,
      {
        $set: { 'cards.$.shownVersion': version },
      } as never,
    );
    await this.releasePatch(tenantKey, id, messageId);
  }

  async releasePatch(tenantKey: string, id: string, messageId: string): Promise<void> {
    await this.model.collection.updateOne(
      { _id: idOf(tenantKey, id), 'cards.messageId': messageId } as never,
      {
        $unset: { 'cards.$.patchLockUntil': 1 },
      } as never,
    );
  }
}
