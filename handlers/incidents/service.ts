// Leak incidents (docs/domain.md §5, §1.6; DOMAIN §5, §6.2, §6.6): opening, the 24-hour external
// report clock (+12 h, +20 h), the 3-month result report (+60 d, +80 d), the lost-carrier
// countdown (10 days for 绝密 / 60 days, alerts at 50 % and 80 %, then a leak), drafts from the
// approvals' failed supervision checks, and the INCIDENT ledger.
//
// Every step is one conditional update of the incident (models/incident.model.ts) followed by its
// follow-ups, each idempotent: the ledger entry (effect key `incident:<id>:<step>`), the audit
// record, the alarms (set once per key, cancelled when what they chase is recorded), the carriers'
// register status, and the notice (notifyByLanguage, id from the step or the alarm; the security
// office's card carries the buttons of its steps, everyone else's comes without them). A redelivery
// of the same command finds its own step recorded and runs the follow-ups again — they do nothing
// twice.
import type { Locale } from '../../bot/core/config.js';
import { BotError } from '../../bot/core/errors.js';
import type { Logger } from '../../bot/core/logger.js';
import type { Bi } from '../../bot/core/types.js';
import { incidentCard, incidentDraftCard, type IncidentView } from '../../cards/incident.card.js';
import { fmtTime } from '../../cards/request.card.js';
import { isIsoDate, LEVELS, localDate, type Level, type Role } from '../../domain/index.js';
import { bilingual } from '../../locales/index.js';
import type { Alarm, AlarmInput, AlarmStore } from '../../models/alarm.model.js';
import { carrierNumberKey } from '../../models/carrier.model.js';
import type { Incident, IncidentKind, IncidentStep, IncidentStore } from '../../models/incident.model.js';
import type { LedgerStore } from '../../models/ledger.model.js';
import { notifyByLanguage, type AlarmOutcome, type NotifyDeps } from '../../scheduler/alarms.js';
import type { IncidentDraft } from '../approvals/effect-handlers.js';
import type { People } from '../approvals/people.js';
import type { AuditRepo, CarrierRepo, CounterRepo, RoleRepo } from '../approvals/ports.js';

export const TOPIC = 'incident';

/** Who gets the alert, the 24-hour reminders and the updates: 保密办负责人, 主要负责人, 保密委员会主任. */
export const ALERT_ROLES: readonly Role[] = ['security_head', 'principal', 'committee_chair'];
/** Who is reminded of the result report (保密办). */
export const OFFICE_ROLES: readonly Role[] = ['security_head', 'security_officer'];
/** Who hears of a carrier still missing (保密办, 分管领导). */
export const MISSING_ROLES: readonly Role[] = ['security_head', 'security_officer', 'leader'];
/** Who gets the drafts to confirm or dismiss. */
export const DRAFT_ROLES: readonly Role[] = ['security_officer'];
/** Who records the steps (the security office). */
export const MANAGER_ROLES: readonly Role[] = ['security_officer', 'security_head'];
/** Who may list and read incidents. */
export const READER_ROLES: readonly Role[] = ['security_officer', 'security_head', 'principal', 'committee_chair', 'leader', 'admin'];

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** The clocks after the 24-hour clock started (DOMAIN §6.6). */
export const CLOCKS = { h12: 12 * HOUR, h20: 20 * HOUR, d60: 60 * DAY, d80: 80 * DAY } as const;
/** A carrier missing this long from discovery is treated as a leak (DOMAIN §1.6). */
export const MISSING_DAYS = { TOP_SECRET: 10, other: 60 } as const;
/** Register states a carrier can go missing from. */
export const MISSABLE = ['IN_STOCK', 'CHECKED_OUT', 'PENDING_DESTRUCTION'] as const;
export const MAX_CARRIERS = 50;
export const MAX_STATUS = 200;

export type Channel = 'card' | 'command' | 'system';
/** Who does a step, and the delivery it comes from (its key makes a redelivery recognise it). */
export interface Actor {
  by: string;
  key: string;
  channel: Channel;
}

export interface OpenInput {
  kind: IncidentKind;
  discoveredAt: Date;
  place?: string;
  foundBy?: string;
  reporterId: string;
  carriers: readonly string[];
  level?: Level;
  quantity?: number;
  measures?: string;
}

