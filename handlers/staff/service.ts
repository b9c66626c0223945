// People joining and leaving (DOMAIN §1.6, §4.3, §6.6; issue 10 item 2): the records, their clocks
// (alarms) and their notices. The commands and events (commands.ts) call this; so do the alarms.
//
// Joining: onboarding training and the confidentiality pledge (保密承诺书) are due; the person gets
// a welcome notice of what is due, and every 7 days after joining, until both are recorded, a
// reminder goes to the person and the security officers (one alarm per reminder, the next one set
// when one fires; none once both are done). Then the person is cleared.
// The pledge is re-signed every BAOMI_PLEDGE_MONTHS months: one alarm at the last signing + N
// months (09:00 local) reminds the person and the officers; a new signing cancels it and sets the
// next one.
// Leaving: a checklist (carriers still in the person's custody, read from the register each time
// the card is drawn; the reminder talk; the departure pledge) and the decontamination period
// (脱密期, by clearance class or as given), with an alarm when it ends (to the officers and the
// person), cancelled with the departure.
// Notices go through the fan-out by reader language with ids derived from the alarm or the
// command's delivery, so handling anything twice reaches nobody twice.
import { BotError, DirectoryUnavailable } from '../../bot/core/errors.js';
import type { Locale } from '../../bot/core/config.js';
import type { Logger } from '../../bot/core/logger.js';
import type { Bi, Directory } from '../../bot/core/types.js';
import type { Card, HeaderTemplate } from '../../cards/card.types.js';
import { escBi } from '../../cards/request.card.js';
import { staffNoticeCard, type ChecklistCarrier, type ChecklistTick, type ChecklistView } from '../../cards/staff.card.js';
import { localDate } from '../../domain/index.js';
import { bilingual } from '../../locales/index.js';
import type { Alarm, AlarmStore } from '../../models/alarm.model.js';
import type { LeaveRecord, PledgeKind, StaffChange, StaffRecord, StaffState, StaffStore } from '../../models/staff.model.js';
import { notifyByLanguage, type AlarmOutcome, type NotifyDeps } from '../../scheduler/alarms.js';
import type { People } from '../approvals/people.js';
import type { AuditRepo, CarrierRepo, RoleRepo } from '../approvals/ports.js';
import type { TrainingApi } from '../features.js';
import type { ClearanceClass, StaffConfig } from './config.js';
import { addMonths, noticeTime } from './dates.js';

export const TOPIC = 'staff';
const DAY = 86_400_000;
/** Join reminders: every 7 days after joining until training and pledge are both recorded. */
export const JOIN_REMINDER_MS = 7 * DAY;
/** Carriers that have left the person's custody for good (the register's terminal statuses). */
const GONE: ReadonlySet<string> = new Set(['DESTROYED', 'RETURNED_TO_ISSUER']);
/** The most carriers read from the register for one checklist (pages of 100). */
const MAX_CARRIERS_READ = 1000;

export interface StaffDeps {
  store: StaffStore;
  alarms: Pick<AlarmStore, 'set' | 'reschedule' | 'cancel'>;
  carriers: Pick<CarrierRepo, 'list'>;
  roles: Pick<RoleRepo, 'holders'>;
  people: Pick<People, 'names'>;
  directory: Pick<Directory, 'lookup'>;
  audit: AuditRepo;
  notify: NotifyDeps;
  /** The training feature's API, when it is built (its confirmed onboarding attendance counts). */
  training: () => TrainingApi | undefined;
  config: StaffConfig;
  timezone: string;
  logger: Logger;
  now: () => Date;
}

export type Channel = 'command' | 'system' | 'card';

export interface Actor {
  id: string;
  channel: Channel;
}

const joinKey = (openId: string, seq: number, k: number) => `staff:${openId}:join${seq}:r${k}`;
const pledgeKey = (openId: string, on: string) => `staff:${openId}:pledge:${on}`;
const deconKey = (openId: string, seq: number) => `staff:${openId}:leave${seq}:decon`;

/** The state as of `today`: a departure whose day has come is the decontamination period, one whose period ended is gone. */
export function effectiveState(r: Pick<StaffRecord, 'state' | 'leave'>, today: string): StaffState {
  if ((r.state === 'leaving' || r.state === 'decontaminating') && r.leave) {
    if (r.leave.deconEnd <= today) return 'left';
    if (r.leave.on <= today) return 'decontaminating';
  }
  return r.state;
}

