import { createHash } from 'node:crypto';
import { ObjectId } from 'bson';
import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { canonical, digestOf, toPlainJson } from '../../models/canonical.js';
import { ChainContentionError, GENESIS_HASH, HashChain } from '../../models/chain.js';
import { EffectKeyConflictError, LedgerStore, type Ledger, type LedgerEntry, type LedgerEntryInput } from '../../models/ledger.model.js';
import { useTestDb, type TestDb } from '../helpers/mongo.js';

let db: TestDb;
let store: LedgerStore;
let tenantNo = 0;
/** A fresh tenant per test keeps the tests independent inside one database. */
const newTenant = () => `tenant-${++tenantNo}`;

beforeAll(async () => {
  db = await useTestDb();
  store = new LedgerStore(db.connection);
  await store.init();
});
afterAll(async () => {
  await db?.close();
});

const raw = () => db.connection.collection('ledger_entries');

/** Extra connections to the same database: each is what a separate bot instance would have. */
async function withInstances<R>(n: number, fn: (stores: LedgerStore[]) => Promise<R>): Promise<R> {
  const conns = await Promise.all(Array.from({ length: n }, () => mongoose.createConnection(db.uri, { dbName: db.dbName, autoIndex: false }).asPromise()));
  try {
    return await fn(conns.map((c) => new LedgerStore(c)));
  } finally {
    await Promise.all(conns.map((c) => c.close()));
  }
}

const T0 = Date.parse('2026-03-01T08:00:00.000Z');
function input(i: number, over: Partial<LedgerEntryInput> = {}): LedgerEntryInput {
  return {
    effectKey: `CP-2026-${String(i).padStart(4, '0')}:1:ledger:0`,
    event: 'COPIED',
    carrierNumber: `JM-${i % 3}`,
    requestId: `CP-2026-${String(i).padStart(4, '0')}`,
    actorId: `ou_actor${i % 2}`,
    occurredAt: new Date(T0 + i * 60_000),
    data: { copies: i, method: '复印', approvers: [{ id: 'ou_a', at: '2026-03-01T07:00:00.000Z' }] },
    ...over,
  };
}

/** The documented hash, computed independently of models/chain.ts. */
function expectedHash(entry: LedgerEntry): string {
  const { hash: _hash, recordedAt: _recordedAt, ...body } = entry;
  return createHash('sha256')
    .update(canonical(body) + entry.prevHash, 'utf8')
    .digest('hex');
}

async function fill(tenantKey: string, ledger: Ledger, n: number): Promise<LedgerEntry[]> {
  const out: LedgerEntry[] = [];
  for (let i = 1; i <= n; i++) out.push((await store.append(tenantKey, ledger, input(i, { effectKey: `${ledger}:${i}` }))).entry);
  return out;
}

