import { inputFields, validateContent } from './content.js';
import { err } from './errors.js';
import { checkDestructionWitnesses, checkLegalFloor, destructionComplete, distinctIds } from './floor.js';
import { KINDS } from './types.js';
import { parseRequestId } from './request-id.js';
import { chainFor, planSteps, type Policy } from './policy.js';
import { DAY_MS, HOUR_MS, endOfLocalDay, isIsoDate, isValidTimeZone, localDate } from './time.js';
import {
  COMMAND_TYPES,
  STATES,
  type Actor,
  type AnyDetails,
  type ApprovalStep,
  type CarrierRef,
  type CarryRequest,
  type Command,
  type CommandType,
  type CopyRequest,
  type DestroyRequest,
  type Effect,
  type EffectBody,
  type Kind,
  type Params,
  type ReminderKind,
  type Request,
  type RequestPatch,
  type State,
  type TransitionResult,
  type WorkflowError,
} from './types.js';

export const DEFAULT_TIMEZONE = 'Asia/Shanghai';
const MAX_TEXT = 500;

export interface TransitionContext {
  now: Date;
  policy: Policy;
  /** IANA zone for calendar dates (due days, "today"); default Asia/Shanghai (BAOMI_TIMEZONE). */
  timezone?: string;
}

/** Which states each command applies to, and for which kinds (the machine's edges). */
export const COMMAND_RULES: Record<CommandType, { kinds: readonly Kind[]; from: readonly State[] }> = {
  submit: { kinds: KINDS, from: ['DRAFT'] },
  approve: { kinds: KINDS, from: ['IN_APPROVAL'] },
  reject: { kinds: KINDS, from: ['IN_APPROVAL'] },
  return: { kinds: KINDS, from: ['IN_APPROVAL'] },
  resubmit: { kinds: KINDS, from: ['DRAFT'] },
  withdraw: { kinds: KINDS, from: ['DRAFT', 'IN_APPROVAL'] },
  transfer: { kinds: KINDS, from: ['IN_APPROVAL'] },
  expire: { kinds: KINDS, from: ['APPROVED'] },
  complete_copy: { kinds: ['COPY'], from: ['APPROVED'] },
  check_out: { kinds: ['CARRY_OUT'], from: ['APPROVED'] },
  announce_return: { kinds: ['CARRY_OUT'], from: ['OUT', 'OVERDUE'] },
  return_carrier: { kinds: ['CARRY_OUT'], from: ['OUT', 'OVERDUE'] },
  inspect: { kinds: ['CARRY_OUT'], from: ['RETURNED'] },
  mark_overdue: { kinds: ['CARRY_OUT'], from: ['OUT'] },
  record_destruction: { kinds: ['DESTROY'], from: ['APPROVED'] },
  confirm_witness: { kinds: ['DESTROY'], from: ['EXECUTED_PENDING_WITNESS'] },
};

// ---- plumbing ----------------------------------------------------------------------------------

interface Env {
  actor: Actor;
  now: Date;
  nowIso: string;
  policy: Policy;
  tz: string;
  today: string;
  /** The version the new state will carry. */
  version: number;
}

interface Step {
  next: Request;
  effects: EffectBody[];
  stepIndex?: number;
  comment?: string;
  /** `transfer`: the person the step went to (history and audit). */
  to?: string;
}

type Outcome = Step | { error: WorkflowError };
const fail = (code: Parameters<typeof err>[0], params?: Params): Outcome => ({ error: err(code, params) });
const isFail = (o: Outcome | WorkflowError | null | undefined): o is { error: WorkflowError } => !!o && typeof o === 'object' && 'error' in o;

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isNonEmptyString = (x: unknown): x is string => typeof x === 'string' && x.trim().length > 0;
const isSecurityOfficer = (a: Actor) => a.roles.includes('security_officer');

function plusHours(now: Date, h: number): string {
  return new Date(now.getTime() + h * HOUR_MS).toISOString();
}

function approvers(r: Request): { role: string; by: string; at: string }[] {
  return r.steps.filter((s) => s.decision === 'APPROVED' && s.decidedBy && s.decidedAt).map((s) => ({ role: s.role, by: s.decidedBy!, at: s.decidedAt! }));
}

function cancel(env: Env, kinds?: ReminderKind[]): EffectBody {
  return kinds ? { type: 'reminder.cancel', kinds, beforeVersion: env.version } : { type: 'reminder.cancel', beforeVersion: env.version };
}

const APPROVAL_REMINDERS: ReminderKind[] = ['approval.remind', 'approval.escalate'];
const EXECUTION_REMINDERS: ReminderKind[] = ['execution.remind', 'request.expire'];

function baseParams(r: Request): Params {
  return { id: r.id, kind: r.kind, level: r.maxLevel, requester: r.requesterId };
}

function setTerminal(next: Request, state: State, env: Env): void {
  next.state = state;
  next.currentStep = null;
  next.closedAt = env.nowIso;
}

// ---- approval chain ----------------------------------------------------------------------------

function stepsMatchChain(steps: readonly ApprovalStep[], r: Request, policy: Policy): WorkflowError | null {
  const chain = chainFor(policy, r.kind, r.maxLevel);
  if (steps.length !== chain.length) return err('workflow.chain_mismatch', { step: Math.min(steps.length, chain.length) + 1 });
  for (const [i, c] of chain.entries()) {
    const s = steps[i]!;
    if (s.role !== c.role || s.mode !== c.mode) return err('workflow.chain_mismatch', { step: i + 1 });
  }
  return null;
}

/** Can every step get a different person, none of them the requester? (bipartite matching) */
function distinctApproversPossible(candidates: string[][]): boolean {
  const owner = new Map<string, number>();
  const tryStep = (i: number, seen: Set<string>): boolean => {
    for (const p of candidates[i] ?? []) {
      if (seen.has(p)) continue;
      seen.add(p);
      const o = owner.get(p);
      if (o === undefined || tryStep(o, seen)) {
        owner.set(p, i);
        return true;
      }
    }
    return false;
  };
  return candidates.every((_, i) => tryStep(i, new Set()));
}

function validateAssignees(steps: readonly ApprovalStep[], requesterId: string): WorkflowError | null {
  const candidates: string[][] = [];
  for (const [i, s] of steps.entries()) {
    const ids = distinctIds(s.assignees);
    if (s.mode === 'ONE' && ids.length > 1) return err('workflow.one_assignee', { step: i + 1, role: s.role });
    const eligible = ids.filter((id) => id !== requesterId);
    if (eligible.length === 0) return err('workflow.no_assignee', { step: i + 1, role: s.role });
    candidates.push(eligible);
  }
  return distinctApproversPossible(candidates) ? null : err('workflow.no_distinct_approvers');
}

