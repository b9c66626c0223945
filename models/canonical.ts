/**
 * Canonical JSON: the byte-exact form that ledger and audit hashes are computed over.
 *
 * `canonical(v)` is `JSON.stringify` with every ambiguity removed, so equal content always gives
 * the same string — in any process, in any key order, and before or after a round trip through
 * MongoDB:
 *
 * - objects (plain ones only): own enumerable keys sorted by UTF-16 code units
 *   (`Array.prototype.sort()`, integer-like keys included), written `{"k":v,...}` without
 *   whitespace; keys whose value is `undefined` are left out; a `__proto__` key is refused;
 * - arrays: elements in order; an `undefined` element is written `null` (as `JSON.stringify`
 *   does, and as BSON stores it);
 * - strings: `JSON.stringify` escaping; lone surrogates are refused (BSON would store U+FFFD);
 * - numbers: finite only, in `JSON.stringify`'s shortest round-trip form; `-0` is written `0`;
 * - `Date`: its ISO string (`toISOString()`, millisecond precision like BSON dates), written as a
 *   JSON string; invalid dates are refused;
 * - `null`, `true`, `false` as in JSON.
 *
 * Everything else (`bigint`, functions, symbols, `Map`, `Set`, buffers, ObjectIds and other class
 * instances, cycles, a top-level `undefined`) throws a `TypeError` naming the path, so nothing can
 * hash differently after it has been stored and read back.
 *
 * Because a `Date` and its ISO string serialise alike, metadata objects (`data`, `details`) are
 * stored in the form `toPlainJson` returns — dates already turned into strings, `undefined` keys
 * dropped — so what MongoDB gives back is exactly what was hashed.
 */
import { createHash } from 'node:crypto';

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function isPlainObject(v: object): v is Record<string, unknown> {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

function fail(path: string, what: string): never {
  throw new TypeError(`canonical: ${what} at ${path || '(root)'}`);
}

/**
 * Walks `v` once and either serialises it (`build` false: the canonical string) or rebuilds it as
 * plain JSON (`build` true: dates → ISO strings, undefined keys dropped, keys MongoDB or mongoose
 * treat specially — `$…`, dotted, NUL — refused). Keys are serialised in sorted order explicitly:
 * `JSON.stringify` would put integer-like keys ("2" before "10") first.
 */
function walk(v: unknown, path: string, seen: Set<object>, build: boolean): JsonValue | string {
  if (v === null) return build ? null : 'null';
  let leaf: JsonValue;
  switch (typeof v) {
    case 'boolean':
      leaf = v;
      break;
    case 'number':
      if (!Number.isFinite(v)) fail(path, `non-finite number ${v}`);
      leaf = Object.is(v, -0) ? 0 : v;
      break;
    case 'string':
      if (LONE_SURROGATE.test(v)) fail(path, 'string with a lone surrogate');
      leaf = v;
      break;
    case 'object':
      if (v instanceof Date) {
        if (Number.isNaN(v.getTime())) fail(path, 'invalid Date');
        leaf = v.toISOString();
        break;
      }
      return walkObject(v, path, seen, build);
    default:
      fail(path, `unsupported ${typeof v}`);
  }
  return build ? leaf : JSON.stringify(leaf);
}

function walkObject(v: object, path: string, seen: Set<object>, build: boolean): JsonValue | string {
  if (seen.has(v)) fail(path, 'cycle');
  seen.add(v);
  try {
    if (Array.isArray(v)) {
      const items = v.map((x: unknown, i) => (x === undefined ? (build ? null : 'null') : walk(x, `${path}[${i}]`, seen, build)));
      return build ? (items as JsonValue[]) : `[${items.join(',')}]`;
    }
    if (!isPlainObject(v)) fail(path, `unsupported object ${Object.prototype.toString.call(v)}`);
    const out: JsonObject = {};
    const parts: string[] = [];
    for (const key of Object.keys(v).sort()) {
      const x = v[key];
      if (x === undefined) continue;
      const at = path ? `${path}.${key}` : key;
      if (key === '__proto__') fail(at, 'key "__proto__"');
      if (build && (key.startsWith('$') || key.includes('.') || key.includes('\0'))) {
        fail(at, `key ${JSON.stringify(key)} cannot be stored in MongoDB`);
      }
      const value = walk(x, at, seen, build);
      if (build) out[key] = value as JsonValue;
      else parts.push(`${JSON.stringify(key)}:${value as string}`);
    }
    return build ? out : `{${parts.join(',')}}`;
  } finally {
    seen.delete(v);
  }
}

/** The canonical JSON string of `value` (see the module comment for the exact rules). */
export function canonical(value: unknown): string {
  if (value === undefined) fail('', 'undefined');
  return walk(value, '', new Set(), false) as string;
}

/**
 * `value` as plain JSON, ready to be stored as metadata: dates become ISO strings, `undefined`
 * keys disappear, and keys MongoDB treats specially are refused. `canonical(toPlainJson(v))`
 * equals `canonical(v)`.
 */
export function toPlainJson(value: unknown): JsonValue {
  if (value === undefined) fail('', 'undefined');
  return walk(value, '', new Set(), true) as JsonValue;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Content digest for audit before/after snapshots: `sha256(canonical(value))`, hex. */
export function digestOf(value: unknown): string {
  return sha256Hex(canonical(value));
}