async function seqs(tenantKey: string, ledger: Ledger): Promise<number[]> {
  const docs = await raw().find({ tenantKey, ledger }).sort({ seq: 1 }).toArray();
  return docs.map((d) => d.seq as number);
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe('canonical', () => {
  it('sorts keys recursively, independent of insertion order, integer-like keys included', () => {
    const a = { b: 1, a: { d: [{ y: 1, x: 2 }], c: 'z' }, '10': true, '2': null };
    const b = { '2': null, a: { c: 'z', d: [{ x: 2, y: 1 }] }, '10': true, b: 1 };
    expect(canonical(a)).toBe('{"10":true,"2":null,"a":{"c":"z","d":[{"x":2,"y":1}]},"b":1}');
    expect(canonical(b)).toBe(canonical(a));
  });

  it('writes Dates as ISO strings with milliseconds, drops undefined keys, keeps empty containers', () => {
    const d = new Date('2026-03-01T08:00:00.123Z');
    expect(canonical({ at: d, gone: undefined, list: [], obj: {} })).toBe('{"at":"2026-03-01T08:00:00.123Z","list":[],"obj":{}}');
    expect(canonical([1, undefined, null])).toBe('[1,null,null]');
    expect(canonical({ n: -0, f: 0.1, big: 2 ** 53 - 1, s: '保密"\n😀' })).toBe('{"big":9007199254740991,"f":0.1,"n":0,"s":"保密\\"\\n😀"}');
  });

  it('refuses what could not survive a round trip unchanged', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const bad of [
      undefined,
      { x: NaN },
      { x: Infinity },
      { x: 1n },
      { x: new Map() },
      { x: new ObjectId() },
      { x: Buffer.from('a') },
      { x: new Date('nope') },
      { x: 'lone \ud800 surrogate' },
      { x: () => 1 },
      cyclic,
    ]) {
      expect(() => canonical(bad), String(bad)).toThrow(TypeError);
    }
    const shared = { k: 1 };
    expect(canonical({ a: shared, b: shared })).toBe('{"a":{"k":1},"b":{"k":1}}');
  });

  it('toPlainJson stores what canonical hashes and refuses keys MongoDB treats specially', () => {
    const v = { z: new Date(T0), a: [undefined, { q: undefined, r: 1 }] };
    expect(toPlainJson(v)).toEqual({ a: [null, { r: 1 }], z: '2026-03-01T08:00:00.000Z' });
    expect(canonical(toPlainJson(v))).toBe(canonical(v));
    expect(() => toPlainJson({ $set: 1 })).toThrow(/cannot be stored/);
    expect(() => toPlainJson({ a: { 'b.c': 1 } })).toThrow(/a\.b\.c/);
    expect(digestOf({ b: 1, a: 2 })).toBe(digestOf({ a: 2, b: 1 }));
  });

  it('hashes the same after a round trip through MongoDB', async () => {
    const t = newTenant();
    const data = {
      zKey: 'last',
      中文列: '机密★10年',
      nested: { deep: { list: [1, 2.5, -3, 2 ** 40, true, null, 'x'], empty: [], none: {} } },
      when: new Date('2026-03-01T08:00:00.999Z'),
      dropped: undefined,
      '10': 'ten',
      '2': 'two',
      negZero: -0,
    };
    const { entry } = await store.append(t, 'COPY', input(1, { data, counterpartIds: ['ou_b', 'ou_a'], quantity: 3 }));
    const back = await raw().findOne({ tenantKey: t }, { projection: { _id: 0 } });
    expect(back).not.toBeNull();
    const { recordedAt: _r1, ...wrote } = entry;
    const { recordedAt: _r2, ...read } = back as unknown as LedgerEntry;
    expect(canonical(read)).toBe(canonical(wrote));
    expect(expectedHash(back as unknown as LedgerEntry)).toBe(entry.hash);
    expect(await store.verify(t, 'COPY')).toEqual({ ok: true, count: 1, head: entry.hash });
  });
});

