import { describe, expect, it } from 'vitest';
import { COMMAND_TYPES, transition, type Actor, type Command, type CommandType, type Request } from '../../domain/index.js';
import { P, approved, assigneesFor, ctx, days, draft, step, submitted, currentApprover } from './helpers.js';

// Who may issue each command. Columns are kinds of people relative to the request; a cell is
// 'ok' or the refusal code. The admin never bypasses the chain: admin is a technical role.

const ACTORS = ['requester', 'assignee', 'otherApprover', 'soNotAssigned', 'witness', 'staff', 'admin', 'system'] as const;
type Who = (typeof ACTORS)[number];

interface Setup {
  request: () => Request;
  command: Command;
  now?: Date;
}

const inApproval = () => submitted('CARRY_OUT'); // dept_head → security_officer(ANY_OF) → leader
const destroyPendingWitness = () => step(approved('DESTROY'), { type: 'record_destruction', witnesses: [P.w1.id, P.w2.id] }, P.so1);
/** Handed out by a security officer who is neither carrier person nor companion. */
const out = () => step(approved('CARRY_OUT'), { type: 'check_out' }, P.so1);

const SETUPS: Record<CommandType, Setup> = {
  submit: { request: () => draft('CARRY_OUT'), command: { type: 'submit', assignees: assigneesFor('CARRY_OUT', 'SECRET') } },
  approve: { request: inApproval, command: { type: 'approve' } },
  reject: { request: inApproval, command: { type: 'reject', reason: '不同意' } },
  return: { request: inApproval, command: { type: 'return', reason: '补充' } },
  resubmit: { request: () => step(inApproval(), { type: 'return', reason: '补充' }, P.dh), command: { type: 'resubmit' } },
  withdraw: { request: inApproval, command: { type: 'withdraw' } },
  transfer: { request: inApproval, command: { type: 'transfer', to: 'ou_dh2', reason: '出差' } },
  expire: { request: () => approved('CARRY_OUT'), command: { type: 'expire' }, now: days(7) },
  complete_copy: { request: () => approved('COPY'), command: { type: 'complete_copy', copiesMade: 1, originalsReturned: true, wasteRecovered: true, deviceWiped: true } },
  check_out: { request: () => approved('CARRY_OUT'), command: { type: 'check_out' } },
  announce_return: { request: out, command: { type: 'announce_return' } },
  return_carrier: { request: out, command: { type: 'return_carrier' } },
  inspect: { request: () => step(out(), { type: 'return_carrier' }, P.so1), command: { type: 'inspect', ok: true } },
  mark_overdue: { request: out, command: { type: 'mark_overdue' }, now: days(3) },
  record_destruction: { request: () => approved('DESTROY'), command: { type: 'record_destruction', witnesses: [P.w1.id, P.w2.id] } },
  confirm_witness: { request: destroyPendingWitness, command: { type: 'confirm_witness' } },
};

/** Resolves the column to a concrete person for a request. */
function who(w: Who, r: Request): Actor {
  switch (w) {
    case 'requester':
      return P.req;
    case 'assignee':
      // the current step's assignee while in approval; the first step's approver otherwise
      return r.state === 'IN_APPROVAL' ? currentApprover(r) : P.dh;
    case 'otherApprover':
      return P.leader; // assignee of a later step, never of the current one in these setups
    case 'soNotAssigned':
      return P.so3;
    case 'witness':
      return P.w1;
    case 'staff':
      return P.staff;
    case 'admin':
      return P.admin;
    case 'system':
      return P.system;
  }
}

const OK = 'ok';
const NR = 'workflow.not_requester';
const NA = 'workflow.not_assignee';
const SYS = 'workflow.system_only';
const NSO = 'workflow.not_security_officer';
const NCP = 'workflow.not_carrier_person';
const NW = 'workflow.not_witness';
const OWN = 'workflow.own_request';

