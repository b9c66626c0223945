/**
 * The training rules without a store: the settings from the environment (a bad value names its
 * variable), targets per role, tallies per year, the standing against a (pro-rata) target, the
 * quarterly run's year and share (the year boundary in the unit's time zone), and parsing.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../bot/core/config.js';
import { parseLog, parseReport, parseSchedule, quarterRun, standing, tally, targetFor, trainingSettings } from '../../../handlers/training/rules.js';
import { trainingFeature } from '../../../handlers/training/index.js';
import { yearOf } from '../../../handlers/training/service.js';
import type { FeatureContext } from '../../../handlers/features.js';

const TZ = 'Asia/Shanghai';

describe('settings', () => {
  it('defaults to 10 h a year with 40 % organised by the unit', () => {
    expect(trainingSettings({})).toEqual({ target: { hours: 10, unitShare: 0.4 }, byRole: {} });
  });

  it('reads the hours, the share and per-role targets', () => {
    const s = trainingSettings({
      BAOMI_TRAINING_HOURS: '12',
      BAOMI_TRAINING_UNIT_SHARE: '0.5',
      BAOMI_TRAINING_TARGETS: '{"security_officer":{"hours":15},"staff":{"hours":4,"unitShare":0.25}}',
    });
    expect(s.target).toEqual({ hours: 12, unitShare: 0.5 });
    expect(s.byRole).toEqual({ security_officer: { hours: 15 }, staff: { hours: 4, unitShare: 0.25 } });
  });

  it.each([
    ['BAOMI_TRAINING_HOURS', 'ten'],
    ['BAOMI_TRAINING_HOURS', '0'],
    ['BAOMI_TRAINING_UNIT_SHARE', '1.5'],
    ['BAOMI_TRAINING_TARGETS', '{"security_officer":15}'],
    ['BAOMI_TRAINING_TARGETS', '{"janitor":{"hours":3}}'],
    ['BAOMI_TRAINING_TARGETS', '{"staff":{}}'],
    ['BAOMI_TRAINING_TARGETS', 'not json'],
  ])('%s=%s stops the start-up with a ConfigError naming the variable', (name, value) => {
    let err: unknown;
    try {
      trainingSettings({ [name]: value });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).variable).toBe(name);
    expect((err as Error).message).toContain(name);
  });

  it('the feature refuses to be built with a bad value (the bot does not start)', () => {
    const ctx = { env: { BAOMI_TRAINING_UNIT_SHARE: '-1' } } as unknown as FeatureContext;
    expect(() => trainingFeature(ctx)).toThrow(ConfigError);
    expect(trainingFeature({ env: {} } as unknown as FeatureContext).cadences?.map((c) => [c.name, c.cron])).toEqual([['training.quarterly', '0 9 1 1,4,7,10 *']]);
  });

  it('a person gets the strictest target among their roles, else the default', () => {
    const s = trainingSettings({ BAOMI_TRAINING_TARGETS: '{"security_officer":{"hours":15},"committee_member":{"hours":12,"unitShare":0.6},"staff":{"hours":4}}' });
    expect(targetFor([], s)).toEqual({ hours: 10, unitShare: 0.4 });
    expect(targetFor(['dept_head'], s)).toEqual({ hours: 10, unitShare: 0.4 });
    expect(targetFor(['security_officer'], s)).toEqual({ hours: 15, unitShare: 0.4 });
    expect(targetFor(['security_officer', 'committee_member'], s)).toEqual({ hours: 15, unitShare: 0.6 });
    expect(targetFor(['staff'], s)).toEqual({ hours: 4, unitShare: 0.4 });
  });
});

describe('tallies', () => {
  const e = (openId: string, year: number, hours: number, unitOrganised = true) => ({ openId, year, hours, unitOrganised });

  it('counts a person’s hours and the unit-organised share in one year only', () => {
    const t = tally([e('a', 2026, 2), e('a', 2026, 1.5, false), e('a', 2027, 3), e('b', 2026, 0.1), e('b', 2026, 0.2)], 2026);
    expect(t.get('a')).toEqual({ hours: 3.5, unit: 2 });
    // Tenths, not floats: 0.1 + 0.2 is 0.3.
    expect(t.get('b')).toEqual({ hours: 0.3, unit: 0.3 });
    expect(tally([e('a', 2026, 2), e('a', 2027, 3)], 2027).get('a')).toEqual({ hours: 3, unit: 3 });
  });

  it('a session’s year is its date in the unit’s time zone (01:00 on 1 January in Beijing is 17:00 UTC the day before)', () => {
    expect(yearOf(new Date('2026-12-31T17:00:00Z'), TZ)).toBe(2027);
    expect(yearOf(new Date('2026-12-31T15:59:00Z'), TZ)).toBe(2026);
    expect(yearOf(new Date('2026-12-31T17:00:00Z'), 'UTC')).toBe(2026);
  });

  it('the standing: short of the hours, or of the unit-organised share, is below target', () => {
    const target = { hours: 10, unitShare: 0.4 };
    expect(standing({ hours: 10, unit: 4 }, target)).toMatchObject({ below: false, short: 0 });
    // Enough hours but too few organised by the unit.
    expect(standing({ hours: 12, unit: 3 }, target)).toMatchObject({ below: true, shortHours: 0, shortUnit: 1, short: 1 });
    expect(standing({ hours: 6, unit: 1 }, target)).toMatchObject({ below: true, shortHours: 4, shortUnit: 3, short: 4 });
    // Pro rata: half the year, half the target.
    expect(standing({ hours: 5, unit: 2 }, target, 0.5)).toMatchObject({ needHours: 5, needUnit: 2, below: false });
    expect(standing({ hours: 4.9, unit: 2 }, target, 0.5)).toMatchObject({ below: true, short: 0.1 });
  });
});

describe('the quarterly run', () => {
  it('April, July and October measure the year so far pro rata; October is the final call; January looks back on the year', () => {
    // 09:00 in Beijing on the 1st is 01:00 UTC.
    expect(quarterRun(new Date('2026-04-01T01:00:00Z'), TZ)).toEqual({ year: 2026, fraction: 0.25, finalCall: false, yearEnd: false, slotKey: '2026-04' });
    expect(quarterRun(new Date('2026-07-01T01:00:00Z'), TZ)).toMatchObject({ year: 2026, fraction: 0.5, finalCall: false });
    expect(quarterRun(new Date('2026-10-01T01:00:00Z'), TZ)).toMatchObject({ year: 2026, fraction: 0.75, finalCall: true, slotKey: '2026-10' });
    // 1 January 2027 09:00 local is still 2026 in UTC: the run is about the whole of 2026.
    expect(quarterRun(new Date('2027-01-01T01:00:00Z'), TZ)).toEqual({ year: 2026, fraction: 1, finalCall: false, yearEnd: true, slotKey: '2027-01' });
  });
});

describe('parsing', () => {
  it('/training schedule with English keys', () => {
    const a = parseSchedule('Annual briefing on carriers 2027-01-05 09:30 2 dept=R&D form=seminar kind=topic', TZ);
    expect(a).toEqual({
      title: 'Annual briefing on carriers',
      at: new Date('2027-01-05T01:30:00Z'),
      hours: 2,
      audience: { type: 'dept', dept: 'R&D' },
      form: 'seminar',
      kind: 'topic',
    });
  });

  it('/培训 安排 with Chinese keys and values; the defaults', () => {
    expect(parseSchedule('新员工保密教育 2027-01-05 14:00 1.5学时 对象=全体 形式=案例 类型=入职', TZ)).toMatchObject({
      title: '新员工保密教育',
      hours: 1.5,
      audience: { type: 'all' },
      form: 'case',
      kind: 'onboarding',
    });
    expect(parseSchedule('培训 2027-01-05 14:00 2 角色=保密员', TZ)).toMatchObject({ audience: { type: 'role', role: 'security_officer' }, form: 'lecture', kind: 'annual' });
    expect(parseSchedule('培训 2027-01-05 14:00 2 对象=部门:研发部', TZ)).toMatchObject({ audience: { type: 'dept', dept: '研发部' } });
    expect(parseSchedule('Briefing 2027-01-05 14:00 2h audience=role:committee_member', TZ)).toMatchObject({ audience: { type: 'role', role: 'committee_member' }, hours: 2 });
  });

  it.each([
    ['2027-01-05 14:00 2', 'training:usage_schedule'],
    ['Briefing 2027-02-30 14:00 2', 'training:bad_time'],
    ['Briefing 2027-01-05 25:00 2', 'training:bad_time'],
    ['Briefing 2027-01-05 14:00 0', 'training:bad_hours'],
    ['Briefing 2027-01-05 14:00 30', 'training:bad_hours'],
    ['Briefing 2027-01-05 14:00 1.25', 'training:bad_hours'],
    ['Briefing 2027-01-05 14:00 2 dept=R&D role=staff', 'training:two_audiences'],
    ['Briefing 2027-01-05 14:00 2 kind=fun', 'training:bad_kind'],
    ['Briefing 2027-01-05 14:00 2 形式=唱歌', 'training:bad_form'],
    ['Briefing 2027-01-05 14:00 2 role=janitor', 'training:bad_role'],
    ['Briefing 2027-01-05 14:00 2 room=5', 'training:bad_option'],
    ['Briefing 2027-01-05 14:00 2 extra words', 'training:bad_option'],
    ['Briefing 2027-01-05 14:00 2 audience=everyone', 'training:bad_audience'],
    [`${'长'.repeat(101)} 2027-01-05 14:00 2`, 'training:title_too_long'],
  ])('refuses %s with %s', (args, key) => {
    expect(() => parseSchedule(args, TZ)).toThrow(expect.objectContaining({ key }));
  });

  it('/training log: a past day of this year or the last, hours, a title', () => {
    const now = new Date('2026-11-30T04:00:00Z');
    expect(parseLog('2026-11-02 3 External course on trade secrets', now, TZ)).toEqual({ date: '2026-11-02', hours: 3, title: 'External course on trade secrets' });
    expect(parseLog('2025-01-01 1 x', now, TZ).date).toBe('2025-01-01');
    expect(() => parseLog('2026-12-01 1 x', now, TZ)).toThrow(expect.objectContaining({ key: 'training:log_date_range' }));
    expect(() => parseLog('2024-12-31 1 x', now, TZ)).toThrow(expect.objectContaining({ key: 'training:log_date_range' }));
    expect(() => parseLog('2026-11-02 3', now, TZ)).toThrow(expect.objectContaining({ key: 'training:usage_log' }));
    expect(() => parseLog('yesterday 3 x', now, TZ)).toThrow(expect.objectContaining({ key: 'training:bad_date' }));
  });

  it('/training report: the year (default this one, in the unit’s time zone) and a department', () => {
    expect(parseReport('', new Date('2026-12-31T16:30:00Z'), TZ)).toEqual({ year: 2027 });
    expect(parseReport('2025 部门=研发部', new Date('2026-11-30T00:00:00Z'), TZ)).toEqual({ year: 2025, dept: '研发部' });
    expect(() => parseReport('last', new Date(), TZ)).toThrow(expect.objectContaining({ key: 'training:bad_option' }));
  });
});