describe('append', () => {
  it('numbers entries 1, 2, 3… and links each to the previous hash', async () => {
    const t = newTenant();
    const entries = await fill(t, 'MASTER', 3);
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(entries[0]!.prevHash).toBe(GENESIS_HASH);
    expect(entries[1]!.prevHash).toBe(entries[0]!.hash);
    expect(entries[2]!.prevHash).toBe(entries[1]!.hash);
    for (const e of entries) expect(e.hash).toBe(expectedHash(e));
    expect(new Set(entries.map((e) => e.hash)).size).toBe(3);
  });

  it('returns plain objects equal to what is stored, without _id, empty lists and nulls left out', async () => {
    const t = newTenant();
    const { entry } = await store.append(t, 'CARRY', input(1, { counterpartIds: [], carrierNumber: undefined }));
    expect(entry).not.toHaveProperty('_id');
    expect(entry).not.toHaveProperty('counterpartIds');
    expect(entry).not.toHaveProperty('carrierNumber');
    const { entries } = await store.list(t, 'CARRY', {}, { limit: 10 });
    expect(entries).toEqual([entry]);
    expect(Object.getPrototypeOf(entries[0])).toBe(Object.prototype);
  });

  it('hashes effectKey but not recordedAt', async () => {
    const t = newTenant();
    await fill(t, 'COPY', 2);
    await raw().updateOne({ tenantKey: t, seq: 1 }, { $set: { recordedAt: new Date(0) } });
    expect((await store.verify(t, 'COPY')).ok).toBe(true);
    await raw().updateOne({ tenantKey: t, seq: 2 }, { $set: { effectKey: 'CP-2026-0002:2:ledger:0' } });
    expect(await store.verify(t, 'COPY')).toMatchObject({ ok: false, brokenAt: 2, reason: 'hash_mismatch' });
  });

  it('refuses malformed input without writing anything', async () => {
    const t = newTenant();
    const bad: Partial<LedgerEntryInput>[] = [
      { actorId: '' },
      { carrierNumber: 42 as unknown as string },
      { occurredAt: '2026-03-01' as unknown as Date },
      { quantity: NaN },
      { counterpartIds: ['ou_a', 7 as unknown as string] },
      { data: { when: new Map() } },
      { data: { 'a.b': 1 } },
      { data: [] as unknown as Record<string, unknown> },
    ];
    for (const over of bad) await expect(store.append(t, 'COPY', input(1, over)), JSON.stringify(over)).rejects.toThrow(TypeError);
    await expect(store.append('', 'COPY', input(1))).rejects.toThrow(/tenantKey/);
    await expect(store.append(t, 'BOGUS' as Ledger, input(1))).rejects.toThrow(/ledger/);
    expect(await raw().countDocuments({ tenantKey: t })).toBe(0);
  });
});

describe('idempotency by (tenantKey, effectKey)', () => {
  it('a second append with the same effect key returns the first entry, created: false', async () => {
    const t = newTenant();
    const first = await store.append(t, 'COPY', input(1));
    const again = await store.append(t, 'COPY', input(1, { occurredAt: new Date(), data: { retried: true } }));
    expect(first.created).toBe(true);
    expect(again).toEqual({ entry: first.entry, created: false });
    expect(await seqs(t, 'COPY')).toEqual([1]);
  });

  it('replaying after a crash between two appends writes only the missing one', async () => {
    const t = newTenant();
    const effects = [input(1, { effectKey: 'CP-2026-0001:5:ledger:0' }), input(2, { effectKey: 'CP-2026-0001:5:ledger:1' })];
    await store.append(t, 'COPY', effects[0]!); // …then the process dies before effects[1]
    await withInstances(1, async ([restarted]) => {
      const results = [];
      for (const e of effects) results.push(await restarted!.append(t, 'COPY', e));
      expect(results.map((r) => [r.entry.seq, r.created])).toEqual([
        [1, false],
        [2, true],
      ]);
    });
    expect(await store.verify(t, 'COPY')).toMatchObject({ ok: true, count: 2 });
  });

  it('scopes effect keys by tenant and refuses one reused for a different effect', async () => {
    const t1 = newTenant();
    const t2 = newTenant();
    await store.append(t1, 'COPY', input(1));
    expect((await store.append(t2, 'COPY', input(1))).created).toBe(true);
    await expect(store.append(t1, 'MASTER', input(1))).rejects.toThrow(EffectKeyConflictError);
    await expect(store.append(t1, 'COPY', input(1, { event: 'REGISTERED' }))).rejects.toThrow(EffectKeyConflictError);
    expect(await seqs(t1, 'MASTER')).toEqual([]);
    expect(await store.findByEffectKey(t1, input(1).effectKey)).toMatchObject({ seq: 1, ledger: 'COPY' });
  });
});