export interface IncidentDeps {
  incidents: IncidentStore;
  ledger: Pick<LedgerStore, 'append'>;
  alarms: Pick<AlarmStore, 'set' | 'cancel'>;
  carriers: Pick<CarrierRepo, 'getMany' | 'setStatus'>;
  counters: Pick<CounterRepo, 'nextSeq'>;
  roles: Pick<RoleRepo, 'holders'>;
  people: Pick<People, 'hasRole' | 'names'>;
  audit: AuditRepo;
  notify: NotifyDeps;
  logger: Logger;
  timezone: string;
  now: () => Date;
}

/** `d` plus `n` calendar months (the day kept, or the month's last day). */
export function addMonths(d: Date, n: number): Date {
  const x = new Date(d.getTime());
  const day = x.getUTCDate();
  x.setUTCDate(1);
  x.setUTCMonth(x.getUTCMonth() + n);
  const last = new Date(Date.UTC(x.getUTCFullYear(), x.getUTCMonth() + 1, 0)).getUTCDate();
  x.setUTCDate(Math.min(day, last));
  return x;
}

/** The highest of the levels (绝密 first; state levels before trade levels). */
export function highestLevel(levels: readonly Level[]): Level | undefined {
  return LEVELS.find((l) => levels.includes(l));
}

/** The lost-carrier countdown: 10 days if any carrier is 绝密, else 60. */
export function missingDays(levels: readonly Level[]): number {
  return levels.includes('TOP_SECRET') ? MISSING_DAYS.TOP_SECRET : MISSING_DAYS.other;
}

/** Carrier numbers typed in a list: "JM-1, JM-2、JM-3 JM-4". */
export function splitNumbers(s: string): string[] {
  return [
    ...new Set(
      s
        .split(/[\s,，、;；]+/)
        .map((x) => x.trim())
        .filter(Boolean),
    ),
  ];
}

const open = (i: Incident) => i.status === 'OPEN' || i.status === 'REPORTED';
const searching = (i: Incident) => !!i.missing && !i.missing.outcome && open(i);

export class IncidentService {
  constructor(private readonly d: IncidentDeps) {}

  private get now(): Date {
    return this.d.now();
  }

  async get(tenantKey: string, id: string): Promise<Incident> {
    const inc = /^INC-\d{4}-\d{4,}$/i.test(id) ? await this.d.incidents.get(tenantKey, id.toUpperCase()) : null;
    if (!inc) throw new BotError('incident:not_found', { id: id.slice(0, 40) });
    return inc;
  }

  async mayRole(tenantKey: string, openId: string, roles: readonly Role[]): Promise<boolean> {
    for (const r of roles) if (await this.d.people.hasRole(tenantKey, openId, r)) return true;
    return false;
  }

  private async newId(tenantKey: string): Promise<string> {
    const year = localDate(this.now, this.d.timezone).slice(0, 4);
    return `INC-${year}-${String(await this.d.counters.nextSeq(tenantKey, `INC-${year}`)).padStart(4, '0')}`;
  }

  // ---- opening ---------------------------------------------------------------------------------

