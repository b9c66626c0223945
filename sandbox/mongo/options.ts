/**
 * The fields each audited command accepts and what the embedded store does with them.
 *
 * The store must never answer where MongoDB would answer differently, so nothing is
 * silently ignored:
 * - a field MongoDB does not know is refused like MongoDB refuses it (40415, "BSON field
 *   'find.foo' is an unknown field.");
 * - an option MongoDB implements but this store does not (a non-simple collation, `let`
 *   outside `aggregate`, `sort` in an update statement, `min` / `max`, tailable cursors...)
 *   is refused with NotImplemented (238), naming the option;
 * - only options that cannot change the answer here are accepted and ignored (`comment`,
 *   `maxTimeMS`, `readConcern`, `lsid`, `bypassDocumentValidation` without validators...).
 */
import { canon, CommandError, isPlainObject, notImplemented, showValue, type Collection, type Doc } from './storage.js';

/**
 * - `handled`: the handler implements it;
 * - `ignored`: accepted and ignored because it cannot change the answer of this store;
 * - `collation`: accepted only when absent, `{}` or `{locale: 'simple'}` (the binary comparison the store does);
 * - `empty`: accepted only when absent or an empty object (`let`, `min`, `max`, update `sort`, `c`);
 * - `false`: accepted only when absent or false (`tailable`, `returnKey`...);
 * - `absent`: accepted only when absent or null;
 * - `writeConcern`: accepted unless it asks for more than one node.
 */
export type Rule = 'handled' | 'ignored' | 'collation' | 'empty' | 'false' | 'absent' | 'writeConcern';
export type Fields = Record<string, Rule>;

/** Generic arguments every command may carry. */
const GENERIC: Fields = {
  $db: 'ignored',
  lsid: 'ignored',
  txnNumber: 'ignored',
  autocommit: 'ignored', // refused earlier with IllegalOperation when it starts a transaction
  startTransaction: 'ignored',
  $clusterTime: 'ignored',
  $readPreference: 'ignored', // one node: every read preference reads the same data
  readConcern: 'ignored', // one node, every command atomic: all levels read the same data
  writeConcern: 'writeConcern',
  apiVersion: 'ignored',
  apiStrict: 'ignored',
  apiDeprecationErrors: 'ignored',
  comment: 'ignored',
  maxTimeMS: 'ignored', // every command runs synchronously to completion
};

export const FIND_FIELDS: Fields = {
  filter: 'handled',
  sort: 'handled',
  projection: 'handled',
  skip: 'handled',
  limit: 'handled',
  batchSize: 'handled',
  singleBatch: 'handled',
  hint: 'handled',
  noCursorTimeout: 'handled',
  collation: 'collation',
  let: 'empty',
  min: 'empty',
  max: 'empty',
  returnKey: 'false',
  showRecordId: 'false',
  tailable: 'false',
  awaitData: 'false',
  allowPartialResults: 'ignored', // sharding only
  oplogReplay: 'ignored', // a no-op on MongoDB ≥ 4.4
  allowDiskUse: 'ignored',
};

export const AGGREGATE_FIELDS: Fields = {
  pipeline: 'handled',
  cursor: 'handled',
  explain: 'handled',
  hint: 'handled',
  let: 'handled',
  collation: 'collation',
  allowDiskUse: 'ignored',
  bypassDocumentValidation: 'ignored', // no schema validation here ($out / $merge are refused anyway)
};

export const COUNT_FIELDS: Fields = {
  query: 'handled',
  limit: 'handled',
  skip: 'handled',
  hint: 'handled',
  collation: 'collation',
  fields: 'ignored', // ignored by MongoDB too
};

export const DISTINCT_FIELDS: Fields = {
  key: 'handled',
  query: 'handled',
  hint: 'handled',
  collation: 'collation',
};

export const INSERT_FIELDS: Fields = {
  documents: 'handled',
  ordered: 'handled',
  bypassDocumentValidation: 'ignored',
};

export const UPDATE_FIELDS: Fields = {
  updates: 'handled',
  ordered: 'handled',
  let: 'empty',
  bypassDocumentValidation: 'ignored',
};

export const UPDATE_STATEMENT_FIELDS: Fields = {
  q: 'handled',
  u: 'handled',
  multi: 'handled',
  upsert: 'handled',
  arrayFilters: 'handled',
  hint: 'handled',
  collation: 'collation',
  sort: 'empty',
  c: 'empty',
  upsertSupplied: 'false',
};

export const DELETE_FIELDS: Fields = {
  deletes: 'handled',
  ordered: 'handled',
  let: 'empty',
};

export const DELETE_STATEMENT_FIELDS: Fields = {
  q: 'handled',
  limit: 'handled',
  hint: 'handled',
  collation: 'collation',
};

export const FIND_AND_MODIFY_FIELDS: Fields = {
  query: 'handled',
  sort: 'handled',
  remove: 'handled',
  update: 'handled',
  new: 'handled',
  fields: 'handled',
  upsert: 'handled',
  arrayFilters: 'handled',
  hint: 'handled',
  collation: 'collation',
  let: 'empty',
  bypassDocumentValidation: 'ignored',
};

export const CREATE_INDEXES_FIELDS: Fields = {
  indexes: 'handled',
  commitQuorum: 'handled',
};

