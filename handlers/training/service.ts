// The training feature's service (issue 10 item 1; DOMAIN §4.3, §6.2, §6.6): sessions, the notice
// and its reminders, "I'll attend", the attendance list closed once, hours tallied per person and
// year, the quarterly reminder, and what other features may ask (`completed`).
//
// Exactly once: a session is keyed by the command that made it (`sourceKey`); its notice and each
// reminder go through the fan-out under ids derived from the session (the notice) or the alarm
// (`alarm:<alarm _id>`), so handling one twice reaches nobody twice; a part of the attendance list
// is closed by one conditional update, and the hours are credited under one key per
// (session, person), so two officers closing at once (or a double click) credit once; the quarterly
// run's notices are keyed by the slot.
import { sendUuid } from '../../bot/core/app.js';
import type { Locale } from '../../bot/core/config.js';
import { BotError } from '../../bot/core/errors.js';
import type { Logger } from '../../bot/core/logger.js';
import { inactiveReason } from '../../bot/core/person.js';
import type { Directory, Person, Sender, UserPrefsStore } from '../../bot/core/types.js';
import { forReader } from '../../cards/reader.js';
import { trainingDeptSummaryCard, trainingNoticeCard, trainingSheetCard, trainingShortfallCard, type SessionView } from '../../cards/training.card.js';
import { localDate, type Role } from '../../domain/index.js';
import { bilingual } from '../../locales/index.js';
import type { Alarm, AlarmStore } from '../../models/alarm.model.js';
import { SHEET_PART, type Audience, type TrainingHours, type TrainingKind, type TrainingSession, type TrainingStore } from '../../models/training.model.js';
import { notifyByLanguage, type AlarmOutcome, type NotifyDeps } from '../../scheduler/alarms.js';
import type { People } from '../approvals/people.js';
import type { AuditRepo, CounterRepo, RoleRepo } from '../approvals/ports.js';
import {
  quarterRun,
  standing,
  tally,
  targetFor,
  type AudienceArg,
  type LogArgs,
  type ScheduleArgs,
  type Standing,
  type Tally,
  type Target,
  type TrainingSettings,
} from './rules.js';

/** Who schedules, cancels and closes sessions; who reads the report and the export. */
export const TRAINING_MANAGERS: readonly Role[] = ['security_officer', 'security_head'];
export const TRAINING_READERS: readonly Role[] = ['security_officer', 'security_head'];

/** When the reminders are due, relative to the session's start; the attendance list at the start. */
export const TRAINING_ALARMS = { d3: -3 * 86_400_000, h1: -3_600_000, sheet: 0 } as const;
export type TrainingAlarmKind = keyof typeof TRAINING_ALARMS;
export const TRAINING_TOPIC = 'training';

export interface TrainingDeps {
  store: TrainingStore;
  counters: CounterRepo;
  roles: Pick<RoleRepo, 'rolesOf' | 'holders' | 'list'>;
  people: Pick<People, 'hasRole' | 'names' | 'deptHead' | 'deptName'>;
  directory: Pick<Directory, 'activeUsers' | 'allActiveUsers' | 'user'>;
  audit: AuditRepo;
  prefs: Pick<UserPrefsStore, 'getLocale'>;
  notify: NotifyDeps;
  sender: Pick<Sender, 'send' | 'patchCard'>;
  alarms: Pick<AlarmStore, 'set' | 'cancel'>;
  logger: Logger;
  timezone: string;
  defaultLocale: Locale;
  settings: TrainingSettings;
  now: () => Date;
  /** Tenants the quarterly run covers. */
  tenants: () => Promise<string[]>;
}

/** How many people the directory is asked for (it may cap the list). */
const DIRECTORY_LIMIT = 100_000;

const tbOf = (key: string, params?: Record<string, unknown>) => bilingual(key, params);

export const sessionView = (s: TrainingSession): SessionView => ({
  id: s.id,
  title: s.title,
  kind: s.kind,
  form: s.form,
  at: s.at,
  hours: s.hours,
  invited: s.invited.length,
  ...(s.state === 'cancelled' ? { cancelled: true } : {}),
  ...(s.state === 'closed' ? { closed: true } : {}),
});

