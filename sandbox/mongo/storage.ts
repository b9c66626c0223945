/**
 * In-memory storage: databases, collections, documents and indexes.
 *
 * Documents are BSON-decoded plain objects. Stored documents are never mutated in
 * place (updates build a new object and swap it in), so results and cursors can
 * hold references to them safely. Unique indexes (and the implicit `_id` index)
 * are enforced through one Map per index, which also serves equality lookups.
 */
import { ObjectId } from 'bson';
import { Query } from 'mingo';

export type Doc = Record<string, unknown>;

/** Options passed to every mingo call: no server-side JavaScript. */
export const MINGO_OPTIONS = { scriptEnabled: false } as const;

/** An error answered to the client as `{ ok: 0, code, codeName, errmsg, ...extra }`. */
export class CommandError extends Error {
  constructor(
    readonly code: number,
    readonly codeName: string,
    message: string,
    readonly extra: Doc = {},
  ) {
    super(message);
  }
}

/** MongoDB's `NotImplemented` code: what the embedded store answers for options it does not implement. */
export const NOT_IMPLEMENTED = 238;

/**
 * The refusal of something MongoDB accepts but this store does not implement (an option,
 * an operator on a value type...). `what` names it, e.g. `'find.collation'`.
 */
export function notImplemented(what: string, detail?: string): CommandError {
  const extra = detail ? ` (${detail})` : '';
  return new CommandError(NOT_IMPLEMENTED, 'NotImplemented', `${what}${extra} is not implemented by the embedded MongoDB store (sandbox/mongo); use a real MongoDB server for it`);
}

/** Runs a mingo call, reporting its plain Errors (bad operator, bad pipeline...) as command errors. */
export function runMingo<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof CommandError) throw e;
    const message = e instanceof Error ? e.message : String(e);
    if (message.includes("immutable field '_id'")) throw new CommandError(66, 'ImmutableField', message);
    throw new CommandError(2, 'BadValue', message);
  }
}

// ---------------------------------------------------------------------------
// Value helpers

type BsonValue = { _bsontype?: string; toHexString?: () => string; toString(enc?: string): string };

const bsonType = (v: object): string | undefined => (v as BsonValue)._bsontype;

export function isPlainObject(v: unknown): v is Doc {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Deep clone of plain objects / arrays / dates; BSON value objects (ObjectId, Long, ...) are immutable and shared. */
export function cloneDeep<T>(v: T): T {
  if (Array.isArray(v)) return v.map(cloneDeep) as T;
  if (v instanceof Date) return new Date(v.getTime()) as T;
  if (isPlainObject(v)) {
    const out: Doc = {};
    for (const [k, x] of Object.entries(v)) out[k] = cloneDeep(x);
    return out as T;
  }
  return v;
}

/**
 * Canonical string of a value: equal strings iff the values are equal for index
 * purposes (numbers compare across int/double/long; missing and null are the same).
 */
export function canon(v: unknown): string {
  if (v === undefined || v === null) return 'null';
  switch (typeof v) {
    case 'number':
      return `n:${Object.is(v, -0) ? 0 : v}`;
    case 'bigint':
      return `n:${v}`;
    case 'string':
      return `s:${JSON.stringify(v)}`;
    case 'boolean':
      return `b:${v}`;
    case 'object':
      break;
    default:
      return `?:${String(v)}`;
  }
  if (v instanceof Date) return `t:${v.getTime()}`;
  if (v instanceof RegExp) return `r:${String(v)}`;
  if (Array.isArray(v)) return `[${v.map(canon).join(',')}]`;
  const type = bsonType(v);
  if (type === 'ObjectId') return `o:${(v as BsonValue).toHexString!()}`;
  if (type === 'Long' || type === 'Int32' || type === 'Double') return `n:${String(v)}`;
  if (type === 'Binary') return `x:${(v as BsonValue).toString('base64')}`;
  if (type) return `${type}:${String(v)}`;
  const entries = Object.entries(v as Doc).map(([k, x]) => `${JSON.stringify(k)}:${canon(x)}`);
  return `{${entries.join(',')}}`;
}

/** Renders a value the way the server prints it in error messages (E11000, update errors). */
export function showValue(v: unknown): string {
  if (v === undefined || v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (v instanceof Date) return `new Date(${v.getTime()})`;
  if (Array.isArray(v)) return `[ ${v.map(showValue).join(', ')} ]`;
  if (typeof v === 'object') {
    const type = bsonType(v);
    if (type === 'ObjectId') return `ObjectId('${(v as BsonValue).toHexString!()}')`;
    if (type) return `${type}('${String(v)}')`;
    return `{ ${Object.entries(v as Doc)
      .map(([k, x]) => `${k}: ${showValue(x)}`)
      .join(', ')} }`;
  }
  return String(v);
}

const TYPE_NAMES: Record<string, string> = {
  ObjectId: 'objectId',
  Long: 'long',
  Int32: 'int',
  Double: 'double',
  Decimal128: 'decimal',
  Binary: 'binData',
  Timestamp: 'timestamp',
  BSONRegExp: 'regex',
  BSONSymbol: 'symbol',
  MinKey: 'minKey',
  MaxKey: 'maxKey',
  DBRef: 'object',
};

/**
 * The server's name for the BSON type of a decoded value (`$type` names: int, double,
 * string, array...). Numbers decode to JS numbers, so integral values in int32 range are
 * reported as `int` and others as `double`.
 */
export function bsonTypeName(v: unknown): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'undefined':
      return 'missing';
    case 'number':
      return Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31 ? 'int' : 'double';
    case 'bigint':
      return 'long';
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'object':
      break;
    default:
      return typeof v;
  }
  if (Array.isArray(v)) return 'array';
  if (v instanceof Date) return 'date';
  if (v instanceof RegExp) return 'regex';
  const type = bsonType(v);
  if (type === 'Code') return (v as { scope?: unknown }).scope ? 'javascriptWithScope' : 'javascript';
  return (type && TYPE_NAMES[type]) ?? 'object';
}