function freshSteps(steps: readonly ApprovalStep[]): ApprovalStep[] {
  return steps.map((s) => ({ role: s.role, mode: s.mode, purpose: s.purpose, assignees: distinctIds(s.assignees), decision: 'PENDING' }));
}

/** Effects of a step becoming current: ask its assignees, schedule reminder and escalation. */
function enterStep(r: Request, k: number, env: Env): EffectBody[] {
  const step = r.steps[k]!;
  const decided = new Set(r.steps.map((s) => s.decidedBy).filter(Boolean));
  const people = step.assignees.filter((id) => id !== r.requesterId && !decided.has(id));
  const params: Params = { ...baseParams(r), step: k + 1, role: step.role };
  const out: EffectBody[] = [];
  for (const to of people) out.push({ type: 'notify', to, template: 'notify.approval_needed', params });
  for (const openId of people) {
    out.push({ type: 'reminder.create', kind: 'approval.remind', dueAt: plusHours(env.now, env.policy.sla.remindHours), target: { openId }, params });
  }
  out.push({
    type: 'reminder.create',
    kind: 'approval.escalate',
    dueAt: plusHours(env.now, env.policy.sla.escalateHours),
    target: { role: env.policy.sla.escalateTo },
    params,
  });
  return out;
}

// ---- submit / resubmit -------------------------------------------------------------------------

function parseAssignees(x: unknown): string[][] | null | undefined {
  if (x === undefined) return undefined;
  if (!Array.isArray(x) || x.length > 20) return null;
  const out: string[][] = [];
  for (const row of x) {
    if (!Array.isArray(row) || row.length > 50 || !row.every((id) => typeof id === 'string')) return null;
    out.push(row as string[]);
  }
  return out;
}

function startApproval(req: Request, next: Request, carriersIn: unknown, detailsIn: unknown, assigneesIn: unknown, env: Env, resubmit: boolean): Outcome {
  const assignees = parseAssignees(assigneesIn);
  if (assignees === null) return fail('workflow.invalid_command', { field: 'assignees' });
  const content = validateContent(req.kind, carriersIn, detailsIn, req.requesterId, env.today);
  if (!content.ok) return { error: content.error };
  next.carriers = content.carriers;
  next.details = content.details as typeof next.details;
  next.maxLevel = content.maxLevel;
  next.regime = content.regime;
  const steps = assignees ? planSteps(env.policy, req.kind, content.maxLevel, assignees) : freshSteps(req.steps ?? []);
  const mismatch = stepsMatchChain(steps, next, env.policy);
  if (mismatch) return { error: mismatch };
  const bad = validateAssignees(steps, req.requesterId);
  if (bad) return { error: bad };
  next.steps = freshSteps(steps);
  next.state = 'IN_APPROVAL';
  next.currentStep = 0;
  next.round = (req.round ?? 0) + 1;
  next.submittedAt = env.nowIso;
  next.policyVersion = env.policy.version;
  delete next.approvedAt;
  delete next.closedAt;
  const effects: EffectBody[] = [
    cancel(env),
    { type: 'notify', to: req.requesterId, template: resubmit ? 'notify.resubmitted' : 'notify.submitted', params: baseParams(next) },
    ...enterStep(next, 0, env),
  ];
  // 抄送: a read-only card for each person copied, once (a resubmission updates it in place).
  // An approver of the request already holds its card; the requester holds their own.
  if (!resubmit) {
    const approvers = new Set(next.steps.flatMap((s) => s.assignees));
    for (const to of ccOf(next)) if (!approvers.has(to)) effects.push({ type: 'notify', to, template: 'notify.cc', params: baseParams(next) });
  }
  return { next, effects };
}

/** The people copied on a request (never the requester). */
export function ccOf(r: Pick<Request, 'cc' | 'requesterId'>): string[] {
  return distinctIds(r.cc).filter((id) => id !== r.requesterId);
}

/** At most this many people are copied on one request. */
export const MAX_CC = 20;

function submit(req: Request, cmd: Extract<Command, { type: 'submit' }>, env: Env, next: Request): Outcome {
  if (env.actor.id !== req.requesterId) return fail('workflow.not_requester');
  return startApproval(req, next, req.carriers, inputFields(req.kind, req.details), cmd.assignees, env, false);
}

function resubmit(req: Request, cmd: Extract<Command, { type: 'resubmit' }>, env: Env, next: Request): Outcome {
  if (env.actor.id !== req.requesterId) return fail('workflow.not_requester');
  if (!(req.round > 0)) return fail('workflow.not_returned');
  const patch: RequestPatch = cmd.patch ?? {};
  if (!isObj(patch)) return fail('workflow.invalid_command', { field: 'patch' });
  const unknownKey = Object.keys(patch).find((k) => !['carriers', 'details', 'deptId'].includes(k));
  if (unknownKey) return fail('workflow.invalid_command', { field: `patch.${unknownKey}` });
  if (patch.details !== undefined && !isObj(patch.details)) return fail('workflow.invalid_command', { field: 'patch.details' });
  if (patch.deptId !== undefined) {
    if (!isNonEmptyString(patch.deptId)) return fail('workflow.invalid_command', { field: 'patch.deptId' });
    next.deptId = patch.deptId.trim();
  }
  const details = { ...inputFields(req.kind, req.details), ...(patch.details ?? {}) };
  return startApproval(req, next, patch.carriers ?? req.carriers, details, cmd.assignees, env, true);
}

// ---- decisions ---------------------------------------------------------------------------------

