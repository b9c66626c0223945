/**
 * Sends the reminder records the workflow schedules (docs/domain.md §6.6), swept every minute by the
 * scheduler (scheduler/tasks.ts):
 *
 * | kind | to | what |
 * |---|---|---|
 * | approval.remind | the step's approver (still undecided) | "still waiting for you since <time>" |
 * | approval.escalate | the approver's superior in the chain (a later leader / principal step), else the policy's role (保密办负责人) | "step n waits since <time>, approver …" |
 * | execution.remind | the requester | approved on <time>, not carried out, expires on <time> |
 * | request.expire | — | `expire` through the workflow (system actor): carriers released, the requester told, cards refreshed; the security officers are told here |
 * | carry.due_soon | the carrier person | due back on <day> |
 * | carry.overdue | — | `mark_overdue` through the workflow (requester and security officers told) |
 * | carry.overdue_escalate | the policy's role (保密办负责人, 分管领导) | overdue since <day> |
 * | destroy.witness_remind | a witness who has not confirmed | please confirm |
 *
 * Exactly once: a reminder is claimed (one instance wins it; the claim runs out after `lockMs` if
 * that instance dies), each message goes through the notification log under
 * `reminder:<reminder id>:<recipient>` with a deterministic Lark uuid, and only then is the
 * reminder marked sent. A process killed between the claim and the send leaves it claimed: the
 * next sweep after the lock ran out sends it; killed after the send, the log keeps the resend
 * from happening. Times are absolute (the unit's time zone), so no message goes stale.
 * A reminder that no longer applies (the step was decided, the witness confirmed) is marked sent
 * without a message; one Lark refused for good is recorded in the audit log, never retried.
 */
import { sendUuid } from '../../bot/core/app.js';
import type { Logger } from '../../bot/core/logger.js';
import type { Sender, UserPrefsStore } from '../../bot/core/types.js';
import type { Params, Policy, Request, Role } from '../../domain/index.js';
import { translator } from '../../locales/index.js';
import type { Reminder } from '../../models/reminder.model.js';
import type { People } from './people.js';
import type { ApprovalRepos } from './ports.js';
import type { ApprovalService } from './service.js';

const OPEN_ID = /^ou_[0-9A-Za-z_]+$/;
/** Who stands above whom, for escalations along the chain. */
const RANK: Partial<Record<Role, number>> = { dept_head: 1, leader: 2, principal: 3 };

export interface ReminderSenderOptions {
  repos: Pick<ApprovalRepos, 'requests' | 'roles' | 'notifications' | 'audit'> & { reminders: ReminderClaims };
  service: Pick<ApprovalService, 'act'>;
  people: Pick<People, 'names'>;
  sender: Sender;
  prefs: Pick<UserPrefsStore, 'getLocale'>;
  policy: Policy;
  logger: Logger;
  timezone: string;
  defaultLocale: 'zh-CN' | 'en-US';
  now?: () => Date;
  /** How long a claim holds (default 60 s): a crashed sender's reminders are sent after it. */
  lockMs?: number;
  /** TEST ONLY fault points (bot/test-faults.ts). */
  afterClaim?: (r: Reminder) => void;
  afterSend?: (r: Reminder) => void;
}

export interface ReminderClaims {
  claimDue(now: Date, limit: number, lockMs: number): Promise<Reminder[]>;
  markSent(tenantKey: string, key: string): Promise<boolean>;
}

type Outcome = 'sent' | 'skipped' | 'failed' | 'acted';

export class ReminderSender {
  private readonly now: () => Date;
  private readonly lockMs: number;

  constructor(private readonly o: ReminderSenderOptions) {
    this.now = o.now ?? (() => new Date());
    this.lockMs = o.lockMs ?? 60_000;
  }

  /** Claims what is due (batch after batch, at most `max`) and sends it; returns a summary. */
  async sweep(max = 500): Promise<{ sent: number; skipped: number; failed: number; acted: number }> {
    const out = { sent: 0, skipped: 0, failed: 0, acted: 0 };
    let seen = 0;
    while (seen < max) {
      const batch = await this.o.repos.reminders.claimDue(this.now(), Math.min(50, max - seen), this.lockMs);
      if (batch.length === 0) break;
      seen += batch.length;
      for (const r of batch) {
        let outcome: Outcome;
        try {
          outcome = await this.one(r);
        } catch (err) {
          // Left claimed: sent after the lock runs out.
          this.o.logger.warn('reminder not sent; retried after its claim runs out', { id: r._id, kind: r.kind, err: (err as Error).message });
          outcome = 'failed';
        }
        out[outcome] += 1;
      }
    }
    return out;
  }

