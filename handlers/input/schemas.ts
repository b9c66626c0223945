// One spec per command, used for both typed commands (`/copy carrier=… copies=2`) and form
// submissions (`form_value`). The canonical key of a field is English; aliases are what users may
// type instead (Chinese first). Values come out typed and normalised under the canonical keys, with
// the same names as the workflow's details (`domain/content.ts`), within its limits.

import type { Locale } from '../../bot/core/config.js';
import type { Bi } from '../../bot/core/types.js';
import { translator } from '../../locales/index.js';
import { DESTROY_METHODS, parseLevel, type CarrierStatus, type DestroyMethod, type Level } from '../../domain/index.js';
import {
  buildKeyTable,
  cleanText,
  inputError,
  normKey,
  parseArgs,
  parseBool,
  parseCarrierNo,
  parseDate,
  parseIntIn,
  parseOpenId,
  parsePeriod,
  show,
  splitList,
  type InputError,
  type KeyTable,
} from './args.js';

export type FieldKind = 'string' | 'int' | 'bool' | 'date' | 'level' | 'enum' | 'list' | 'openIds' | 'openId';

/** One accepted value of an enum field: the stored value and its spellings per language. */
export interface EnumChoice {
  /** What the parser returns (and what is stored). */
  value: string;
  /** Shown to Chinese readers; accepted as input. */
  zh: string;
  /** Shown to English readers; accepted as input. */
  en: string;
  /** Further accepted spellings. */
  aliases?: readonly string[];
}

export interface KeySpec {
  /** English key; the name in the parsed value and in `form_value`. */
  canonical: string;
  /** Other accepted spellings: the first Chinese one is the Chinese key shown in help and errors. */
  aliases: readonly string[];
  required: boolean;
  kind: FieldKind;
  /** `enum`: the values the parser returns. */
  enum?: readonly string[];
  /** `enum`: accepted spellings and display per language. */
  choices?: readonly EnumChoice[];
  /**
   * `string` / `list`: `carrier_no` = a carrier number (保密编号) each; `period` = a secrecy period
   * (normalised to e.g. '10年'); absent on a `string` = free text (cleaned, at most `max` chars).
   */
  format?: 'carrier_no' | 'period';
  /** `int`: lower bound (default 1). */
  min?: number;
  /** `int`: upper bound; free text: maximum length; `list`/`openIds`: maximum number of items. */
  max?: number;
  /** Value when the field is absent (booleans, counts, an empty list of people). */
  default?: boolean | number | readonly string[];
}

/** A command's fields; `T` is the type of the parsed value (a phantom, for the parsers' results). */
export interface CommandSpec<T = unknown> {
  /** e.g. 'copy', 'carrier.add'. */
  name: string;
  keys: readonly KeySpec[];
  /** @internal type carrier only; never set. */
  readonly __value?: T;
}

export type InputResult<T> = { ok: true; value: T } | { ok: false; error: InputError };

// ---- vocabularies -------------------------------------------------------------------------------

export const CARRIER_TYPES = ['纸质', 'U盘', '移动硬盘', '光盘', '硬盘', '笔记本', '其他'] as const;
export type CarrierType = (typeof CARRIER_TYPES)[number];
const CARRIER_TYPE_CHOICES: readonly EnumChoice[] = [
  { value: '纸质', zh: '纸质', en: 'paper', aliases: ['纸质文件'] },
  { value: 'U盘', zh: 'U盘', en: 'usb', aliases: ['优盘'] },
  { value: '移动硬盘', zh: '移动硬盘', en: 'portable_disk' },
  { value: '光盘', zh: '光盘', en: 'optical' },
  { value: '硬盘', zh: '硬盘', en: 'disk' },
  { value: '笔记本', zh: '笔记本', en: 'laptop', aliases: ['笔记本电脑'] },
  { value: '其他', zh: '其他', en: 'other', aliases: ['其它'] },
];