describe('concurrency', () => {
  it('100 concurrent appends through one store give seq 1..100 and a valid chain, queued without retries', async () => {
    const t = newTenant();
    const inserts = vi.spyOn(db.connection.models.LedgerEntry!, 'insertOne');
    let insertCalls = 0;
    const results = await Promise.all(range(100).map((i) => store.append(t, 'MASTER', input(i)))).finally(() => {
      insertCalls = inserts.mock.calls.length;
      inserts.mockRestore();
    });
    expect(insertCalls).toBe(100);
    expect(results.every((r) => r.created)).toBe(true);
    expect(await seqs(t, 'MASTER')).toEqual(range(100));
    expect(await store.verify(t, 'MASTER')).toMatchObject({ ok: true, count: 100 });
  });

  it('100 concurrent appends from 5 instances race on the seq index and still give 1..100, no gaps', async () => {
    const t = newTenant();
    const results = await withInstances(5, (stores) => Promise.all(range(100).map((i) => stores[i % 5]!.append(t, 'COPY', input(i)))));
    expect(results.map((r) => r.entry.seq).sort((a, b) => a - b)).toEqual(range(100));
    expect(await seqs(t, 'COPY')).toEqual(range(100));
    expect(await store.verify(t, 'COPY')).toMatchObject({ ok: true, count: 100 });
  });

  it('20 concurrent appends of the same effect key write exactly one entry', async () => {
    const t = newTenant();
    await fill(t, 'DESTROY', 2);
    const same = input(99, { effectKey: 'DS-2026-0007:3:ledger:0' });
    const results = await withInstances(4, (stores) => Promise.all(range(20).map((i) => (i % 5 === 0 ? store : stores[i % 4]!).append(t, 'DESTROY', same))));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.entry.hash)).size).toBe(1);
    expect(await raw().countDocuments({ tenantKey: t, effectKey: same.effectKey })).toBe(1);
    expect(await seqs(t, 'DESTROY')).toEqual([1, 2, 3]);
    expect((await store.verify(t, 'DESTROY')).ok).toBe(true);
  });

  it('ledgers and tenants are separate chains that do not interfere', async () => {
    const [t1, t2] = [newTenant(), newTenant()];
    const chains: [string, Ledger][] = [
      [t1, 'MASTER'],
      [t1, 'COPY'],
      [t1, 'CARRY'],
      [t2, 'MASTER'],
    ];
    await withInstances(3, (stores) =>
      Promise.all(chains.flatMap(([t, ledger], c) => range(30).map((i) => stores[i % 3]!.append(t, ledger, input(i, { effectKey: `${ledger}-${c}-${i}` }))))),
    );
    for (const [t, ledger] of chains) {
      expect(await seqs(t, ledger)).toEqual(range(30));
      expect(await store.verify(t, ledger)).toMatchObject({ ok: true, count: 30 });
    }
  });

  it('gives up with a clear error when it keeps losing the race', async () => {
    const t = newTenant();
    await fill(t, 'COPY', 1);
    const model = db.connection.models.LedgerEntry as mongoose.Model<LedgerEntry>;
    const chain = new HashChain<LedgerEntry>(model, { label: 'ledger', hashed: [], maxAttempts: 3 });
    // A head that is always stale: every insert collides with seq 1.
    chain.head = async () => null;
    const { hash: _h, seq: _s, prevHash: _p, ...fields } = (await store.list(t, 'COPY', {}, { limit: 1 })).entries[0]!;
    await expect(chain.append({ tenantKey: t, ledger: 'COPY' }, undefined, { ...fields, effectKey: 'other' })).rejects.toThrow(ChainContentionError);
    expect(await seqs(t, 'COPY')).toEqual([1]);
  });
});

