// Issue 7 item 10: transfer (转交) of the current step, and carbon copies (抄送) at request time
// and by policy — the pure machine's part.
import { describe, expect, it } from 'vitest';
import { createDraft, defaultPolicy, loadPolicy, ccRolesFor, transition, DEFAULT_POLICY_JSON, type Actor, type Request } from '../../domain/index.js';
import { ID, P, T0, assigneesFor, carrier, ctx, currentApprover, detailsFor, expectError, hours, ok, step, submitted } from './helpers.js';

const so4: Actor = { id: 'ou_so4', roles: ['staff', 'security_officer'] };
const dh2: Actor = { id: 'ou_dh2', roles: ['staff', 'dept_head'] };

/** At the security officers' ANY_OF step (step 2) of a SECRET carry-out. */
const atOfficers = (): Request => step(submitted('CARRY_OUT'), { type: 'approve' }, P.dh);

describe('transfer (转交)', () => {
  it('hands the current step to the new person: assignees, history, audit, version', () => {
    const r = submitted('CARRY_OUT');
    const res = ok(transition(r, { type: 'transfer', to: dh2.id, reason: '出差一周' }, P.dh, ctx(hours(2))));
    const n = res.request;
    expect(n.version).toBe(r.version + 1);
    expect(n.state).toBe('IN_APPROVAL');
    expect(n.currentStep).toBe(0);
    expect(n.steps[0]!.assignees).toEqual([dh2.id]);
    expect(n.steps[0]!.decision).toBe('PENDING');
    expect(n.history.at(-1)).toMatchObject({ action: 'transfer', actorId: P.dh.id, to: dh2.id, stepIndex: 0, comment: '出差一周', at: hours(2).toISOString() });
    expect(res.effects[0]).toMatchObject({ type: 'audit', action: 'transfer', actorId: P.dh.id, to: dh2.id, comment: '出差一周', stepIndex: 0 });
    // The new person can now decide; the old one cannot.
    expect(transition(n, { type: 'approve' }, dh2, ctx(hours(3))).ok).toBe(true);
    expectError(transition(n, { type: 'approve' }, P.dh, ctx(hours(3))), 'workflow.not_assignee');
  });

  it('moves the reminder: cancels the old assignee’s, creates one for the new; tells the new assignee and the requester', () => {
    const r = submitted('CARRY_OUT');
    const { effects } = ok(transition(r, { type: 'transfer', to: dh2.id }, P.dh, ctx(hours(2))));
    const types = effects.map((e) => e.type);
    expect(types[0]).toBe('audit');
    expect(types.at(-1)).toBe('card.refresh');
    expect(effects).toContainEqual(expect.objectContaining({ type: 'reminder.cancel', kinds: ['approval.remind'], target: { openId: P.dh.id }, beforeVersion: r.version + 1 }));
    const created = effects.find((e) => e.type === 'reminder.create');
    expect(created).toMatchObject({ kind: 'approval.remind', target: { openId: dh2.id }, dueAt: hours(2 + 24).toISOString() });
    expect(effects).toContainEqual(expect.objectContaining({ type: 'notify', to: dh2.id, template: 'notify.transfer_to' }));
    expect(effects).toContainEqual(
      expect.objectContaining({ type: 'notify', to: P.req.id, template: 'notify.transferred', params: expect.objectContaining({ from: P.dh.id, to: dh2.id, step: 1 }) }),
    );
    // The escalation to the security head stays (it is for the step, not the person).
    expect(effects.some((e) => e.type === 'reminder.cancel' && !e.kinds)).toBe(false);
  });

  it('on an ANY_OF step the actor’s seat goes to the new person; the other officers keep theirs', () => {
    const r = atOfficers();
    const n = ok(transition(r, { type: 'transfer', to: so4.id }, P.so1, ctx())).request;
    expect(n.steps[1]!.assignees).toEqual([so4.id, P.so2.id]);
    expect(transition(n, { type: 'approve' }, so4, ctx()).ok).toBe(true);
    expect(transition(n, { type: 'approve' }, P.so2, ctx()).ok).toBe(true);
    expectError(transition(n, { type: 'approve' }, P.so1, ctx()), 'workflow.not_assignee');
  });

  it('refuses: not the assignee, the requester, oneself, an assignee already, someone who decided another step', () => {
    const r = atOfficers();
    expectError(transition(r, { type: 'transfer', to: so4.id }, P.so3, ctx()), 'workflow.not_assignee');
    expectError(transition(r, { type: 'transfer', to: so4.id }, P.req, ctx()), 'workflow.own_request');
    expectError(transition(r, { type: 'transfer', to: P.req.id }, P.so1, ctx()), 'workflow.transfer_to_requester');
    expectError(transition(r, { type: 'transfer', to: P.so1.id }, P.so1, ctx()), 'workflow.transfer_to_self');
    expectError(transition(r, { type: 'transfer', to: P.so2.id }, P.so1, ctx()), 'workflow.transfer_to_assignee', { step: 2 });
    // The department head decided step 1: the floor forbids them a second step.
    expectError(transition(r, { type: 'transfer', to: P.dh.id }, P.so1, ctx()), 'workflow.transfer_to_decider', { step: 1, role: 'dept_head' });
    expectError(transition(r, { type: 'transfer', to: '' }, P.so1, ctx()), 'workflow.invalid_command', { field: 'to' });
    expectError(transition(r, { type: 'transfer', to: so4.id, reason: 'x'.repeat(501) }, P.so1, ctx()), 'workflow.invalid_command', { field: 'reason' });
  });

  it('refuses a transfer that leaves a later step without a distinct approver', () => {
    // Step 1 handed to the leader, who is the only person of step 3: step 3 would have nobody.
    const r = submitted('CARRY_OUT');
    expectError(transition(r, { type: 'transfer', to: P.leader.id }, P.dh, ctx()), 'workflow.transfer_breaks_distinct', { step: 1 });
  });

  it('a stale card (older version or another step) cannot transfer', () => {
    const r = atOfficers();
    expectError(transition(r, { type: 'transfer', to: so4.id, version: r.version - 1 }, P.so1, ctx()), 'workflow.stale_card');
    expectError(transition(r, { type: 'transfer', to: so4.id, stepIndex: 0 }, P.so1, ctx()), 'workflow.already_decided');
    expect(transition(r, { type: 'transfer', to: so4.id, stepIndex: 1, version: r.version }, P.so1, ctx()).ok).toBe(true);
  });

  it('only in approval', () => {
    const r = step(atOfficers(), { type: 'withdraw' }, P.req);
    expectError(transition(r, { type: 'transfer', to: so4.id }, P.so1, ctx()), 'workflow.bad_state');
  });

  it('a transferred step is approved by the new person and the chain goes on', () => {
    let r = ok(transition(submitted('COPY'), { type: 'transfer', to: dh2.id }, P.dh, ctx())).request;
    r = step(r, { type: 'approve' }, dh2);
    expect(r.steps[0]!.decidedBy).toBe(dh2.id);
    r = step(r, { type: 'approve' }, currentApprover(r));
    r = step(r, { type: 'approve' }, currentApprover(r));
    expect(r.state).toBe('APPROVED');
  });
});

