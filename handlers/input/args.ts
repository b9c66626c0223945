// The tokenizer for `key=value` command arguments and the value parsers shared by typed commands
// and form submissions. Pure, bounded, never throws: bad input becomes an `InputError` whose `code`
// is a key in the `input` namespace (locales/<lng>/input.json) and whose params name the field.

import { isIsoDate } from '../../domain/index.js';

/** Every code this module and `schemas.ts` answer with; each has a message in `input.json`. */
export const INPUT_ERROR_CODES = [
  'input.missing_field',
  'input.missing_attestations',
  'input.unknown_key',
  'input.duplicate_key',
  'input.unterminated_quote',
  'input.unexpected_text',
  'input.too_long',
  'input.invalid_date',
  'input.invalid_level',
  'input.invalid_enum',
  'input.invalid_int',
  'input.invalid_bool',
  'input.invalid_open_id',
  'input.invalid_number_format',
  'input.invalid_period',
  'input.invalid_type',
  'input.empty_list',
  'input.too_many',
  'input.duplicate_in_list',
  'input.invalid_input',
] as const;
export type InputErrorCode = (typeof INPUT_ERROR_CODES)[number];

/**
 * `params.field` is the canonical (English) field name when the field is known, else the key as the
 * user typed it; `'text'` stands for the whole argument text. `command` names the spec, so the
 * error can be localised (allowed keys, choices) in the reader's language later.
 */
export interface InputError {
  code: InputErrorCode;
  params: { field: string } & Record<string, string | number>;
  command?: string;
}

export type ArgsResult = { ok: true; pairs: Map<string, string>; positional: string[] } | { ok: false; error: InputError };

/** Longest argument text accepted (a command line, not a document). */
export const MAX_TEXT = 2000;
/** Values quoted back to the user in messages are cut to this many characters. */
const SHOW_MAX = 40;

export function inputError(code: InputErrorCode, field: string, params: Record<string, string | number> = {}): InputError {
  return { code, params: { ...params, field } };
}

// ---- characters -----------------------------------------------------------------------------

/** Opening quote → closing quote. */
const QUOTES: Readonly<Record<string, string>> = {
  '"': '"',
  "'": "'",
  '\u201c': '\u201d', // “ ”
  '\u2018': '\u2019', // ‘ ’
  '\u300c': '\u300d', // 「 」
  '\u300e': '\u300f', // 『 』
};
const EQUALS = new Set(['=', '\uff1d']); // = ＝
/** Zero-width characters and bidirectional controls: invisible, and able to disguise text. */
const INVISIBLE = /[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;
/** C0/C1 controls except tab, line feed and carriage return (those are whitespace). */
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;
const LINE_BREAKS = /[\t\n\r\u2028\u2029]+/g;
/** Half of a surrogate pair without the other half (not text; breaks encoders). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const WS = /\s/;
const KEY_CHARS = /[\p{L}\p{N}_-]/u;

/** Strips control and invisible characters and lone surrogates; line breaks and tabs become one space; trims. */
export function cleanText(s: string): string {
  return s.replace(LINE_BREAKS, ' ').replace(CONTROL, '').replace(INVISIBLE, '').replace(LONE_SURROGATE, '').trim();
}

/** A user value made safe to quote back in a message: cleaned and cut short. */
export function show(s: string): string {
  const c = [...cleanText(s)];
  return c.length > SHOW_MAX ? `${c.slice(0, SHOW_MAX).join('')}…` : c.join('');
}

/** Key spelling → lookup form: NFKC, lower case, without `_`, `-` and spaces (copy-restricted = copyRestricted). */
export function normKey(s: string): string {
  return s
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[_\-\s]/g, '');
}

/** A value as code sees it: NFKC (full-width digits and letters → ASCII), cleaned. */
function normValue(s: string): string {
  return cleanText(s.normalize('NFKC'));
}

// ---- key tables ---------------------------------------------------------------------------

export interface KeyTable {
  /** Normalised spelling (`normKey`) → canonical key. */
  readonly names: ReadonlyMap<string, string>;
  /** The canonical keys, in order (for `input.unknown_key`; the handler localises them). */
  readonly allowed: readonly string[];
  /** Canonical keys whose value runs on over the bare words that follow (lists, free text). */
  readonly continues: ReadonlySet<string>;
}

export interface KeyTableEntry {
  canonical: string;
  aliases: readonly string[];
  continues?: boolean;
}

/** Builds a command's alias table; throws on a spelling that maps to two keys (a spec bug, at load). */
export function buildKeyTable(entries: readonly KeyTableEntry[]): KeyTable {
  const names = new Map<string, string>();
  const continues = new Set<string>();
  for (const e of entries) {
    for (const spelling of [e.canonical, ...e.aliases]) {
      const k = normKey(spelling);
      const prev = names.get(k);
      if (prev !== undefined && prev !== e.canonical) throw new Error(`key spelling '${spelling}' maps to both '${prev}' and '${e.canonical}'`);
      names.set(k, e.canonical);
    }
    if (e.continues) continues.add(e.canonical);
  }
  return { names, allowed: entries.map((e) => e.canonical), continues };
}

