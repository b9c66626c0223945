import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY_JSON, KINDS, LEVELS, chainFor, defaultPolicy, loadPolicy, planSteps, type Kind, type Level } from '../../domain/index.js';

// biome-ignore lint/suspicious/noExplicitAny: the policy JSON is broken on purpose, field by field
const clone = () => structuredClone(DEFAULT_POLICY_JSON) as Record<string, any>;
const errorsOf = (json: unknown) => {
  const r = loadPolicy(json);
  return r.ok ? [] : r.errors;
};

// docs/domain.md §6.4 as the default policy must spell it ('SO' = security_officer, ANY_OF).
const EXPECTED: Record<Kind, Record<Level, string>> = {
  COPY: {
    TOP_SECRET: 'dept_head > SO > leader > principal',
    SECRET: 'dept_head > SO > leader',
    CONFIDENTIAL: 'dept_head > SO > leader',
    CORE: 'dept_head > SO > leader',
    ORDINARY: 'dept_head > SO',
  },
  CARRY_OUT: {
    TOP_SECRET: 'dept_head > SO > leader > principal',
    SECRET: 'dept_head > SO > leader',
    CONFIDENTIAL: 'dept_head > SO',
    CORE: 'dept_head > SO > leader',
    ORDINARY: 'dept_head > SO',
  },
  DESTROY: {
    TOP_SECRET: 'dept_head > SO > leader > principal',
    SECRET: 'dept_head > SO > leader',
    CONFIDENTIAL: 'dept_head > SO > leader',
    CORE: 'dept_head > SO > leader',
    ORDINARY: 'dept_head > SO',
  },
};

describe('default policy chains per kind × level', () => {
  const p = defaultPolicy();
  it.each(KINDS.flatMap((k) => LEVELS.map((l) => [k, l] as const)))('%s / %s', (kind, level) => {
    const chain = chainFor(p, kind, level);
    const text = chain.map((s) => (s.role === 'security_officer' ? (s.mode === 'ANY_OF' ? 'SO' : 'SO(ONE)') : s.mode === 'ONE' ? s.role : `${s.role}(${s.mode})`)).join(' > ');
    expect(text).toBe(EXPECTED[kind][level]);
  });

  it('has the documented SLA and deadlines', () => {
    expect(p.sla).toEqual({ remindHours: 24, escalateHours: 48, escalateTo: 'security_head' });
    expect(p.execution).toEqual({ remindDays: 3, expiryDays: 7 });
    expect(p.carry.dueSoonHours).toContain(24);
  });

  it('the ORDINARY trade-secret security-officer step is a registration (备案)', () => {
    expect(chainFor(p, 'COPY', 'ORDINARY')[1]).toEqual({ role: 'security_officer', mode: 'ANY_OF', purpose: 'register' });
    expect(chainFor(p, 'COPY', 'SECRET')[0]).toEqual({ role: 'dept_head', mode: 'ONE', purpose: 'approve' });
  });

  it('planSteps aligns assignees with the chain', () => {
    const steps = planSteps(p, 'CARRY_OUT', 'CONFIDENTIAL', [['a'], ['b', 'c']]);
    expect(steps).toEqual([
      { role: 'dept_head', mode: 'ONE', purpose: 'approve', assignees: ['a'], decision: 'PENDING' },
      { role: 'security_officer', mode: 'ANY_OF', purpose: 'register', assignees: ['b', 'c'], decision: 'PENDING' },
    ]);
  });

  it('the shipped file is the same JSON as DEFAULT_POLICY_JSON', () => {
    expect(JSON.parse(readFileSync(new URL('../../config/policy.default.json', import.meta.url), 'utf8'))).toEqual(DEFAULT_POLICY_JSON);
  });
});

