/**
 * The committee's configuration: the planning months (BAOMI_COMMITTEE_MONTHS) and the vote rules
 * (BAOMI_VOTE_QUORUM, BAOMI_VOTE_PASS, BAOMI_VOTE_PERSONNEL) — defaults, accepted forms, and bad
 * values stopping start-up with the variable named.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseMonths, parseShare } from '../../../bot/core/config.js';
import { DEFAULT_VOTE_RULES } from '../../../handlers/committee/rules.js';

const refusal = (env: NodeJS.ProcessEnv): ConfigError => {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected loadConfig to refuse');
};

describe('committee configuration', () => {
  it('defaults: January and July; the vote rules of docs/domain.md §4', () => {
    const c = loadConfig({});
    expect(c.committee.months).toEqual([1, 7]);
    expect(c.committee.voteRules).toEqual(DEFAULT_VOTE_RULES);
  });

  it('reads the months and the rules', () => {
    const c = loadConfig({ BAOMI_COMMITTEE_MONTHS: ' 9, 3 ', BAOMI_VOTE_QUORUM: '>=2/3', BAOMI_VOTE_PASS: '> 3/5', BAOMI_VOTE_PERSONNEL: '≥3/4' });
    expect(c.committee.months).toEqual([3, 9]);
    expect(c.committee.voteRules).toEqual({
      quorum: { num: 2, den: 3, strict: false },
      pass: { num: 3, den: 5, strict: true },
      personnel: { num: 3, den: 4, strict: false },
    });
    expect(parseShare('>0/1')).toEqual({ num: 0, den: 1, strict: true });
    expect(parseMonths('12')).toEqual([12]);
  });

  it.each([
    ['BAOMI_COMMITTEE_MONTHS', '0,7'],
    ['BAOMI_COMMITTEE_MONTHS', '1,13'],
    ['BAOMI_COMMITTEE_MONTHS', '1,1'],
    ['BAOMI_COMMITTEE_MONTHS', 'jan,jul'],
    ['BAOMI_COMMITTEE_MONTHS', '1,,7'],
    ['BAOMI_VOTE_QUORUM', '1/2'],
    ['BAOMI_VOTE_QUORUM', '>3/2'],
    ['BAOMI_VOTE_PASS', '>1/0'],
    ['BAOMI_VOTE_PASS', '>0.5'],
    ['BAOMI_VOTE_PERSONNEL', '>=2/3 of all'],
  ])('a bad %s (%s) stops start-up naming it', (variable, value) => {
    const err = refusal({ [variable]: value });
    expect(err.variable).toBe(variable);
    expect(err.message).toContain(variable);
  });
});
