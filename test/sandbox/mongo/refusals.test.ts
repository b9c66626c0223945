/**
 * The embedded store never answers where MongoDB would refuse, and never silently ignores
 * an option it does not implement.
 *
 * - "like MongoDB" tests hold against a real server too (MONGODB_URI): wrong-typed update
 *   operators, missing hints, unknown fields, malformed statements.
 * - "embedded store" tests check the NotImplemented (238) refusals of options MongoDB
 *   implements but this store does not; they are skipped against a real server.
 * In every case the data must be left as it was.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi, type TestContext } from 'vitest';
import { Long, MongoBulkWriteError, MongoClient, MongoServerError, ObjectId, type Collection, type Db, type Document, type UpdateFilter } from 'mongodb';
import { Schema } from 'mongoose';
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

async function serverError(p: Promise<unknown>): Promise<MongoServerError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'expected the server to refuse').toBeInstanceOf(MongoServerError);
  return err as MongoServerError;
}

/** Expects NotImplemented (238) naming `option` (e.g. 'find.collation'). */
async function expectNotImplemented(p: Promise<unknown>, option: string): Promise<void> {
  const err = await serverError(p);
  expect(err.code).toBe(238);
  expect(err.codeName).toBe('NotImplemented');
  expect(err.errmsg).toContain(`'${option}'`);
  expect(err.errmsg).toContain('not implemented by the embedded MongoDB store');
}

const embeddedOnly = (ctx: TestContext) => {
  if (!t.embedded) ctx.skip(); // these refusals are the embedded store's; a real server implements the options
};

/** An update document as sent, without the driver's schema typing (which rejects the wrong types on purpose here). */
const raw = (u: Document) => u as UpdateFilter<Document>;

const snapshot = (c: Collection) => c.find({}, { sort: { _id: 1 } }).toArray();

const EN_CASE_INSENSITIVE = { locale: 'en', strength: 2 };

