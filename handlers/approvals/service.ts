import { sendUuid } from '../../bot/core/app.js';
import { BotError } from '../../bot/core/errors.js';
import type { Logger } from '../../bot/core/logger.js';
import type { Bi, CardJson, Sender, UserPrefsStore } from '../../bot/core/types.js';
import { translator } from '../../locales/index.js';
import {
  createDraft,
  formatRequestId,
  ID_PREFIX,
  transition,
  type CarrierRef,
  type Command,
  type Kind,
  type Policy,
  type Request,
  type Role,
  type WorkflowError,
} from '../workflow/index.js';
import type { People } from './people.js';
import type { ApprovalRepos, CardKind, CarrierRecord, PendingEffect, StoredRequest } from './ports.js';

export type Channel = 'card' | 'command' | 'system';

/** Renders a request's cards (pure card builders behind it). */
export interface CardRenderer {
  /** Resolves the names a request's cards show (people, department); call before render. */
  prepare(tenantKey: string, request: Request): Promise<(openId: string) => Bi>;
  render(kind: CardKind, request: Request, names: (openId: string) => Bi, holder?: string): CardJson;
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
}

/** Carriers a request may name, per kind (a destroyed or checked-out carrier cannot be copied…). */
const AVAILABLE = new Set(['IN_STOCK']);
const PATCH_GAP_MS = 220;
const EFFECT_CONCURRENCY = 4;

class Semaphore {
  private waiting: (() => void)[] = [];
  constructor(private free: number) {}
  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free -= 1;
      return;
    }
    await new Promise<void>((r) => this.waiting.push(r));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free += 1;
  }
}
const OPEN_ID = /^ou_[0-9A-Za-z_]+$/;

/**
 * The approval flow around the pure workflow: load → transition → one guarded write that also
 * records the effects (the outbox) → run the effects idempotently. A crash after the write is
 * repaired by `recover()`, which runs whatever is still pending; every effect is keyed, so running
 * it twice never doubles a ledger entry, a reminder or a notification.
 */
export class ApprovalService {
  private readonly now: () => Date;
  private readonly refreshing = new Map<string, { again: boolean; done: Promise<void> }>();
  private readonly nextPatch = new Map<string, number>();
  private readonly slots = new Semaphore(EFFECT_CONCURRENCY);

  constructor(private readonly o: ApprovalOptions) {
    this.now = o.now ?? (() => new Date());
  }

  private ctx() {
    return { now: this.now(), policy: this.o.policy, timezone: this.o.timezone };
  }

  async create(tenantKey: string, input: CreateInput): Promise<StoredRequest> {
    const { repos, people } = this.o;
    const numbers = [...new Set(input.carrierNumbers)];
    const found = await repos.carriers.getMany(tenantKey, numbers);
    const byNumber = new Map(found.map((c) => [c.number.toLowerCase(), c]));
    const carriers: CarrierRecord[] = [];
    for (const n of numbers) {
      const c = byNumber.get(n.toLowerCase());
      if (!c) throw new BotError('request:unknown_carrier', { number: n });
      if (!AVAILABLE.has(c.status)) throw new BotError('request:carrier_unavailable', { number: c.number, status: c.status });
      carriers.push(c);
    }
    const refs: CarrierRef[] = carriers.map(toRef);
    const deptId = await people.deptOf(tenantKey, input.requesterId);
    const year = Number(localYear(this.now(), this.o.timezone));

    // Validate everything (content, legal floor, approvers) before an id is taken, so a refusal
    // leaves no gap in the numbering and nothing half-written.
    const probe = createDraft({ id: formatRequestId(input.kind, year, 1), kind: input.kind, requesterId: input.requesterId, deptId, carriers: refs, details: input.details }, this.ctx());
    if (!probe.ok) throw workflowError(probe.error);
    const assignees = await people.assignees(tenantKey, this.o.policy, input.kind, probe.request.maxLevel, input.requesterId, deptId);
    const requester = await people.actor(tenantKey, input.requesterId, deptId);
    const probeSubmit = transition(probe.request, { type: 'submit', assignees }, requester, this.ctx());
    if (!probeSubmit.ok) throw workflowError(probeSubmit.error);

    const seq = await repos.counters.nextSeq(tenantKey, `${ID_PREFIX[input.kind]}-${year}`);
    const id = formatRequestId(input.kind, year, seq);
    const draft = createDraft({ id, kind: input.kind, requesterId: input.requesterId, deptId, carriers: refs, details: input.details }, this.ctx());
    if (!draft.ok) throw workflowError(draft.error);
    const submitted = transition(draft.request, { type: 'submit', assignees }, requester, this.ctx());
    if (!submitted.ok) throw workflowError(submitted.error);
    const at = this.now().toISOString();
    const effects = [...draft.effects, ...submitted.effects].map((e) => ({ ...e, actorId: input.requesterId, at, channel: input.channel }));
    await repos.requests.insert(tenantKey, submitted.request, effects);
    await this.runSafely(tenantKey, id);
    return (await repos.requests.get(tenantKey, id))!;
  }