/** Who may decide the current step; answers the most helpful refusal. */
function decisionGuard(req: Request, cmd: { stepIndex?: unknown; version?: unknown }, actor: Actor): number | WorkflowError {
  const { stepIndex, version } = cmd;
  if (version !== undefined && (typeof version !== 'number' || !Number.isInteger(version))) {
    return err('workflow.invalid_command', { field: 'version' });
  }
  if (stepIndex !== undefined) {
    if (typeof stepIndex !== 'number' || !Number.isInteger(stepIndex) || stepIndex < 0) {
      return err('workflow.invalid_command', { field: 'stepIndex' });
    }
    const shown = req.steps[stepIndex];
    if (shown && shown.decision !== 'PENDING' && shown.decidedBy) {
      return err('workflow.already_decided', { by: shown.decidedBy, at: shown.decidedAt ?? '', step: stepIndex + 1 });
    }
  }
  if (req.state !== 'IN_APPROVAL') return err('workflow.bad_state', { state: req.state });
  const k = req.currentStep;
  const step = k === null ? undefined : req.steps[k];
  if (k === null || !step) return err('workflow.invalid_request');
  if (stepIndex !== undefined && stepIndex !== k) return err('workflow.stale_step', { step: (stepIndex as number) + 1, current: k + 1 });
  if (version !== undefined && version !== req.version) return err('workflow.stale_card', { version: req.version });
  if (actor.id === req.requesterId) return err('workflow.own_request');
  const other = req.steps.findIndex((s, i) => i !== k && s.decidedBy === actor.id);
  if (other >= 0) return err('workflow.already_decided_other_step', { step: other + 1, role: req.steps[other]!.role });
  if (!step.assignees.includes(actor.id) || !actor.roles.includes(step.role)) {
    // Someone else decided a step this actor was also asked to decide (an ANY_OF race, a stale card).
    const missed = req.steps.find((s) => s.decision !== 'PENDING' && s.decidedBy && s.assignees.includes(actor.id));
    if (missed) return err('workflow.already_decided', { by: missed.decidedBy!, at: missed.decidedAt ?? '', step: req.steps.indexOf(missed) + 1 });
    return err('workflow.not_assignee', { role: step.role, step: k + 1 });
  }
  return k;
}

function optionalText(x: unknown, field: string): string | undefined | WorkflowError {
  if (x === undefined || x === null) return undefined;
  if (typeof x !== 'string' || x.length > MAX_TEXT) return err('workflow.invalid_command', { field });
  return x.trim() || undefined;
}

function requiredReason(x: unknown): string | WorkflowError {
  if (typeof x !== 'string' || !x.trim()) return err('workflow.reason_required');
  if (x.length > MAX_TEXT) return err('workflow.invalid_command', { field: 'reason' });
  return x.trim();
}

function approve(req: Request, cmd: Extract<Command, { type: 'approve' }>, env: Env, next: Request): Outcome {
  const k = decisionGuard(req, cmd, env.actor);
  if (typeof k !== 'number') return { error: k };
  const comment = optionalText(cmd.comment, 'comment');
  if (typeof comment === 'object') return { error: comment };
  const step = next.steps[k]!;
  step.decision = 'APPROVED';
  step.decidedBy = env.actor.id;
  step.decidedAt = env.nowIso;
  if (comment) step.comment = comment;
  const effects: EffectBody[] = [cancel(env, APPROVAL_REMINDERS)];
  const params: Params = { ...baseParams(next), step: k + 1, role: step.role, by: env.actor.id };
  if (k + 1 < next.steps.length) {
    next.currentStep = k + 1;
    effects.push({ type: 'notify', to: req.requesterId, template: 'notify.step_approved', params });
    effects.push(...enterStep(next, k + 1, env));
    return { next, effects, stepIndex: k, ...(comment ? { comment } : {}) };
  }
  next.state = 'APPROVED';
  next.currentStep = null;
  next.approvedAt = env.nowIso;
  const ex = env.policy.execution;
  effects.push({ type: 'notify', to: req.requesterId, template: 'notify.approved', params: baseParams(next) });
  // The security office carries it out: registers copies, hands carriers out, destroys them.
  effects.push({ type: 'notify', toRole: 'security_officer', template: 'notify.ready_to_execute', params: baseParams(next) });
  if (next.kind === 'DESTROY') {
    for (const c of next.carriers) effects.push({ type: 'carrier.status', number: c.number, status: 'PENDING_DESTRUCTION' });
  }
  effects.push({
    type: 'reminder.create',
    kind: 'execution.remind',
    dueAt: plusHours(env.now, ex.remindDays * 24),
    target: { openId: req.requesterId },
    params: baseParams(next),
  });
  effects.push({
    type: 'reminder.create',
    kind: 'request.expire',
    dueAt: new Date(env.now.getTime() + ex.expiryDays * DAY_MS).toISOString(),
    target: { system: true },
  });
  return { next, effects, stepIndex: k, ...(comment ? { comment } : {}) };
}

/**
 * Guarded releases for a request that ends (or goes back to draft) without holding its carriers:
 * the final approval of a destruction claims them before its commit, so a crash in between can
 * leave a claim behind. The effect gives a carrier back only while this request holds it (a no-op
 * otherwise), so no claim outlives the request that made it.
 */
function releaseClaims(req: Request): EffectBody[] {
  if (req.kind !== 'DESTROY' && req.kind !== 'CARRY_OUT') return [];
  return req.carriers.map((c) => ({ type: 'carrier.status', number: c.number, status: 'IN_STOCK' }) as EffectBody);
}

/** The guard of a decision that needs a reason (reject, return): the step index and the reason, or the refusal. */
function decisionWithReason(req: Request, cmd: { reason: unknown; stepIndex?: unknown; version?: unknown }, env: Env): { k: number; reason: string } | { error: WorkflowError } {
  const k = decisionGuard(req, cmd, env.actor);
  if (typeof k !== 'number') return { error: k };
  const reason = requiredReason(cmd.reason);
  if (typeof reason !== 'string') return { error: reason };
  return { k, reason };
}

function reject(req: Request, cmd: Extract<Command, { type: 'reject' }>, env: Env, next: Request): Outcome {
  const d = decisionWithReason(req, cmd, env);
  if ('error' in d) return d;
  const { k, reason } = d;
  const step = next.steps[k]!;
  Object.assign(step, { decision: 'REJECTED', decidedBy: env.actor.id, decidedAt: env.nowIso, comment: reason });
  setTerminal(next, 'REJECTED', env);
  return {
    next,
    stepIndex: k,
    comment: reason,
    effects: [
      cancel(env),
      ...(req.kind === 'DESTROY' ? releaseClaims(req) : []),
      { type: 'notify', to: req.requesterId, template: 'notify.rejected', params: { ...baseParams(next), by: env.actor.id, role: step.role, reason } },
    ],
  };
}