describe('options the embedded store does not implement are refused (NotImplemented, 238)', () => {
  let c: Collection;
  let before: Document[];

  beforeEach(async (ctx) => {
    embeddedOnly(ctx);
    c = db.collection(`opts_${ctx.task.id}`);
    await c.insertMany([
      { _id: 1 as never, name: 'Ann', n: 1 },
      { _id: 2 as never, name: 'ann', n: 2 },
      { _id: 3 as never, name: 'Bob', n: 3 },
    ]);
    before = await snapshot(c);
  });

  it('collation on reads: find, aggregate, countDocuments, count, distinct', async () => {
    await expectNotImplemented(c.find({ name: 'ann' }, { collation: EN_CASE_INSENSITIVE }).toArray(), 'find.collation');
    await expectNotImplemented(c.aggregate([{ $match: { name: 'ann' } }], { collation: EN_CASE_INSENSITIVE }).toArray(), 'aggregate.collation');
    await expectNotImplemented(c.countDocuments({ name: 'ann' }, { collation: EN_CASE_INSENSITIVE }), 'aggregate.collation');
    await expectNotImplemented(db.command({ count: c.collectionName, query: { name: 'ann' }, collation: EN_CASE_INSENSITIVE }), 'count.collation');
    await expectNotImplemented(c.distinct('name', {}, { collation: EN_CASE_INSENSITIVE }), 'distinct.collation');
    // The simple (binary) collation is what the store does, so it is accepted.
    expect(await c.find({ name: 'ann' }, { collation: { locale: 'simple' } }).toArray()).toEqual([{ _id: 2, name: 'ann', n: 2 }]);
  });

  it('collation on writes: update, delete and findAndModify statements; the data is unchanged', async () => {
    await expectNotImplemented(c.updateOne({ name: 'ann' }, { $set: { n: 9 } }, { collation: EN_CASE_INSENSITIVE }), 'update.updates.collation');
    await expectNotImplemented(c.updateMany({ name: 'ann' }, { $set: { n: 9 } }, { collation: EN_CASE_INSENSITIVE }), 'update.updates.collation');
    await expectNotImplemented(c.replaceOne({ name: 'ann' }, { name: 'x' }, { collation: EN_CASE_INSENSITIVE }), 'update.updates.collation');
    await expectNotImplemented(c.deleteMany({ name: 'ann' }, { collation: EN_CASE_INSENSITIVE }), 'delete.deletes.collation');
    await expectNotImplemented(c.findOneAndUpdate({ name: 'ann' }, { $set: { n: 9 } }, { collation: EN_CASE_INSENSITIVE }), 'findAndModify.collation');
    await expectNotImplemented(c.findOneAndDelete({ name: 'ann' }, { collation: EN_CASE_INSENSITIVE }), 'findAndModify.collation');
    // One refused statement fails the whole command before any statement is written.
    const err = await serverError(
      c.bulkWrite(
        [
          { updateOne: { filter: { _id: 3 as never }, update: { $set: { n: 30 } } } },
          { updateOne: { filter: { name: 'ann' }, update: { $set: { n: 20 } }, collation: EN_CASE_INSENSITIVE } },
        ],
        { ordered: false },
      ),
    );
    expect(err.code).toBe(238);
    expect(await snapshot(c)).toEqual(before);
  });

  it('collation on an index specification; the index is not created', async () => {
    await expectNotImplemented(c.createIndex({ name: 1 }, { unique: true, collation: EN_CASE_INSENSITIVE }), 'createIndexes.indexes.collation');
    expect((await c.listIndexes().toArray()).map((ix) => ix.name)).toEqual(['_id_']);
  });

  it('let on find, update, delete and findAndModify; the data is unchanged', async () => {
    const vars = { target: 'ann' };
    await expectNotImplemented(c.find({ name: 'ann' }, { let: vars }).toArray(), 'find.let');
    await expectNotImplemented(c.updateOne({ name: 'ann' }, { $set: { n: 9 } }, { let: vars }), 'update.let');
    await expectNotImplemented(c.deleteOne({ name: 'ann' }, { let: vars }), 'delete.let');
    await expectNotImplemented(c.findOneAndUpdate({ name: 'ann' }, { $set: { n: 9 } }, { let: vars }), 'findAndModify.let');
    expect(await snapshot(c)).toEqual(before);
  });

  it('sort in an update statement (MongoDB 8); neither candidate is updated', async () => {
    await expectNotImplemented(c.updateOne({ n: { $gte: 2 } }, { $set: { picked: true } }, { sort: { n: -1 } }), 'update.updates.sort');
    await expectNotImplemented(c.replaceOne({ n: { $gte: 2 } }, { picked: true }, { sort: { n: -1 } }), 'update.updates.sort');
    expect(await snapshot(c)).toEqual(before);
  });

  it('find options that change the answer: min, max, returnKey, showRecordId, tailable', async () => {
    await c.createIndex({ n: 1 });
    await expectNotImplemented(c.find({}, { min: { n: 2 }, hint: { n: 1 } }).toArray(), 'find.min');
    await expectNotImplemented(c.find({}, { max: { n: 2 }, hint: { n: 1 } }).toArray(), 'find.max');
    await expectNotImplemented(c.find({}, { returnKey: true }).toArray(), 'find.returnKey');
    await expectNotImplemented(c.find({}, { showRecordId: true }).toArray(), 'find.showRecordId');
    await expectNotImplemented(c.find({}, { tailable: true }).toArray(), 'find.tailable');
  });

  it('collection options it cannot enforce: collation, capped, validator; the collection is not created', async () => {
    await expectNotImplemented(db.createCollection('ci_names', { collation: EN_CASE_INSENSITIVE }), 'create.collation');
    await expectNotImplemented(db.createCollection('small', { capped: true, size: 4096 }), 'create.capped');
    await expectNotImplemented(db.createCollection('checked', { validator: { n: { $type: 'int' } } }), 'create.validator');
    const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((x) => x.name);
    expect(names).not.toEqual(expect.arrayContaining(['ci_names']));
    expect(names.filter((n) => ['ci_names', 'small', 'checked'].includes(n))).toEqual([]);
  });

  it('arithmetic on long and decimal values, which it cannot do exactly', async () => {
    const big = Long.fromString('9007199254740993'); // 2^53 + 1: stays a Long
    await c.insertOne({ _id: 4 as never, big });
    const err = await serverError(c.updateOne({ _id: 4 as never }, { $inc: { big: 1 } }));
    expect(err.code).toBe(238);
    expect(err.errmsg).toContain('$inc on a long value');
    expect((await c.findOne({ _id: 4 as never }, { promoteLongs: false }))!.big).toEqual(big);
  });

  it('a write concern asking for more than one node', async () => {
    const err = await serverError(c.insertOne({ _id: 5 as never }, { writeConcern: { w: 2 } }));
    expect(err.code).toBe(2);
    expect(err.errmsg).toContain("'w' > 1");
    expect(await snapshot(c)).toEqual(before);
  });

  it('honours noCursorTimeout instead of ignoring it', async () => {
    await c.insertMany(Array.from({ length: 10 }, (_, i) => ({ _id: (10 + i) as never })));
    const normal = c.find({}, { batchSize: 2 });
    const pinned = c.find({}, { batchSize: 2, noCursorTimeout: true });
    await normal.next();
    await pinned.next();
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 11 * 60 * 1000); // idle longer than the 10-minute cursor timeout
      await new Promise((resolve) => setTimeout(resolve, 1500)); // the server's sweep runs every second
    } finally {
      vi.useRealTimers();
    }
    expect((await pinned.toArray()).length).toBe(12);
    const err = await serverError(normal.toArray());
    expect(err.code).toBe(43);
  });
});