const MATRIX: Record<CommandType, Record<Who, string>> = {
  //                requester  assignee  otherApprover soNotAssigned witness staff admin system
  submit: { requester: OK, assignee: NR, otherApprover: NR, soNotAssigned: NR, witness: NR, staff: NR, admin: NR, system: NR },
  approve: { requester: OWN, assignee: OK, otherApprover: NA, soNotAssigned: NA, witness: NA, staff: NA, admin: NA, system: NA },
  reject: { requester: OWN, assignee: OK, otherApprover: NA, soNotAssigned: NA, witness: NA, staff: NA, admin: NA, system: NA },
  return: { requester: OWN, assignee: OK, otherApprover: NA, soNotAssigned: NA, witness: NA, staff: NA, admin: NA, system: NA },
  resubmit: { requester: OK, assignee: NR, otherApprover: NR, soNotAssigned: NR, witness: NR, staff: NR, admin: NR, system: NR },
  withdraw: { requester: OK, assignee: NR, otherApprover: NR, soNotAssigned: NR, witness: NR, staff: NR, admin: NR, system: NR },
  // only the current step's assignee hands it over (转交)
  transfer: { requester: OWN, assignee: OK, otherApprover: NA, soNotAssigned: NA, witness: NA, staff: NA, admin: NA, system: NA },
  expire: { requester: SYS, assignee: SYS, otherApprover: SYS, soNotAssigned: SYS, witness: SYS, staff: SYS, admin: SYS, system: OK },
  complete_copy: { requester: NSO, assignee: NSO, otherApprover: NSO, soNotAssigned: OK, witness: NSO, staff: NSO, admin: NSO, system: NSO },
  // custody (hand out, receive back) is the security officer's; the carrier person only announces the return
  check_out: { requester: NSO, assignee: NSO, otherApprover: NSO, soNotAssigned: OK, witness: NSO, staff: NSO, admin: NSO, system: NSO },
  announce_return: { requester: OK, assignee: NCP, otherApprover: NCP, soNotAssigned: NCP, witness: NCP, staff: NCP, admin: NCP, system: NCP },
  return_carrier: { requester: NSO, assignee: NSO, otherApprover: NSO, soNotAssigned: OK, witness: NSO, staff: NSO, admin: NSO, system: NSO },
  inspect: { requester: NSO, assignee: NSO, otherApprover: NSO, soNotAssigned: OK, witness: NSO, staff: NSO, admin: NSO, system: NSO },
  mark_overdue: { requester: SYS, assignee: SYS, otherApprover: SYS, soNotAssigned: SYS, witness: SYS, staff: SYS, admin: SYS, system: OK },
  record_destruction: { requester: NSO, assignee: NSO, otherApprover: NSO, soNotAssigned: OK, witness: NSO, staff: NSO, admin: NSO, system: NSO },
  confirm_witness: { requester: NW, assignee: NW, otherApprover: NW, soNotAssigned: NW, witness: OK, staff: NW, admin: NW, system: NW },
};