describe('append-only', () => {
  it('the model refuses every update and delete', async () => {
    const t = newTenant();
    await fill(t, 'MASTER', 2);
    const M = db.connection.models.LedgerEntry as mongoose.Model<LedgerEntry>;
    const q = { tenantKey: t, seq: 1 };
    const attempts: [string, () => Promise<unknown>][] = [
      ['updateOne', () => M.updateOne(q, { $set: { event: 'X' } })],
      ['updateMany', () => M.updateMany(q, { $set: { event: 'X' } })],
      ['findOneAndUpdate', () => M.findOneAndUpdate(q, { $set: { event: 'X' } })],
      ['findOneAndReplace', () => M.findOneAndReplace(q, { event: 'X' })],
      ['replaceOne', () => M.replaceOne(q, { event: 'X' })],
      ['deleteOne', () => M.deleteOne(q)],
      ['deleteMany', () => M.deleteMany({ tenantKey: t })],
      ['findOneAndDelete', () => M.findOneAndDelete(q)],
      ['bulkWrite', () => M.bulkWrite([{ deleteOne: { filter: q } }])],
      [
        'document save',
        async () => {
          const doc = await M.findOne(q);
          doc!.event = 'X';
          return doc!.save();
        },
      ],
      ['document deleteOne', async () => (await M.findOne(q))!.deleteOne()],
      ['document updateOne', async () => (await M.findOne(q))!.updateOne({ $set: { event: 'X' } })],
    ];
    for (const [name, attempt] of attempts) await expect(attempt(), name).rejects.toThrow('ledgers are append-only');
    expect(await store.verify(t, 'MASTER')).toMatchObject({ ok: true, count: 2 });
    const api = Object.getOwnPropertyNames(LedgerStore.prototype);
    expect(api.filter((n) => /update|delete|remove|replace|set/i.test(n))).toEqual([]);
  });
});