describe('carbon copies (抄送)', () => {
  const draftWithCc = (cc: unknown) =>
    createDraft(
      { id: ID.COPY, kind: 'COPY', requesterId: P.req.id, deptId: 'dept_1', carriers: [carrier('JM-001', 'SECRET')], details: detailsFor('COPY', 'SECRET'), cc: cc as string[] },
      ctx(),
    );

  it('are kept on the request (distinct, never the requester) and each gets a card on submit', () => {
    const d = ok(draftWithCc(['ou_cc1', 'ou_cc2', 'ou_cc1', P.req.id]) as never).request;
    expect(d.cc).toEqual(['ou_cc1', 'ou_cc2']);
    const s = ok(transition(d, { type: 'submit', assignees: assigneesFor('COPY', 'SECRET') }, P.req, ctx()));
    const ccs = s.effects.filter((e) => e.type === 'notify' && e.template === 'notify.cc');
    expect(ccs.map((e) => (e as { to: string }).to)).toEqual(['ou_cc1', 'ou_cc2']);
  });

  it('an approver copied gets no second card; a resubmission sends none again', () => {
    const d = ok(draftWithCc(['ou_cc1', P.leader.id]) as never).request;
    let r = ok(transition(d, { type: 'submit', assignees: assigneesFor('COPY', 'SECRET') }, P.req, ctx())).request;
    const first = ok(transition(d, { type: 'submit', assignees: assigneesFor('COPY', 'SECRET') }, P.req, ctx())).effects;
    expect(first.filter((e) => e.type === 'notify' && e.template === 'notify.cc').map((e) => (e as { to: string }).to)).toEqual(['ou_cc1']);
    r = step(r, { type: 'return', reason: '补充' }, P.dh);
    const again = ok(transition(r, { type: 'resubmit' }, P.req, ctx()));
    expect(again.effects.some((e) => e.type === 'notify' && e.template === 'notify.cc')).toBe(false);
    expect(again.request.cc).toEqual(['ou_cc1', P.leader.id]);
  });

  it('refuses a bad list', () => {
    expectError(draftWithCc('ou_x') as never, 'workflow.bad_cc');
    expectError(draftWithCc(Array.from({ length: 21 }, (_, i) => `ou_c${i}`)) as never, 'workflow.bad_cc', { max: 20 });
    expectError(draftWithCc(['ou_a', '']) as never, 'workflow.bad_cc');
  });

  it('without cc the request has none and no cc notice', () => {
    const s = submitted('COPY');
    expect(s.cc).toBeUndefined();
    expect(T0).toBeTruthy();
  });
});

describe('policy: cc roles per kind', () => {
  it('default copies nobody', () => {
    const p = defaultPolicy();
    expect(ccRolesFor(p, 'COPY')).toEqual([]);
    expect(ccRolesFor(p, 'CARRY_OUT')).toEqual([]);
    expect(ccRolesFor(p, 'DESTROY')).toEqual([]);
  });

  it('accepts roles per kind, refuses unknown roles, staff and unknown kinds, naming the path', () => {
    const base = JSON.parse(JSON.stringify(DEFAULT_POLICY_JSON)) as Record<string, unknown>;
    const good = loadPolicy({ ...base, cc: { CARRY_OUT: ['security_head'] } });
    expect(good.ok).toBe(true);
    if (good.ok) expect(ccRolesFor(good.policy, 'CARRY_OUT')).toEqual(['security_head']);
    const bad = loadPolicy({ ...base, cc: { COPY: ['boss'] } });
    expect(!bad.ok && bad.errors.join('\n')).toContain("cc.COPY[0]: unknown role 'boss'");
    const staff = loadPolicy({ ...base, cc: { DESTROY: ['staff'] } });
    expect(!staff.ok && staff.errors.join('\n')).toContain('cc.DESTROY[0]');
    const kind = loadPolicy({ ...base, cc: { LEND: ['leader'] } });
    expect(!kind.ok && kind.errors.join('\n')).toContain("unknown key 'LEND'");
    const without = { ...base };
    delete without.cc;
    expect(loadPolicy(without).ok).toBe(true);
  });
});
