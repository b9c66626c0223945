import { sendUuid } from '../../bot/core/app.js';
import { BotError } from '../../bot/core/errors.js';
import type { Logger } from '../../bot/core/logger.js';
import type { Bi, CardJson, Sender, UserPrefsStore } from '../../bot/core/types.js';
import {
  ccRolesFor,
  createDraft,
  formatRequestId,
  maxLevel,
  ID_PREFIX,
  transition,
  type CarrierRef,
  type Command,
  type Kind,
  type Policy,
  type Request,
  type Role,
  type WorkflowError,
} from '../../domain/index.js';
import type { Metrics } from '../../bot/core/metrics.js';
import { translator } from '../../locales/index.js';
import { CardRefresher } from './card-refresher.js';
import { Custody, takesOf } from './custody.js';
import { EffectExecutor, type Channel } from './effect-handlers.js';
import { EffectRunner, isMessageEffect, type RunnerOptions } from './effects.js';
import type { People } from './people.js';
import type { ApprovalRepos, CardKind, CarrierRecord, DeadEffect, PendingEffect, StoredRequest } from './ports.js';

export type { Channel };

/** Renders a request's cards (pure card builders behind it). */
export interface CardRenderer {
  /** Resolves the names a request's cards show (people, department); call before render. */
  prepare(tenantKey: string, request: Request): Promise<(openId: string) => Bi>;
  render(tenantKey: string, kind: CardKind, request: Request, names: (openId: string) => Bi, holder?: string): CardJson;
}

export interface ApprovalOptions {
  repos: ApprovalRepos;
  people: People;
  policy: Policy;
  sender: Sender;
  prefs: Pick<UserPrefsStore, 'getLocale'>;
  cards: CardRenderer;
  logger: Logger;
  timezone: string;
  defaultLocale: 'zh-CN' | 'en-US';
  now?: () => Date;
  metrics?: Pick<Metrics, 'effectsRetried' | 'effectsDeadLettered' | 'deadLetters'>;
  /** The effect runner's tuning (lease, attempts, back-off; see effects.ts). */
  effects?: Pick<RunnerOptions, 'leaseMs' | 'maxAttempts' | 'backoffMs' | 'concurrency' | 'countDead'>;
  /** Fault injection for tests: called before each effect runs; throwing simulates a crash there. */
  beforeEffect?: (effect: PendingEffect, index: number) => void;
  /** Fault injection: called after an effect ran but before it is marked done. */
  afterEffect?: (effect: PendingEffect, index: number) => void;
}

/**
 * `done` settles when the effects of the change have run (or failed and were left to the sweep);
 * a card click is answered before it, a text command after it.
 */
export type ActResult =
  | { ok: true; request: Request; stored: StoredRequest; done: Promise<void> }
  | { ok: false; error: WorkflowError; stored: StoredRequest; done: Promise<void> };

export interface CreateInput {
  kind: Kind;
  requesterId: string;
  carrierNumbers: string[];
  details: Record<string, unknown>;
  channel: Channel;
  /**
   * The delivery that asks for it (its dedupe key): the same delivery handled again — a
   * redelivery after a crash — gets the request it created, not a second one.
   */
  sourceKey?: string;
  /** People the requester copies (抄送), checked real by the caller; the policy's cc roles are added. */
  cc?: string[];
}

/** The requester's edited request (the pre-filled form after a return for edit). */
export interface EditInput {
  carrierNumbers: string[];
  details: Record<string, unknown>;
}

/** A requester nudges (催办) a request's approvers at most once per this gap. */
export const NUDGE_GAP_MS = 4 * 3_600_000;

/** Claims a nudge with one conditional write (models/request.model.ts `claimNudge`). */
interface NudgeClaims {
  claimNudge(tenantKey: string, id: string, at: Date, gapMs: number): Promise<(StoredRequest & { currentAssignees: string[] }) | null>;
}

export type NudgeResult =
  | { ok: true; to: string[]; waitingSince: string }
  | { ok: false; reason: 'not_requester' | 'not_in_approval' }
  | { ok: false; reason: 'too_soon'; nextAt: string };