function returnForEdit(req: Request, cmd: Extract<Command, { type: 'return' }>, env: Env, next: Request): Outcome {
  const d = decisionWithReason(req, cmd, env);
  if ('error' in d) return d;
  const { k, reason } = d;
  const role = next.steps[k]!.role;
  // The RETURNED decision lives on in the history entry; the steps restart from the first.
  next.steps = freshSteps(next.steps);
  next.state = 'DRAFT';
  next.currentStep = null;
  return {
    next,
    stepIndex: k,
    comment: reason,
    effects: [
      cancel(env),
      ...(req.kind === 'DESTROY' ? releaseClaims(req) : []),
      { type: 'notify', to: req.requesterId, template: 'notify.returned', params: { ...baseParams(next), by: env.actor.id, role, reason } },
    ],
  };
}

/**
 * 转交: the assignee of the current step hands it to `to`. The step keeps its place, role and
 * mode; `to` takes the actor's seat among its assignees. The floor's "nobody decides two steps of
 * one request, nobody their own" still holds: `to` is not the requester, decided no other step of
 * this round, and a distinct approver can still be found for every step left. The caller checks
 * that `to` is real and eligible for the step's role (handlers/approvals/people.ts).
 */
function transfer(req: Request, cmd: Extract<Command, { type: 'transfer' }>, env: Env, next: Request): Outcome {
  const k = decisionGuard(req, cmd, env.actor);
  if (typeof k !== 'number') return { error: k };
  const to = typeof cmd.to === 'string' ? cmd.to.trim() : '';
  if (!to || to.length > 128) return fail('workflow.invalid_command', { field: 'to' });
  const reason = optionalText(cmd.reason, 'reason');
  if (typeof reason === 'object') return { error: reason };
  if (to === env.actor.id) return fail('workflow.transfer_to_self');
  if (to === req.requesterId) return fail('workflow.transfer_to_requester');
  const step = next.steps[k]!;
  if (step.assignees.includes(to)) return fail('workflow.transfer_to_assignee', { step: k + 1 });
  const other = req.steps.findIndex((s, i) => i !== k && s.decidedBy === to);
  if (other >= 0) return fail('workflow.transfer_to_decider', { step: other + 1, role: req.steps[other]!.role });
  step.assignees = distinctIds(step.assignees.map((id) => (id === env.actor.id ? to : id)));
  // Every step still to decide must keep a person of its own (bipartite matching, as on submit).
  const decided = new Set(next.steps.map((s) => s.decidedBy).filter(Boolean));
  const left = next.steps.slice(k).map((s) => distinctIds(s.assignees).filter((id) => id !== req.requesterId && !decided.has(id)));
  if (!distinctApproversPossible(left)) return fail('workflow.transfer_breaks_distinct', { step: k + 1 });
  const params: Params = { ...baseParams(next), step: k + 1, role: step.role, from: env.actor.id, to };
  const effects: EffectBody[] = [
    // The reminder moves with the step; the escalation (to a role) stays where it was.
    { type: 'reminder.cancel', kinds: ['approval.remind'], target: { openId: env.actor.id }, beforeVersion: env.version },
    { type: 'notify', to, template: 'notify.transfer_to', params: { ...params, requester: req.requesterId } },
    {
      type: 'reminder.create',
      kind: 'approval.remind',
      dueAt: plusHours(env.now, env.policy.sla.remindHours),
      target: { openId: to },
      params: { ...baseParams(next), step: k + 1, role: step.role },
    },
    { type: 'notify', to: req.requesterId, template: 'notify.transferred', params },
  ];
  return { next, effects, stepIndex: k, to, ...(reason ? { comment: reason } : {}) };
}

function withdraw(req: Request, cmd: Extract<Command, { type: 'withdraw' }>, env: Env, next: Request): Outcome {
  if (env.actor.id !== req.requesterId) return fail('workflow.not_requester');
  const reason = optionalText(cmd.reason, 'reason');
  if (typeof reason === 'object') return { error: reason };
  const effects: EffectBody[] = [cancel(env), ...(req.kind === 'DESTROY' ? releaseClaims(req) : [])];
  const k = req.currentStep;
  if (req.state === 'IN_APPROVAL' && k !== null) {
    const decided = new Set(req.steps.map((s) => s.decidedBy).filter(Boolean));
    for (const to of req.steps[k]?.assignees ?? []) {
      if (to !== req.requesterId && !decided.has(to)) effects.push({ type: 'notify', to, template: 'notify.withdrawn', params: baseParams(req) });
    }
  }
  setTerminal(next, 'WITHDRAWN', env);
  return { next, effects, ...(reason ? { comment: reason } : {}) };
}

function expire(req: Request, env: Env, next: Request): Outcome {
  if (!env.actor.system) return fail('workflow.system_only');
  const approvedAt = Date.parse(req.approvedAt ?? '');
  if (!Number.isFinite(approvedAt)) return fail('workflow.invalid_request');
  const due = approvedAt + env.policy.execution.expiryDays * DAY_MS;
  if (env.now.getTime() < due) return fail('workflow.not_yet_due', { at: new Date(due).toISOString() });
  setTerminal(next, 'EXPIRED', env);
  const effects: EffectBody[] = [cancel(env), { type: 'notify', to: req.requesterId, template: 'notify.expired', params: baseParams(req) }];
  // A destruction's carriers were set aside at approval; a carry-out's may hold a claim left by a
  // crashed check-out. Both go back (guarded: only what this request holds).
  effects.push(...releaseClaims(req));
  return { next, effects };
}

// ---- after approval: COPY ----------------------------------------------------------------------