describe('role × action matrix', () => {
  it('covers every command', () => {
    expect(Object.keys(MATRIX).sort()).toEqual([...COMMAND_TYPES].sort());
  });

  const rows = COMMAND_TYPES.flatMap((c) => ACTORS.map((w) => [c, w, MATRIX[c][w]] as const));
  it.each(rows)('%s by %s → %s', (c, w, expected) => {
    const setup = SETUPS[c];
    const req = setup.request();
    const r = transition(req, setup.command, who(w, req), ctx(setup.now ?? days(1)));
    if (expected === OK) {
      expect(r.ok, JSON.stringify(!r.ok && r.error)).toBe(true);
    } else {
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toBe(expected);
    }
  });

  it('an admin holding every approver role still cannot decide a step they are not assigned to', () => {
    const superAdmin: Actor = { id: 'ou_admin', roles: ['admin', 'dept_head', 'security_officer', 'security_head', 'leader', 'principal'] };
    const req = inApproval();
    for (const type of ['approve', 'reject', 'return'] as const) {
      const r = transition(req, type === 'approve' ? { type } : { type, reason: 'x' }, superAdmin, ctx());
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toBe('workflow.not_assignee');
    }
    const w = transition(req, { type: 'withdraw' }, superAdmin, ctx());
    expect(!w.ok && w.error.code).toBe('workflow.not_requester');
  });

  it('an assignee who lost the step role cannot decide it', () => {
    const req = inApproval();
    const r = transition(req, { type: 'approve' }, { id: P.dh.id, roles: ['staff'] }, ctx());
    expect(!r.ok && r.error.code).toBe('workflow.not_assignee');
  });

  it('any listed security officer may decide an ANY_OF step; an unlisted one may not', () => {
    const atSo = step(inApproval(), { type: 'approve' }, P.dh);
    expect(atSo.steps[atSo.currentStep!]!.mode).toBe('ANY_OF');
    expect(transition(atSo, { type: 'approve' }, P.so1, ctx()).ok).toBe(true);
    expect(transition(atSo, { type: 'approve' }, P.so2, ctx()).ok).toBe(true);
    const r = transition(atSo, { type: 'approve' }, P.so3, ctx());
    expect(!r.ok && r.error.code).toBe('workflow.not_assignee');
  });

  it('custody steps refuse a security officer acting on their own request or as companion', () => {
    // COPY requested by a security officer: another officer must register the copies
    const copy = approved('COPY', 'SECRET', { requesterId: P.so1.id });
    const r1 = transition(copy, { type: 'complete_copy', copiesMade: 1, originalsReturned: true, wasteRecovered: true, deviceWiped: true }, P.so1, ctx());
    expect(!r1.ok && r1.error.code).toBe('workflow.self_custody');
    expect(transition(copy, { type: 'complete_copy', copiesMade: 1, originalsReturned: true, wasteRecovered: true, deviceWiped: true }, P.so2, ctx()).ok).toBe(true);

    // CARRY_OUT with a security officer as companion: they cannot hand out, receive or inspect
    const carry = approved('CARRY_OUT', 'SECRET', { details: { companions: [P.so3.id] } });
    const code = (r: ReturnType<typeof transition>) => (r.ok ? 'ok' : r.error.code);
    expect(code(transition(carry, { type: 'check_out' }, P.so3, ctx()))).toBe('workflow.self_custody');
    const carryOut = step(carry, { type: 'check_out' }, P.so1);
    expect(code(transition(carryOut, { type: 'return_carrier' }, P.so3, ctx()))).toBe('workflow.self_custody');
    const back = step(carryOut, { type: 'return_carrier' }, P.so1);
    const r2 = transition(back, { type: 'inspect', ok: true }, P.so3, ctx());
    expect(!r2.ok && r2.error.code).toBe('workflow.self_custody');

    // CARRY_OUT requested by a security officer: another officer hands out and receives
    const own = approved('CARRY_OUT', 'SECRET', { requesterId: P.so2.id });
    expect(code(transition(own, { type: 'check_out' }, P.so2, ctx()))).toBe('workflow.self_custody');
    const ownOut = step(own, { type: 'check_out' }, P.so1);
    expect(code(transition(ownOut, { type: 'return_carrier' }, P.so2, ctx()))).toBe('workflow.self_custody');
    expect(code(transition(ownOut, { type: 'return_carrier' }, P.so1, ctx()))).toBe('ok');

    // DESTROY requested by a security officer: another officer executes
    const destroy = approved('DESTROY', 'SECRET', { requesterId: P.so2.id });
    const r3 = transition(destroy, { type: 'record_destruction', witnesses: [P.w1.id, P.w2.id] }, P.so2, ctx());
    expect(!r3.ok && r3.error.code).toBe('workflow.self_custody');
  });
});
