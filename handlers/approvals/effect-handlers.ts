/**
 * What each outbox effect does, idempotently by its key (the runner in effects.ts decides when and
 * how often):
 * - ledger entries and audit records: unique effect key per tenant (models/chain.ts);
 * - notifications: the message log records the message per (effect, recipient) and the send
 *   carries a deterministic Lark `uuid`, so a replay returns the message already sent;
 * - reminders: unique key; carrier status: guarded by the holding request;
 * - card refresh: every holder's card patched to the newest version (never an older one).
 */
import { sendUuid } from '../../bot/core/app.js';
import type { Logger } from '../../bot/core/logger.js';
import type { Bi, CardJson, Sender, UserPrefsStore } from '../../bot/core/types.js';
import { translator } from '../../locales/index.js';
import type { Request } from '../../domain/index.js';
import type { CardRefresher } from './card-refresher.js';
import { holds } from './custody.js';
import type { People } from './people.js';
import type { ApprovalRepos, CardKind, PendingEffect, StoredRequest } from './ports.js';

const OPEN_ID = /^ou_[0-9A-Za-z_]+$/;

export type Channel = 'card' | 'command' | 'system';

/** An approval's failed supervision check, handed to the incidents feature as a draft. */
export interface IncidentDraft {
  requestId: string;
  reason: string;
  carrierNumbers: string[];
  note?: string;
  /** The effect's key: the draft is made once per effect, however often the effect runs. */
  effectKey: string;
  actorId?: string;
  at?: Date;
}

/** Where `incident.open` effects go after their audit record (handlers/incidents' API). */
export interface IncidentSink {
  draft?(tenantKey: string, input: IncidentDraft): Promise<unknown>;
}

/** Sinks set after the executor was built (the approval service comes before the features), by repositories. */
const incidentSinks = new WeakMap<object, IncidentSink>();

/** Sets the incident sink of the executors built on these repositories (bot/bootstrap.ts, after the features). */
export function setIncidentSink(repos: ApprovalRepos, sink: IncidentSink | undefined): void {
  if (sink) incidentSinks.set(repos, sink);
  else incidentSinks.delete(repos);
}

export interface ExecutorOptions {
  repos: ApprovalRepos;
  people: People;
  sender: Sender;
  prefs: Pick<UserPrefsStore, 'getLocale'>;
  refresher: CardRefresher;
  logger: Logger;
  defaultLocale: 'zh-CN' | 'en-US';
  names(tenantKey: string, r: Request): Promise<(openId: string) => Bi>;
  render(tenantKey: string, kind: CardKind, request: Request, names: (openId: string) => Bi, holder?: string): CardJson;
  now(): Date;
  /** The incidents feature's drafts (else the one set by `setIncidentSink` for `repos`, if any). */
  incidents?: IncidentSink;
}

/**
 * Notifications telling the actor what they just did: sent only when someone else acted (the
 * effect records who acted).
 */
const ECHO_TEMPLATES: ReadonlySet<string> = new Set(['notify.resubmitted', 'notify.return_announced_requester']);

/** Which notifications are cards (and which card), the rest are text. */
function cardKindOf(template: string): CardKind | undefined {
  switch (template) {
    case 'notify.approval_needed':
    case 'notify.transfer_to':
      return 'approval';
    case 'notify.ready_to_execute':
    case 'notify.inspection_needed':
      return 'execution';
    case 'notify.witness_needed':
      return 'witness';
    case 'notify.submitted':
    // 抄送: the status card, read-only for anyone but the requester (render.ts).
    case 'notify.cc':
      return 'status';
    default:
      return undefined;
  }
}

/** Several recipients failed: permanent only when Lark refused every one of them for good. */
class RecipientsFailed extends Error {
  readonly permanent: boolean;
  constructor(failures: { to: string; err: unknown }[]) {
    super(failures.map((f) => `${f.to}: ${(f.err as Error).message ?? String(f.err)}`).join('; '));
    this.name = 'RecipientsFailed';
    this.permanent = failures.every((f) => (f.err as { permanent?: unknown }).permanent === true);
  }
}

export class EffectExecutor {
  constructor(private readonly o: ExecutorOptions) {}