describe('unknown fields are refused like MongoDB refuses them (40415)', () => {
  it('at the top level and inside update / delete statements', async () => {
    const c = db.collection('unknown_fields');
    await c.insertOne({ _id: 1 as never, n: 1 });
    const find = await serverError(db.command({ find: 'unknown_fields', filter: {}, colation: { locale: 'en' } }));
    expect(find.code).toBe(40415);
    expect(find.errmsg).toContain("'find.colation'");
    const upd = await serverError(db.command({ update: 'unknown_fields', updates: [{ q: {}, u: { $set: { n: 2 } }, mutli: true }] }));
    expect(upd.code).toBe(40415);
    expect(upd.errmsg).toContain("'update.updates.mutli'");
    const del = await serverError(db.command({ delete: 'unknown_fields', deletes: [{ q: {}, limit: 0, colation: {} }] }));
    expect(del.code).toBe(40415);
    expect(await c.find().toArray()).toEqual([{ _id: 1, n: 1 }]);
  });
});

describe('hints must name an existing index (BadValue, 2), like MongoDB', () => {
  let c: Collection;
  let before: Document[];
  const NO_INDEX = 'hint provided does not correspond to an existing index';

  beforeAll(async () => {
    c = db.collection('hinted');
    await c.insertMany([
      { _id: 1 as never, a: 1, b: 1 },
      { _id: 2 as never, a: 2, b: 2 },
    ]);
    await c.createIndex({ a: 1 }, { name: 'a_idx' });
    before = await snapshot(c);
  });

  async function expectNoIndex(p: Promise<unknown>): Promise<void> {
    const err = await serverError(p);
    expect(err.code).toBe(2);
    expect(err.errmsg).toContain(NO_INDEX);
  }

  it('on reads: find, aggregate, countDocuments', async () => {
    await expectNoIndex(c.find({ a: 1 }, { hint: 'missing_idx' }).toArray());
    await expectNoIndex(c.find({ a: 1 }, { hint: { b: 1 } }).toArray());
    await expectNoIndex(c.aggregate([{ $match: { a: 1 } }], { hint: 'missing_idx' }).toArray());
    await expectNoIndex(c.countDocuments({ a: 1 }, { hint: { b: 1 } }));
    // An existing index (by name or key pattern) or $natural is accepted; the answer is the same.
    expect(await c.find({ a: 1 }, { hint: 'a_idx' }).toArray()).toEqual([{ _id: 1, a: 1, b: 1 }]);
    expect(await c.find({ a: 1 }, { hint: { a: 1 } }).toArray()).toEqual([{ _id: 1, a: 1, b: 1 }]);
    expect(await c.countDocuments({}, { hint: { $natural: 1 } })).toBe(2);
  });

  it('on count and distinct (embedded store)', async (ctx) => {
    embeddedOnly(ctx); // distinct accepts hint from MongoDB 7.1
    await expectNoIndex(db.command({ count: 'hinted', query: {}, hint: 'missing_idx' }));
    await expectNoIndex(db.command({ distinct: 'hinted', key: 'a', hint: { b: 1 } }));
  });

  it('on writes: update, delete, findAndModify; the data is unchanged', async () => {
    await expectNoIndex(c.updateOne({ a: 1 }, { $set: { b: 9 } }, { hint: 'missing_idx' }));
    await expectNoIndex(c.updateMany({}, { $set: { b: 9 } }, { hint: { b: 1 } }));
    await expectNoIndex(c.deleteOne({ a: 1 }, { hint: 'missing_idx' }));
    await expectNoIndex(c.deleteMany({}, { hint: { b: 1 } }));
    await expectNoIndex(c.findOneAndUpdate({ a: 1 }, { $set: { b: 9 } }, { hint: { missing: 1 } }));
    await expectNoIndex(c.findOneAndDelete({ a: 1 }, { hint: { b: 1 } }));
    expect(await snapshot(c)).toEqual(before);
    await c.updateOne({ a: 1 }, { $set: { b: 10 } }, { hint: 'a_idx' });
    expect(await c.findOne({ a: 1 })).toEqual({ _id: 1, a: 1, b: 10 });
  });
});

