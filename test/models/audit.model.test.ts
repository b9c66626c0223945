import { createHash } from 'node:crypto';
import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLogStore, type AuditInput, type AuditRecord } from '../../models/audit.model.js';
import { canonical, digestOf } from '../../models/canonical.js';
import { EffectKeyConflictError, GENESIS_HASH } from '../../models/chain.js';
import { useTestDb, type TestDb } from '../helpers/mongo.js';

let db: TestDb;
let audit: AuditLogStore;
let tenantNo = 0;
const newTenant = () => `tenant-${++tenantNo}`;
const raw = () => db.connection.collection('audit_log');
const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

beforeAll(async () => {
  db = await useTestDb();
  audit = new AuditLogStore(db.connection);
  await audit.init();
});
afterAll(async () => {
  await db?.close();
});

const T0 = Date.parse('2026-03-01T08:00:00.000Z');
function action(i: number, over: Partial<AuditInput> = {}): AuditInput {
  return {
    at: new Date(T0 + i * 60_000),
    actorId: `ou_actor${i % 2}`,
    action: 'request.approve',
    objectType: 'request',
    objectId: `CP-2026-${String(i % 3).padStart(4, '0')}`,
    channel: 'card',
    outcome: 'ok',
    ...over,
  };
}

function expectedHash(r: AuditRecord): string {
  const { hash: _hash, ...body } = r;
  return createHash('sha256')
    .update(canonical(body) + r.prevHash, 'utf8')
    .digest('hex');
}

async function seqs(tenantKey: string): Promise<number[]> {
  return (await raw().find({ tenantKey }).sort({ seq: 1 }).toArray()).map((d) => d.seq as number);
}

describe('record', () => {
  it('chains records per tenant with the documented hash', async () => {
    const [t1, t2] = [newTenant(), newTenant()];
    const a = (await audit.record(t1, action(1))).record;
    const b = (await audit.record(t1, action(2, { outcome: 'refused', reason: 'not your step', channel: 'command' }))).record;
    const c = (await audit.record(t2, action(3))).record;
    expect([a.seq, b.seq, c.seq]).toEqual([1, 2, 1]);
    expect(a.prevHash).toBe(GENESIS_HASH);
    expect(b.prevHash).toBe(a.hash);
    expect(c.prevHash).toBe(GENESIS_HASH);
    for (const r of [a, b, c]) expect(r.hash).toBe(expectedHash(r));
    expect(b).toMatchObject({ outcome: 'refused', reason: 'not your step', channel: 'command' });
    expect(await audit.verify(t1)).toEqual({ ok: true, count: 2, head: b.hash });
  });

  it('stores digests and metadata details as plain JSON that still hashes after the round trip', async () => {
    const t = newTenant();
    const before = { state: 'IN_APPROVAL', step: 1 };
    const after = { step: 2, state: 'IN_APPROVAL' };
    const { record } = await audit.record(
      t,
      action(1, {
        channel: 'admin',
        action: 'role.grant',
        beforeDigest: digestOf(before),
        afterDigest: digestOf(after),
        details: { role: '保密员', granted: new Date(T0), empty: {}, list: [] },
      }),
    );
    expect(record.details).toEqual({ empty: {}, granted: '2026-03-01T08:00:00.000Z', list: [], role: '保密员' });
    const back = (await raw().findOne({ tenantKey: t }, { projection: { _id: 0 } })) as unknown as AuditRecord;
    expect(expectedHash(back)).toBe(record.hash);
    expect((await audit.verify(t)).ok).toBe(true);
  });

  it('defaults `at` to now and refuses malformed input', async () => {
    const t = newTenant();
    const now = new Date('2026-05-05T05:05:05.005Z');
    const clocked = new AuditLogStore(db.connection, () => now);
    const { at: _at, ...noAt } = action(1);
    expect((await clocked.record(t, noAt)).record.at).toEqual(now);
    for (const over of [{ channel: 'email' }, { outcome: 'maybe' }, { actorId: '' }, { details: { m: new Map() } }] as Partial<AuditInput>[]) {
      await expect(audit.record(t, action(2, over)), JSON.stringify(over)).rejects.toThrow(TypeError);
    }
    expect(await seqs(t)).toEqual([1]);
  });
});