export const yearOf = (d: Date, tz: string) => Number(localDate(d, tz).slice(0, 4));
const partOf = (s: TrainingSession, part: number) => s.invited.slice(part * SHEET_PART, (part + 1) * SHEET_PART);

export interface PersonStanding {
  openId: string;
  deptId?: string;
  tally: Tally;
  target: Target;
  standing: Standing;
}

export class TrainingService {
  constructor(private readonly d: TrainingDeps) {}

  async mayRole(tenantKey: string, openId: string, roles: readonly Role[]): Promise<boolean> {
    for (const r of roles) if (await this.d.people.hasRole(tenantKey, openId, r)) return true;
    return false;
  }

  /** Refuses (audited) anyone without one of `roles`. */
  async guard(tenantKey: string, openId: string, roles: readonly Role[], action: string, objectId: string, channel: 'command' | 'card' = 'command'): Promise<void> {
    if (await this.mayRole(tenantKey, openId, roles)) return;
    await this.d.audit.record(tenantKey, { actorId: openId, action, objectType: 'training', objectId, channel, outcome: 'refused', reason: 'not_allowed' });
    throw new BotError(roles === TRAINING_READERS ? 'training:not_reader' : 'training:not_allowed');
  }

  private async localeOf(tenantKey: string, openId: string): Promise<Locale> {
    return (await this.d.prefs.getLocale(tenantKey, openId)) ?? this.d.defaultLocale;
  }

  /** Active people of the directory. */
  async everyone(tenantKey: string): Promise<Person[]> {
    const dir = this.d.directory;
    const all = dir.allActiveUsers ? await dir.allActiveUsers(tenantKey) : await dir.activeUsers(tenantKey, DIRECTORY_LIMIT);
    return all.filter((p) => !inactiveReason(p));
  }

  /** A department by its open id or its name in either language, among the directory's departments. */
  async resolveDept(tenantKey: string, arg: string): Promise<{ id: string; name: { zh: string; en: string } }> {
    const ids = [...new Set((await this.everyone(tenantKey)).flatMap((p) => p.departmentIds))];
    const low = arg.toLowerCase();
    for (const id of ids) {
      const name = await this.d.people.deptName(tenantKey, id);
      if (id === arg || name.zh === arg || name.en.toLowerCase() === low) return { id, name };
    }
    throw new BotError('training:unknown_dept', { value: arg });
  }

  /** The people an audience names now (fixed on the session when it is scheduled). */
  async resolveAudience(tenantKey: string, a: AudienceArg): Promise<{ audience: Audience; invited: string[] }> {
    if (a.type === 'all') return { audience: { type: 'all' }, invited: (await this.everyone(tenantKey)).map((p) => p.openId) };
    if (a.type === 'dept') {
      const dept = await this.resolveDept(tenantKey, a.dept);
      const invited = (await this.everyone(tenantKey)).filter((p) => p.departmentIds.includes(dept.id)).map((p) => p.openId);
      return { audience: { type: 'dept', deptId: dept.id }, invited };
    }
    // Role holders who are still active in the directory.
    const holders = await this.d.roles.holders(tenantKey, a.role);
    const invited: string[] = [];
    for (const id of holders) {
      const p = await this.d.directory.user(tenantKey, id);
      if (p && !inactiveReason(p)) invited.push(id);
    }
    return { audience: { type: 'role', role: a.role }, invited };
  }