describe('verify', () => {
  it('reports an empty chain and an intact one with its head', async () => {
    const t = newTenant();
    expect(await store.verify(t, 'KNOWLEDGE')).toEqual({ ok: true, count: 0 });
    const entries = await fill(t, 'KNOWLEDGE', 5);
    const head = entries[4]!.hash;
    expect(await store.verify(t, 'KNOWLEDGE')).toEqual({ ok: true, count: 5, head });
    expect(await store.head(t, 'KNOWLEDGE')).toEqual({ seq: 5, hash: head });
  });

  it('names a changed data field (hash_mismatch at that seq)', async () => {
    const t = newTenant();
    const entries = await fill(t, 'COPY', 10);
    await raw().updateOne({ tenantKey: t, ledger: 'COPY', seq: 5 }, { $set: { 'data.copies': 99 } });
    expect(await store.verify(t, 'COPY')).toEqual({
      ok: false,
      count: 4,
      brokenAt: 5,
      reason: 'hash_mismatch',
      expected: expect.stringMatching(/^[0-9a-f]{64}$/),
      actual: entries[4]!.hash,
    });
  });

  it('catches a forger who also rewrote the hash: the next link no longer matches', async () => {
    const t = newTenant();
    const entries = await fill(t, 'COPY', 10);
    const forged = { ...entries[4]!, quantity: 1 };
    forged.hash = expectedHash(forged);
    await raw().updateOne({ tenantKey: t, seq: 5 }, { $set: { quantity: 1, hash: forged.hash } });
    expect(await store.verify(t, 'COPY')).toMatchObject({
      ok: false,
      count: 5,
      brokenAt: 6,
      reason: 'prev_mismatch',
      expected: forged.hash,
      actual: entries[4]!.hash,
    });
  });

  it('names a deleted entry (seq_gap at the missing seq)', async () => {
    const t = newTenant();
    await fill(t, 'CARRY', 10);
    await raw().deleteOne({ tenantKey: t, ledger: 'CARRY', seq: 5 });
    expect(await store.verify(t, 'CARRY')).toEqual({ ok: false, count: 4, brokenAt: 5, reason: 'seq_gap', expected: '5', actual: '6' });
    const t2 = newTenant();
    await fill(t2, 'CARRY', 3);
    await raw().deleteOne({ tenantKey: t2, ledger: 'CARRY', seq: 1 });
    expect(await store.verify(t2, 'CARRY')).toMatchObject({ ok: false, count: 0, brokenAt: 1, reason: 'seq_gap' });
  });

  it('names a swapped prevHash (prev_mismatch) and only the first of several breaks', async () => {
    const t = newTenant();
    const entries = await fill(t, 'DESTROY', 10);
    await raw().updateOne({ tenantKey: t, seq: 7 }, { $set: { prevHash: entries[2]!.hash } });
    expect(await store.verify(t, 'DESTROY')).toMatchObject({ ok: false, count: 6, brokenAt: 7, reason: 'prev_mismatch' });
    await raw().updateOne({ tenantKey: t, seq: 3 }, { $set: { actorId: 'ou_mallory' } });
    await raw().deleteOne({ tenantKey: t, seq: 9 });
    expect(await store.verify(t, 'DESTROY')).toMatchObject({ ok: false, count: 2, brokenAt: 3, reason: 'hash_mismatch' });
  });

  it('counts a stored value canonical JSON cannot hash as tampering, and a tampered other chain does not matter', async () => {
    const t = newTenant();
    await fill(t, 'COPY', 3);
    await fill(t, 'MASTER', 3);
    await raw().updateOne({ tenantKey: t, ledger: 'COPY', seq: 2 }, { $set: { 'data.copies': new ObjectId() } });
    expect(await store.verify(t, 'COPY')).toMatchObject({ ok: false, brokenAt: 2, reason: 'hash_mismatch' });
    expect(await store.verify(t, 'MASTER')).toMatchObject({ ok: true, count: 3 });
  });

  it('streams long chains in batches and still names the first broken seq', async () => {
    const t = newTenant();
    const n = 2500;
    // Built directly with the documented hash (fast, and independent of the append code).
    const docs: LedgerEntry[] = [];
    let prevHash = GENESIS_HASH;
    for (let seq = 1; seq <= n; seq++) {
      const { effectKey, event, actorId, occurredAt, data } = input(seq);
      const e = { tenantKey: t, ledger: 'MASTER', seq, effectKey, event, actorId, occurredAt, data, prevHash } as LedgerEntry;
      e.hash = expectedHash(e);
      e.recordedAt = new Date();
      docs.push(e);
      prevHash = e.hash;
    }
    await raw().insertMany(docs.map((d) => ({ ...d })));
    // Count the batches verify fetches: it must stream, not load the chain in one reply.
    const watched = await mongoose.createConnection(db.uri, { dbName: db.dbName, autoIndex: false, monitorCommands: true }).asPromise();
    try {
      const batches: string[] = [];
      watched.getClient().on('commandStarted', (e) => {
        if (e.commandName === 'find' || e.commandName === 'getMore') batches.push(e.commandName);
      });
      expect(await new LedgerStore(watched).verify(t, 'MASTER')).toEqual({ ok: true, count: n, head: prevHash });
      expect(batches).toEqual(['find', 'getMore', 'getMore']);
    } finally {
      await watched.close();
    }
    // And appending continues the chain.
    expect((await store.append(t, 'MASTER', input(n + 1))).entry).toMatchObject({ seq: n + 1, prevHash });
    await raw().updateOne({ tenantKey: t, ledger: 'MASTER', seq: 2345 }, { $set: { event: 'DESTROYED' } });
    expect(await store.verify(t, 'MASTER')).toMatchObject({ ok: false, count: 2344, brokenAt: 2345, reason: 'hash_mismatch' });
  });
});

