import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CounterStore } from '../../models/counter.model.js';
import { useTestDb, type TestDb } from '../helpers/mongo.js';

let db: TestDb;
let counters: CounterStore;
const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

beforeAll(async () => {
  db = await useTestDb();
  counters = new CounterStore(db.connection);
  await counters.init();
});
afterAll(async () => {
  await db?.close();
});

describe('nextSeq', () => {
  it('counts 1, 2, 3… per tenant and name', async () => {
    expect([await counters.nextSeq('t1', 'CP-2026'), await counters.nextSeq('t1', 'CP-2026')]).toEqual([1, 2]);
    expect(await counters.nextSeq('t1', 'CO-2026')).toBe(1);
    expect(await counters.nextSeq('t2', 'CP-2026')).toBe(1);
    expect(await counters.nextSeq('t1', 'CP-2026')).toBe(3);
    const doc = await db.connection.collection('counters').findOne({ _id: 't1:CP-2026' as never });
    expect(doc).toMatchObject({ tenantKey: 't1', name: 'CP-2026', seq: 3 });
  });

  it('100 concurrent calls from several instances get 1..100, each once', async () => {
    const conns = await Promise.all(range(4).map(() => mongoose.createConnection(db.uri, { dbName: db.dbName }).asPromise()));
    try {
      const stores = [counters, ...conns.map((c) => new CounterStore(c))];
      const got = await Promise.all(range(100).map((i) => stores[i % stores.length]!.nextSeq('t3', 'DS-2026')));
      expect([...got].sort((a, b) => a - b)).toEqual(range(100));
    } finally {
      await Promise.all(conns.map((c) => c.close()));
    }
  });

  it('retries once when the first upsert loses the insert race (E11000)', async () => {
    const model = db.connection.models.Counter!;
    const original = model.findOneAndUpdate.bind(model);
    const spy = vi.spyOn(model, 'findOneAndUpdate').mockImplementationOnce(() => {
      throw Object.assign(new Error('E11000 duplicate key error'), { code: 11000 });
    });
    spy.mockImplementation(original as never);
    try {
      expect(await counters.nextSeq('t4', 'CP-2026')).toBe(1);
      expect(spy).toHaveBeenCalledTimes(2);
    } finally {
      spy.mockRestore();
    }
  });

  it('refuses names that would make the key ambiguous', async () => {
    await expect(counters.nextSeq('t1', 'a:b')).rejects.toThrow(/':'/);
    await expect(counters.nextSeq('', 'CP-2026')).rejects.toThrow(/tenantKey/);
  });
});
