import { describe, expect, it } from 'vitest';
import {
  DEFAULT_POLICY_JSON,
  LEVELS,
  checkDestructionWitnesses,
  checkLegalFloor,
  createDraft,
  loadPolicy,
  transition,
  type AnyDetails,
  type CarrierRef,
  type Kind,
  type Level,
  type Request,
} from '../../domain/index.js';
import { P, ROLE_PEOPLE, T0, carrier, ctx, detailsFor, draft, expectError } from './helpers.js';

const codes = (kind: Kind, carriers: CarrierRef[], details: Record<string, unknown>, requesterId = P.req.id) =>
  checkLegalFloor(kind, carriers, details as unknown as AnyDetails, requesterId).map((e) => e.code);

describe('legal floor per kind × level', () => {
  // [kind, level, carrier flags, details overrides, expected codes]
  const table: [Kind, Level, Partial<CarrierRef>, Record<string, unknown>, string[]][] = [];
  for (const level of LEVELS) {
    const top = level === 'TOP_SECRET';
    // COPY: 绝密 or copy-restricted needs the issuer's reference
    table.push(['COPY', level, {}, { ref: undefined }, top ? ['floor.copy_needs_ref'] : []]);
    table.push(['COPY', level, {}, { ref: '国保〔2026〕3号' }, []]);
    table.push(['COPY', level, { copyRestricted: true }, { ref: undefined }, ['floor.copy_needs_ref']]);
    table.push(['COPY', level, { copyRestricted: true }, { ref: '  ' }, ['floor.copy_needs_ref']]);
    table.push(['COPY', level, { copyRestricted: true }, { ref: '制发单位批复 12 号' }, []]);
    // CARRY_OUT: 绝密 needs a companion other than the requester; nothing goes abroad
    table.push(['CARRY_OUT', level, {}, { companions: [] }, top ? ['floor.carry_top_secret_companions'] : []]);
    table.push(['CARRY_OUT', level, {}, { companions: [P.req.id, ' '] }, top ? ['floor.carry_top_secret_companions'] : []]);
    table.push(['CARRY_OUT', level, {}, { companions: [P.comp.id] }, []]);
    table.push(['CARRY_OUT', level, {}, { abroad: true, companions: [P.comp.id] }, top ? ['floor.carry_top_secret_abroad'] : ['floor.carry_abroad_offline']]);
    table.push([
      'CARRY_OUT',
      level,
      {},
      { abroad: true, companions: [] },
      top ? ['floor.carry_top_secret_abroad', 'floor.carry_top_secret_companions'] : ['floor.carry_abroad_offline'],
    ]);
    // DESTROY: a carrier the issuer wants back is never destroyed
    table.push(['DESTROY', level, {}, {}, []]);
    table.push(['DESTROY', level, { mustReturnToIssuer: true }, {}, ['floor.destroy_must_return']]);
  }

  it.each(table)('%s %s %j %j → %j', (kind, level, flags, over, expected) => {
    const details = { ...detailsFor(kind, level), ...over };
    if (over.ref === undefined) delete details.ref;
    expect(codes(kind, [carrier('N-1', level, flags)], details)).toEqual(expected);
  });

  it('checks every carrier of a multi-carrier request, naming the offender', () => {
    const cs = [carrier('A', 'CONFIDENTIAL'), carrier('B', 'SECRET', { copyRestricted: true })];
    expect(checkLegalFloor('COPY', cs, detailsFor('COPY', 'SECRET') as unknown as AnyDetails)).toEqual([{ code: 'floor.copy_needs_ref', params: { number: 'B' } }]);
    const ds = [carrier('A', 'SECRET'), carrier('B', 'SECRET', { mustReturnToIssuer: true })];
    expect(checkLegalFloor('DESTROY', ds, detailsFor('DESTROY', 'SECRET') as unknown as AnyDetails)).toEqual([{ code: 'floor.destroy_must_return', params: { number: 'B' } }]);
  });

  it('destruction witnesses: ≥ 2 distinct, executor excluded', () => {
    expect(checkDestructionWitnesses('ex', ['a', 'b'])).toBeNull();
    expect(checkDestructionWitnesses('ex', ['a', 'a'])?.code).toBe('floor.destroy_witnesses');
    expect(checkDestructionWitnesses('ex', ['a'])?.code).toBe('floor.destroy_witnesses');
    expect(checkDestructionWitnesses('ex', ['a', 'ex'])?.code).toBe('floor.destroy_witness_is_executor');
    expect(checkDestructionWitnesses('ex', ['a', 'b', 'ex'])?.code).toBe('floor.destroy_witness_is_executor');
    expect(checkDestructionWitnesses('ex', [' a ', 'a', 'b'])).toBeNull();
  });
});