  /**
   * One command on one request. Concurrent callers race on the version guard; a loser reloads and
   * re-decides, which gives it the workflow's "already decided by …" answer.
   */
  async act(tenantKey: string, id: string, command: Command, actorId: string, channel: Channel): Promise<ActResult> {
    const { repos, people } = this.o;
    for (let attempt = 0; attempt < 5; attempt++) {
      const stored = await repos.requests.get(tenantKey, id);
      if (!stored) throw new BotError('request:not_found', { id });
      const actor = actorId === 'system' ? { id: 'system', roles: [] as Role[], system: true } : await people.actor(tenantKey, actorId, stored.request.deptId);
      const result = transition(stored.request, await this.enrich(tenantKey, stored.request, command), actor, this.ctx());
      if (!result.ok) return { ok: false, error: result.error, stored, done: Promise.resolve() };
      const at = this.now().toISOString();
      const effects = result.effects.map((e) => ({ ...e, actorId, at, channel }));
      if (await repos.requests.commit(tenantKey, stored.request, result.request, effects)) {
        const done = this.runSafely(tenantKey, id);
        return { ok: true, request: result.request, stored: { ...stored, request: result.request }, done };
      }
    }
    throw new BotError('errors:busy');
  }

  /**
   * Fills in what only storage knows (the next free copy numbers), and refuses to hand out a
   * carrier that another request holds (two approved carry-outs of one carrier: the first
   * check-out wins).
   */
  private async enrich(tenantKey: string, request: Request, command: Command): Promise<Command> {
    if (command.type === 'check_out' || command.type === 'record_destruction') {
      // Checked out: in stock, or already out for this request. Destroyed: set aside for this request.
      const held = command.type === 'check_out' ? 'CHECKED_OUT' : 'PENDING_DESTRUCTION';
      const carriers = await this.o.repos.carriers.getMany(tenantKey, request.carriers.map((c) => c.number));
      for (const c of carriers) {
        const heldByThis = c.status === held && (c as { statusRequestId?: string }).statusRequestId === request.id;
        const free = command.type === 'check_out' && c.status === 'IN_STOCK';
        if (!free && !heldByThis) throw new BotError('request:carrier_unavailable', { number: c.number, status: c.status });
      }
      return command;
    }
    if (command.type !== 'complete_copy' || command.firstCopyIndex) return command;
    const firstCopyIndex: Record<string, number> = {};
    for (const c of request.carriers) firstCopyIndex[c.number] = await this.o.repos.carriers.nextCopyIndex(tenantKey, c.number);
    return { ...command, firstCopyIndex };
  }

  /** Runs the pending effects of a request, in order, each exactly once in effect. */
  async run(tenantKey: string, id: string): Promise<void> {
    const stored = await this.o.repos.requests.get(tenantKey, id);
    if (!stored || stored.pending.length === 0) return;
    let index = 0;
    for (const effect of stored.pending) {
      this.o.beforeEffect?.(effect, index);
      await this.execute(stored, effect);
      this.o.afterEffect?.(effect, index++);
      await this.o.repos.requests.completeEffects(tenantKey, id, [effect.key]);
    }
  }