describe('list', () => {
  let t: string;
  beforeAll(async () => {
    t = newTenant();
    await fill(t, 'COPY', 10);
    await fill(newTenant(), 'COPY', 3); // another tenant, never listed
    await store.append(t, 'MASTER', input(100));
  });

  const seqsOf = (entries: LedgerEntry[]) => entries.map((e) => e.seq);

  it('filters by carrier, request, event, actor and a half-open date range', async () => {
    expect(seqsOf((await store.list(t, 'COPY', { carrierNumber: 'JM-1' }, { limit: 50 })).entries)).toEqual([1, 4, 7, 10]);
    expect(seqsOf((await store.list(t, 'COPY', { requestId: 'CP-2026-0003' }, { limit: 50 })).entries)).toEqual([3]);
    expect(seqsOf((await store.list(t, 'COPY', { actorId: 'ou_actor0' }, { limit: 50 })).entries)).toEqual([2, 4, 6, 8, 10]);
    expect((await store.list(t, 'COPY', { event: 'DESTROYED' }, { limit: 50 })).entries).toEqual([]);
    const from = new Date(T0 + 3 * 60_000);
    const to = new Date(T0 + 6 * 60_000);
    expect(seqsOf((await store.list(t, 'COPY', { from, to }, { limit: 50 })).entries)).toEqual([3, 4, 5]);
    expect(seqsOf((await store.list(t, 'COPY', { from, to, carrierNumber: 'JM-0' }, { limit: 50 })).entries)).toEqual([3]);
    expect(seqsOf((await store.list(t, 'MASTER', {}, { limit: 50 })).entries)).toEqual([1]);
  });

  it('pages by seq with nextAfterSeq, and says when there is nothing more', async () => {
    const seen: number[] = [];
    let afterSeq: number | undefined;
    let pages = 0;
    do {
      const page = await store.list(t, 'COPY', {}, { limit: 4, afterSeq });
      seen.push(...seqsOf(page.entries));
      afterSeq = page.nextAfterSeq;
      pages++;
    } while (afterSeq !== undefined);
    expect(seen).toEqual(range(10));
    expect(pages).toBe(3);
    const exact = await store.list(t, 'COPY', {}, { limit: 5, afterSeq: 5 });
    expect(seqsOf(exact.entries)).toEqual([6, 7, 8, 9, 10]);
    expect(exact.nextAfterSeq).toBeUndefined();
    const filtered = await store.list(t, 'COPY', { carrierNumber: 'JM-1' }, { limit: 2 });
    expect([seqsOf(filtered.entries), filtered.nextAfterSeq]).toEqual([[1, 4], 4]);
  });

  it('refuses a page larger than 500 or malformed', async () => {
    for (const page of [{ limit: 0 }, { limit: 501 }, { limit: 2.5 }, { limit: 10, afterSeq: -1 }]) {
      await expect(store.list(t, 'COPY', {}, page)).rejects.toThrow(RangeError);
    }
    expect((await store.list(t, 'COPY', {}, { limit: 500 })).entries).toHaveLength(10);
  });
});

describe('indexes', () => {
  it('init creates the chain, idempotency and query indexes', async () => {
    const indexes = await raw().listIndexes().toArray();
    const byKey = new Map(indexes.map((ix) => [JSON.stringify(ix.key), ix.unique === true]));
    expect(byKey.get('{"tenantKey":1,"ledger":1,"seq":1}')).toBe(true);
    expect(byKey.get('{"tenantKey":1,"effectKey":1}')).toBe(true);
    expect(byKey.get('{"tenantKey":1,"ledger":1,"carrierNumber":1,"seq":1}')).toBe(false);
    expect(byKey.get('{"tenantKey":1,"ledger":1,"requestId":1,"seq":1}')).toBe(false);
    expect(byKey.get('{"tenantKey":1,"ledger":1,"actorId":1,"seq":1}')).toBe(false);
    expect(byKey.get('{"tenantKey":1,"ledger":1,"occurredAt":1}')).toBe(false);
    // LedgerReader's user= on the incidents' register (PERSON_FIELD.INCIDENT), partial like the others.
    const reporter = indexes.find((ix) => JSON.stringify(ix.key) === '{"tenantKey":1,"ledger":1,"data.reporterId":1,"seq":1}');
    expect(reporter?.partialFilterExpression).toEqual({ 'data.reporterId': { $exists: true } });
  });
});