// ---- tokenizer --------------------------------------------------------------------------------

interface Token {
  /** The key as typed, when the token is `key=value`. */
  key?: string;
  value: string;
}

type Scan = { ok: true; tokens: Token[] } | { ok: false; error: InputError };

function isWs(c: string | undefined): boolean {
  return c !== undefined && WS.test(c);
}

/** Reads a key at `i` if one is there: key characters, optional spaces, then `=` or `＝`. */
function readKey(text: string, i: number): { key: string; next: number } | null {
  let j = i;
  while (j < text.length && KEY_CHARS.test(text[j]!)) j++;
  if (j === i) return null;
  const key = text.slice(i, j);
  while (isWs(text[j])) j++;
  if (!EQUALS.has(text[j] ?? '')) return null;
  return { key, next: j + 1 };
}

/** Reads a value at `i`: quoted (quotes removed, inner whitespace kept) or up to the next whitespace. */
function readValue(text: string, i: number, field: string): { value: string; next: number } | { error: InputError } {
  const open = text[i] ?? '';
  const close = QUOTES[open];
  let value = '';
  let j = i;
  if (close !== undefined) {
    const end = text.indexOf(close, i + 1);
    if (end < 0) return { error: inputError('input.unterminated_quote', field) };
    value = text.slice(i + 1, end);
    j = end + 1;
  }
  // Anything glued to the value (or the closing quote) up to whitespace belongs to it, literally.
  const start = j;
  while (j < text.length && !isWs(text[j])) j++;
  return { value: value + text.slice(start, j), next: j };
}

function scan(text: string): Scan {
  const tokens: Token[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    while (isWs(text[i])) i++;
    if (i >= n) break;
    const k = readKey(text, i);
    if (k) {
      let j = k.next;
      // `key= value` and `key = value`: the value may follow spaces, unless another key comes first.
      let v = j;
      while (isWs(text[v])) v++;
      if (v >= n || (v > j && readKey(text, v))) {
        tokens.push({ key: k.key, value: '' });
        i = v;
        continue;
      }
      j = v;
      const r = readValue(text, j, k.key);
      if ('error' in r) return { ok: false, error: r.error };
      tokens.push({ key: k.key, value: r.value });
      i = r.next;
    } else {
      const r = readValue(text, i, 'text');
      if ('error' in r) return { ok: false, error: r.error };
      tokens.push({ value: r.value });
      i = r.next;
    }
  }
  return { ok: true, tokens };
}

/**
 * Splits command arguments into `key=value` pairs and positional words.
 *
 * - tokens are separated by whitespace (including the ideographic space); `=` or `＝` joins a key
 *   and its value (spaces around it are allowed);
 * - values may be quoted with "…" '…' “…” ‘…’ 「…」 『…』 (quotes removed, inner whitespace kept);
 *   an unterminated quote is `input.unterminated_quote`;
 * - with a `table`, keys (case-insensitive, English or Chinese) are mapped to canonical keys, an
 *   unknown key is `input.unknown_key {key, allowed}`, and bare words after a list or free-text key
 *   join its value (`witnesses=ou_1 ou_2`, `purpose=季度 会议`); without one, keys are only
 *   normalised (`normKey`);
 * - a key given twice is `input.duplicate_key {key}`; text over `MAX_TEXT` is `input.too_long`.
 *
 * Values are returned raw (not trimmed or typed); the schemas type them. Never throws.
 */
export function parseArgs(text: string, table?: KeyTable): ArgsResult {
  if (typeof text !== 'string') return { ok: false, error: inputError('input.invalid_type', 'text') };
  if (text.length > MAX_TEXT) return { ok: false, error: inputError('input.too_long', 'text', { max: MAX_TEXT }) };
  const s = text.replace(CONTROL, '').replace(INVISIBLE, '');
  const scanned = scan(s);
  if (!scanned.ok) return scanned;

  const pairs = new Map<string, string>();
  const positional: string[] = [];
  let runOn: string | undefined;
  for (const tok of scanned.tokens) {
    if (tok.key === undefined) {
      if (runOn !== undefined) {
        const prev = pairs.get(runOn) ?? '';
        pairs.set(runOn, prev === '' ? tok.value : `${prev} ${tok.value}`);
      } else if (tok.value.trim() !== '') {
        positional.push(tok.value);
      }
      continue;
    }
    const norm = normKey(tok.key);
    const canonical = table ? table.names.get(norm) : norm;
    if (canonical === undefined) {
      const typed = show(tok.key);
      return { ok: false, error: inputError('input.unknown_key', typed, { key: typed, allowed: table!.allowed.join(', ') }) };
    }
    if (pairs.has(canonical)) return { ok: false, error: inputError('input.duplicate_key', canonical, { key: show(tok.key) }) };
    pairs.set(canonical, tok.value);
    runOn = table?.continues.has(canonical) ? canonical : undefined;
  }
  return { ok: true, pairs, positional };
}