export const COPY_METHODS = ['复印', '打印', '刻录', '拷贝'] as const;
export type CopyMethod = (typeof COPY_METHODS)[number];
const COPY_METHOD_CHOICES: readonly EnumChoice[] = [
  { value: '复印', zh: '复印', en: 'photocopy' },
  { value: '打印', zh: '打印', en: 'print' },
  { value: '刻录', zh: '刻录', en: 'burn' },
  { value: '拷贝', zh: '拷贝', en: 'copy' },
];

const DESTROY_EN: Record<DestroyMethod, string> = { 粉碎: 'shred', 焚烧: 'burn', 化浆: 'pulp', 消磁: 'degauss', 物理损毁: 'physical' };
const DESTROY_METHOD_CHOICES: readonly EnumChoice[] = DESTROY_METHODS.map((m) => ({ value: m, zh: m, en: DESTROY_EN[m] }));

export const CARRIER_STATUSES = ['IN_STOCK', 'CHECKED_OUT', 'PENDING_DESTRUCTION', 'DESTROYED'] as const satisfies readonly CarrierStatus[];
const STATUS_CHOICES: readonly EnumChoice[] = [
  { value: 'IN_STOCK', zh: '在库', en: 'in_stock' },
  { value: 'CHECKED_OUT', zh: '外携', en: 'checked_out', aliases: ['外出'] },
  { value: 'PENDING_DESTRUCTION', zh: '待销毁', en: 'pending_destruction' },
  { value: 'DESTROYED', zh: '已销毁', en: 'destroyed' },
];

const enumOf = (choices: readonly EnumChoice[]) => ({ kind: 'enum' as const, enum: choices.map((c) => c.value), choices });

// Limits match domain/content.ts, so whatever parses here also passes validateDetails.
const TEXT_SHORT = 100;
const TEXT_LONG = 200;
const MAX_PAGES = 100_000;
const MAX_CARRIERS = 20;
const MAX_PEOPLE = 10;

// ---- parsed values ------------------------------------------------------------------------------

export interface CarrierAddInput {
  no: string;
  level: Level;
  type: CarrierType;
  alias: string;
  period?: string;
  issuer?: string;
  copy_restricted: boolean;
  return_to_issuer: boolean;
  pages?: number;
  count: number;
  custodian?: string;
}

export interface CopyInput {
  carrier: string;
  copies: number;
  purpose: string;
  place?: string;
  pages?: number;
  method?: CopyMethod;
  ref?: string;
}

export interface CarryInput {
  carrier: string[];
  destination: string;
  /** YYYY-MM-DD */
  due: string;
  purpose: string;
  companions: string[];
  abroad: boolean;
}

export interface DestroyInput {
  carrier: string[];
  reason: string;
  method: DestroyMethod;
  site: string;
  date?: string;
}

/** Recording execution: which fields apply depends on the request kind (the handler decides). */
export interface CompleteInput {
  copies_made?: number;
  originals_returned?: boolean;
  waste_recovered?: boolean;
  device_wiped?: boolean;
  witnesses?: string[];
  date?: string;
}

export interface CarrierListInput {
  level?: Level;
  status?: CarrierStatus;
  type?: CarrierType;
  custodian?: string;
}

export interface InspectInput {
  ok: boolean;
  note?: string;
}

// ---- the specs ------------------------------------------------------------------------------------

const levelKey: KeySpec = { canonical: 'level', aliases: ['密级'], required: true, kind: 'level' };
const typeKey: KeySpec = { canonical: 'type', aliases: ['类别', '载体类别'], required: true, ...enumOf(CARRIER_TYPE_CHOICES) };
const carrierListKey: KeySpec = {
  canonical: 'carrier',
  aliases: ['载体', 'carriers', '载体编号'],
  required: true,
  kind: 'list',
  format: 'carrier_no',
  max: MAX_CARRIERS,
};
const purposeKey: KeySpec = { canonical: 'purpose', aliases: ['用途', '事由'], required: true, kind: 'string', max: TEXT_LONG };
const custodianKey: KeySpec = { canonical: 'custodian', aliases: ['保管人'], required: false, kind: 'openId' };