/** Options of one index specification in `createIndexes`. */
export const INDEX_SPEC_FIELDS: Fields = {
  key: 'handled',
  name: 'handled',
  v: 'handled',
  unique: 'handled',
  sparse: 'handled',
  partialFilterExpression: 'handled',
  expireAfterSeconds: 'handled',
  collation: 'collation',
  // Recorded only: indexes serve no query plans here, so these cannot change an answer.
  background: 'ignored',
  hidden: 'ignored',
  storageEngine: 'ignored',
  ns: 'ignored',
  weights: 'ignored',
  default_language: 'ignored',
  language_override: 'ignored',
  textIndexVersion: 'ignored',
  '2dsphereIndexVersion': 'ignored',
  bits: 'ignored',
  min: 'ignored',
  max: 'ignored',
  bucketSize: 'ignored',
  wildcardProjection: 'ignored',
  prepareUnique: 'false',
  clustered: 'false',
};

/** Options of `create` the store cannot honour (the others are recorded in the collection options). */
export const CREATE_REFUSED: Fields = {
  collation: 'collation',
  validator: 'empty',
  capped: 'false',
  clusteredIndex: 'absent',
  expireAfterSeconds: 'absent',
  encryptedFields: 'absent',
  changeStreamPreAndPostImages: 'ignored', // no change streams at all
};

function isEmptyObject(v: unknown): boolean {
  return isPlainObject(v) && Object.keys(v).length === 0;
}

/** True for the collation the store implements: none, `{}` or `{locale: 'simple'}`. */
export function isSimpleCollation(v: unknown): boolean {
  if (v === undefined || v === null || isEmptyObject(v)) return true;
  return isPlainObject(v) && Object.keys(v).length === 1 && v.locale === 'simple';
}

function checkWriteConcern(v: unknown): void {
  if (!isPlainObject(v)) return;
  const { w } = v;
  if (typeof w === 'number' && w > 1) throw new CommandError(2, 'BadValue', "cannot use 'w' > 1 on a standalone");
  if (typeof w === 'string' && w !== 'majority') {
    throw new CommandError(2, 'BadValue', `cannot use non-majority 'w' mode "${w}" on a standalone`);
  }
}

/** Applies `rule` to the value of the field `path` (e.g. `find.collation`). */
export function checkRule(rule: Rule, path: string, value: unknown): void {
  switch (rule) {
    case 'collation':
      if (!isSimpleCollation(value)) throw notImplemented(`'${path}'`, `a collation other than {locale: 'simple'}: ${showValue(value)}`);
      return;
    case 'empty':
      if (value !== undefined && value !== null && !isEmptyObject(value)) throw notImplemented(`'${path}'`, showValue(value));
      return;
    case 'false':
      if (value !== undefined && value !== null && value !== false) throw notImplemented(`'${path}'`, showValue(value));
      return;
    case 'absent':
      if (value !== undefined && value !== null) throw notImplemented(`'${path}'`, showValue(value));
      return;
    case 'writeConcern':
      checkWriteConcern(value);
      return;
    default:
      return;
  }
}

export const unknownField = (path: string) => new CommandError(40415, 'Location40415', `BSON field '${path}' is an unknown field.`);

/**
 * Checks every field of `doc` (a command, or with `prefix` one of its statements) against
 * `fields`. `skipFirst` leaves out the command-name field of a command document.
 */
export function checkFields(prefix: string, doc: Doc, fields: Fields, opts: { generic?: boolean; skipFirst?: boolean } = {}): void {
  const keys = Object.keys(doc);
  for (const key of opts.skipFirst ? keys.slice(1) : keys) {
    const rule = Object.hasOwn(fields, key) ? fields[key] : opts.generic && Object.hasOwn(GENERIC, key) ? GENERIC[key] : undefined;
    if (!rule) throw unknownField(`${prefix}.${key}`);
    checkRule(rule, `${prefix}.${key}`, doc[key]);
  }
}

/** Checks a command document: its own fields plus the generic arguments. */
export function checkCommand(name: string, cmd: Doc, fields: Fields): void {
  checkFields(name, cmd, fields, { generic: true, skipFirst: true });
}

/**
 * A `hint` must name an index of the collection (by name or by key pattern), or be
 * `{$natural: ±1}`; MongoDB answers BadValue otherwise. An existing index is accepted and
 * ignored (every query is a full scan here, and the answer is the same). On a collection
 * that does not exist there is nothing to plan, so any hint is accepted, like on the server.
 */
export function checkHint(coll: Collection | undefined, hint: unknown): void {
  if (hint === undefined || hint === null || hint === '' || isEmptyObject(hint)) return;
  if (typeof hint !== 'string' && !isPlainObject(hint)) {
    throw new CommandError(2, 'BadValue', 'hint must be either a string or a nested object');
  }
  if (isPlainObject(hint) && Object.keys(hint).length === 1 && '$natural' in hint) return;
  if (!coll) return;
  const found = [...coll.indexes.values()].some((ix) => (typeof hint === 'string' ? ix.name === hint : canon(ix.spec.key) === canon(hint)));
  if (!found) throw new CommandError(2, 'BadValue', 'hint provided does not correspond to an existing index');
}