/** Canonical type order of the server's comparisons (MinKey < null < numbers < strings < objects < arrays < ...). */
function typeRank(v: unknown): number {
  if (v === undefined || v === null) return 2;
  switch (typeof v) {
    case 'number':
    case 'bigint':
      return 3;
    case 'string':
      return 4;
    case 'boolean':
      return 9;
    default:
      break;
  }
  if (Array.isArray(v)) return 6;
  if (v instanceof Date) return 10;
  if (v instanceof RegExp) return 12;
  switch (bsonType(v as object)) {
    case 'MinKey':
      return 1;
    case 'Long':
    case 'Int32':
    case 'Double':
    case 'Decimal128':
      return 3;
    case 'BSONSymbol':
      return 4;
    case 'Binary':
      return 7;
    case 'ObjectId':
      return 8;
    case 'Timestamp':
      return 11;
    case 'BSONRegExp':
      return 12;
    case 'Code':
      return 13;
    case 'MaxKey':
      return 127;
    default:
      return 5; // plain objects (and DBRef)
  }
}

const sign = (n: number) => (n < 0 ? -1 : n > 0 ? 1 : 0);
const utf8Compare = (a: string, b: string) => sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));

function compareEntries(a: [string, unknown][], b: [string, unknown][]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const [ka, va] = a[i]!;
    const [kb, vb] = b[i]!;
    const byType = sign(typeRank(va) - typeRank(vb));
    if (byType) return byType;
    const byName = utf8Compare(ka, kb);
    if (byName) return byName;
    const byValue = bsonCompare(va, vb);
    if (byValue) return byValue;
  }
  return sign(a.length - b.length);
}

/**
 * Compares two values the way the server does with the simple collation: by canonical type
 * first, then by value (objects and arrays field by field). JS numbers only: Long beyond
 * 2^53 and Decimal128 values are compared through their double approximation.
 */