/** Carriers a request may name, per kind (a destroyed or checked-out carrier cannot be copied…). */
const AVAILABLE = new Set(['IN_STOCK']);

/**
 * The approval flow around the pure workflow: load → transition → one guarded write that also
 * records the effects (the outbox) → run the effects idempotently. A crash after the write is
 * repaired by `recover()`, which runs whatever is still pending; every effect is keyed, so running
 * it twice never doubles a ledger entry, a reminder or a notification.
 */
export class ApprovalService {
  private readonly now: () => Date;
  private readonly runner: EffectRunner;
  private readonly refresher: CardRefresher;
  private readonly custody: Custody;

  constructor(private readonly o: ApprovalOptions) {
    this.now = o.now ?? (() => new Date());
    const names = (tenantKey: string, r: Request) => this.namesFor(tenantKey, r);
    const render = o.cards.render.bind(o.cards);
    this.custody = new Custody(o.repos.carriers, o.repos.requests, this.now);
    this.refresher = new CardRefresher({ requests: o.repos.requests, cardState: o.repos.cardState, sender: o.sender, logger: o.logger, names, render });
    const executor = new EffectExecutor({
      repos: o.repos,
      people: o.people,
      sender: o.sender,
      prefs: o.prefs,
      refresher: this.refresher,
      logger: o.logger,
      defaultLocale: o.defaultLocale,
      names,
      render,
      now: this.now,
    });
    this.runner = new EffectRunner({
      outbox: o.repos.outbox,
      execute: (stored, e) => executor.execute(stored, e),
      logger: o.logger,
      now: this.now,
      ...(o.metrics ? { metrics: o.metrics } : {}),
      ...(o.effects ?? {}),
      ...(o.beforeEffect ? { beforeEffect: o.beforeEffect } : {}),
      ...(o.afterEffect ? { afterEffect: o.afterEffect } : {}),
    });
  }

  /** The service's clock (injected in tests): what "now" is for the workflow, the centre's watch list too. */
  clock(): Date {
    return this.now();
  }

  private ctx() {
    return { now: this.now(), policy: this.o.policy, timezone: this.o.timezone };
  }

  async create(tenantKey: string, input: CreateInput): Promise<StoredRequest> {
    const { repos, people } = this.o;
    // Before any check: the first handling may already have taken the carriers or the approvers.
    const existing = input.sourceKey ? await repos.requests.getBySourceKey(tenantKey, input.sourceKey) : null;
    if (existing) return existing;
    const refs = await this.carrierRefs(tenantKey, input.carrierNumbers);
    const deptId = await people.deptOf(tenantKey, input.requesterId);
    const year = Number(localYear(this.now(), this.o.timezone));
    // 抄送: the people named, then the holders of the roles the policy copies on this kind.
    const cc = [...(input.cc ?? [])];
    for (const role of ccRolesFor(this.o.policy, input.kind)) cc.push(...(await repos.roles.holders(tenantKey, role)));
    const ccIds = [...new Set(cc)].filter((x) => x !== input.requesterId);

    // Validate everything (content, legal floor, approvers) before an id is taken, so a refusal
    // leaves no gap in the numbering and nothing half-written.
    const probe = createDraft(
      {
        id: formatRequestId(input.kind, year, 1),
        kind: input.kind,
        requesterId: input.requesterId,
        deptId,
        carriers: refs,
        details: input.details,
        ...(ccIds.length ? { cc: ccIds } : {}),
      },
      this.ctx(),
    );
    if (!probe.ok) throw workflowError(probe.error);
    const assignees = await people.assignees(tenantKey, this.o.policy, input.kind, probe.request.maxLevel, input.requesterId, deptId);
    const requester = await people.actor(tenantKey, input.requesterId, deptId);
    const probeSubmit = transition(probe.request, { type: 'submit', assignees }, requester, this.ctx());
    if (!probeSubmit.ok) throw workflowError(probeSubmit.error);

    const seq = await repos.counters.nextSeq(tenantKey, `${ID_PREFIX[input.kind]}-${year}`);
    const id = formatRequestId(input.kind, year, seq);
    const draft = createDraft(
      { id, kind: input.kind, requesterId: input.requesterId, deptId, carriers: refs, details: input.details, ...(ccIds.length ? { cc: ccIds } : {}) },
      this.ctx(),
    );
    if (!draft.ok) throw workflowError(draft.error);
    const submitted = transition(draft.request, { type: 'submit', assignees }, requester, this.ctx());
    if (!submitted.ok) throw workflowError(submitted.error);
    const at = this.now().toISOString();
    const effects = [...draft.effects, ...submitted.effects].map((e) => ({ ...e, actorId: input.requesterId, at, channel: input.channel }));
    try {
      await repos.requests.insert(tenantKey, submitted.request, effects, input.sourceKey ? { sourceKey: input.sourceKey } : {});
    } catch (err) {
      // A concurrent twin of this delivery inserted first: its request is the answer.
      const twin = input.sourceKey ? await repos.requests.getBySourceKey(tenantKey, input.sourceKey) : null;
      if (twin) return twin;
      throw err;
    }
    await this.runner.runInBackground(tenantKey, id);
    return (await repos.requests.get(tenantKey, id))!;
  }

