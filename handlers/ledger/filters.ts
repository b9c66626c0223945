// The arguments of `/ledger` and `/export`: which ledger(s), a date range in the unit's timezone,
// and `key=value` filters in English or Chinese. Pure: bad input becomes a `FilterError` whose
// `code` is a key under `ledger:bad.` and whose `value` is what the user typed.
import { cleanText } from '../input/args.js';
import { addDays, isIsoDate, parseLevel, startOfLocalDay, type Level } from '../../domain/index.js';
import { LEDGER_KINDS, type LedgerKind } from '../../models/ledger-reader.js';

export type FilterKey = 'dept' | 'level' | 'user' | 'status' | 'carrier' | 'format';

export interface LedgerQuery {
  kinds: LedgerKind[];
  range?: { from: Date; to: Date; fromDay: string; toDay: string; text: string };
  dept?: string;
  level?: Level;
  user?: string;
  /** As typed; resolved per kind by `statusChoices`. */
  status?: string;
  carrier?: string;
  format?: 'xlsx' | 'csv';
}

export type FilterError = { code: 'kind' | 'range' | 'level' | 'user' | 'carrier' | 'format' | 'key' | 'twice' | 'text' | 'year'; value: string };
export type Parsed<T> = { ok: true; value: T } | { ok: false; error: FilterError };

const KIND_NAMES: Record<string, LedgerKind> = {
  master: 'MASTER',
  总账: 'MASTER',
  总台账: 'MASTER',
  台账: 'MASTER',
  copy: 'COPY',
  复制: 'COPY',
  carry: 'CARRY',
  外携: 'CARRY',
  外出: 'CARRY',
  destroy: 'DESTROY',
  销毁: 'DESTROY',
  audit: 'AUDIT',
  审计: 'AUDIT',
  incident: 'INCIDENT',
  incidents: 'INCIDENT',
  事件: 'INCIDENT',
  泄密事件: 'INCIDENT',
};
const ALL = new Set(['all', '全部']);

const KEYS: Record<string, FilterKey> = {
  dept: 'dept',
  department: 'dept',
  部门: 'dept',
  level: 'level',
  密级: 'level',
  user: 'user',
  person: 'user',
  人员: 'user',
  用户: 'user',
  人: 'user',
  status: 'status',
  event: 'status',
  状态: 'status',
  事件: 'status',
  carrier: 'carrier',
  载体: 'carrier',
  编号: 'carrier',
  format: 'format',
  格式: 'format',
};

const OPEN_ID = /^ou_[A-Za-z0-9]{1,64}$/;
const CARRIER = /^[\p{L}\p{N}][\p{L}\p{N}_./-]{0,63}$/u;
const MAX_VALUE = 64;

export function kindOf(token: string): LedgerKind | undefined {
  return KIND_NAMES[token.toLowerCase()];
}

/** `2026`, `2026-H1`, `2026-Q3`, `2026-03`, `2026-03-01`, `2026-01-01..2026-06-30` → local days. */
export function parseRange(token: string, tz: string): LedgerQuery['range'] | undefined {
  const t = token.replace(/[～~至]/g, '..').replace(/[–—]/g, '..');
  let fromDay: string | undefined;
  let toDay: string | undefined; // inclusive
  const pad = (n: number) => String(n).padStart(2, '0');
  const monthEnd = (y: number, m: number) => `${y}-${pad(m)}-${pad(new Date(Date.UTC(y, m, 0)).getUTCDate())}`;
  let m: RegExpExecArray | null;
  if ((m = /^(\d{4})$/.exec(t))) {
    fromDay = `${m[1]}-01-01`;
    toDay = `${m[1]}-12-31`;
  } else if ((m = /^(\d{4})-?[Hh]([12])$/.exec(t))) {
    const y = Number(m[1]);
    fromDay = m[2] === '1' ? `${y}-01-01` : `${y}-07-01`;
    toDay = m[2] === '1' ? `${y}-06-30` : `${y}-12-31`;
  } else if ((m = /^(\d{4})-?[Qq]([1-4])$/.exec(t))) {
    const y = Number(m[1]);
    const q = Number(m[2]);
    fromDay = `${y}-${pad(q * 3 - 2)}-01`;
    toDay = monthEnd(y, q * 3);
  } else if ((m = /^(\d{4})-(\d{2})$/.exec(t)) && Number(m[2]) >= 1 && Number(m[2]) <= 12) {
    fromDay = `${m[1]}-${m[2]}-01`;
    toDay = monthEnd(Number(m[1]), Number(m[2]));
  } else if (isIsoDate(t)) {
    fromDay = t;
    toDay = t;
  } else if ((m = /^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$/.exec(t))) {
    fromDay = m[1];
    toDay = m[2];
  }
  if (!fromDay || !toDay || !isIsoDate(fromDay) || !isIsoDate(toDay) || toDay < fromDay) return undefined;
  const from = startOfLocalDay(fromDay, tz);
  const to = startOfLocalDay(addDays(toDay, 1), tz);
  return { from, to, fromDay, toDay, text: fromDay === toDay ? fromDay : `${fromDay}..${toDay}` };
}

