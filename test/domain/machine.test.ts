import { describe, expect, it } from 'vitest';
import { createDraft, loadPolicy, DEFAULT_POLICY_JSON, transition, type Actor, type Command, type Effect, type Request } from '../../domain/index.js';
import { DUE_LATE, P, T0, approved, assigneesFor, carrier, ctx, days, deepFreeze, draft, expectError, hours, ok, step, submitted } from './helpers.js';

const ofType = <T extends Effect['type']>(effects: Effect[], type: T) => effects.filter((e): e is Extract<Effect, { type: T }> => e.type === type);

/** Runs a sequence, collecting every result for later checks. */
function runAll(start: Request, steps: [Command, Actor, Date?][]): { final: Request; results: { request: Request; effects: Effect[] }[] } {
  let cur = start;
  const results: { request: Request; effects: Effect[] }[] = [];
  for (const [cmd, actor, now] of steps) {
    const r = ok(transition(cur, cmd, actor, ctx(now ?? T0)));
    results.push(r);
    cur = r.request;
  }
  return { final: cur, results };
}

describe('createDraft', () => {
  it('creates a version-0 DRAFT with planned steps and the max level', () => {
    const d = draft('COPY', 'SECRET', { carriers: [carrier('A-1', 'CONFIDENTIAL'), carrier('A-2', 'SECRET')] });
    expect(d).toMatchObject({ state: 'DRAFT', version: 0, maxLevel: 'SECRET', regime: 'STATE_SECRET', round: 0, currentStep: null });
    expect(d.steps.map((s) => s.role)).toEqual(['dept_head', 'security_officer', 'leader']);
    expect(d.steps.every((s) => s.assignees.length === 0 && s.decision === 'PENDING')).toBe(true);
    expect(d.history).toHaveLength(1);
  });

  it('refuses mixed regimes, no carriers, duplicates, bad ids, bad details', () => {
    const base = { id: 'CP-2026-0002', kind: 'COPY' as const, requesterId: P.req.id, details: { copies: 1, purpose: 'x' } };
    const c = ctx();
    const code = (r: ReturnType<typeof createDraft>) => (r.ok ? 'ok' : r.error.code);
    expect(code(createDraft({ ...base, carriers: [carrier('A', 'SECRET'), carrier('B', 'CORE')] }, c))).toBe('workflow.mixed_regimes');
    expect(code(createDraft({ ...base, carriers: [] }, c))).toBe('workflow.no_carriers');
    expect(code(createDraft({ ...base, carriers: [carrier('A', 'SECRET'), carrier('A', 'SECRET')] }, c))).toBe('workflow.duplicate_carrier');
    expect(code(createDraft({ ...base, id: 'CO-2026-0002', carriers: [carrier('A', 'SECRET')] }, c))).toBe('workflow.invalid_command');
    expect(code(createDraft({ ...base, details: { copies: 0, purpose: 'x' }, carriers: [carrier('A', 'SECRET')] }, c))).toBe('workflow.invalid_details');
    expect(code(createDraft({ ...base, details: { copies: 1, purpose: 'x', content: '正文' }, carriers: [carrier('A', 'SECRET')] }, c))).toBe('workflow.invalid_details');
    expect(code(createDraft({ ...base, carriers: [{ ...carrier('A', 'SECRET'), level: 'SUPER' as never }] }, c))).toBe('workflow.invalid_details');
    expect(code(createDraft({ ...base, carriers: [carrier('A', 'ORDINARY'), carrier('B', 'CORE')] }, c))).toBe('ok');
  });

  it('refuses a carry-out due date in the past (local date)', () => {
    const r = createDraft(
      { id: 'CO-2026-0009', kind: 'CARRY_OUT', requesterId: P.req.id, carriers: [carrier('A', 'SECRET')], details: { destination: 'x', due: '2026-03-01', purpose: 'y' } },
      ctx(),
    );
    expect(!r.ok && r.error).toMatchObject({ code: 'workflow.due_in_past', params: { due: '2026-03-01', today: '2026-03-02' } });
  });
});

describe('submit', () => {
  it('starts the chain at step 0, notifies assignees and schedules reminder + escalation', () => {
    const d = draft('COPY');
    const { request, effects } = ok(transition(d, { type: 'submit', assignees: assigneesFor('COPY', 'SECRET') }, P.req, ctx()));
    expect(request).toMatchObject({ state: 'IN_APPROVAL', currentStep: 0, round: 1, version: 1, submittedAt: T0.toISOString() });
    expect(ofType(effects, 'notify').map((n) => ('to' in n ? n.to : n.toRole))).toEqual([P.req.id, P.dh.id]);
    const reminders = ofType(effects, 'reminder.create');
    expect(reminders).toEqual([
      expect.objectContaining({ kind: 'approval.remind', dueAt: hours(24).toISOString(), target: { openId: P.dh.id } }),
      expect.objectContaining({ kind: 'approval.escalate', dueAt: hours(48).toISOString(), target: { role: 'security_head' } }),
    ]);
    expect(effects[0]!.type).toBe('audit');
    expect(effects.at(-1)!.type).toBe('card.refresh');
  });

  it('uses assignees already on the draft when none are given', () => {
    const d = draft('COPY');
    const filled: Request = { ...d, steps: d.steps.map((s, i) => ({ ...s, assignees: assigneesFor('COPY', 'SECRET')[i]! })) };
    expect(ok(transition(filled, { type: 'submit' }, P.req, ctx())).request.state).toBe('IN_APPROVAL');
    expectError(transition(d, { type: 'submit' }, P.req, ctx()), 'workflow.no_assignee', { step: 1, role: 'dept_head' });
  });

  it('refuses steps that do not match the policy chain', () => {
    const d = draft('COPY');
    const dropped: Request = { ...d, steps: d.steps.slice(0, 2).map((s) => ({ ...s, assignees: ['ou_dh'] })) };
    expectError(transition(dropped, { type: 'submit' }, P.req, ctx()), 'workflow.chain_mismatch');
    const swapped: Request = { ...d, steps: [d.steps[1]!, d.steps[0]!, d.steps[2]!].map((s, i) => ({ ...s, assignees: [`ou_${i}`] })) };
    expectError(transition(swapped, { type: 'submit' }, P.req, ctx()), 'workflow.chain_mismatch', { step: 1 });
  });

  it('validates assignees: one person for ONE steps, nobody approves their own request, distinct people', () => {
    const d = draft('COPY');
    expectError(transition(d, { type: 'submit', assignees: [['ou_dh', 'ou_x'], ['ou_so1'], ['ou_ld']] }, P.req, ctx()), 'workflow.one_assignee', { step: 1 });
    // requester is their own department head: nobody else can decide step 1
    expectError(transition(d, { type: 'submit', assignees: [[P.req.id], ['ou_so1'], ['ou_ld']] }, P.req, ctx()), 'workflow.no_assignee', { step: 1 });
    // the same single person for two steps can never satisfy "one person, one step"
    expectError(transition(d, { type: 'submit', assignees: [['ou_dh'], ['ou_dh'], ['ou_ld']] }, P.req, ctx()), 'workflow.no_distinct_approvers');
    // ...but an ANY_OF pool that overlaps is fine as long as distinct people exist
    expect(transition(d, { type: 'submit', assignees: [['ou_dh'], ['ou_dh', 'ou_so1'], ['ou_ld']] }, P.req, ctx()).ok).toBe(true);
    expectError(transition(d, { type: 'submit', assignees: 'ou_dh' as never }, P.req, ctx()), 'workflow.invalid_command', { field: 'assignees' });
  });
});