  /**
   * Schedules a session (idempotent by `sourceKey`), sets its reminders and attendance-list alarms,
   * and hands the notice to the fan-out at once (again on a redelivery: the notice's id is fixed).
   */
  async schedule(tenantKey: string, by: string, a: ScheduleArgs, sourceKey: string): Promise<{ session: TrainingSession; created: boolean }> {
    const now = this.d.now();
    let session = await this.d.store.bySource(tenantKey, sourceKey);
    let created = false;
    if (!session) {
      if (a.at.getTime() <= now.getTime()) throw new BotError('training:past');
      const { audience, invited } = await this.resolveAudience(tenantKey, a.audience);
      if (invited.length === 0) throw new BotError('training:no_audience');
      const year = localDate(now, this.d.timezone).slice(0, 4);
      const id = `TR-${year}-${String(await this.d.counters.nextSeq(tenantKey, `TR-${year}`)).padStart(4, '0')}`;
      const r = await this.d.store.create({
        tenantKey,
        id,
        title: a.title,
        kind: a.kind,
        form: a.form,
        at: a.at,
        hours: a.hours,
        unitOrganised: true,
        audience,
        invited,
        createdBy: by,
        createdAt: now,
        sourceKey,
      });
      session = r.session;
      created = r.created;
      if (created)
        await this.d.audit.record(tenantKey, {
          actorId: by,
          action: 'training.schedule',
          objectType: 'training',
          objectId: id,
          channel: 'command',
          outcome: 'ok',
          effectKey: `training:${id}:schedule`,
          details: { at: a.at.toISOString(), hours: a.hours, kind: a.kind, form: a.form, invited: invited.length },
        });
    }
    if (session.state !== 'scheduled') return { session, created };
    for (const [kind, rel] of Object.entries(TRAINING_ALARMS) as [TrainingAlarmKind, number][]) {
      const dueAt = new Date(session.at.getTime() + rel);
      // A reminder whose time had passed when the session was scheduled is not sent (the notice just went).
      if (kind !== 'sheet' && dueAt.getTime() <= session.createdAt.getTime()) continue;
      await this.d.alarms.set(tenantKey, { key: `training:${session.id}:${kind}`, topic: TRAINING_TOPIC, subject: session.id, kind, dueAt }, now);
    }
    const s = session;
    await notifyByLanguage(this.d.notify, {
      id: `training:${tenantKey}:${s.id}:notice`,
      tenantKey,
      title: `${s.id} notice`,
      recipients: s.invited,
      draw: () => trainingNoticeCard(sessionView(s), { tb: tbOf, timeZone: this.d.timezone }),
    });
    return { session, created };
  }

  /** An alarm of a session: a reminder to the invited, or the attendance list to the officer. */
  async alarm(a: Alarm): Promise<AlarmOutcome> {
    let s = await this.d.store.get(a.tenantKey, a.subject);
    // Every part closed but the session not: a close died between its two writes; finish it.
    if (s?.state === 'scheduled' && s.sheet.closed.length >= s.sheet.parts) {
      s = await this.settle(s);
      await this.applyCredits(s);
    }
    if (s?.state !== 'scheduled') return 'skip';
    if (a.kind === 'd3' || a.kind === 'h1') {
      const reminder = a.kind;
      await notifyByLanguage(this.d.notify, {
        id: `alarm:${a._id}`,
        tenantKey: s.tenantKey,
        title: `${s.id} ${reminder}`,
        recipients: s.invited,
        draw: () => trainingNoticeCard(sessionView(s), { tb: tbOf, timeZone: this.d.timezone, reminder }),
      });
      return 'done';
    }
    if (a.kind === 'sheet') {
      const to = await this.sheetHolder(s);
      if (!to) {
        this.d.logger.warn('training: nobody to send the attendance list to', { id: s.id });
        return 'skip';
      }
      await this.sendSheet(s, to);
      return 'done';
    }
    throw new Error(`unknown training alarm kind ${a.kind}`);
  }

  /** The officer who gets the attendance list: who scheduled it if still an officer, else the first officer. */
  private async sheetHolder(s: TrainingSession): Promise<string | undefined> {
    if (await this.mayRole(s.tenantKey, s.createdBy, TRAINING_MANAGERS)) return s.createdBy;
    return (await this.d.roles.holders(s.tenantKey, 'security_officer'))[0];
  }

  /** The attendance list cards of a session, in the reader's language, one per part. */
  async sheetCards(s: TrainingSession, reader: string): Promise<{ part: number; card: ReturnType<typeof trainingSheetCard> }[]> {
    const lang = await this.localeOf(s.tenantKey, reader);
    const confirmed = await this.d.store.confirmed(s.tenantKey, s.id);
    const closers = await this.d.people.names(
      s.tenantKey,
      s.sheet.closed.map((c) => c.by),
    );
    const out: { part: number; card: ReturnType<typeof trainingSheetCard> }[] = [];
    for (let part = 0; part < s.sheet.parts; part++) {
      const closed = s.sheet.closed.find((c) => c.part === part);
      const card = trainingSheetCard(
        sessionView(s),
        {
          part,
          parts: s.sheet.parts,
          people: partOf(s, part),
          confirmed,
          ...(closed ? { closed: { by: closers(closed.by), at: closed.at, attendees: closed.attendees.length } } : {}),
        },
        { tb: tbOf, timeZone: this.d.timezone },
      );
      out.push({ part, card: forReader(card, lang) });
    }
    return out;
  }

