// The training feature's rules (DOMAIN §4.3): pure functions, no store, no clock of their own.
//
// - Targets: BAOMI_TRAINING_HOURS hours a year (default 10), at least BAOMI_TRAINING_UNIT_SHARE of
//   them (default 0.4, "单位统一组织的学时一般不少于总学时的2/5") organised by the unit;
//   BAOMI_TRAINING_TARGETS sets them per role (`{"security_officer":{"hours":15}}`): a person with
//   roles that have targets gets the strictest of those, anyone else the default.
// - Tallies: hours per person and year; the year is the one of the session's date in the unit's
//   time zone (set when the hours are credited). Hours are counted in tenths (no float drift).
// - The quarterly run (1 Jan/Apr/Jul/Oct): in April, July and October the year so far is measured
//   against the pro-rata target (¼, ½, ¾ of it); October's run is the final call. January's run
//   looks back on the whole previous year.
import { z } from 'zod';
import { ConfigError } from '../../bot/core/config.js';
import { BotError } from '../../bot/core/errors.js';
import { bilingual } from '../../locales/index.js';
import { isIsoDate, localDate, ROLES, type Role } from '../../domain/index.js';
import { TRAINING_FORMS, TRAINING_KINDS, type Audience, type TrainingForm, type TrainingKind } from '../../models/training.model.js';
import { localInstant } from '../committee/motions.js';

export interface Target {
  hours: number;
  unitShare: number;
}

export interface TrainingSettings {
  target: Target;
  byRole: Partial<Record<Role, Partial<Target>>>;
}

const hoursSchema = z.coerce.number({ error: 'must be a number of hours' }).positive({ error: 'must be more than 0' }).max(500, { error: 'must be at most 500' });
const shareSchema = z.coerce.number({ error: 'must be a number between 0 and 1' }).min(0, { error: 'must be between 0 and 1' }).max(1, { error: 'must be between 0 and 1' });
const roleTarget = z
  .strictObject({ hours: z.number().positive().max(500).optional(), unitShare: z.number().min(0).max(1).optional() })
  .refine((t) => t.hours !== undefined || t.unitShare !== undefined, {
    error: 'a role target needs hours or unitShare',
  });
const targetsSchema = z.partialRecord(z.enum(ROLES, { error: (i) => `unknown role ${JSON.stringify(i.input)}` }), roleTarget);

/** Reads and validates the feature's environment; throws ConfigError naming the bad variable. */
export function trainingSettings(env: Record<string, string | undefined>): TrainingSettings {
  const read = <T>(name: string, schema: z.ZodType<T>, fallback: T, json = false): T => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return fallback;
    let value: unknown = raw.trim();
    if (json) {
      try {
        value = JSON.parse(raw);
      } catch {
        throw new ConfigError(`${name} must be JSON, e.g. {"security_officer":{"hours":15}} (got ${JSON.stringify(raw)})`, name);
      }
    }
    const r = schema.safeParse(value);
    if (!r.success) {
      const i = r.error.issues[0]!;
      throw new ConfigError(`${name}${i.path.length ? `.${i.path.join('.')}` : ''} ${i.message} (got ${JSON.stringify(raw)})`, name);
    }
    return r.data;
  };
  return {
    target: { hours: read('BAOMI_TRAINING_HOURS', hoursSchema, 10), unitShare: read('BAOMI_TRAINING_UNIT_SHARE', shareSchema, 0.4) },
    byRole: read('BAOMI_TRAINING_TARGETS', targetsSchema, {}, true) as TrainingSettings['byRole'],
  };
}

/** The target of a person holding `roles`: the strictest among their roles' targets, else the default. */
export function targetFor(roles: readonly string[], s: TrainingSettings): Target {
  const own = roles.map((r) => s.byRole[r as Role]).filter((t): t is Partial<Target> => t !== undefined);
  if (own.length === 0) return s.target;
  return {
    hours: Math.max(...own.map((t) => t.hours ?? s.target.hours)),
    unitShare: Math.max(...own.map((t) => t.unitShare ?? s.target.unitShare)),
  };
}

const tenths = (h: number) => Math.round(h * 10);
const fromTenths = (t: number) => t / 10;

export interface Tally {
  hours: number;
  unit: number;
}

/** Hours per person in `year` (entries of other years are ignored). */
export function tally(entries: readonly { openId: string; year: number; hours: number; unitOrganised: boolean }[], year: number): Map<string, Tally> {
  const t = new Map<string, { hours: number; unit: number }>();
  for (const e of entries) {
    if (e.year !== year) continue;
    const cur = t.get(e.openId) ?? { hours: 0, unit: 0 };
    cur.hours += tenths(e.hours);
    if (e.unitOrganised) cur.unit += tenths(e.hours);
    t.set(e.openId, cur);
  }
  return new Map([...t].map(([k, v]) => [k, { hours: fromTenths(v.hours), unit: fromTenths(v.unit) }]));
}