  /** Opens an incident once per `who.key`; a lost carrier starts its countdown, the others the 24-hour clock. */
  async open(tenantKey: string, input: OpenInput, who: Actor): Promise<{ incident: Incident; created: boolean }> {
    const existing = await this.d.incidents.bySource(tenantKey, who.key);
    if (existing) {
      await this.opened(existing, who);
      return { incident: existing, created: false };
    }
    const now = this.now;
    if (input.discoveredAt.getTime() > now.getTime() + 60_000) throw new BotError('incident:future', { at: fmtTime(input.discoveredAt.toISOString(), this.d.timezone) });
    const numbers = [...new Set(input.carriers.map((n) => n.trim()).filter(Boolean))];
    if (numbers.length > MAX_CARRIERS) throw new BotError('incident:too_many_carriers', { max: MAX_CARRIERS });
    const found = numbers.length ? await this.d.carriers.getMany(tenantKey, numbers) : [];
    const known = new Map(found.map((c) => [carrierNumberKey(c.number), c]));
    const unknown = numbers.filter((n) => !known.has(carrierNumberKey(n)));
    if (unknown.length) throw new BotError('incident:unknown_carriers', { numbers: unknown.join(', ') });
    const carriers = numbers.map((n) => known.get(carrierNumberKey(n))!);
    const lost = input.kind === 'LOST_CARRIER';
    if (lost && carriers.length === 0) throw new BotError('incident:missing_needs_carriers');
    if (lost) {
      const stuck = carriers.filter((c) => !(MISSABLE as readonly string[]).includes(c.status));
      if (stuck.length) {
        // Each reader sees the statuses in their own language.
        const list = (lang: 'zh' | 'en') => stuck.map((c) => `${c.number} (${bilingual(`cards:carrier_status.${c.status}`)[lang]})`).join(', ');
        const zh = bilingual('incident:not_missable', { numbers: list('zh') }).zh;
        const en = bilingual('incident:not_missable', { numbers: list('en') }).en;
        throw BotError.localised('incident:not_missable', { zh, en });
      }
    }
    const level = input.level ?? highestLevel(carriers.map((c) => c.level));
    const clockStart = lost ? undefined : input.discoveredAt;
    const days = missingDays(carriers.map((c) => c.level));
    const { incident, created } = await this.d.incidents.create({
      tenantKey,
      id: await this.newId(tenantKey),
      sourceKey: who.key,
      kind: input.kind,
      status: 'OPEN',
      discoveredAt: input.discoveredAt,
      ...(input.place ? { place: input.place } : {}),
      ...(input.foundBy ? { foundBy: input.foundBy } : {}),
      reporterId: input.reporterId,
      carriers: carriers.map((c) => c.number),
      ...(level ? { level } : {}),
      ...(input.quantity !== undefined ? { quantity: input.quantity } : lost ? { quantity: carriers.length } : {}),
      ...(input.measures ? { measures: input.measures } : {}),
      ...(clockStart ? { clockStart, resultDueAt: addMonths(clockStart, 3) } : {}),
      ...(lost
        ? {
            missing: {
              since: input.discoveredAt,
              days,
              deadline: new Date(input.discoveredAt.getTime() + days * DAY),
              before: carriers.map((c) => ({ number: c.number, status: c.status, ...(c.statusRequestId ? { requestId: c.statusRequestId } : {}) })),
            },
          }
        : {}),
      createdAt: now,
    });
    await this.opened(incident, who);
    return { incident, created };
  }

  /** What follows an opening (or a confirmed draft): carriers MISSING, ledger, audit, clocks, the alert. */
  private async opened(inc: Incident, who: Actor): Promise<void> {
    if (inc.status === 'DRAFT' || inc.status === 'DISMISSED') return;
    if (inc.missing && !inc.missing.outcome) {
      for (const b of inc.missing.before) {
        // The incident holds the carrier while it is missing; found, it goes back to its holder.
        const r = await this.d.carriers.setStatus(inc.tenantKey, b.number, 'MISSING', { expect: [b.status], requestId: inc.id });
        if (r === 'conflict' || r === 'missing') this.d.logger.warn('incident: carrier not marked missing', { id: inc.id, number: b.number, result: r });
      }
    }
    await this.ledger(inc, 'OPENED', 'opened', inc.confirmed?.by ?? inc.reporterId, inc.confirmed?.at ?? inc.createdAt, { measures: inc.measures });
    if (inc.missing)
      await this.ledger(inc, 'MISSING', 'missing', inc.reporterId, inc.createdAt, { since: inc.missing.since, deadline: inc.missing.deadline, days: inc.missing.days });
    await this.audit(inc, inc.confirmed ? 'confirm' : 'open', who, { kind: inc.kind, carriers: inc.carriers.length });
    await this.setClocks(inc);
    await this.notice(inc, ALERT_ROLES, `incident:${inc.tenantKey}:${inc.id}:opened`, bilingual('incident:lead.opened'));
  }