export const carrierAddSpec: CommandSpec<CarrierAddInput> = {
  name: 'carrier.add',
  keys: [
    { canonical: 'no', aliases: ['编号', '保密编号', 'number'], required: true, kind: 'string', format: 'carrier_no' },
    levelKey,
    typeKey,
    { canonical: 'alias', aliases: ['名称', '别名'], required: true, kind: 'string', max: TEXT_SHORT },
    { canonical: 'period', aliases: ['期限', '保密期限'], required: false, kind: 'string', format: 'period' },
    { canonical: 'issuer', aliases: ['制发单位'], required: false, kind: 'string', max: TEXT_SHORT },
    { canonical: 'copy_restricted', aliases: ['限制复制'], required: false, kind: 'bool', default: false },
    { canonical: 'return_to_issuer', aliases: ['清退'], required: false, kind: 'bool', default: false },
    { canonical: 'pages', aliases: ['页数'], required: false, kind: 'int', min: 1, max: MAX_PAGES },
    { canonical: 'count', aliases: ['份数'], required: false, kind: 'int', min: 1, max: 1000, default: 1 },
    custodianKey,
  ],
};

export const copySpec: CommandSpec<CopyInput> = {
  name: 'copy',
  keys: [
    { canonical: 'carrier', aliases: ['载体', '载体编号'], required: true, kind: 'string', format: 'carrier_no' },
    { canonical: 'copies', aliases: ['份数'], required: true, kind: 'int', min: 1, max: 100 },
    purposeKey,
    { canonical: 'place', aliases: ['地点', '复制地点'], required: false, kind: 'string', max: TEXT_SHORT },
    { canonical: 'pages', aliases: ['页数'], required: false, kind: 'int', min: 1, max: MAX_PAGES },
    { canonical: 'method', aliases: ['方式', '复制方式'], required: false, ...enumOf(COPY_METHOD_CHOICES) },
    { canonical: 'ref', aliases: ['批准文号', '文号'], required: false, kind: 'string', max: TEXT_SHORT },
  ],
};

export const carrySpec: CommandSpec<CarryInput> = {
  name: 'carry',
  keys: [
    carrierListKey,
    { canonical: 'destination', aliases: ['目的地', '地点'], required: true, kind: 'string', max: TEXT_SHORT },
    { canonical: 'due', aliases: ['归还日期', '返回日期', '应还日期'], required: true, kind: 'date' },
    purposeKey,
    { canonical: 'companions', aliases: ['同行人', 'companion'], required: false, kind: 'openIds', max: MAX_PEOPLE, default: [] },
    { canonical: 'abroad', aliases: ['出境', '境外'], required: false, kind: 'bool', default: false },
  ],
};

export const destroySpec: CommandSpec<DestroyInput> = {
  name: 'destroy',
  keys: [
    carrierListKey,
    { canonical: 'reason', aliases: ['原因', '事由'], required: true, kind: 'string', max: TEXT_LONG },
    { canonical: 'method', aliases: ['方式', '销毁方式'], required: true, ...enumOf(DESTROY_METHOD_CHOICES) },
    { canonical: 'site', aliases: ['地点', '销毁地点'], required: true, kind: 'string', max: TEXT_SHORT },
    { canonical: 'date', aliases: ['日期', '销毁日期'], required: false, kind: 'date' },
  ],
};

