// Calendar arithmetic on local dates (YYYY-MM-DD): pledges re-signed after N months, the
// decontamination period's end, the instant a date's notice is due in the unit's time zone.
import { isIsoDate, startOfLocalDay } from '../../domain/index.js';
import { localInstant } from '../committee/motions.js';

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** The same day `n` months later; the month's last day when it has no such day (01-31 + 1 → 02-28). */
export function addMonths(date: string, n: number): string {
  if (!isIsoDate(date)) throw new RangeError(`not a date: ${date}`);
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const total = y * 12 + (m - 1) + n;
  const ny = Math.floor(total / 12);
  const nm = total - ny * 12;
  const last = new Date(Date.UTC(ny, nm + 1, 0)).getUTCDate();
  return `${pad(ny, 4)}-${pad(nm + 1)}-${pad(Math.min(d, last))}`;
}

/** When a notice about a date goes out: 09:00 that day in the unit's time zone. */
export function noticeTime(date: string, tz: string): Date {
  return localInstant(date, '09:00', tz) ?? startOfLocalDay(date, tz);
}