  /** Sends the attendance list to `to` (each part once: a deterministic uuid, recorded). */
  async sendSheet(s: TrainingSession, to: string): Promise<void> {
    for (const { part, card } of await this.sheetCards(s, to)) {
      if (s.sheet.cards.some((c) => c.part === part && c.openId === to)) continue;
      const { messageId } = await this.d.sender.send({ openId: to }, { type: 'card', card }, { uuid: sendUuid(`${s.tenantKey}:training-sheet:${s.id}:${part}:${to}`) });
      await this.d.store.addSheetCard(s._id, { part, openId: to, messageId });
    }
  }

  /** Brings the attendance cards sent so far up to date (best effort; `skip` is the clicked one). */
  async refreshSheets(s: TrainingSession, opts: { parts?: readonly number[]; skip?: string } = {}): Promise<void> {
    const cards = s.sheet.cards.filter((c) => (!opts.parts || opts.parts.includes(c.part)) && c.messageId !== opts.skip);
    const byHolder = new Map<string, Awaited<ReturnType<TrainingService['sheetCards']>>>();
    for (const c of cards) {
      try {
        if (!byHolder.has(c.openId)) byHolder.set(c.openId, await this.sheetCards(s, c.openId));
        const card = byHolder.get(c.openId)!.find((x) => x.part === c.part)?.card;
        if (card) await this.d.sender.patchCard(c.messageId, card);
      } catch (err) {
        this.d.logger.warn('training: attendance card not updated', { id: s.id, err: (err as Error).message });
      }
    }
  }

  async get(tenantKey: string, id: string): Promise<TrainingSession> {
    const s = /^TR-\d{4}-\d{4,}$/i.test(id) ? await this.d.store.get(tenantKey, id.toUpperCase()) : null;
    if (!s) throw new BotError('training:not_found', { id });
    return s;
  }

  /** "I'll attend": only the invited, while the session is scheduled. */
  async confirm(tenantKey: string, id: string, openId: string): Promise<TrainingSession> {
    const s = await this.get(tenantKey, id);
    if (!s.invited.includes(openId)) {
      await this.d.audit.record(tenantKey, {
        actorId: openId,
        action: 'training.confirm',
        objectType: 'training',
        objectId: s.id,
        channel: 'card',
        outcome: 'refused',
        reason: 'not_invited',
      });
      throw new BotError('training:not_invited', { id: s.id });
    }
    if (s.state === 'cancelled') throw new BotError('training:is_cancelled', { id: s.id });
    if (s.state === 'closed') throw new BotError('training:is_closed', { id: s.id });
    if (await this.d.store.confirm(tenantKey, s.id, openId, this.d.now())) {
      await this.d.audit.record(tenantKey, {
        actorId: openId,
        action: 'training.confirm',
        objectType: 'training',
        objectId: s.id,
        channel: 'card',
        outcome: 'ok',
        effectKey: `training:${s.id}:confirm:${openId}`,
      });
      const part = Math.floor(s.invited.indexOf(openId) / SHEET_PART);
      await this.refreshSheets(s, { parts: [part] });
    }
    return s;
  }

