/**
 * The delivery claim is a lease (models/dedupe.model.ts): processing until leaseUntil, done for
 * good once handled, deleted when handling failed, taken over when its holder died.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEDUPE_LEASE_MS, MemoryDedupeStore, MongoDedupeStore } from '../../models/dedupe.model.js';
import { useTestDb, type TestDb } from '../helpers/mongo.js';

let db: TestDb;
beforeAll(async () => {
  db = await useTestDb();
  await new MongoDedupeStore(db.connection).init();
});
afterAll(() => db.close());

const LEASE = 10_000;
/** A clock the test moves; every store of one test shares it (two processes, one time). */
function clock(start = Date.parse('2026-11-30T08:00:00Z')) {
  let t = start;
  return { now: () => new Date(t), advance: (ms: number) => void (t += ms), at: () => t };
}
const doc = (key: string) => db.connection.collection('dedupe').findOne({ _id: key as never });

describe('MongoDedupeStore lease', () => {
  it('is shorter than Lark’s first redelivery (15 s), so a redelivery after a crash finds it expired', () => {
    expect(DEDUPE_LEASE_MS).toBeLessThan(15_000);
    expect(new MongoDedupeStore(db.connection).leaseMs).toBe(DEDUPE_LEASE_MS);
  });

  it('a claim records {state: processing, leaseUntil}; while it holds, a duplicate loses', async () => {
    const c = clock();
    const store = new MongoDedupeStore(db.connection, c.now, LEASE);
    expect(await store.claim('lease:claim')).toBe(true);
    expect(await doc('lease:claim')).toMatchObject({ state: 'processing', leaseUntil: new Date(c.at() + LEASE) });
    c.advance(LEASE - 1);
    expect(await store.claim('lease:claim')).toBe(false);
    expect(await new MongoDedupeStore(db.connection, c.now, LEASE).claim('lease:claim')).toBe(false);
  });

  it('done: the key stays handled for good, also long after the lease, and keeps its TTL field', async () => {
    const c = clock();
    const store = new MongoDedupeStore(db.connection, c.now, LEASE);
    expect(await store.claim('lease:done')).toBe(true);
    c.advance(2_000);
    await store.done('lease:done');
    const d = await doc('lease:done');
    expect(d).toMatchObject({ state: 'done', at: new Date(c.at()) });
    expect(d?.leaseUntil).toBeUndefined();
    c.advance(24 * 3600_000);
    expect(await new MongoDedupeStore(db.connection, c.now, LEASE).claim('lease:done')).toBe(false);
    expect(await store.claim('lease:done')).toBe(false);
    // A key recorded before claims were leases ({_id, at}) counts as handled too.
    await db.connection.collection('dedupe').insertOne({ _id: 'lease:legacy' as never, at: new Date(c.at() - 3600_000) });
    expect(await store.claim('lease:legacy')).toBe(false);
  });

  it('release after a failure deletes the claim: the redelivery is handled', async () => {
    const c = clock();
    const store = new MongoDedupeStore(db.connection, c.now, LEASE);
    expect(await store.claim('lease:release')).toBe(true);
    await store.release('lease:release');
    expect(await doc('lease:release')).toBeNull();
    const other = new MongoDedupeStore(db.connection, c.now, LEASE);
    expect(await other.claim('lease:release')).toBe(true);
    expect(await doc('lease:release')).toMatchObject({ state: 'processing' });
  });

  it('a dead holder’s lease expires and one redelivery takes it over; the old holder can no longer touch it', async () => {
    const c = clock();
    const dead = new MongoDedupeStore(db.connection, c.now, LEASE);
    expect(await dead.claim('lease:takeover')).toBe(true);
    const before = await doc('lease:takeover');
    c.advance(LEASE + 1);
    // Ten instances receive the redelivery at once: exactly one takes the lease over.
    const instances = Array.from({ length: 10 }, () => new MongoDedupeStore(db.connection, c.now, LEASE));
    const results = await Promise.all(instances.map((s) => s.claim('lease:takeover')));
    expect(results.filter(Boolean)).toHaveLength(1);
    const after = await doc('lease:takeover');
    expect(after).toMatchObject({ state: 'processing', leaseUntil: new Date(c.at() + LEASE) });
    expect(after?.owner).not.toBe(before?.owner);
    // The old holder comes back (it was only slow): it neither renews, releases nor completes the new claim.
    expect(await dead.renew('lease:takeover')).toBe(false);
    await dead.release('lease:takeover');
    await dead.done('lease:takeover');
    expect(await doc('lease:takeover')).toMatchObject({ state: 'processing', owner: after?.owner });
    // The new holder finishes normally.
    const winner = instances[results.indexOf(true)]!;
    await winner.done('lease:takeover');
    expect(await doc('lease:takeover')).toMatchObject({ state: 'done' });
  });

  it('two redeliveries of an expired key in one batch: one takes over, the other is a duplicate', async () => {
    const c = clock();
    await new MongoDedupeStore(db.connection, c.now, LEASE).claim('lease:batch');
    c.advance(LEASE + 1);
    const store = new MongoDedupeStore(db.connection, c.now, LEASE);
    expect(await Promise.all([store.claim('lease:batch'), store.claim('lease:batch'), store.claim('lease:batch-new')])).toEqual([true, false, true]);
  });

  it('heartbeat: a renewed lease is not taken over past its first expiry', async () => {
    const c = clock();
    const holder = new MongoDedupeStore(db.connection, c.now, LEASE);
    expect(await holder.claim('lease:renew')).toBe(true);
    c.advance(LEASE / 2 + 1);
    expect(await holder.renew('lease:renew')).toBe(true);
    expect(await doc('lease:renew')).toMatchObject({ leaseUntil: new Date(c.at() + LEASE) });
    c.advance(LEASE / 2 + 1); // past the first leaseUntil, before the renewed one
    expect(await new MongoDedupeStore(db.connection, c.now, LEASE).claim('lease:renew')).toBe(false);
    c.advance(LEASE);
    expect(await new MongoDedupeStore(db.connection, c.now, LEASE).claim('lease:renew')).toBe(true);
  });
});

describe('MemoryDedupeStore lease (the core unit tests use it)', () => {
  it('claims, finishes, releases, expires and renews like the MongoDB store', async () => {
    const c = clock();
    const s = new MemoryDedupeStore(c.now, LEASE);
    expect(await s.claim('k')).toBe(true);
    expect(s.stateOf('k')).toBe('processing');
    expect(await s.claim('k')).toBe(false);
    c.advance(LEASE / 2 + 1);
    expect(await s.renew('k')).toBe(true);
    c.advance(LEASE / 2 + 1);
    expect(await s.claim('k')).toBe(false);
    c.advance(LEASE);
    expect(await s.claim('k')).toBe(true); // taken over after expiry
    await s.done('k');
    expect(s.stateOf('k')).toBe('done');
    c.advance(10 * LEASE);
    expect(await s.claim('k')).toBe(false);
    expect(await s.claim('r')).toBe(true);
    await s.release('r');
    expect(s.stateOf('r')).toBeUndefined();
    expect(await s.claim('r')).toBe(true);
  });
});
