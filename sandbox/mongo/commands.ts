/**
 * Command handlers. Each handler runs synchronously from start to finish, so every
 * command is atomic with respect to all others (no await inside read-modify-write).
 */
import { calculateObjectSize, Long, type Document } from 'bson';
import { Aggregator, Query } from 'mingo';
import {
  canon,
  cloneDeep,
  CommandError,
  isPlainObject,
  MINGO_OPTIONS,
  runMingo,
  showValue,
  valuesAtPath,
  withId,
  type Collection,
  type Database,
  type Doc,
  type IndexSpec,
  type Store,
} from './storage.js';
import {
  AGGREGATE_FIELDS,
  checkCommand,
  checkFields,
  checkHint,
  checkRule,
  COUNT_FIELDS,
  CREATE_INDEXES_FIELDS,
  CREATE_REFUSED,
  DELETE_FIELDS,
  DELETE_STATEMENT_FIELDS,
  DISTINCT_FIELDS,
  FIND_AND_MODIFY_FIELDS,
  FIND_FIELDS,
  INDEX_SPEC_FIELDS,
  INSERT_FIELDS,
  UPDATE_FIELDS,
  UPDATE_STATEMENT_FIELDS,
  type Fields,
} from './options.js';
import { applyUpdate, checkUpdateSpec, upsertDocument, type UpdateSpec } from './update.js';

/** MongoDB 7.0. The driver (7.x) requires at least 9 (4.4). */
export const WIRE_VERSION = 21;
export const SERVER_VERSION = '7.0.0';
export const MAX_BSON_OBJECT_SIZE = 16 * 1024 * 1024;
export const MAX_WRITE_BATCH_SIZE = 100_000;
const DEFAULT_FIRST_BATCH = 101;
/** Keeps a reply under the BSON limit. */
const MAX_BATCH_BYTES = MAX_BSON_OBJECT_SIZE - 1024 * 1024;
/** Cursors untouched for this long are discarded (the real server uses 10 minutes). */
const CURSOR_IDLE_MS = 10 * 60 * 1000;

export interface ServerInfo {
  host: string;
  port: number;
  startedAt: number;
  openConnections(): number;
  totalConnections(): number;
}

/** Fields any command may carry that `create` does not record as collection options. */
const GENERIC_FIELDS = new Set([
  '$db',
  'lsid',
  'txnNumber',
  '$clusterTime',
  'readConcern',
  'writeConcern',
  '$readPreference',
  'apiVersion',
  'apiStrict',
  'apiDeprecationErrors',
  'comment',
  'maxTimeMS',
]);

interface Ctx {
  runner: CommandRunner;
  store: Store;
  db: Database;
  cmd: Document;
  name: string;
  connectionId: number;
}

type Handler = (ctx: Ctx) => Document;

interface OpenCursor {
  ns: string;
  docs: Doc[];
  pos: number;
  touched: number;
  /** `noCursorTimeout`: never discarded for being idle. */
  noTimeout: boolean;
}

// ---------------------------------------------------------------------------
// Argument helpers

function collectionName(ctx: Ctx): string {
  const v = ctx.cmd[ctx.name];
  if (typeof v !== 'string' || v === '') {
    throw new CommandError(73, 'InvalidNamespace', `'${ctx.name}' requires a collection name`);
  }
  return v;
}

function docArg(v: unknown, what: string): Doc {
  if (v === undefined || v === null) return {};
  if (!isPlainObject(v)) throw new CommandError(14, 'TypeMismatch', `'${what}' must be an object`);
  return v;
}

function intArg(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : 0;
}

function errorFields(e: unknown): Document {
  if (e instanceof CommandError) return { code: e.code, codeName: e.codeName, errmsg: e.message, ...e.extra };
  return { code: 1, codeName: 'InternalError', errmsg: e instanceof Error ? e.message : String(e) };
}

function ns(ctx: Ctx, coll: string): string {
  return `${ctx.db.name}.${coll}`;
}

// ---------------------------------------------------------------------------
// Runner

export class CommandRunner {
  private readonly cursors = new Map<number, OpenCursor>();
  private nextCursorId = 1 + Math.floor(Math.random() * 1_000_000) * 1000;

  constructor(
    readonly store: Store,
    readonly server: ServerInfo,
  ) {}