describe('approval decisions', () => {
  it('nobody approves their own request (requester in an ANY_OF pool)', () => {
    // A security officer requests; they are in the security-officer pool of their own request.
    const r = step(submitted('COPY', 'SECRET', { requesterId: P.so1.id }), { type: 'approve' }, P.dh);
    expect(r.steps[1]!.assignees).toContain(P.so1.id);
    expectError(transition(r, { type: 'approve' }, P.so1, ctx()), 'workflow.own_request');
    expect(ok(transition(r, { type: 'approve' }, P.so2, ctx())).request.currentStep).toBe(2);
  });

  it('nobody decides two steps of one request', () => {
    const both: Actor = { id: P.dh.id, roles: ['staff', 'dept_head', 'security_officer'] };
    const d = draft('COPY');
    const r0 = step(d, { type: 'submit', assignees: [['ou_dh'], ['ou_dh', 'ou_so1'], ['ou_ld']] }, P.req);
    const r1 = step(r0, { type: 'approve' }, both);
    expectError(transition(r1, { type: 'approve' }, both, ctx()), 'workflow.already_decided_other_step', { step: 1, role: 'dept_head' });
    expectError(transition(r1, { type: 'reject', reason: 'x' }, both, ctx()), 'workflow.already_decided_other_step');
    expect(transition(r1, { type: 'approve' }, P.so1, ctx()).ok).toBe(true);
  });

  it('a stale card says who decided and when', () => {
    const atSo = step(submitted('COPY'), { type: 'approve' }, P.dh);
    const decided = step(atSo, { type: 'approve', stepIndex: 1 }, P.so1, hours(1));
    const at = hours(1).toISOString();
    expectError(transition(decided, { type: 'approve', stepIndex: 1 }, P.so2, ctx(hours(2))), 'workflow.already_decided', { by: P.so1.id, at, step: 2 });
    // without the card's step index the machine still works it out
    expectError(transition(decided, { type: 'approve' }, P.so2, ctx(hours(2))), 'workflow.already_decided', { by: P.so1.id, at });
    // a double click by the same person
    expectError(transition(decided, { type: 'approve', stepIndex: 1 }, P.so1, ctx(hours(2))), 'workflow.already_decided', { by: P.so1.id });
    // after the request left IN_APPROVAL, a card of a decided step still says who decided
    const rejected = step(decided, { type: 'reject', reason: '不同意' }, P.leader);
    expectError(transition(rejected, { type: 'approve', stepIndex: 2 }, P.leader, ctx()), 'workflow.already_decided', { by: P.leader.id });
    expectError(transition(rejected, { type: 'approve' }, P.leader, ctx()), 'workflow.bad_state', { state: 'REJECTED' });
  });

  it('a card from before a return + resubmit cannot approve the edited request', () => {
    const first = submitted('COPY'); // version 1: the card to the department head shows v1, step 0
    const returned = step(first, { type: 'return', reason: '请减少份数' }, P.dh);
    const again = step(returned, { type: 'resubmit', patch: { details: { copies: 1 } } }, P.req);
    expectError(transition(again, { type: 'approve', stepIndex: 0, version: first.version }, P.dh, ctx()), 'workflow.stale_card', { version: again.version });
    expect(transition(again, { type: 'approve', stepIndex: 0, version: again.version }, P.dh, ctx()).ok).toBe(true);
    expectError(transition(again, { type: 'approve', version: 'x' } as never, P.dh, ctx()), 'workflow.invalid_command', { field: 'version' });
  });

  it('a card for a later step cannot act early', () => {
    const r = submitted('COPY');
    expectError(transition(r, { type: 'approve', stepIndex: 2 }, P.leader, ctx()), 'workflow.stale_step', { step: 3, current: 1 });
    expectError(transition(r, { type: 'approve', stepIndex: -1 }, P.dh, ctx()), 'workflow.invalid_command');
  });

  it('reject and return need a reason', () => {
    const r = submitted('COPY');
    expectError(transition(r, { type: 'reject', reason: '  ' }, P.dh, ctx()), 'workflow.reason_required');
    expectError(transition(r, { type: 'return' } as never, P.dh, ctx()), 'workflow.reason_required');
    const rej = ok(transition(r, { type: 'reject', reason: ' 用途不明 ' }, P.dh, ctx()));
    expect(rej.request).toMatchObject({ state: 'REJECTED', currentStep: null, closedAt: T0.toISOString() });
    expect(rej.request.steps[0]).toMatchObject({ decision: 'REJECTED', decidedBy: P.dh.id, comment: '用途不明' });
    expect(ofType(rej.effects, 'notify')[0]).toMatchObject({ to: P.req.id, template: 'notify.rejected', params: { reason: '用途不明' } });
    expect(ofType(rej.effects, 'reminder.cancel')).toEqual([expect.objectContaining({ beforeVersion: 2 })]);
  });

  it('approving a step cancels its reminders before scheduling the next step', () => {
    const r = ok(transition(submitted('COPY'), { type: 'approve', comment: '同意' }, P.dh, ctx(hours(3))));
    const types = r.effects.map((e) => (e.type === 'reminder.create' ? `${e.type}:${e.kind}` : e.type));
    expect(types.indexOf('reminder.cancel')).toBeLessThan(types.indexOf('reminder.create:approval.remind'));
    expect(ofType(r.effects, 'reminder.cancel')[0]).toMatchObject({ kinds: ['approval.remind', 'approval.escalate'], beforeVersion: 2 });
    const remind = ofType(r.effects, 'reminder.create').filter((e) => e.kind === 'approval.remind');
    expect(remind.map((e) => e.target)).toEqual([{ openId: P.so1.id }, { openId: P.so2.id }]);
    expect(remind[0]!.dueAt).toBe(hours(27).toISOString());
    expect(r.request.steps[0]).toMatchObject({ decision: 'APPROVED', comment: '同意', decidedAt: hours(3).toISOString() });
    expect(r.request.history.at(-1)).toMatchObject({ action: 'approve', stepIndex: 0, comment: '同意', fromState: 'IN_APPROVAL', toState: 'IN_APPROVAL' });
  });

  it('the last approval schedules the execution reminder and expiry', () => {
    let r = submitted('DESTROY');
    r = step(step(r, { type: 'approve' }, P.dh), { type: 'approve' }, P.so1);
    const last = ok(transition(r, { type: 'approve' }, P.leader, ctx()));
    expect(last.request).toMatchObject({ state: 'APPROVED', approvedAt: T0.toISOString(), currentStep: null });
    expect(ofType(last.effects, 'reminder.create')).toEqual([
      expect.objectContaining({ kind: 'execution.remind', dueAt: days(3).toISOString(), target: { openId: P.req.id } }),
      expect.objectContaining({ kind: 'request.expire', dueAt: days(7).toISOString(), target: { system: true } }),
    ]);
    expect(ofType(last.effects, 'carrier.status')).toEqual([expect.objectContaining({ number: 'JD-001', status: 'PENDING_DESTRUCTION' })]);
    expect(ofType(last.effects, 'notify').map((n) => n.template)).toEqual(['notify.approved', 'notify.ready_to_execute']);
  });
});