export const completeSpec: CommandSpec<CompleteInput> = {
  name: 'complete',
  keys: [
    { canonical: 'copies_made', aliases: ['实际份数'], required: false, kind: 'int', min: 1, max: 100 },
    // The copy register's supervision columns (docs/domain.md §6.5): never assumed, see copyAttestationsError.
    { canonical: 'originals_returned', aliases: ['原稿收回', '原件收回', 'originals'], required: false, kind: 'bool' },
    { canonical: 'waste_recovered', aliases: ['废页清点回收', '废页回收', 'waste'], required: false, kind: 'bool' },
    { canonical: 'device_wiped', aliases: ['设备数据清除', '设备清除', 'wiped'], required: false, kind: 'bool' },
    { canonical: 'witnesses', aliases: ['监销人', 'witness'], required: false, kind: 'openIds', max: MAX_PEOPLE },
    { canonical: 'date', aliases: ['日期'], required: false, kind: 'date' },
  ],
};

/**
 * What the security officer attests when registering a copy (复制登记: 原稿收回、废页清点回收、
 * 设备数据清除). Each must be said, yes or no: nothing is assumed.
 */
export const COPY_ATTESTATIONS = ['originals_returned', 'waste_recovered', 'device_wiped'] as const;
export type CopyAttestation = (typeof COPY_ATTESTATIONS)[number];

/**
 * `input.missing_attestations` naming every attestation not given (`params.fields`, canonical
 * names joined by ','), or undefined when all three are there. The `complete` spec cannot require
 * them itself: a destruction's `/complete` does not take them.
 */
export function copyAttestationsError(given: Partial<Record<CopyAttestation, boolean | undefined>>): InputError | undefined {
  const missing = COPY_ATTESTATIONS.filter((a) => typeof given[a] !== 'boolean');
  if (missing.length === 0) return undefined;
  return { ...inputError('input.missing_attestations', missing[0]!, { fields: missing.join(',') }), command: completeSpec.name };
}

export const carrierListSpec: CommandSpec<CarrierListInput> = {
  name: 'carrier.list',
  keys: [{ ...levelKey, required: false }, { canonical: 'status', aliases: ['状态'], required: false, ...enumOf(STATUS_CHOICES) }, { ...typeKey, required: false }, custodianKey],
};

export const inspectSpec: CommandSpec<InspectInput> = {
  name: 'inspect',
  keys: [
    { canonical: 'ok', aliases: ['合格'], required: true, kind: 'bool' },
    { canonical: 'note', aliases: ['备注'], required: false, kind: 'string', max: TEXT_LONG },
  ],
};

/** Every spec by name. */
export const COMMAND_SPECS = {
  'carrier.add': carrierAddSpec,
  copy: copySpec,
  carry: carrySpec,
  destroy: destroySpec,
  complete: completeSpec,
  'carrier.list': carrierListSpec,
  inspect: inspectSpec,
} as const;
export type CommandName = keyof typeof COMMAND_SPECS;

export function specByName(name: string): CommandSpec | undefined {
  return Object.hasOwn(COMMAND_SPECS, name) ? COMMAND_SPECS[name as CommandName] : undefined;
}

/** Every canonical field name of every spec (each has a label `field.<name>` in input.json). */
export const FIELD_NAMES: readonly string[] = [...new Set(Object.values(COMMAND_SPECS).flatMap((s) => s.keys.map((k) => k.canonical)))];

/** Free text = a `string` field without a format. */
export function isFreeText(k: KeySpec): boolean {
  return k.kind === 'string' && k.format === undefined;
}

// ---- key tables -----------------------------------------------------------------------------------

const tables = new WeakMap<CommandSpec, KeyTable>();

/** The spec's alias table (built once per spec). */
export function keyTableOf(spec: CommandSpec): KeyTable {
  let t = tables.get(spec);
  if (!t) {
    t = buildKeyTable(
      spec.keys.map((k) => ({
        canonical: k.canonical,
        aliases: k.aliases,
        continues: k.kind === 'list' || k.kind === 'openIds' || isFreeText(k),
      })),
    );
    tables.set(spec, t);
  }
  return t;
}

// ---- value parsing ----------------------------------------------------------------------------------

/** Raw strings longer than this are refused before any work (a form field is not a document). */
const MAX_RAW = 4000;