  /** Executes one command and returns the reply document (never throws). */
  run(dbName: string, cmd: Document, connectionId: number): Document {
    const name = Object.keys(cmd)[0] ?? '';
    try {
      if (cmd.startTransaction === true || cmd.autocommit === false) {
        throw new CommandError(20, 'IllegalOperation', 'Transaction numbers are only allowed on a replica set member or mongos');
      }
      const handler = Object.hasOwn(HANDLERS, name) ? HANDLERS[name] : undefined;
      if (!handler) throw new CommandError(59, 'CommandNotFound', `no such command: '${name}'`);
      return handler({ runner: this, store: this.store, db: this.store.db(dbName), cmd, name, connectionId });
    } catch (e) {
      return { ok: 0, ...errorFields(e) };
    }
  }

  /** Builds a cursor reply; keeps the remainder for getMore unless it fits in the first batch. */
  cursorReply(ns: string, docs: Doc[], batchSize: unknown, singleBatch = false, noTimeout = false): Document {
    const size = typeof batchSize === 'number' && batchSize >= 0 ? batchSize : DEFAULT_FIRST_BATCH;
    const firstBatch = takeBatch(docs, 0, size);
    let id = 0;
    if (firstBatch.length < docs.length && !singleBatch) {
      id = this.nextCursorId++;
      this.cursors.set(id, { ns, docs, pos: firstBatch.length, touched: Date.now(), noTimeout });
    }
    return { cursor: { firstBatch, id: Long.fromNumber(id), ns }, ok: 1 };
  }

  getMore(id: number, collection: string, dbName: string, batchSize: unknown): Document {
    const cursor = this.cursors.get(id);
    if (!cursor || cursor.ns !== `${dbName}.${collection}`) {
      throw new CommandError(43, 'CursorNotFound', `cursor id ${id} not found`);
    }
    const nextBatch = takeBatch(cursor.docs, cursor.pos, typeof batchSize === 'number' && batchSize > 0 ? batchSize : Infinity);
    cursor.pos += nextBatch.length;
    cursor.touched = Date.now();
    const done = cursor.pos >= cursor.docs.length;
    if (done) this.cursors.delete(id);
    return { cursor: { nextBatch, id: Long.fromNumber(done ? 0 : id), ns: cursor.ns }, ok: 1 };
  }

  killCursors(ids: number[]): Document {
    const killed: Long[] = [];
    const notFound: Long[] = [];
    for (const id of ids) (this.cursors.delete(id) ? killed : notFound).push(Long.fromNumber(id));
    return { cursorsKilled: killed, cursorsNotFound: notFound, cursorsAlive: [], cursorsUnknown: [], ok: 1 };
  }

  /** Drops cursors idle for too long, or (when given) those whose namespace matches `dropped`. */
  sweepCursors(dropped?: (ns: string) => boolean): void {
    const now = Date.now();
    for (const [id, c] of this.cursors) {
      if ((!c.noTimeout && now - c.touched > CURSOR_IDLE_MS) || dropped?.(c.ns)) this.cursors.delete(id);
    }
  }
}

function takeBatch(docs: Doc[], pos: number, max: number): Doc[] {
  const batch: Doc[] = [];
  let bytes = 0;
  while (pos + batch.length < docs.length && batch.length < max) {
    const doc = docs[pos + batch.length]!;
    bytes += calculateObjectSize(doc);
    if (batch.length && bytes > MAX_BATCH_BYTES) break;
    batch.push(doc);
  }
  return batch;
}

// ---------------------------------------------------------------------------
// Handshake & admin

function hello(ctx: Ctx): Document {
  return {
    helloOk: true,
    isWritablePrimary: true,
    ismaster: true,
    maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
    maxMessageSizeBytes: 48_000_000,
    maxWriteBatchSize: MAX_WRITE_BATCH_SIZE,
    localTime: new Date(),
    logicalSessionTimeoutMinutes: 30,
    connectionId: ctx.connectionId,
    minWireVersion: 0,
    maxWireVersion: WIRE_VERSION,
    readOnly: false,
    ok: 1,
  };
}

function buildInfo(): Document {
  return {
    version: SERVER_VERSION,
    gitVersion: 'baomi-embedded',
    versionArray: [7, 0, 0, 0],
    bits: 64,
    debug: false,
    maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
    storageEngines: ['memory'],
    javascriptEngine: 'none',
    modules: [],
    ok: 1,
  };
}

function getParameter(ctx: Ctx): Document {
  const known: Document = { featureCompatibilityVersion: { version: '7.0' }, authenticationMechanisms: [] };
  const out: Document = {};
  for (const key of Object.keys(known)) if (ctx.cmd.getParameter === '*' || key in ctx.cmd) out[key] = known[key];
  return { ...out, ok: 1 };
}