  /** The incident's alarms that are due to chase something (each set once; a cancelled one stays cancelled). */
  private async setClocks(inc: Incident): Promise<void> {
    const a: AlarmInput[] = [];
    const at = (kind: string, dueAt: Date) => a.push({ key: `${TOPIC}:${inc.id}:${kind}`, topic: TOPIC, subject: inc.id, kind, dueAt });
    if (inc.clockStart && open(inc)) {
      const t0 = inc.clockStart.getTime();
      if (!inc.external) for (const k of ['h12', 'h20'] as const) at(k, new Date(t0 + CLOCKS[k]));
      if (!inc.result) for (const k of ['d60', 'd80'] as const) at(k, new Date(t0 + CLOCKS[k]));
    }
    if (inc.missing && !inc.missing.outcome && open(inc)) {
      const s = inc.missing.since.getTime();
      const span = inc.missing.deadline.getTime() - s;
      at('missing.p50', new Date(s + span * 0.5));
      at('missing.p80', new Date(s + span * 0.8));
      at('missing.deadline', inc.missing.deadline);
    }
    for (const x of a) await this.d.alarms.set(inc.tenantKey, x, this.now);
  }

  /** A draft from an approval's failed supervision check (the effect executor's sink), once per effect. */
  async draft(tenantKey: string, d: IncidentDraft): Promise<{ incidentId: string; created: boolean }> {
    const sourceKey = `draft:${d.effectKey}`;
    let inc = await this.d.incidents.bySource(tenantKey, sourceKey);
    let created = false;
    if (!inc) {
      const carriers = d.carrierNumbers.length ? await this.d.carriers.getMany(tenantKey, d.carrierNumbers) : [];
      const level = highestLevel(carriers.map((c) => c.level));
      const r = await this.d.incidents.create({
        tenantKey,
        id: await this.newId(tenantKey),
        sourceKey,
        kind: 'POSSIBLE_LEAK',
        status: 'DRAFT',
        discoveredAt: d.at ?? this.now,
        reporterId: d.actorId ?? 'system',
        ...(d.actorId && d.actorId !== 'system' ? { foundBy: d.actorId } : {}),
        carriers: [...d.carrierNumbers],
        ...(level ? { level } : {}),
        quantity: d.carrierNumbers.length,
        draft: { requestId: d.requestId, reason: d.reason, ...(d.note ? { note: d.note } : {}), effectKey: d.effectKey },
        createdAt: this.now,
      });
      inc = r.incident;
      created = r.created;
    }
    if (inc.status === 'DRAFT') {
      await this.audit(inc, 'draft', { by: d.actorId ?? 'system', key: sourceKey, channel: 'system' }, { request: d.requestId, reason: d.reason });
      await this.notice(inc, DRAFT_ROLES, `incident:${tenantKey}:${inc.id}:draft`, bilingual('incident:draft.lead'), 'draft');
    }
    return { incidentId: inc.id, created };
  }

  // ---- steps -----------------------------------------------------------------------------------

  /** A step: the incident as this delivery left it (a redelivery), or after the guarded update. */
  private async take(
    inc: Incident,
    mine: IncidentStep | undefined,
    who: Actor,
    when: Record<string, unknown>,
    set: Record<string, unknown>,
    refuse: () => BotError,
  ): Promise<Incident> {
    if (mine?.key === who.key) return inc;
    const after = await this.d.incidents.step(inc.tenantKey, inc.id, when, { ...set, updatedAt: this.now });
    if (!after) throw refuse();
    return after;
  }

  private refuseState(inc: Incident): BotError {
    if (inc.status === 'DRAFT') return new BotError('incident:is_draft', { id: inc.id });
    if (inc.status === 'DISMISSED') return new BotError('incident:is_dismissed', { id: inc.id });
    return new BotError('incident:is_closed', { id: inc.id });
  }

  /** The 24-hour external report was made (when, to whom). */
  async reported(tenantKey: string, id: string, reportedAt: Date, to: string, who: Actor): Promise<Incident> {
    let inc = await this.get(tenantKey, id);
    if (inc.external?.key !== who.key) {
      if (!open(inc)) throw this.refuseState(inc);
      if (!inc.clockStart) throw new BotError('incident:no_clock', { id: inc.id });
      if (inc.external) throw new BotError('incident:already_reported', { id: inc.id, at: fmtTime(inc.external.reportedAt.toISOString(), this.d.timezone) });
      if (reportedAt.getTime() > this.now.getTime() + 60_000 || reportedAt.getTime() < inc.discoveredAt.getTime())
        throw new BotError('incident:bad_report_time', { from: fmtTime(inc.discoveredAt.toISOString(), this.d.timezone) });
    }
    inc = await this.take(
      inc,
      inc.external,
      who,
      { status: { $in: ['OPEN', 'REPORTED'] }, external: { $exists: false }, clockStart: { $exists: true } },
      { status: 'REPORTED', external: { by: who.by, at: this.now, key: who.key, reportedAt, to } },
      () => new BotError('incident:already_reported', { id: inc.id, at: '' }),
    );
    await this.d.alarms.cancel(tenantKey, TOPIC, inc.id, this.now, ['h12', 'h20']);
    await this.ledger(inc, 'REPORTED', 'reported', who.by, inc.external!.at, { reportedAt, to });
    await this.audit(inc, 'reported', who, { reportedAt: reportedAt.toISOString(), to });
    await this.notice(inc, ALERT_ROLES, `incident:${tenantKey}:${inc.id}:reported`, bilingual('incident:lead.reported'));
    return inc;
  }