describe('return for edit and resubmit', () => {
  it('returns to DRAFT, restarts steps, and resubmits from the first step', () => {
    let r = submitted('COPY');
    r = step(r, { type: 'approve' }, P.dh);
    const returned = step(r, { type: 'return', reason: '请补充页数' }, P.so1);
    expect(returned).toMatchObject({ state: 'DRAFT', currentStep: null, round: 1 });
    expect(returned.steps.every((s) => s.decision === 'PENDING' && !s.decidedBy)).toBe(true);
    expect(returned.history.at(-1)).toMatchObject({ action: 'return', stepIndex: 1, comment: '请补充页数', toState: 'DRAFT' });

    const again = ok(transition(returned, { type: 'resubmit', patch: { details: { pages: 12 } } }, P.req, ctx(hours(5))));
    expect(again.request).toMatchObject({ state: 'IN_APPROVAL', currentStep: 0, round: 2, version: returned.version + 1 });
    expect(again.request.kind === 'COPY' && again.request.details.pages).toBe(12);
    expect(ofType(again.effects, 'notify').map((n) => n.template)).toEqual(['notify.resubmitted', 'notify.approval_needed']);
    // the department head decides step 1 again in the new round
    expect(transition(again.request, { type: 'approve' }, P.dh, ctx()).ok).toBe(true);
  });

  it('re-validates content and the legal floor on resubmit', () => {
    const returned = step(submitted('COPY'), { type: 'return', reason: 'x' }, P.dh);
    // raising the level to TOP_SECRET changes the chain: without new assignees the steps mismatch
    const top = { carriers: [carrier('JM-001', 'TOP_SECRET')], details: { ref: '国保〔2026〕1号' } };
    expectError(transition(returned, { type: 'resubmit', patch: top }, P.req, ctx()), 'workflow.chain_mismatch');
    const withPeople = ok(transition(returned, { type: 'resubmit', patch: top, assignees: assigneesFor('COPY', 'TOP_SECRET') }, P.req, ctx()));
    expect(withPeople.request.steps.map((s) => s.role)).toEqual(['dept_head', 'security_officer', 'leader', 'principal']);
    expect(withPeople.request.maxLevel).toBe('TOP_SECRET');
    // ...and the floor: removing the reference is refused
    expectError(
      transition(returned, { type: 'resubmit', patch: { carriers: top.carriers, details: { ref: '' } }, assignees: assigneesFor('COPY', 'TOP_SECRET') }, P.req, ctx()),
      'floor.copy_needs_ref',
    );
    expectError(transition(returned, { type: 'resubmit', patch: { details: { execution: {} } as never } }, P.req, ctx()), 'workflow.invalid_details');
    expectError(transition(returned, { type: 'resubmit', patch: { state: 'APPROVED' } as never }, P.req, ctx()), 'workflow.invalid_command', { field: 'patch.state' });
    expectError(transition(returned, { type: 'resubmit' }, P.dh, ctx()), 'workflow.not_requester');
  });
});