function serverStatus(ctx: Ctx): Document {
  const { server } = ctx.runner;
  const now = Date.now();
  return {
    host: `${server.host}:${server.port}`,
    version: SERVER_VERSION,
    process: 'mongod',
    pid: Long.fromNumber(process.pid),
    uptime: Math.floor((now - server.startedAt) / 1000),
    uptimeMillis: Long.fromNumber(now - server.startedAt),
    localTime: new Date(now),
    connections: { current: server.openConnections(), available: 1000, totalCreated: server.totalConnections() },
    storageEngine: { name: 'memory' },
    ok: 1,
  };
}

function listDatabases(ctx: Ctx): Document {
  const filter = new Query(docArg(ctx.cmd.filter, 'filter'), MINGO_OPTIONS);
  const databases = [...ctx.store.databases.values()]
    .filter((db) => db.collections.size > 0)
    .map((db) => ({ name: db.name, sizeOnDisk: 0, empty: false }))
    .filter((d) => filter.test(d));
  return ctx.cmd.nameOnly ? { databases: databases.map((d) => ({ name: d.name })), ok: 1 } : { databases, totalSize: 0, totalSizeMb: 0, ok: 1 };
}

function dropDatabase(ctx: Ctx): Document {
  ctx.store.databases.delete(ctx.db.name);
  ctx.runner.sweepCursors((n) => n.startsWith(`${ctx.db.name}.`));
  return { dropped: ctx.db.name, ok: 1 };
}

function dbStats(ctx: Ctx): Document {
  const colls = [...ctx.db.collections.values()];
  const objects = colls.reduce((n, c) => n + c.docs.size, 0);
  const indexes = colls.reduce((n, c) => n + c.indexes.size, 0);
  return { db: ctx.db.name, collections: colls.length, views: 0, objects, indexes, dataSize: 0, storageSize: 0, ok: 1 };
}

// ---------------------------------------------------------------------------
// Collections & indexes

function create(ctx: Ctx): Document {
  const name = collectionName(ctx);
  if (ctx.db.get(name)) throw new CommandError(48, 'NamespaceExists', `Collection ${ns(ctx, name)} already exists.`);
  if (ctx.cmd.viewOn !== undefined || ctx.cmd.timeseries !== undefined) {
    throw new CommandError(115, 'CommandNotSupported', 'views and time-series collections are not supported by the embedded store');
  }
  for (const [key, rule] of Object.entries(CREATE_REFUSED)) checkRule(rule, `create.${key}`, ctx.cmd[key]);
  const coll = ctx.db.ensure(name);
  for (const [key, value] of Object.entries(ctx.cmd)) {
    if (key !== 'create' && !GENERIC_FIELDS.has(key)) coll.options[key] = cloneDeep(value);
  }
  return { ok: 1 };
}

function drop(ctx: Ctx): Document {
  const name = collectionName(ctx);
  const coll = ctx.db.get(name);
  ctx.db.collections.delete(name);
  ctx.runner.sweepCursors((n) => n === ns(ctx, name));
  return { ns: ns(ctx, name), nIndexesWas: coll?.indexes.size ?? 0, ok: 1 };
}

function renameCollection(ctx: Ctx): Document {
  const split = (full: unknown): [string, string] => {
    const s = String(full);
    const dot = s.indexOf('.');
    if (dot <= 0) throw new CommandError(73, 'InvalidNamespace', `Invalid namespace specified '${s}'`);
    return [s.slice(0, dot), s.slice(dot + 1)];
  };
  const [fromDb, fromName] = split(ctx.cmd.renameCollection);
  const [toDb, toName] = split(ctx.cmd.to);
  const source = ctx.store.databases.get(fromDb)?.get(fromName);
  if (!source) throw new CommandError(26, 'NamespaceNotFound', 'Source collection does not exist');
  const target = ctx.store.db(toDb);
  if (target.get(toName)) {
    if (ctx.cmd.dropTarget !== true) throw new CommandError(48, 'NamespaceExists', 'Target namespace exists');
    target.collections.delete(toName);
  }
  ctx.store.db(fromDb).collections.delete(fromName);
  source.dbName = toDb;
  source.name = toName;
  target.collections.set(toName, source);
  return { ok: 1 };
}