const ACTIVE_LEAVE: readonly StaffState[] = ['leaving', 'decontaminating'];
const isLeaving = (r: StaffRecord): r is StaffRecord & { leave: LeaveRecord } => ACTIVE_LEAVE.includes(r.state) && !!r.leave && !r.leave.cancelled;

export class StaffService {
  constructor(private readonly d: StaffDeps) {}

  today(): string {
    return localDate(this.d.now(), this.d.timezone);
  }

  /** The local date of an instant in the unit's time zone. */
  day(at: Date): string {
    return localDate(at, this.d.timezone);
  }

  /** When the pledge signed on `on` is due again. */
  pledgeDue(on: string): string {
    return addMonths(on, this.d.config.pledgeMonths);
  }

  decontaminationMonths(clearance: ClearanceClass): number {
    return this.d.config.decontamination[clearance];
  }

  async get(tenantKey: string, openId: string): Promise<StaffRecord | null> {
    return this.d.store.get(tenantKey, openId);
  }

  /** Reads, decides, writes (guarded by version); decides again when someone else wrote first. */
  private async mutate(
    tenantKey: string,
    openId: string,
    decide: (r: StaffRecord) => { change: StaffChange; unset?: ('leave' | 'trainedOn' | 'trainedBy' | 'pledgeOn' | 'clearedAt')[] } | null,
  ): Promise<{ record: StaffRecord; changed: boolean }> {
    for (let i = 0; i < 8; i++) {
      const rec = await this.d.store.get(tenantKey, openId);
      if (!rec) throw new BotError('staff:not_recorded', { id: openId });
      const c = decide(rec);
      if (!c) return { record: rec, changed: false };
      const next = await this.d.store.update(rec, c.change, c.unset);
      if (next) return { record: next, changed: true };
    }
    throw new Error(`staff record ${openId} kept changing; not updated`);
  }

  private async officers(tenantKey: string): Promise<string[]> {
    const officers = await this.d.roles.holders(tenantKey, 'security_officer');
    return officers.length ? officers : this.d.roles.holders(tenantKey, 'security_head');
  }

  /** A name for a notice's markdown (made inert). */
  private async nameOf(tenantKey: string, openId: string): Promise<Bi> {
    return escBi((await this.d.people.names(tenantKey, [openId]))(openId));
  }

  private async notice(
    tenantKey: string,
    id: string,
    recipients: readonly string[],
    title: string,
    draw: () => { title: Bi; lines: Bi[]; template: HeaderTemplate },
  ): Promise<number> {
    const n = draw();
    return notifyByLanguage(this.d.notify, { id, tenantKey, title, recipients, draw: (_lang: Locale) => staffNoticeCard(n) });
  }

  // ---- joining

  /**
   * Records that a person joins (once per delivery: `sourceKey`; the same delivery again after a
   * crash does the follow-ups left undone). A person already joining or
   * cleared is left as is (`already`; a clearance class given is taken); one who left joins again
   * (a new join cycle); one leaving is refused.
   */
  async join(
    tenantKey: string,
    openId: string,
    opts: { clearance?: ClearanceClass },
    by: Actor,
    sourceKey: string,
  ): Promise<{ record: StaffRecord; created: boolean; already: boolean }> {
    const now = this.d.now();
    const fresh = {
      state: 'joining' as const,
      joinedAt: now,
      joinedBy: by.id,
      joinSource: sourceKey,
    };
    const made = await this.d.store.create({
      tenantKey,
      openId,
      clearance: opts.clearance ?? 'general',
      joinSeq: 1,
      ...fresh,
      pledges: [],
      leaveSeq: 0,
    });
    let record = made.record;
    let created = made.created;
    let already = false;
    if (!created) {
      const r = await this.mutate(tenantKey, openId, (rec) => {
        if (rec.joinSource === sourceKey) return null;
        if (isLeaving(rec)) throw new BotError('staff:is_leaving', { id: openId });
        if (rec.state === 'left')
          return {
            change: { ...fresh, joinSeq: rec.joinSeq + 1, ...(opts.clearance ? { clearance: opts.clearance } : {}) },
            unset: ['trainedOn', 'trainedBy', 'pledgeOn', 'clearedAt', 'leave'],
          };
        if (opts.clearance && opts.clearance !== rec.clearance) return { change: { clearance: opts.clearance } };
        return null;
      });
      record = r.record;
      created = r.changed && record.joinSource === sourceKey;
      already = record.joinSource !== sourceKey;
      if (already && r.changed)
        await this.d.audit.record(tenantKey, {
          actorId: by.id,
          action: 'staff.clearance',
          objectType: 'person',
          objectId: openId,
          channel: by.channel,
          outcome: 'ok',
          details: { clearance: record.clearance },
        });
    }
    // The delivery that made this join cycle, again: its follow-ups once more if a crash cut them short.
    const unsettled = !already && record.joinSource === sourceKey && record.joinSettled !== record.joinSeq;
    if (!created && !unsettled) return { record, created, already };
    record = await this.settleJoin(record, by, sourceKey);
    return { record, created, already };
  }