describe('idempotency', () => {
  it('returns the existing record for a replayed effect key; records without one never collide', async () => {
    const t = newTenant();
    const first = await audit.record(t, action(1, { effectKey: 'CP-2026-0001:4:audit' }));
    const again = await audit.record(t, action(1, { effectKey: 'CP-2026-0001:4:audit', at: new Date() }));
    expect(again).toEqual({ record: first.record, created: false });
    // No effect key: two identical records are two facts (the partial unique index ignores them).
    const plain = [await audit.record(t, action(2)), await audit.record(t, action(2)), await audit.record(t, action(2))];
    expect(plain.map((p) => p.created)).toEqual([true, true, true]);
    expect(await seqs(t)).toEqual([1, 2, 3, 4]);
    await expect(audit.record(t, action(1, { effectKey: 'CP-2026-0001:4:audit', action: 'request.reject' }))).rejects.toThrow(EffectKeyConflictError);
  });

  it('concurrent writers from several instances: one record per effect key, a gap-free chain', async () => {
    const t = newTenant();
    const conns = await Promise.all(range(4).map(() => mongoose.createConnection(db.uri, { dbName: db.dbName, autoIndex: false }).asPromise()));
    try {
      const stores = conns.map((c) => new AuditLogStore(c));
      const results = await Promise.all([
        ...range(50).map((i) => stores[i % 4]!.record(t, action(i))),
        ...range(20).map((i) => stores[i % 4]!.record(t, action(0, { effectKey: 'same' }))),
      ]);
      expect(results.filter((r) => r.record.effectKey === 'same' && r.created)).toHaveLength(1);
      expect(await seqs(t)).toEqual(range(51));
      expect(await audit.verify(t)).toMatchObject({ ok: true, count: 51 });
    } finally {
      await Promise.all(conns.map((c) => c.close()));
    }
  });
});

describe('append-only and verify', () => {
  it('the model refuses mutations', async () => {
    const t = newTenant();
    await audit.record(t, action(1));
    const M = db.connection.models.AuditRecord as mongoose.Model<AuditRecord>;
    await expect(M.updateOne({ tenantKey: t }, { $set: { outcome: 'ok' } })).rejects.toThrow('the audit log is append-only');
    await expect(M.deleteMany({ tenantKey: t })).rejects.toThrow('the audit log is append-only');
    await expect(M.findOneAndUpdate({ tenantKey: t }, { $set: { outcome: 'ok' } })).rejects.toThrow('append-only');
    expect(await seqs(t)).toEqual([1]);
  });

  it('names the first tampered, removed or relinked record', async () => {
    const t = newTenant();
    const records: AuditRecord[] = [];
    for (const i of range(8)) records.push((await audit.record(t, action(i, { outcome: i === 4 ? 'refused' : 'ok' }))).record);
    await raw().updateOne({ tenantKey: t, seq: 4 }, { $set: { outcome: 'ok' } });
    expect(await audit.verify(t)).toMatchObject({ ok: false, count: 3, brokenAt: 4, reason: 'hash_mismatch' });
    await raw().updateOne({ tenantKey: t, seq: 4 }, { $set: { outcome: 'refused' } });
    expect((await audit.verify(t)).ok).toBe(true);
    await raw().updateOne({ tenantKey: t, seq: 6 }, { $set: { prevHash: records[0]!.hash } });
    expect(await audit.verify(t)).toMatchObject({ ok: false, brokenAt: 6, reason: 'prev_mismatch' });
    await raw().deleteOne({ tenantKey: t, seq: 2 });
    expect(await audit.verify(t)).toMatchObject({ ok: false, count: 1, brokenAt: 2, reason: 'seq_gap' });
  });
});

describe('list', () => {
  it('filters by object, actor and date range, and pages by seq', async () => {
    const t = newTenant();
    for (const i of range(9)) await audit.record(t, action(i));
    await audit.record(newTenant(), action(1));
    const seqsOf = (rs: AuditRecord[]) => rs.map((r) => r.seq);
    expect(seqsOf((await audit.list(t, { objectId: 'CP-2026-0001' }, { limit: 50 })).records)).toEqual([1, 4, 7]);
    expect(seqsOf((await audit.list(t, { actorId: 'ou_actor1', objectId: 'CP-2026-0001' }, { limit: 50 })).records)).toEqual([1, 7]);
    const from = new Date(T0 + 2 * 60_000);
    const to = new Date(T0 + 5 * 60_000);
    expect(seqsOf((await audit.list(t, { from, to }, { limit: 50 })).records)).toEqual([2, 3, 4]);
    const p1 = await audit.list(t, {}, { limit: 5 });
    const p2 = await audit.list(t, {}, { limit: 5, afterSeq: p1.nextAfterSeq });
    expect([seqsOf(p1.records), p1.nextAfterSeq, seqsOf(p2.records), p2.nextAfterSeq]).toEqual([[1, 2, 3, 4, 5], 5, [6, 7, 8, 9], undefined]);
    expect(p1.records[0]).not.toHaveProperty('_id');
    await expect(audit.list(t, {}, { limit: 501 })).rejects.toThrow(RangeError);
  });

  it('init creates the chain, idempotency and query indexes', async () => {
    const indexes = await raw().listIndexes().toArray();
    const find = (key: object) => indexes.find((ix) => JSON.stringify(ix.key) === JSON.stringify(key));
    expect(find({ tenantKey: 1, seq: 1 })?.unique).toBe(true);
    expect(find({ tenantKey: 1, effectKey: 1 })).toMatchObject({ unique: true, partialFilterExpression: { effectKey: { $exists: true } } });
    expect(find({ tenantKey: 1, objectId: 1, seq: 1 })).toBeDefined();
    expect(find({ tenantKey: 1, actorId: 1, seq: 1 })).toBeDefined();
    expect(find({ tenantKey: 1, at: 1 })).toBeDefined();
  });
});