export function bsonCompare(a: unknown, b: unknown): number {
  const byType = sign(typeRank(a) - typeRank(b));
  if (byType) return byType;
  switch (typeRank(a)) {
    case 2:
    case 1:
    case 127:
      return 0;
    case 3:
      return sign(Number(a) - Number(b));
    case 4:
      return utf8Compare(String(a), String(b));
    case 9:
      return sign(Number(a) - Number(b));
    case 10:
      return sign((a as Date).getTime() - (b as Date).getTime());
    case 6:
      return compareEntries(
        (a as unknown[]).map((v, i) => [String(i), v]),
        (b as unknown[]).map((v, i) => [String(i), v]),
      );
    case 5:
      return compareEntries(Object.entries(a as Doc), Object.entries(b as Doc));
    case 7: {
      const x = a as { buffer: Uint8Array; sub_type: number };
      const y = b as { buffer: Uint8Array; sub_type: number };
      return sign(x.buffer.length - y.buffer.length) || sign(x.sub_type - y.sub_type) || sign(Buffer.compare(Buffer.from(x.buffer), Buffer.from(y.buffer)));
    }
    case 8:
      return utf8Compare((a as BsonValue).toHexString!(), (b as BsonValue).toHexString!());
    case 11: {
      const x = a as { high: number; low: number };
      const y = b as { high: number; low: number };
      return sign(x.high - y.high) || sign((x.low >>> 0) - (y.low >>> 0));
    }
    case 12: {
      const x = a instanceof RegExp ? { pattern: a.source, options: a.flags } : (a as { pattern: string; options: string });
      const y = b instanceof RegExp ? { pattern: b.source, options: b.flags } : (b as { pattern: string; options: string });
      return utf8Compare(x.pattern, y.pattern) || utf8Compare(x.options, y.options);
    }
    default:
      return utf8Compare(String(a), String(b));
  }
}

/**
 * Index values of `doc` at a dotted path with multikey semantics: arrays are
 * expanded, a missing field yields `undefined`.
 */
export function valuesAtPath(doc: unknown, parts: readonly string[]): unknown[] {
  if (parts.length === 0) return Array.isArray(doc) ? (doc.length ? doc : [undefined]) : [doc];
  const [head, ...rest] = parts as [string, ...string[]];
  if (Array.isArray(doc)) {
    if (/^\d+$/.test(head)) return valuesAtPath(doc[Number(head)], rest);
    return doc.length ? doc.flatMap((el) => valuesAtPath(el, parts)) : [undefined];
  }
  if (doc !== null && typeof doc === 'object' && !bsonType(doc) && !(doc instanceof Date)) {
    return valuesAtPath((doc as Doc)[head], rest);
  }
  return [undefined];
}

/** Filter value that is an exact equality usable for an index lookup (not null, regex, array or operators). */
function equalityValue(v: unknown): { value: unknown } | undefined {
  if (v === undefined || v === null || v instanceof RegExp || Array.isArray(v)) return undefined;
  if (isPlainObject(v)) {
    const keys = Object.keys(v);
    if (keys.length === 1 && keys[0] === '$eq') return equalityValue(v.$eq);
    if (keys.some((k) => k.startsWith('$'))) return undefined;
  }
  return { value: v };
}

const RANGE_OPS = new Set(['$gt', '$gte', '$lt', '$lte']);

/**
 * A cheap test that only ever rejects documents the query cannot match (the query still tests
 * every document kept): a top-level string equality the document's value(s) at that path do not
 * contain, or a date range on a field holding exactly one date outside it. Fields a group already
 * pinned (`pinned`) are skipped. Undefined when the filter has no such condition.
 */
function quickCheck(filter: Doc, pinned: readonly string[] = []): ((doc: Doc) => boolean) | undefined {
  const checks: ((doc: Doc) => boolean)[] = [];
  for (const [field, cond] of Object.entries(filter)) {
    if (field.startsWith('$') || pinned.includes(field)) continue;
    const path = field.split('.');
    if (path.some((p) => /^\d+$/.test(p))) continue; // array positions: MongoDB's rules are subtler
    const eq = equalityValue(cond);
    if (eq && typeof eq.value === 'string') {
      const want = eq.value;
      checks.push((doc) => valuesAtPath(doc, path).includes(want));
      continue;
    }
    if (!isPlainObject(cond)) continue;
    const ops = Object.entries(cond);
    if (ops.length === 0 || !ops.every(([op, v]) => RANGE_OPS.has(op) && v instanceof Date)) continue;
    const bounds = ops.map(([op, v]) => [op, (v as Date).getTime()] as const);
    checks.push((doc) => {
      const vals = valuesAtPath(doc, path);
      if (vals.length !== 1 || !(vals[0] instanceof Date)) return true; // for the query to decide
      const t = vals[0].getTime();
      return bounds.every(([op, b]) => (op === '$gt' ? t > b : op === '$gte' ? t >= b : op === '$lt' ? t < b : t <= b));
    });
  }
  if (checks.length === 0) return undefined;
  return (doc) => checks.every((c) => c(doc));
}