type FieldResult = { ok: true; value: unknown } | { ok: false; error: InputError } | { ok: true; absent: true };

const ABSENT: FieldResult = { ok: true, absent: true };
const fail = (error: InputError): FieldResult => ({ ok: false, error });

function matchChoice(k: KeySpec, raw: string): string | undefined {
  const s = normKey(raw);
  for (const c of k.choices ?? []) {
    if ([c.value, c.zh, c.en, ...(c.aliases ?? [])].some((x) => normKey(x) === s)) return c.value;
  }
  return undefined;
}

/** Items of a list value: a string is split; an array's strings are each split (multi-selects). */
function listItems(k: KeySpec, raw: unknown): { ok: true; items: string[] } | { ok: false; error: InputError } {
  const parts: string[] = [];
  const arr = Array.isArray(raw) ? (raw as unknown[]) : [raw];
  for (const x of arr) {
    if (typeof x !== 'string') return { ok: false, error: inputError('input.invalid_type', k.canonical) };
    if (x.length > MAX_RAW) return { ok: false, error: inputError('input.too_long', k.canonical, { max: MAX_RAW }) };
    parts.push(...splitList(x.normalize('NFKC')));
  }
  return { ok: true, items: parts };
}

function parseList(k: KeySpec, raw: unknown, one: (s: string) => string | null, badCode: 'input.invalid_number_format' | 'input.invalid_open_id'): FieldResult {
  const f = k.canonical;
  const r = listItems(k, raw);
  if (!r.ok) return fail(r.error);
  if (r.items.length === 0) return fail(inputError('input.empty_list', f));
  const max = k.max ?? MAX_CARRIERS;
  if (r.items.length > max) return fail(inputError('input.too_many', f, { max }));
  const out: string[] = [];
  for (const item of r.items) {
    const v = one(item);
    if (v === null) return fail(inputError(badCode, f, { value: show(item) }));
    if (out.includes(v)) return fail(inputError('input.duplicate_in_list', f, { value: show(v) }));
    out.push(v);
  }
  return { ok: true, value: out };
}

/** Absent: undefined, null, '' (after cleaning) and []. */
function isAbsent(raw: unknown): boolean {
  if (raw === undefined || raw === null) return true;
  if (typeof raw === 'string') return raw.length <= MAX_RAW && cleanText(raw) === '';
  if (Array.isArray(raw)) return raw.length === 0;
  return false;
}

/** One field: `raw` is a string from a command, or a form value (string, string[], number, boolean). */
function parseField(k: KeySpec, raw: unknown): FieldResult {
  const f = k.canonical;
  if (isAbsent(raw)) return ABSENT;
  if (k.kind === 'list') return parseList(k, raw, parseCarrierNo, 'input.invalid_number_format');
  if (k.kind === 'openIds') return parseList(k, raw, parseOpenId, 'input.invalid_open_id');

  // A single-valued field: a one-item array (a select sent as a list) counts as its item.
  let v: unknown = raw;
  if (Array.isArray(v)) {
    if (v.length !== 1) return fail(inputError('input.invalid_type', f));
    v = v[0];
  }
  if (k.kind === 'bool' && typeof v === 'boolean') return { ok: true, value: v };
  if (k.kind === 'int' && typeof v === 'number') {
    const min = k.min ?? 1;
    const max = k.max ?? 1_000_000;
    return Number.isInteger(v) && v >= min && v <= max ? { ok: true, value: v } : fail(inputError('input.invalid_int', f, { min, max, value: show(String(v)) }));
  }
  if (typeof v !== 'string') return fail(inputError('input.invalid_type', f));
  // Pasted content: free text says so; any other kind fails on (a bounded prefix of) the value.
  if (v.length > MAX_RAW && isFreeText(k)) return fail(inputError('input.too_long', f, { max: k.max ?? TEXT_LONG }));
  return parseString(k, v.length > MAX_RAW ? v.slice(0, MAX_RAW + 1) : v);
}