describe('withdraw and expire', () => {
  it('withdraw tells the current step assignees and cancels reminders', () => {
    const atSo = step(submitted('COPY'), { type: 'approve' }, P.dh);
    const w = ok(transition(atSo, { type: 'withdraw', reason: '不需要了' }, P.req, ctx()));
    expect(w.request).toMatchObject({ state: 'WITHDRAWN', currentStep: null });
    expect(ofType(w.effects, 'notify').map((n) => ('to' in n ? n.to : ''))).toEqual([P.so1.id, P.so2.id]);
    expect(ofType(w.effects, 'reminder.cancel')).toHaveLength(1);
    expect(w.request.history.at(-1)!.comment).toBe('不需要了');
    expect(ok(transition(draft('COPY'), { type: 'withdraw' }, P.req, ctx())).request.state).toBe('WITHDRAWN');
  });

  it('expire needs the system and the expiry days to have passed', () => {
    const a = approved('DESTROY');
    expectError(transition(a, { type: 'expire' }, P.system, ctx(hours(7 * 24 - 1))), 'workflow.not_yet_due', { at: days(7).toISOString() });
    const e = ok(transition(a, { type: 'expire' }, P.system, ctx(days(7))));
    expect(e.request).toMatchObject({ state: 'EXPIRED', closedAt: days(7).toISOString() });
    // carriers held for destruction go back to stock
    expect(ofType(e.effects, 'carrier.status')).toEqual([expect.objectContaining({ status: 'IN_STOCK' })]);
    expect(ofType(e.effects, 'notify')[0]).toMatchObject({ to: P.req.id, template: 'notify.expired' });
  });

  it('expiry follows the policy', () => {
    const json = structuredClone(DEFAULT_POLICY_JSON) as { execution: { expiryDays: number; remindDays: number } };
    json.execution = { expiryDays: 14, remindDays: 5 };
    const p = loadPolicy(json);
    if (!p.ok) throw new Error(p.errors.join());
    const a = approved('COPY');
    expectError(transition(a, { type: 'expire' }, P.system, ctx(days(13), p.policy)), 'workflow.not_yet_due');
    expect(transition(a, { type: 'expire' }, P.system, ctx(days(14), p.policy)).ok).toBe(true);
  });
});

describe('COPY after approval', () => {
  const done = (cmd: Partial<Extract<Command, { type: 'complete_copy' }>> = {}) =>
    transition(approved('COPY'), { type: 'complete_copy', copiesMade: 2, originalsReturned: true, wasteRecovered: true, deviceWiped: true, ...cmd }, P.so1, ctx(days(1)));

  it('registers the copies made as new carriers and closes', () => {
    const r = ok(done());
    expect(r.request).toMatchObject({ state: 'CLOSED', closedAt: days(1).toISOString() });
    expect(r.request.kind === 'COPY' && r.request.details.execution).toMatchObject({ copiesMade: 2, newNumbers: ['JM-001-C1', 'JM-001-C2'], by: P.so1.id });
    expect(ofType(r.effects, 'carrier.create')).toEqual([
      expect.objectContaining({ number: 'JM-001-C1', sourceNumber: 'JM-001', level: 'SECRET', custodianId: P.req.id }),
      expect.objectContaining({ number: 'JM-001-C2', sourceNumber: 'JM-001', level: 'SECRET' }),
    ]);
    const ledger = ofType(r.effects, 'ledger');
    expect(ledger.map((l) => `${l.ledger}/${l.event}/${l.carrierNumber}`)).toEqual(['COPY/COPIED/JM-001', 'MASTER/REGISTERED/JM-001-C1', 'MASTER/REGISTERED/JM-001-C2']);
    expect(ledger[0]!.data).toMatchObject({
      copiesApproved: 2,
      copiesMade: 2,
      supervisorId: P.so1.id,
      approvers: [{ role: 'dept_head', by: P.dh.id }, { role: 'security_officer' }, { role: 'leader' }],
    });
    expect(r.request.incident).toBeUndefined();
  });

  it('keeps the original level and period on copies, and continues numbering after earlier copies', () => {
    const a = approved('COPY', 'TOP_SECRET', { carriers: [carrier('JM-9', 'TOP_SECRET', { period: '30年', copyRestricted: true })] });
    const r = ok(
      transition(a, { type: 'complete_copy', copiesMade: 1, originalsReturned: true, wasteRecovered: true, deviceWiped: true, firstCopyIndex: { 'JM-9': 3 } }, P.so2, ctx()),
    );
    expect(ofType(r.effects, 'carrier.create')).toEqual([expect.objectContaining({ number: 'JM-9-C3', level: 'TOP_SECRET', period: '30年', copyRestricted: true })]);
    expect(ofType(r.effects, 'ledger')[0]!.data).toMatchObject({ externalApprovalRef: '国保〔2026〕12号' });
  });

  it('copies made must be 1..approved', () => {
    expectError(done({ copiesMade: 0 }), 'workflow.bad_copies_made', { max: 2 });
    expectError(done({ copiesMade: 3 }), 'workflow.bad_copies_made', { max: 2 });
    expectError(done({ copiesMade: 1.5 }), 'workflow.bad_copies_made');
    expectError(done({ originalsReturned: 'yes' as never }), 'workflow.invalid_command', { field: 'originalsReturned' });
    expectError(done({ firstCopyIndex: { 'JM-001': 0 } }), 'workflow.invalid_command', { field: 'firstCopyIndex' });
  });

  it('a failed supervision check closes with an incident flag', () => {
    const r = ok(done({ wasteRecovered: false }));
    expect(r.request.state).toBe('CLOSED');
    expect(r.request.incident).toMatchObject({ reason: 'COPY_SUPERVISION_FAILED', note: 'waste', by: P.so1.id });
    expect(ofType(r.effects, 'incident.open')).toHaveLength(1);
    expect(ofType(r.effects, 'notify').some((n) => 'toRole' in n && n.toRole === 'security_head')).toBe(true);
  });
});