// ---------------------------------------------------------------------------
// Indexes

export interface IndexSpec {
  v?: number;
  key: Record<string, unknown>;
  name: string;
  unique?: boolean;
  sparse?: boolean;
  partialFilterExpression?: Doc;
  expireAfterSeconds?: number;
  [option: string]: unknown;
}

export class Index {
  readonly fields: string[];
  private readonly paths: string[][];
  private readonly partial: Query | undefined;
  /** index key → canonical `_id` of the owning document (unique indexes only). */
  readonly entries = new Map<string, string>();

  constructor(readonly spec: IndexSpec) {
    this.fields = Object.keys(spec.key);
    this.paths = this.fields.map((f) => f.split('.'));
    this.partial = spec.partialFilterExpression ? new Query(spec.partialFilterExpression, MINGO_OPTIONS) : undefined;
  }

  get name(): string {
    return this.spec.name;
  }

  get unique(): boolean {
    return this.spec.unique === true;
  }

  /** True when this index can answer an equality lookup on `field` for any document. */
  servesEquality(field: string): boolean {
    return this.unique && !this.spec.sparse && !this.partial && this.fields.length === 1 && this.fields[0] === field;
  }

  /** All index keys of `doc`; empty when the document is not covered (sparse / partial). */
  keysOf(doc: Doc): string[] {
    if (this.partial && !this.partial.test(doc)) return [];
    const perField = this.paths.map((p) => valuesAtPath(doc, p));
    if (this.spec.sparse && perField.every((vals) => vals.every((x) => x === undefined))) return [];
    if (perField.length === 1) return [...new Set(perField[0]!.map(canon))];
    let combos: string[][] = [[]];
    for (const vals of perField) combos = combos.flatMap((c) => vals.map((x) => [...c, canon(x)]));
    return [...new Set(combos.map((c) => JSON.stringify(c)))];
  }

  keyValue(doc: Doc): Doc {
    const out: Doc = {};
    this.fields.forEach((f, i) => {
      out[f] = valuesAtPath(doc, this.paths[i]!)[0] ?? null;
    });
    return out;
  }
}

const ID_INDEX: IndexSpec = { v: 2, key: { _id: 1 }, name: '_id_' };

// ---------------------------------------------------------------------------
// Collections

/**
 * Documents grouped by the string values of an index's leading fields (all but the last field of a
 * compound index, the field of a single-field one), so an equality query on those fields reads one
 * group instead of the whole collection — as a server's index scan would. Only plain (not sparse,
 * not partial) indexes are grouped, only string keys are used (no numeric cross-type equality to
 * get wrong), and the group is a superset that the query still filters.
 */
class Groups {
  readonly paths: string[][];
  /** group key → canonical `_id`s, in insertion order unless the key is in `unordered` */
  readonly members = new Map<string, Set<string>>();
  /** Groups a document re-entered after an update (its id is now out of natural order). */
  readonly unordered = new Set<string>();

  constructor(readonly fields: readonly string[]) {
    this.paths = fields.map((f) => f.split('.'));
  }

  /** The group keys of a document (several when a field holds an array); none for non-strings. */
  keysOf(doc: Doc): string[] {
    let combos: string[][] = [[]];
    for (const p of this.paths) {
      const vals = [...new Set(valuesAtPath(doc, p).filter((v): v is string => typeof v === 'string'))];
      combos = combos.flatMap((c) => vals.map((v) => [...c, v]));
      if (combos.length === 0) return [];
    }
    return combos.map((c) => JSON.stringify(c));
  }

