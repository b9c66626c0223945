import { describe, expect, it } from 'vitest';
import { checkRules, decide, DEFAULT_VOTE_RULES, isOpen, reaches, tally, type Tally } from '../../../handlers/committee/rules.js';

const t = (yes: number, no: number, abstain: number): Tally => ({ yes, no, abstain });

describe('vote rules (defaults: quorum > 1/2, pass > 1/2 of all members, personnel ≥ 2/3)', () => {
  it('quorum: more than half of the members must vote (abstentions count), exactly half is not enough', () => {
    expect(decide('policy', 10, t(5, 0, 0)).quorate).toBe(false);
    expect(decide('policy', 10, t(5, 0, 0)).outcome).toBe('no_quorum');
    expect(decide('policy', 10, t(5, 0, 1)).quorate).toBe(true);
    expect(decide('policy', 7, t(0, 0, 3)).quorate).toBe(false);
    expect(decide('policy', 7, t(0, 0, 4)).quorate).toBe(true);
  });

  it('passing needs more than half of ALL members entitled to vote, not of those present', () => {
    // 7 members, 4 vote: 3 for, 1 against — a majority of those voting but not of the members.
    expect(decide('policy', 7, t(3, 1, 0)).outcome).toBe('rejected');
    expect(decide('policy', 7, t(4, 0, 0)).outcome).toBe('passed');
    // 10 members: 5 for is exactly half → not passed; 6 passes.
    expect(decide('other', 10, t(5, 1, 4)).outcome).toBe('rejected');
    expect(decide('other', 10, t(6, 0, 0)).outcome).toBe('passed');
  });

  it('personnel motions need at least two thirds of all members', () => {
    expect(decide('personnel', 6, t(3, 0, 3)).outcome).toBe('rejected');
    expect(decide('personnel', 6, t(4, 2, 0)).outcome).toBe('passed'); // 4/6 = 2/3 exactly
    expect(decide('personnel', 7, t(4, 0, 3)).outcome).toBe('rejected'); // 4/7 < 2/3
    expect(decide('personnel', 7, t(5, 0, 0)).outcome).toBe('passed');
    // the same votes pass a policy motion
    expect(decide('policy', 7, t(4, 0, 3)).outcome).toBe('passed');
  });

  it('classification motions are advisory: the outcome is an opinion, counted by the same rules', () => {
    const r = decide('classification', 5, t(3, 2, 0));
    expect(r.advisory).toBe(true);
    expect(r.outcome).toBe('passed');
    expect(decide('policy', 5, t(3, 2, 0)).advisory).toBe(false);
    expect(decide('classification', 5, t(1, 1, 0)).outcome).toBe('no_quorum');
  });

  it('a changed vote counts once, as the member’s last choice; people not entitled are ignored', () => {
    const votes = [
      { voterId: 'a', choice: 'yes' as const },
      { voterId: 'b', choice: 'no' as const },
      { voterId: 'a', choice: 'no' as const },
      { voterId: 'x', choice: 'yes' as const },
    ];
    expect(tally(votes, ['a', 'b', 'c'])).toEqual({ yes: 0, no: 2, abstain: 0 });
  });

  it('votes are taken strictly before the close', () => {
    const closes = new Date('2026-12-01T10:00:00Z');
    expect(isOpen(closes, new Date('2026-12-01T09:59:59.999Z'))).toBe(true);
    expect(isOpen(closes, closes)).toBe(false);
    expect(isOpen(closes, new Date('2026-12-01T10:00:00.001Z'))).toBe(false);
  });

  it('rules are configurable and checked', () => {
    const twoThirds = { ...DEFAULT_VOTE_RULES, pass: { num: 2, den: 3, strict: true } };
    expect(decide('policy', 6, t(4, 0, 0), twoThirds).outcome).toBe('rejected');
    expect(decide('policy', 6, t(5, 0, 0), twoThirds).outcome).toBe('passed');
    expect(checkRules(DEFAULT_VOTE_RULES)).toEqual([]);
    expect(checkRules({ ...DEFAULT_VOTE_RULES, quorum: { num: 3, den: 2, strict: true } })).toHaveLength(1);
    expect(reaches(1, 2, { num: 1, den: 2, strict: false })).toBe(true);
    expect(reaches(1, 2, { num: 1, den: 2, strict: true })).toBe(false);
    expect(() => decide('policy', 2, t(2, 1, 0))).toThrow(RangeError);
  });

  it('no members: never quorate', () => {
    expect(decide('policy', 0, t(0, 0, 0)).outcome).toBe('no_quorum');
  });
});