function listCollections(ctx: Ctx): Document {
  const filter = new Query(docArg(ctx.cmd.filter, 'filter'), MINGO_OPTIONS);
  const infos = [...ctx.db.collections.values()]
    .map((c) => ({
      name: c.name,
      type: 'collection',
      options: cloneDeep(c.options),
      info: { readOnly: false },
      idIndex: { v: 2, key: { _id: 1 }, name: '_id_' },
    }))
    .filter((info) => filter.test(info))
    .map((info) => (ctx.cmd.nameOnly ? { name: info.name, type: info.type } : info));
  return ctx.runner.cursorReply(`${ctx.db.name}.$cmd.listCollections`, infos, docArg(ctx.cmd.cursor, 'cursor').batchSize);
}

function createIndexes(ctx: Ctx): Document {
  const name = collectionName(ctx);
  checkCommand(ctx.name, ctx.cmd, CREATE_INDEXES_FIELDS);
  if (ctx.cmd.commitQuorum !== undefined) throw new CommandError(2, 'BadValue', "Standalones can't specify commitQuorum");
  const existed = ctx.db.get(name) !== undefined;
  const specs = ctx.cmd.indexes;
  if (!Array.isArray(specs) || specs.length === 0) throw new CommandError(2, 'BadValue', "'indexes' must be a non-empty array");
  for (const spec of specs) {
    if (!isPlainObject(spec) || !isPlainObject(spec.key) || Object.keys(spec.key).length === 0 || typeof spec.name !== 'string') {
      throw new CommandError(67, 'CannotCreateIndex', 'index specification must have a non-empty key and a name');
    }
    for (const [option, value] of Object.entries(spec)) {
      const rule = Object.hasOwn(INDEX_SPEC_FIELDS, option) ? INDEX_SPEC_FIELDS[option] : undefined;
      if (!rule) {
        throw new CommandError(197, 'InvalidIndexSpecificationOption', `The field '${option}' is not valid for an index specification. Specification: ${canon(spec)}`);
      }
      checkRule(rule, `createIndexes.indexes.${option}`, value);
    }
  }
  const coll = ctx.db.ensure(name);
  const before = coll.indexes.size;
  let created = 0;
  for (const spec of specs as IndexSpec[]) {
    const { key, name: indexName, ...options } = spec;
    if (coll.createIndex({ v: 2, key, name: indexName, ...options })) created++;
  }
  return {
    numIndexesBefore: before,
    numIndexesAfter: coll.indexes.size,
    createdCollectionAutomatically: !existed,
    ...(created === 0 ? { note: 'all indexes already exist' } : {}),
    ok: 1,
  };
}

function requireCollection(ctx: Ctx, name: string): Collection {
  const coll = ctx.db.get(name);
  if (!coll) throw new CommandError(26, 'NamespaceNotFound', `ns does not exist: ${ns(ctx, name)}`);
  return coll;
}

function listIndexes(ctx: Ctx): Document {
  const name = collectionName(ctx);
  const specs = [...requireCollection(ctx, name).indexes.values()].map((ix) => cloneDeep(ix.spec));
  return ctx.runner.cursorReply(ns(ctx, name), specs, docArg(ctx.cmd.cursor, 'cursor').batchSize);
}

function dropIndexes(ctx: Ctx): Document {
  const name = collectionName(ctx);
  const coll = requireCollection(ctx, name);
  const before = coll.indexes.size;
  const which = ctx.cmd.index;
  let names: string[];
  if (which === '*') names = [...coll.indexes.keys()].filter((n) => n !== '_id_');
  else if (typeof which === 'string') names = [which];
  else if (Array.isArray(which)) names = which.map(String);
  else if (isPlainObject(which)) {
    const found = [...coll.indexes.values()].find((ix) => canon(ix.spec.key) === canon(which));
    if (!found) throw new CommandError(27, 'IndexNotFound', `can't find index with key: ${canon(which)}`);
    names = [found.name];
  } else throw new CommandError(2, 'BadValue', "'index' must be a string, an array or a key pattern");
  for (const n of names) {
    if (n === '_id_') throw new CommandError(72, 'InvalidOptions', 'cannot drop _id index');
    if (!coll.indexes.has(n)) throw new CommandError(27, 'IndexNotFound', `index not found with name [${n}]`);
  }
  for (const n of names) coll.indexes.delete(n);
  coll.pruneGroups();
  return { nIndexesWas: before, ok: 1 };
}

// ---------------------------------------------------------------------------
// Reads

