/**
 * Update semantics shared by `update` and `findAndModify`: operator updates
 * (via mingo's updater), replacement documents, aggregation-pipeline updates,
 * `$setOnInsert` and upsert document seeding.
 *
 * mingo's update operators silently do nothing where MongoDB refuses (`$inc` on a string,
 * `$push` onto a number, `$set` of `a.b` when `a` is a string...). So every operator update
 * is checked here first, the way the server checks it: `checkUpdateSpec` does the checks
 * that need no document (unknown operators, bad arguments, conflicting paths, array
 * filters) and `applyUpdate` then checks each target field of the document before mingo
 * writes anything. A refused update leaves the document untouched.
 */
import { update as mingoUpdate, updateOne as mingoUpdateOne, Query } from 'mingo';
import type { PipelineStage } from 'mingo/updater';
import { bsonCompare, bsonTypeName, canon, cloneDeep, CommandError, isPlainObject, MINGO_OPTIONS, notImplemented, runMingo, showValue, withId, type Doc } from './storage.js';

export type UpdateSpec = Doc | Doc[];

const OPERATORS = new Set(['$set', '$unset', '$inc', '$mul', '$min', '$max', '$push', '$addToSet', '$pull', '$pullAll', '$pop', '$currentDate', '$rename', '$bit', '$setOnInsert']);

/** Operators that create the missing fields of their path (the others do nothing when it is missing). */
const CREATING = new Set(['$set', '$setOnInsert', '$inc', '$mul', '$min', '$max', '$push', '$addToSet', '$currentDate', '$bit']);

const failedToParse = (msg: string) => new CommandError(9, 'FailedToParse', msg);
const badValue = (msg: string) => new CommandError(2, 'BadValue', msg);
const typeMismatch = (msg: string) => new CommandError(14, 'TypeMismatch', msg);

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

const immutableId = () => new CommandError(66, 'ImmutableField', "Performing an update on the path '_id' would modify the immutable field '_id'");

function getPath(doc: unknown, path: string): unknown {
  let cur = doc;
  for (const part of path.split('.')) {
    if (Array.isArray(cur) && /^\d+$/.test(part)) cur = cur[Number(part)];
    else if (isPlainObject(cur)) cur = cur[part];
    else return undefined;
  }
  return cur;
}

// ---------------------------------------------------------------------------
// Checks that need no document (MongoDB parses the whole update before matching)

const POSITIONAL_ALL = '$[]';
const isPositional = (part: string) => part === '$' || /^\$\[\w*\]$/.test(part);
const identifierOf = (part: string): string | undefined => /^\$\[(\w+)\]$/.exec(part)?.[1];

/** A numeric BSON value that mingo's arithmetic cannot handle (it only knows JS numbers). */
function isBsonNumber(v: unknown): boolean {
  const type = v !== null && typeof v === 'object' ? (v as { _bsontype?: string })._bsontype : undefined;
  return type === 'Long' || type === 'Int32' || type === 'Double' || type === 'Decimal128' || typeof v === 'bigint';
}

/** The identifier an array filter applies to (`{'it.k': 1}` → `it`), like the server requires: exactly one. */
function filterIdentifier(filter: Doc): string {
  const ids = new Set(Object.keys(filter).map((k) => (k.includes('.') ? k.slice(0, k.indexOf('.')) : k)));
  if (ids.size !== 1) {
    const found = ids.size ? [...ids].map((id) => `'${id}'`).join(' and ') : 'none';
    throw failedToParse(`Error parsing array filter :: caused by :: Expected a single top-level field name, found ${found}`);
  }
  return [...ids][0]!;
}

function checkArrayFilters(arrayFilters: unknown): Doc[] {
  if (arrayFilters === undefined || arrayFilters === null) return [];
  if (!Array.isArray(arrayFilters) || !arrayFilters.every(isPlainObject)) throw typeMismatch("'arrayFilters' must be an array of objects");
  return arrayFilters;
}

/**
 * Rejects what MongoDB rejects before looking at any document: unknown operators,
 * non-object operands, bad `$inc` / `$mul` / `$pop` / `$rename` arguments, two operators
 * on one path (ConflictingUpdateOperators, 40), `$[id]` without an array filter and
 * array filters that no path uses, array filters on pipeline updates, multi replacements.
 */