function completeCopy(req: CopyRequest, cmd: Extract<Command, { type: 'complete_copy' }>, env: Env, next: CopyRequest): Outcome {
  if (!isSecurityOfficer(env.actor)) return fail('workflow.not_security_officer');
  if (env.actor.id === req.requesterId) return fail('workflow.self_custody');
  const max = req.details.copies;
  if (typeof cmd.copiesMade !== 'number' || !Number.isInteger(cmd.copiesMade) || cmd.copiesMade < 1 || cmd.copiesMade > max) {
    return fail('workflow.bad_copies_made', { max });
  }
  // The copy register's supervision columns: each one stated, none assumed.
  if (typeof cmd.originalsReturned !== 'boolean') return fail('workflow.invalid_command', { field: 'originalsReturned' });
  if (typeof cmd.wasteRecovered !== 'boolean') return fail('workflow.invalid_command', { field: 'wasteRecovered' });
  if (typeof cmd.deviceWiped !== 'boolean') return fail('workflow.invalid_command', { field: 'deviceWiped' });
  const first = cmd.firstCopyIndex ?? {};
  if (!isObj(first) || !Object.values(first).every((n) => typeof n === 'number' && Number.isInteger(n) && n >= 1 && n < 1e6)) {
    return fail('workflow.invalid_command', { field: 'firstCopyIndex' });
  }
  const effects: EffectBody[] = [cancel(env)];
  const newNumbers: string[] = [];
  const byApprover = approvers(req);
  for (const c of req.carriers) {
    const start = (first[c.number] as number | undefined) ?? 1;
    const made: string[] = [];
    for (let i = 0; i < cmd.copiesMade; i++) made.push(`${c.number}-C${start + i}`);
    newNumbers.push(...made);
    effects.push({
      type: 'ledger',
      ledger: 'COPY',
      event: 'COPIED',
      carrierNumber: c.number,
      data: {
        requestId: req.id,
        date: env.today,
        requesterId: req.requesterId,
        ...(req.deptId ? { deptId: req.deptId } : {}),
        level: c.level,
        copiesApproved: max,
        copiesMade: cmd.copiesMade,
        ...(req.details.pages !== undefined ? { pages: req.details.pages } : {}),
        ...(req.details.method ? { method: req.details.method } : {}),
        purpose: req.details.purpose,
        ...(req.details.place ? { place: req.details.place } : {}),
        approvers: byApprover,
        ...(req.details.ref ? { externalApprovalRef: req.details.ref } : {}),
        newNumbers: made,
        originalsReturned: cmd.originalsReturned,
        wasteRecovered: cmd.wasteRecovered,
        deviceWiped: cmd.deviceWiped,
        supervisorId: env.actor.id,
      },
    });
    for (const number of made) {
      effects.push({
        type: 'carrier.create',
        number,
        sourceNumber: c.number,
        level: c.level,
        copyRestricted: c.copyRestricted,
        mustReturnToIssuer: c.mustReturnToIssuer,
        ...(c.period ? { period: c.period } : {}),
        ...(c.carrierType ? { carrierType: c.carrierType } : {}),
        ...(c.alias ? { alias: c.alias } : {}),
        custodianId: req.requesterId,
      });
      effects.push({
        type: 'ledger',
        ledger: 'MASTER',
        event: 'REGISTERED',
        carrierNumber: number,
        data: {
          requestId: req.id,
          date: env.today,
          origin: 'copied',
          sourceNumber: c.number,
          level: c.level,
          ...(c.period ? { period: c.period } : {}),
          custodianId: req.requesterId,
          registeredBy: env.actor.id,
        },
      });
    }
  }
  next.details.execution = {
    copiesMade: cmd.copiesMade,
    originalsReturned: cmd.originalsReturned,
    wasteRecovered: cmd.wasteRecovered,
    deviceWiped: cmd.deviceWiped,
    newNumbers,
    by: env.actor.id,
    at: env.nowIso,
  };
  setTerminal(next, 'CLOSED', env);
  effects.push({ type: 'notify', to: req.requesterId, template: 'notify.copy_completed', params: { ...baseParams(req), count: newNumbers.length } });
  const failed = [!cmd.originalsReturned && 'originals', !cmd.wasteRecovered && 'waste', !cmd.deviceWiped && 'device'].filter((x): x is string => !!x);
  if (failed.length) {
    const note = failed.join(',');
    next.incident = { at: env.nowIso, reason: 'COPY_SUPERVISION_FAILED', note, by: env.actor.id };
    effects.push({ type: 'incident.open', reason: 'COPY_SUPERVISION_FAILED', carrierNumbers: req.carriers.map((c) => c.number), note });
    // `failed` names the checks that failed (`originals_device`…), translated for each reader.
    effects.push({
      type: 'notify',
      toRole: 'security_head',
      template: 'notify.copy_supervision_failed',
      params: { ...baseParams(req), reason: 'COPY_SUPERVISION_FAILED', failed: failed.join('_') },
    });
  }
  return { next, effects };
}

// ---- after approval: CARRY_OUT -----------------------------------------------------------------

function overdueDays(due: string, today: string): number {
  return Math.max(0, Math.round((Date.parse(`${today}T00:00:00Z`) - Date.parse(`${due}T00:00:00Z`)) / DAY_MS));
}

/**
 * Handing carriers out and taking them back are the security officer's acts, and never for a
 * carry-out the officer takes part in (as carrier person or companion).
 */
function custodianGuard(req: CarryRequest, actor: Actor): Outcome | null {
  if (!isSecurityOfficer(actor)) return fail('workflow.not_security_officer');
  if (actor.id === req.requesterId || req.details.companions.includes(actor.id)) return fail('workflow.self_custody');
  return null;
}

function checkOut(req: CarryRequest, env: Env, next: CarryRequest): Outcome {
  const denied = custodianGuard(req, env.actor);
  if (denied) return denied;
  const due = req.details.due;
  if (!isIsoDate(due)) return fail('workflow.invalid_request');
  if (due < env.today) return fail('workflow.due_in_past', { due, today: env.today });
  // The floor again, at the moment the carrier leaves: abroad/companions cannot have changed, but
  // a request approved under an older rule set must not slip through.
  const floor = checkLegalFloor('CARRY_OUT', req.carriers, req.details, req.requesterId);
  if (floor[0]) return { error: floor[0] };
  const end = endOfLocalDay(due, env.tz);
  const effects: EffectBody[] = [cancel(env, EXECUTION_REMINDERS)];
  const byApprover = approvers(req);
  for (const c of req.carriers) {
    effects.push({ type: 'carrier.status', number: c.number, status: 'CHECKED_OUT' });
    effects.push({
      type: 'ledger',
      ledger: 'CARRY',
      event: 'CHECKED_OUT',
      carrierNumber: c.number,
      data: {
        requestId: req.id,
        ...(req.deptId ? { deptId: req.deptId } : {}),
        level: c.level,
        carrierPersonId: req.requesterId,
        companions: req.details.companions,
        purpose: req.details.purpose,
        destination: req.details.destination,
        outAt: env.nowIso,
        due,
        approvers: byApprover,
        recordedBy: env.actor.id,
      },
    });
  }
  for (const h of env.policy.carry.dueSoonHours) {
    const at = end.getTime() - h * HOUR_MS;
    if (at > env.now.getTime()) {
      effects.push({
        type: 'reminder.create',
        kind: 'carry.due_soon',
        dueAt: new Date(at).toISOString(),
        target: { openId: req.requesterId },
        params: { ...baseParams(req), due, hours: h },
      });
    }
  }
  effects.push({ type: 'reminder.create', kind: 'carry.overdue', dueAt: end.toISOString(), target: { system: true } });
  effects.push({ type: 'notify', to: req.requesterId, template: 'notify.checked_out', params: { ...baseParams(req), due } });
  next.details.checkedOutAt = env.nowIso;
  next.details.checkedOutBy = env.actor.id;
  next.state = 'OUT';
  return { next, effects };
}