  /**
   * A join's follow-ups, each idempotent (the audit by its effect key, the alarm by its key, the
   * notices by their ids), then the mark that they are all done.
   */
  private async settleJoin(made: StaffRecord, by: Actor, sourceKey: string): Promise<StaffRecord> {
    const { tenantKey, openId, joinSeq } = made;
    await this.d.audit.record(tenantKey, {
      actorId: by.id,
      action: 'staff.join',
      objectType: 'person',
      objectId: openId,
      channel: by.channel,
      outcome: 'ok',
      effectKey: `staff:${openId}:join${joinSeq}`,
      details: { clearance: made.clearance, source: sourceKey },
    });
    // Not for someone cleared (or leaving) by the time a redelivery comes.
    if (made.state === 'joining') await this.d.alarms.set(tenantKey, this.joinAlarm(made, 1), this.d.now());
    // Training confirmed before the join was recorded counts at once.
    const record = await this.syncTraining(made);
    await this.welcome(record, by);
    return (await this.mutate(tenantKey, openId, (rec) => (rec.joinSeq === joinSeq && rec.joinSettled !== joinSeq ? { change: { joinSettled: joinSeq } } : null))).record;
  }

  private joinAlarm(r: StaffRecord, k: number) {
    return {
      key: joinKey(r.openId, r.joinSeq, k),
      topic: TOPIC,
      subject: r.openId,
      kind: 'join',
      dueAt: new Date(r.joinedAt!.getTime() + k * JOIN_REMINDER_MS),
      params: { seq: r.joinSeq, k },
    };
  }

  /** What is still due of a joining person: onboarding training, the pledge. */
  missing(r: StaffRecord): Bi[] {
    const out: Bi[] = [];
    if (!r.trainedOn) out.push(bilingual('staff:due.training'));
    if (!r.pledgeOn) out.push(bilingual('staff:due.pledge'));
    return out;
  }

  private dueList(r: StaffRecord): Bi {
    const list = this.missing(r);
    return { zh: list.map((x) => x.zh).join('、'), en: list.map((x) => x.en).join(', ') };
  }

  private async welcome(r: StaffRecord, by: Actor): Promise<void> {
    const base = `staff:${r.tenantKey}:${r.openId}:join${r.joinSeq}`;
    if (r.state !== 'joining') return;
    const due = this.dueList(r);
    await this.notice(r.tenantKey, `${base}:welcome`, [r.openId], `staff welcome ${r.openId}`, () => ({
      title: bilingual('staff:notice.welcome_title'),
      lines: [sub('staff:notice.welcome_due', { due }), bilingual('staff:notice.welcome_how')],
      template: 'blue',
    }));
    // A join from Lark's contact event: the officers hear of it (a command's author has the answer).
    if (by.channel === 'system') {
      const name = await this.nameOf(r.tenantKey, r.openId);
      await this.notice(r.tenantKey, `${base}:officers`, await this.officers(r.tenantKey), `staff joined ${r.openId}`, () => ({
        title: sub('staff:notice.joined_title', { name }),
        lines: [sub('staff:notice.joined_due', { name, due, id: r.openId })],
        template: 'blue',
      }));
    }
  }

  /**
   * Takes a confirmed onboarding attendance from the training feature (once it exists): on or
   * after the join day for someone joining again, any date for a first join.
   */
  async syncTraining(r: StaffRecord): Promise<StaffRecord> {
    if (r.state !== 'joining' || r.trainedOn) return r;
    const api = this.d.training();
    if (!api) return r;
    let at: Date | null = null;
    try {
      at = await api.completed(r.tenantKey, r.openId, 'onboarding');
    } catch (err) {
      this.d.logger.warn('staff: the training feature could not say whether onboarding training was done', { openId: r.openId, err: (err as Error).message });
      return r;
    }
    if (!at) return r;
    const on = localDate(at, this.d.timezone);
    if (r.joinSeq > 1 && r.joinedAt && on < localDate(r.joinedAt, this.d.timezone)) return r;
    return (await this.recordTraining(r.tenantKey, r.openId, on, { id: 'training', channel: 'system' })).record;
  }

