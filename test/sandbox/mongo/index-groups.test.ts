/**
 * Equality queries served from an index's groups (sandbox/mongo/storage.ts, `Groups`) answer
 * exactly what a full scan answers: same documents, same natural order, after inserts, updates
 * that move a document between groups, deletes and dropped indexes; arrays, missing fields and
 * non-string values included. Each query runs on an indexed and an unindexed copy of the data.
 * Also holds against a real server (set MONGODB_URI).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoClient, type Collection, type Db, type Document } from 'mongodb';
import { useTestDb, type TestDb } from '../../helpers/mongo.js';

let t: TestDb;
let client: MongoClient;
let db: Db;
type D = Document & { _id: number };
let indexed: Collection<D>;
let plain: Collection<D>;

const DOCS: D[] = Array.from({ length: 60 }, (_, i) => ({
  _id: i,
  t: i % 2 ? 'a' : 'b',
  k: ['X', 'Y', 'Z'][i % 3],
  ...(i % 5 === 0 ? {} : { d: { dept: i % 4 ? `D${i % 4}` : ['D1', 'D2'] } }),
  n: i % 3, // numbers are not grouped, still found
  seq: 60 - i,
  // Dates, one a list of dates, one a string, one missing: range filters must treat each as MongoDB does.
  ...(i === 11
    ? { at: [new Date(Date.UTC(2026, 0, 1)), new Date(Date.UTC(2026, 11, 1))] }
    : i === 13
      ? { at: '2026-06-01' }
      : i === 15
        ? {}
        : { at: new Date(Date.UTC(2026, 0, 1 + i * 5)) }),
}));

beforeAll(async () => {
  t = await useTestDb();
  client = new MongoClient(t.uri, { serverSelectionTimeoutMS: 5000 });
  await client.connect();
  db = client.db(t.dbName);
  indexed = db.collection<D>('indexed');
  plain = db.collection<D>('plain');
  await indexed.createIndex({ t: 1, k: 1, seq: 1 });
  await indexed.createIndex({ t: 1, 'd.dept': 1, seq: 1 });
  await indexed.createIndex({ n: 1, seq: 1 });
  await indexed.createIndex({ k: 1 });
  await indexed.insertMany(DOCS.map((d) => ({ ...d })));
  await plain.insertMany(DOCS.map((d) => ({ ...d })));
});

afterAll(async () => {
  await client?.close();
  await t?.close();
});

const FILTERS: Document[] = [
  { t: 'a' },
  { t: 'a', k: 'X' },
  { t: 'b', k: { $eq: 'Y' }, seq: { $gt: 10 } },
  { t: 'a', 'd.dept': 'D2' },
  { t: 'b', 'd.dept': 'D1' },
  { t: 'a', 'd.dept': 'nope' },
  { k: 'Z' },
  { n: 1, seq: { $lt: 40 } },
  { t: 'a', k: 'X', $or: [{ n: 0 }, { n: 1 }] },
  { t: 'a', at: { $gte: new Date(Date.UTC(2026, 1, 1)), $lt: new Date(Date.UTC(2026, 5, 1)) } },
  { at: { $gt: new Date(Date.UTC(2026, 10, 1)) } },
  { at: { $lt: new Date(Date.UTC(2026, 1, 1)) }, 'd.dept': 'D3' },
];

async function same(): Promise<void> {
  for (const f of FILTERS) {
    expect(await indexed.find(f).toArray(), JSON.stringify(f)).toEqual(await plain.find(f).toArray());
    expect(await indexed.find(f).sort({ seq: -1 }).limit(3).toArray()).toEqual(await plain.find(f).sort({ seq: -1 }).limit(3).toArray());
    expect(await indexed.countDocuments(f)).toBe(await plain.countDocuments(f));
  }
}

describe('equality lookups through index groups', () => {
  it('answer like a full scan, in natural order', async () => {
    await same();
    expect((await indexed.find({ t: 'b', 'd.dept': 'D2' }).toArray()).map((d) => d._id)).toEqual([
      2, 4, 6, 8, 12, 14, 16, 18, 22, 24, 26, 28, 32, 34, 36, 38, 42, 44, 46, 48, 52, 54, 56, 58,
    ]);
  });

  it('follow updates that move documents between groups, deletes and new documents', async () => {
    for (const c of [indexed, plain]) {
      await c.updateMany({ k: 'X' }, { $set: { k: 'Y' } });
      await c.updateOne({ _id: 7 }, { $set: { 'd.dept': ['D9', 'D2'] } });
      await c.deleteMany({ t: 'b', k: 'Z' });
      await c.insertOne({ _id: 100, t: 'a', k: 'X', d: { dept: 'D2' }, n: 1, seq: 0 });
    }
    await same();
  });

  it('still answer after an index is dropped', async () => {
    await indexed.dropIndex('t_1_d.dept_1_seq_1');
    await same();
  });
});

describe('Collection.candidates', () => {
  it('reads only the group the equality pins, the smallest one when several do', async () => {
    const { Collection } = await import('../../../sandbox/mongo/storage.js');
    const c = new Collection('db', 'c');
    c.createIndex({ key: { t: 1, k: 1, seq: 1 }, name: 'tk' });
    c.createIndex({ key: { t: 1, seq: 1 }, name: 'ts' });
    for (const d of DOCS) c.insert({ ...d });
    expect(c.candidates({ t: 'a' })).toHaveLength(30);
    expect(c.candidates({ t: 'a', k: 'X', seq: { $gt: 3 } }).map((d) => d._id)).toEqual([3, 9, 15, 21, 27, 33, 39, 45, 51, 57]);
    // Not pinned to strings: a full scan.
    expect(c.candidates({ t: { $in: ['a'] } })).toHaveLength(60);
    expect(c.candidates({ n: 1 })).toHaveLength(60);
  });
});