/**
 * The sort key of a one-field sort whose values are, in every matched document, one number (or
 * one date): those sort natively, like the server, and far faster than the generic sort.
 */
function simpleSortKeys(docs: Doc[], sort: Doc): { field: string; dir: 1 | -1; keys: number[] } | undefined {
  const fields = Object.keys(sort);
  if (fields.length !== 1) return undefined;
  const field = fields[0]!;
  const dir = sort[field];
  if ((dir !== 1 && dir !== -1) || field.startsWith('$') || field.split('.').some((p) => /^\d+$/.test(p))) return undefined;
  const path = field.split('.');
  const keys: number[] = [];
  let kind: 'number' | 'date' | undefined;
  for (const d of docs) {
    const vals = valuesAtPath(d, path);
    const v = vals.length === 1 ? vals[0] : undefined;
    const k = typeof v === 'number' && !Number.isNaN(v) ? 'number' : v instanceof Date ? 'date' : undefined;
    if (!k || (kind && k !== kind)) return undefined;
    kind = k;
    keys.push(k === 'number' ? (v as number) : (v as Date).getTime());
  }
  return { field, dir, keys };
}

function sortedMatches(coll: Collection | undefined, filter: Doc, opts: { sort?: unknown; skip?: number; limit?: number; projection?: unknown }): Doc[] {
  if (!coll) return [];
  return runMingo(() => {
    const projection = isPlainObject(opts.projection) && Object.keys(opts.projection).length ? opts.projection : undefined;
    const { $natural: _n, ...sortSpec } = isPlainObject(opts.sort) ? opts.sort : {};
    if (Object.keys(sortSpec).length === 1) {
      const query = new Query(filter, MINGO_OPTIONS);
      const matched = coll.candidates(filter).filter((d) => query.test(d));
      const simple = simpleSortKeys(matched, sortSpec);
      if (simple) {
        const order = matched.map((_, i) => i).sort((a, b) => (simple.keys[a]! - simple.keys[b]!) * simple.dir);
        let picked = order.map((i) => matched[i]!);
        if (opts.skip) picked = picked.slice(opts.skip);
        if (opts.limit) picked = picked.slice(0, opts.limit);
        return projection ? new Query({}, MINGO_OPTIONS).find<Doc>(picked, projection).all() : picked;
      }
    }
    let cursor = new Query(filter, MINGO_OPTIONS).find<Doc>(coll.candidates(filter), projection);
    if (isPlainObject(opts.sort)) {
      const { $natural: _natural, ...sort } = opts.sort; // natural order is insertion order
      if (Object.keys(sort).length) cursor = cursor.sort(sort);
    }
    if (opts.skip) cursor = cursor.skip(opts.skip);
    if (opts.limit) cursor = cursor.limit(opts.limit);
    return cursor.all();
  });
}

function find(ctx: Ctx): Document {
  const name = collectionName(ctx);
  checkCommand(ctx.name, ctx.cmd, FIND_FIELDS);
  checkHint(ctx.db.get(name), ctx.cmd.hint);
  const limit = intArg(ctx.cmd.limit);
  const docs = sortedMatches(ctx.db.get(name), docArg(ctx.cmd.filter, 'filter'), {
    sort: ctx.cmd.sort,
    skip: intArg(ctx.cmd.skip),
    limit: Math.abs(limit),
    projection: ctx.cmd.projection,
  });
  return ctx.runner.cursorReply(ns(ctx, name), docs, ctx.cmd.batchSize, ctx.cmd.singleBatch === true || limit < 0, ctx.cmd.noCursorTimeout === true);
}

function getMore(ctx: Ctx): Document {
  const id = ctx.cmd.getMore;
  const numericId = typeof id === 'number' ? id : Number(id);
  return ctx.runner.getMore(numericId, String(ctx.cmd.collection), ctx.db.name, ctx.cmd.batchSize);
}

function killCursors(ctx: Ctx): Document {
  const ids = Array.isArray(ctx.cmd.cursors) ? ctx.cmd.cursors.map((id) => Number(id)) : [];
  return ctx.runner.killCursors(ids);
}

function count(ctx: Ctx): Document {
  const name = collectionName(ctx);
  checkCommand(ctx.name, ctx.cmd, COUNT_FIELDS);
  const coll = ctx.db.get(name);
  checkHint(coll, ctx.cmd.hint);
  const query = docArg(ctx.cmd.query, 'query');
  let n = coll ? (Object.keys(query).length ? runMingo(() => coll.match(query)).length : coll.docs.size) : 0;
  n = Math.max(0, n - intArg(ctx.cmd.skip));
  const limit = Math.abs(intArg(ctx.cmd.limit));
  return { n: limit ? Math.min(n, limit) : n, ok: 1 };
}

