import { expect } from 'vitest';
import {
  chainFor,
  createDraft,
  defaultPolicy,
  transition,
  type Actor,
  type CarrierRef,
  type Command,
  type Effect,
  type Kind,
  type Level,
  type Policy,
  type Request,
  type Role,
  type TransitionContext,
  type TransitionResult,
} from '../../domain/index.js';

export const TZ = 'Asia/Shanghai';
/** Monday 2026-03-02 10:00 in Shanghai. */
export const T0 = new Date('2026-03-02T02:00:00Z');
export const hours = (h: number, from: Date = T0) => new Date(from.getTime() + h * 3_600_000);
export const days = (d: number, from: Date = T0) => hours(d * 24, from);

export const policy: Policy = defaultPolicy();
export const ctx = (now: Date = T0, p: Policy = policy): TransitionContext => ({ now, policy: p, timezone: TZ });

const person = (id: string, ...roles: Role[]): Actor => ({ id, roles: ['staff', ...roles] });
export const P = {
  req: person('ou_req'),
  dh: person('ou_dh', 'dept_head'),
  so1: person('ou_so1', 'security_officer'),
  so2: person('ou_so2', 'security_officer'),
  /** A security officer who is in no step's assignee list. */
  so3: person('ou_so3', 'security_officer'),
  sh: person('ou_sh', 'security_head'),
  leader: person('ou_ld', 'leader'),
  principal: person('ou_pr', 'principal'),
  admin: { id: 'ou_admin', roles: ['admin'] } as Actor,
  staff: person('ou_x'),
  comp: person('ou_comp'),
  w1: person('ou_w1'),
  w2: person('ou_w2'),
  w3: person('ou_w3'),
  system: { id: 'system', roles: [], system: true } as Actor,
} as const;

/** Who the caller would resolve for each role (security officers: an ANY_OF pool). */
export const ROLE_PEOPLE: Partial<Record<Role, string[]>> = {
  dept_head: ['ou_dh'],
  security_officer: ['ou_so1', 'ou_so2'],
  security_head: ['ou_sh'],
  leader: ['ou_ld'],
  principal: ['ou_pr'],
  committee_chair: ['ou_chair'],
  classification_officer: ['ou_co'],
};

export function assigneesFor(kind: Kind, level: Level, p: Policy = policy): string[][] {
  return chainFor(p, kind, level).map((s) => [...(ROLE_PEOPLE[s.role] ?? [])]);
}

export const actorById = (id: string): Actor => {
  const a = Object.values(P).find((x) => x.id === id);
  if (!a) throw new Error(`no actor ${id}`);
  return a;
};

export const carrier = (number: string, level: Level, extra: Partial<CarrierRef> = {}): CarrierRef => ({
  number,
  level,
  copyRestricted: false,
  mustReturnToIssuer: false,
  ...extra,
});

export const DUE_SOON = '2026-03-04';
export const DUE_LATE = '2026-03-30';

export function detailsFor(kind: Kind, level: Level, over: Record<string, unknown> = {}): Record<string, unknown> {
  switch (kind) {
    case 'COPY':
      return { copies: 2, purpose: '部门会议使用', ...(level === 'TOP_SECRET' ? { ref: '国保〔2026〕12号' } : {}), ...over };
    case 'CARRY_OUT':
      return { destination: '市保密局', due: DUE_SOON, purpose: '工作汇报', companions: ['ou_comp'], abroad: false, ...over };
    case 'DESTROY':
      return { reason: '失去保存价值', method: '粉碎', site: '本单位保密室', ...over };
  }
}

export const ID: Record<Kind, string> = { COPY: 'CP-2026-0001', CARRY_OUT: 'CO-2026-0001', DESTROY: 'DS-2026-0001' };

export function draft(kind: Kind, level: Level = 'SECRET', over: { details?: Record<string, unknown>; carriers?: CarrierRef[]; requesterId?: string; now?: Date } = {}): Request {
  const r = createDraft(
    {
      id: ID[kind],
      kind,
      requesterId: over.requesterId ?? P.req.id,
      deptId: 'dept_1',
      carriers: over.carriers ?? [carrier(`${kind === 'COPY' ? 'JM' : kind === 'CARRY_OUT' ? 'JX' : 'JD'}-001`, level)],
      details: detailsFor(kind, level, over.details),
    },
    ctx(over.now ?? T0),
  );
  if (!r.ok) throw new Error(`draft failed: ${JSON.stringify(r.error)}`);
  return r.request;
}

export function ok(r: TransitionResult): { request: Request; effects: Effect[] } {
  if (!r.ok) throw new Error(`expected ok, got ${JSON.stringify(r.error)}`);
  return r;
}

export function step(req: Request, cmd: Command, actor: Actor, now: Date = T0): Request {
  return ok(transition(req, cmd, actor, ctx(now))).request;
}

export function expectError(r: TransitionResult, code: string, params?: Record<string, string | number>): void {
  expect(r.ok, JSON.stringify(r)).toBe(false);
  if (r.ok) return;
  expect(r.error.code).toBe(code);
  if (params) expect(r.error.params).toMatchObject(params);
}

export function submitted(kind: Kind, level: Level = 'SECRET', over: Parameters<typeof draft>[2] = {}): Request {
  const d = draft(kind, level, over);
  return step(d, { type: 'submit', assignees: assigneesFor(kind, d.maxLevel) }, actorById(d.requesterId), over.now ?? T0);
}

/** The actor who should decide the current step (first assignee who is not the requester). */
export function currentApprover(r: Request): Actor {
  const s = r.steps[r.currentStep ?? -1];
  if (!s) throw new Error('no current step');
  const id = s.assignees.find((a) => a !== r.requesterId && !r.steps.some((x) => x.decidedBy === a));
  if (!id) throw new Error('no approver');
  return actorById(id);
}

export function approveAll(r: Request, now: Date = T0): Request {
  let cur = r;
  while (cur.state === 'IN_APPROVAL') cur = step(cur, { type: 'approve' }, currentApprover(cur), now);
  return cur;
}

export function approved(kind: Kind, level: Level = 'SECRET', over: Parameters<typeof draft>[2] = {}): Request {
  return approveAll(submitted(kind, level, over), over.now ?? T0);
}

export function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o as object)) deepFreeze(v);
  }
  return o;
}

export function flattenKeys(o: unknown, prefix = ''): string[] {
  if (typeof o !== 'object' || o === null) return [prefix];
  return Object.entries(o as Record<string, unknown>).flatMap(([k, v]) => flattenKeys(v, prefix ? `${prefix}.${k}` : k));
}