describe('loadPolicy', () => {
  it('accepts the default and a policy that adds steps', () => {
    expect(loadPolicy(DEFAULT_POLICY_JSON).ok).toBe(true);
    const j = clone();
    j.chains.COPY.SECRET.push({ role: 'committee_chair' });
    j.chains.CARRY_OUT.CONFIDENTIAL.push({ role: 'leader' });
    const r = loadPolicy(j);
    expect(r.ok).toBe(true);
    if (r.ok) expect(chainFor(r.policy, 'COPY', 'SECRET').map((s) => s.role)).toEqual(['dept_head', 'security_officer', 'leader', 'committee_chair']);
  });

  it('names the path of an unknown role', () => {
    const j = clone();
    j.chains.COPY.SECRET[1].role = 'boss';
    expect(errorsOf(j)).toEqual([`chains.COPY.SECRET[1].role: unknown role 'boss'`]);
  });

  it('names missing kinds/levels, bad modes and unknown keys', () => {
    const j = clone();
    delete j.chains.DESTROY.CORE;
    j.chains.COPY.ORDINARY[0].mode = 'ALL_OF';
    j.chains.COPY.SECRET[0].approver = 'x';
    j.legalFloor = { enabled: false };
    const errs = errorsOf(j);
    expect(errs).toContain('chains.DESTROY.CORE: missing (array required)');
    expect(errs).toContain(`chains.COPY.ORDINARY[0].mode: unknown mode 'ALL_OF' (ONE or ANY_OF)`);
    expect(errs).toContain(`chains.COPY.SECRET[0]: unknown key 'approver'`);
    expect(errs).toContain(`(root): unknown key 'legalFloor'`);
  });

  it('rejects an empty chain for any kind × level', () => {
    for (const kind of KINDS) {
      for (const level of LEVELS) {
        const j = clone();
        j.chains[kind][level] = [];
        expect(errorsOf(j)).toContain(`chains.${kind}.${level}: must have at least one step`);
      }
    }
  });

  it('applies the structural floor: a policy cannot remove required authorisations', () => {
    const cases: [Kind, Level, object[], string][] = [
      ['COPY', 'TOP_SECRET', [{ role: 'dept_head' }, { role: 'security_officer' }, { role: 'leader' }], 'chains.COPY.TOP_SECRET: a TOP_SECRET chain must include the principal'],
      [
        'CARRY_OUT',
        'TOP_SECRET',
        [{ role: 'dept_head' }, { role: 'security_officer' }, { role: 'leader' }],
        'chains.CARRY_OUT.TOP_SECRET: a TOP_SECRET chain must include the principal',
      ],
      [
        'COPY',
        'SECRET',
        [{ role: 'dept_head' }, { role: 'security_officer' }],
        'chains.COPY.SECRET: copying a state secret needs the approval of a unit leader (leader or principal)',
      ],
      [
        'DESTROY',
        'CONFIDENTIAL',
        [{ role: 'dept_head' }, { role: 'security_officer' }],
        'chains.DESTROY.CONFIDENTIAL: destroying a state secret needs the approval of a unit leader (leader or principal)',
      ],
      [
        'CARRY_OUT',
        'SECRET',
        [{ role: 'dept_head' }, { role: 'leader' }],
        'chains.CARRY_OUT.SECRET: must include the confidentiality office (security_officer or security_head) to check and register',
      ],
      ['COPY', 'CORE', [{ role: 'dept_head' }, { role: 'security_officer' }], 'chains.COPY.CORE: a CORE trade secret chain needs a unit leader (leader or principal)'],
      ['COPY', 'ORDINARY', [{ role: 'security_officer' }], 'chains.COPY.ORDINARY: must include a line manager (dept_head, leader or principal)'],
      ['COPY', 'ORDINARY', [{ role: 'staff' }, { role: 'dept_head' }, { role: 'security_officer' }], `chains.COPY.ORDINARY[0].role: 'staff' cannot hold an approval step`],
      ['COPY', 'ORDINARY', [{ role: 'admin' }, { role: 'dept_head' }, { role: 'security_officer' }], `chains.COPY.ORDINARY[0].role: 'admin' cannot hold an approval step`],
    ];
    for (const [kind, level, chain, message] of cases) {
      const j = clone();
      j.chains[kind][level] = chain;
      expect(errorsOf(j)).toContain(message);
    }
    // CARRY_OUT below TOP_SECRET may go without a leader (docs/domain.md §6.4: 秘密 = 部门负责人 → 保密办)
    const j = clone();
    j.chains.CARRY_OUT.SECRET = [{ role: 'dept_head' }, { role: 'security_officer', mode: 'ANY_OF' }];
    expect(loadPolicy(j).ok).toBe(true);
  });

  it('checks numbers and their relations', () => {
    const j = clone();
    j.sla.escalateHours = 12;
    j.execution.remindDays = 9;
    const errs = errorsOf(j);
    expect(errs).toContain('sla.escalateHours: must be greater than sla.remindHours (24)');
    expect(errs).toContain('execution.remindDays: must be less than execution.expiryDays (7)');
    const k = clone();
    k.execution.expiryDays = 2.5;
    k.sla.remindHours = -1;
    delete k.version;
    const e2 = errorsOf(k);
    expect(e2.some((e) => e.startsWith('execution.expiryDays:'))).toBe(true);
    expect(e2.some((e) => e.startsWith('sla.remindHours:'))).toBe(true);
    expect(e2).toContain('version: missing (string required)');
  });

  it('never throws on junk', () => {
    for (const junk of [null, undefined, 42, 'x', [], { chains: null }, { chains: { COPY: [] } }]) {
      const r = loadPolicy(junk);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.errors.length).toBeGreaterThan(0);
    }
  });
});