describe('CARRY_OUT after approval', () => {
  // due 2026-03-04 (Shanghai) ends at 2026-03-04T16:00Z
  const END = new Date('2026-03-04T16:00:00Z');

  it('check out → due-soon reminders → overdue → return → inspection', () => {
    const a = approved('CARRY_OUT');
    const out = ok(transition(a, { type: 'check_out' }, P.so3, ctx()));
    expect(out.request).toMatchObject({ state: 'OUT', details: { checkedOutBy: P.so3.id } });
    expect(ofType(out.effects, 'carrier.status')).toEqual([expect.objectContaining({ number: 'JX-001', status: 'CHECKED_OUT' })]);
    expect(ofType(out.effects, 'ledger')[0]).toMatchObject({
      ledger: 'CARRY',
      event: 'CHECKED_OUT',
      data: { due: '2026-03-04', companions: [P.comp.id], carrierPersonId: P.req.id },
    });
    expect(ofType(out.effects, 'reminder.create').map((e) => [e.kind, e.dueAt, e.target])).toEqual([
      ['carry.due_soon', '2026-03-03T16:00:00.000Z', { openId: P.req.id }],
      ['carry.due_soon', '2026-03-04T14:00:00.000Z', { openId: P.req.id }],
      ['carry.overdue', END.toISOString(), { system: true }],
    ]);
    expect(ofType(out.effects, 'reminder.cancel')[0]).toMatchObject({ kinds: ['execution.remind', 'request.expire'] });

    // one minute before the end of the due day (local 23:59) it is not overdue yet
    expectError(transition(out.request, { type: 'mark_overdue' }, P.system, ctx(new Date(END.getTime() - 60_000))), 'workflow.not_yet_due', {
      at: END.toISOString(),
    });
    const od = ok(transition(out.request, { type: 'mark_overdue' }, P.system, ctx(END)));
    expect(od.request).toMatchObject({ state: 'OVERDUE', details: { overdueAt: END.toISOString() } });
    expect(ofType(od.effects, 'notify').map((n) => n.template)).toEqual(['notify.carry_overdue', 'notify.carry_overdue_officer']);
    expect(ofType(od.effects, 'reminder.create').map((e) => [e.kind, e.dueAt, e.target])).toEqual([
      ['carry.overdue_escalate', hours(24, END).toISOString(), { role: 'security_head' }],
      ['carry.overdue_escalate', hours(72, END).toISOString(), { role: 'leader' }],
    ]);

    // a security officer receives the carriers back; they stay out of stock until inspected
    const back = ok(transition(od.request, { type: 'return_carrier' }, P.so2, ctx(days(2, END))));
    expect(back.request).toMatchObject({ state: 'RETURNED', details: { returnedTo: P.so2.id } });
    expect(ofType(back.effects, 'ledger')[0]!.data).toMatchObject({ overdueDays: 3, carrierPersonId: P.req.id, receivedBy: P.so2.id });
    expect(ofType(back.effects, 'carrier.status')).toEqual([]);

    const closed = ok(transition(back.request, { type: 'inspect', ok: true, note: '封签完好' }, P.so1, ctx(days(2, END))));
    expect(closed.request).toMatchObject({ state: 'CLOSED', details: { inspection: { ok: true, note: '封签完好', by: P.so1.id } } });
    expect(ofType(closed.effects, 'carrier.status')).toEqual([expect.objectContaining({ number: 'JX-001', status: 'IN_STOCK' })]);
    expect(closed.request.incident).toBeUndefined();
  });

  it('a failed inspection closes with an incident', () => {
    const back = step(step(approved('CARRY_OUT'), { type: 'check_out' }, P.so3), { type: 'return_carrier' }, P.so1);
    const r = ok(transition(back, { type: 'inspect', ok: false, note: '封签破损' }, P.so2, ctx()));
    expect(r.request).toMatchObject({ state: 'CLOSED', incident: { reason: 'CARRY_INSPECTION_FAILED', note: '封签破损' } });
    expect(ofType(r.effects, 'incident.open')[0]).toMatchObject({ carrierNumbers: ['JX-001'] });
    expectError(transition(back, { type: 'inspect' } as never, P.so2, ctx()), 'workflow.invalid_command', { field: 'ok' });
  });

  it('cannot check out after the due date has passed; the floor is rechecked at check-out', () => {
    const a = approved('CARRY_OUT');
    expectError(transition(a, { type: 'check_out' }, P.so3, ctx(days(3))), 'workflow.due_in_past', { due: '2026-03-04', today: '2026-03-05' });
    const forged: Request = { ...approved('CARRY_OUT', 'TOP_SECRET'), details: { ...(a.details as object), companions: [] } } as unknown as Request;
    expectError(transition(forged, { type: 'check_out' }, P.so3, ctx()), 'floor.carry_top_secret_companions');
  });

  it('due dates use the unit timezone', () => {
    const out = step(approved('CARRY_OUT'), { type: 'check_out' }, P.so3);
    // 2026-03-04T17:00Z is already 03-05 01:00 in Shanghai but still 03-04 in New York
    const t = new Date('2026-03-04T17:00:00Z');
    expect(transition(out, { type: 'mark_overdue' }, P.system, ctx(t)).ok).toBe(true);
    expectError(transition(out, { type: 'mark_overdue' }, P.system, { ...ctx(t), timezone: 'America/New_York' }), 'workflow.not_yet_due');
    expectError(transition(out, { type: 'mark_overdue' }, P.system, { ...ctx(t), timezone: 'Mars/Olympus' }), 'workflow.bad_timezone');
  });
});