  /** The result report was made (the day). */
  async result(tenantKey: string, id: string, on: string, who: Actor): Promise<Incident> {
    let inc = await this.get(tenantKey, id);
    if (inc.result?.key !== who.key) {
      if (!open(inc)) throw this.refuseState(inc);
      if (!inc.external) throw new BotError('incident:report_first', { id: inc.id });
      if (inc.result) throw new BotError('incident:already_result', { id: inc.id, on: inc.result.on });
      const from = localDate(inc.discoveredAt, this.d.timezone);
      if (!isIsoDate(on) || on < from || on > localDate(this.now, this.d.timezone)) throw new BotError('incident:bad_result_date', { from });
    }
    inc = await this.take(
      inc,
      inc.result,
      who,
      { status: { $in: ['OPEN', 'REPORTED'] }, result: { $exists: false }, external: { $exists: true } },
      { result: { by: who.by, at: this.now, key: who.key, on } },
      () => new BotError('incident:already_result', { id: inc.id, on: '' }),
    );
    await this.d.alarms.cancel(tenantKey, TOPIC, inc.id, this.now, ['d60', 'd80']);
    await this.ledger(inc, 'RESULT', 'result', who.by, inc.result!.at, { resultOn: on });
    await this.audit(inc, 'result', who, { on });
    await this.notice(inc, ALERT_ROLES, `incident:${tenantKey}:${inc.id}:result`, bilingual('incident:lead.result'));
    return inc;
  }

  /** A status update (≤ 200 characters, no content). */
  async status(tenantKey: string, id: string, text: string, who: Actor): Promise<Incident> {
    const t = text.replace(/\s+/g, ' ').trim();
    if (!t || [...t].length > MAX_STATUS) throw new BotError('incident:status_length', { max: MAX_STATUS });
    let inc = await this.get(tenantKey, id);
    const mine = inc.updates.find((u) => u.key === who.key);
    if (!mine) {
      if (!open(inc)) throw this.refuseState(inc);
      const after = await this.d.incidents.step(
        tenantKey,
        inc.id,
        { status: { $in: ['OPEN', 'REPORTED'] }, 'updates.key': { $ne: who.key } },
        { updatedAt: this.now },
        { updates: { at: this.now, by: who.by, text: t, key: who.key } },
      );
      if (!after) throw this.refuseState(inc);
      inc = after;
    }
    const u = inc.updates.find((x) => x.key === who.key)!;
    await this.ledger(inc, 'STATUS', `status:${who.key}`, who.by, u.at, { text: u.text });
    await this.audit(inc, 'status', who, {}, `status:${who.key}`);
    await this.notice(inc, ALERT_ROLES, `incident:${tenantKey}:${inc.id}:status:${who.key}`, bilingual('incident:lead.status', { text: u.text.slice(0, 60) }));
    return inc;
  }

