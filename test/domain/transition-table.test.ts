import { describe, expect, it } from 'vitest';
import { COMMAND_TYPES, KINDS, STATES, transition, type Actor, type Command, type CommandType, type Kind, type Request, type State } from '../../domain/index.js';
import { DUE_LATE, DUE_SOON, P, T0, approveAll, approved, assigneesFor, ctx, currentApprover, days, draft, step, submitted } from './helpers.js';

// The whole machine as a table: every kind × situation × command, with the expected new state
// for the allowed pairs and the refusal code for all others. A new state, situation or command
// without a decision here makes the completeness checks at the bottom fail.

/** "Now" for every row: 10 days after T0 — late enough to expire (7 d) and to be overdue. */
const NOW = days(10);

type Situation =
  | 'DRAFT'
  | 'DRAFT_RETURNED'
  | 'IN_APPROVAL'
  | 'IN_APPROVAL_LAST'
  | 'APPROVED'
  | 'REJECTED'
  | 'WITHDRAWN'
  | 'EXPIRED'
  | 'OUT'
  | 'OVERDUE'
  | 'RETURNED'
  | 'EXECUTED_PENDING_WITNESS'
  | 'EXECUTED_PENDING_WITNESS_LAST'
  | 'CLOSED';

const SITUATIONS: Record<Situation, State> = {
  DRAFT: 'DRAFT',
  DRAFT_RETURNED: 'DRAFT',
  IN_APPROVAL: 'IN_APPROVAL',
  IN_APPROVAL_LAST: 'IN_APPROVAL',
  APPROVED: 'APPROVED',
  REJECTED: 'REJECTED',
  WITHDRAWN: 'WITHDRAWN',
  EXPIRED: 'EXPIRED',
  OUT: 'OUT',
  OVERDUE: 'OVERDUE',
  RETURNED: 'RETURNED',
  EXECUTED_PENDING_WITNESS: 'EXECUTED_PENDING_WITNESS',
  EXECUTED_PENDING_WITNESS_LAST: 'EXECUTED_PENDING_WITNESS',
  CLOSED: 'CLOSED',
};

const REACHABLE: Record<Kind, readonly Situation[]> = {
  COPY: ['DRAFT', 'DRAFT_RETURNED', 'IN_APPROVAL', 'IN_APPROVAL_LAST', 'APPROVED', 'REJECTED', 'WITHDRAWN', 'EXPIRED', 'CLOSED'],
  CARRY_OUT: ['DRAFT', 'DRAFT_RETURNED', 'IN_APPROVAL', 'IN_APPROVAL_LAST', 'APPROVED', 'REJECTED', 'WITHDRAWN', 'EXPIRED', 'OUT', 'OVERDUE', 'RETURNED', 'CLOSED'],
  DESTROY: [
    'DRAFT',
    'DRAFT_RETURNED',
    'IN_APPROVAL',
    'IN_APPROVAL_LAST',
    'APPROVED',
    'REJECTED',
    'WITHDRAWN',
    'EXPIRED',
    'EXECUTED_PENDING_WITNESS',
    'EXECUTED_PENDING_WITNESS_LAST',
    'CLOSED',
  ],
};

function build(kind: Kind, s: Situation): Request {
  const later = kind === 'CARRY_OUT' ? { details: { due: DUE_LATE } } : {};
  switch (s) {
    case 'DRAFT':
      return draft(kind, 'SECRET', later);
    case 'DRAFT_RETURNED': {
      const r = submitted(kind, 'SECRET', later);
      return step(r, { type: 'return', reason: '请补充用途' }, currentApprover(r));
    }
    case 'IN_APPROVAL':
      return submitted(kind, 'SECRET', later);
    case 'IN_APPROVAL_LAST': {
      let r = submitted(kind, 'SECRET', later);
      while (r.currentStep! < r.steps.length - 1) r = step(r, { type: 'approve' }, currentApprover(r));
      return r;
    }
    case 'APPROVED':
      return approved(kind, 'SECRET', later);
    case 'REJECTED': {
      const r = submitted(kind, 'SECRET', later);
      return step(r, { type: 'reject', reason: '无必要' }, currentApprover(r));
    }
    case 'WITHDRAWN':
      return step(submitted(kind, 'SECRET', later), { type: 'withdraw' }, P.req);
    case 'EXPIRED':
      return step(approved(kind, 'SECRET', later), { type: 'expire' }, P.system, days(8));
    case 'OUT':
      return step(approved(kind), { type: 'check_out' }, P.so3);
    case 'OVERDUE':
      return step(build(kind, 'OUT'), { type: 'mark_overdue' }, P.system, days(3));
    case 'RETURNED':
      return step(build(kind, 'OUT'), { type: 'return_carrier' }, P.so1, days(1));
    case 'EXECUTED_PENDING_WITNESS':
      return step(approved(kind), { type: 'record_destruction', witnesses: [P.w1.id, P.w2.id] }, P.so1, days(1));
    case 'EXECUTED_PENDING_WITNESS_LAST':
      return step(build(kind, 'EXECUTED_PENDING_WITNESS'), { type: 'confirm_witness' }, P.w1, days(1));
    case 'CLOSED':
      if (kind === 'COPY') return step(approved(kind), { type: 'complete_copy', copiesMade: 2, originalsReturned: true, wasteRecovered: true, deviceWiped: true }, P.so1, days(1));
      if (kind === 'CARRY_OUT') return step(build(kind, 'RETURNED'), { type: 'inspect', ok: true }, P.so2, days(1));
      return step(build(kind, 'EXECUTED_PENDING_WITNESS_LAST'), { type: 'confirm_witness' }, P.w2, days(1));
  }
}