export interface Standing {
  /** What is due by now (the whole target, or its pro-rata share). */
  needHours: number;
  needUnit: number;
  shortHours: number;
  shortUnit: number;
  /** Hours still to do, at the least (all of them unit-organised). */
  short: number;
  below: boolean;
}

/** A person's tally against their target, pro rata `fraction` (1 = the whole year). */
export function standing(t: Tally, target: Target, fraction = 1): Standing {
  const needHours = Math.round(tenths(target.hours) * fraction);
  const needUnit = Math.round(tenths(target.hours) * target.unitShare * fraction);
  const shortHours = Math.max(0, needHours - tenths(t.hours));
  const shortUnit = Math.max(0, needUnit - tenths(t.unit));
  const short = Math.max(shortHours, shortUnit);
  return {
    needHours: fromTenths(needHours),
    needUnit: fromTenths(needUnit),
    shortHours: fromTenths(shortHours),
    shortUnit: fromTenths(shortUnit),
    short: fromTenths(short),
    below: short > 0,
  };
}

export interface QuarterRun {
  /** The year measured. */
  year: number;
  /** Share of the yearly target due by now. */
  fraction: number;
  /** October: the last quarter begins. */
  finalCall: boolean;
  /** January: the previous year is over. */
  yearEnd: boolean;
  /** `YYYY-MM` of the slot (names its notices). */
  slotKey: string;
}

/** What the quarterly run on `slot` measures. */
export function quarterRun(slot: Date, tz: string): QuarterRun {
  const day = localDate(slot, tz);
  const y = Number(day.slice(0, 4));
  const m = Number(day.slice(5, 7));
  const quarters = Math.floor((m - 1) / 3);
  if (quarters === 0) return { year: y - 1, fraction: 1, finalCall: false, yearEnd: true, slotKey: day.slice(0, 7) };
  return { year: y, fraction: quarters / 4, finalCall: quarters === 3, yearEnd: false, slotKey: day.slice(0, 7) };
}

// ---- parsing

const KIND_NAMES: Record<string, TrainingKind> = {
  入职: 'onboarding',
  年度: 'annual',
  专题: 'topic',
  出境: 'abroad',
  出境前: 'abroad',
  出国: 'abroad',
  离岗: 'departure',
  离职: 'departure',
  定密: 'classification',
};
const FORM_NAMES: Record<string, TrainingForm> = { 讲座: 'lecture', 研讨: 'seminar', 案例: 'case', 在线: 'online', 线上: 'online' };
const ALL = new Set(['all', '全体', '全员', '所有人']);

function kindOf(v: string): TrainingKind {
  const k = (TRAINING_KINDS as readonly string[]).includes(v.toLowerCase()) ? (v.toLowerCase() as TrainingKind) : KIND_NAMES[v];
  if (!k) throw new BotError('training:bad_kind', { value: v });
  return k;
}

function formOf(v: string): TrainingForm {
  const f = (TRAINING_FORMS as readonly string[]).includes(v.toLowerCase()) ? (v.toLowerCase() as TrainingForm) : FORM_NAMES[v];
  if (!f) throw new BotError('training:bad_form', { value: v });
  return f;
}

/** A role by its id or its name in either language (保密员, security officer). */
export function roleOf(v: string): Role {
  const low = v.toLowerCase();
  for (const r of ROLES) {
    const name = bilingual(`cards:role.${r}`);
    if (r === low || name.zh === v || name.en.toLowerCase() === low) return r;
  }
  throw new BotError('training:bad_role', { value: v });
}

/** `2`, `1.5`, `2h`, `2小时`, `2学时`: more than 0, at most 24, in tenths. */
export function parseHours(v: string): number {
  const m = /^(\d{1,2}(?:\.\d)?)(?:h|小时|学时)?$/i.exec(v);
  const h = m ? Number(m[1]) : Number.NaN;
  if (!(h > 0 && h <= 24)) throw new BotError('training:bad_hours', { value: v });
  return h;
}

/** The audience as typed: a department still to be resolved by name or id. */
export type AudienceArg = { type: 'all' } | { type: 'dept'; dept: string } | { type: 'role'; role: Role };

export interface ScheduleArgs {
  title: string;
  at: Date;
  hours: number;
  audience: AudienceArg;
  form: TrainingForm;
  kind: TrainingKind;
}

const MAX_TITLE = 100;