  /** Records the onboarding training (from `/staff trained` or the training feature). */
  async recordTraining(tenantKey: string, openId: string, on: string, by: Actor): Promise<{ record: StaffRecord; cleared: boolean }> {
    const before = await this.d.store.get(tenantKey, openId);
    const { record, changed } = await this.mutate(tenantKey, openId, (rec) => {
      if (rec.state === 'left') throw new BotError('staff:has_left', { id: openId });
      if (rec.trainedOn === on) return null;
      return { change: { trainedOn: on, trainedBy: by.id, ...this.clearing(rec, { trainedOn: on }) } };
    });
    if (changed)
      await this.d.audit.record(tenantKey, {
        actorId: by.id,
        action: 'staff.trained',
        objectType: 'person',
        objectId: openId,
        channel: by.channel,
        outcome: 'ok',
        details: { on },
      });
    const cleared = changed && before?.state === 'joining' && record.state === 'cleared';
    if (cleared) await this.onCleared(record);
    return { record, cleared };
  }

  /** The change that clears a joining person once training and pledge are both there. */
  private clearing(rec: StaffRecord, after: { trainedOn?: string; pledgeOn?: string }): StaffChange {
    const trained = after.trainedOn ?? rec.trainedOn;
    const pledged = after.pledgeOn ?? rec.pledgeOn;
    return rec.state === 'joining' && trained && pledged ? { state: 'cleared', clearedAt: this.d.now() } : {};
  }

  private async onCleared(r: StaffRecord): Promise<void> {
    await this.d.alarms.cancel(r.tenantKey, TOPIC, r.openId, this.d.now(), ['join']);
    await this.d.audit.record(r.tenantKey, {
      actorId: 'system',
      action: 'staff.cleared',
      objectType: 'person',
      objectId: r.openId,
      channel: 'system',
      outcome: 'ok',
      effectKey: `staff:${r.openId}:join${r.joinSeq}:cleared`,
    });
  }

  /**
   * Records a signed pledge: the onboarding pledge of someone joining, the yearly re-sign of
   * someone cleared (the re-sign alarm moves to the new date + N months), or the departure pledge
   * of someone leaving (ticks the checklist).
   */
  async recordPledge(tenantKey: string, openId: string, on: string, by: Actor): Promise<{ record: StaffRecord; kind: PledgeKind; cleared: boolean; due?: string }> {
    const at = this.d.now();
    // Training the training feature confirmed meanwhile counts towards clearing.
    const current = await this.d.store.get(tenantKey, openId);
    if (current) await this.syncTraining(current);
    const seen: { kind: PledgeKind; wasJoining: boolean } = { kind: 'yearly', wasJoining: false };
    const { record, changed } = await this.mutate(tenantKey, openId, (rec) => {
      if (rec.state === 'left') throw new BotError('staff:has_left', { id: openId });
      seen.wasJoining = rec.state === 'joining';
      if (isLeaving(rec)) {
        seen.kind = 'departure';
        if (rec.leave.pledge) return null;
        return { change: { leave: { ...rec.leave, pledge: { by: by.id, at, on } }, pledges: [...rec.pledges, { on, kind: 'departure', by: by.id, at }] } };
      }
      const kind: PledgeKind = rec.state === 'joining' && !rec.pledgeOn ? 'onboarding' : 'yearly';
      seen.kind = kind;
      if (rec.pledges.some((p) => p.on === on && p.kind !== 'departure')) return null;
      const latest = !rec.pledgeOn || on > rec.pledgeOn ? on : rec.pledgeOn;
      return { change: { pledges: [...rec.pledges, { on, kind, by: by.id, at }], pledgeOn: latest, ...this.clearing(rec, { pledgeOn: latest }) } };
    });
    const { kind, wasJoining } = seen;
    if (changed)
      await this.d.audit.record(tenantKey, {
        actorId: by.id,
        action: 'staff.pledge',
        objectType: 'person',
        objectId: openId,
        channel: by.channel,
        outcome: 'ok',
        details: { on, kind },
      });
    const cleared = changed && wasJoining && record.state === 'cleared';
    if (cleared) await this.onCleared(record);
    if (kind !== 'departure' && record.pledgeOn) await this.armPledge(record);
    return { record, kind, cleared, ...(kind !== 'departure' && record.pledgeOn ? { due: this.pledgeDue(record.pledgeOn) } : {}) };
  }