  private async one(r: Reminder): Promise<Outcome> {
    this.o.afterClaim?.(r);
    const { repos } = this.o;
    const stored = await repos.requests.get(r.tenantKey, r.requestId);
    if (!stored) {
      await repos.reminders.markSent(r.tenantKey, r.key);
      return 'skipped';
    }
    const req = stored.request;
    if (r.kind === 'request.expire' || r.kind === 'carry.overdue') return this.act(r, req);
    const recipients = await this.recipients(r, req);
    if (recipients.length === 0) {
      await repos.reminders.markSent(r.tenantKey, r.key);
      return 'skipped';
    }
    const params = this.params(r, req);
    const failures = await this.sendAll(r, recipients, `scheduler:remind.${r.kind}`, params);
    this.o.afterSend?.(r);
    if (failures.transient) throw new Error(failures.transient);
    await repos.reminders.markSent(r.tenantKey, r.key);
    return failures.permanent ? 'failed' : 'sent';
  }

  /** The workflow's own deadlines: an approved request expires, a carry-out becomes overdue. */
  private async act(r: Reminder, req: Request): Promise<Outcome> {
    const command = r.kind === 'request.expire' ? ({ type: 'expire' } as const) : ({ type: 'mark_overdue' } as const);
    const result = await this.o.service.act(r.tenantKey, r.requestId, command, 'system', 'system');
    await result.done;
    if (result.ok && r.kind === 'request.expire') {
      // The requester is told by the workflow; the security office, who would have carried it out, here.
      const officers = await this.o.repos.roles.holders(r.tenantKey, 'security_officer');
      const failures = await this.sendAll(r, officers, 'scheduler:remind.expired_officer', this.params(r, req));
      if (failures.transient) throw new Error(failures.transient);
    }
    // Not applicable any more (executed, returned…): nothing left to do for this reminder either way.
    await this.o.repos.reminders.markSent(r.tenantKey, r.key);
    return 'acted';
  }

  /** Who gets it now: nobody when the reminder no longer applies. */
  private async recipients(r: Reminder, req: Request): Promise<string[]> {
    const target = r.target;
    const step = req.currentStep !== null ? req.steps[req.currentStep] : undefined;
    const stepNo = Number(r.params?.step ?? 0);
    const sameStep = req.state === 'IN_APPROVAL' && step !== undefined && req.currentStep === stepNo - 1;
    switch (r.kind) {
      case 'approval.remind': {
        if (!sameStep || !('openId' in target)) return [];
        const decided = new Set(req.steps.map((s) => s.decidedBy).filter(Boolean));
        return step!.assignees.includes(target.openId) && !decided.has(target.openId) ? [target.openId] : [];
      }
      case 'approval.escalate': {
        if (!sameStep) return [];
        const superiors = superiorsOf(req, stepNo - 1);
        if (superiors.length > 0) return superiors;
        return 'role' in target ? this.o.repos.roles.holders(r.tenantKey, target.role) : [];
      }
      case 'execution.remind':
        return req.state === 'APPROVED' && 'openId' in target ? [target.openId] : [];
      case 'carry.due_soon':
        return req.state === 'OUT' && 'openId' in target ? [target.openId] : [];
      case 'carry.overdue_escalate':
        return req.state === 'OVERDUE' && 'role' in target ? this.o.repos.roles.holders(r.tenantKey, target.role) : [];
      case 'destroy.witness_remind': {
        if (req.state !== 'EXECUTED_PENDING_WITNESS' || !('openId' in target) || req.kind !== 'DESTROY') return [];
        return req.details.confirmedWitnesses.includes(target.openId) ? [] : [target.openId];
      }
      default:
        return [];
    }
  }

