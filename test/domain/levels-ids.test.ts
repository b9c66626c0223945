import { describe, expect, it } from 'vitest';
import { formatRequestId, levelRank, maxLevel, parseLevel, parseRequestId, regimeOf } from '../../domain/index.js';
import { addDays, endOfLocalDay, isIsoDate, localDate, startOfLocalDay } from '../../domain/time.js';

describe('levels', () => {
  it.each([
    ['绝密', 'TOP_SECRET'],
    ['top_secret', 'TOP_SECRET'],
    ['Top Secret', 'TOP_SECRET'],
    ['TOP-SECRET', 'TOP_SECRET'],
    [' 机密 ', 'SECRET'],
    ['SECRET', 'SECRET'],
    ['秘密', 'CONFIDENTIAL'],
    ['Confidential', 'CONFIDENTIAL'],
    ['核心商密', 'CORE'],
    ['核心商业秘密', 'CORE'],
    ['CORE', 'CORE'],
    ['普通商密', 'ORDINARY'],
    ['ordinary', 'ORDINARY'],
  ])('parseLevel(%j) = %s', (input, level) => {
    expect(parseLevel(input)).toBe(level);
  });

  it.each(['', '内部', 'public', '绝 密', 'secrets', '机密★10年'])('parseLevel(%j) = null', (input) => {
    expect(parseLevel(input)).toBeNull();
  });

  it('ranks within a regime and refuses mixing', () => {
    expect(levelRank('TOP_SECRET')).toBeGreaterThan(levelRank('SECRET'));
    expect(levelRank('SECRET')).toBeGreaterThan(levelRank('CONFIDENTIAL'));
    expect(levelRank('CORE')).toBeGreaterThan(levelRank('ORDINARY'));
    expect(regimeOf('CORE')).toBe('TRADE_SECRET');
    expect(regimeOf('CONFIDENTIAL')).toBe('STATE_SECRET');
    expect(maxLevel(['CONFIDENTIAL', 'TOP_SECRET', 'SECRET'])).toEqual({ ok: true, level: 'TOP_SECRET', regime: 'STATE_SECRET' });
    expect(maxLevel(['ORDINARY', 'CORE'])).toEqual({ ok: true, level: 'CORE', regime: 'TRADE_SECRET' });
    expect(maxLevel(['SECRET', 'ORDINARY'])).toEqual({ ok: false, error: { code: 'workflow.mixed_regimes' } });
    expect(maxLevel([])).toEqual({ ok: false, error: { code: 'workflow.no_carriers' } });
  });
});

describe('request ids', () => {
  it('formats per kind with a 4-digit sequence', () => {
    expect(formatRequestId('COPY', 2026, 1)).toBe('CP-2026-0001');
    expect(formatRequestId('CARRY_OUT', 2026, 42)).toBe('CO-2026-0042');
    expect(formatRequestId('DESTROY', 2027, 12345)).toBe('DS-2027-12345');
    expect(() => formatRequestId('COPY', 2026, 0)).toThrow(RangeError);
  });

  it('parses case-insensitively and validates', () => {
    expect(parseRequestId('cp-2026-0001')).toEqual({ id: 'CP-2026-0001', kind: 'COPY', year: 2026, seq: 1 });
    expect(parseRequestId(' CO-2026-0042 ')).toMatchObject({ kind: 'CARRY_OUT', seq: 42 });
    expect(parseRequestId('ds-2027-12345')).toMatchObject({ id: 'DS-2027-12345', kind: 'DESTROY' });
    for (const bad of ['', 'CP-2026-1', 'XX-2026-0001', 'CP-26-0001', 'CP-2026-0000', 'CP_2026_0001', 'CP-2026-0001x', 42 as never]) {
      expect(parseRequestId(bad)).toBeNull();
    }
    // round trip
    for (const kind of ['COPY', 'CARRY_OUT', 'DESTROY'] as const) {
      expect(parseRequestId(formatRequestId(kind, 2026, 7))?.kind).toBe(kind);
    }
  });
});

describe('calendar in the unit timezone', () => {
  it('finds local dates and day boundaries', () => {
    expect(localDate(new Date('2026-03-04T15:59:59Z'), 'Asia/Shanghai')).toBe('2026-03-04');
    expect(localDate(new Date('2026-03-04T16:00:00Z'), 'Asia/Shanghai')).toBe('2026-03-05');
    expect(startOfLocalDay('2026-03-05', 'Asia/Shanghai').toISOString()).toBe('2026-03-04T16:00:00.000Z');
    expect(endOfLocalDay('2026-12-31', 'Asia/Shanghai').toISOString()).toBe('2026-12-31T16:00:00.000Z');
    // a DST change day in New York (2026-03-08: 23 hours long)
    expect(startOfLocalDay('2026-03-08', 'America/New_York').toISOString()).toBe('2026-03-08T05:00:00.000Z');
    expect(endOfLocalDay('2026-03-08', 'America/New_York').toISOString()).toBe('2026-03-09T04:00:00.000Z');
    expect(addDays('2026-02-28', 1)).toBe('2026-03-01');
    expect(isIsoDate('2026-02-29')).toBe(false);
    expect(isIsoDate('2028-02-29')).toBe(true);
  });
});
