/**
 * The effects outbox of approval requests, as a work queue (docs/design.md §8 "Effects are independent and
 * never lost"). The effects live in the request document (`pending`), written by the same guarded
 * update as the state change (models/request.model.ts); this store runs the queue on top:
 *
 * - **one runner per request** at a time, across instances: a lease (`effectsLease`) taken with a
 *   conditional update and given back when the run ends; a runner that died loses it when it
 *   expires;
 * - **per-effect bookkeeping**: attempts, the next attempt's time (`nextAt`) and the last error,
 *   rewritten in place for the one effect that failed (the others are untouched);
 * - **dead letters**: an effect that failed for good leaves `pending` for `dead` in one update,
 *   where `/deadletters` lists it and a retry puts it back;
 * - **the sweep picks work by due time** (`nextEffectAt`, the earliest `nextAt`, kept by the lease's
 *   release), so requests whose effects keep failing wait out their back-off and never starve the
 *   healthy ones.
 */
import type { Connection, Model } from 'mongoose';
import { nonEmpty } from './chain.js';
import { requestDocId, requestModel, type StoredRequest } from './request.model.js';

type Pending = StoredRequest['pending'][number];
export type DeadLetter = NonNullable<StoredRequest['dead']>[number];

const idOf = requestDocId;

export class OutboxStore {
  private readonly model: Model<StoredRequest>;

  constructor(
    conn: Connection,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.model = requestModel(conn);
  }

  /** Indexes (shared with RequestStore); requests written before the outbox kept due times are made due. */
  async init(): Promise<void> {
    await this.model.createIndexes();
    await this.model.collection.updateMany({ 'pending.key': { $exists: true }, nextEffectAt: { $exists: false } }, { $set: { nextEffectAt: this.now() } });
  }

  /**
   * Takes the request's outbox for `ms` (free, expired, or already ours) and returns the request
   * as it is now; null when another runner holds it.
   */
  async lease(tenantKey: string, id: string, owner: string, ms: number): Promise<StoredRequest | null> {
    const now = this.now();
    const doc = await this.model.collection.findOneAndUpdate(
      {
        _id: idOf(nonEmpty('tenantKey', tenantKey), nonEmpty('id', id)),
        $or: [{ effectsLease: { $exists: false } }, { 'effectsLease.until': { $lt: now } }, { 'effectsLease.owner': owner }],
      } as never,
      { $set: { effectsLease: { owner, until: new Date(now.getTime() + ms) } } },
      { returnDocument: 'after' },
    );
    return (doc as unknown as StoredRequest | null) ?? null;
  }

  /** Gives the lease back and records when the next pending effect is due (null: none). */
  async release(tenantKey: string, id: string, owner: string): Promise<void> {
    await this.model.collection.updateOne({ _id: idOf(tenantKey, id), 'effectsLease.owner': owner } as never, [
      { $set: { nextEffectAt: { $min: '$pending.nextAt' } } },
      { $unset: 'effectsLease' },
    ]);
  }

  /** Drops executed effects from the outbox; keys not there (already completed) are ignored. */
  async complete(tenantKey: string, id: string, keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.model.collection.updateOne({ _id: idOf(tenantKey, id) } as never, { $pull: { pending: { key: { $in: keys } } } } as never);
  }

  /** Records a failed attempt of one effect: its attempts, next attempt and last error. */
  async retryLater(tenantKey: string, id: string, effect: Pending): Promise<void> {
    await this.model.collection.updateOne({ _id: idOf(tenantKey, id) } as never, { $set: { 'pending.$[e]': effect } } as never, { arrayFilters: [{ 'e.key': effect.key }] });
  }

  /** Moves one effect from the outbox to the dead letters (once: a second call finds it gone). */
  async deadLetter(tenantKey: string, id: string, effect: DeadLetter): Promise<boolean> {
    const res = await this.model.collection.updateOne(
      { _id: idOf(tenantKey, id), 'pending.key': effect.key } as never,
      { $pull: { pending: { key: effect.key } }, $push: { dead: effect } } as never,
    );
    return res.modifiedCount === 1;
  }