function distinct(ctx: Ctx): Document {
  const name = collectionName(ctx);
  checkCommand(ctx.name, ctx.cmd, DISTINCT_FIELDS);
  if (typeof ctx.cmd.key !== 'string') throw new CommandError(14, 'TypeMismatch', "'key' must be a string");
  const path = ctx.cmd.key.split('.');
  const coll = ctx.db.get(name);
  checkHint(coll, ctx.cmd.hint);
  const seen = new Map<string, unknown>();
  for (const doc of coll ? runMingo(() => coll.match(docArg(ctx.cmd.query, 'query'))) : []) {
    for (const v of valuesAtPath(doc, path)) if (v !== undefined && !seen.has(canon(v))) seen.set(canon(v), v);
  }
  return { values: [...seen.values()], ok: 1 };
}

/** Stages that never write into their input documents. */
const READ_ONLY_STAGES = new Set(['$match', '$sort', '$skip', '$limit', '$count', '$group', '$sortByCount']);

function aggregate(ctx: Ctx): Document {
  const name = collectionName(ctx);
  checkCommand(ctx.name, ctx.cmd, AGGREGATE_FIELDS);
  const pipeline = ctx.cmd.pipeline;
  if (!Array.isArray(pipeline) || !pipeline.every(isPlainObject)) throw new CommandError(14, 'TypeMismatch', "'pipeline' must be an array of objects");
  const unsupported = pipeline.map((s) => Object.keys(s)[0]).find((op) => op === '$out' || op === '$merge' || op === '$geoNear' || op === '$changeStream' || op === '$search');
  if (unsupported) throw new CommandError(115, 'CommandNotSupported', `${unsupported} is not supported by the embedded store`);
  if (ctx.cmd.explain) throw new CommandError(115, 'CommandNotSupported', 'explain is not supported by the embedded store');
  if (!isPlainObject(ctx.cmd.cursor)) {
    throw new CommandError(9, 'FailedToParse', "The 'cursor' option is required, except for aggregate with the explain argument");
  }
  if (ctx.cmd.let !== undefined && !isPlainObject(ctx.cmd.let)) throw new CommandError(14, 'TypeMismatch', "'let' must be an object");
  const variables = isPlainObject(ctx.cmd.let) && Object.keys(ctx.cmd.let).length ? ctx.cmd.let : undefined;
  const coll = ctx.db.get(name);
  checkHint(coll, ctx.cmd.hint);
  const first = pipeline[0] as Doc | undefined;
  // Pre-filter with the first $match (uses the _id / unique-index lookups) unless it may use
  // `let` variables, which only the aggregator knows. Stages such as $set / $unset may mutate
  // nested input objects in place, so those pipelines get clones.
  const prefilter = isPlainObject(first?.$match) && !variables ? (first.$match as Doc) : undefined;
  const matched = coll ? (prefilter ? runMingo(() => coll.match(prefilter)) : [...coll.docs.values()]) : [];
  // The first $match is done (the same matcher, the same options): the aggregator runs the rest.
  const rest = prefilter ? pipeline.slice(1) : pipeline;
  const readOnly = rest.every((s) => READ_ONLY_STAGES.has(Object.keys(s)[0] ?? ''));
  const source = readOnly ? matched : matched.map(cloneDeep);
  const resolved = new Map<string, Doc[]>();
  const collectionResolver = (other: string): Doc[] => {
    let docs = resolved.get(other);
    if (!docs) {
      docs = [...(ctx.db.get(other)?.docs.values() ?? [])].map(cloneDeep);
      resolved.set(other, docs);
    }
    return docs;
  };
  const results = rest.length ? runMingo(() => new Aggregator(rest as Doc[], { ...MINGO_OPTIONS, collectionResolver, variables }).run<Doc>(source)) : source;
  return ctx.runner.cursorReply(ns(ctx, name), results, docArg(ctx.cmd.cursor, 'cursor').batchSize);
}

// ---------------------------------------------------------------------------
// Writes

/**
 * Runs `op` for each entry of a write batch and returns the per-entry write errors;
 * an ordered batch stops at the first error.
 */