  /**
   * Closes one part of the attendance list with the people ticked (those of the part only):
   * exactly once. Returns the session as it is now and whether this call closed it. The hours of
   * every closed part are (re)applied either way — idempotent — so a close that crashed before
   * crediting is finished by the next click.
   */
  async close(tenantKey: string, id: string, part: number, by: string, ticked: readonly string[]): Promise<{ session: TrainingSession; won: boolean; credited: number }> {
    const s = await this.get(tenantKey, id);
    if (!Number.isInteger(part) || part < 0 || part >= s.sheet.parts) throw new BotError('errors:bad_action');
    if (s.state === 'cancelled') throw new BotError('training:is_cancelled', { id: s.id });
    const now = this.d.now();
    if (now.getTime() < s.at.getTime()) throw new BotError('training:not_started', { id: s.id });
    const people = new Set(partOf(s, part));
    const attendees = [...new Set(ticked.filter((x) => people.has(x)))];
    const after = await this.d.store.closePart(tenantKey, s.id, { part, by, at: now, attendees });
    // Not this call's close: the session as it is now, closed if a close died before closing it.
    const session = after ?? (await this.settle(await this.get(tenantKey, s.id)));
    const credited = await this.applyCredits(session);
    if (after) {
      await this.d.audit.record(tenantKey, {
        actorId: by,
        action: 'training.close',
        objectType: 'training',
        objectId: s.id,
        channel: 'card',
        outcome: 'ok',
        effectKey: `training:${s.id}:close:${part}`,
        details: { part, attendees: attendees.length, hours: s.hours },
      });
      if (session.state === 'closed') await this.d.alarms.cancel(tenantKey, TRAINING_TOPIC, s.id, now);
    }
    return { session, won: after !== null, credited };
  }

  /**
   * Repairs a close that died between closing the last part of the attendance list and closing the
   * session (two writes): when every part is closed and the session is not, it is closed now (once),
   * each part's close is audited (once: its effect key) and the alarms stop. The caller credits the
   * hours (idempotent). Returns the session as it is now.
   */
  private async settle(s: TrainingSession): Promise<TrainingSession> {
    const { session, closed } = await this.d.store.settle(s);
    if (!closed) return session;
    this.d.logger.warn('training: a session whose attendance list was closed is closed now', { id: s.id });
    for (const c of session.sheet.closed)
      await this.d.audit.record(session.tenantKey, {
        actorId: c.by,
        action: 'training.close',
        objectType: 'training',
        objectId: session.id,
        channel: 'card',
        outcome: 'ok',
        effectKey: `training:${session.id}:close:${c.part}`,
        details: { part: c.part, attendees: c.attendees.length, hours: session.hours },
      });
    await this.d.alarms.cancel(session.tenantKey, TRAINING_TOPIC, session.id, this.d.now());
    return session;
  }

  /** Credits the hours of every closed part (each (session, person) once). */
  async applyCredits(s: TrainingSession): Promise<number> {
    const date = localDate(s.at, this.d.timezone);
    const entries: TrainingHours[] = s.sheet.closed.flatMap((c) =>
      c.attendees.map((openId) => ({
        _id: `${s.tenantKey}:session:${s.id}:${openId}`,
        tenantKey: s.tenantKey,
        openId,
        year: Number(date.slice(0, 4)),
        date,
        at: s.at,
        hours: s.hours,
        unitOrganised: s.unitOrganised,
        kind: s.kind,
        source: 'session' as const,
        sessionId: s.id,
        title: s.title,
        by: c.by,
        createdAt: c.at,
      })),
    );
    return this.d.store.credit(entries);
  }

  /**
   * Cancels a session: its alarms stop, the invited hear of it (once). The session keeps who
   * cancelled it and the command that did (`sourceKey`, the event's id): that command again — a
   * redelivery after the process died between the write and the notice — finishes the cancellation
   * (each step is idempotent, the notice's id fixed) instead of being refused; any other cancel of a
   * cancelled session is refused.
   */
  async cancel(tenantKey: string, id: string, by: string, sourceKey: string): Promise<TrainingSession> {
    const s = await this.get(tenantKey, id);
    const now = this.d.now();
    let cancelled: TrainingSession;
    if (await this.d.store.cancel(tenantKey, s.id, now, { by, sourceKey })) cancelled = { ...s, state: 'cancelled', cancelledAt: now, cancelledBy: by, cancelSource: sourceKey };
    else {
      const cur = await this.get(tenantKey, s.id);
      if (cur.state === 'cancelled' && cur.cancelSource !== sourceKey) throw new BotError('training:is_cancelled', { id: s.id });
      if (cur.state !== 'cancelled') throw new BotError('training:is_closed', { id: s.id });
      cancelled = cur;
    }
    await this.d.alarms.cancel(tenantKey, TRAINING_TOPIC, s.id, now);
    await this.d.audit.record(tenantKey, {
      actorId: cancelled.cancelledBy ?? by,
      action: 'training.cancel',
      objectType: 'training',
      objectId: s.id,
      channel: 'command',
      outcome: 'ok',
      effectKey: `training:${s.id}:cancel`,
    });
    await notifyByLanguage(this.d.notify, {
      id: `training:${tenantKey}:${s.id}:cancel`,
      tenantKey,
      title: `${s.id} cancelled`,
      recipients: s.invited,
      draw: () => trainingNoticeCard(sessionView(cancelled), { tb: tbOf, timeZone: this.d.timezone }),
    });
    await this.refreshSheets(cancelled);
    return cancelled;
  }