describe('CARRY_OUT custody: officers hand out and receive, the carrier person announces the return', () => {
  /** Handed out by an officer who takes no part in the carry-out (due 2026-03-04). */
  const outOf = (a: Request) => step(a, { type: 'check_out' }, P.so3);
  const overdueOf = (o: Request) => step(o, { type: 'mark_overdue' }, P.system, days(3));
  const ownRequest = () => approved('CARRY_OUT', 'SECRET', { requesterId: P.so1.id });
  const officerCompanion = () => approved('CARRY_OUT', 'SECRET', { details: { companions: [P.comp.id, P.so2.id] } });

  it('only a security officer checks out: never the carrier person, a companion or anyone else', () => {
    const a = approved('CARRY_OUT');
    expect(a.kind === 'CARRY_OUT' && a.details.companions).toEqual([P.comp.id]);
    for (const who of [P.req, P.comp, P.dh, P.leader, P.staff, P.admin, P.system]) {
      expectError(transition(a, { type: 'check_out' }, who, ctx()), 'workflow.not_security_officer');
    }
    // an officer who is the carrier person or a companion may not hand the carriers out to themselves
    expectError(transition(ownRequest(), { type: 'check_out' }, P.so1, ctx()), 'workflow.self_custody');
    expectError(transition(officerCompanion(), { type: 'check_out' }, P.so2, ctx()), 'workflow.self_custody');
    // another officer may
    expect(ok(transition(ownRequest(), { type: 'check_out' }, P.so3, ctx())).request).toMatchObject({ state: 'OUT', details: { checkedOutBy: P.so3.id } });
    expect(ok(transition(officerCompanion(), { type: 'check_out' }, P.so3, ctx())).request.state).toBe('OUT');
  });

  it('only a security officer confirms receipt, from OUT and OVERDUE: never the carrier person or a companion', () => {
    for (const start of [outOf(approved('CARRY_OUT')), overdueOf(outOf(approved('CARRY_OUT')))]) {
      for (const who of [P.req, P.comp, P.dh, P.staff, P.admin, P.system]) {
        expectError(transition(start, { type: 'return_carrier' }, who, ctx(days(4))), 'workflow.not_security_officer');
      }
      expect(ok(transition(start, { type: 'return_carrier' }, P.so1, ctx(days(4)))).request).toMatchObject({ state: 'RETURNED', details: { returnedTo: P.so1.id } });
    }
    const own = outOf(ownRequest());
    expectError(transition(own, { type: 'return_carrier' }, P.so1, ctx()), 'workflow.self_custody');
    expectError(transition(outOf(officerCompanion()), { type: 'return_carrier' }, P.so2, ctx()), 'workflow.self_custody');
    // announcing the return does not let the carrier person receive it themselves
    const announced = step(own, { type: 'announce_return' }, P.so1);
    expectError(transition(announced, { type: 'return_carrier' }, P.so1, ctx()), 'workflow.self_custody');
    expect(transition(announced, { type: 'return_carrier' }, P.so2, ctx()).ok).toBe(true);
  });

  it('the carrier person announces the return: same state, one more version and history entry, officers told', () => {
    const out = outOf(approved('CARRY_OUT'));
    const r = ok(transition(out, { type: 'announce_return' }, P.req, ctx(hours(5))));
    expect(r.request).toMatchObject({ state: 'OUT', version: out.version + 1, updatedAt: hours(5).toISOString(), details: { returnAnnouncedAt: hours(5).toISOString() } });
    expect(r.request.kind === 'CARRY_OUT' && r.request.details.returnedAt).toBeUndefined();
    expect(r.request.history).toHaveLength(out.history.length + 1);
    expect(r.request.history.at(-1)).toEqual({ at: hours(5).toISOString(), actorId: P.req.id, action: 'announce_return', fromState: 'OUT', toState: 'OUT' });
    expect(r.effects[0]).toMatchObject({ type: 'audit', action: 'announce_return', actorId: P.req.id, fromState: 'OUT', toState: 'OUT' });
    expect(ofType(r.effects, 'notify')).toEqual([
      expect.objectContaining({ toRole: 'security_officer', template: 'notify.return_announced', params: expect.objectContaining({ id: out.id, requester: P.req.id }) }),
      expect.objectContaining({ to: P.req.id, template: 'notify.return_announced_requester', params: expect.objectContaining({ id: out.id }) }),
    ]);
    // nothing has changed hands yet: no register entry, no carrier status
    expect(ofType(r.effects, 'carrier.status')).toEqual([]);
    expect(ofType(r.effects, 'ledger')).toEqual([]);
    // the officer's receipt keeps the announcement on the record
    const back = ok(transition(r.request, { type: 'return_carrier' }, P.so1, ctx(hours(6))));
    expect(back.request).toMatchObject({
      state: 'RETURNED',
      details: { returnAnnouncedAt: hours(5).toISOString(), returnedAt: hours(6).toISOString(), returnedTo: P.so1.id },
    });
  });

  it('only the carrier person announces the return (not a companion, an officer, an admin or the system)', () => {
    const out = outOf(approved('CARRY_OUT'));
    for (const who of [P.comp, P.so1, P.so3, P.dh, P.staff, P.admin, P.system]) {
      expectError(transition(out, { type: 'announce_return' }, who, ctx()), 'workflow.not_carrier_person');
    }
  });

  it('a return is announced once', () => {
    const out = outOf(approved('CARRY_OUT'));
    const once = step(out, { type: 'announce_return' }, P.req, hours(1));
    expectError(transition(once, { type: 'announce_return' }, P.req, ctx(hours(2))), 'workflow.return_already_announced');
    const late = step(overdueOf(out), { type: 'announce_return' }, P.req, days(4));
    expectError(transition(late, { type: 'announce_return' }, P.req, ctx(days(4))), 'workflow.return_already_announced');
  });

  it.each([true, false])('receipt leaves the carriers out of stock; inspection (ok=%s) puts every carrier back in stock', (passed) => {
    const a = approved('CARRY_OUT', 'SECRET', { carriers: [carrier('JX-001', 'SECRET'), carrier('JX-002', 'CONFIDENTIAL')] });
    const out = ok(transition(a, { type: 'check_out' }, P.so3, ctx()));
    const statuses = (effects: Effect[]) => ofType(effects, 'carrier.status').map((e) => `${e.number}:${e.status}`);
    expect(statuses(out.effects)).toEqual(['JX-001:CHECKED_OUT', 'JX-002:CHECKED_OUT']);
    const announced = step(out.request, { type: 'announce_return' }, P.req, hours(2));
    const back = ok(transition(announced, { type: 'return_carrier' }, P.so1, ctx(hours(3))));
    expect(back.request.state).toBe('RETURNED');
    expect(statuses(back.effects)).toEqual([]);
    expect(ofType(back.effects, 'ledger').map((l) => `${l.event}/${l.carrierNumber}`)).toEqual(['RETURNED/JX-001', 'RETURNED/JX-002']);
    const done = ok(transition(back.request, { type: 'inspect', ok: passed }, P.so2, ctx(hours(4))));
    expect(done.request.state).toBe('CLOSED');
    expect(statuses(done.effects)).toEqual(['JX-001:IN_STOCK', 'JX-002:IN_STOCK']);
    expect(ofType(done.effects, 'incident.open')).toHaveLength(passed ? 0 : 1);
  });

  it('OVERDUE → announce → receive → inspect', () => {
    const od = overdueOf(outOf(approved('CARRY_OUT')));
    expect(od.state).toBe('OVERDUE');
    const ann = ok(transition(od, { type: 'announce_return' }, P.req, ctx(days(4))));
    expect(ann.request).toMatchObject({ state: 'OVERDUE', version: od.version + 1, details: { returnAnnouncedAt: days(4).toISOString() } });
    expect(ann.request.history.at(-1)).toMatchObject({ action: 'announce_return', fromState: 'OVERDUE', toState: 'OVERDUE' });
    const back = ok(transition(ann.request, { type: 'return_carrier' }, P.so1, ctx(days(4))));
    expect(back.request).toMatchObject({ state: 'RETURNED', details: { returnedTo: P.so1.id } });
    expect(ofType(back.effects, 'reminder.cancel')[0]).toMatchObject({ kinds: ['carry.due_soon', 'carry.overdue', 'carry.overdue_escalate'] });
    expect(ofType(back.effects, 'ledger')[0]!.data).toMatchObject({ overdueDays: 2, carrierPersonId: P.req.id, receivedBy: P.so1.id });
    expect(ofType(back.effects, 'carrier.status')).toEqual([]);
    const closed = ok(transition(back.request, { type: 'inspect', ok: true }, P.so2, ctx(days(4))));
    expect(closed.request.state).toBe('CLOSED');
    expect(ofType(closed.effects, 'carrier.status')).toEqual([expect.objectContaining({ number: 'JX-001', status: 'IN_STOCK' })]);
    expect(closed.request.history.slice(-5).map((h) => h.action)).toEqual(['check_out', 'mark_overdue', 'announce_return', 'return_carrier', 'inspect']);
  });
});