describe('update operators on the wrong type fail like MongoDB and change nothing', () => {
  let c: Collection;
  let before: Document[];

  beforeEach(async (ctx) => {
    c = db.collection(`types_${ctx.task.id}`);
    await c.insertMany([
      { _id: 1 as never, n: 1, s: 'str', arr: [1, 2], nul: null, obj: { k: 1 } },
      { _id: 2 as never, n: 'two', s: 'str', arr: 'not-an-array' },
      { _id: 3 as never, n: 3, s: 'str', arr: [3] },
    ]);
    before = await snapshot(c);
  });

  it('$inc and $mul on a non-number: TypeMismatch (14) naming the document and field', async () => {
    const inc = await serverError(c.updateOne({ _id: 1 as never }, { $inc: { s: 1 } }));
    expect(inc.code).toBe(14);
    expect(inc.errmsg).toContain("Cannot apply $inc to a value of non-numeric type. {_id: 1} has the field 's' of non-numeric type string");
    const mul = await serverError(c.updateOne({ _id: 1 as never }, { $mul: { nul: 2 } }));
    expect(mul.code).toBe(14);
    expect(mul.errmsg).toContain("Cannot apply $mul to a value of non-numeric type. {_id: 1} has the field 'nul' of non-numeric type null");
    const nested = await serverError(c.findOneAndUpdate({ _id: 1 as never }, { $inc: { obj: 1 } }));
    expect(nested.code).toBe(14);
    expect(nested.errmsg).toContain("has the field 'obj' of non-numeric type object");
    const arg = await serverError(c.updateOne({ _id: 1 as never }, raw({ $inc: { n: 'one' } })));
    expect(arg.code).toBe(14);
    expect(arg.errmsg).toContain('Cannot increment with non-numeric argument');
    expect(await snapshot(c)).toEqual(before);
  });

  it('$push, $addToSet, $pull, $pullAll on a non-array: BadValue (2); $pop: TypeMismatch (14)', async () => {
    const push = await serverError(c.updateOne({ _id: 1 as never }, raw({ $push: { s: 'x' } })));
    expect(push.code).toBe(2);
    expect(push.errmsg).toContain("The field 's' must be an array but is of type string in document {_id: 1}");
    const pushNull = await serverError(c.updateOne({ _id: 1 as never }, raw({ $push: { nul: 'x' } })));
    expect(pushNull.errmsg).toContain("The field 'nul' must be an array but is of type null");
    const add = await serverError(c.updateOne({ _id: 1 as never }, { $addToSet: { obj: 'x' } }));
    expect(add.code).toBe(2);
    expect(add.errmsg).toContain("Cannot apply $addToSet to non-array field. Field named 'obj' has non-array type object");
    for (const update of [raw({ $pull: { s: 'x' } }), raw({ $pullAll: { s: ['x'] } })]) {
      const pull = await serverError(c.updateOne({ _id: 1 as never }, update));
      expect(pull.code).toBe(2);
      expect(pull.errmsg).toContain('Cannot apply $pull to a non-array value');
    }
    const pop = await serverError(c.updateOne({ _id: 1 as never }, { $pop: { 'obj.k': 1 } }));
    expect(pop.code).toBe(14);
    expect(pop.errmsg).toContain("Path 'obj.k' contains an element of non-array type 'int'");
    expect(await snapshot(c)).toEqual(before);
  });

  it('positional and arrayFilters paths are checked too', async () => {
    await c.insertOne({
      _id: 4 as never,
      items: [
        { k: 'a', q: 1 },
        { k: 'b', q: 'x' },
      ],
    });
    const all = await serverError(c.updateOne({ _id: 4 as never }, { $inc: { 'items.$[].q': 1 } }));
    expect(all.code).toBe(14);
    const filtered = await serverError(c.updateOne({ _id: 4 as never }, { $inc: { 'items.$[it].q': 1 } }, { arrayFilters: [{ 'it.k': 'b' }] }));
    expect(filtered.code).toBe(14);
    const first = await serverError(c.updateOne({ _id: 4 as never, 'items.k': 'b' }, raw({ $push: { 'items.$.q': 1 } })));
    expect(first.code).toBe(2);
    expect(await c.findOne({ _id: 4 as never })).toEqual({
      _id: 4,
      items: [
        { k: 'a', q: 1 },
        { k: 'b', q: 'x' },
      ],
    });
  });

  it('in a multi update: the error is a write error, earlier documents stay updated, later ones untouched', async () => {
    const err = await serverError(c.updateMany({}, { $inc: { n: 10 } }));
    expect(err.code).toBe(14);
    expect(err.errmsg).toContain("{_id: 2} has the field 'n' of non-numeric type string");
    expect((await snapshot(c)).map((d) => d.n)).toEqual([11, 'two', 3]);
  });

  it('in an unordered batch: the failing statement is reported by index, the others apply', async () => {
    const err = await c
      .bulkWrite(
        [
          { updateOne: { filter: { _id: 1 as never }, update: raw({ $push: { arr: 9 } }) } },
          { updateOne: { filter: { _id: 2 as never }, update: raw({ $push: { arr: 9 } }) } },
          { updateOne: { filter: { _id: 3 as never }, update: raw({ $push: { arr: 9 } }) } },
        ],
        { ordered: false },
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MongoBulkWriteError);
    const bulk = err as MongoBulkWriteError;
    const writeErrors = [bulk.writeErrors].flat();
    expect(writeErrors).toHaveLength(1);
    expect(writeErrors[0]!.index).toBe(1);
    expect(writeErrors[0]!.code).toBe(2);
    expect(bulk.modifiedCount).toBe(2);
    expect((await snapshot(c)).map((d) => d.arr)).toEqual([[1, 2, 9], 'not-an-array', [3, 9]]);
  });

  it('an upsert whose seeded field has the wrong type inserts nothing', async () => {
    const err = await serverError(c.updateOne({ tag: 'x' }, { $inc: { tag: 1 } }, { upsert: true }));
    expect(err.code).toBe(14);
    expect(await snapshot(c)).toEqual(before);
  });

  it('paths that cannot be created: PathNotViable (28); $rename never drops its source', async () => {
    const viaString = await serverError(c.updateOne({ _id: 1 as never }, { $set: { 's.x': 1 } }));
    expect(viaString.code).toBe(28);
    expect(viaString.errmsg).toContain('Cannot create field \'x\' in element {s: "str"}');
    const viaNull = await serverError(c.updateOne({ _id: 1 as never }, { $inc: { 'nul.x': 1 } }));
    expect(viaNull.code).toBe(28);
    const viaArray = await serverError(c.updateOne({ _id: 1 as never }, { $set: { 'arr.x': 1 } }));
    expect(viaArray.code).toBe(28);
    const rename = await serverError(c.updateOne({ _id: 1 as never }, { $rename: { s: 'n.s' } }));
    expect(rename.code).toBe(28);
    const renameIntoArray = await serverError(c.updateOne({ _id: 1 as never }, { $rename: { s: 'arr.0' } }));
    expect(renameIntoArray.code).toBe(2);
    expect(await snapshot(c)).toEqual(before);
  });

  it('two operators on one path: ConflictingUpdateOperators (40)', async () => {
    const err = await serverError(c.updateOne({ _id: 1 as never }, { $set: { arr: [7] }, $addToSet: { arr: 8 } }));
    expect(err.code).toBe(40);
    expect(err.errmsg).toContain("Updating the path 'arr' would create a conflict at 'arr'");
    const nested = await serverError(c.updateOne({ _id: 1 as never }, { $set: { obj: {} }, $inc: { 'obj.k': 1 } }));
    expect(nested.code).toBe(40);
    expect(await snapshot(c)).toEqual(before);
  });

  it('$min and $max compare values of different types in BSON order, also through positional paths', async () => {
    const oid = new ObjectId();
    await c.insertOne({ _id: 5 as never, num: 5, flag: true, list: [1], items: [{ q: 3 }, { q: 'x' }, {}] });
    await c.updateOne({ _id: 5 as never }, { $min: { num: [0], flag: oid }, $max: { list: 'zzz' } });
    // numbers < strings < objects < arrays < ObjectId < booleans
    expect(await c.findOne({ _id: 5 as never })).toMatchObject({ num: 5, flag: oid, list: [1] });
    await c.updateOne({ _id: 5 as never }, { $max: { num: [0] } });
    await c.updateOne({ _id: 5 as never }, { $min: { 'items.$[].q': 1 } });
    expect(await c.findOne({ _id: 5 as never })).toMatchObject({ num: [0], items: [{ q: 1 }, { q: 1 }, { q: 1 }] });
  });

  it('array filters must all be used, and $pop takes 1 or -1: FailedToParse (9)', async () => {
    const unused = await serverError(c.updateOne({ _id: 1 as never }, { $set: { n: 5 } }, { arrayFilters: [{ 'x.k': 1 }] }));
    expect(unused.code).toBe(9);
    expect(unused.errmsg).toContain("The array filter for identifier 'x' was not used in the update");
    const pop = await serverError(c.updateOne({ _id: 1 as never }, raw({ $pop: { arr: 2 } })));
    expect(pop.code).toBe(9);
    expect(await snapshot(c)).toEqual(before);
  });
});