  add(doc: Doc, id: string, keys = this.keysOf(doc), reentering = false): void {
    for (const k of keys) {
      let set = this.members.get(k);
      if (!set) this.members.set(k, (set = new Set()));
      set.add(id);
      if (reentering && set.size > 1) this.unordered.add(k);
    }
  }

  delete(doc: Doc, id: string, keys = this.keysOf(doc)): void {
    for (const k of keys) {
      const set = this.members.get(k);
      if (!set) continue;
      set.delete(id);
      if (set.size === 0) {
        this.members.delete(k);
        this.unordered.delete(k);
      }
    }
  }

  /** An update: only the groups the document leaves or enters change. */
  move(before: Doc, after: Doc, id: string): void {
    const was = this.keysOf(before);
    const is = this.keysOf(after);
    this.delete(
      before,
      id,
      was.filter((k) => !is.includes(k)),
    );
    this.add(
      after,
      id,
      is.filter((k) => !was.includes(k)),
      true,
    );
  }
}

export class Collection {
  /** canonical `_id` → document, in insertion order. */
  readonly docs = new Map<string, Doc>();
  readonly indexes = new Map<string, Index>([['_id_', new Index(ID_INDEX)]]);
  /** Equality groups of the plain indexes, by their leading fields (see Groups). */
  private readonly groups = new Map<string, Groups>();
  /** canonical `_id` → insertion number (natural order of documents read from a group). */
  private readonly positions = new Map<string, number>();
  private nextPosition = 0;

  constructor(
    public dbName: string,
    public name: string,
    readonly options: Doc = {},
  ) {}

  get ns(): string {
    return `${this.dbName}.${this.name}`;
  }

  private duplicateKey(index: Index, doc: Doc): CommandError {
    const keyValue = index.keyValue(doc);
    const shown = Object.entries(keyValue)
      .map(([k, v]) => `${k}: ${showValue(v)}`)
      .join(', ');
    return new CommandError(11000, 'DuplicateKey', `E11000 duplicate key error collection: ${this.ns} index: ${index.name} dup key: { ${shown} }`, {
      keyPattern: index.spec.key,
      keyValue,
    });
  }

  private uniqueIndexes(): Index[] {
    return [...this.indexes.values()].filter((ix) => ix.unique);
  }

  /** Throws E11000 if `doc` (owned by `id`) collides with another document in a unique index. */
  private checkUnique(doc: Doc, id: string): void {
    for (const ix of this.uniqueIndexes()) {
      for (const key of ix.keysOf(doc)) {
        const owner = ix.entries.get(key);
        if (owner !== undefined && owner !== id) throw this.duplicateKey(ix, doc);
      }
    }
  }

  private indexUnique(doc: Doc, id: string, add: boolean): void {
    for (const ix of this.uniqueIndexes()) {
      for (const key of ix.keysOf(doc)) {
        if (add) ix.entries.set(key, id);
        else if (ix.entries.get(key) === id) ix.entries.delete(key);
      }
    }
  }

  private indexDoc(doc: Doc, id: string, add: boolean): void {
    this.indexUnique(doc, id, add);
    for (const g of this.groups.values()) {
      if (add) g.add(doc, id);
      else g.delete(doc, id);
    }
  }

  /** The leading fields an index groups documents by, or undefined for an index that cannot. */
  private static groupFields(spec: IndexSpec): string[] | undefined {
    if (spec.sparse || spec.partialFilterExpression || spec.name === '_id_') return undefined;
    const fields = Object.keys(spec.key);
    if (fields.some((f) => typeof spec.key[f] !== 'number')) return undefined; // text, hashed, 2dsphere…
    if (fields.some((f) => f.split('.').some((p) => /^\d+$/.test(p)))) return undefined; // array positions
    if (fields.length === 1) return spec.unique ? undefined : fields;
    return fields.slice(0, -1);
  }

  private addGroups(spec: IndexSpec): void {
    const fields = Collection.groupFields(spec);
    if (!fields) return;
    const key = JSON.stringify(fields);
    if (this.groups.has(key)) return;
    const g = new Groups(fields);
    for (const [id, doc] of this.docs) g.add(doc, id);
    this.groups.set(key, g);
  }