function title(s: string): string {
  const t = s.replace(/\s+/g, ' ').trim();
  if (!t) throw new BotError('training:usage_schedule');
  if ([...t].length > MAX_TITLE) throw new BotError('training:title_too_long', { max: MAX_TITLE });
  return t;
}

/**
 * `<title> <YYYY-MM-DD> <HH:mm> <hours> [audience=all|dept=…|role=…] [form=…] [kind=…]`, with the
 * Chinese keys 对象= 部门= 角色= 形式= 类型= too.
 */
export function parseSchedule(args: string, tz: string): ScheduleArgs {
  const m = /^([\s\S]+?)\s+(\d{4}-\d{1,2}-\d{1,2})\s+(\d{1,2}:\d{2})\s+(\S+)((?:\s+[\s\S]*)?)$/.exec(args.trim());
  if (!m) throw new BotError('training:usage_schedule');
  const [, rawTitle, date, time, rawHours, rest] = m as unknown as [string, string, string, string, string, string];
  if (!isIsoDate(date)) throw new BotError('training:bad_time', { value: `${date} ${time}` });
  const at = localInstant(date, time, tz);
  if (!at) throw new BotError('training:bad_time', { value: `${date} ${time}` });
  const hours = parseHours(rawHours);
  let audience: AudienceArg | undefined;
  let form: TrainingForm = 'lecture';
  let kind: TrainingKind = 'annual';
  const setAudience = (a: AudienceArg) => {
    if (audience) throw new BotError('training:two_audiences');
    audience = a;
  };
  for (const token of rest.trim() ? rest.trim().split(/\s+/) : []) {
    const kv = /^([^=＝]+)[=＝](.+)$/.exec(token);
    if (!kv) throw new BotError('training:bad_option', { value: token });
    const key = kv[1]!.toLowerCase();
    const value = kv[2]!;
    if (key === 'audience' || key === '对象') {
      const sub = /^([^:：]+)[:：](.+)$/.exec(value);
      if (ALL.has(value.toLowerCase())) setAudience({ type: 'all' });
      else if (sub && ['dept', '部门'].includes(sub[1]!.toLowerCase())) setAudience({ type: 'dept', dept: sub[2]! });
      else if (sub && ['role', '角色'].includes(sub[1]!.toLowerCase())) setAudience({ type: 'role', role: roleOf(sub[2]!) });
      else throw new BotError('training:bad_audience', { value });
    } else if (key === 'dept' || key === '部门') setAudience({ type: 'dept', dept: value });
    else if (key === 'role' || key === '角色') setAudience({ type: 'role', role: roleOf(value) });
    else if (key === 'form' || key === '形式') form = formOf(value);
    else if (key === 'kind' || key === '类型' || key === '类别') kind = kindOf(value);
    else throw new BotError('training:bad_option', { value: token });
  }
  return { title: title(rawTitle), at, hours, audience: audience ?? { type: 'all' }, form, kind };
}

export interface LogArgs {
  date: string;
  hours: number;
  title: string;
}

/** `/training log <YYYY-MM-DD> <hours> <title>`: a past day of this year or the last. */
export function parseLog(args: string, now: Date, tz: string): LogArgs {
  const m = /^(\S+)\s+(\S+)\s+([\s\S]+)$/.exec(args.trim());
  if (!m) throw new BotError('training:usage_log');
  if (!isIsoDate(m[1])) throw new BotError('training:bad_date', { value: m[1]! });
  const today = localDate(now, tz);
  const earliest = `${Number(today.slice(0, 4)) - 1}-01-01`;
  if (m[1]! > today || m[1]! < earliest) throw new BotError('training:log_date_range', { from: earliest, to: today });
  return { date: m[1]!, hours: parseHours(m[2]!), title: title(m[3]!) };
}

/** `[year] [dept=…]` of /training report and export. */
export function parseReport(args: string, now: Date, tz: string): { year: number; dept?: string } {
  let year = Number(localDate(now, tz).slice(0, 4));
  let dept: string | undefined;
  for (const token of args.trim() ? args.trim().split(/\s+/) : []) {
    const kv = /^([^=＝]+)[=＝](.+)$/.exec(token);
    if (/^\d{4}$/.test(token)) year = Number(token);
    else if (kv && ['dept', '部门'].includes(kv[1]!.toLowerCase())) dept = kv[2]!;
    else throw new BotError('training:bad_option', { value: token });
  }
  if (year < 2000 || year > 2100) throw new BotError('training:bad_year', { value: String(year) });
  return { year, ...(dept ? { dept } : {}) };
}

/** The audience as stored, for display and records. */
export function audienceKey(a: Audience): string {
  return a.type === 'all' ? 'all' : a.type === 'dept' ? `dept:${a.deptId}` : `role:${a.role}`;
}
