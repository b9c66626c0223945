/**
 * Several fields of one positional element in one update (`cards.$.a` and `cards.$.b`, or under
 * an array filter): MongoDB applies them; the embedded store must too, not refuse them as a
 * conflict. Holds against a real server as well (MONGODB_URI).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoClient, type Db } from 'mongodb';
import { useTestDb, type TestDb } from '../../helpers/mongo.js';

let t: TestDb;
let client: MongoClient;
let db: Db;

beforeAll(async () => {
  t = await useTestDb();
  client = new MongoClient(t.uri, { serverSelectionTimeoutMS: 5000 });
  await client.connect();
  db = client.db(t.dbName);
});
afterAll(async () => {
  await client?.close();
  await t?.close();
});

describe('sibling fields of a positional element', () => {
  it('$set and $unset of two fields of the element `$` names', async () => {
    const c = db.collection<{ _id: string; cards: { m: string; a?: number; b?: string; c?: number }[] }>('pos1');
    await c.insertOne({
      _id: 'x',
      cards: [
        { m: 'm0', c: 1 },
        { m: 'm1', c: 2 },
      ],
    });
    await c.updateOne({ _id: 'x', cards: { $elemMatch: { m: 'm1', c: { $lt: 5 } } } }, { $set: { 'cards.$.a': 1, 'cards.$.b': 'y' }, $unset: { 'cards.$.c': 1 } });
    expect((await c.findOne({ _id: 'x' }))!.cards).toEqual([
      { m: 'm0', c: 1 },
      { m: 'm1', a: 1, b: 'y' },
    ]);
    await c.updateOne({ _id: 'x', 'cards.m': 'm0' }, { $max: { 'cards.$.c': 7 }, $unset: { 'cards.$.x': 1 } });
    expect((await c.findOne({ _id: 'x' }))!.cards[0]).toEqual({ m: 'm0', c: 7 });
  });

  it('$set of two fields of every element an array filter selects', async () => {
    const c = db.collection<{ _id: string; pending: { key: string; n?: number; at?: number }[] }>('pos2');
    await c.insertOne({ _id: 'y', pending: [{ key: 'k1' }, { key: 'k2' }, { key: 'k1' }] });
    await c.updateOne({ _id: 'y' }, { $set: { 'pending.$[e].n': 2, 'pending.$[e].at': 3 } }, { arrayFilters: [{ 'e.key': 'k1' }] });
    expect((await c.findOne({ _id: 'y' }))!.pending).toEqual([{ key: 'k1', n: 2, at: 3 }, { key: 'k2' }, { key: 'k1', n: 2, at: 3 }]);
  });

  it('a real conflict is still refused (a field and its parent)', async () => {
    const c = db.collection<{ _id: string; cards: { m: string; a?: { b: number } }[] }>('pos3');
    await c.insertOne({ _id: 'z', cards: [{ m: 'm0' }] });
    await expect(c.updateOne({ _id: 'z', 'cards.m': 'm0' }, { $set: { 'cards.$.a': { b: 1 }, 'cards.$.a.b': 2 } })).rejects.toMatchObject({ code: 40 });
    expect((await c.findOne({ _id: 'z' }))!.cards).toEqual([{ m: 'm0' }]);
  });
});