  /** Drops groups no remaining index needs (after dropIndexes). */
  pruneGroups(): void {
    const needed = new Set(
      [...this.indexes.values()]
        .map((ix) => Collection.groupFields(ix.spec))
        .filter((f): f is string[] => !!f)
        .map((f) => JSON.stringify(f)),
    );
    for (const key of [...this.groups.keys()]) if (!needed.has(key)) this.groups.delete(key);
  }

  /** Stores a new document (which must already have an `_id`). */
  insert(doc: Doc): void {
    const id = canon(doc._id);
    if (this.docs.has(id)) throw this.duplicateKey(this.indexes.get('_id_')!, doc);
    this.checkUnique(doc, id);
    this.docs.set(id, doc);
    this.positions.set(id, this.nextPosition++);
    this.indexDoc(doc, id, true);
  }

  /** Swaps `oldDoc` for `newDoc` (same `_id`), keeping its position. */
  replace(oldDoc: Doc, newDoc: Doc): void {
    const id = canon(oldDoc._id);
    if (canon(newDoc._id) !== id) {
      throw new CommandError(66, 'ImmutableField', "Performing an update on the path '_id' would modify the immutable field '_id'");
    }
    this.checkUnique(newDoc, id);
    this.indexUnique(oldDoc, id, false);
    this.docs.set(id, newDoc);
    this.indexUnique(newDoc, id, true);
    for (const g of this.groups.values()) g.move(oldDoc, newDoc, id);
  }

  remove(doc: Doc): void {
    const id = canon(doc._id);
    if (this.docs.get(id) !== doc) return;
    this.indexDoc(doc, id, false);
    this.docs.delete(id);
    this.positions.delete(id);
  }

  /** Documents that may match `filter`: uses `_id` / unique-index equality when possible. */
  candidates(filter: Doc): Doc[] {
    const id = filter._id;
    const eq = equalityValue(id);
    if (eq) return this.byId([eq.value]);
    if (isPlainObject(id) && Object.keys(id).length === 1 && Array.isArray(id.$in) && id.$in.every((v) => equalityValue(v))) {
      return this.byId(id.$in);
    }
    for (const [field, value] of Object.entries(filter)) {
      if (field.startsWith('$')) continue;
      const fieldEq = equalityValue(value);
      const ix = fieldEq && [...this.indexes.values()].find((i) => i.servesEquality(field));
      if (ix) {
        const owner = ix.entries.get(canon(fieldEq.value));
        const doc = owner === undefined ? undefined : this.docs.get(owner);
        return doc ? [doc] : [];
      }
    }
    const group = this.smallestGroup(filter);
    const keep = quickCheck(filter, group?.fields);
    if (group) {
      // Natural (insertion) order, as a full scan would give.
      let ids = [...group.ids];
      if (group.unordered) ids = ids.sort((a, b) => this.positions.get(a)! - this.positions.get(b)!);
      const docs = ids.map((i) => this.docs.get(i)!);
      return keep ? docs.filter(keep) : docs;
    }
    return keep ? [...this.docs.values()].filter(keep) : [...this.docs.values()];
  }

  /** The smallest group whose fields the filter pins to strings (top-level equality, or $eq). */
  private smallestGroup(filter: Doc): { ids: Set<string>; unordered: boolean; fields: readonly string[] } | undefined {
    let best: { ids: Set<string>; unordered: boolean; fields: readonly string[] } | undefined;
    for (const g of this.groups.values()) {
      const values: string[] = [];
      for (const f of g.fields) {
        const eq = equalityValue(filter[f]);
        if (!eq || typeof eq.value !== 'string') break;
        values.push(eq.value);
      }
      if (values.length !== g.fields.length) continue;
      const key = JSON.stringify(values);
      const ids = g.members.get(key) ?? new Set<string>();
      if (!best || ids.size < best.ids.size) best = { ids, unordered: g.unordered.has(key), fields: g.fields };
      if (best.ids.size === 0) break;
    }
    return best;
  }

  private byId(ids: unknown[]): Doc[] {
    const out = new Map<string, Doc>();
    for (const v of ids) {
      const doc = this.docs.get(canon(v));
      if (doc) out.set(canon(v), doc);
    }
    return [...out.values()];
  }