  /** The missing carriers were found: the incident is closed, the carriers go back to where they were. */
  async found(tenantKey: string, id: string, who: Actor): Promise<Incident> {
    let inc = await this.get(tenantKey, id);
    if (inc.closed?.key !== who.key) {
      if (!inc.missing) throw new BotError('incident:not_missing', { id: inc.id });
      if (inc.missing.outcome === 'leak') throw new BotError('incident:already_leak', { id: inc.id });
      if (!open(inc)) throw this.refuseState(inc);
    }
    inc = await this.take(
      inc,
      inc.closed,
      who,
      { status: 'OPEN', 'missing.outcome': { $exists: false }, closed: { $exists: false } },
      { status: 'CLOSED', 'missing.outcome': 'found', 'missing.outcomeAt': this.now, closed: { by: who.by, at: this.now, key: who.key } },
      () => new BotError('incident:is_closed', { id: inc.id }),
    );
    for (const b of inc.missing!.before) {
      // Only the incident's own MISSING mark is undone (a manual change since is left alone).
      const r = await this.d.carriers.setStatus(tenantKey, b.number, b.status, {
        expect: ['MISSING'],
        expectRequestId: inc.id,
        ...(b.requestId ? { requestId: b.requestId } : {}),
      });
      if (r === 'conflict' || r === 'missing') this.d.logger.warn('incident: carrier status not restored', { id: inc.id, number: b.number, result: r });
    }
    await this.d.alarms.cancel(tenantKey, TOPIC, inc.id, this.now);
    await this.ledger(inc, 'FOUND', 'found', who.by, inc.closed!.at, {});
    await this.ledger(inc, 'CLOSED', 'closed', who.by, inc.closed!.at, { outcome: 'found' });
    await this.audit(inc, 'found', who, {});
    await this.notice(inc, ALERT_ROLES, `incident:${tenantKey}:${inc.id}:found`, bilingual('incident:lead.found'));
    return inc;
  }

  /** Closes an incident whose reports are recorded (or that never had a clock). */
  async close(tenantKey: string, id: string, who: Actor): Promise<Incident> {
    let inc = await this.get(tenantKey, id);
    if (inc.closed?.key !== who.key) {
      if (!open(inc)) throw this.refuseState(inc);
      if (searching(inc)) throw new BotError('incident:close_searching', { id: inc.id });
      if (inc.clockStart && !inc.external) throw new BotError('incident:close_needs_report', { id: inc.id });
      if (inc.clockStart && !inc.result) throw new BotError('incident:close_needs_result', { id: inc.id });
    }
    inc = await this.take(
      inc,
      inc.closed,
      who,
      { status: { $in: ['OPEN', 'REPORTED'] }, closed: { $exists: false } },
      { status: 'CLOSED', closed: { by: who.by, at: this.now, key: who.key } },
      () => new BotError('incident:is_closed', { id: inc.id }),
    );
    await this.d.alarms.cancel(tenantKey, TOPIC, inc.id, this.now);
    await this.ledger(inc, 'CLOSED', 'closed', who.by, inc.closed!.at, {});
    await this.audit(inc, 'close', who, {});
    await this.notice(inc, ALERT_ROLES, `incident:${tenantKey}:${inc.id}:closed`, bilingual('incident:lead.closed'));
    return inc;
  }

  /** A draft confirmed: it becomes an open incident (the 24-hour clock runs from its discovery). */
  async confirm(tenantKey: string, id: string, who: Actor): Promise<Incident> {
    let inc = await this.get(tenantKey, id);
    if (inc.confirmed?.key !== who.key && inc.status !== 'DRAFT') throw new BotError('incident:not_draft', { id: inc.id });
    inc = await this.take(
      inc,
      inc.confirmed,
      who,
      { status: 'DRAFT' },
      { status: 'OPEN', confirmed: { by: who.by, at: this.now, key: who.key }, clockStart: inc.discoveredAt, resultDueAt: addMonths(inc.discoveredAt, 3) },
      () => new BotError('incident:not_draft', { id: inc.id }),
    );
    await this.opened(inc, who);
    return inc;
  }

  /** A draft dismissed, with the reason. */
  async dismiss(tenantKey: string, id: string, reason: string, who: Actor): Promise<Incident> {
    const r = reason.replace(/\s+/g, ' ').trim();
    if (!r || [...r].length > MAX_STATUS) throw new BotError('incident:dismiss_reason', { max: MAX_STATUS });
    let inc = await this.get(tenantKey, id);
    if (inc.dismissed?.key !== who.key && inc.status !== 'DRAFT') throw new BotError('incident:not_draft', { id: inc.id });
    inc = await this.take(
      inc,
      inc.dismissed,
      who,
      { status: 'DRAFT' },
      { status: 'DISMISSED', dismissed: { by: who.by, at: this.now, key: who.key, reason: r } },
      () => new BotError('incident:not_draft', { id: inc.id }),
    );
    await this.ledger(inc, 'DISMISSED', 'dismissed', who.by, inc.dismissed!.at, { reason: inc.dismissed!.reason });
    await this.audit(inc, 'dismiss', who, { reason: inc.dismissed!.reason });
    return inc;
  }