  /** Hours a person earned elsewhere (not unit-organised); once per command. */
  async log(tenantKey: string, openId: string, a: LogArgs, sourceKey: string): Promise<{ entry: TrainingHours; created: boolean }> {
    const now = this.d.now();
    const _id = `${tenantKey}:log:${sourceKey}`;
    const entry: TrainingHours = {
      _id,
      tenantKey,
      openId,
      year: Number(a.date.slice(0, 4)),
      date: a.date,
      at: now,
      hours: a.hours,
      unitOrganised: false,
      kind: 'topic',
      source: 'log',
      title: a.title,
      by: openId,
      createdAt: now,
    };
    const created = (await this.d.store.credit([entry])) === 1;
    if (created)
      await this.d.audit.record(tenantKey, {
        actorId: openId,
        action: 'training.log',
        objectType: 'training_hours',
        objectId: _id,
        channel: 'command',
        outcome: 'ok',
        effectKey: `training:log:${sourceKey}`,
        details: { date: a.date, hours: a.hours },
      });
    return { entry: (await this.d.store.entry(tenantKey, _id)) ?? entry, created };
  }

  /** A person's target (their roles). */
  async targetOf(tenantKey: string, openId: string): Promise<Target> {
    return targetFor(await this.d.roles.rolesOf(tenantKey, openId), this.d.settings);
  }

  /** `/training mine`: the year's entries, tally, target and what is still to do. */
  async mine(tenantKey: string, openId: string, year: number): Promise<{ entries: TrainingHours[]; tally: Tally; target: Target; standing: Standing }> {
    const entries = await this.d.store.entries(tenantKey, year, openId);
    const t = tally(entries, year).get(openId) ?? { hours: 0, unit: 0 };
    const target = await this.targetOf(tenantKey, openId);
    return { entries, tally: t, target, standing: standing(t, target) };
  }

  /**
   * Everyone's standing in `year` (the directory's active people and anyone with hours that year),
   * pro rata `fraction`; `deptId` limits to one department.
   */
  async standings(tenantKey: string, year: number, opts: { fraction?: number; deptId?: string } = {}): Promise<PersonStanding[]> {
    const people = new Map((await this.everyone(tenantKey)).map((p) => [p.openId, p] as const));
    const entries = await this.d.store.entries(tenantKey, year);
    for (const e of entries) {
      if (people.has(e.openId)) continue;
      const p = await this.d.directory.user(tenantKey, e.openId);
      people.set(e.openId, p ?? { openId: e.openId, name: e.openId, departmentIds: [] });
    }
    const tallies = tally(entries, year);
    const roles = new Map((await this.d.roles.list(tenantKey)).map((r) => [r.openId, r.roles] as const));
    const out: PersonStanding[] = [];
    for (const p of people.values()) {
      const deptId = p.departmentIds[0];
      if (opts.deptId && !p.departmentIds.includes(opts.deptId)) continue;
      const t = tallies.get(p.openId) ?? { hours: 0, unit: 0 };
      const target = targetFor(roles.get(p.openId) ?? [], this.d.settings);
      out.push({ openId: p.openId, ...(deptId ? { deptId } : {}), tally: t, target, standing: standing(t, target, opts.fraction ?? 1) });
    }
    // Below target first (most hours short first), then by open id for a stable order.
    return out.sort((a, b) => b.standing.short - a.standing.short || (a.openId < b.openId ? -1 : 1));
  }