function eachWrite<T>(ctx: Ctx, entries: unknown, op: (entry: T, index: number) => void): Document[] {
  if (!Array.isArray(entries)) throw new CommandError(14, 'TypeMismatch', `'${ctx.name}' requires an array of operations`);
  if (entries.length > MAX_WRITE_BATCH_SIZE) throw new CommandError(16, 'InvalidLength', 'Write batch sizes must be between 1 and 100000');
  const ordered = ctx.cmd.ordered !== false;
  const writeErrors: Document[] = [];
  for (let i = 0; i < entries.length; i++) {
    try {
      op(entries[i] as T, i);
    } catch (e) {
      writeErrors.push({ index: i, ...errorFields(e) });
      if (ordered) break;
    }
  }
  return writeErrors;
}

function writeReply(n: number, writeErrors: Document[], extra: Document = {}): Document {
  return { n, ...extra, ...(writeErrors.length ? { writeErrors } : {}), ok: 1 };
}

function insert(ctx: Ctx): Document {
  const name = collectionName(ctx);
  checkCommand(ctx.name, ctx.cmd, INSERT_FIELDS);
  const coll = ctx.db.ensure(name);
  let n = 0;
  const writeErrors = eachWrite<Doc>(ctx, ctx.cmd.documents, (doc) => {
    coll.insert(withId(cloneDeep(docArg(doc, 'document'))));
    n++;
  });
  return writeReply(n, writeErrors);
}

interface UpdateStatement {
  q?: Doc;
  u: UpdateSpec;
  multi?: boolean;
  upsert?: boolean;
  arrayFilters?: Doc[];
  hint?: unknown;
}

/**
 * Checks the fields of every statement of a write batch before any of them runs: an
 * unknown or unimplemented option fails the whole command, so nothing is written.
 */
function checkStatements(ctx: Ctx, key: string, fields: Fields, required: string[]): void {
  const entries = ctx.cmd[key];
  if (!Array.isArray(entries)) return; // eachWrite reports it
  for (const stmt of entries) {
    if (!isPlainObject(stmt)) throw new CommandError(14, 'TypeMismatch', `'${ctx.name}.${key}' must be an array of objects`);
    checkFields(`${ctx.name}.${key}`, stmt, fields);
    for (const field of required) {
      if (stmt[field] === undefined) throw new CommandError(40414, 'Location40414', `BSON field '${ctx.name}.${key}.${field}' is missing but a required field`);
    }
  }
}

function update(ctx: Ctx): Document {
  const name = collectionName(ctx);
  checkCommand(ctx.name, ctx.cmd, UPDATE_FIELDS);
  checkStatements(ctx, 'updates', UPDATE_STATEMENT_FIELDS, ['q', 'u']);
  let matched = 0;
  let modified = 0;
  const upserted: Document[] = [];
  const writeErrors = eachWrite<UpdateStatement>(ctx, ctx.cmd.updates, (stmt, index) => {
    checkUpdateSpec(stmt.u, { arrayFilters: stmt.arrayFilters, multi: stmt.multi === true });
    const filter = docArg(stmt.q, 'q');
    const coll = ctx.db.get(name);
    checkHint(coll, stmt.hint);
    let targets = coll ? runMingo(() => coll.match(filter)) : [];
    if (!stmt.multi) targets = targets.slice(0, 1);
    if (coll && targets.length) {
      // Like the server, a failure part-way through a multi update keeps the documents
      // already updated, and the failed statement counts nothing.
      for (const doc of targets) {
        const next = applyUpdate(doc, stmt.u, { filter, arrayFilters: stmt.arrayFilters });
        if (canon(next) !== canon(doc)) coll.replace(doc, next);
      }
      matched += targets.length;
      modified += targets.filter((doc) => coll.docs.get(canon(doc._id)) !== doc).length;
    } else if (stmt.upsert) {
      const doc = upsertDocument(filter, stmt.u, stmt.arrayFilters);
      ctx.db.ensure(name).insert(doc);
      upserted.push({ index, _id: doc._id });
    }
  });
  return writeReply(matched + upserted.length, writeErrors, { nModified: modified, ...(upserted.length ? { upserted } : {}) });
}