  /** The re-sign alarm of the latest pledge (others of the person cancelled). */
  private async armPledge(r: StaffRecord): Promise<void> {
    if (!r.pledgeOn) return;
    const key = pledgeKey(r.openId, r.pledgeOn);
    const now = this.d.now();
    await this.d.alarms.cancel(r.tenantKey, TOPIC, r.openId, now, ['pledge']);
    await this.d.alarms.reschedule(
      r.tenantKey,
      { key, topic: TOPIC, subject: r.openId, kind: 'pledge', dueAt: noticeTime(this.pledgeDue(r.pledgeOn), this.d.timezone), params: { on: r.pledgeOn } },
      now,
    );
  }

  // ---- leaving

  /**
   * Records a departure (once per delivery: `sourceKey`; the same delivery again after a crash
   * does the follow-ups left undone): the day (default today), the
   * decontamination period (months given, else by clearance class) and its end alarm. A person
   * already leaving keeps the departure recorded (`already`); one who left is refused.
   */
  async leave(
    tenantKey: string,
    openId: string,
    opts: { on?: string; months?: number; clearance?: ClearanceClass },
    by: Actor,
    sourceKey: string,
  ): Promise<{ record: StaffRecord & { leave: LeaveRecord }; created: boolean; already: boolean }> {
    const now = this.d.now();
    const today = this.today();
    const on = opts.on ?? today;
    const departure = (seq: number, clearance: ClearanceClass): LeaveRecord => {
      const months = opts.months ?? this.decontaminationMonths(clearance);
      return { seq, on, months, deconEnd: addMonths(on, months), by: by.id, at: now, sourceKey };
    };
    const stateOf = (l: LeaveRecord): StaffState => (l.on <= today ? 'decontaminating' : 'leaving');
    const clearance = opts.clearance ?? 'general';
    const first = departure(1, clearance);
    const made = await this.d.store.create({ tenantKey, openId, state: stateOf(first), clearance, joinSeq: 0, pledges: [], leaveSeq: 1, leave: first });
    let record = made.record;
    let created = made.created;
    let already = false;
    if (!created) {
      const r = await this.mutate(tenantKey, openId, (rec) => {
        if (rec.leave?.sourceKey === sourceKey) return null;
        if (isLeaving(rec)) return null;
        if (rec.state === 'left') throw new BotError('staff:has_left', { id: openId });
        const cls = opts.clearance ?? rec.clearance;
        const l = departure(rec.leaveSeq + 1, cls);
        return { change: { state: stateOf(l), clearance: cls, leaveSeq: l.seq, leave: { ...l, prev: rec.state } } };
      });
      record = r.record;
      created = r.changed && record.leave?.sourceKey === sourceKey;
      already = record.leave?.sourceKey !== sourceKey;
    }
    if (!record.leave) throw new Error(`staff record ${openId} has no departure`);
    // The delivery that made this departure, again: its follow-ups once more if a crash cut them short.
    const unsettled = !already && record.leave.sourceKey === sourceKey && !record.leave.settled;
    if (created || unsettled) record = await this.settleLeave(record as StaffRecord & { leave: LeaveRecord }, by, sourceKey);
    return { record: record as StaffRecord & { leave: LeaveRecord }, created, already };
  }

