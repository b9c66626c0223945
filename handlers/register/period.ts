// A carrier's classification period and when it ends (docs/domain.md §1.2; Law 20, Reg 19).
//
// The period runs from the marked issue date (制发日期, `issuedOn`), or — when the register has none —
// from the day the carrier was registered, in the unit's time zone. "N年" ends on the same
// calendar day N years later, "N个月" N months later (a day the target month lacks — 29 February in
// a common year, the 31st of a short month — becomes that month's last day); an explicit date
// (解密时间) is the end itself. 长期 (long-term) and conditions (公布前, "会议开始前", any other text)
// have no date. A state-secret carrier marked without a period is held to the longest period of
// its level (30 / 20 / 10 years), as practice treats "机密★"; a trade secret without one has no end.
import { addDays, isIsoDate, localDate, type Level } from '../../domain/index.js';
import { parsePeriod } from '../input/index.js';

export type PeriodTerm =
  | { kind: 'years'; n: number }
  | { kind: 'months'; n: number }
  | { kind: 'date'; date: string }
  | { kind: 'none'; why: 'long_term' | 'condition' | 'unspecified' };

/** The longest period per state-secret level when none is marked (Law 20). */
export const MAX_YEARS: Partial<Record<Level, number>> = { TOP_SECRET: 30, SECRET: 20, CONFIDENTIAL: 10 };

/** Reads a period as stored ('10年', '6个月', '2030-06-30', '长期', '公布前', a mark "机密★10年", …). */
export function readPeriod(period: string | undefined, level: Level): PeriodTerm {
  const raw = (period ?? '').trim();
  // A whole mark ("机密★10年"): the period is what follows the star.
  const text = raw.includes('★') ? raw.slice(raw.lastIndexOf('★') + 1).trim() : raw;
  if (text === '') {
    const max = MAX_YEARS[level];
    return max ? { kind: 'years', n: max } : { kind: 'none', why: 'unspecified' };
  }
  const p = parsePeriod(text);
  if (p === null || p === '公布前') return { kind: 'none', why: 'condition' };
  if (p === '长期') return { kind: 'none', why: 'long_term' };
  const y = /^(\d+)年$/.exec(p);
  if (y) return { kind: 'years', n: Number(y[1]) };
  const m = /^(\d+)个月$/.exec(p);
  if (m) return { kind: 'months', n: Number(m[1]) };
  return isIsoDate(p) ? { kind: 'date', date: p } : { kind: 'none', why: 'condition' };
}

/** `date` plus `months` calendar months; a day the target month lacks becomes its last day. */
export function addMonths(date: string, months: number): string {
  if (!isIsoDate(date)) throw new RangeError(`not a date: ${date}`);
  const [y, mo, d] = date.split('-').map(Number) as [number, number, number];
  const index = y * 12 + (mo - 1) + months;
  const ty = Math.floor(index / 12);
  const tm = index - ty * 12;
  const last = new Date(Date.UTC(ty, tm + 1, 0)).getUTCDate();
  return `${String(ty).padStart(4, '0')}-${String(tm + 1).padStart(2, '0')}-${String(Math.min(d, last)).padStart(2, '0')}`;
}

/** Whole days from date `a` to date `b` (negative when b is before a). */
export function daysBetween(a: string, b: string): number {
  const t = (s: string) => Date.UTC(Number(s.slice(0, 4)), Number(s.slice(5, 7)) - 1, Number(s.slice(8, 10)));
  return Math.round((t(b) - t(a)) / 86_400_000);
}

export interface PeriodCarrier {
  level: Level;
  period?: string;
  issuedOn?: string;
  createdAt: Date;
}

/** The day the period starts: the issue date, else the registration day in the unit's zone. */
export function periodStart(c: PeriodCarrier, timezone: string): string {
  return c.issuedOn && isIsoDate(c.issuedOn) ? c.issuedOn : localDate(c.createdAt, timezone);
}

/** The day the period ends (the carrier is declassified that day), or null when it has no date. */
export function periodEnd(c: PeriodCarrier, timezone: string): string | null {
  const term = readPeriod(c.period, c.level);
  switch (term.kind) {
    case 'years':
      return addMonths(periodStart(c, timezone), 12 * term.n);
    case 'months':
      return addMonths(periodStart(c, timezone), term.n);
    case 'date':
      return term.date;
    case 'none':
      return null;
  }
}

/** The reminders before the end, in days (docs/domain.md §6.6: −90, −30, −7 and on the day). */
export const PERIOD_REMINDERS = { d90: 90, d30: 30, d7: 7, d0: 0 } as const;
export type PeriodReminder = keyof typeof PERIOD_REMINDERS;
export const PERIOD_REMINDER_KINDS = Object.keys(PERIOD_REMINDERS) as PeriodReminder[];

/** The local day reminder `k` of a period ending on `end` is due. */
export const reminderDay = (end: string, k: PeriodReminder): string => addDays(end, -PERIOD_REMINDERS[k]);