describe('DESTROY after approval', () => {
  it('records execution, each named witness confirms once, then closes with ledgers', () => {
    const a = approved('DESTROY', 'TOP_SECRET');
    expect(a.steps.map((s) => s.role)).toEqual(['dept_head', 'security_officer', 'leader', 'principal']);
    const rec = ok(transition(a, { type: 'record_destruction', witnesses: [P.w1.id, ` ${P.w2.id} `], date: '2026-03-02' }, P.so3, ctx()));
    expect(rec.request).toMatchObject({
      state: 'EXECUTED_PENDING_WITNESS',
      details: { executorId: P.so3.id, witnesses: [P.w1.id, P.w2.id], confirmedWitnesses: [], date: '2026-03-02' },
    });
    expect(ofType(rec.effects, 'notify').map((n) => ('to' in n ? n.to : ''))).toEqual([P.w1.id, P.w2.id]);
    expect(ofType(rec.effects, 'ledger')).toEqual([]);

    expectError(transition(rec.request, { type: 'confirm_witness' }, P.w3, ctx()), 'workflow.not_witness');
    expectError(transition(rec.request, { type: 'confirm_witness' }, P.so3, ctx()), 'workflow.not_witness');
    const one = ok(transition(rec.request, { type: 'confirm_witness' }, P.w2, ctx(hours(1))));
    expect(one.request).toMatchObject({ state: 'EXECUTED_PENDING_WITNESS', details: { confirmedWitnesses: [P.w2.id] } });
    expect(ofType(one.effects, 'reminder.cancel')[0]).toMatchObject({ kinds: ['destroy.witness_remind'], target: { openId: P.w2.id } });
    expectError(transition(one.request, { type: 'confirm_witness' }, P.w2, ctx()), 'workflow.already_confirmed');

    const two = ok(transition(one.request, { type: 'confirm_witness' }, P.w1, ctx(hours(2))));
    expect(two.request).toMatchObject({ state: 'CLOSED', closedAt: hours(2).toISOString() });
    expect(ofType(two.effects, 'carrier.status')).toEqual([expect.objectContaining({ number: 'JD-001', status: 'DESTROYED' })]);
    const ledger = ofType(two.effects, 'ledger');
    expect(ledger.map((l) => `${l.ledger}/${l.event}`)).toEqual(['DESTROY/DESTROYED', 'MASTER/DESTROYED']);
    expect(ledger[0]!.data).toMatchObject({ method: '粉碎', executorId: P.so3.id, witnesses: [P.w1.id, P.w2.id], date: '2026-03-02' });
    expect((ledger[0]!.data.approvers as unknown[]).length).toBe(4);
  });

  it('needs two distinct witnesses, none of them the executor', () => {
    const a = approved('DESTROY');
    const rec = (witnesses: string[], actor: Actor = P.so1) => transition(a, { type: 'record_destruction', witnesses }, actor, ctx());
    expectError(rec([P.w1.id]), 'floor.destroy_witnesses', { min: 2, count: 1 });
    expectError(rec([P.w1.id, P.w1.id, ' ']), 'floor.destroy_witnesses', { count: 1 });
    expectError(rec([]), 'floor.destroy_witnesses', { count: 0 });
    expectError(rec([P.so1.id, P.w1.id, P.w2.id]), 'floor.destroy_witness_is_executor');
    expectError(rec('w1' as never), 'workflow.invalid_command', { field: 'witnesses' });
    expectError(transition(a, { type: 'record_destruction', witnesses: [P.w1.id, P.w2.id], date: '2026-03-09' }, P.so1, ctx()), 'workflow.bad_date');
    expectError(transition(a, { type: 'record_destruction', witnesses: [P.w1.id, P.w2.id], date: '2026-02-30' }, P.so1, ctx()), 'workflow.bad_date');
    // an approver may be one of the witnesses, never the only one (two are always required)
    expect(rec([P.leader.id, P.w1.id]).ok).toBe(true);
  });

  it('refuses to close if the stored witnesses were tampered below two', () => {
    const rec = step(approved('DESTROY'), { type: 'record_destruction', witnesses: [P.w1.id, P.w2.id] }, P.so1);
    const forged = { ...rec, details: { ...(rec.details as object), witnesses: [P.w1.id] } } as Request;
    const r = ok(transition(forged, { type: 'confirm_witness' }, P.w1, ctx()));
    expect(r.request.state).toBe('EXECUTED_PENDING_WITNESS');
  });
});