function markOverdue(req: CarryRequest, env: Env, next: CarryRequest): Outcome {
  if (!env.actor.system) return fail('workflow.system_only');
  const due = req.details.due;
  if (!isIsoDate(due)) return fail('workflow.invalid_request');
  if (!(env.today > due)) return fail('workflow.not_yet_due', { at: endOfLocalDay(due, env.tz).toISOString() });
  const end = endOfLocalDay(due, env.tz);
  const params: Params = { ...baseParams(req), due, days: overdueDays(due, env.today) };
  const effects: EffectBody[] = [cancel(env, ['carry.due_soon', 'carry.overdue'])];
  for (const c of req.carriers) {
    effects.push({
      type: 'ledger',
      ledger: 'CARRY',
      event: 'OVERDUE',
      carrierNumber: c.number,
      data: { requestId: req.id, due, carrierPersonId: req.requesterId, markedAt: env.nowIso },
    });
  }
  effects.push({ type: 'notify', to: req.requesterId, template: 'notify.carry_overdue', params });
  effects.push({ type: 'notify', toRole: 'security_officer', template: 'notify.carry_overdue_officer', params });
  for (const e of env.policy.carry.overdueEscalations) {
    effects.push({
      type: 'reminder.create',
      kind: 'carry.overdue_escalate',
      dueAt: new Date(end.getTime() + e.afterHours * HOUR_MS).toISOString(),
      target: { role: e.role },
      params,
    });
  }
  next.details.overdueAt = env.nowIso;
  next.state = 'OVERDUE';
  return { next, effects };
}

/** The carrier person announces the return; the carriers stay theirs until an officer receives them. */
function announceReturn(req: CarryRequest, env: Env, next: CarryRequest): Outcome {
  if (env.actor.id !== req.requesterId) return fail('workflow.not_carrier_person');
  if (req.details.returnAnnouncedAt) return fail('workflow.return_already_announced');
  next.details.returnAnnouncedAt = env.nowIso;
  return {
    next,
    effects: [
      { type: 'notify', toRole: 'security_officer', template: 'notify.return_announced', params: baseParams(req) },
      { type: 'notify', to: req.requesterId, template: 'notify.return_announced_requester', params: baseParams(req) },
    ],
  };
}

/**
 * The security officer receives the carriers. They go back in stock only after the inspection
 * (`inspect`): until then the register keeps them with this request.
 */
function returnCarrier(req: CarryRequest, env: Env, next: CarryRequest): Outcome {
  const denied = custodianGuard(req, env.actor);
  if (denied) return denied;
  const days = overdueDays(req.details.due, env.today);
  const effects: EffectBody[] = [cancel(env, ['carry.due_soon', 'carry.overdue', 'carry.overdue_escalate'])];
  for (const c of req.carriers) {
    effects.push({
      type: 'ledger',
      ledger: 'CARRY',
      event: 'RETURNED',
      carrierNumber: c.number,
      data: { requestId: req.id, returnedAt: env.nowIso, due: req.details.due, overdueDays: days, carrierPersonId: req.requesterId, receivedBy: env.actor.id },
    });
  }
  effects.push({ type: 'notify', toRole: 'security_officer', template: 'notify.inspection_needed', params: baseParams(req) });
  effects.push({ type: 'notify', to: req.requesterId, template: 'notify.carry_returned', params: baseParams(req) });
  next.details.returnedAt = env.nowIso;
  next.details.returnedTo = env.actor.id;
  next.state = 'RETURNED';
  return { next, effects };
}

function inspect(req: CarryRequest, cmd: Extract<Command, { type: 'inspect' }>, env: Env, next: CarryRequest): Outcome {
  if (!isSecurityOfficer(env.actor)) return fail('workflow.not_security_officer');
  if (env.actor.id === req.requesterId || req.details.companions.includes(env.actor.id)) return fail('workflow.self_custody');
  if (typeof cmd.ok !== 'boolean') return fail('workflow.invalid_command', { field: 'ok' });
  const note = optionalText(cmd.note, 'note');
  if (typeof note === 'object') return { error: note };
  const effects: EffectBody[] = [cancel(env)];
  for (const c of req.carriers) {
    // Inspected: back in stock (a failed inspection opens an incident; the carrier is still ours).
    effects.push({ type: 'carrier.status', number: c.number, status: 'IN_STOCK' });
    effects.push({
      type: 'ledger',
      ledger: 'CARRY',
      event: 'INSPECTED',
      carrierNumber: c.number,
      data: { requestId: req.id, ok: cmd.ok, ...(note ? { note } : {}), checkedBy: env.actor.id, checkedAt: env.nowIso },
    });
  }
  effects.push({ type: 'notify', to: req.requesterId, template: cmd.ok ? 'notify.inspection_ok' : 'notify.inspection_failed', params: baseParams(req) });
  next.details.inspection = { ok: cmd.ok, ...(note ? { note } : {}), by: env.actor.id, at: env.nowIso };
  setTerminal(next, 'CLOSED', env);
  if (!cmd.ok) {
    next.incident = { at: env.nowIso, reason: 'CARRY_INSPECTION_FAILED', ...(note ? { note } : {}), by: env.actor.id };
    effects.push({ type: 'incident.open', reason: 'CARRY_INSPECTION_FAILED', carrierNumbers: req.carriers.map((c) => c.number), ...(note ? { note } : {}) });
    effects.push({ type: 'notify', toRole: 'security_head', template: 'notify.incident', params: { ...baseParams(req), reason: 'CARRY_INSPECTION_FAILED' } });
  }
  return { next, effects, ...(note ? { comment: note } : {}) };
}

// ---- after approval: DESTROY -------------------------------------------------------------------

