/**
 * What each card message sent about a request shows, so that several instances patching the same
 * message never replace a newer version with an older one (docs/design.md §8).
 *
 * The cards live in the request document (`cards[]`, models/request.model.ts). A patcher first
 * claims the message for a version (a conditional update: only when the message shows an older
 * version and nobody else is patching it right now), patches, then records the version shown and
 * frees the claim. Patches of one message are therefore serialised across instances and the shown
 * version only ever goes up. A patcher that died loses its claim when `patchLockUntil` passes.
 */
import type { Connection, Model } from 'mongoose';
import { nonEmpty } from './chain.js';
import { requestDocId, requestModel, type StoredRequest } from './request.model.js';

const idOf = requestDocId;

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
    this.model = requestModel(conn);
  }

  async init(): Promise<void> {
    // Indexes belong to the requests collection (RequestStore.init).
  }

  /** Takes the message for patching up to `version` under `owner` (a token per patch attempt). */
  async claimPatch(tenantKey: string, id: string, messageId: string, version: number, ms: number, owner: string): Promise<'ok' | 'shown' | 'busy'> {
    nonEmpty('messageId', messageId);
    const now = this.now();
    const _id = idOf(nonEmpty('tenantKey', tenantKey), nonEmpty('id', id));
    const res = await this.model.collection.updateOne(
      {
        _id,
        cards: {
          $elemMatch: {
            messageId,
            gone: { $ne: true },
            $and: [olderThan(version), { $or: [{ patchLockUntil: { $exists: false } }, { patchLockUntil: { $lt: now } }] }],
          },
        },
      } as never,
      { $set: { 'cards.$.patchLockUntil': new Date(now.getTime() + ms), 'cards.$.patchOwner': owner } } as never,
    );
    if (res.modifiedCount === 1) return 'ok';
    const older = await this.model.collection.countDocuments({ _id, cards: { $elemMatch: { messageId, gone: { $ne: true }, ...olderThan(version) } } } as never);
    return older > 0 ? 'busy' : 'shown';
  }

  /**
   * Records that the message shows `version` and frees the claim. 'lost' when `owner` no longer
   * held it (the claim expired under a very slow patch and someone else may have patched since):
   * then the message is recorded as showing `version` — what this patch just put there, possibly
   * older than what was recorded — so the next refresh patches it again with the newest.
   */
  async markShown(tenantKey: string, id: string, messageId: string, version: number, owner: string): Promise<'ok' | 'lost'> {
    const _id = idOf(nonEmpty('tenantKey', tenantKey), nonEmpty('id', id));
    const mine = await this.model.collection.updateOne(
      { _id, cards: { $elemMatch: { messageId, patchOwner: owner } } } as never,
      {
        $max: { 'cards.$.shownVersion': version },
        $unset: { 'cards.$.patchLockUntil': 1, 'cards.$.patchOwner': 1 },
      } as never,
    );
    if (mine.matchedCount === 1) return 'ok';
    await this.model.collection.updateOne({ _id, 'cards.messageId': messageId } as never, { $set: { 'cards.$.shownVersion': version } } as never);
    return 'lost';
  }

  /** Records that the message shows `version` by other means (a click redrawn through its callback answer); never lowers it. */
  async markRedrawn(tenantKey: string, id: string, messageId: string, version: number): Promise<void> {
    await this.model.collection.updateOne(
      { _id: idOf(nonEmpty('tenantKey', tenantKey), nonEmpty('id', id)), 'cards.messageId': messageId } as never,
      {
        $max: { 'cards.$.shownVersion': version },
      } as never,
    );
  }

  /** Frees `owner`'s claim after a failed patch, leaving the shown version as it was. */
  async releasePatch(tenantKey: string, id: string, messageId: string, owner: string): Promise<void> {
    await this.model.collection.updateOne(
      { _id: idOf(tenantKey, id), cards: { $elemMatch: { messageId, patchOwner: owner } } } as never,
      {
        $unset: { 'cards.$.patchLockUntil': 1, 'cards.$.patchOwner': 1 },
      } as never,
    );
  }

  /** A message Lark will never update again (recalled, older than 14 days): left out of later refreshes. */
  async markGone(tenantKey: string, id: string, messageId: string): Promise<void> {
    await this.model.collection.updateOne(
      { _id: idOf(tenantKey, id), 'cards.messageId': messageId } as never,
      {
        $set: { 'cards.$.gone': true },
        $unset: { 'cards.$.patchLockUntil': 1, 'cards.$.patchOwner': 1 },
      } as never,
    );
  }
}