// ---- value parsers (string in, typed value or null out) -----------------------------------------

const TRUE = new Set(['yes', 'true', 'y', '1', '是', '有', '对', 'on']);
const FALSE = new Set(['no', 'false', 'n', '0', '否', '无', '错', 'off']);

/** yes|no|true|false|y|n|1|0|是|否|有|无|对|错 (case-insensitive) → boolean; else null. */
export function parseBool(raw: string): boolean | null {
  const s = normValue(raw).toLowerCase();
  if (TRUE.has(s)) return true;
  if (FALSE.has(s)) return false;
  return null;
}

const DATE_DASH = /^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})$/;
const DATE_ZH = /^(\d{4})年(\d{1,2})月(\d{1,2})日?$/;
/** What may follow a date: a time and/or a UTC offset (the Feishu picker sends `2026-12-01 +0800`). */
const DATE_TAIL = /^(?:\s+|T)?(?:\d{1,2}:\d{2}(?::\d{2})?)?\s*(?:[+-]\d{2}:?\d{2}|Z|UTC|GMT)?$/i;

/**
 * `YYYY-MM-DD`, `YYYY/MM/DD`, `YYYY.MM.DD`, `YYYY年M月D日`, optionally followed by a time and an
 * offset (`2026-12-01 +0800`) → `YYYY-MM-DD` (the date as the user saw it); calendar-checked
 * (2026-02-30 is refused); years 1900–2199. Else null.
 */
export function parseDate(raw: string): string | null {
  const s = normValue(raw);
  const head = /^\S+?(?=$|\s|T\d)/.exec(s)?.[0] ?? s;
  const tail = s.slice(head.length);
  if (tail !== '' && !DATE_TAIL.test(tail)) return null;
  let y: string, mo: string, d: string;
  const a = DATE_DASH.exec(head);
  const b = a ? null : DATE_ZH.exec(head);
  if (a) [y, mo, d] = [a[1]!, a[3]!, a[4]!];
  else if (b) [y, mo, d] = [b[1]!, b[2]!, b[3]!];
  else return null;
  const year = Number(y);
  if (year < 1900 || year > 2199) return null;
  const iso = `${y}-${mo.padStart(2, '0')}-${d.padStart(2, '0')}`;
  return isIsoDate(iso) ? iso : null;
}

/** A whole number within [min, max] (full-width digits and a trailing 份/页/张/个/本 accepted); else null. */
export function parseIntIn(raw: string, min: number, max: number): number | null {
  const s = normValue(raw).replace(/\s*[份页张个本]$/, '');
  if (!/^\+?\d{1,9}$/.test(s)) return null;
  const n = Number(s);
  return Number.isSafeInteger(n) && n >= min && n <= max ? n : null;
}

const OPEN_ID = /^ou_[A-Za-z0-9]{1,64}$/;

/** An open_id (`ou_` + letters and digits), optionally written `@ou_…`; normalised; else null. */
export function parseOpenId(raw: string): string | null {
  const s = normValue(raw).replace(/^@/, '');
  return OPEN_ID.test(s) ? s : null;
}

/** Splits a list value on , ， 、 ; ； and whitespace; drops empty items. */
export function splitList(raw: string): string[] {
  return raw.split(/[,，、;；\s]+/u).filter((x) => x !== '');
}

/** A carrier's classification number (保密编号). */
export const CARRIER_NO = /^[A-Za-z0-9][A-Za-z0-9_\-./]{0,63}$/;

/** A carrier number, NFKC-normalised (ＪＭ－１ → JM-1); else null. */
export function parseCarrierNo(raw: string): string | null {
  const s = normValue(raw);
  return CARRIER_NO.test(s) ? s : null;
}

/**
 * A secrecy period as marked on a carrier → display string: `10y`/`10 years`/`10年` → `10年`,
 * `6m`/`6 months`/`6个月` → `6个月`, `长期`/`long_term` → `长期`, `公布前`/`until_published` →
 * `公布前`, a date → `YYYY-MM-DD`. A leading ★ (as in 机密★10年) is ignored. Else null.
 */
export function parsePeriod(raw: string): string | null {
  const s = normValue(raw).replace(/^★/, '').replace(/\s+/g, '').toLowerCase();
  const y = /^(\d{1,3})(?:y|yr|yrs|year|years|年)$/.exec(s);
  if (y) {
    const n = Number(y[1]);
    return n >= 1 && n <= 100 ? `${n}年` : null;
  }
  const m = /^(\d{1,4})(?:m|mo|mon|month|months|个月|月)$/.exec(s);
  if (m) {
    const n = Number(m[1]);
    return n >= 1 && n <= 1200 ? `${n}个月` : null;
  }
  if (['长期', 'longterm', 'long_term', 'long-term', 'permanent'].includes(s)) return '长期';
  if (['公布前', 'untilpublished', 'until_published', 'until-published', 'beforepublication', 'before_publication'].includes(s)) return '公布前';
  return parseDate(raw);
}