describe('malformed statements MongoDB refuses', () => {
  it('a delete limit other than 0 or 1, and a multi replacement (FailedToParse, 9)', async () => {
    const c = db.collection('malformed');
    await c.insertMany([
      { _id: 1 as never, v: 1 },
      { _id: 2 as never, v: 1 },
    ]);
    const del = await serverError(db.command({ delete: 'malformed', deletes: [{ q: {}, limit: 2 }] }));
    expect(del.code).toBe(9);
    expect(del.errmsg).toContain('The limit field in delete objects must be 0 or 1');
    const upd = await db.command({ update: 'malformed', updates: [{ q: {}, u: { w: 2 }, multi: true }] });
    expect(upd.writeErrors?.[0]?.code).toBe(9);
    expect(upd.writeErrors?.[0]?.errmsg).toContain('multi update is not supported for replacement-style update');
    expect(await c.find().toArray()).toEqual([
      { _id: 1, v: 1 },
      { _id: 2, v: 1 },
    ]);
  });
});

describe('aggregate implements let', () => {
  it('including in a leading $match', async () => {
    const c = db.collection('agg_let');
    await c.insertMany([
      { _id: 1 as never, a: 1 },
      { _id: 2 as never, a: 2 },
    ]);
    const docs = await c.aggregate([{ $match: { $expr: { $eq: ['$a', '$$wanted'] } } }, { $project: { _id: 1 } }], { let: { wanted: 2 } }).toArray();
    expect(docs).toEqual([{ _id: 2 }]);
  });
});