  /**
   * The decision is stored once the commit succeeded; an effect that fails now (Lark down, a
   * crash-like error) stays pending and is finished by the recovery sweep, so the user who acted
   * is not told that their decision failed.
   */
  private async runSafely(tenantKey: string, id: string): Promise<void> {
    // Effects are background work: a bounded number run at once, so a burst of decisions is
    // answered first and its notifications, ledger entries and card patches follow.
    await this.slots.acquire();
    try {
      await this.run(tenantKey, id);
    } catch (err) {
      this.o.logger.error('effects failed after commit; the recovery sweep will finish them', { id, err: (err as Error).message });
    } finally {
      this.slots.release();
    }
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

  /** After a crash or restart: finish every request whose effects were committed but not run. */
  async recover(limit = 100): Promise<number> {
    const stuck = await this.o.repos.requests.withPending(limit);
    for (const s of stuck) {
      try {
        await this.run(s.tenantKey, s.request.id);
      } catch (err) {
        this.o.logger.error('recovery of pending effects failed', { id: s.request.id, err: (err as Error).message });
      }
    }
    return stuck.length;
  }

  private async execute(stored: StoredRequest, e: PendingEffect): Promise<void> {
    const { repos } = this.o;
    const tenantKey = stored.tenantKey;
    const at = e.at ? new Date(e.at) : this.now();
    switch (e.type) {
      case 'ledger':
        await repos.ledger.append(tenantKey, e.ledger, {
          effectKey: e.key,
          event: e.event,
          carrierNumber: e.carrierNumber,
          requestId: e.requestId,
          actorId: e.actorId ?? 'system',
          occurredAt: at,
          data: e.data,
        });
        return;
      case 'audit':
        await repos.audit.record(tenantKey, {
          at,
          actorId: e.actorId,
          action: `request.${e.action}`,
          objectType: 'request',
          objectId: e.requestId,
          channel: (e.channel as Channel | undefined) ?? 'system',
          outcome: 'ok',
          effectKey: e.key,
          details: { fromState: e.fromState, toState: e.toState, version: e.version, ...(e.stepIndex !== undefined ? { step: e.stepIndex } : {}), ...(e.comment ? { comment: e.comment } : {}) },
        });
        return;
      case 'notify': {
        const recipients = 'to' in e ? [e.to] : await repos.roles.holders(tenantKey, e.toRole);
        for (const to of recipients) await this.notify(stored, e, to);
        return;
      }
      case 'card.refresh':
        await this.refreshCards(tenantKey, e.requestId);
        return;
      case 'reminder.create':
        await repos.reminders.create(tenantKey, { key: e.key, requestId: e.requestId, version: e.version, kind: e.kind, dueAt: new Date(e.dueAt), target: e.target, params: e.params });
        return;
      case 'reminder.cancel':
        await repos.reminders.cancel(tenantKey, e.requestId, { kinds: e.kinds, target: e.target, beforeVersion: e.beforeVersion });
        return;
      case 'carrier.status': {
        // Taking a carrier (out, pending destruction) needs it in stock; giving it back (in stock,
        // destroyed) applies only while this request is the one holding it, so a replay after a
        // crash never undoes a later request's check-out.
        const release = e.status === 'IN_STOCK' || e.status === 'DESTROYED';
        const r = await repos.carriers.setStatus(tenantKey, e.number, e.status, release ? { requestId: e.requestId, expectRequestId: e.requestId } : { requestId: e.requestId, expect: ['IN_STOCK'] });
        if (r === 'conflict' || r === 'missing') this.o.logger.warn('carrier status not applied', { number: e.number, status: e.status, result: r, request: e.requestId });
        return;
      }
      case 'carrier.create':
        await repos.carriers.createIfAbsent(tenantKey, {
          number: e.number,
          regime: stored.request.regime,
          level: e.level,
          carrierType: e.carrierType ?? '其他',
          alias: e.alias ?? e.number,
          period: e.period,
          copyRestricted: e.copyRestricted,
          mustReturnToIssuer: e.mustReturnToIssuer,
          count: 1,
          custodianId: e.custodianId,
          origin: 'copied',
          parentNumber: e.sourceNumber,
          sourceRequestId: e.requestId,
          createdBy: e.actorId ?? 'system',
        });
        return;
      case 'incident.open':
        await repos.audit.record(tenantKey, {
          at,
          actorId: e.actorId ?? 'system',
          action: 'incident.open',
          objectType: 'request',
          objectId: e.requestId,
          channel: 'system',
          outcome: 'ok',
          effectKey: e.key,
          details: { reason: e.reason, carriers: e.carrierNumbers, ...(e.note ? { note: e.note } : {}) },
        });
        return;
    }
  }

  /** A notification: some are cards (the approver's, the officer's, a witness's), the rest text. */
  private async notify(stored: StoredRequest, e: Extract<PendingEffect, { type: 'notify' }>, to: string): Promise<void> {
    const tenantKey = stored.tenantKey;
    const cardKind: CardKind | undefined =
      e.template === 'notify.approval_needed'
        ? 'approval'
        : e.template === 'notify.ready_to_execute' || e.template === 'notify.inspection_needed'
          ? 'execution'
          : e.template === 'notify.witness_needed'
            ? 'witness'
            : e.template === 'notify.submitted'
              ? 'status'
              : undefined;
    const key = `${e.key}:${to}`;
    // Request ids repeat across tenants: the tenant is part of the Lark-side de-duplication key.
    const uuid = sendUuid(`${tenantKey}:${key}`);
    if (cardKind) {
      // Render from the newest state, so a late notification never shows an outdated card.
      const current = (await this.o.repos.requests.get(tenantKey, e.requestId)) ?? stored;
      if (cardKind === 'execution' && current.cards.some((c) => c.kind === 'execution' && c.holder === to)) return;
      const names = await this.namesFor(tenantKey, current.request);
      const card = this.o.cards.render(cardKind, current.request, names, to);
      const { messageId, sent } = await this.o.repos.notifications.sendOnce(tenantKey, key, () => this.o.sender.send({ openId: to }, { type: 'card', card }, { uuid }));
      if (sent || !current.cards.some((c) => c.messageId === messageId)) {
        await this.o.repos.requests.addCard(tenantKey, e.requestId, { messageId, kind: cardKind, holder: to, sentForVersion: current.request.version });
      }
      return;
    }
    const locale = (await this.o.prefs.getLocale(tenantKey, to).catch(() => undefined)) ?? this.o.defaultLocale;
    const names = await this.o.people.names(tenantKey, Object.values(e.params).filter((v): v is string => typeof v === 'string' && OPEN_ID.test(v)));
    const params: Record<string, string | number> = {};
    for (const [k, v] of Object.entries(e.params)) params[k] = typeof v === 'string' && OPEN_ID.test(v) ? (locale === 'en-US' ? names(v).en : names(v).zh) : v;
    const text = translator(locale)(`workflow:${e.template}`, params);
    await this.o.repos.notifications.sendOnce(tenantKey, key, () => this.o.sender.send({ openId: to }, { type: 'text', text }, { uuid }));
  }

  /**
   * Every holder's card of a request shows its newest state (Lark shows a patch to everyone).
   * Refreshes of one request are coalesced: while one runs, later ones collapse into a single
   * rerun that renders whatever is newest then (Lark allows 5 patches per second per message).
   */
  async refreshCards(tenantKey: string, id: string): Promise<void> {
    const key = `${tenantKey}:${id}`;
    const running = this.refreshing.get(key);
    if (running) {
      running.again = true;
      return running.done;
    }
    const entry = { again: false, done: Promise.resolve() };
    entry.done = (async () => {
      try {
        do {
          entry.again = false;
          await this.patchAll(tenantKey, id);
        } while (entry.again);
      } finally {
        this.refreshing.delete(key);
      }
    })();
    this.refreshing.set(key, entry);
    return entry.done;
  }

  /** Lark allows 5 patches per second per message: keep 220 ms between two patches of one card. */
  private async pace(messageId: string): Promise<void> {
    const now = Date.now();
    const next = Math.max(now, this.nextPatch.get(messageId) ?? 0);
    this.nextPatch.set(messageId, next + PATCH_GAP_MS);
    if (this.nextPatch.size > 5000) for (const [k, t] of this.nextPatch) if (t < now) this.nextPatch.delete(k);
    if (next > now) await new Promise((r) => setTimeout(r, next - now));
  }

  private async patchAll(tenantKey: string, id: string): Promise<void> {
    const stored = await this.o.repos.requests.get(tenantKey, id);
    if (!stored) return;
    const names = await this.namesFor(tenantKey, stored.request);
    await Promise.all(
      stored.cards.map(async (c) => {
        try {
          await this.pace(c.messageId);
          await this.o.sender.patchCard(c.messageId, this.o.cards.render(c.kind, stored.request, names, c.holder));
        } catch (err) {
          this.o.logger.warn('card refresh failed', { id, messageId: c.messageId, err: (err as Error).message });
        }
      }),
    );
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