  /**
   * One command on one request. Concurrent callers race on the version guard; a loser reloads and
   * re-decides, which gives it the workflow's "already decided by …" answer. Carriers the step
   * takes are claimed before the commit (custody.ts): of two requests wanting one carrier, one
   * wins and the other is told which request holds it.
   */
  /**
   * `opts.redrawnMessageId`: the card message that was clicked. Its callback answer redraws it, and
   * Lark refuses a patch of it while the callback is open (11310), so it is recorded as showing the
   * new version before the effects run, and the refresh patches only the other holders' cards.
   */
  async act(tenantKey: string, id: string, command: Command, actorId: string, channel: Channel, opts: { redrawnMessageId?: string } = {}): Promise<ActResult> {
    const { repos, people } = this.o;
    for (let attempt = 0; attempt < 5; attempt++) {
      const stored = await repos.requests.get(tenantKey, id);
      if (!stored) throw new BotError('request:not_found', { id });
      const actor = actorId === 'system' ? { id: 'system', roles: [] as Role[], system: true } : await people.actorFor(tenantKey, actorId, stored.request);
      let result = transition(stored.request, command, actor, this.ctx());
      if (!result.ok) return { ok: false, error: result.error, stored, done: Promise.resolve() };
      if (command.type === 'complete_copy') {
        // Valid: now reserve the copy numbers (once per request) and decide with them.
        const firstCopyIndex = await this.custody.copyNumbers(tenantKey, stored.request, command.copiesMade);
        result = transition(stored.request, { ...command, firstCopyIndex }, actor, this.ctx());
        if (!result.ok) return { ok: false, error: result.error, stored, done: Promise.resolve() };
      }
      const takes = takesOf(result.effects);
      const claimed = await this.custody.take(tenantKey, id, takes);
      if (!claimed.ok)
        throw new BotError(claimed.heldBy ? 'request:carrier_held' : 'request:carrier_unavailable', {
          number: claimed.number,
          status: claimed.status ?? 'MISSING',
          holder: claimed.heldBy ?? '',
        });
      const at = this.now().toISOString();
      const effects = result.effects.map((e) => ({ ...e, actorId, at, channel }));
      if (await repos.requests.commit(tenantKey, stored.request, result.request, effects)) {
        // The clicked card is recorded as redrawn before the effects (and their card refresh) run,
        // without holding up the click's answer.
        const redrawn =
          opts.redrawnMessageId && stored.cards.some((c) => c.messageId === opts.redrawnMessageId)
            ? repos.cardState.markRedrawn(tenantKey, id, opts.redrawnMessageId, result.request.version).catch(() => undefined)
            : Promise.resolve();
        const done = redrawn.then(() => this.runner.runInBackground(tenantKey, id));
        return { ok: true, request: result.request, stored: { ...stored, request: result.request }, done };
      }
      if (claimed.taken.length) await this.custody.undo(tenantKey, (await repos.requests.get(tenantKey, id))?.request, id, claimed.taken, claimed.token);
    }
    throw new BotError('errors:busy');
  }