export function checkUpdateSpec(u: unknown, opts: { arrayFilters?: unknown; multi?: boolean } = {}): void {
  const kind = kindOf(u);
  const arrayFilters = checkArrayFilters(opts.arrayFilters);
  if (kind === 'pipeline') {
    if (arrayFilters.length) throw failedToParse('arrayFilters may not be specified for pipeline-style updates');
    return;
  }
  if (kind === 'replacement') {
    if (opts.multi) throw failedToParse('multi update is not supported for replacement-style update');
    return;
  }
  const filterIds = new Map<string, Doc>();
  for (const filter of arrayFilters) {
    const id = filterIdentifier(filter);
    if (filterIds.has(id)) throw failedToParse(`Found multiple array filters with the same top-level field name ${id}`);
    filterIds.set(id, filter);
  }
  const usedIds = new Set<string>();
  const paths: string[] = [];
  for (const [op, operand] of Object.entries(u as Doc)) {
    if (!OPERATORS.has(op)) {
      throw failedToParse(`Unknown modifier: ${op}. Expected a valid update modifier or pipeline-style update specified as an array`);
    }
    if (!isPlainObject(operand)) {
      throw failedToParse(`Modifiers operate on fields but we found type ${bsonTypeName(operand)} instead. For example: {$mod: {<field>: ...}} not {${op}: ${showValue(operand)}}`);
    }
    for (const [path, arg] of Object.entries(operand)) {
      if (path === '') throw new CommandError(56, 'EmptyFieldName', 'An empty update path is not valid.');
      if (path.split('.').includes('')) {
        throw new CommandError(56, 'EmptyFieldName', `The update path '${path}' contains an empty field name, which is not allowed.`);
      }
      paths.push(path);
      for (const part of path.split('.')) {
        const id = identifierOf(part);
        if (id === undefined) continue;
        if (!filterIds.has(id)) throw badValue(`No array filter found for identifier '${id}' in path '${path}'`);
        usedIds.add(id);
      }
      checkArgument(op, path, arg);
      if (op === '$rename') paths.push(arg as string);
    }
  }
  for (const id of filterIds.keys()) {
    if (!usedIds.has(id)) throw failedToParse(`The array filter for identifier '${id}' was not used in the update ${showValue(u)}`);
  }
  checkConflicts(paths);
}

function checkArgument(op: string, path: string, arg: unknown): void {
  switch (op) {
    case '$inc':
    case '$mul':
      if (typeof arg === 'number') return;
      if (isBsonNumber(arg)) throw notImplemented(`${op} with a ${bsonTypeName(arg)} argument`);
      throw typeMismatch(`Cannot ${op === '$inc' ? 'increment' : 'multiply'} with non-numeric argument: {${path}: ${showValue(arg)}}`);
    case '$min':
    case '$max':
      if (isBsonNumber(arg)) throw notImplemented(`${op} with a ${bsonTypeName(arg)} argument`);
      return;
    case '$pop':
      if (arg !== 1 && arg !== -1) throw failedToParse(`$pop expects 1 or -1, found: ${showValue(arg)}`);
      return;
    case '$rename': {
      if (typeof arg !== 'string') throw badValue(`The 'to' field for $rename must be a string: ${path}: ${showValue(arg)}`);
      if (arg === '' || arg.split('.').includes('')) throw badValue(`The update path '${arg}' contains an empty field name, which is not allowed.`);
      if (path.split('.').some(isPositional)) throw badValue(`The source field for $rename may not be dynamic: ${path}`);
      if (arg.split('.').some(isPositional)) throw badValue(`The destination field for $rename may not be dynamic: ${arg}`);
      if (arg === path) throw badValue(`The source and target field for $rename must differ: ${path}`);
      if (arg.startsWith(`${path}.`) || path.startsWith(`${arg}.`)) {
        throw badValue(`The source and target field for $rename must not be on the same path: ${path}: ${arg}`);
      }
      return;
    }
    default:
      return;
  }
}

