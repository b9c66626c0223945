/** The embedded store through mongoose 9 (also valid against a real server via MONGODB_URI). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mongoose, { Schema, Types, type Connection } from 'mongoose';
import { useTestDb, type TestDb } from '../../helpers/mongo.js';

const lineSchema = new Schema({ sku: String, qty: Number, at: Date }, { _id: true });
const itemSchema = new Schema(
  {
    title: { type: String, required: true },
    meta: Schema.Types.Mixed,
    labels: { type: Map, of: String },
    lines: [lineSchema],
    due: Date,
    price: Schema.Types.Decimal128,
    big: Schema.Types.BigInt,
    small: Schema.Types.BigInt,
    tags: [String],
  },
  { timestamps: true },
);
const accountSchema = new Schema({
  email: { type: String, unique: true, required: true },
  name: String,
  version: { type: Number, default: 0 },
});
const counterSchema = new Schema({ key: { type: String, unique: true }, n: Number, origin: String });
const authorSchema = new Schema({ name: String });
const postSchema = new Schema({ title: String, score: Number, author: { type: Schema.Types.ObjectId, ref: 'Author' }, tags: [String] });

const makeModels = (c: Connection) => ({
  Item: c.model('Item', itemSchema),
  Account: c.model('Account', accountSchema),
  Counter: c.model('Counter', counterSchema),
  Author: c.model('Author', authorSchema),
  Post: c.model('Post', postSchema),
});
let m: ReturnType<typeof makeModels>;
let t: TestDb;
let conn: Connection;

beforeAll(async () => {
  t = await useTestDb();
  conn = t.connection;
  m = makeModels(conn);
});

afterAll(async () => {
  await t?.close();
});

const isDuplicate = (e: unknown) => e instanceof mongoose.mongo.MongoServerError && e.code === 11000;

describe('schemas and types', () => {
  it('round-trips Mixed, Map, subdocument arrays, Dates, Decimal128 and BigInt (Long)', async () => {
    const due = new Date('2025-01-02T03:04:05.678Z');
    const created = await m.Item.create({
      title: 'laptop',
      meta: { nested: { a: [1, { b: 'c' }] }, flag: true },
      labels: new Map([
        ['level', 'secret'],
        ['owner', 'ann'],
      ]),
      lines: [
        { sku: 'a', qty: 1, at: due },
        { sku: 'b', qty: 2 },
      ],
      due,
      price: Types.Decimal128.fromString('1234.50'),
      big: 2n ** 60n + 1n,
      small: 42n,
      tags: ['x', 'y'],
    });
    const doc = await m.Item.findById(created._id).orFail();
    expect(doc.title).toBe('laptop');
    expect(doc.meta).toEqual({ nested: { a: [1, { b: 'c' }] }, flag: true });
    expect(doc.labels?.get('level')).toBe('secret');
    expect(doc.labels?.get('owner')).toBe('ann');
    expect(doc.lines).toHaveLength(2);
    expect(doc.lines[0]!._id).toBeInstanceOf(Types.ObjectId);
    expect(doc.lines[0]!._id!.equals(created.lines[0]!._id)).toBe(true);
    expect(doc.lines[0]!.at).toEqual(due);
    expect(doc.due).toEqual(due);
    expect(doc.price?.toString()).toBe('1234.50');
    expect(doc.big).toBe(2n ** 60n + 1n);
    expect(doc.small).toBe(42n);
    expect([...doc.tags]).toEqual(['x', 'y']);
    expect(doc.get('createdAt')).toBeInstanceOf(Date);
    expect(doc.get('updatedAt')).toBeInstanceOf(Date);

    const lean = await m.Item.findById(created._id).lean().orFail();
    expect(lean.price).toBeInstanceOf(Types.Decimal128);
    expect(lean.labels).toEqual({ level: 'secret', owner: 'ann' });
  });

  it('saves modifications made through documents (Map, arrays, timestamps, version key)', async () => {
    const item = await m.Item.create({ title: 'phone', lines: [{ sku: 'a', qty: 1 }] });
    const createdAt = item.get('createdAt') as Date;
    await new Promise((r) => setTimeout(r, 5));
    item.labels = new Map([['k', 'v']]);
    item.lines.push({ sku: 'b', qty: 5 });
    item.lines[0]!.qty = 3;
    item.tags.push('new');
    await item.save();
    const again = await m.Item.findById(item._id).orFail();
    expect(again.labels?.get('k')).toBe('v');
    expect(again.lines.map((l) => [l.sku, l.qty])).toEqual([
      ['a', 3],
      ['b', 5],
    ]);
    expect([...again.tags]).toEqual(['new']);
    expect((again.get('createdAt') as Date).getTime()).toBe(createdAt.getTime());
    expect((again.get('updatedAt') as Date).getTime()).toBeGreaterThan(createdAt.getTime());
    expect(again.get('__v')).toBeGreaterThanOrEqual(1);

    await again.deleteOne();
    expect(await m.Item.findById(item._id)).toBeNull();
  });

  it('sets createdAt through $setOnInsert on upsert and only touches updatedAt afterwards', async () => {
    const first = await m.Item.findOneAndUpdate({ title: 'tablet' }, { $set: { tags: ['a'] } }, { upsert: true, returnDocument: 'after' }).orFail();
    const createdAt = first.get('createdAt') as Date;
    expect(createdAt).toBeInstanceOf(Date);
    await new Promise((r) => setTimeout(r, 5));
    const second = await m.Item.findOneAndUpdate({ title: 'tablet' }, { $set: { tags: ['b'] } }, { upsert: true, returnDocument: 'after' }).orFail();
    expect(second._id.equals(first._id)).toBe(true);
    expect((second.get('createdAt') as Date).getTime()).toBe(createdAt.getTime());
    expect((second.get('updatedAt') as Date).getTime()).toBeGreaterThan(createdAt.getTime());
    expect(await m.Item.countDocuments({ title: 'tablet' })).toBe(1);
  });
});

describe('unique indexes and concurrency', () => {
  it('builds schema indexes and raises 11000 on duplicates', async () => {
    await m.Account.init();
    const indexes = await m.Account.listIndexes();
    expect(indexes).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'email_1', unique: true })]));
    await m.Account.create({ email: 'a@b.c', name: 'first' });
    const err = await m.Account.create({ email: 'a@b.c', name: 'second' }).catch((e: unknown) => e);
    expect(isDuplicate(err)).toBe(true);
    expect((err as { keyValue?: unknown }).keyValue).toEqual({ email: 'a@b.c' });
    const upd = await m.Account.create({ email: 'x@b.c' });
    const err2 = await m.Account.updateOne({ _id: upd._id }, { email: 'a@b.c' }).catch((e: unknown) => e);
    expect(isDuplicate(err2)).toBe(true);
    expect(await m.Account.countDocuments({ email: 'a@b.c' })).toBe(1);
  });

  it('lets exactly one of 50 concurrent version-guarded findOneAndUpdate calls win', async () => {
    const acc = await m.Account.create({ email: 'guard@b.c', version: 3 });
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        m.Account.findOneAndUpdate({ _id: acc._id, version: 3 }, { $set: { name: `writer-${i}` }, $inc: { version: 1 } }, { returnDocument: 'after' }),
      ),
    );
    const winners = results.filter((r) => r !== null);
    expect(winners).toHaveLength(1);
    const final = await m.Account.findById(acc._id).orFail();
    expect(final.version).toBe(4);
    expect(final.name).toBe(winners[0]!.name);
  });

  it('turns 50 concurrent upserts of one unique key into exactly one document', async () => {
    await m.Counter.init();
    await Promise.all(Array.from({ length: 50 }, (_, i) => m.Counter.updateOne({ key: 'hits' }, { $inc: { n: 1 }, $setOnInsert: { origin: `call-${i}` } }, { upsert: true })));
    const docs = await m.Counter.find({ key: 'hits' }).lean();
    expect(docs).toHaveLength(1);
    expect(docs[0]!.n).toBe(50);
    expect(docs[0]!.origin).toMatch(/^call-\d+$/);
  });
});

describe('queries', () => {
  beforeAll(async () => {
    const [ann, bob] = await m.Author.create([{ name: 'ann' }, { name: 'bob' }]);
    await m.Post.create([
      { title: 'p1', score: 5, author: ann!._id, tags: ['a'] },
      { title: 'p2', score: 9, author: bob!._id, tags: ['a', 'b'] },
      { title: 'p3', score: 1, author: ann!._id, tags: ['c'] },
    ]);
  });

  it('sorts, limits, selects and populates', async () => {
    const posts = await m.Post.find({ score: { $gte: 2 } })
      .sort({ score: -1 })
      .select('title author')
      .populate('author')
      .lean();
    expect(posts.map((p) => p.title)).toEqual(['p2', 'p1']);
    expect(posts.map((p) => (p.author as unknown as { name: string }).name)).toEqual(['bob', 'ann']);
    expect(posts[0]).not.toHaveProperty('score');
  });

  it('counts, distincts and aggregates', async () => {
    expect(await m.Post.countDocuments({ tags: 'a' })).toBe(2);
    expect(await m.Post.estimatedDocumentCount()).toBe(3);
    expect((await m.Post.distinct('tags')).sort()).toEqual(['a', 'b', 'c']);
    const byAuthor = await m.Post.aggregate<{ _id: string; total: number }>([
      { $lookup: { from: 'authors', localField: 'author', foreignField: '_id', as: 'a' } },
      { $unwind: '$a' },
      { $group: { _id: '$a.name', total: { $sum: '$score' } } },
      { $sort: { total: -1 } },
    ]);
    expect(byAuthor).toEqual([
      { _id: 'bob', total: 9 },
      { _id: 'ann', total: 6 },
    ]);
  });

  it('drops the database', async () => {
    const name = `${t.dbName}_drop`;
    const other = conn.useDb(name);
    const M = other.model('Thing', new Schema({ x: Number }));
    await M.create({ x: 1 });
    expect((await other.listCollections()).map((c) => c.name)).toEqual(['things']);
    await other.dropDatabase();
    expect(await other.listCollections()).toEqual([]);
    expect(await M.countDocuments()).toBe(0);
    expect(await m.Post.countDocuments()).toBe(3);
  });
});