/** A request in the situation: driven through the machine where reachable, else forged from APPROVED. */
function situation(kind: Kind, s: Situation): Request {
  if (REACHABLE[kind].includes(s)) return build(kind, s);
  return { ...build(kind, 'APPROVED'), state: SITUATIONS[s] };
}

/** A well-formed command, so that only the state/kind guard decides. */
function commandFor(type: CommandType, kind: Kind): Command {
  switch (type) {
    case 'submit':
      return { type, assignees: assigneesFor(kind, 'SECRET') };
    case 'approve':
      return { type };
    case 'transfer':
      return { type, to: 'ou_new_approver' };
    case 'reject':
    case 'return':
      return { type, reason: '理由' };
    case 'resubmit':
      return { type, patch: kind === 'CARRY_OUT' ? { details: { due: DUE_LATE } } : {} };
    case 'withdraw':
    case 'expire':
    case 'check_out':
    case 'announce_return':
    case 'return_carrier':
    case 'mark_overdue':
    case 'confirm_witness':
      return { type };
    case 'complete_copy':
      return { type, copiesMade: 1, originalsReturned: true, wasteRecovered: true, deviceWiped: true };
    case 'inspect':
      return { type, ok: true };
    case 'record_destruction':
      return { type, witnesses: [P.w1.id, P.w2.id] };
  }
}

/** The person who would rightly issue the command, so that only the state/kind guard decides. */
function actorFor(type: CommandType, r: Request): Actor {
  switch (type) {
    case 'submit':
    case 'resubmit':
    case 'withdraw':
    case 'announce_return':
      return P.req;
    case 'approve':
    case 'reject':
    case 'return':
    case 'transfer':
      return r.state === 'IN_APPROVAL' ? currentApprover(r) : P.dh;
    case 'expire':
    case 'mark_overdue':
      return P.system;
    case 'complete_copy':
    case 'record_destruction':
    case 'check_out':
    case 'return_carrier':
    case 'inspect':
      return P.so3;
    case 'confirm_witness':
      return r.kind === 'DESTROY' && r.details.witnesses.length && r.details.confirmedWitnesses.includes(P.w1.id) ? P.w2 : P.w1;
  }
}

type Row = `${Kind}.${Situation}.${CommandType}`;
const ALL_KINDS = (s: Situation, c: CommandType, to: State) => Object.fromEntries(KINDS.map((k) => [`${k}.${s}.${c}`, to])) as Record<Row, State>;

/** The allowed edges and the state each leads to. */
const ALLOWED: Partial<Record<Row, State>> = {
  ...ALL_KINDS('DRAFT', 'submit', 'IN_APPROVAL'),
  ...ALL_KINDS('DRAFT', 'withdraw', 'WITHDRAWN'),
  ...ALL_KINDS('DRAFT_RETURNED', 'submit', 'IN_APPROVAL'),
  ...ALL_KINDS('DRAFT_RETURNED', 'resubmit', 'IN_APPROVAL'),
  ...ALL_KINDS('DRAFT_RETURNED', 'withdraw', 'WITHDRAWN'),
  ...ALL_KINDS('IN_APPROVAL', 'approve', 'IN_APPROVAL'),
  ...ALL_KINDS('IN_APPROVAL', 'reject', 'REJECTED'),
  ...ALL_KINDS('IN_APPROVAL', 'return', 'DRAFT'),
  ...ALL_KINDS('IN_APPROVAL', 'withdraw', 'WITHDRAWN'),
  ...ALL_KINDS('IN_APPROVAL', 'transfer', 'IN_APPROVAL'),
  ...ALL_KINDS('IN_APPROVAL_LAST', 'transfer', 'IN_APPROVAL'),
  ...ALL_KINDS('IN_APPROVAL_LAST', 'approve', 'APPROVED'),
  ...ALL_KINDS('IN_APPROVAL_LAST', 'reject', 'REJECTED'),
  ...ALL_KINDS('IN_APPROVAL_LAST', 'return', 'DRAFT'),
  ...ALL_KINDS('IN_APPROVAL_LAST', 'withdraw', 'WITHDRAWN'),
  ...ALL_KINDS('APPROVED', 'expire', 'EXPIRED'),
  'COPY.APPROVED.complete_copy': 'CLOSED',
  'CARRY_OUT.APPROVED.check_out': 'OUT',
  // announcing the return leaves the state alone: the carriers are out until an officer receives them
  'CARRY_OUT.OUT.announce_return': 'OUT',
  'CARRY_OUT.OVERDUE.announce_return': 'OVERDUE',
  'CARRY_OUT.OUT.return_carrier': 'RETURNED',
  'CARRY_OUT.OUT.mark_overdue': 'OVERDUE',
  'CARRY_OUT.OVERDUE.return_carrier': 'RETURNED',
  'CARRY_OUT.RETURNED.inspect': 'CLOSED',
  'DESTROY.APPROVED.record_destruction': 'EXECUTED_PENDING_WITNESS',
  'DESTROY.EXECUTED_PENDING_WITNESS.confirm_witness': 'EXECUTED_PENDING_WITNESS',
  'DESTROY.EXECUTED_PENDING_WITNESS_LAST.confirm_witness': 'CLOSED',
};