describe('through mongoose', () => {
  const Thing = () => t.connection.model('Thing', new Schema({ name: String, meta: Schema.Types.Mixed, tags: [String] }));

  it('refuses a collation and wrong-typed operators, and keeps the document', async (ctx) => {
    const M = Thing();
    const doc = await M.create({ name: 'Ann', meta: { count: 'three' }, tags: ['a'] });
    if (t.embedded) {
      const err = await M.find({ name: 'ann' })
        .collation(EN_CASE_INSENSITIVE)
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MongoServerError);
      expect((err as MongoServerError).code).toBe(238);
      expect((err as MongoServerError).errmsg).toContain("'find.collation'");
    } else {
      ctx.annotate('collation refusal skipped: a real server implements it');
    }
    const inc = await M.updateOne({ _id: doc._id }, { $inc: { 'meta.count': 1 } }).catch((e: unknown) => e);
    expect((inc as MongoServerError).code).toBe(14);
    const push = await M.findOneAndUpdate({ _id: doc._id }, { $push: { 'meta.count': 'x' } }).catch((e: unknown) => e);
    expect((push as MongoServerError).code).toBe(2);
    const stored = await M.findById(doc._id).lean().orFail();
    expect(stored.meta).toEqual({ count: 'three' });
    expect(stored.tags).toEqual(['a']);
  });
});