  /** The message's parameters: the reminder's own, plus absolute times in the unit's zone. */
  private params(r: Reminder, req: Request): Params {
    const p: Params = { id: req.id, kind: req.kind, level: req.maxLevel, requester: req.requesterId, ...(r.params ?? {}) };
    const at = (iso: string | undefined) => (iso ? formatTime(new Date(iso), this.o.timezone) : '');
    const stepIdx = Number(r.params?.step ?? 0) - 1;
    const step = req.steps[stepIdx];
    if (r.kind.startsWith('approval.')) {
      // When the step started waiting: the previous step's decision, or the submission.
      const prev = stepIdx > 0 ? req.steps[stepIdx - 1]?.decidedAt : undefined;
      p.since = at(prev ?? req.submittedAt ?? req.createdAt);
      if (step) p.approvers = step.assignees.filter((a) => a !== req.requesterId).join('、');
    }
    if (r.kind === 'execution.remind' || r.kind === 'request.expire') {
      p.approved = at(req.approvedAt);
      const approved = Date.parse(req.approvedAt ?? '');
      p.expires = Number.isFinite(approved) ? formatTime(new Date(approved + this.o.policy.execution.expiryDays * 86_400_000), this.o.timezone) : '';
    }
    if (req.kind === 'CARRY_OUT') p.due = req.details.due;
    return p;
  }

  /** Sends one text to each recipient, once per (reminder, recipient). */
  private async sendAll(r: Reminder, recipients: string[], template: string, params: Params): Promise<{ transient?: string; permanent?: boolean }> {
    const { repos, sender } = this.o;
    const errors: string[] = [];
    let permanent = false;
    for (const to of [...new Set(recipients)]) {
      const key = `reminder:${r.key}:${template.split('.').pop()}:${to}`;
      try {
        const text = await this.text(r.tenantKey, to, template, params);
        await repos.notifications.sendOnce(r.tenantKey, key, () => sender.send({ openId: to }, { type: 'text', text }, { uuid: sendUuid(`${r.tenantKey}:${key}`) }));
      } catch (err) {
        if ((err as { permanent?: unknown }).permanent === true) {
          permanent = true;
          this.o.logger.warn('reminder refused by Lark for good', { id: r._id, to, err: (err as Error).message });
          await repos.audit.record(r.tenantKey, {
            actorId: 'system',
            action: 'reminder.failed',
            objectType: 'request',
            objectId: r.requestId,
            channel: 'system',
            outcome: 'refused',
            reason: (err as Error).message.slice(0, 300),
            effectKey: key,
            details: { kind: r.kind, to },
          });
        } else errors.push(`${to}: ${(err as Error).message}`);
      }
    }
    return errors.length ? { transient: errors.join('; ') } : { permanent };
  }

  private async text(tenantKey: string, to: string, template: string, params: Params): Promise<string> {
    const locale = (await this.o.prefs.getLocale(tenantKey, to).catch(() => undefined)) ?? this.o.defaultLocale;
    const ids = new Set<string>();
    for (const v of Object.values(params)) if (typeof v === 'string') for (const id of v.split('、')) if (OPEN_ID.test(id)) ids.add(id);
    const names = await this.o.people.names(tenantKey, ids);
    const shown: Record<string, string | number> = {};
    for (const [k, v] of Object.entries(params)) {
      shown[k] =
        typeof v === 'string' && v.split('、').every((id) => OPEN_ID.test(id))
          ? v
              .split('、')
              .map((id) => (locale === 'en-US' ? names(id).en : names(id).zh))
              .join(locale === 'en-US' ? ', ' : '、')
          : v;
    }
    return translator(locale)(template, shown);
  }
}

/**
 * The approver's superiors in the chain: the assignees of the later single-person steps whose role
 * ranks above the step's (a department head's step escalates to the leader in charge, a leader's
 * to the principal). None (a security officer's step, the principal's): the policy's role.
 */
export function superiorsOf(req: Request, stepIndex: number): string[] {
  const step = req.steps[stepIndex];
  const rank = step ? RANK[step.role as Role] : undefined;
  if (!step || rank === undefined) return [];
  for (const later of req.steps.slice(stepIndex + 1)) {
    const r = RANK[later.role as Role];
    if (r !== undefined && r > rank && later.mode !== 'ANY_OF') return later.assignees.filter((a) => a !== req.requesterId);
  }
  return [];
}

/** "2026-11-30 09:00" in the unit's time zone. */
export function formatTime(d: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(d);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}`;
}