  /**
   * Requests of every tenant with an effect due by `now` and no live runner, earliest due first.
   * Requests whose effects wait out a back-off are not due, so they never crowd out others.
   */
  async due(limit: number, now = this.now()): Promise<StoredRequest[]> {
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new RangeError('limit must be an integer in 1…1000');
    return this.model
      .find({
        // `$type` repeats the partial index's filter so the planner may use it (a range alone does
        // not imply it).
        nextEffectAt: { $type: 'date', $lte: now },
        $or: [{ effectsLease: { $exists: false } }, { 'effectsLease.until': { $lt: now } }],
      })
      .sort({ nextEffectAt: 1 })
      .limit(limit)
      .lean<StoredRequest[]>();
  }

  /** A tenant's dead letters, oldest request first (at most `limit` requests' worth). */
  async listDead(tenantKey: string, limit = 50): Promise<{ requestId: string; effect: DeadLetter }[]> {
    const docs = await this.model
      .find({ tenantKey: nonEmpty('tenantKey', tenantKey), 'dead.key': { $exists: true } }, { request: 1, dead: 1 })
      .sort({ updatedAt: 1 })
      .limit(limit)
      .lean<Pick<StoredRequest, 'request' | 'dead'>[]>();
    return docs.flatMap((d) => (d.dead ?? []).map((effect) => ({ requestId: d.request.id, effect })));
  }

  /** How many dead letters there are (all tenants), for /metrics. */
  async countDead(): Promise<number> {
    const rows = await this.model
      .aggregate<{ n: number }>([{ $match: { 'dead.key': { $exists: true } } }, { $project: { n: { $size: '$dead' } } }, { $group: { _id: null, n: { $sum: '$n' } } }])
      // The partial index holds only requests with dead letters: read it, not the collection.
      .hint('dead_letters')
      .exec();
    return rows[0]?.n ?? 0;
  }

  /**
   * Puts dead letters back into the outbox with fresh attempts, due now: one (by key) or all of a
   * request's. Returns how many went back.
   */
  async revive(tenantKey: string, id: string, key?: string): Promise<number> {
    const _id = idOf(nonEmpty('tenantKey', tenantKey), nonEmpty('id', id));
    const doc = await this.model.collection.findOne<Pick<StoredRequest, 'dead'>>({ _id } as never, { projection: { dead: 1 } });
    const chosen = (doc?.dead ?? []).filter((d) => key === undefined || d.key === key);
    if (chosen.length === 0) return 0;
    const now = this.now();
    const back = chosen.map(({ diedAt: _d, lastError: _l, attempts: _a, ...effect }) => ({ ...effect, attempts: 0, nextAt: now }));
    const keys = chosen.map((d) => d.key);
    // Guarded by the keys still being dead, so two retries at once revive each letter once.
    const res = await this.model.collection.updateOne(
      { _id, 'dead.key': { $all: keys } } as never,
      { $pull: { dead: { key: { $in: keys } } }, $push: { pending: { $each: back } }, $set: { nextEffectAt: now } } as never,
    );
    return res.modifiedCount === 1 ? back.length : 0;
  }

  /**
   * Removes dead letters for good (`/deadletters drop`: messages nobody can receive any more).
   * Guarded by the keys still being dead, so a drop racing a retry takes effect once or not at all.
   */
  async dropDead(tenantKey: string, id: string, keys: readonly string[]): Promise<number> {
    const _id = idOf(nonEmpty('tenantKey', tenantKey), nonEmpty('id', id));
    if (keys.length === 0) return 0;
    const res = await this.model.collection.updateOne({ _id, 'dead.key': { $all: [...keys] } } as never, { $pull: { dead: { key: { $in: [...keys] } } } } as never);
    return res.modifiedCount === 1 ? keys.length : 0;
  }
}
