/**
 * The period arithmetic (docs/domain.md §1.2): years and months from the issue date (else the
 * registration day in the unit's zone), explicit dates, 长期 and conditions without an end, the
 * level's longest period when none is marked, leap days and short months.
 */
import { describe, expect, it } from 'vitest';
import { addMonths, daysBetween, periodEnd, periodStart, readPeriod, reminderDay } from '../../../handlers/register/period.js';

const SH = 'Asia/Shanghai';

describe('readPeriod', () => {
  it('reads what /carrier add stores and what a mark shows', () => {
    expect(readPeriod('10年', 'SECRET')).toEqual({ kind: 'years', n: 10 });
    expect(readPeriod('6个月', 'SECRET')).toEqual({ kind: 'months', n: 6 });
    expect(readPeriod('2030-06-30', 'SECRET')).toEqual({ kind: 'date', date: '2030-06-30' });
    expect(readPeriod('机密★20年', 'SECRET')).toEqual({ kind: 'years', n: 20 });
    expect(readPeriod('10 years', 'CONFIDENTIAL')).toEqual({ kind: 'years', n: 10 });
  });

  it('长期 (long-term) and conditions have no end', () => {
    expect(readPeriod('长期', 'CORE')).toEqual({ kind: 'none', why: 'long_term' });
    expect(readPeriod('long-term', 'SECRET')).toEqual({ kind: 'none', why: 'long_term' });
    expect(readPeriod('公布前', 'SECRET')).toEqual({ kind: 'none', why: 'condition' });
    expect(readPeriod('机密★会议开始前', 'SECRET')).toEqual({ kind: 'none', why: 'condition' });
  });

  it('no period marked: the level’s longest (30 / 20 / 10 years); a trade secret has none', () => {
    expect(readPeriod(undefined, 'TOP_SECRET')).toEqual({ kind: 'years', n: 30 });
    expect(readPeriod('', 'SECRET')).toEqual({ kind: 'years', n: 20 });
    expect(readPeriod('机密★', 'CONFIDENTIAL')).toEqual({ kind: 'years', n: 10 });
    expect(readPeriod(undefined, 'ORDINARY')).toEqual({ kind: 'none', why: 'unspecified' });
  });
});

describe('addMonths', () => {
  it('keeps the day, or takes the month’s last day when it has none', () => {
    expect(addMonths('2026-12-15', 1)).toBe('2027-01-15');
    expect(addMonths('2026-01-31', 1)).toBe('2026-02-28');
    expect(addMonths('2024-01-31', 1)).toBe('2024-02-29');
    expect(addMonths('2026-08-31', 1)).toBe('2026-09-30');
    expect(addMonths('2026-03-31', -1)).toBe('2026-02-28');
  });

  it('leap days: 29 February plus whole years', () => {
    expect(addMonths('2024-02-29', 12)).toBe('2025-02-28');
    expect(addMonths('2024-02-29', 48)).toBe('2028-02-29');
    expect(addMonths('2024-02-29', 120)).toBe('2034-02-28');
  });

  it('refuses what is not a date', () => {
    expect(() => addMonths('2026-02-30', 1)).toThrow(RangeError);
  });
});

describe('periodEnd', () => {
  const base = { level: 'SECRET' as const, createdAt: new Date('2026-05-10T02:00:00Z') };

  it('N years / N months from the issue date', () => {
    expect(periodEnd({ ...base, period: '10年', issuedOn: '2017-03-01' }, SH)).toBe('2027-03-01');
    expect(periodEnd({ ...base, period: '6个月', issuedOn: '2026-08-31' }, SH)).toBe('2027-02-28');
    expect(periodEnd({ ...base, period: '1年', issuedOn: '2024-02-29' }, SH)).toBe('2025-02-28');
    expect(periodEnd({ ...base, period: '4年', issuedOn: '2024-02-29' }, SH)).toBe('2028-02-29');
  });

  it('an explicit date is the end; 长期 and conditions have none', () => {
    expect(periodEnd({ ...base, period: '2030-06-30', issuedOn: '2020-01-01' }, SH)).toBe('2030-06-30');
    expect(periodEnd({ ...base, period: '长期' }, SH)).toBeNull();
    expect(periodEnd({ ...base, period: '公布前' }, SH)).toBeNull();
  });

  it('no period: the level’s longest', () => {
    expect(periodEnd({ ...base, level: 'TOP_SECRET', issuedOn: '2000-07-01' }, SH)).toBe('2030-07-01');
  });

  it('without an issue date it runs from the registration day, in the unit’s time zone', () => {
    // 17:00 UTC on 31 March is already 1 April in Shanghai.
    const late = { level: 'SECRET' as const, period: '10年', createdAt: new Date('2026-03-31T17:00:00Z') };
    expect(periodStart(late, SH)).toBe('2026-04-01');
    expect(periodEnd(late, SH)).toBe('2036-04-01');
    expect(periodStart(late, 'UTC')).toBe('2026-03-31');
    expect(periodEnd(late, 'UTC')).toBe('2036-03-31');
    expect(periodStart({ ...late, issuedOn: '2020-02-02' }, SH)).toBe('2020-02-02');
  });
});

describe('reminders', () => {
  it('90, 30 and 7 days before, and on the day', () => {
    expect(reminderDay('2027-03-01', 'd90')).toBe('2026-12-01');
    expect(reminderDay('2027-03-01', 'd30')).toBe('2027-01-30');
    expect(reminderDay('2027-03-01', 'd7')).toBe('2027-02-22');
    expect(reminderDay('2027-03-01', 'd0')).toBe('2027-03-01');
    expect(daysBetween('2026-12-01', '2027-03-01')).toBe(90);
    expect(daysBetween('2027-03-01', '2026-12-01')).toBe(-90);
  });
});