describe('invariants', () => {
  function fullPaths(): { start: Request; results: { request: Request; effects: Effect[] }[] }[] {
    const copy = draft('COPY');
    const carry = draft('CARRY_OUT', 'TOP_SECRET', { details: { due: DUE_LATE } });
    const destroy = draft('DESTROY');
    const approvals = (r: Request): [Command, Actor][] =>
      r.steps.map((s) => [
        { type: 'approve' },
        {
          id: s.role === 'security_officer' ? P.so1.id : ({ dept_head: P.dh.id, leader: P.leader.id, principal: P.principal.id } as Record<string, string>)[s.role]!,
          roles: ['staff', s.role],
        },
      ]);
    const sub = (r: Request): [Command, Actor] => [{ type: 'submit', assignees: assigneesFor(r.kind, r.maxLevel) }, P.req];
    return [
      {
        start: copy,
        results: runAll(copy, [sub(copy), ...approvals(copy), [{ type: 'complete_copy', copiesMade: 2, originalsReturned: true, wasteRecovered: true, deviceWiped: true }, P.so2]])
          .results,
      },
      {
        start: carry,
        results: runAll(carry, [
          sub(carry),
          ...approvals(step(carry, sub(carry)[0], P.req)),
          [{ type: 'check_out' }, P.so3],
          [{ type: 'mark_overdue' }, P.system, days(29)],
          [{ type: 'announce_return' }, P.req, days(30)],
          [{ type: 'return_carrier' }, P.so3, days(30)],
          [{ type: 'inspect', ok: true }, P.so2, days(30)],
        ]).results,
      },
      {
        start: destroy,
        results: runAll(destroy, [
          sub(destroy),
          ...approvals(destroy),
          [{ type: 'record_destruction', witnesses: [P.w1.id, P.w2.id] }, P.so2],
          [{ type: 'confirm_witness' }, P.w1],
          [{ type: 'confirm_witness' }, P.w2],
        ]).results,
      },
    ];
  }

  it('version goes up by exactly one per transition and every path ends CLOSED', () => {
    for (const { start, results } of fullPaths()) {
      results.forEach((r, i) => expect(r.request.version).toBe(start.version + i + 1));
      expect(results.at(-1)!.request.state).toBe('CLOSED');
      expect(results.at(-1)!.request.history).toHaveLength(results.length + 1);
    }
  });

  it('effects carry stable keys unique across the whole life of a request', () => {
    for (const { results } of fullPaths()) {
      const keys = results.flatMap((r) => r.effects.map((e) => e.key));
      expect(new Set(keys).size).toBe(keys.length);
      for (const r of results) {
        for (const e of r.effects) {
          expect(e.key.startsWith(`${r.request.id}:${r.request.version}:`)).toBe(true);
          expect(e).toMatchObject({ requestId: r.request.id, version: r.request.version });
        }
        expect(r.effects.filter((e) => e.type === 'audit')).toHaveLength(1);
        expect(r.effects.filter((e) => e.type === 'card.refresh')).toHaveLength(1);
      }
    }
    // same input → same output, byte for byte
    expect(JSON.stringify(fullPaths())).toBe(JSON.stringify(fullPaths()));
  });

  it('never mutates its (deep-frozen) inputs', () => {
    const cases: [Request, Command, Actor][] = [
      [draft('COPY'), { type: 'submit', assignees: assigneesFor('COPY', 'SECRET') }, P.req],
      [submitted('COPY'), { type: 'approve', comment: 'ok' }, P.dh],
      [submitted('COPY'), { type: 'return', reason: 'x' }, P.dh],
      [step(submitted('COPY'), { type: 'return', reason: 'x' }, P.dh), { type: 'resubmit', patch: { details: { copies: 1 } } }, P.req],
      [approved('COPY'), { type: 'complete_copy', copiesMade: 1, originalsReturned: true, wasteRecovered: true, deviceWiped: true }, P.so1],
      [approved('CARRY_OUT'), { type: 'check_out' }, P.so3],
      [step(approved('CARRY_OUT'), { type: 'check_out' }, P.so3), { type: 'announce_return' }, P.req],
      [step(approved('CARRY_OUT'), { type: 'check_out' }, P.so3), { type: 'return_carrier' }, P.so1],
      [approved('DESTROY'), { type: 'record_destruction', witnesses: [P.w1.id, P.w2.id] }, P.so1],
    ];
    const c = deepFreeze(ctx());
    for (const [req, cmd, actor] of cases) {
      const snapshot = JSON.stringify([req, cmd, actor]);
      deepFreeze(req);
      deepFreeze(cmd);
      const r = ok(transition(req, cmd, deepFreeze({ ...actor, roles: [...actor.roles] }), c));
      expect(JSON.stringify([req, cmd, actor])).toBe(snapshot);
      expect(r.request).not.toBe(req);
      expect(r.request.history).not.toBe(req.history);
    }
    // and the result is independent of the input: changing it later does not leak back
    const src = submitted('COPY');
    const res = ok(transition(src, { type: 'approve' }, P.dh, ctx()));
    res.request.steps[1]!.assignees.push('ou_evil');
    expect(src.steps[1]!.assignees).not.toContain('ou_evil');
  });

  it('never throws on garbage', () => {
    const req = submitted('COPY');
    const junk: unknown[] = [null, undefined, 0, 'x', [], {}, { type: 'approve', stepIndex: 'a' }, { type: 'nope' }, { type: 'reject', reason: 42 }];
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (const j of junk) {
      expect(() => transition(req, j as Command, P.dh, ctx())).not.toThrow();
      expect(transition(req, j as Command, P.dh, ctx()).ok).toBe(false);
      expect(transition(j as Request, { type: 'approve' }, P.dh, ctx()).ok).toBe(false);
      expect(transition(req, { type: 'approve' }, j as Actor, ctx()).ok).toBe(false);
    }
    expect(transition(req, { type: 'approve' }, P.dh, { now: new Date('x'), policy: ctx().policy }).ok).toBe(false);
    expectError(transition(req, { type: 'nope' } as never, P.dh, ctx()), 'workflow.unknown_command', { command: 'nope' });
    expectError(transition({ ...req, state: 'LIMBO' } as never, { type: 'approve' }, P.dh, ctx()), 'workflow.invalid_request');
    // random field shuffles of a valid request never throw
    for (let i = 0; i < 300; i++) {
      const broken = structuredClone(req) as unknown as Record<string, unknown>;
      const keys = Object.keys(broken);
      const k = keys[Math.floor(rnd() * keys.length)]!;
      broken[k] = [null, 1, 'x', [], {}, [{}]][Math.floor(rnd() * 6)];
      const cmds: Command[] = [{ type: 'approve' }, { type: 'withdraw' }, { type: 'reject', reason: 'x' }, { type: 'submit' }, { type: 'check_out' }];
      for (const c of cmds) expect(() => transition(broken as unknown as Request, c, P.dh, ctx())).not.toThrow();
    }
  });
});
