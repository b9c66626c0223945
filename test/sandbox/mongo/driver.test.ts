/**
 * The embedded store through the raw `mongodb` driver. Everything here also holds
 * against a real server (set MONGODB_URI), except the TTL sweep which needs the
 * embedded server's `sweepTtl()`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Decimal128, Long, MongoBulkWriteError, MongoClient, MongoServerError, ObjectId, type Db } from 'mongodb';
import { useTestDb, type TestDb } from '../../helpers/mongo.js';

let t: TestDb;
let client: MongoClient;
let db: Db;
const commands: string[] = [];

beforeAll(async () => {
  t = await useTestDb();
  client = new MongoClient(t.uri, { monitorCommands: true, serverSelectionTimeoutMS: 5000 });
  client.on('commandStarted', (e) => commands.push(e.commandName));
  await client.connect();
  db = client.db(t.dbName);
});

afterAll(async () => {
  await client?.close();
  await t?.close();
});

async function expectDuplicate(p: Promise<unknown>): Promise<MongoServerError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MongoServerError);
  expect((err as MongoServerError).code).toBe(11000);
  return err as MongoServerError;
}

describe('handshake and admin commands', () => {
  it('answers hello as a writable primary with a supported wire version', async () => {
    const hello = await db.admin().command({ hello: 1 });
    expect(hello.isWritablePrimary).toBe(true);
    expect(hello.maxWireVersion).toBeGreaterThanOrEqual(17);
    expect(hello.logicalSessionTimeoutMinutes).toBe(30);
    expect(hello.maxBsonObjectSize).toBe(16 * 1024 * 1024);
    expect(typeof hello.connectionId).toBe('number');
    expect(hello.localTime).toBeInstanceOf(Date);
    expect((await db.admin().command({ ping: 1 })).ok).toBe(1);
    const info = await db.admin().command({ buildInfo: 1 });
    expect(info.version).toMatch(/^\d+\.\d+/);
  });

  it('answers an unknown command with CommandNotFound and keeps serving', async () => {
    const err = await db.command({ definitelyNotACommand: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MongoServerError);
    expect((err as MongoServerError).code).toBe(59);
    expect((err as MongoServerError).codeName).toBe('CommandNotFound');
    expect((await db.command({ ping: 1 })).ok).toBe(1);
  });
});

describe('CRUD', () => {
  it('inserts, reads, updates and deletes documents', async () => {
    const c = db.collection('crud');
    const { insertedId } = await c.insertOne({ name: 'a', n: 1 });
    expect(insertedId).toBeInstanceOf(ObjectId);
    await c.insertMany([
      { name: 'b', n: 2 },
      { name: 'c', n: 3 },
      { _id: 'custom' as unknown as ObjectId, name: 'd', n: 4 },
    ]);
    expect((await c.find().toArray()).map((d) => d.name)).toEqual(['a', 'b', 'c', 'd']);
    expect(await c.findOne({ _id: insertedId })).toEqual({ _id: insertedId, name: 'a', n: 1 });
    expect(await c.findOne({ _id: 'custom' as unknown as ObjectId })).toMatchObject({ name: 'd' });
    await c.insertOne({ _id: { a: 1, b: 2 } as unknown as ObjectId, name: 'compound-id' });
    expect(await c.findOne({ _id: { a: 1, b: 2 } as unknown as ObjectId })).toMatchObject({ name: 'compound-id' });
    expect(await c.findOne({ _id: { $eq: { a: 1, b: 2 } } as unknown as ObjectId })).toMatchObject({ name: 'compound-id' });
    await c.deleteOne({ name: 'compound-id' });

    const upd = await c.updateOne({ name: 'b' }, { $set: { n: 20 } });
    expect([upd.matchedCount, upd.modifiedCount]).toEqual([1, 1]);
    const same = await c.updateOne({ name: 'b' }, { $set: { n: 20 } });
    expect([same.matchedCount, same.modifiedCount]).toEqual([1, 0]);
    const many = await c.updateMany({ n: { $gte: 3 } }, { $inc: { n: 100 } });
    expect([many.matchedCount, many.modifiedCount]).toEqual([3, 3]);
    expect((await c.find({}, { projection: { _id: 0, n: 1 } }).toArray()).map((d) => d.n)).toEqual([1, 120, 103, 104]);

    expect((await c.deleteOne({ n: { $gt: 100 } })).deletedCount).toBe(1);
    expect((await c.deleteMany({ n: { $gt: 100 } })).deletedCount).toBe(2);
    expect((await c.find().toArray()).map((d) => d.name)).toEqual(['a']);
  });

  it('replaces documents but never changes _id', async () => {
    const c = db.collection('replace');
    const { insertedId } = await c.insertOne({ a: 1, b: 2 });
    await c.replaceOne({ _id: insertedId }, { c: 3 });
    expect(await c.findOne({ _id: insertedId })).toEqual({ _id: insertedId, c: 3 });
    const err = await c.replaceOne({ _id: insertedId }, { _id: new ObjectId(), c: 4 }).catch((e: unknown) => e);
    expect((err as MongoServerError).code).toBe(66);
    const err2 = await c.updateOne({ _id: insertedId }, { $set: { _id: new ObjectId() } }).catch((e: unknown) => e);
    expect((err2 as MongoServerError).code).toBe(66);
    expect(await c.findOne({ _id: insertedId })).toEqual({ _id: insertedId, c: 3 });
  });

  it('supports the usual update operators, positional updates and arrayFilters', async () => {
    interface OpDoc {
      a: number;
      arr: number[];
      tags: string[];
      nested: { v: number; w?: string };
      old?: string;
      renamed?: string;
      gone?: boolean;
      lo: number;
      hi: number;
      touched?: Date;
      items: { k: string; q: number }[];
    }
    const c = db.collection<OpDoc>('operators');
    const { insertedId: _id } = await c.insertOne({
      a: 1,
      arr: [1, 2, 3, 2],
      tags: ['x'],
      nested: { v: 5 },
      old: 'r',
      gone: true,
      lo: 10,
      hi: 10,
      items: [
        { k: 'a', q: 1 },
        { k: 'b', q: 2 },
      ],
    });
    const before = Date.now();
    await c.updateOne(
      { _id },
      {
        $set: { 'nested.w': 'new' },
        $unset: { gone: '' },
        $inc: { a: 2 },
        $push: { tags: { $each: ['y', 'z'] } },
        $addToSet: { arr: { $each: [3, 4] } },
        $min: { lo: 5 },
        $max: { hi: 50 },
        $currentDate: { touched: true },
        $rename: { old: 'renamed' },
      },
    );
    await c.updateOne({ _id }, { $pull: { arr: 2 } });
    await c.updateOne({ _id, 'items.k': 'a' }, { $inc: { 'items.$.q': 5 } });
    await c.updateOne({ _id }, { $set: { 'items.$[it].q': 10 } }, { arrayFilters: [{ 'it.k': 'b' }] });
    const doc = await c.findOne({ _id });
    expect(doc).toMatchObject({
      a: 3,
      arr: [1, 3, 4],
      tags: ['x', 'y', 'z'],
      nested: { v: 5, w: 'new' },
      renamed: 'r',
      lo: 5,
      hi: 50,
      items: [
        { k: 'a', q: 6 },
        { k: 'b', q: 10 },
      ],
    });
    expect(doc).not.toHaveProperty('gone');
    expect(doc).not.toHaveProperty('old');
    expect(doc!.touched).toBeInstanceOf(Date);
    expect((doc!.touched as Date).getTime()).toBeGreaterThanOrEqual(before - 1000);
  });

  it('applies $setOnInsert only when an upsert inserts', async () => {
    const c = db.collection('setoninsert');
    const first = await c.updateOne({ key: 'k' }, { $set: { seen: 1 }, $setOnInsert: { created: 'first' } }, { upsert: true });
    expect(first.upsertedCount).toBe(1);
    expect(first.upsertedId).toBeInstanceOf(ObjectId);
    const second = await c.updateOne({ key: 'k' }, { $set: { seen: 2 }, $setOnInsert: { created: 'second' } }, { upsert: true });
    expect([second.upsertedCount, second.matchedCount]).toEqual([0, 1]);
    const docs = await c.find({}, { projection: { _id: 0 } }).toArray();
    expect(docs).toEqual([{ key: 'k', seen: 2, created: 'first' }]);
  });

  it('seeds upserted documents from equality conditions and keeps _id from the filter', async () => {
    const c = db.collection('upsertseed');
    await c.updateOne({ _id: 'fixed' as unknown as ObjectId, 'a.b': 1, n: { $gt: 5 } }, { $set: { x: 1 } }, { upsert: true });
    expect(await c.findOne({})).toEqual({ _id: 'fixed', a: { b: 1 }, x: 1 });
    await c.replaceOne({ _id: 'other' as unknown as ObjectId }, { y: 2 }, { upsert: true });
    expect(await c.findOne({ _id: 'other' as unknown as ObjectId })).toEqual({ _id: 'other', y: 2 });
    await c.updateOne({ k: 'z' }, { $setOnInsert: { _id: 'chosen' as unknown as ObjectId, v: 1 } }, { upsert: true });
    expect(await c.findOne({ k: 'z' })).toEqual({ _id: 'chosen', k: 'z', v: 1 });
  });
});

describe('queries and cursors', () => {
  beforeAll(async () => {
    await db.collection('people').insertMany(Array.from({ length: 20 }, (_, i) => ({ i, group: i % 3, name: `p${String(i).padStart(2, '0')}`, at: new Date(2024, 0, i + 1) })));
  });

  it('filters, sorts, skips, limits and projects', async () => {
    const docs = await db
      .collection('people')
      .find({ group: { $ne: 0 } })
      .sort({ i: -1 })
      .skip(2)
      .limit(5)
      .project({ _id: 0, i: 1 })
      .toArray();
    expect(docs).toEqual([{ i: 16 }, { i: 14 }, { i: 13 }, { i: 11 }, { i: 10 }]);
    const excluded = await db.collection('people').findOne({ i: 4 }, { projection: { _id: 0, at: 0 } });
    expect(excluded).toEqual({ i: 4, group: 1, name: 'p04' });
    const byRegexAndDate = await db
      .collection('people')
      .find({ name: /^p1/, at: { $lt: new Date(2024, 0, 15) } })
      .sort({ group: 1, i: -1 })
      .project({ _id: 0, i: 1 })
      .toArray();
    expect(byRegexAndDate).toEqual([{ i: 12 }, { i: 13 }, { i: 10 }, { i: 11 }]);
  });

  it('finds by _id with $in', async () => {
    const all = await db.collection('people').find({}).limit(6).toArray();
    const ids = [all[1]!._id, all[4]!._id, new ObjectId()];
    const found = await db
      .collection('people')
      .find({ _id: { $in: ids } })
      .toArray();
    expect(found.map((d) => d.i)).toEqual([1, 4]);
  });

  it('streams more than one batch through getMore', async () => {
    const c = db.collection('many');
    await c.insertMany(Array.from({ length: 250 }, (_, i) => ({ i })));
    commands.length = 0;
    const docs = await c.find({}).batchSize(100).toArray();
    expect(docs.map((d) => d.i)).toEqual(Array.from({ length: 250 }, (_, i) => i));
    expect(commands.filter((n) => n === 'getMore')).toHaveLength(2);

    commands.length = 0;
    const agg = await c.aggregate([{ $match: { i: { $gte: 50 } } }], { batchSize: 30 }).toArray();
    expect(agg).toHaveLength(200);
    expect(commands.filter((n) => n === 'getMore').length).toBeGreaterThanOrEqual(6);

    // Default first batch, then the rest; a closed cursor is killed on the server.
    const cursor = c.find({});
    expect((await cursor.next())!.i).toBe(0);
    commands.length = 0;
    await cursor.close();
    expect(commands).toContain('killCursors');
  });

  it('reports an unknown cursor id as CursorNotFound', async () => {
    const err = await db.command({ getMore: Long.fromNumber(123456789), collection: 'many' }).catch((e: unknown) => e);
    expect((err as MongoServerError).code).toBe(43);
  });

  it('counts and lists distinct values', async () => {
    const c = db.collection('people');
    expect(await c.countDocuments()).toBe(20);
    expect(await c.countDocuments({ group: 1 })).toBe(7);
    expect(await c.countDocuments({ group: 1 }, { skip: 2, limit: 3 })).toBe(3);
    expect(await c.estimatedDocumentCount()).toBe(20);
    expect((await c.distinct('group')).sort()).toEqual([0, 1, 2]);
    expect((await c.distinct('i', { group: 2, i: { $lt: 9 } })).sort((a, b) => a - b)).toEqual([2, 5, 8]);
    await db.collection('tagged').insertMany([{ tags: ['a', 'b'] }, { tags: ['b', 'c'] }, { tags: [] }, {}]);
    expect((await db.collection('tagged').distinct('tags')).sort()).toEqual(['a', 'b', 'c']);
  });

  it('runs aggregation pipelines', async () => {
    const orders = db.collection('orders');
    await orders.insertMany([
      { cust: 'ann', amount: 10, items: ['x', 'y'] },
      { cust: 'bob', amount: 5, items: ['x'] },
      { cust: 'ann', amount: 7, items: [] },
      { cust: 'cy', amount: 1, items: ['z'] },
    ]);
    await db.collection('customers').insertMany([
      { _id: 'ann' as unknown as ObjectId, city: 'Beijing' },
      { _id: 'bob' as unknown as ObjectId, city: 'Shanghai' },
    ]);
    const totals = await orders
      .aggregate([
        { $group: { _id: '$cust', total: { $sum: '$amount' }, n: { $sum: 1 } } },
        { $sort: { total: -1 } },
        { $limit: 2 },
        { $lookup: { from: 'customers', localField: '_id', foreignField: '_id', as: 'customer' } },
        { $project: { total: 1, n: 1, city: { $first: '$customer.city' } } },
      ])
      .toArray();
    expect(totals).toEqual([
      { _id: 'ann', total: 17, n: 2, city: 'Beijing' },
      { _id: 'bob', total: 5, n: 1, city: 'Shanghai' },
    ]);
    const items = await orders.aggregate([{ $unwind: '$items' }, { $count: 'n' }]).toArray();
    expect(items).toEqual([{ n: 4 }]);
    // The pipeline must not have modified the stored documents.
    await orders.aggregate([{ $set: { amount: 0 } }, { $unset: 'cust' }]).toArray();
    expect((await orders.find().toArray()).map((o) => o.amount)).toEqual([10, 5, 7, 1]);
  });
});

describe('findAndModify', () => {
  it('updates, replaces and deletes one document chosen by sort', async () => {
    const c = db.collection('fam');
    await c.insertMany([
      { q: 1, v: 'a' },
      { q: 2, v: 'b' },
      { q: 3, v: 'c' },
    ]);
    const before = await c.findOneAndUpdate({}, { $set: { v: 'B' } }, { sort: { q: -1 }, returnDocument: 'before' });
    expect(before).toMatchObject({ q: 3, v: 'c' });
    const after = await c.findOneAndUpdate({ q: 1 }, { $inc: { q: 10 } }, { returnDocument: 'after', projection: { _id: 0 } });
    expect(after).toEqual({ q: 11, v: 'a' });
    const replaced = await c.findOneAndReplace({ q: 2 }, { r: true }, { returnDocument: 'after' });
    expect(replaced).toMatchObject({ r: true });
    expect(replaced).not.toHaveProperty('q');
    const deleted = await c.findOneAndDelete({ r: true });
    expect(deleted).toMatchObject({ r: true });
    expect(await c.findOneAndUpdate({ q: 99 }, { $set: { v: 'x' } })).toBeNull();
    expect(await c.countDocuments()).toBe(2);
  });

  it('upserts and reports lastErrorObject', async () => {
    const c = db.collection('famupsert');
    const res = await c.findOneAndUpdate(
      { slug: 's' },
      { $set: { v: 1 }, $setOnInsert: { created: true } },
      { upsert: true, returnDocument: 'after', includeResultMetadata: true },
    );
    expect(res.lastErrorObject).toMatchObject({ n: 1, updatedExisting: false });
    expect(res.lastErrorObject!.upserted).toBeInstanceOf(ObjectId);
    expect(res.value).toMatchObject({ slug: 's', v: 1, created: true });
    const again = await c.findOneAndUpdate({ slug: 's' }, { $set: { v: 2 } }, { upsert: true, includeResultMetadata: true });
    expect(again.lastErrorObject).toMatchObject({ n: 1, updatedExisting: true });
    expect(again.value).toMatchObject({ v: 1 });
  });
});

describe('unique indexes', () => {
  it('rejects duplicate inserts, updates and upserts with E11000', async () => {
    const users = db.collection('users');
    await users.createIndex({ email: 1 }, { unique: true });
    await users.insertOne({ email: 'a@x', n: 1 });
    await users.insertOne({ email: 'b@x', n: 2 });

    const err = await expectDuplicate(users.insertOne({ email: 'a@x' }));
    expect(err.message).toMatch(/^E11000 duplicate key error collection: \S+\.users index: email_1 dup key: \{ email: "a@x" \}/);
    expect(err.keyPattern).toEqual({ email: 1 });
    expect(err.keyValue).toEqual({ email: 'a@x' });

    await expectDuplicate(users.updateOne({ email: 'b@x' }, { $set: { email: 'a@x' } }));
    await expectDuplicate(users.updateOne({ email: 'a@x', n: 42 }, { $set: { v: 1 } }, { upsert: true }));
    await expectDuplicate(users.findOneAndUpdate({ email: 'b@x' }, { $set: { email: 'a@x' } }));
    await expectDuplicate(users.findOneAndUpdate({ email: 'a@x', n: 7 }, { $set: { z: 1 } }, { upsert: true }));
    expect(
      await users
        .find({}, { projection: { _id: 0 } })
        .sort({ email: 1 })
        .toArray(),
    ).toEqual([
      { email: 'a@x', n: 1 },
      { email: 'b@x', n: 2 },
    ]);
    // The index entry of a deleted document is released.
    await users.deleteOne({ email: 'a@x' });
    await users.insertOne({ email: 'a@x', n: 3 });
  });

  it('keeps _id unique', async () => {
    const c = db.collection('ids');
    await c.insertOne({ _id: 'x' as unknown as ObjectId });
    const err = await expectDuplicate(c.insertOne({ _id: 'x' as unknown as ObjectId }));
    expect(err.message).toContain('index: _id_ dup key: { _id: "x" }');
  });

  it('enforces compound unique indexes', async () => {
    const c = db.collection('compound');
    await c.createIndex({ tenant: 1, code: 1 }, { unique: true });
    await c.insertMany([
      { tenant: 't1', code: 'c1' },
      { tenant: 't1', code: 'c2' },
      { tenant: 't2', code: 'c1' },
    ]);
    const err = await expectDuplicate(c.insertOne({ tenant: 't1', code: 'c1' }));
    expect(err.keyPattern).toEqual({ tenant: 1, code: 1 });
    expect(err.keyValue).toEqual({ tenant: 't1', code: 'c1' });
    expect(await c.countDocuments()).toBe(3);
  });

  it('stops ordered batches at the first error and continues unordered ones', async () => {
    const c = db.collection('batch');
    await c.createIndex({ k: 1 }, { unique: true });
    const ordered = await c.insertMany([{ k: 1 }, { k: 2 }, { k: 1 }, { k: 3 }]).catch((e: unknown) => e);
    expect(ordered).toBeInstanceOf(MongoBulkWriteError);
    const bulk = ordered as MongoBulkWriteError;
    expect(bulk.code).toBe(11000);
    expect(bulk.insertedCount).toBe(2);
    expect(bulk.writeErrors).toEqual([expect.objectContaining({ index: 2, code: 11000 })]);
    expect(await c.countDocuments({ k: 3 })).toBe(0);

    const unordered = (await c.insertMany([{ k: 3 }, { k: 1 }, { k: 4 }], { ordered: false }).catch((e: unknown) => e)) as MongoBulkWriteError;
    expect(unordered.insertedCount).toBe(2);
    expect((await c.find({}, { projection: { _id: 0 } }).toArray()).map((d) => d.k)).toEqual([1, 2, 3, 4]);
  });

  it('honours sparse and partial unique indexes, and null for missing fields otherwise', async () => {
    const sparse = db.collection('sparse');
    await sparse.createIndex({ nick: 1 }, { unique: true, sparse: true });
    await sparse.insertMany([{ a: 1 }, { a: 2 }, { nick: 'n' }]);
    await expectDuplicate(sparse.insertOne({ nick: 'n' }));

    const partial = db.collection('partial');
    await partial.createIndex({ code: 1 }, { unique: true, partialFilterExpression: { active: true } });
    await partial.insertMany([
      { code: 'c', active: false },
      { code: 'c', active: false },
      { code: 'c', active: true },
    ]);
    await expectDuplicate(partial.insertOne({ code: 'c', active: true }));

    const plain = db.collection('plainunique');
    await plain.createIndex({ handle: 1 }, { unique: true });
    await plain.insertOne({ a: 1 });
    const err = await expectDuplicate(plain.insertOne({ a: 2 }));
    expect(err.keyValue).toEqual({ handle: null });
  });

  it('refuses to build a unique index over existing duplicates', async () => {
    const c = db.collection('dupdata');
    await c.insertMany([{ v: 1 }, { v: 1 }]);
    await expectDuplicate(c.createIndex({ v: 1 }, { unique: true }));
    expect((await c.indexes()).map((ix) => ix.name)).toEqual(['_id_']);
  });

  it('serializes 50 concurrent upserts on one key into exactly one document', async () => {
    const c = db.collection('race');
    await c.createIndex({ key: 1 }, { unique: true });
    const results = await Promise.all(Array.from({ length: 50 }, () => c.updateOne({ key: 'k' }, { $inc: { n: 1 }, $setOnInsert: { first: true } }, { upsert: true })));
    expect(results.reduce((s, r) => s + r.upsertedCount, 0)).toBe(1);
    expect(await c.find({}, { projection: { _id: 0 } }).toArray()).toEqual([{ key: 'k', n: 50, first: true }]);
  });

  it('lets exactly one of 50 concurrent inserts of the same key win', async () => {
    const c = db.collection('race2');
    await c.createIndex({ key: 1 }, { unique: true });
    const settled = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => c.insertOne({ key: 'k', i })));
    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(1);
    const rejected = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
    expect(rejected).toHaveLength(49);
    for (const r of rejected) expect((r.reason as MongoServerError).code).toBe(11000);
    expect(await c.countDocuments()).toBe(1);
  });
});

describe('indexes, collections and databases', () => {
  it('lists, creates and drops indexes', async () => {
    const c = db.collection('indexed');
    await c.createIndex({ a: 1 });
    await c.createIndex({ b: -1, c: 1 }, { unique: true, name: 'b_c' });
    await c.createIndex({ at: 1 }, { expireAfterSeconds: 3600 });
    await c.createIndex({ a: 1 }); // idempotent
    const indexes = await c.listIndexes().toArray();
    expect(indexes.map((ix) => ix.name)).toEqual(['_id_', 'a_1', 'b_c', 'at_1']);
    expect(indexes[2]).toMatchObject({ key: { b: -1, c: 1 }, unique: true });
    expect(indexes[3]).toMatchObject({ key: { at: 1 }, expireAfterSeconds: 3600 });
    await c.dropIndex('a_1');
    expect((await c.indexes()).map((ix) => ix.name)).toEqual(['_id_', 'b_c', 'at_1']);
    await c.dropIndexes();
    expect((await c.indexes()).map((ix) => ix.name)).toEqual(['_id_']);
    // After dropping the unique index duplicates are allowed.
    await c.insertMany([
      { b: 1, c: 1 },
      { b: 1, c: 1 },
    ]);
    const missing = await db
      .collection('nosuchcoll')
      .indexes()
      .catch((e: unknown) => e);
    expect((missing as MongoServerError).code).toBe(26);
  });

  it('creates, lists, renames and drops collections', async () => {
    await db.createCollection('made');
    const exists = await db.createCollection('made').catch((e: unknown) => e);
    expect((exists as MongoServerError).code).toBe(48);
    const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
    expect(names).toContain('made');
    expect(await db.listCollections({ name: 'made' }).toArray()).toEqual([expect.objectContaining({ name: 'made', type: 'collection' })]);
    expect(await db.listCollections({ name: 'nope' }).toArray()).toEqual([]);
    await db.collection('made').insertOne({ x: 1 });
    await db.renameCollection('made', 'renamed');
    expect(await db.collection('renamed').countDocuments()).toBe(1);
    expect(await db.collection('made').countDocuments()).toBe(0);
    expect(await db.collection('renamed').drop()).toBe(true);
    expect(await db.listCollections({ name: 'renamed' }).toArray()).toEqual([]);
  });

  it('drops a whole database without touching others', async () => {
    const other = client.db(`${t.dbName}_other`);
    const scratch = client.db(`${t.dbName}_scratch`);
    await other.collection('keep').insertOne({ k: 1 });
    await scratch.collection('a').insertOne({ a: 1 });
    await scratch.collection('b').insertOne({ b: 1 });
    const listed = async () => (await client.db().admin().listDatabases({ nameOnly: true })).databases.map((d) => d.name);
    expect(await listed()).toEqual(expect.arrayContaining([other.databaseName, scratch.databaseName]));
    await scratch.dropDatabase();
    expect(await listed()).not.toContain(scratch.databaseName);
    expect(await scratch.listCollections().toArray()).toEqual([]);
    expect(await other.collection('keep').countDocuments()).toBe(1);
    await other.dropDatabase();
  });
});

describe('BSON types', () => {
  it('round-trips Decimal128, Long, Date, Binary, nested documents and arrays', async () => {
    const c = db.collection('types');
    const big = Long.fromString('9007199254740993'); // > 2^53: must stay a Long
    const doc = {
      dec: Decimal128.fromString('12.345'),
      big,
      at: new Date('2024-05-06T07:08:09.010Z'),
      oid: new ObjectId(),
      nested: { deep: { list: [1, 'two', { three: 3 }, null] } },
      dbl: 1.5,
    };
    const { insertedId } = await c.insertOne(doc);
    const read = await c.findOne({ _id: insertedId }, { promoteLongs: false });
    expect(read!.dec).toBeInstanceOf(Decimal128);
    expect(read!.dec.toString()).toBe('12.345');
    expect(read!.big).toBeInstanceOf(Long);
    expect(read!.big.toString()).toBe('9007199254740993');
    expect(read!.at).toEqual(doc.at);
    expect(read!.oid.equals(doc.oid)).toBe(true);
    expect(read!.nested).toEqual(doc.nested);
    expect(read!.dbl).toBe(1.5);
    expect(await c.countDocuments({ oid: doc.oid })).toBe(1);
    expect(await c.countDocuments({ at: { $gte: new Date('2024-01-01') } })).toBe(1);
  });
});

describe('TTL indexes', () => {
  it('removes expired documents when the TTL monitor runs', async (ctx) => {
    if (!t.embedded) return ctx.skip(); // a real server's TTL monitor runs every 60 s
    const c = db.collection('sessions');
    await c.createIndex({ at: 1 }, { expireAfterSeconds: 60 });
    const now = Date.now();
    await c.insertMany([
      { name: 'old', at: new Date(now - 120_000) },
      { name: 'fresh', at: new Date(now) },
      { name: 'array-old', at: [new Date(now - 120_000), new Date(now + 1e9)] },
      { name: 'no-date', at: 'yesterday' },
      { name: 'missing' },
    ]);
    t.embedded.sweepTtl();
    expect((await c.find().toArray()).map((d) => d.name)).toEqual(['fresh', 'no-date', 'missing']);
  });
});
