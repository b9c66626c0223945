// The committee's vote rules (docs/domain.md §4): pure functions, no store, no clock.
//
// Defaults: a quorum is more than half of the members (everyone who cast a vote, abstentions
// included, counts towards it); a motion passes with more than half of ALL members entitled to
// vote saying yes (not half of those present); a personnel motion needs at least two thirds of all
// members. Classification motions are advisory: the classification officer (定密责任人) decides,
// the vote is an opinion, so the outcome is reported as "advisory: for / against".
// Fractions are compared in integers (yes × den against num × members): no rounding at the edges.

export const MOTION_KINDS = ['policy', 'personnel', 'classification', 'other'] as const;
export type MotionKind = (typeof MOTION_KINDS)[number];
export const VOTE_CHOICES = ['yes', 'no', 'abstain'] as const;
export type VoteChoice = (typeof VOTE_CHOICES)[number];

/** A share of the members: `num/den`, "more than" (strict) or "at least". */
export interface Share {
  num: number;
  den: number;
  strict: boolean;
}

export interface VoteRules {
  quorum: Share;
  pass: Share;
  personnel: Share;
}

export const DEFAULT_VOTE_RULES: VoteRules = {
  quorum: { num: 1, den: 2, strict: true },
  pass: { num: 1, den: 2, strict: true },
  personnel: { num: 2, den: 3, strict: false },
};

export interface Tally {
  yes: number;
  no: number;
  abstain: number;
}

export type Outcome = 'passed' | 'rejected' | 'no_quorum';

export interface VoteResult {
  members: number;
  tally: Tally;
  cast: number;
  quorate: boolean;
  /** The share a yes had to reach. */
  needed: Share;
  outcome: Outcome;
  /** Classification motions: the outcome is an opinion for the classification officer. */
  advisory: boolean;
}

/** Whether `n` of `members` reaches the share. */
export function reaches(n: number, members: number, s: Share): boolean {
  const lhs = n * s.den;
  const rhs = s.num * members;
  return s.strict ? lhs > rhs : lhs >= rhs;
}

/** Checks a rules object (from configuration); returns the problems. */
export function checkRules(r: VoteRules): string[] {
  const out: string[] = [];
  for (const k of ['quorum', 'pass', 'personnel'] as const) {
    const s = r[k];
    if (!s || !Number.isInteger(s.num) || !Number.isInteger(s.den) || s.num < 0 || s.den < 1 || s.num > s.den || typeof s.strict !== 'boolean') {
      out.push(`${k}: expected {num, den, strict} with integers 0 ≤ num ≤ den, den ≥ 1`);
    }
  }
  return out;
}

/** Counts the votes (each member's latest choice; anyone not entitled is ignored). */
export function tally(votes: readonly { voterId: string; choice: VoteChoice }[], entitled: readonly string[]): Tally {
  const members = new Set(entitled);
  const last = new Map<string, VoteChoice>();
  for (const v of votes) if (members.has(v.voterId)) last.set(v.voterId, v.choice);
  const t: Tally = { yes: 0, no: 0, abstain: 0 };
  for (const c of last.values()) t[c]++;
  return t;
}

/** The result of a closed motion under `rules`. */
export function decide(kind: MotionKind, members: number, t: Tally, rules: VoteRules = DEFAULT_VOTE_RULES): VoteResult {
  const cast = t.yes + t.no + t.abstain;
  if (cast > members) throw new RangeError('more votes than members');
  const quorate = members > 0 && reaches(cast, members, rules.quorum);
  const needed = kind === 'personnel' ? rules.personnel : rules.pass;
  const outcome: Outcome = !quorate ? 'no_quorum' : members > 0 && reaches(t.yes, members, needed) ? 'passed' : 'rejected';
  return { members, tally: t, cast, quorate, needed, outcome, advisory: kind === 'classification' };
}

/** A vote is accepted only strictly before the close. */
export function isOpen(closesAt: Date, now: Date): boolean {
  return now.getTime() < closesAt.getTime();
}