/** Two paths conflict when one is the other or a prefix of it (`a` and `a.b`). */
function checkConflicts(paths: string[]): void {
  const split = paths.map((p) => p.split('.'));
  for (let i = 1; i < split.length; i++) {
    for (let j = 0; j < i; j++) {
      const a = split[i]!;
      const b = split[j]!;
      const n = Math.min(a.length, b.length);
      if (a.slice(0, n).every((part, k) => part === b[k])) {
        throw new CommandError(40, 'ConflictingUpdateOperators', `Updating the path '${paths[i]}' would create a conflict at '${a.slice(0, n).join('.')}'`);
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Checks of one document's target fields

interface Target {
  /** The field's value (undefined when missing). */
  value: unknown;
  present: boolean;
  /** Last component of the concrete path (an array index for array elements). */
  field: string;
  /** The concrete dotted path (positional parts resolved). */
  path: string;
}

interface PathContext {
  filter: Doc | undefined;
  arrayFilters: Doc[];
}

const pathNotViable = (field: string, parentKey: string, parent: unknown) =>
  new CommandError(28, 'PathNotViable', `Cannot create field '${field}' in element {${parentKey}: ${showValue(parent)}}`);

/** Index of the array element the positional `$` stands for, found the way mingo finds it. */
function positionalIndex(arr: unknown[], selector: string, filter: Doc | undefined): number | undefined {
  const keys = Object.keys(filter ?? {}).filter((k) => k === selector || k.startsWith(`${selector}.`));
  if (keys.length !== 1) return undefined;
  const query = new Query({ [keys[0]!]: filter![keys[0]!] }, MINGO_OPTIONS);
  const index = arr.findIndex((e) => query.test({ [selector]: [e] }));
  return index < 0 ? undefined : index;
}

/** Elements an `$[id]` path part selects, tested the way mingo tests them. */
function filteredIndexes(arr: unknown[], id: string, arrayFilters: Doc[]): number[] {
  const criteria: Doc = {};
  for (const filter of arrayFilters) {
    for (const [k, v] of Object.entries(filter)) if ((k.includes('.') ? k.slice(0, k.indexOf('.')) : k) === id) criteria[k] = v;
  }
  const query = new Query(criteria, MINGO_OPTIONS);
  return arr.flatMap((e, i) => (query.test({ [id]: [e] }) ? [i] : []));
}

/**
 * The fields of `doc` that an update of `path` touches (positional parts expanded).
 * For a `creating` operator, a path that cannot be created (through a string, a number,
 * null, or a non-numeric field of an array) is refused with PathNotViable (28), like MongoDB.
 */
function targetsOf(doc: Doc, path: string, creating: boolean, ctx: PathContext): Target[] {
  const parts = path.split('.');
  const out: Target[] = [];
  const walk = (node: unknown, i: number, trail: string[]): void => {
    const part = parts[i]!;
    const parentKey = trail[trail.length - 1] ?? '';
    let keys: string[];
    if (isPositional(part)) {
      if (node === undefined) throw badValue(`The path '${trail.join('.')}' must exist in the document in order to apply array updates.`);
      if (!Array.isArray(node)) throw badValue(`Cannot apply array updates to non-array element ${parentKey}: ${showValue(node)}`);
      if (part === '$') {
        const before = parts.slice(0, i);
        if (before.includes('$')) throw badValue(`Too many positional (i.e. '$') elements found in path '${path}'`);
        if (before.some(isPositional)) throw notImplemented(`the positional '$' after '$[]' or '$[<id>]'`, `path '${path}'`);
        const index = positionalIndex(node, trail.join('.'), ctx.filter);
        if (index === undefined) throw badValue('The positional operator did not find the match needed from the query.');
        keys = [String(index)];
      } else if (part === POSITIONAL_ALL) {
        keys = node.map((_, j) => String(j));
      } else {
        keys = filteredIndexes(node, identifierOf(part)!, ctx.arrayFilters).map(String);
      }
    } else if (node === undefined) {
      // A missing parent: creating operators create the rest of the path, the others do nothing.
      if (creating) out.push({ value: undefined, present: false, field: parts[parts.length - 1]!, path: [...trail, ...parts.slice(i)].join('.') });
      return;
    } else if (Array.isArray(node) ? /^\d+$/.test(part) : isPlainObject(node)) {
      keys = [part];
    } else {
      if (creating) throw pathNotViable(part, parentKey, node);
      return;
    }
    for (const key of keys) {
      const present = Array.isArray(node) ? Number(key) < node.length : Object.hasOwn(node as Doc, key);
      const child = Array.isArray(node) ? node[Number(key)] : (node as Doc)[key];
      if (i === parts.length - 1) out.push({ value: child, present, field: key, path: [...trail, key].join('.') });
      else walk(child, i + 1, [...trail, key]);
    }
  };
  walk(doc, 0, []);
  return out;
}

function idText(doc: Doc): string {
  return doc._id === undefined ? 'no id' : `_id: ${showValue(doc._id)}`;
}

/** Refuses `op` on a field of the wrong type with MongoDB's code and message. */
function checkTarget(op: string, t: Target, doc: Doc): void {
  if (!t.present) return;
  const v = t.value;
  const type = bsonTypeName(v);
  switch (op) {
    case '$inc':
    case '$mul':
      if (typeof v === 'number') return;
      if (isBsonNumber(v)) throw notImplemented(`${op} on a ${type} value`, `field '${t.path}'`);
      throw typeMismatch(`Cannot apply ${op} to a value of non-numeric type. {${idText(doc)}} has the field '${t.field}' of non-numeric type ${type}`);
    case '$min':
    case '$max':
      if (isBsonNumber(v)) throw notImplemented(`${op} on a ${type} value`, `field '${t.path}'`);
      return;
    case '$bit':
      if (typeof v === 'number' && Number.isInteger(v)) return;
      if (isBsonNumber(v)) throw notImplemented(`$bit on a ${type} value`, `field '${t.path}'`);
      throw badValue(`Cannot apply $bit to a value of non-integral type.{${idText(doc)}} has the field '${t.field}' of non-integer type ${type}`);
    case '$push':
      if (!Array.isArray(v)) throw badValue(`The field '${t.field}' must be an array but is of type ${type} in document {${idText(doc)}}`);
      return;
    case '$addToSet':
      if (!Array.isArray(v)) throw badValue(`Cannot apply $addToSet to non-array field. Field named '${t.field}' has non-array type ${type}`);
      return;
    case '$pull':
    case '$pullAll':
      if (!Array.isArray(v)) throw badValue('Cannot apply $pull to a non-array value');
      return;
    case '$pop':
      if (!Array.isArray(v)) throw typeMismatch(`Path '${t.path}' contains an element of non-array type '${type}'`);
      return;
    default:
      return;
  }
}

/**
 * `$rename` refusals: a source or destination inside an array, a destination below a
 * scalar. A missing source is a no-op (nothing else is checked then), like on the server.
 */
function checkRename(doc: Doc, from: string, to: string): void {
  const fromParts = from.split('.');
  let node: unknown = doc;
  let arrayField: string | undefined;
  for (let i = 0; i < fromParts.length; i++) {
    const part = fromParts[i]!;
    if (Array.isArray(node) && /^\d+$/.test(part) && Number(part) < node.length) {
      arrayField ??= fromParts[i - 1];
      node = node[Number(part)];
    } else if (isPlainObject(node) && Object.hasOwn(node, part)) {
      node = node[part];
    } else {
      return;
    }
  }
  if (arrayField !== undefined) {
    throw badValue(`The source field cannot be an array element, '${from}' in doc with ${idText(doc)} has an array field called '${arrayField}'`);
  }
  const toParts = to.split('.');
  let parent: unknown = doc;
  for (let i = 0; i < toParts.length - 1; i++) {
    const next = (parent as Doc)[toParts[i]!];
    if (next === undefined) return;
    if (Array.isArray(next)) {
      throw badValue(`The destination field cannot be an array element, '${to}' in doc with ${idText(doc)} has an array field called '${toParts[i]}'`);
    }
    if (!isPlainObject(next)) throw pathNotViable(toParts[i + 1]!, toParts[i]!, next);
    parent = next;
  }
}

/** Checks every target field of an operator update against `doc` (which it does not modify). */
function checkOperatorsOn(doc: Doc, ops: Doc, ctx: PathContext): void {
  for (const [op, operand] of Object.entries(ops)) {
    for (const [path, arg] of Object.entries(operand as Doc)) {
      if (op === '$rename') {
        checkRename(doc, path, arg as string);
        continue;
      }
      for (const target of targetsOf(doc, path, CREATING.has(op), ctx)) checkTarget(op, target, doc);
    }
  }
}

// ---------------------------------------------------------------------------
// Applying

/** The array resulting from `$addToSet`, or undefined when nothing changes. */
function addToSet(current: unknown, spec: unknown, path: string): unknown[] | undefined {
  if (current !== undefined && !Array.isArray(current)) {
    const field = path.split('.').pop()!;
    throw badValue(`Cannot apply $addToSet to non-array field. Field named '${field}' has non-array type ${bsonTypeName(current)}`);
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
 *   drops pre-existing duplicates and then misdetects "no change";
 * - `$min` / `$max` become a `$set` of each target field that changes, because mingo does
 *   not compare values of different types in the server's order (an array is above any
 *   number, an ObjectId below any boolean or date...).
 */
function prepareOperators(target: Doc, ops: Doc, ctx: PathContext = { filter: undefined, arrayFilters: [] }): Doc {
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
  for (const op of ['$min', '$max'] as const) {
    if (!isPlainObject(ops[op])) continue;
    for (const [path, value] of Object.entries(ops[op])) {
      for (const t of targetsOf(target, path, true, ctx)) {
        const order = t.present ? bsonCompare(value, t.value) : 0;
        if (!t.present || (op === '$min' ? order < 0 : order > 0)) set[t.path] = cloneDeep(value);
      }
    }
    delete out[op];
  }
  if (Object.keys(set).length) out.$set = set;
  else delete out.$set;
  return out;
}

/**
 * Returns the updated copy of `doc` (never mutates it).
 * `filter` is used for the positional `$` operator; `inserting` enables `$setOnInsert`.
 * Throws (leaving `doc` as it was) when MongoDB would refuse the update for this document.
 */
export function applyUpdate(doc: Doc, u: UpdateSpec, opts: { filter?: Doc; arrayFilters?: Doc[]; inserting?: boolean }): Doc {
  const kind = kindOf(u);
  checkUpdateSpec(u, { arrayFilters: opts.arrayFilters });
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
    const ctx: PathContext = { filter: opts.inserting ? undefined : opts.filter, arrayFilters: opts.arrayFilters ?? [] };
    next = cloneDeep(doc);
    checkOperatorsOn(next, opts.inserting && isPlainObject($setOnInsert) ? { ...rawOps, $setOnInsert } : rawOps, ctx);
    const ops = concretePaths(next, prepareOperators(next, rawOps, ctx), ctx);
    if (Object.keys(ops).length) {
      runMingo(() => mingoUpdate(next, ops, opts.arrayFilters, ctx.filter, { queryOptions: MINGO_OPTIONS }));
    }
    if (opts.inserting && isPlainObject($setOnInsert)) {
      const onInsert = prepareOperators(next, { $set: $setOnInsert });
      if (onInsert.$set) runMingo(() => mingoUpdate(next, onInsert, undefined, undefined, { queryOptions: MINGO_OPTIONS }));
    }
  }
  if (doc._id !== undefined && canon(next._id) !== canon(doc._id)) throw immutableId();
  return next;
}

/**
 * Positional paths (`a.$.b`, `a.$[e].b`, `a.$[].b`) resolved to the concrete elements they name,
 * before mingo applies them. MongoDB lets one update set several fields of the positional
 * element (`cards.$.x` and `cards.$.y`); mingo would refuse those siblings as a conflict, so it is
 * handed the concrete paths instead (`cards.1.x`, `cards.1.y`), resolved once against the document
 * as it was matched.
 */
function concretePaths(doc: Doc, ops: Doc, ctx: PathContext): Doc {
  const out: Doc = {};
  for (const [op, spec] of Object.entries(ops)) {
    if (!isPlainObject(spec)) {
      out[op] = spec;
      continue;
    }
    const resolved: Doc = {};
    for (const [path, value] of Object.entries(spec)) {
      if (!path.split('.').some(isPositional)) {
        resolved[path] = value;
        continue;
      }
      const targets = targetsOf(doc, path, CREATING.has(op), ctx);
      // Nothing resolved (no element matched): leave it to mingo, which answers as before.
      if (targets.length === 0) resolved[path] = value;
      for (const t of targets) resolved[t.path] = value;
    }
    out[op] = resolved;
  }
  return out;
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