  /** The register's records of `numbers`, each available for a new request, as the request's snapshots. */
  private async carrierRefs(tenantKey: string, carrierNumbers: readonly string[], mayHold?: string): Promise<CarrierRef[]> {
    const numbers = [...new Set(carrierNumbers)];
    const found = await this.o.repos.carriers.getMany(tenantKey, numbers);
    const byNumber = new Map(found.map((c) => [c.number.toLowerCase(), c]));
    const carriers: CarrierRecord[] = [];
    for (const n of numbers) {
      const c = byNumber.get(n.toLowerCase());
      if (!c) throw new BotError('request:unknown_carrier', { number: n });
      const heldByThis = mayHold !== undefined && c.statusRequestId === mayHold;
      if (!AVAILABLE.has(c.status) && !heldByThis) throw new BotError('request:carrier_unavailable', { number: c.number, status: c.status });
      carriers.push(c);
    }
    return carriers.map(toRef);
  }

  /**
   * 转交: the current step's assignee hands it to `to`. The person must be eligible for the step's
   * role (the same eligibility as assignment, People.eligibleFor); the workflow checks the rest
   * (who may hand over, the requester, distinct approvers). A refusal is audited.
   */
  async transfer(
    tenantKey: string,
    id: string,
    actorId: string,
    command: Extract<Command, { type: 'transfer' }>,
    channel: Channel,
    opts: { redrawnMessageId?: string } = {},
  ): Promise<ActResult> {
    const { repos, people } = this.o;
    const stored = await repos.requests.get(tenantKey, id);
    if (!stored) throw new BotError('request:not_found', { id });
    const refused = (reason: string) =>
      repos.audit.record(tenantKey, {
        at: this.now(),
        actorId,
        action: 'request.transfer',
        objectType: 'request',
        objectId: id,
        channel,
        outcome: 'refused',
        reason,
        details: { to: command.to, ...(stored.request.currentStep !== null ? { step: stored.request.currentStep } : {}) },
      });
    // The workflow's own refusals first (not the assignee, stale card…): they say more.
    const actor = await people.actorFor(tenantKey, actorId, stored.request);
    const dry = transition(stored.request, command, actor, this.ctx());
    if (!dry.ok) {
      await refused(dry.error.code);
      return { ok: false, error: dry.error, stored, done: Promise.resolve() };
    }
    const k = stored.request.currentStep!;
    if (!(await people.eligibleFor(tenantKey, stored.request, k, command.to))) {
      await refused('workflow.transfer_not_eligible');
      const names = await people.names(tenantKey, [command.to]);
      const params = { step: k + 1, role: stored.request.steps[k]!.role };
      const t = (l: 'zh-CN' | 'en-US') =>
        translator(l)('workflow:workflow.transfer_not_eligible', { ...params, name: l === 'en-US' ? names(command.to).en : names(command.to).zh });
      throw BotError.localised('workflow:workflow.transfer_not_eligible', { zh: t('zh-CN'), en: t('en-US') });
    }
    const result = await this.act(tenantKey, id, command, actorId, channel, opts);
    if (!result.ok) await refused(result.error.code);
    return result;
  }

  /**
   * Edit and resubmit: the requester's request, returned for edit, with the form's carriers and
   * details — a new round under the current policy (the chain follows the new level).
   */
  async resubmitEdited(tenantKey: string, id: string, actorId: string, edit: EditInput, channel: Channel, opts: { redrawnMessageId?: string } = {}): Promise<ActResult> {
    const stored = await this.o.repos.requests.get(tenantKey, id);
    if (!stored) throw new BotError('request:not_found', { id });
    const r = stored.request;
    // Only the requester edits, and only a returned draft: the workflow says so in its words.
    if (r.requesterId !== actorId || r.state !== 'DRAFT' || !(r.round > 0)) return this.act(tenantKey, id, { type: 'resubmit' }, actorId, channel, opts);
    const refs = await this.carrierRefs(tenantKey, edit.carrierNumbers, id);
    const level = maxLevel(refs.map((c) => c.level));
    if (!level.ok) throw workflowError(level.error);
    const assignees = await this.o.people.assignees(tenantKey, this.o.policy, r.kind, level.level, r.requesterId, r.deptId);
    return this.act(tenantKey, id, { type: 'resubmit', patch: { carriers: refs, details: edit.details as never }, assignees }, actorId, channel, opts);
  }