  /**
   * A departure's follow-ups, each idempotent (the audit by its effect key, the end alarm by its
   * key), then the mark that they are all done. A departure cancelled meanwhile keeps the clocks
   * its cancellation restored.
   */
  private async settleLeave(made: StaffRecord & { leave: LeaveRecord }, by: Actor, sourceKey: string): Promise<StaffRecord> {
    const { tenantKey, openId, leave } = made;
    const now = this.d.now();
    await this.d.audit.record(tenantKey, {
      actorId: by.id,
      action: 'staff.leave',
      objectType: 'person',
      objectId: openId,
      channel: by.channel,
      outcome: 'ok',
      effectKey: `staff:${openId}:leave${leave.seq}`,
      details: { on: leave.on, months: leave.months, deconEnd: leave.deconEnd, source: sourceKey },
    });
    if (!leave.cancelled) {
      // Joining reminders and the yearly re-sign stop: the departure's own checklist takes over.
      await this.d.alarms.cancel(tenantKey, TOPIC, openId, now, ['join', 'pledge']);
      await this.d.alarms.set(
        tenantKey,
        { key: deconKey(openId, leave.seq), topic: TOPIC, subject: openId, kind: 'decon', dueAt: noticeTime(leave.deconEnd, this.d.timezone), params: { seq: leave.seq } },
        now,
      );
    }
    const r = await this.mutate(tenantKey, openId, (rec) =>
      rec.leave?.seq === leave.seq && rec.leave.sourceKey === sourceKey && !rec.leave.settled ? { change: { leave: { ...rec.leave, settled: now } } } : null,
    );
    return r.record;
  }

  /** Cancels a departure: the state before it comes back, with its clocks; the end alarm is cancelled. */
  async cancelLeave(tenantKey: string, openId: string, by: Actor): Promise<StaffRecord> {
    const now = this.d.now();
    let seq = 0;
    const { record, changed } = await this.mutate(tenantKey, openId, (rec) => {
      if (!isLeaving(rec)) throw new BotError('staff:not_leaving', { id: openId });
      seq = rec.leave.seq;
      const state: StaffState = rec.leave.prev === 'joining' && !(rec.trainedOn && rec.pledgeOn) ? 'joining' : 'cleared';
      return { change: { state, leave: { ...rec.leave, cancelled: { by: by.id, at: now } } } };
    });
    if (!changed) return record;
    await this.d.alarms.cancel(tenantKey, TOPIC, openId, now, ['decon']);
    await this.d.audit.record(tenantKey, {
      actorId: by.id,
      action: 'staff.leave_cancel',
      objectType: 'person',
      objectId: openId,
      channel: by.channel,
      outcome: 'ok',
      effectKey: `staff:${openId}:leave${seq}:cancel`,
    });
    if (record.pledgeOn) await this.armPledge(record);
    if (record.state === 'joining' && record.joinedAt) {
      // The next weekly reminder after now (those in between were cancelled with the departure).
      const k = Math.max(1, Math.floor((now.getTime() - record.joinedAt.getTime()) / JOIN_REMINDER_MS) + 1);
      await this.d.alarms.reschedule(tenantKey, this.joinAlarm(record, k), now);
    }
    return record;
  }

  /** Carriers the register shows in the person's custody, not destroyed or returned to the issuer. */
  async carriersOf(tenantKey: string, openId: string): Promise<ChecklistCarrier[]> {
    const out: ChecklistCarrier[] = [];
    let after: string | undefined;
    for (let read = 0; read < MAX_CARRIERS_READ; read += 100) {
      const page = await this.d.carriers.list(tenantKey, { custodianId: openId }, { limit: 100, ...(after ? { after } : {}) });
      for (const c of page.items) if (!GONE.has(c.status)) out.push({ number: c.number, alias: c.alias, status: c.status });
      if (!page.next) break;
      after = page.next;
    }
    return out;
  }

  /**
   * A checklist button: ticks the reminder talk or the departure pledge (once), and in every case
   * re-reads the register ("carriers all returned" is ticked only when none is left).
   */
  async tick(
    tenantKey: string,
    openId: string,
    seq: number,
    k: ChecklistTick,
    by: string,
  ): Promise<{ record: StaffRecord & { leave: LeaveRecord }; carriers: ChecklistCarrier[]; changed: boolean }> {
    const at = this.d.now();
    const today = this.today();
    const carriers = await this.carriersOf(tenantKey, openId);
    const { record, changed } = await this.mutate(tenantKey, openId, (rec) => {
      if (!rec.leave || rec.leave.seq !== seq) throw new BotError('staff:card_stale');
      if (rec.leave.cancelled) return null;
      const leave: LeaveRecord = { ...rec.leave };
      let pledges = rec.pledges;
      if (k === 'talk' && !leave.talk) leave.talk = { by, at };
      if (k === 'pledge' && !leave.pledge) {
        leave.pledge = { by, at, on: today };
        pledges = [...pledges, { on: today, kind: 'departure', by, at }];
      }
      if (carriers.length === 0 && !leave.carriersClear) leave.carriersClear = at;
      if (carriers.length > 0) delete leave.carriersClear;
      const same = !!leave.talk === !!rec.leave.talk && !!leave.pledge === !!rec.leave.pledge && !!leave.carriersClear === !!rec.leave.carriersClear;
      return same ? null : { change: { leave, pledges } };
    });
    if (changed && k !== 'check')
      await this.d.audit.record(tenantKey, {
        actorId: by,
        action: `staff.leave_${k}`,
        objectType: 'person',
        objectId: openId,
        channel: 'card',
        outcome: 'ok',
        effectKey: `staff:${openId}:leave${seq}:${k}`,
      });
    return { record: record as StaffRecord & { leave: LeaveRecord }, carriers, changed };
  }