  /**
   * The quarterly run (`training.quarterly`): each person below the year-to-date pro-rata target
   * gets a reminder (one fan-out notice per language), each department head a summary of their
   * department's shortfalls. Once per slot: the notices' ids name the tenant and the slot's month.
   */
  async quarterly(slot: Date): Promise<string> {
    const q = quarterRun(slot, this.d.timezone);
    const percent = Math.round(q.fraction * 100);
    let people = 0;
    let heads = 0;
    const failed: string[] = [];
    for (const tenantKey of await this.d.tenants()) {
      try {
        const below = (await this.standings(tenantKey, q.year, { fraction: q.fraction })).filter((s) => s.standing.below);
        people += await notifyByLanguage(this.d.notify, {
          id: `training-quarterly:${tenantKey}:${q.slotKey}:people`,
          tenantKey,
          title: `training ${q.slotKey}: below target`,
          recipients: below.map((s) => s.openId),
          draw: () => trainingShortfallCard({ year: q.year, percent, finalCall: q.finalCall, yearEnd: q.yearEnd }, { tb: tbOf }),
        });
        const byDept = new Map<string, PersonStanding[]>();
        for (const s of below) if (s.deptId) byDept.set(s.deptId, [...(byDept.get(s.deptId) ?? []), s]);
        const all = await this.everyone(tenantKey);
        for (const [deptId, rows] of [...byDept].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
          const head = await this.d.people.deptHead(tenantKey, deptId);
          if (!head) continue;
          const [dept, names] = await Promise.all([
            this.d.people.deptName(tenantKey, deptId),
            this.d.people.names(
              tenantKey,
              rows.map((r) => r.openId),
            ),
          ]);
          const size = all.filter((p) => p.departmentIds.includes(deptId)).length;
          heads += await notifyByLanguage(this.d.notify, {
            id: `training-quarterly:${tenantKey}:${q.slotKey}:head:${deptId}`,
            tenantKey,
            title: `training ${q.slotKey}: ${deptId}`,
            recipients: [head],
            draw: () =>
              trainingDeptSummaryCard(
                {
                  year: q.year,
                  percent,
                  finalCall: q.finalCall,
                  yearEnd: q.yearEnd,
                  dept,
                  people: Math.max(size, rows.length),
                  rows: rows.map((r) => ({ name: names(r.openId), hours: r.tally.hours, unit: r.tally.unit, short: r.standing.short })),
                },
                { tb: tbOf },
              ),
          });
        }
      } catch (err) {
        this.d.logger.error('training quarterly run failed', { tenantKey, slot: q.slotKey, err: (err as Error).message });
        failed.push(tenantKey);
      }
    }
    // Recorded as failed (shown by /schedule); the other tenants were reminded.
    if (failed.length > 0) throw new Error(`training quarterly run failed for ${failed.length} tenant(s); ${people} people reminded`);
    return `${q.slotKey}: reminded ${people} people below target, ${heads} department heads`;
  }

  async addSheetCard(_id: string, card: { part: number; openId: string; messageId: string }): Promise<void> {
    await this.d.store.addSheetCard(_id, card);
  }

  /** Newest first; `invitee` limits to the sessions they were invited to. */
  list(tenantKey: string, invitee?: string): Promise<TrainingSession[]> {
    return this.d.store.list(tenantKey, invitee ? { invitee } : {});
  }

  entries(tenantKey: string, year: number): Promise<TrainingHours[]> {
    return this.d.store.entries(tenantKey, year);
  }

  names(tenantKey: string, ids: readonly string[]) {
    return this.d.people.names(tenantKey, ids);
  }

  deptName(tenantKey: string, deptId: string) {
    return this.d.people.deptName(tenantKey, deptId);
  }

  /** Records that someone read the register (report, export). */
  async audited(tenantKey: string, actorId: string, action: string, objectId: string): Promise<void> {
    await this.d.audit.record(tenantKey, { actorId, action, objectType: 'training', objectId, channel: 'command', outcome: 'ok' });
  }

  /** TrainingApi.completed */
  async completed(tenantKey: string, openId: string, kind: TrainingKind): Promise<Date | null> {
    return this.d.store.lastCompleted(tenantKey, openId, kind);
  }
}