/** A single string value of a field (not a list). */
function parseString(k: KeySpec, v: string): FieldResult {
  const f = k.canonical;
  if (isAbsent(v)) return ABSENT;

  switch (k.kind) {
    case 'string': {
      if (k.format === 'carrier_no') {
        const s = cleanText(v.normalize('NFKC'));
        if (s.length > 64) return fail(inputError('input.too_long', f, { max: 64 }));
        const no = parseCarrierNo(s);
        return no === null ? fail(inputError('input.invalid_number_format', f, { value: show(v) })) : { ok: true, value: no };
      }
      if (k.format === 'period') {
        const p = parsePeriod(v);
        return p === null ? fail(inputError('input.invalid_period', f, { value: show(v) })) : { ok: true, value: p };
      }
      const s = cleanText(v);
      const max = k.max ?? TEXT_LONG;
      if (s.length > max) return fail(inputError('input.too_long', f, { max }));
      return { ok: true, value: s };
    }
    case 'int': {
      const min = k.min ?? 1;
      const max = k.max ?? 1_000_000;
      const n = parseIntIn(v, min, max);
      return n === null ? fail(inputError('input.invalid_int', f, { min, max, value: show(v) })) : { ok: true, value: n };
    }
    case 'bool': {
      const b = parseBool(v);
      return b === null ? fail(inputError('input.invalid_bool', f, { value: show(v) })) : { ok: true, value: b };
    }
    case 'date': {
      const d = parseDate(v);
      return d === null ? fail(inputError('input.invalid_date', f, { value: show(v) })) : { ok: true, value: d };
    }
    case 'level': {
      const l = parseLevel(cleanText(v.normalize('NFKC')).replace(/级$/, ''));
      return l === null ? fail(inputError('input.invalid_level', f, { value: show(v) })) : { ok: true, value: l };
    }
    case 'enum': {
      const c = matchChoice(k, v);
      const choices = (k.choices ?? []).map((x) => x.value).join(', ');
      return c === undefined ? fail(inputError('input.invalid_enum', f, { value: show(v), choices })) : { ok: true, value: c };
    }
    case 'openId': {
      const id = parseOpenId(v);
      return id === null ? fail(inputError('input.invalid_open_id', f, { value: show(v) })) : { ok: true, value: id };
    }
    default:
      return fail(inputError('input.invalid_type', f));
  }
}

const withCommand = (error: InputError, spec: CommandSpec): InputError => ({ ...error, command: spec.name });

/** Types every field of a spec from raw values keyed by canonical name, in the spec's order. */
function build<T>(spec: CommandSpec<T>, raws: ReadonlyMap<string, unknown>, partial = false): InputResult<T> {
  const out: Record<string, unknown> = {};
  for (const k of spec.keys) {
    const r = parseField(k, raws.get(k.canonical));
    if (!r.ok) return { ok: false, error: withCommand(r.error, spec) };
    if ('absent' in r) {
      if (partial) continue;
      if (k.required) return { ok: false, error: withCommand(inputError('input.missing_field', k.canonical), spec) };
      if (k.default !== undefined) out[k.canonical] = Array.isArray(k.default) ? [...k.default] : k.default;
      continue;
    }
    out[k.canonical] = r.value;
  }
  return { ok: true, value: out as T };
}

function guard<T>(spec: CommandSpec<T>, run: () => InputResult<T>): InputResult<T> {
  try {
    return run();
  } catch {
    // Not expected (the parsers are total); the contract is an answer, never an exception.
    return { ok: false, error: withCommand(inputError('input.invalid_input', 'text'), spec) };
  }
}

export interface ParseOptions {
  /**
   * Only what was given (a patch, e.g. for a resubmit): required fields may be absent and no
   * defaults are filled in. Given values are still checked in full.
   */
  partial?: boolean;
}