  // ---- clocks ----------------------------------------------------------------------------------

  /** An alarm of the incident feature: a reminder, or the lost-carrier deadline. */
  async alarm(a: Alarm): Promise<AlarmOutcome> {
    const inc = await this.d.incidents.get(a.tenantKey, a.subject);
    if (!inc || !open(inc)) return 'skip';
    const t = (d: Date) => fmtTime(d.toISOString(), this.d.timezone);
    switch (a.kind) {
      case 'h12':
      case 'h20': {
        if (!inc.clockStart || inc.external) return 'skip';
        const due = t(new Date(inc.clockStart.getTime() + 24 * HOUR));
        await this.notice(inc, ALERT_ROLES, a._id, bilingual(`incident:lead.${a.kind}`, { due }));
        return 'done';
      }
      case 'd60':
      case 'd80': {
        if (!inc.clockStart || inc.result || !inc.resultDueAt) return 'skip';
        await this.notice(inc, OFFICE_ROLES, a._id, bilingual(`incident:lead.${a.kind}`, { due: t(inc.resultDueAt) }));
        return 'done';
      }
      case 'missing.p50':
      case 'missing.p80': {
        if (!searching(inc)) return 'skip';
        const m = inc.missing!;
        await this.notice(inc, MISSING_ROLES, a._id, bilingual(`incident:lead.${a.kind.slice(8)}`, { deadline: t(m.deadline), days: m.days }));
        return 'done';
      }
      case 'missing.deadline':
        if (!inc.missing || inc.missing.outcome === 'found') return 'skip';
        await this.leak(inc, a);
        return 'done';
      default:
        this.d.logger.warn('incident: unknown alarm kind', { id: a._id, kind: a.kind });
        return 'skip';
    }
  }

  /** Not found by the deadline: the incident is treated as a leak and its 24-hour clock starts. */
  private async leak(inc: Incident, a: Alarm): Promise<void> {
    const deadline = inc.missing!.deadline;
    let cur: Incident | null = inc;
    if (!inc.missing!.outcome) {
      cur = await this.d.incidents.step(
        inc.tenantKey,
        inc.id,
        { status: 'OPEN', 'missing.outcome': { $exists: false } },
        { kind: 'LEAK', 'missing.outcome': 'leak', 'missing.outcomeAt': deadline, clockStart: deadline, resultDueAt: addMonths(deadline, 3), updatedAt: this.now },
      );
      cur ??= await this.d.incidents.get(inc.tenantKey, inc.id);
    }
    if (cur?.missing?.outcome !== 'leak') return;
    await this.ledger(cur, 'LEAK', 'leak', 'system', deadline, { deadline, days: cur.missing.days });
    await this.audit(cur, 'leak', { by: 'system', key: a._id, channel: 'system' }, { deadline: deadline.toISOString() });
    await this.setClocks(cur);
    await this.notice(cur, ALERT_ROLES, a._id, bilingual('incident:lead.leak', { days: cur.missing.days }));
  }

  // ---- records and notices ---------------------------------------------------------------------

  private async ledger(inc: Incident, event: string, step: string, actorId: string, occurredAt: Date, extra: Record<string, unknown>): Promise<void> {
    await this.d.ledger.append(inc.tenantKey, 'INCIDENT', {
      effectKey: `incident:${inc.id}:${step}`,
      event,
      ...(inc.carriers.length === 1 ? { carrierNumber: inc.carriers[0]! } : {}),
      requestId: inc.id,
      actorId,
      ...(inc.quantity !== undefined ? { quantity: inc.quantity } : {}),
      occurredAt,
      data: {
        incidentId: inc.id,
        kind: inc.kind,
        level: inc.level,
        carriers: inc.carriers,
        discoveredAt: inc.discoveredAt,
        place: inc.place,
        foundBy: inc.foundBy,
        reporterId: inc.reporterId,
        sourceRequestId: inc.draft?.requestId,
        ...extra,
      },
    });
  }