  /** Documents matching `filter`, in natural order. */
  match(filter: Doc): Doc[] {
    const query = new Query(filter, MINGO_OPTIONS);
    return this.candidates(filter).filter((d) => query.test(d));
  }

  /** Creates an index; returns false if an identical one already exists. */
  createIndex(spec: IndexSpec): boolean {
    const sameKey = (a: IndexSpec) => canon(a.key) === canon(spec.key);
    const existing = this.indexes.get(spec.name);
    if (existing) {
      if (!sameKey(existing.spec)) {
        throw new CommandError(
          86,
          'IndexKeySpecsConflict',
          `An existing index has the same name as the requested index. Requested index: ${canon(spec)}, existing index: ${canon(existing.spec)}`,
        );
      }
      const opts = (s: IndexSpec) => canon({ u: !!s.unique, s: !!s.sparse, p: s.partialFilterExpression, e: s.expireAfterSeconds });
      if (opts(existing.spec) !== opts(spec)) {
        throw new CommandError(85, 'IndexOptionsConflict', `An equivalent index already exists with the same name but different options. Requested index: ${canon(spec)}`);
      }
      return false;
    }
    const sameKeyOther = [...this.indexes.values()].find(
      (ix) => sameKey(ix.spec) && !!ix.spec.unique === !!spec.unique && canon(ix.spec.partialFilterExpression) === canon(spec.partialFilterExpression),
    );
    if (sameKeyOther) {
      throw new CommandError(85, 'IndexOptionsConflict', `Index already exists with a different name: ${sameKeyOther.name}`);
    }
    const index = new Index({ v: 2, ...spec });
    if (index.unique) {
      for (const [id, doc] of this.docs) {
        for (const key of index.keysOf(doc)) {
          if (index.entries.has(key) && index.entries.get(key) !== id) throw this.duplicateKey(index, doc);
          index.entries.set(key, id);
        }
      }
    }
    this.indexes.set(spec.name, index);
    this.addGroups(index.spec);
    return true;
  }

  /** Removes documents whose TTL index date is older than `expireAfterSeconds`. Returns how many. */
  sweepTtl(now: number): number {
    let removed = 0;
    for (const ix of this.indexes.values()) {
      const secs = ix.spec.expireAfterSeconds;
      if (typeof secs !== 'number' || ix.fields.length !== 1) continue;
      const path = ix.fields[0]!.split('.');
      for (const doc of [...this.docs.values()]) {
        const dates = valuesAtPath(doc, path).filter((v): v is Date => v instanceof Date);
        if (dates.length && Math.min(...dates.map((d) => d.getTime())) + secs * 1000 <= now) {
          this.remove(doc);
          removed++;
        }
      }
    }
    return removed;
  }
}

/** Ensures `_id` exists (generating an ObjectId) and comes first. */
export function withId(doc: Doc): Doc {
  const { _id, ...rest } = doc;
  return { _id: _id === undefined ? new ObjectId() : _id, ...rest };
}

// ---------------------------------------------------------------------------
// Databases

export class Database {
  readonly collections = new Map<string, Collection>();
  constructor(readonly name: string) {}

  get(name: string): Collection | undefined {
    return this.collections.get(name);
  }

  /** Returns the collection, creating it implicitly (like the server does on first write). */
  ensure(name: string): Collection {
    let coll = this.collections.get(name);
    if (!coll) {
      if (!name || name.includes('$') || name.startsWith('system.')) {
        throw new CommandError(73, 'InvalidNamespace', `Invalid collection name: ${this.name}.${name}`);
      }
      coll = new Collection(this.name, name);
      this.collections.set(name, coll);
    }
    return coll;
  }
}

export class Store {
  readonly databases = new Map<string, Database>();

  db(name: string): Database {
    let db = this.databases.get(name);
    if (!db) {
      db = new Database(name);
      this.databases.set(name, db);
    }
    return db;
  }

  sweepTtl(now = Date.now()): number {
    let removed = 0;
    for (const db of this.databases.values()) {
      for (const coll of db.collections.values()) removed += coll.sweepTtl(now);
    }
    return removed;
  }
}