export interface FormOptions extends ParseOptions {
  /** Ignore form fields the spec does not know (e.g. a card's own extra inputs). Default: refuse. */
  ignoreUnknown?: boolean;
}

/**
 * Parses a typed command's arguments (`carrier=JM-1 份数=2 用途="季度 会议"`) against a spec.
 * Words that are not `key=value` (and do not continue a list or free-text value) are refused with
 * `input.unexpected_text`: strip any sub-command (`add`, `list`) or request id before calling.
 */
export function parseCommandInput<T>(spec: CommandSpec<T>, text: string, options?: ParseOptions & { partial?: false }): InputResult<T>;
export function parseCommandInput<T>(spec: CommandSpec<T>, text: string, options: ParseOptions & { partial: true }): InputResult<Partial<T>>;
export function parseCommandInput<T>(spec: CommandSpec<T>, text: string, options: ParseOptions = {}): InputResult<T> {
  return guard(spec, () => {
    const args = parseArgs(text, keyTableOf(spec));
    if (!args.ok) return { ok: false, error: withCommand(args.error, spec) };
    const stray = args.positional[0];
    if (stray !== undefined) return { ok: false, error: withCommand(inputError('input.unexpected_text', 'text', { value: show(stray) }), spec) };
    return build(spec, args.pairs, options.partial === true);
  });
}

/**
 * Parses a card's `form_value` (`{name: value}`: text inputs and selects are strings, multi-selects
 * string arrays, date pickers `"2026-12-01 +0800"`, checkers booleans; a `select_person` sends the
 * chosen open_id, a `multi_select_person` an array of open_ids, read by the `openId` / `openIds`
 * kinds) against a spec. Names are the canonical keys (aliases are accepted too).
 */
export function parseFormInput<T>(spec: CommandSpec<T>, formValue: Record<string, unknown>, options?: FormOptions & { partial?: false }): InputResult<T>;
export function parseFormInput<T>(spec: CommandSpec<T>, formValue: Record<string, unknown>, options: FormOptions & { partial: true }): InputResult<Partial<T>>;
export function parseFormInput<T>(spec: CommandSpec<T>, formValue: Record<string, unknown>, options: FormOptions = {}): InputResult<T> {
  return guard(spec, () => {
    if (typeof formValue !== 'object' || formValue === null || Array.isArray(formValue)) {
      return { ok: false, error: withCommand(inputError('input.invalid_type', 'text'), spec) };
    }
    const table = keyTableOf(spec);
    const raws = new Map<string, unknown>();
    const entries = Object.entries(formValue);
    if (entries.length > 100) return { ok: false, error: withCommand(inputError('input.too_long', 'text', { max: 100 }), spec) };
    for (const [name, value] of entries) {
      const canonical = table.names.get(normKey(name));
      if (canonical === undefined) {
        if (options.ignoreUnknown) continue;
        const typed = show(name);
        return { ok: false, error: withCommand(inputError('input.unknown_key', typed, { key: typed, allowed: table.allowed.join(', ') }), spec) };
      }
      if (raws.has(canonical) && !isAbsent(value) && !isAbsent(raws.get(canonical))) {
        return { ok: false, error: withCommand(inputError('input.duplicate_key', canonical, { key: show(name) }), spec) };
      }
      if (!raws.has(canonical) || isAbsent(raws.get(canonical))) raws.set(canonical, value);
    }
    return build(spec, raws, options.partial === true);
  });
}

// ---- in the reader's language -------------------------------------------------------------------

const HAN = /\p{Script=Han}/u;

/** The key a reader of `locale` types for a field: the first Chinese alias, or the English key. */
export function keyName(k: KeySpec, locale: Locale): string {
  if (locale === 'zh-CN') return k.aliases.find((a) => HAN.test(a)) ?? k.canonical;
  return k.canonical;
}

function choiceList(k: KeySpec, locale: Locale, sep: string): string {
  return (k.choices ?? []).map((c) => (locale === 'zh-CN' ? c.zh : c.en)).join(sep);
}