  /** The checklist card's view of a departure (carriers read now unless given). */
  async checklistView(r: StaffRecord & { leave: LeaveRecord }, carriers?: ChecklistCarrier[]): Promise<ChecklistView> {
    const l = r.leave;
    const list = carriers ?? (await this.carriersOf(r.tenantKey, r.openId));
    const names = await this.d.people.names(r.tenantKey, [r.openId, ...(l.talk ? [l.talk.by] : []), ...(l.pledge ? [l.pledge.by] : [])]);
    const day = (d: Date) => localDate(d, this.d.timezone);
    return {
      openId: r.openId,
      person: names(r.openId),
      seq: l.seq,
      clearance: r.clearance,
      leaveOn: l.on,
      months: l.months,
      deconEnd: l.deconEnd,
      carriers: list,
      ...(l.talk ? { talk: { on: day(l.talk.at), by: names(l.talk.by) } } : {}),
      ...(l.pledge ? { pledge: { on: l.pledge.on, by: names(l.pledge.by) } } : {}),
      ...(l.cancelled ? { cancelled: true } : {}),
    };
  }

  // ---- the overview

  /** Who is not yet cleared, whose pledge is due, who is leaving or in the decontamination period. */
  async status(tenantKey: string): Promise<{ joining: StaffRecord[]; pledgeDue: StaffRecord[]; leaving: (StaffRecord & { leave: LeaveRecord })[] }> {
    const today = this.today();
    const joining: StaffRecord[] = [];
    for (const r of await this.d.store.list(tenantKey, ['joining'])) {
      const now = await this.syncTraining(r);
      if (now.state === 'joining') joining.push(now);
    }
    const pledgeDue = (await this.d.store.list(tenantKey, ['joining', 'cleared'])).filter((r) => r.pledgeOn && this.pledgeDue(r.pledgeOn) <= today);
    const leaving = (await this.d.store.list(tenantKey, ['leaving', 'decontaminating'])).filter((r): r is StaffRecord & { leave: LeaveRecord } => isLeaving(r));
    return { joining, pledgeDue, leaving };
  }

  // ---- the clocks

  async alarm(a: Alarm): Promise<AlarmOutcome> {
    const rec = await this.d.store.get(a.tenantKey, a.subject);
    if (!rec) return 'skip';
    const p = a.params ?? {};
    if (a.kind === 'join') return this.joinReminder(a, rec, Number(p.seq), Number(p.k));
    if (a.kind === 'pledge') return this.pledgeReminder(a, rec, String(p.on));
    if (a.kind === 'decon') return this.deconEnd(a, rec, Number(p.seq));
    throw new Error(`unknown staff alarm kind ${a.kind}`);
  }

  private async joinReminder(a: Alarm, rec0: StaffRecord, seq: number, k: number): Promise<AlarmOutcome> {
    if (rec0.state !== 'joining' || rec0.joinSeq !== seq || !rec0.joinedAt) return 'skip';
    const rec = await this.syncTraining(rec0);
    if (rec.state !== 'joining') return 'skip';
    // The next reminder (set once; after a long outage the next one still lies ahead).
    const now = this.d.now();
    const next = Math.max(k + 1, Math.floor((now.getTime() - rec.joinedAt!.getTime()) / JOIN_REMINDER_MS) + 1);
    await this.d.alarms.set(a.tenantKey, this.joinAlarm(rec, next), now);
    const name = await this.nameOf(a.tenantKey, rec.openId);
    const due = this.dueList(rec);
    const since = localDate(rec.joinedAt!, this.d.timezone);
    await this.notice(a.tenantKey, `${a._id}:person`, [rec.openId], `staff reminder ${rec.openId}`, () => ({
      title: bilingual('staff:notice.reminder_title'),
      lines: [sub('staff:notice.reminder_person', { due, since }), bilingual('staff:notice.welcome_how')],
      template: 'orange',
    }));
    await this.notice(a.tenantKey, `${a._id}:officers`, await this.officers(a.tenantKey), `staff not cleared ${rec.openId}`, () => ({
      title: sub('staff:notice.not_cleared_title', { name }),
      lines: [sub('staff:notice.not_cleared', { name, id: rec.openId, due, since })],
      template: 'orange',
    }));
    return 'done';
  }