function del(ctx: Ctx): Document {
  const name = collectionName(ctx);
  checkCommand(ctx.name, ctx.cmd, DELETE_FIELDS);
  checkStatements(ctx, 'deletes', DELETE_STATEMENT_FIELDS, ['q', 'limit']);
  for (const stmt of Array.isArray(ctx.cmd.deletes) ? (ctx.cmd.deletes as Doc[]) : []) {
    if (stmt.limit !== 0 && stmt.limit !== 1) {
      throw new CommandError(9, 'FailedToParse', `The limit field in delete objects must be 0 or 1. Got ${showValue(stmt.limit)}`);
    }
  }
  const coll = ctx.db.get(name);
  let n = 0;
  const writeErrors = eachWrite<{ q?: Doc; limit?: number; hint?: unknown }>(ctx, ctx.cmd.deletes, (stmt) => {
    checkHint(coll, stmt.hint);
    if (!coll) return;
    let targets = runMingo(() => coll.match(docArg(stmt.q, 'q')));
    if (stmt.limit === 1) targets = targets.slice(0, 1);
    for (const doc of targets) coll.remove(doc);
    n += targets.length;
  });
  return writeReply(n, writeErrors);
}

function project(doc: Doc | null, fields: unknown): Doc | null {
  if (!doc || !isPlainObject(fields) || Object.keys(fields).length === 0) return doc;
  return runMingo(() => new Query({}, MINGO_OPTIONS).find<Doc>([doc], fields).all()[0] ?? null);
}

function findAndModify(ctx: Ctx): Document {
  const name = collectionName(ctx);
  const { cmd } = ctx;
  checkCommand(ctx.name, cmd, FIND_AND_MODIFY_FIELDS);
  const filter = docArg(cmd.query, 'query');
  const fields = cmd.fields;
  const arrayFilters = cmd.arrayFilters as Doc[] | undefined;
  if (cmd.remove === true) {
    if (cmd.update !== undefined) throw new CommandError(9, 'FailedToParse', 'Cannot specify both an update and remove=true');
    if (cmd.new === true) {
      throw new CommandError(9, 'FailedToParse', "Cannot specify both new=true and remove=true; 'remove' always returns the deleted document");
    }
    if (cmd.upsert === true) throw new CommandError(9, 'FailedToParse', 'Cannot specify both upsert=true and remove=true');
    if (arrayFilters !== undefined) throw new CommandError(9, 'FailedToParse', 'Cannot specify arrayFilters and remove=true');
  } else {
    if (cmd.update === undefined) throw new CommandError(9, 'FailedToParse', 'Either an update or remove=true must be specified');
    checkUpdateSpec(cmd.update, { arrayFilters });
  }
  checkHint(ctx.db.get(name), cmd.hint);
  const [doc] = sortedMatches(ctx.db.get(name), filter, { sort: cmd.sort, limit: 1 });
  if (cmd.remove === true) {
    if (doc) ctx.db.get(name)!.remove(doc);
    return { lastErrorObject: { n: doc ? 1 : 0 }, value: project(doc ?? null, fields), ok: 1 };
  }
  if (doc) {
    const next = applyUpdate(doc, cmd.update as UpdateSpec, { filter, arrayFilters });
    ctx.db.get(name)!.replace(doc, next);
    return { lastErrorObject: { n: 1, updatedExisting: true }, value: project(cmd.new ? next : doc, fields), ok: 1 };
  }
  if (cmd.upsert === true) {
    const inserted = upsertDocument(filter, cmd.update as UpdateSpec, arrayFilters);
    ctx.db.ensure(name).insert(inserted);
    return {
      lastErrorObject: { n: 1, updatedExisting: false, upserted: inserted._id },
      value: cmd.new ? project(inserted, fields) : null,
      ok: 1,
    };
  }
  return { lastErrorObject: { n: 0, updatedExisting: false }, value: null, ok: 1 };
}

// ---------------------------------------------------------------------------

const ok: Handler = () => ({ ok: 1 });
const noTransactions: Handler = () => {
  throw new CommandError(20, 'IllegalOperation', 'Transaction numbers are only allowed on a replica set member or mongos');
};

const HANDLERS: Record<string, Handler> = {
  hello,
  isMaster: hello,
  ismaster: hello,
  ping: ok,
  buildInfo,
  buildinfo: buildInfo,
  getParameter,
  serverStatus,
  endSessions: ok,
  refreshSessions: ok,
  killAllSessions: ok,
  commitTransaction: noTransactions,
  abortTransaction: noTransactions,
  listDatabases,
  dropDatabase,
  dbStats,
  create,
  drop,
  renameCollection,
  listCollections,
  createIndexes,
  listIndexes,
  dropIndexes,
  find,
  getMore,
  killCursors,
  count,
  distinct,
  aggregate,
  insert,
  update,
  delete: del,
  findAndModify,
  findandmodify: findAndModify,
};