function kindText(k: KeySpec, locale: Locale): string {
  const t = translator(locale);
  const sep = t('input:help.list_separator');
  switch (k.kind) {
    case 'string':
      if (k.format === 'carrier_no') return t('input:kind.number');
      if (k.format === 'period') return t('input:kind.period');
      return t('input:kind.text', { max: k.max ?? TEXT_LONG });
    case 'list':
      return t('input:kind.numbers', { max: k.max ?? MAX_CARRIERS });
    case 'openIds':
      return t('input:kind.people', { max: k.max ?? MAX_PEOPLE });
    case 'openId':
      return t('input:kind.person');
    case 'int':
      return t('input:kind.int', { min: k.min ?? 1, max: k.max ?? 1_000_000 });
    case 'enum':
      return t('input:kind.enum', { choices: choiceList(k, locale, sep) });
    case 'bool':
    case 'date':
    case 'level':
      return t(`input:kind.${k.kind}`);
  }
}

/**
 * The usage of a command's keys in one language, one line per key (for `/help <command>`):
 * `` `份数=` 必填 · 整数 1–100 — 复制份数（也可写 copies） ``.
 */
export function helpLines(spec: CommandSpec, locale: Locale): string[] {
  const t = translator(locale);
  const sep = t('input:help.list_separator');
  return spec.keys.map((k) => {
    const key = keyName(k, locale);
    const details = [t(k.required ? 'input:help.required' : 'input:help.optional'), kindText(k, locale)];
    if (typeof k.default === 'boolean') details.push(t('input:help.default', { value: t(k.default ? 'input:help.yes' : 'input:help.no') }));
    else if (typeof k.default === 'number') details.push(t('input:help.default', { value: k.default }));
    const others = [k.canonical, ...k.aliases].filter((n) => n !== key);
    return t('input:help.line', {
      key,
      details: details.join(' · '),
      hint: t(`input:hint.${k.canonical}`),
      also: others.length ? t('input:help.also', { names: others.join(sep) }) : '',
    });
  });
}

/**
 * An error's params for `t('input:' + code, params)` in the reader's language: the field's label,
 * the accepted keys (`allowed`) and choices (`choices`) as that reader types them.
 */
export function localizeInputParams(error: InputError, locale: Locale): Record<string, string | number> {
  const t = translator(locale);
  const sep = t('input:help.list_separator');
  const p: Record<string, string | number> = { ...error.params };
  const spec = error.command !== undefined ? specByName(error.command) : undefined;
  const field = error.params.field;
  if (field === 'text' || FIELD_NAMES.includes(field)) p.field = t(`input:field.${field}`);
  if (spec && error.code === 'input.unknown_key') p.allowed = spec.keys.map((k) => keyName(k, locale)).join(sep);
  if (spec && error.code === 'input.missing_attestations') {
    // As the reader types them: `原稿收回=是|否` / `originals_returned=yes|no`.
    const yesNo = `${t('input:help.yes')}|${t('input:help.no')}`;
    p.fields = String(error.params.fields ?? '')
      .split(',')
      .flatMap((name) => spec.keys.filter((k) => k.canonical === name))
      .map((k) => `${keyName(k, locale)}=${yesNo}`)
      .join(sep);
  }
  if (spec && error.code === 'input.invalid_enum') {
    const k = spec.keys.find((x) => x.canonical === field);
    if (k) p.choices = choiceList(k, locale, sep);
  }
  return p;
}

/** The error as a message in one language. */
export function formatInputError(error: InputError, locale: Locale): string {
  return translator(locale)(`input:${error.code}`, localizeInputParams(error, locale));
}

/** The error in both languages (for cards and toasts). */
export function inputErrorBi(error: InputError): Bi {
  return { zh: formatInputError(error, 'zh-CN'), en: formatInputError(error, 'en-US') };
}