  private async pledgeReminder(a: Alarm, rec: StaffRecord, on: string): Promise<AlarmOutcome> {
    if ((rec.state !== 'joining' && rec.state !== 'cleared') || rec.pledgeOn !== on) return 'skip';
    const name = await this.nameOf(a.tenantKey, rec.openId);
    const due = this.pledgeDue(on);
    await this.notice(a.tenantKey, `${a._id}:person`, [rec.openId], `staff pledge due ${rec.openId}`, () => ({
      title: bilingual('staff:notice.pledge_title'),
      lines: [bilingual('staff:notice.pledge_person', { on, due })],
      template: 'orange',
    }));
    await this.notice(a.tenantKey, `${a._id}:officers`, await this.officers(a.tenantKey), `staff pledge due ${rec.openId}`, () => ({
      title: sub('staff:notice.pledge_officers_title', { name }),
      lines: [sub('staff:notice.pledge_officers', { name, id: rec.openId, on, due })],
      template: 'orange',
    }));
    return 'done';
  }

  private async deconEnd(a: Alarm, rec: StaffRecord, seq: number): Promise<AlarmOutcome> {
    const l = rec.leave;
    if (!l || l.seq !== seq || l.cancelled) return 'skip';
    if (rec.state !== 'left') {
      const r = await this.mutate(a.tenantKey, rec.openId, (x) => (x.leave?.seq === seq && !x.leave.cancelled && x.state !== 'left' ? { change: { state: 'left' } } : null));
      if (r.changed)
        await this.d.audit.record(a.tenantKey, {
          actorId: 'system',
          action: 'staff.decontamination_end',
          objectType: 'person',
          objectId: rec.openId,
          channel: 'system',
          outcome: 'ok',
          effectKey: `staff:${rec.openId}:leave${seq}:decon`,
        });
    }
    const name = await this.nameOf(a.tenantKey, rec.openId);
    const recipients = [...new Set([...(await this.officers(a.tenantKey)), rec.openId])];
    await this.notice(a.tenantKey, a._id, recipients, `staff decontamination end ${rec.openId}`, () => ({
      title: sub('staff:notice.decon_title', { name }),
      lines: [sub('staff:notice.decon_end', { name, id: rec.openId, on: l.on, end: l.deconEnd, months: l.months })],
      template: 'green',
    }));
    return 'done';
  }

  /** The checklist as a notice to the security officers (a departure from Lark's contact event). */
  async checklistToOfficers(tenantKey: string, r: StaffRecord & { leave: LeaveRecord }, draw: (v: ChecklistView) => Card): Promise<number> {
    const view = await this.checklistView(r);
    return notifyByLanguage(this.d.notify, {
      id: `staff:${tenantKey}:${r.openId}:leave${r.leave.seq}:checklist`,
      tenantKey,
      title: `staff departure ${r.openId}`,
      recipients: await this.officers(tenantKey),
      draw: () => draw(view),
    });
  }

  /**
   * Lark's answer about a person, whatever their status (a departure may name someone already
   * resigned): false when Lark has no such person; a refusal asking to try again when Lark cannot
   * answer now (never taken for "unknown").
   */
  async known(tenantKey: string, openId: string): Promise<boolean> {
    try {
      return (await this.d.directory.lookup(tenantKey, openId)) !== undefined;
    } catch (err) {
      if (err instanceof DirectoryUnavailable) throw new BotError('staff:lookup_failed', { id: openId });
      throw err;
    }
  }
}

/** bilingual() with parameters that may differ per language (names, lists). */
function sub(key: string, params: Record<string, string | number | Bi>): Bi {
  const zh: Record<string, unknown> = {};
  const en: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) {
    zh[k] = typeof v === 'object' ? v.zh : v;
    en[k] = typeof v === 'object' ? v.en : v;
  }
  return { zh: bilingual(key, zh).zh, en: bilingual(key, en).en };
}