function recordDestruction(req: DestroyRequest, cmd: Extract<Command, { type: 'record_destruction' }>, env: Env, next: DestroyRequest): Outcome {
  if (!isSecurityOfficer(env.actor)) return fail('workflow.not_security_officer');
  if (env.actor.id === req.requesterId) return fail('workflow.self_custody');
  if (!Array.isArray(cmd.witnesses) || cmd.witnesses.length > 10 || !cmd.witnesses.every((w) => typeof w === 'string')) {
    return fail('workflow.invalid_command', { field: 'witnesses' });
  }
  const date = cmd.date ?? env.today;
  if (!isIsoDate(date)) return fail('workflow.bad_date', { field: 'date' });
  if (date > env.today) return fail('workflow.bad_date', { field: 'date' });
  // Destroyed between the approval and today: not before the approval day (the unit's calendar).
  const approvedMs = Date.parse(req.approvedAt ?? '');
  const approvedDay = Number.isFinite(approvedMs) ? localDate(new Date(approvedMs), env.tz) : undefined;
  if (approvedDay && date < approvedDay) return fail('workflow.destruction_before_approval', { date, approved: approvedDay, today: env.today });
  const floor = checkLegalFloor('DESTROY', req.carriers, req.details, req.requesterId)[0] ?? checkDestructionWitnesses(env.actor.id, cmd.witnesses);
  if (floor) return { error: floor };
  const witnesses = distinctIds(cmd.witnesses);
  Object.assign(next.details, { executorId: env.actor.id, executedAt: env.nowIso, date, witnesses, confirmedWitnesses: [] });
  next.state = 'EXECUTED_PENDING_WITNESS';
  const params: Params = { ...baseParams(req), executor: env.actor.id, date, count: req.carriers.length };
  const effects: EffectBody[] = [cancel(env, EXECUTION_REMINDERS)];
  for (const to of witnesses) effects.push({ type: 'notify', to, template: 'notify.witness_needed', params });
  for (const openId of witnesses) {
    effects.push({ type: 'reminder.create', kind: 'destroy.witness_remind', dueAt: plusHours(env.now, env.policy.destroy.witnessRemindHours), target: { openId }, params });
  }
  return { next, effects };
}

function confirmWitness(req: DestroyRequest, env: Env, next: DestroyRequest): Outcome {
  const me = env.actor.id;
  if (!req.details.witnesses.includes(me)) return fail('workflow.not_witness');
  if (req.details.confirmedWitnesses.includes(me)) return fail('workflow.already_confirmed');
  next.details.confirmedWitnesses = [...req.details.confirmedWitnesses, me];
  const effects: EffectBody[] = [{ type: 'reminder.cancel', kinds: ['destroy.witness_remind'], target: { openId: me }, beforeVersion: env.version }];
  if (!destructionComplete(next.details)) return { next, effects };
  setTerminal(next, 'CLOSED', env);
  const d = next.details;
  const byApprover = approvers(req);
  for (const c of req.carriers) {
    effects.push({ type: 'carrier.status', number: c.number, status: 'DESTROYED' });
    effects.push({
      type: 'ledger',
      ledger: 'DESTROY',
      event: 'DESTROYED',
      carrierNumber: c.number,
      data: {
        requestId: req.id,
        ...(req.deptId ? { deptId: req.deptId } : {}),
        level: c.level,
        ...(c.carrierType ? { carrierType: c.carrierType } : {}),
        ...(c.pagesOrCapacity ? { pagesOrCapacity: c.pagesOrCapacity } : {}),
        custodianId: req.requesterId,
        reason: d.reason,
        method: d.method,
        site: d.site,
        date: d.date ?? env.today,
        executorId: d.executorId ?? '',
        witnesses: d.witnesses,
        approvers: byApprover,
      },
    });
    effects.push({ type: 'ledger', ledger: 'MASTER', event: 'DESTROYED', carrierNumber: c.number, data: { requestId: req.id, date: d.date ?? env.today } });
  }
  effects.push(cancel(env));
  effects.push({ type: 'notify', to: req.requesterId, template: 'notify.destroyed', params: baseParams(req) });
  return { next, effects };
}

// ---- entry point -------------------------------------------------------------------------------

function requestLooksValid(r: unknown): r is Request {
  if (!isObj(r)) return false;
  return (
    (KINDS as readonly unknown[]).includes(r.kind) &&
    (STATES as readonly unknown[]).includes(r.state) &&
    typeof r.id === 'string' &&
    typeof r.requesterId === 'string' &&
    Number.isInteger(r.version) &&
    Array.isArray(r.steps) &&
    Array.isArray(r.history) &&
    Array.isArray(r.carriers) &&
    isObj(r.details) &&
    (r.currentStep === null || Number.isInteger(r.currentStep))
  );
}

function dispatch(req: Request, cmd: Command, env: Env, next: Request): Outcome {
  switch (cmd.type) {
    case 'submit':
      return submit(req, cmd, env, next);
    case 'approve':
      return approve(req, cmd, env, next);
    case 'reject':
      return reject(req, cmd, env, next);
    case 'return':
      return returnForEdit(req, cmd, env, next);
    case 'resubmit':
      return resubmit(req, cmd, env, next);
    case 'withdraw':
      return withdraw(req, cmd, env, next);
    case 'transfer':
      return transfer(req, cmd, env, next);
    case 'expire':
      return expire(req, env, next);
    case 'complete_copy':
      return completeCopy(req as CopyRequest, cmd, env, next as CopyRequest);
    case 'check_out':
      return checkOut(req as CarryRequest, env, next as CarryRequest);
    case 'announce_return':
      return announceReturn(req as CarryRequest, env, next as CarryRequest);
    case 'return_carrier':
      return returnCarrier(req as CarryRequest, env, next as CarryRequest);
    case 'inspect':
      return inspect(req as CarryRequest, cmd, env, next as CarryRequest);
    case 'mark_overdue':
      return markOverdue(req as CarryRequest, env, next as CarryRequest);
    case 'record_destruction':
      return recordDestruction(req as DestroyRequest, cmd, env, next as DestroyRequest);
    case 'confirm_witness':
      return confirmWitness(req as DestroyRequest, env, next as DestroyRequest);
  }
}

export function keyEffects(requestId: string, version: number, bodies: readonly EffectBody[]): Effect[] {
  return bodies.map((b, i) => ({ ...b, key: `${requestId}:${version}:${i}:${b.type}`, requestId, version }));
}