/** Commands that only exist for some kinds: refused with `wrong_kind` on the others. */
const KIND_OF: Partial<Record<CommandType, Kind>> = {
  complete_copy: 'COPY',
  check_out: 'CARRY_OUT',
  announce_return: 'CARRY_OUT',
  return_carrier: 'CARRY_OUT',
  inspect: 'CARRY_OUT',
  mark_overdue: 'CARRY_OUT',
  record_destruction: 'DESTROY',
  confirm_witness: 'DESTROY',
};

/** Refusals more specific than `bad_state`. */
const SPECIFIC: Partial<Record<Row, string>> = Object.fromEntries(KINDS.map((k) => [`${k}.DRAFT.resubmit`, 'workflow.not_returned']));

function expected(kind: Kind, s: Situation, c: CommandType): { state: State } | { code: string } {
  const row = `${kind}.${s}.${c}` as Row;
  const only = KIND_OF[c];
  if (only && only !== kind) return { code: 'workflow.wrong_kind' };
  const to = ALLOWED[row];
  if (to) return { state: to };
  return { code: SPECIFIC[row] ?? 'workflow.bad_state' };
}

const situations = Object.keys(SITUATIONS) as Situation[];
const cases = KINDS.flatMap((kind) => situations.flatMap((s) => COMMAND_TYPES.map((c) => [kind, s, c] as const)));

describe('transition table: every kind × situation × command', () => {
  const cache = new Map<string, Request>();
  const get = (kind: Kind, s: Situation) => {
    const k = `${kind}.${s}`;
    if (!cache.has(k)) cache.set(k, situation(kind, s));
    return cache.get(k)!;
  };

  it.each(cases)('%s %s %s', (kind, s, c) => {
    const req = get(kind, s);
    expect(req.state).toBe(SITUATIONS[s]);
    const r = transition(req, commandFor(c, kind), actorFor(c, req), ctx(NOW));
    const exp = expected(kind, s, c);
    if ('state' in exp) {
      expect(r.ok, JSON.stringify(!r.ok && r.error)).toBe(true);
      if (r.ok) {
        expect(r.request.state).toBe(exp.state);
        expect(r.request.version).toBe(req.version + 1);
      }
    } else {
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error.code).toBe(exp.code);
        if (exp.code === 'workflow.bad_state') expect(r.error.params).toEqual({ state: req.state });
      }
    }
  });

  it('has a situation for every state and only known states', () => {
    expect(new Set(Object.values(SITUATIONS))).toEqual(new Set(STATES));
  });

  it('lets every command through somewhere (a new command needs a row)', () => {
    const used = new Set(Object.keys(ALLOWED).map((k) => k.split('.')[2]));
    expect(used).toEqual(new Set(COMMAND_TYPES));
  });

  it('leaves terminal states only by no command', () => {
    for (const kind of KINDS) {
      for (const s of ['REJECTED', 'WITHDRAWN', 'EXPIRED', 'CLOSED'] as const) {
        expect(COMMAND_TYPES.filter((c) => 'state' in expected(kind, s, c))).toEqual([]);
      }
    }
  });

  it('uses a CARRY_OUT due date that is already past at NOW for OUT (overdue) and future for APPROVED', () => {
    expect(get('CARRY_OUT', 'OUT').kind === 'CARRY_OUT' && get('CARRY_OUT', 'OUT').details).toMatchObject({ due: DUE_SOON });
    expect(get('CARRY_OUT', 'APPROVED').details).toMatchObject({ due: DUE_LATE });
    expect(T0.toISOString()).toBe('2026-03-02T02:00:00.000Z');
  });

  it('approveAll reaches APPROVED', () => {
    expect(approveAll(submitted('COPY')).state).toBe('APPROVED');
  });
});