  private async audit(inc: Incident, action: string, who: Actor, details: Record<string, unknown>, step = action): Promise<void> {
    await this.d.audit.record(inc.tenantKey, {
      actorId: who.by,
      action: `incident.${action}`,
      objectType: 'incident',
      objectId: inc.id,
      channel: who.channel,
      outcome: 'ok',
      effectKey: `incident:${inc.id}:${step}:audit`,
      details,
    });
  }

  /** Who may use the cards' buttons (the security office, MANAGER_ROLES). */
  private async office(tenantKey: string): Promise<Set<string>> {
    return new Set((await Promise.all(MANAGER_ROLES.map((r) => this.d.roles.holders(tenantKey, r)))).flat());
  }

  /**
   * The incident's card to the holders of `roles`, one fan-out notice per language (id: the step or
   * the alarm). The security office gets it with the buttons of its steps; the others (the
   * principal, the committee chair, the leader in charge), who would be refused on every one, get
   * it without them, in a notice of their own (`<id>:read`).
   */
  async notice(inc: Incident, roles: readonly Role[], id: string, lead: Bi, kind: 'incident' | 'draft' = 'incident'): Promise<number> {
    const recipients = [...new Set((await Promise.all(roles.map((r) => this.d.roles.holders(inc.tenantKey, r)))).flat())];
    if (recipients.length === 0) {
      this.d.logger.warn('incident notice: nobody holds the roles', { id: inc.id, roles });
      return 0;
    }
    const view = await this.view(inc);
    const draw = kind === 'draft' ? incidentDraftCard : incidentCard;
    const office = await this.office(inc.tenantKey);
    let reached = 0;
    for (const [suffix, actions] of [
      ['', true],
      [':read', false],
    ] as const) {
      const to = recipients.filter((r) => office.has(r) === actions);
      if (to.length === 0) continue;
      reached += await notifyByLanguage(this.d.notify, {
        id: `${id}${suffix}`,
        tenantKey: inc.tenantKey,
        title: `${inc.id} ${kind}`,
        recipients: to,
        draw: (_lang: Locale) => draw(view, { tb: bilingual, timeZone: this.d.timezone, lead, actions }),
      });
    }
    return reached;
  }

  /** The card's view of an incident (people by name). */
  async view(inc: Incident): Promise<IncidentView> {
    const ids = [inc.reporterId, ...(inc.foundBy ? [inc.foundBy] : []), ...inc.updates.map((u) => u.by)].filter((x) => x !== 'system');
    const names = await this.d.people.names(inc.tenantKey, ids);
    const name = (id: string) => (id === 'system' ? bilingual('incident:card.system') : names(id));
    return {
      id: inc.id,
      kind: inc.kind,
      status: inc.status,
      discoveredAt: inc.discoveredAt,
      ...(inc.place ? { place: inc.place } : {}),
      ...(inc.foundBy ? { foundBy: name(inc.foundBy) } : {}),
      reporter: name(inc.reporterId),
      carriers: inc.carriers,
      ...(inc.level ? { level: inc.level } : {}),
      ...(inc.quantity !== undefined ? { quantity: inc.quantity } : {}),
      ...(inc.measures ? { measures: inc.measures } : {}),
      ...(inc.clockStart ? { clockStart: inc.clockStart } : {}),
      ...(inc.external ? { external: { reportedAt: inc.external.reportedAt, to: inc.external.to } } : {}),
      ...(inc.resultDueAt ? { resultDueAt: inc.resultDueAt } : {}),
      ...(inc.result ? { result: { on: inc.result.on } } : {}),
      ...(inc.missing
        ? { missing: { since: inc.missing.since, deadline: inc.missing.deadline, days: inc.missing.days, ...(inc.missing.outcome ? { outcome: inc.missing.outcome } : {}) } }
        : {}),
      ...(inc.draft ? { draft: { requestId: inc.draft.requestId, reason: inc.draft.reason, ...(inc.draft.note ? { note: inc.draft.note } : {}) } } : {}),
      ...(inc.dismissed ? { dismissed: { reason: inc.dismissed.reason } } : {}),
      updates: inc.updates.map((u) => ({ at: u.at, by: name(u.by), text: u.text })),
    };
  }
}