describe('the floor applies on every path', () => {
  it('on create', () => {
    const r = createDraft(
      { id: 'CO-2026-0003', kind: 'CARRY_OUT', requesterId: P.req.id, carriers: [carrier('X', 'TOP_SECRET')], details: { destination: 'x', due: '2026-03-05', purpose: 'y' } },
      ctx(),
    );
    expect(!r.ok && r.error.code).toBe('floor.carry_top_secret_companions');
    const abroad = createDraft(
      {
        id: 'CO-2026-0004',
        kind: 'CARRY_OUT',
        requesterId: P.req.id,
        carriers: [carrier('X', 'CORE')],
        details: { destination: '香港', due: '2026-03-05', purpose: 'y', abroad: true },
      },
      ctx(),
    );
    expect(!abroad.ok && abroad.error.code).toBe('floor.carry_abroad_offline');
  });

  it('on submit, even when the stored draft was edited to break it', () => {
    const d = draft('COPY', 'TOP_SECRET');
    const noRef = { ...d, details: { copies: 1, purpose: 'x' } } as Request;
    expectError(transition(noRef, { type: 'submit', assignees: [['ou_dh'], ['ou_so1'], ['ou_ld'], ['ou_pr']] }, P.req, ctx()), 'floor.copy_needs_ref');
    const dd = draft('DESTROY');
    const mustReturn = { ...dd, carriers: [carrier('JD-001', 'SECRET', { mustReturnToIssuer: true })] } as Request;
    expectError(transition(mustReturn, { type: 'submit', assignees: [['ou_dh'], ['ou_so1'], ['ou_ld']] }, P.req, ctx()), 'floor.destroy_must_return');
  });

  it('a permissive unit policy cannot switch it off', () => {
    // Minimal chains everywhere that the structural checks still allow, plus attempts to add
    // floor switches (refused at load as unknown keys).
    // biome-ignore lint/suspicious/noExplicitAny: the policy JSON is broken on purpose, field by field
    const j = structuredClone(DEFAULT_POLICY_JSON) as Record<string, any>;
    for (const kind of Object.keys(j.chains)) {
      for (const level of Object.keys(j.chains[kind])) {
        j.chains[kind][level] = level === 'TOP_SECRET' ? [{ role: 'principal' }, { role: 'security_head' }] : [{ role: 'leader' }, { role: 'security_head' }];
      }
    }
    const permissive = loadPolicy(j);
    expect(permissive.ok).toBe(true);
    if (!permissive.ok) return;
    expect(loadPolicy({ ...j, floor: { copyNeedsRef: false } }).ok).toBe(false);
    expect(loadPolicy({ ...j, chains: { ...j.chains, COPY: { ...j.chains.COPY, TOP_SECRET: [{ role: 'security_head' }, { role: 'dept_head' }] } } }).ok).toBe(false);

    const c = { ...ctx(T0, permissive.policy) };
    const people = [[...(ROLE_PEOPLE.principal ?? [])], [...(ROLE_PEOPLE.security_head ?? [])]];
    const base = createDraft({ id: 'CP-2026-0005', kind: 'COPY', requesterId: P.req.id, carriers: [carrier('T', 'TOP_SECRET')], details: { copies: 1, purpose: 'x' } }, c);
    expect(!base.ok && base.error.code).toBe('floor.copy_needs_ref');
    const carry = createDraft(
      {
        id: 'CO-2026-0005',
        kind: 'CARRY_OUT',
        requesterId: P.req.id,
        carriers: [carrier('T', 'TOP_SECRET')],
        details: { destination: 'x', due: '2026-03-05', purpose: 'y', companions: [P.comp.id], abroad: true },
      },
      c,
    );
    expect(!carry.ok && carry.error.code).toBe('floor.carry_top_secret_abroad');
    // destruction with one witness, under the permissive policy
    const dd = createDraft(
      { id: 'DS-2026-0005', kind: 'DESTROY', requesterId: P.req.id, carriers: [carrier('T', 'SECRET')], details: { reason: 'r', method: '焚烧', site: 's' } },
      c,
    );
    if (!dd.ok) throw new Error(dd.error.code);
    let r = dd.request;
    const run = (cmd: Parameters<typeof transition>[1], actor: Parameters<typeof transition>[2]) => {
      const x = transition(r, cmd, actor, c);
      if (!x.ok) return x.error.code;
      r = x.request;
      return 'ok';
    };
    expect(run({ type: 'submit', assignees: [['ou_ld'], ['ou_sh']] }, P.req)).toBe('ok');
    expect(run({ type: 'approve' }, P.leader)).toBe('ok');
    expect(run({ type: 'approve' }, P.sh)).toBe('ok');
    expect(run({ type: 'record_destruction', witnesses: [P.w1.id] }, P.so1)).toBe('floor.destroy_witnesses');
    expect(people).toHaveLength(2);
  });
});