const looksLikeRange = (t: string) => /^\d{4}/.test(t);

/**
 * Parses the arguments. `many`: several ledgers may be named (`/export copy carry`, `all`);
 * otherwise exactly one.
 */
export function parseLedgerArgs(args: string, opts: { tz: string; many?: boolean; allowFormat?: boolean }): Parsed<LedgerQuery> {
  // Whitespace separates; a quoted part ("General Affairs", “综合 处”) stays one token.
  const tokens = (
    cleanText(args)
      .replace(/[＝]/g, '=')
      .match(/(?:[^\s"“”]+|"[^"]*"|“[^”]*”)+/g) ?? []
  )
    .map((t) => t.replace(/["“”]/g, ''))
    .filter(Boolean);
  const q: LedgerQuery = { kinds: [] };
  const fail = (code: FilterError['code'], value: string): Parsed<LedgerQuery> => ({ ok: false, error: { code, value: value.slice(0, MAX_VALUE) } });
  const seen = new Set<FilterKey>();
  for (let i = 0; i < tokens.length; i++) {
    let tok = tokens[i]!;
    const eq = tok.indexOf('=');
    if (eq < 0) {
      const kind = kindOf(tok);
      if (kind) {
        if (!q.kinds.includes(kind)) q.kinds.push(kind);
        continue;
      }
      if (opts.many && ALL.has(tok.toLowerCase())) {
        for (const k of LEDGER_KINDS) if (!q.kinds.includes(k)) q.kinds.push(k);
        continue;
      }
      if (looksLikeRange(tok)) {
        if (q.range) return fail('twice', tok);
        const range = parseRange(tok, opts.tz);
        if (!range) return fail('range', tok);
        q.range = range;
        continue;
      }
      return q.kinds.length === 0 && i === 0 ? fail('kind', tok) : fail('text', tok);
    }
    const rawKey = tok.slice(0, eq);
    let value = tok.slice(eq + 1);
    // `user= ou_x` (an @-mention becomes an open_id with a space before it).
    if (value === '' && i + 1 < tokens.length && !tokens[i + 1]!.includes('=')) value = tokens[++i]!;
    tok = rawKey;
    const key = KEYS[rawKey.toLowerCase()];
    if (!key || (key === 'format' && !opts.allowFormat)) return fail('key', rawKey);
    if (seen.has(key)) return fail('twice', rawKey);
    seen.add(key);
    if (value === '' || value.length > MAX_VALUE) return fail(key === 'dept' || key === 'status' ? 'text' : key, value || rawKey);
    switch (key) {
      case 'dept':
        q.dept = value;
        break;
      case 'level': {
        const level = parseLevel(value);
        if (!level) return fail('level', value);
        q.level = level;
        break;
      }
      case 'user':
        if (!OPEN_ID.test(value.replace(/^@/, ''))) return fail('user', value);
        q.user = value.replace(/^@/, '');
        break;
      case 'status':
        q.status = value;
        break;
      case 'carrier':
        if (!CARRIER.test(value)) return fail('carrier', value);
        q.carrier = value.normalize('NFKC').toUpperCase();
        break;
      case 'format': {
        const f = value.toLowerCase();
        if (f !== 'xlsx' && f !== 'csv' && f !== 'excel') return fail('format', value);
        q.format = f === 'csv' ? 'csv' : 'xlsx';
        break;
      }
    }
  }
  if (q.kinds.length === 0) return fail('kind', '');
  if (!opts.many && q.kinds.length > 1) return fail('kind', tokens.join(' '));
  return { ok: true, value: q };
}

/** The query written back as arguments (carried by the paging buttons, shown as an export hint). */
export function queryArgs(q: LedgerQuery): string {
  const parts: string[] = q.kinds.map((k) => k.toLowerCase());
  if (q.range) parts.push(q.range.text);
  if (q.dept) parts.push(`dept=${q.dept}`);
  if (q.level) parts.push(`level=${q.level}`);
  if (q.user) parts.push(`user=${q.user}`);
  if (q.status) parts.push(`status=${q.status}`);
  if (q.carrier) parts.push(`carrier=${q.carrier}`);
  if (q.format) parts.push(`format=${q.format}`);
  return parts.join(' ');
}

/** `/ledger stats [year]`: the year (default: this year in the unit's timezone). */
export function parseYear(arg: string | undefined, thisYear: number): number | undefined {
  if (!arg) return thisYear;
  return /^\d{4}$/.test(arg) && Number(arg) >= 2000 && Number(arg) <= 2100 ? Number(arg) : undefined;
}