  /**
   * The requester nudges (催办) the approvers of the current step: at most once per NUDGE_GAP_MS
   * per request — claimed by one conditional write on the request, so two nudges at once give one
   * message — audited (a refusal too), and each approver gets a message naming the request and
   * how long it has waited.
   */
  async nudge(tenantKey: string, id: string, actorId: string, channel: Channel): Promise<NudgeResult> {
    const { repos } = this.o;
    const stored = await repos.requests.get(tenantKey, id);
    if (!stored) throw new BotError('request:not_found', { id });
    const at = this.now();
    const audit = (outcome: 'ok' | 'refused', details: Record<string, unknown>, reason?: string) =>
      repos.audit.record(tenantKey, {
        at,
        actorId,
        action: 'request.nudge',
        objectType: 'request',
        objectId: id,
        channel,
        outcome,
        ...(reason ? { reason } : {}),
        ...(outcome === 'ok' ? { effectKey: `${id}:nudge:${at.toISOString()}` } : {}),
        details,
      });
    if (stored.request.requesterId !== actorId) {
      await audit('refused', {}, 'not_requester');
      return { ok: false, reason: 'not_requester' };
    }
    const claims = repos.requests as unknown as Partial<NudgeClaims>;
    if (typeof claims.claimNudge !== 'function') throw new Error('the request store cannot record nudges');
    const claimed = stored.request.state === 'IN_APPROVAL' ? await claims.claimNudge(tenantKey, id, at, NUDGE_GAP_MS) : null;
    if (!claimed) {
      const now: (StoredRequest & { nudgedAt?: Date }) | null = stored.request.state === 'IN_APPROVAL' ? await repos.requests.get(tenantKey, id) : stored;
      const last = now?.nudgedAt ? new Date(now.nudgedAt) : undefined;
      if (now?.request.state !== 'IN_APPROVAL' || !last) {
        await audit('refused', { state: now?.request.state }, 'not_in_approval');
        return { ok: false, reason: 'not_in_approval' };
      }
      const nextAt = new Date(last.getTime() + NUDGE_GAP_MS).toISOString();
      await audit('refused', { lastNudgedAt: last.toISOString(), nextAt }, 'too_soon');
      return { ok: false, reason: 'too_soon', nextAt };
    }
    const r = claimed.request;
    const k = r.currentStep ?? 0;
    const to = claimed.currentAssignees;
    const waitingSince = (k > 0 ? r.steps[k - 1]?.decidedAt : undefined) ?? r.submittedAt ?? r.createdAt;
    const waitedMin = Math.max(0, Math.floor((at.getTime() - new Date(waitingSince).getTime()) / 60_000));
    const key = `${id}:nudge:${at.toISOString()}`;
    await audit('ok', { step: k, to, waitingSince, waitedMinutes: waitedMin });
    const names = await this.o.people.names(tenantKey, [r.requesterId]);
    const failures: string[] = [];
    for (const who of to) {
      try {
        const locale = (await this.o.prefs.getLocale(tenantKey, who).catch(() => undefined)) ?? this.o.defaultLocale;
        const t = translator(locale);
        const text = t('workflow:notify.nudged', {
          id,
          kind: r.kind,
          level: r.maxLevel,
          requester: locale === 'en-US' ? names(r.requesterId).en : names(r.requesterId).zh,
          step: k + 1,
          role: r.steps[k]?.role ?? '',
          waited: t('workflow:duration.hm', { hours: Math.floor(waitedMin / 60), minutes: waitedMin % 60 }),
        });
        await repos.notifications.sendOnce(tenantKey, `${key}:${who}`, () =>
          this.o.sender.send({ openId: who }, { type: 'text', text }, { uuid: sendUuid(`${tenantKey}:${key}:${who}`) }),
        );
      } catch (err) {
        failures.push(who);
        this.o.logger.warn('nudge not delivered', { id, to: who, err: (err as Error).message });
      }
    }
    return { ok: true, to: to.filter((x) => !failures.includes(x)), waitingSince };
  }

