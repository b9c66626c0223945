/**
 * The staff feature's settings: the defaults, BAOMI_PLEDGE_MONTHS and BAOMI_DECONTAMINATION_MONTHS
 * as typed, and a bad value stopping the bot with a ConfigError naming the variable; the month
 * arithmetic behind the pledge and decontamination dates.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../bot/core/config.js';
import { BotError } from '../../../bot/core/errors.js';
import type { Mention } from '../../../bot/core/types.js';
import { loadStaffConfig, parseDecontamination } from '../../../handlers/staff/config.js';
import { addMonths, noticeTime } from '../../../handlers/staff/dates.js';
import { staffFeature } from '../../../handlers/staff/index.js';

describe('staff settings', () => {
  it('defaults: the pledge yearly; decontamination core 36, important 24, general 12 months', () => {
    expect(loadStaffConfig({})).toEqual({ pledgeMonths: 12, decontamination: { core: 36, important: 24, general: 12 } });
    expect(loadStaffConfig({ BAOMI_PLEDGE_MONTHS: ' ', BAOMI_DECONTAMINATION_MONTHS: '' })).toEqual(loadStaffConfig({}));
  });

  it('reads the values as typed (English or Chinese class names; classes left out keep their default)', () => {
    expect(loadStaffConfig({ BAOMI_PLEDGE_MONTHS: '24', BAOMI_DECONTAMINATION_MONTHS: 'core=30,一般=6' })).toEqual({
      pledgeMonths: 24,
      decontamination: { core: 30, important: 24, general: 6 },
    });
    expect(parseDecontamination('core=36,important=24,general=12')).toEqual({ core: 36, important: 24, general: 12 });
  });

  for (const [variable, value] of [
    ['BAOMI_PLEDGE_MONTHS', '0'],
    ['BAOMI_PLEDGE_MONTHS', '12.5'],
    ['BAOMI_PLEDGE_MONTHS', 'yearly'],
    ['BAOMI_DECONTAMINATION_MONTHS', 'core=36,core=24'],
    ['BAOMI_DECONTAMINATION_MONTHS', 'secret=12'],
    ['BAOMI_DECONTAMINATION_MONTHS', 'core=0'],
    ['BAOMI_DECONTAMINATION_MONTHS', 'core:36'],
  ] as const)
    it(`${variable}=${value} stops the bot with a ConfigError naming the variable`, () => {
      let err: unknown;
      try {
        staffFeature({ env: { [variable]: value } } as never);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).variable).toBe(variable);
      expect((err as Error).message).toContain(variable);
    });

  it('months are added on the calendar, to the month’s last day when it has no such day; notices go at 09:00 local', () => {
    expect(addMonths('2026-12-15', 12)).toBe('2027-12-15');
    expect(addMonths('2027-01-31', 1)).toBe('2027-02-28');
    expect(addMonths('2028-01-31', 1)).toBe('2028-02-29');
    expect(addMonths('2026-11-30', 36)).toBe('2029-11-30');
    expect(noticeTime('2027-06-01', 'Asia/Shanghai').toISOString()).toBe('2027-06-01T01:00:00.000Z');
  });
});

describe('staff arguments', () => {
  it('takes the person as an open_id, as @open_id, or as a mention placeholder; a date, clearance= and months=', async () => {
    const { parseStaffArgs } = await import('../../../handlers/staff/commands.js');
    const id = 'ou_29eacd7ebd92f24f7e1a5dba6b277743';
    expect(parseStaffArgs([id, '2026-12-31'])).toEqual({ person: id, date: '2026-12-31' });
    expect(parseStaffArgs([`@${id}`, 'months=6'])).toEqual({ person: id, months: 6 });
    const mention: Mention = { key: '@_user_1', openId: id, name: '赵磊' };
    expect(parseStaffArgs(['@_user_1', 'clearance=core'], [mention])).toEqual({ person: id, clearance: 'core' });
    // A name typed after @ is no person (people are resolved, not typed): refused as an unknown word.
    let err: unknown;
    try {
      parseStaffArgs(['@赵磊']);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BotError);
    expect(err).toMatchObject({ key: 'staff:unknown_word', params: { value: '@赵磊' } });
  });
});