  async execute(stored: StoredRequest, e: PendingEffect): Promise<void> {
    const { repos } = this.o;
    const tenantKey = stored.tenantKey;
    const at = e.at ? new Date(e.at) : this.o.now();
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
          details: {
            fromState: e.fromState,
            toState: e.toState,
            version: e.version,
            ...(e.stepIndex !== undefined ? { step: e.stepIndex } : {}),
            ...(e.comment ? { comment: e.comment } : {}),
            ...(e.to ? { to: e.to } : {}),
          },
        });
        return;
      case 'notify': {
        // The actor's own echo (`/resubmit`, `/return` by the carrier person) is already answered by
        // the command's reply or the click's toast: one message per action to the actor.
        if ('to' in e && ECHO_TEMPLATES.has(e.template) && e.actorId === e.to) return;
        const recipients = 'to' in e ? [e.to] : await repos.roles.holders(tenantKey, e.toRole);
        // An alert for a role nobody holds would reach no one: a dead letter says so.
        if (recipients.length === 0) throw Object.assign(new Error(`nobody holds the role ${'toRole' in e ? e.toRole : ''}`), { permanent: true });
        // Each recipient on its own: one unreachable person does not keep the others uninformed;
        // on a retry the ones already told are skipped by the message log.
        const failures: { to: string; err: unknown }[] = [];
        for (const to of recipients) {
          try {
            await this.notify(stored, e, to);
          } catch (err) {
            failures.push({ to, err });
          }
        }
        if (failures.length > 0) throw new RecipientsFailed(failures);
        return;
      }
      case 'card.refresh':
        await this.o.refresher.refresh(tenantKey, e.requestId);
        return;
      case 'reminder.create':
        await repos.reminders.create(tenantKey, {
          key: e.key,
          requestId: e.requestId,
          version: e.version,
          kind: e.kind,
          dueAt: new Date(e.dueAt),
          target: e.target,
          params: e.params,
        });
        return;
      case 'reminder.cancel':
        await repos.reminders.cancel(tenantKey, e.requestId, { kinds: e.kinds, target: e.target, beforeVersion: e.beforeVersion });
        return;
      case 'carrier.status': {
        if (e.status === 'IN_STOCK' || e.status === 'DESTROYED') {
          // Giving a carrier back (in stock, destroyed) applies only while this request holds it,
          // so a replay after a crash never undoes a later request's check-out; a release by a
          // request that never took the carrier (a guarded clean-up) changes nothing.
          await repos.carriers.setStatus(tenantKey, e.number, e.status, { requestId: e.requestId, expectRequestId: e.requestId });
          return;
        }
        // Taking was claimed before the request moved on (custody.ts); the effect confirms the
        // claim — only while the request, as it is now, still holds the carrier. A late replay
        // (after a back-off, or a dead letter retried) once the carrier came back must not take
        // it again.
        const current = await repos.requests.get(tenantKey, e.requestId);
        if (!current || !holds(current.request, e.status)) return;
        const r = await repos.carriers.claim(tenantKey, e.number, e.status, e.requestId);
        if (!r.ok) {
          // Two requests believe they hold one carrier: never silent — a dead letter the security office sees.
          const holder = r.reason === 'held' ? `${r.heldBy ?? 'a manual change'} (${r.status})` : 'nobody: no such carrier';
          throw Object.assign(new Error(`custody conflict: carrier ${e.number} is held by ${holder}, not by ${e.requestId}`), { permanent: true });
        }
        return;
      }
      case 'carrier.create': {
        const { carrier, created } = await repos.carriers.createIfAbsent(tenantKey, {
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
        if (!created && carrier.sourceRequestId !== e.requestId) {
          // The number was registered by hand meanwhile: never let two carriers share a number.
          throw Object.assign(new Error(`copy number ${e.number} is already registered (not by ${e.requestId})`), { permanent: true });
        }
        return;
      }
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
        // A draft for the security officers to confirm or dismiss, once per effect key.
        await (this.o.incidents ?? incidentSinks.get(repos))?.draft?.(tenantKey, {
          requestId: e.requestId,
          reason: e.reason,
          carrierNumbers: e.carrierNumbers,
          ...(e.note ? { note: e.note } : {}),
          effectKey: e.key,
          actorId: e.actorId ?? 'system',
          at,
        });
        return;
    }
  }

  /** A notification: some are cards (the approver's, the officer's, a witness's), the rest text. */
  private async notify(stored: StoredRequest, e: Extract<PendingEffect, { type: 'notify' }>, to: string): Promise<void> {
    const tenantKey = stored.tenantKey;
    const cardKind = cardKindOf(e.template);
    const key = `${e.key}:${to}`;
    // Request ids repeat across tenants: the tenant is part of the Lark-side de-duplication key.
    const uuid = sendUuid(`${tenantKey}:${key}`);
    const { repos, sender } = this.o;
    if (cardKind) {
      // Render from the newest state, so a late notification never shows an outdated card.
      const current = (await repos.requests.get(tenantKey, e.requestId)) ?? stored;
      // An officer who holds an execution card gets no second one for the same task (ready to
      // execute). When the carriers come back, though, the inspection is a new task: a NEW message
      // with the inspection form, since the old card sits far up the chat. Both copies are the
      // same card of the same version, and the refresher patches every copy alike.
      if (cardKind === 'execution' && e.template !== 'notify.inspection_needed' && current.cards.some((c) => c.kind === 'execution' && c.holder === to)) return;
      const names = await this.o.names(tenantKey, current.request);
      const card = this.o.render(tenantKey, cardKind, current.request, names, to);
      const { messageId, sent } = await repos.notifications.sendOnce(tenantKey, key, () => sender.send({ openId: to }, { type: 'card', card }, { uuid }));
      if (sent || !current.cards.some((c) => c.messageId === messageId)) {
        await repos.requests.addCard(tenantKey, e.requestId, { messageId, kind: cardKind, holder: to, sentForVersion: current.request.version });
      }
      return;
    }
    const locale = (await this.o.prefs.getLocale(tenantKey, to).catch(() => undefined)) ?? this.o.defaultLocale;
    const names = await this.o.people.names(
      tenantKey,
      Object.values(e.params).filter((v): v is string => typeof v === 'string' && OPEN_ID.test(v)),
    );
    const params: Record<string, string | number> = {};
    for (const [k, v] of Object.entries(e.params)) params[k] = typeof v === 'string' && OPEN_ID.test(v) ? (locale === 'en-US' ? names(v).en : names(v).zh) : v;
    const text = translator(locale)(`workflow:${e.template}`, params);
    await repos.notifications.sendOnce(tenantKey, key, () => sender.send({ openId: to }, { type: 'text', text }, { uuid }));
  }
}