function run(request: Request, command: Command, actor: Actor, ctx: TransitionContext): TransitionResult {
  if (!isObj(ctx) || !(ctx.now instanceof Date) || Number.isNaN(ctx.now.getTime()) || !isObj(ctx.policy)) {
    return { ok: false, error: err('workflow.invalid_command', { field: 'ctx' }) };
  }
  const tz = ctx.timezone ?? DEFAULT_TIMEZONE;
  if (typeof tz !== 'string' || !isValidTimeZone(tz)) return { ok: false, error: err('workflow.bad_timezone', { timezone: String(tz) }) };
  if (!requestLooksValid(request)) return { ok: false, error: err('workflow.invalid_request') };
  if (!isObj(command) || !(COMMAND_TYPES as readonly unknown[]).includes(command.type)) {
    const name = isObj(command) && typeof command.type === 'string' ? command.type.slice(0, 40) : typeof command;
    return { ok: false, error: err('workflow.unknown_command', { command: name }) };
  }
  if (!isObj(actor) || !isNonEmptyString(actor.id) || !Array.isArray(actor.roles)) {
    return { ok: false, error: err('workflow.invalid_command', { field: 'actor' }) };
  }
  const rule = COMMAND_RULES[command.type];
  if (!rule.kinds.includes(request.kind)) return { ok: false, error: err('workflow.wrong_kind', { kind: request.kind, command: command.type }) };
  // Decisions answer "already decided by …" before "bad state", so they run their own state check.
  const decision = command.type === 'approve' || command.type === 'reject' || command.type === 'return' || command.type === 'transfer';
  if (!decision && !rule.from.includes(request.state)) return { ok: false, error: err('workflow.bad_state', { state: request.state }) };

  const env: Env = {
    actor,
    now: ctx.now,
    nowIso: ctx.now.toISOString(),
    policy: ctx.policy,
    tz,
    today: localDate(ctx.now, tz),
    version: request.version + 1,
  };
  const next = structuredClone(request) as Request;
  const out = dispatch(request, command, env, next);
  if (isFail(out)) return { ok: false, error: out.error };

  const n = out.next;
  n.version = env.version;
  n.updatedAt = env.nowIso;
  n.history = [
    ...request.history,
    {
      at: env.nowIso,
      actorId: actor.id,
      action: command.type,
      fromState: request.state,
      toState: n.state,
      ...(out.stepIndex !== undefined ? { stepIndex: out.stepIndex } : {}),
      ...(out.comment ? { comment: out.comment } : {}),
      ...(out.to ? { to: out.to } : {}),
    },
  ];
  const bodies: EffectBody[] = [
    {
      type: 'audit',
      action: command.type,
      actorId: actor.id,
      fromState: request.state,
      toState: n.state,
      ...(out.stepIndex !== undefined ? { stepIndex: out.stepIndex } : {}),
      ...(out.comment ? { comment: out.comment } : {}),
      ...(out.to ? { to: out.to } : {}),
    },
    ...out.effects,
    { type: 'card.refresh' },
  ];
  return { ok: true, request: n, effects: keyEffects(request.id, env.version, bodies) };
}

/**
 * Applies a command to a request: the guard (state, kind, who, legal floor), the new request
 * (a copy; `version` + 1) and the effects for the caller to execute idempotently by `key`.
 * Pure: no I/O, no clock (ctx.now), never mutates its input, never throws.
 */
export function transition(request: Request, command: Command, actor: Actor, ctx: TransitionContext): TransitionResult {
  try {
    return run(request, command, actor, ctx);
  } catch (e) {
    return { ok: false, error: err('workflow.internal', { detail: e instanceof Error ? e.message.slice(0, 200) : 'unknown' }) };
  }
}

// ---- create path -------------------------------------------------------------------------------

export interface DraftInput {
  id: string;
  kind: Kind;
  requesterId: string;
  deptId?: string;
  carriers: CarrierRef[];
  /** The requester-owned fields of the kind's details. */
  details: unknown;
  /** People to copy (抄送), open_ids resolved and checked real by the caller. */
  cc?: readonly string[];
}

export type DraftResult = { ok: true; request: Request; effects: Effect[] } | { ok: false; error: WorkflowError };

/**
 * A new DRAFT (version 0) after validating content and the legal floor, with the policy chain's
 * steps planned (assignees empty: the caller resolves them before submit).
 */
export function createDraft(input: DraftInput, ctx: TransitionContext): DraftResult {
  try {
    if (!isObj(input)) return { ok: false, error: err('workflow.invalid_command', { field: 'input' }) };
    const tz = ctx.timezone ?? DEFAULT_TIMEZONE;
    if (!isValidTimeZone(tz)) return { ok: false, error: err('workflow.bad_timezone', { timezone: tz }) };
    if (!(KINDS as readonly unknown[]).includes(input.kind)) return { ok: false, error: err('workflow.invalid_command', { field: 'kind' }) };
    const parsed = typeof input.id === 'string' ? parseRequestId(input.id) : null;
    if (!parsed || parsed.kind !== input.kind) return { ok: false, error: err('workflow.invalid_command', { field: 'id' }) };
    if (!isNonEmptyString(input.requesterId)) return { ok: false, error: err('workflow.invalid_command', { field: 'requesterId' }) };
    if (input.deptId !== undefined && !isNonEmptyString(input.deptId)) return { ok: false, error: err('workflow.invalid_command', { field: 'deptId' }) };
    const today = localDate(ctx.now, tz);
    const content = validateContent(input.kind, input.carriers, input.details, input.requesterId, today);
    if (!content.ok) return content;
    if (input.cc !== undefined && (!Array.isArray(input.cc) || input.cc.length > MAX_CC || !input.cc.every(isNonEmptyString))) {
      return { ok: false, error: err('workflow.bad_cc', { max: MAX_CC }) };
    }
    const cc = ccOf({ cc: [...(input.cc ?? [])], requesterId: input.requesterId });
    const nowIso = ctx.now.toISOString();
    const request = {
      id: parsed.id,
      kind: input.kind,
      state: 'DRAFT',
      version: 0,
      requesterId: input.requesterId,
      ...(input.deptId ? { deptId: input.deptId.trim() } : {}),
      carriers: content.carriers,
      maxLevel: content.maxLevel,
      regime: content.regime,
      steps: planSteps(ctx.policy, input.kind, content.maxLevel),
      currentStep: null,
      details: content.details as AnyDetails,
      history: [{ at: nowIso, actorId: input.requesterId, action: 'create', fromState: null, toState: 'DRAFT' }],
      createdAt: nowIso,
      updatedAt: nowIso,
      policyVersion: ctx.policy.version,
      round: 0,
      ...(cc.length ? { cc } : {}),
    } as Request;
    const effects = keyEffects(request.id, 0, [{ type: 'audit', action: 'create', actorId: input.requesterId, fromState: null, toState: 'DRAFT' }]);
    return { ok: true, request, effects };
  } catch (e) {
    return { ok: false, error: err('workflow.internal', { detail: e instanceof Error ? e.message.slice(0, 200) : 'unknown' }) };
  }
}