  /** Runs the request's due effects now (tests and the sweep use it; see effects.ts). */
  async run(tenantKey: string, id: string): Promise<void> {
    await this.runner.run(tenantKey, id);
  }

  /**
   * The system's own reminders: a carry-out whose due-back day has passed becomes OVERDUE (which
   * notifies the carrier person and the security officers). Claimed atomically, so one instance
   * acts; a claim that fails is retried when its lock runs out.
   */
  async sweepOverdue(limit = 50): Promise<number> {
    const due = await this.o.repos.reminders.claimDue(this.now(), limit, 60_000, ['carry.overdue']);
    let done = 0;
    for (const r of due) {
      try {
        const result = await this.act(r.tenantKey, r.requestId, { type: 'mark_overdue' }, 'system', 'system');
        await result.done;
        // Already returned or overdue: nothing left to do for this reminder either way.
        await this.o.repos.reminders.markSent(r.tenantKey, r.key);
        done += 1;
      } catch (err) {
        this.o.logger.warn('overdue sweep failed for a reminder', { id: r.requestId, err: (err as Error).message });
      }
    }
    return done;
  }

  /**
   * After a crash or restart, and every few seconds: runs every request's due effects (committed
   * but not run, or waiting out a back-off), earliest due first. Returns how many requests ran.
   */
  async recover(opts?: { batch?: number; budgetMs?: number }): Promise<number> {
    return this.runner.sweep(opts);
  }

  /** Dead letters of a tenant (effects given up on), for `/deadletters`. */
  async deadLetters(tenantKey: string, limit = 50) {
    return this.o.repos.outbox.listDead(tenantKey, limit);
  }

  /**
   * Puts a request's dead letters (one by key, or all) back into its outbox, due now, and starts
   * running them; `done` settles when that run is over.
   */
  async retryDead(tenantKey: string, id: string, key?: string): Promise<{ revived: number; done: Promise<void> }> {
    const revived = await this.o.repos.outbox.revive(tenantKey, id, key);
    return { revived, done: revived > 0 ? this.runner.runInBackground(tenantKey, id) : Promise.resolve() };
  }

  /**
   * Drops a request's dead messages (notifications, card refreshes) for good: the person left, the
   * chat is gone. Its dead storage effects (ledger, audit, carrier status, reminders) stay: they
   * are only ever retried. Returns what was dropped and whether storage letters remain.
   */
  async dropDeadMessages(tenantKey: string, id: string): Promise<{ dropped: DeadEffect[]; storageLeft: number }> {
    const dead = (await this.o.repos.requests.get(tenantKey, id))?.dead ?? [];
    const messages = dead.filter(isMessageEffect);
    const n = await this.o.repos.outbox.dropDead(
      tenantKey,
      id,
      messages.map((e) => e.key),
    );
    return { dropped: n > 0 ? messages : [], storageLeft: dead.length - messages.length };
  }

  /** Patches every holder's card of the request with its newest state. */
  async refreshCards(tenantKey: string, id: string): Promise<void> {
    await this.refresher.refresh(tenantKey, id);
  }

  async namesFor(tenantKey: string, r: Request): Promise<(openId: string) => Bi> {
    return this.o.cards.prepare(tenantKey, r);
  }
}

function toRef(c: CarrierRecord): CarrierRef {
  return {
    number: c.number,
    level: c.level,
    copyRestricted: c.copyRestricted,
    mustReturnToIssuer: c.mustReturnToIssuer,
    alias: c.alias,
    carrierType: c.carrierType,
    ...(c.period ? { period: c.period } : {}),
    ...(c.pages !== undefined ? { pagesOrCapacity: String(c.pages) } : {}),
  };
}

export function workflowError(e: WorkflowError): BotError {
  return new BotError(`workflow:${e.code}`, e.params ?? {});
}

function localYear(d: Date, tz: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric' }).format(d);
}
