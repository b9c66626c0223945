/**
 * Update semantics shared by `update` and `findAndModify`: operator updates
 * (via mingo's updater), replacement documents, aggregation-pipeline updates,
 * `$setOnInsert` and upsert document seeding.
 */
import { update as mingoUpdate, updateOne as mingoUpdateOne } from 'mingo';
import type { PipelineStage } from 'mingo/updater';
import { canon, cloneDeep, CommandError, isPlainObject, MINGO_OPTIONS, runMingo, withId, type Doc } from './storage.js';

export type UpdateSpec = Doc | Doc[];

function kindOf(u: unknown): 'pipeline' | 'operators' | 'replacement' {
  if (Array.isArray(u)) return 'pipeline';
  if (!isPlainObject(u)) throw new CommandError(9, 'FailedToParse', 'Update argument must be either an object or an array');
  const keys = Object.keys(u);
  const ops = keys.filter((k) => k.startsWith('$'));
  if (ops.length && ops.length !== keys.length) {
    throw new CommandError(9, 'FailedToParse', `Unknown modifier or mixed replacement/operators: ${keys.join(', ')}`);
  }
  return ops.length ? 'operators' : 'replacement';
}

const immutableId = () =>
  new CommandError(66, 'ImmutableField', "Performing an update on the path '_id' would modify the immutable field '_id'");

function getPath(doc: unknown, path: string): unknown {
  let cur = doc;
  for (const part of path.split('.')) {
    if (Array.isArray(cur) && /^\d+$/.test(part)) cur = cur[Number(part)];
    else if (isPlainObject(cur)) cur = cur[part];
    else return undefined;
  }
  return cur;
}

/** The array resulting from `$addToSet`, or undefined when nothing changes. */
function addToSet(current: unknown, spec: unknown, path: string): unknown[] | undefined {
  if (current !== undefined && !Array.isArray(current)) {
    throw new CommandError(2, 'BadValue', `Cannot apply $addToSet to non-array field '${path}'`);
  }
  const values = isPlainObject(spec) && Array.isArray(spec.$each) ? spec.$each : [spec];
  const next = [...(current ?? [])];
  const seen = new Set(next.map(canon));
  for (const v of values) {
    if (!seen.has(canon(v))) {
      seen.add(canon(v));
      next.push(cloneDeep(v));
    }
  }
  return current === undefined || next.length !== current.length ? next : undefined;
}

/**
 * Adjusts an operator update of `target` before handing it to mingo:
 * - `_id` in `$set` is checked against (or, when inserting, assigned to) `target`, because
 *   mingo rejects any update path on `_id`;
 * - `$addToSet` on plain paths becomes a `$set` of the resulting array, because mingo
 *   drops pre-existing duplicates and then misdetects "no change".
 */
function prepareOperators(target: Doc, ops: Doc): Doc {
  const out: Doc = { ...ops };
  const set: Doc = isPlainObject(ops.$set) ? { ...ops.$set } : {};
  if ('_id' in set) {
    if (target._id === undefined) target._id = set._id;
    else if (canon(set._id) !== canon(target._id)) throw immutableId();
    delete set._id;
  }
  if (isPlainObject(ops.$addToSet)) {
    const leftToMingo: Doc = {};
    for (const [path, spec] of Object.entries(ops.$addToSet)) {
      if (path.includes('$')) {
        leftToMingo[path] = spec; // positional / arrayFilters paths
        continue;
      }
      const merged = addToSet(getPath(target, path), spec, path);
      if (merged) set[path] = merged;
    }
    if (Object.keys(leftToMingo).length) out.$addToSet = leftToMingo;
    else delete out.$addToSet;
  }
  if (Object.keys(set).length) out.$set = set;
  else delete out.$set;
  return out;
}

/**
 * Returns the updated copy of `doc` (never mutates it).
 * `filter` is used for the positional `$` operator; `inserting` enables `$setOnInsert`.
 */
export function applyUpdate(doc: Doc, u: UpdateSpec, opts: { filter?: Doc; arrayFilters?: Doc[]; inserting?: boolean }): Doc {
  const kind = kindOf(u);
  let next: Doc;
  if (kind === 'replacement') {
    const replacement = cloneDeep(u as Doc);
    if ('_id' in replacement && doc._id !== undefined && canon(replacement._id) !== canon(doc._id)) {
      throw new CommandError(66, 'ImmutableField', "After applying the update, the (immutable) field '_id' was found to have been altered");
    }
    if (doc._id === undefined) {
      next = replacement;
    } else {
      const { _id: _sameId, ...rest } = replacement;
      next = { _id: doc._id, ...rest };
    }
  } else if (kind === 'pipeline') {
    const docs = [cloneDeep(doc)];
    runMingo(() => mingoUpdateOne(docs, {}, u as unknown as PipelineStage[], {}, MINGO_OPTIONS));
    next = docs[0]!;
  } else {
    const { $setOnInsert, ...rawOps } = u as Doc;
    next = cloneDeep(doc);
    const ops = prepareOperators(next, rawOps);
    if (Object.keys(ops).length) {
      const condition = opts.inserting ? undefined : opts.filter;
      runMingo(() => mingoUpdate(next, ops, opts.arrayFilters, condition, { queryOptions: MINGO_OPTIONS }));
    }
    if (opts.inserting && isPlainObject($setOnInsert)) {
      const onInsert = prepareOperators(next, { $set: $setOnInsert });
      if (onInsert.$set) runMingo(() => mingoUpdate(next, onInsert, undefined, undefined, { queryOptions: MINGO_OPTIONS }));
    }
  }
  if (doc._id !== undefined && canon(next._id) !== canon(doc._id)) throw immutableId();
  return next;
}

/** Equality fields of a query (`{a: 1, 'b.c': 2, $and: [...]}`) used to seed an upserted document. */
function equalitySeeds(filter: Doc, out: Doc = {}): Doc {
  for (const [key, value] of Object.entries(filter)) {
    if (key === '$and' && Array.isArray(value)) {
      for (const part of value) if (isPlainObject(part)) equalitySeeds(part, out);
    } else if (!key.startsWith('$')) {
      if (isPlainObject(value) && Object.keys(value).some((k) => k.startsWith('$'))) {
        if ('$eq' in value) out[key] = value.$eq;
      } else if (!(value instanceof RegExp)) {
        out[key] = value;
      }
    }
  }
  return out;
}

/** Builds the document inserted by an upsert that matched nothing. */
export function upsertDocument(filter: Doc, u: UpdateSpec, arrayFilters?: Doc[]): Doc {
  const seeds = equalitySeeds(filter);
  let base: Doc = {};
  if (kindOf(u) === 'replacement') {
    if (seeds._id !== undefined) base = { _id: seeds._id };
  } else if (Object.keys(seeds).length) {
    base = applyUpdate({}, { $set: cloneDeep(seeds) }, { inserting: true });
  }
  return withId(applyUpdate(base, u, { inserting: true, arrayFilters }));
}
