// Meetings of the confidentiality committee (docs/domain.md §4; issue 9 item 4).
//
// `/meeting /会议 schedule <YYYY-MM-DD HH:mm> [place=…] [agenda…]` (the chair or a security
// officer) invites the members (委员 and 主任, fixed at scheduling). The notice — Attend, or Request
// leave with a reason — goes to every member through the fan-out 14 days before, or at once when
// the meeting is closer than that; reminders 5 days, 1 day and 1 hour before go to those who have
// not answered or will attend; the chair gets an attendance card that is patched as members
// answer; 3 days after, the security officers are reminded of the minutes until `/meeting minutes
// <id> filed=<date> where=<place>` records that they were filed (metadata only). The committee
// sweep (every minute) hands each notice over once (deterministic fan-out ids: a notice handed
// over again after a crash reaches nobody twice). `/meeting list`, `next`, `cancel <id>`,
// `move <id> <YYYY-MM-DD HH:mm> [place=…] [agenda…]` (the updated notice to those who had it).
// Each meeting is mirrored as a Feishu calendar event (calendar.ts): created with the members as
// attendees, patched when it moves, deleted when it is cancelled — kept in step by the sweep
// (syncCalendar), so a failed call is retried with back-off and never makes a second event.
import { sendUuid } from '../../bot/core/app.js';
import type { Locale } from '../../bot/core/config.js';
import { BotError } from '../../bot/core/errors.js';
import type { Logger } from '../../bot/core/logger.js';
import { actionOf, type Router } from '../../bot/core/router.js';
import type { Context, Sender, UserPrefsStore } from '../../bot/core/types.js';
import type { Card } from '../../cards/card.types.js';
import { attendanceCard, MEETING_REPLY_ACTION, meetingNoticeCard, type MeetingView } from '../../cards/committee.card.js';
import { forReader } from '../../cards/reader.js';
import { fmtTime } from '../../cards/request.card.js';
import { isIsoDate, localDate, type Role } from '../../domain/index.js';
import { bilingual, translator } from '../../locales/index.js';
import type { CounterStore } from '../../models/counter.model.js';
import { MEETING_NOTICES, type Meeting, type MeetingNotice, type MeetingStore } from '../../models/meeting.model.js';
import type { FanoutMessage } from '../../models/fanout.model.js';
import type { FanoutService } from '../../scheduler/fanout.js';
import type { People } from '../approvals/people.js';
import type { AuditRepo, RoleRepo } from '../approvals/ports.js';
import type { CalendarEventInput, MeetingCalendar } from './calendar.js';
import { localInstant, MOTION_MAKERS, MOTION_READERS } from './motions.js';

export interface MeetingDeps {
  meetings: MeetingStore;
  counters: Pick<CounterStore, 'nextSeq'>;
  roles: Pick<RoleRepo, 'holders'>;
  people: Pick<People, 'hasRole' | 'names'>;
  audit: AuditRepo;
  prefs: Pick<UserPrefsStore, 'getLocale'>;
  fanout: Pick<FanoutService, 'send'>;
  sender: Pick<Sender, 'send' | 'patchCard'>;
  logger: Logger;
  timezone: string;
  defaultLocale: Locale;
  now?: () => Date;
  /** The Feishu calendar (calendar.v4); without it no calendar event is kept. */
  calendar?: MeetingCalendar;
}

/** How long a meeting is blocked in the calendar. */
export const MEETING_LENGTH_MS = 2 * 3_600_000;
/** Back-off of a failed calendar sync: 1, 2, 4 … minutes, at most an hour. */
const calendarBackoff = (attempts: number) => Math.min(60, 2 ** Math.max(0, attempts - 1)) * 60_000;

const tbOf = (key: string, params?: Record<string, unknown>) => bilingual(key, params);
export const meetingView = (m: Meeting): MeetingView => ({
  id: m.id,
  at: m.at,
  ...(m.place ? { place: m.place } : {}),
  ...(m.agenda ? { agenda: m.agenda } : {}),
  ...(m.state === 'cancelled' ? { cancelled: true } : {}),
});

export interface ScheduleArgs {
  at: Date;
  place?: string;
  agenda?: string;
}

/** `<YYYY-MM-DD> <HH:mm> [place=…] [agenda…]`. */
export function parseSchedule(args: string, tz: string): ScheduleArgs {
  const m = /^(\S+)\s+(\d{1,2}:\d{2})(?:\s+([\s\S]*))?$/.exec(args.trim());
  if (!m || !isIsoDate(m[1])) throw new BotError('committee:meeting.usage');
  const at = localInstant(m[1]!, m[2]!, tz);
  if (!at) throw new BotError('committee:meeting.bad_time', { value: `${m[1]} ${m[2]}` });
  let rest = ` ${m[3] ?? ''} `;
  let place: string | undefined;
  const p = /\s(?:place|地点)[=＝](\S+)(?=\s)/i.exec(rest);
  if (p) {
    place = p[1]!;
    rest = rest.replace(p[0], ' ');
  }
  const agenda = rest.replace(/\s+/g, ' ').trim();
  if ([...agenda].length > 300) throw new BotError('committee:meeting.too_long', { max: 300 });
  return { at, ...(place ? { place } : {}), ...(agenda ? { agenda } : {}) };
}

export class MeetingService {
  private readonly now: () => Date;
  constructor(private readonly d: MeetingDeps) {
    this.now = d.now ?? (() => new Date());
  }

  async members(tenantKey: string): Promise<string[]> {
    const [m, c] = await Promise.all([this.d.roles.holders(tenantKey, 'committee_member'), this.d.roles.holders(tenantKey, 'committee_chair')]);
    return [...new Set([...c, ...m])];
  }

  async mayRole(tenantKey: string, openId: string, roles: readonly Role[]): Promise<boolean> {
    for (const r of roles) if (await this.d.people.hasRole(tenantKey, openId, r)) return true;
    return false;
  }

  private async localeOf(tenantKey: string, openId: string): Promise<Locale> {
    return (await this.d.prefs.getLocale(tenantKey, openId)) ?? this.d.defaultLocale;
  }

  async schedule(tenantKey: string, by: string, a: ScheduleArgs, sourceKey: string): Promise<{ meeting: Meeting; created: boolean; noticeNow: boolean }> {
    const now = this.now();
    let meeting = await this.d.meetings.bySource(tenantKey, sourceKey);
    let created = false;
    if (!meeting) {
      if (a.at.getTime() <= now.getTime()) throw new BotError('committee:meeting.past');
      const members = await this.members(tenantKey);
      if (members.length === 0) throw new BotError('committee:motion.no_members');
      const year = localDate(now, this.d.timezone).slice(0, 4);
      const id = `MT-${year}-${String(await this.d.counters.nextSeq(tenantKey, `MT-${year}`)).padStart(4, '0')}`;
      const r = await this.d.meetings.create({
        tenantKey,
        id,
        at: a.at,
        ...(a.place ? { place: a.place } : {}),
        ...(a.agenda ? { agenda: a.agenda } : {}),
        createdBy: by,
        createdAt: now,
        sourceKey,
        members,
      });
      meeting = r.meeting;
      created = r.created;
      if (created)
        await this.d.audit.record(tenantKey, {
          actorId: by,
          action: 'meeting.schedule',
          objectType: 'meeting',
          objectId: id,
          channel: 'command',
          outcome: 'ok',
          effectKey: `meeting:${id}:schedule`,
          details: { at: a.at.toISOString(), members: members.length },
        });
    }
    await this.chairCard(meeting);
    if (meeting.calendar?.pending) await this.syncCalendar(meeting);
    const noticeNow = meeting.at.getTime() + MEETING_NOTICES.notice <= now.getTime();
    if (noticeNow && !meeting.notices.notice) await this.send(meeting, 'notice');
    return { meeting, created, noticeNow };
  }

  /**
   * Moves a meeting: members who had the notice get the updated one (once per move), the notice
   * goes at once when the new time is closer than 14 days, the chair's card and the calendar event
   * follow.
   */
  async reschedule(tenantKey: string, by: string, id: string, a: ScheduleArgs): Promise<Meeting> {
    const now = this.now();
    if (a.at.getTime() <= now.getTime()) throw new BotError('committee:meeting.past');
    const m = await this.d.meetings.reschedule(tenantKey, id, a, now);
    if (!m) throw new BotError('committee:meeting.is_cancelled', { id });
    await this.d.audit.record(tenantKey, {
      actorId: by,
      action: 'meeting.move',
      objectType: 'meeting',
      objectId: id,
      channel: 'command',
      outcome: 'ok',
      effectKey: `meeting:${id}:move:${m.revision ?? 0}`,
      details: { at: a.at.toISOString() },
    });
    if (m.notices.notice === 'done') await this.send(m, 'update');
    else if (m.at.getTime() + MEETING_NOTICES.notice <= now.getTime()) await this.send(m, 'notice');
    await this.chairCard(m).catch((err: unknown) => this.d.logger.warn('attendance card not updated', { id, err: (err as Error).message }));
    await this.syncCalendar(m);
    return m;
  }

  /** Sends (once: a deterministic uuid) or patches the chair's attendance card. */
  async chairCard(m: Meeting): Promise<void> {
    const chairs = await this.d.roles.holders(m.tenantKey, 'committee_chair');
    const chair = m.chairCard?.openId ?? chairs[0];
    if (!chair) return;
    const replies = await this.d.meetings.repliesOf(m.tenantKey, m.id);
    const names = await this.d.people.names(m.tenantKey, m.members);
    const lang = await this.localeOf(m.tenantKey, chair);
    const rows = m.members.map((id) => {
      const r = replies.find((x) => x.memberId === id);
      return { name: names(id), ...(r ? { answer: r.answer, ...(r.reason ? { reason: r.reason } : {}) } : {}) };
    });
    const card = forReader(attendanceCard(meetingView(m), rows, { tb: tbOf, timeZone: this.d.timezone }), lang);
    if (m.chairCard) await this.d.sender.patchCard(m.chairCard.messageId, card);
    else {
      const { messageId } = await this.d.sender.send({ openId: chair }, { type: 'card', card }, { uuid: sendUuid(`${m.tenantKey}:meeting-chair:${m.id}`) });
      await this.d.meetings.setChairCard(m._id, { openId: chair, messageId });
    }
  }

  /** Hands notice `k` of a meeting to the fan-out (idempotent) and marks it done. */
  async send(m: Meeting, k: MeetingNotice | 'cancel' | 'update'): Promise<number> {
    let recipients: string[];
    let draw: (lang: Locale) => FanoutMessage;
    if (k === 'minutes') {
      recipients = m.minutes ? [] : await this.d.roles.holders(m.tenantKey, 'security_officer');
      draw = (lang) => ({ type: 'text', text: translator(lang)('committee:meeting.minutes_reminder', { id: m.id, at: fmtTime(m.at.toISOString(), this.d.timezone) }) });
    } else {
      const leave = new Set((await this.d.meetings.repliesOf(m.tenantKey, m.id)).filter((r) => r.answer === 'leave').map((r) => r.memberId));
      recipients = k === 'notice' || k === 'cancel' || k === 'update' ? m.members : m.members.filter((x) => !leave.has(x));
      const view = meetingView(k === 'cancel' ? { ...m, state: 'cancelled' } : m);
      draw = (lang) => ({
        type: 'card',
        card: forReader(meetingNoticeCard(view, { tb: tbOf, timeZone: this.d.timezone, ...(k === 'notice' || k === 'cancel' || k === 'update' ? {} : { reminder: k }) }), lang),
      });
    }
    const byLang = new Map<Locale, string[]>();
    for (const id of recipients) {
      const lang = await this.localeOf(m.tenantKey, id);
      byLang.set(lang, [...(byLang.get(lang) ?? []), id]);
    }
    const names = await this.d.people.names(m.tenantKey, recipients);
    for (const [lang, ids] of [...byLang.entries()].sort()) {
      await this.d.fanout.send({
        id: `meeting:${m.tenantKey}:${m.id}:${k === 'update' ? `update${m.revision ?? 0}` : k}:${lang}`,
        tenantKey: m.tenantKey,
        title: `${m.id} ${k}`,
        message: draw(lang),
        recipients: ids.map((id) => ({ to: { openId: id }, name: names(id).zh })),
      });
    }
    if (k !== 'cancel' && k !== 'update') await this.d.meetings.noticeDone(m._id, k);
    return recipients.length;
  }

  private eventOf(m: Meeting): CalendarEventInput {
    const t = translator(this.d.defaultLocale);
    return {
      summary: t('committee:meeting.calendar_summary', { id: m.id }),
      description: t('committee:meeting.calendar_description', { agenda: m.agenda ?? '' }).trim(),
      start: m.at,
      end: new Date(m.at.getTime() + MEETING_LENGTH_MS),
      timezone: this.d.timezone,
      ...(m.place ? { location: m.place } : {}),
    };
  }

  /**
   * Brings the meeting's calendar event up to date (created with the members as attendees,
   * updated, or deleted when cancelled). Each step is recorded as it is done, so a sync that
   * failed half-way is finished by the sweep without a second event: the create is keyed by the
   * meeting (Lark's `idempotency_key`) and its event id is stored before the attendees are added.
   * Returns false when it failed (it is then retried with back-off); never throws.
   */
  async syncCalendar(m: Meeting): Promise<boolean> {
    const cal = this.d.calendar;
    const st = m.calendar;
    if (!cal || !st?.pending) return true;
    const key = `meeting:${m.tenantKey}:${m.id}`;
    try {
      let eventId = st.eventId;
      if (m.state === 'scheduled') {
        const fresh = !eventId;
        if (!eventId) {
          await this.d.meetings.setCalendar(m._id, { creating: true });
          eventId = await cal.create(key, this.eventOf(m));
          await this.d.meetings.setCalendar(m._id, { eventId });
        }
        if (!st.attendees) {
          await cal.addAttendees(eventId, m.members);
          await this.d.meetings.setCalendar(m._id, { attendees: true });
        }
        // An event that existed before this sync is brought up to date (a patch is idempotent).
        if (!fresh) await cal.update(eventId, this.eventOf(m));
      } else if (!st.deleted) {
        // A create whose answer was lost: the same key gives back that event, to be deleted.
        if (!eventId && st.creating) eventId = await cal.create(key, this.eventOf(m));
        if (eventId) await cal.remove(eventId);
        await this.d.meetings.setCalendar(m._id, { deleted: true, ...(eventId ? { eventId } : {}) });
      }
      await this.d.meetings.calendarSynced(m._id, st.want);
      return true;
    } catch (err) {
      const attempts = (st.attempts ?? 0) + 1;
      const message = (err as Error).message ?? String(err);
      this.d.logger.warn('meeting calendar sync failed; will retry', { id: m.id, attempts, err: message });
      await this.d.meetings.calendarFailed(m._id, attempts, new Date(this.now().getTime() + calendarBackoff(attempts)), message).catch(() => undefined);
      return false;
    }
  }

  /** Calendar events still to create, update or delete (the committee sweep). */
  async calendarSweep(): Promise<{ synced: number; failed: number }> {
    if (!this.d.calendar) return { synced: 0, failed: 0 };
    let synced = 0;
    let failed = 0;
    for (const m of await this.d.meetings.calendarDue(this.now())) {
      if (await this.syncCalendar(m)) synced++;
      else failed++;
    }
    return { synced, failed };
  }

  /**
   * The half-yearly planning reminder (the `committee.plan` cadence, monthly): in a planning month
   * (BAOMI_COMMITTEE_MONTHS, default January and July) each tenant's committee chair(s) are
   * reminded to schedule the regular meeting — in January also the annual summary meeting — when
   * none is scheduled in that month. Once per tenant and month: the fan-out id
   * `meeting-plan:<tenant>:<YYYY-MM>` is a unique key, so a slot run again (catch-up, another
   * instance) reaches nobody twice.
   */
  async planReminder(slot: Date, months: readonly number[], tenants: readonly string[]): Promise<{ reminded: number; planned: number }> {
    const ym = localDate(slot, this.d.timezone).slice(0, 7);
    const [y, mo] = ym.split('-').map(Number) as [number, number];
    const out = { reminded: 0, planned: 0 };
    if (!months.includes(mo)) return out;
    const failed: string[] = [];
    const next = mo === 12 ? `${y + 1}-01` : `${y}-${String(mo + 1).padStart(2, '0')}`;
    const from = localInstant(`${ym}-01`, '00:00', this.d.timezone)!;
    const to = localInstant(`${next}-01`, '00:00', this.d.timezone)!;
    for (const tenantKey of tenants) {
      try {
        if ((await this.d.meetings.scheduledBetween(tenantKey, from, to)) > 0) {
          out.planned++;
          continue;
        }
        const chairs = await this.d.roles.holders(tenantKey, 'committee_chair');
        if (chairs.length === 0) {
          this.d.logger.warn('committee planning reminder: no committee chair', { tenantKey, month: ym });
          continue;
        }
        const key = mo === 1 ? 'committee:meeting.plan_reminder_annual' : 'committee:meeting.plan_reminder';
        const byLang = new Map<Locale, string[]>();
        for (const id of chairs) {
          const lang = await this.localeOf(tenantKey, id);
          byLang.set(lang, [...(byLang.get(lang) ?? []), id]);
        }
        const names = await this.d.people.names(tenantKey, chairs);
        for (const [lang, ids] of [...byLang.entries()].sort()) {
          const r = await this.d.fanout.send({
            id: `meeting-plan:${tenantKey}:${ym}:${lang}`,
            tenantKey,
            title: `committee planning ${ym}`,
            message: { type: 'text', text: translator(lang)(key, { month: ym }) },
            recipients: ids.map((id) => ({ to: { openId: id }, name: names(id).zh })),
          });
          if (r.created) out.reminded += ids.length;
        }
      } catch (err) {
        this.d.logger.error('committee planning reminder failed', { tenantKey, month: ym, err: (err as Error).message });
        failed.push(tenantKey);
      }
    }
    // The run is recorded as failed (shown by /schedule); the other tenants were reminded.
    if (failed.length > 0) throw new Error(`planning reminder failed for ${failed.length} tenant(s); ${out.reminded} reminded`);
    return out;
  }

  /** Notices and reminders due (the committee sweep). */
  async sweep(): Promise<{ sent: number }> {
    const now = this.now();
    let sent = 0;
    await this.calendarSweep();
    for (const k of Object.keys(MEETING_NOTICES) as MeetingNotice[]) {
      for (const m of await this.d.meetings.due(now, k)) {
        try {
          // A reminder for a meeting that has begun (the bot was down) is no use any more.
          if (k !== 'minutes' && m.at.getTime() <= now.getTime()) await this.d.meetings.noticeDone(m._id, k);
          else sent += await this.send(m, k);
        } catch (err) {
          this.d.logger.error('meeting notice failed', { id: m.id, notice: k, err: (err as Error).message });
        }
      }
    }
    return { sent };
  }

  async reply(tenantKey: string, meetingId: string, memberId: string, answer: 'attend' | 'leave', reason: string | undefined): Promise<Meeting> {
    const m = await this.d.meetings.get(tenantKey, meetingId);
    if (!m) throw new BotError('committee:meeting.not_found', { id: meetingId });
    if (!m.members.includes(memberId)) throw new BotError('committee:meeting.not_member', { id: meetingId });
    if (m.state !== 'scheduled') throw new BotError('committee:meeting.is_cancelled', { id: meetingId });
    if (m.at.getTime() <= this.now().getTime()) throw new BotError('committee:meeting.started', { id: meetingId });
    if (answer === 'leave' && !reason) throw new BotError('committee:meeting.reason_needed');
    await this.d.meetings.reply(tenantKey, meetingId, memberId, answer, answer === 'leave' ? reason : undefined, this.now());
    await this.d.audit.record(tenantKey, { actorId: memberId, action: `meeting.${answer}`, objectType: 'meeting', objectId: meetingId, channel: 'card', outcome: 'ok' });
    await this.chairCard(m).catch((err: unknown) => this.d.logger.warn('attendance card not updated', { id: meetingId, err: (err as Error).message }));
    return m;
  }
}

async function guard(ctx: Context, svc: MeetingService, deps: MeetingDeps, roles: readonly Role[], action: string, objectId: string): Promise<void> {
  if (await svc.mayRole(ctx.tenantKey, ctx.actorId!, roles)) return;
  await deps.audit.record(ctx.tenantKey, { actorId: ctx.actorId!, action, objectType: 'meeting', objectId, channel: 'command', outcome: 'refused', reason: 'not_allowed' });
  throw new BotError(roles === MOTION_READERS ? 'committee:meeting.not_reader' : 'committee:meeting.not_allowed');
}

const ID = /^MT-\d{4}-\d{4,}$/i;
const MINUTES_ROLES: readonly Role[] = ['security_officer', 'committee_chair'];

export function registerMeetings(router: Router, deps: MeetingDeps, meetings?: MeetingService): void {
  let made = meetings;
  const service = (): MeetingService => (made ??= new MeetingService(deps));
  const lang = (ctx: Context): Locale => (ctx.locale === 'en-US' ? 'en-US' : 'zh-CN');
  const when = (d: Date) => fmtTime(d.toISOString(), deps.timezone);
  const line = (ctx: Context, m: Meeting) =>
    ctx.t('committee:meeting.line', {
      id: m.id,
      at: when(m.at),
      place: m.place ?? '—',
      state: ctx.t(
        m.state === 'cancelled' ? 'committee:meeting.state_cancelled' : m.minutes ? 'committee:meeting.state_minutes' : 'committee:meeting.state_scheduled',
        m.minutes ? { where: m.minutes.where, on: m.minutes.filedOn } : {},
      ),
    });
  const find = async (ctx: Context, id: string | undefined) => {
    const m = id && ID.test(id) ? await deps.meetings.get(ctx.tenantKey, id.toUpperCase()) : null;
    if (!m) throw new BotError('committee:meeting.not_found', { id: id ?? '' });
    return m;
  };

  router.command({
    name: 'meeting',
    aliases: ['会议'],
    private: true,
    handler: async (ctx) => {
      const args = (ctx.command?.args ?? '').trim();
      const [first = '', ...restTokens] = args.split(/\s+/);
      const rest = args.slice(first.length).trim();
      const verb = first.toLowerCase();
      const svc = service();
      if (['schedule', '安排', '召开'].includes(verb)) {
        await guard(ctx, svc, deps, MOTION_MAKERS, 'meeting.schedule', 'NEW');
        const { meeting, created, noticeNow } = await svc.schedule(ctx.tenantKey, ctx.actorId!, parseSchedule(rest, deps.timezone), ctx.event.id);
        if (created)
          await ctx.reply({
            type: 'text',
            text: ctx.t(noticeNow ? 'committee:meeting.scheduled_now' : 'committee:meeting.scheduled_later', {
              id: meeting.id,
              at: when(meeting.at),
              members: meeting.members.length,
              notice: when(new Date(meeting.at.getTime() + MEETING_NOTICES.notice)),
            }),
          });
        return;
      }
      if (['list', '列表'].includes(verb) || verb === '') {
        await guard(ctx, svc, deps, MOTION_READERS, 'meeting.list', 'ALL');
        const all = await deps.meetings.list(ctx.tenantKey);
        await ctx.reply({
          type: 'text',
          text: all.length ? `${ctx.t('committee:meeting.list_title')}\n${all.map((m) => line(ctx, m)).join('\n')}` : ctx.t('committee:meeting.none'),
        });
        return;
      }
      if (['next', '下次'].includes(verb)) {
        await guard(ctx, svc, deps, MOTION_READERS, 'meeting.next', 'NEXT');
        const m = await deps.meetings.next(ctx.tenantKey, ctx.services.now());
        if (!m) return void (await ctx.reply({ type: 'text', text: ctx.t('committee:meeting.none_next') }));
        const mine = (await deps.meetings.repliesOf(ctx.tenantKey, m.id)).find((r) => r.memberId === ctx.actorId);
        const card = meetingNoticeCard(meetingView(m), {
          tb: ctx.tb,
          timeZone: deps.timezone,
          ...(mine ? { mine: { answer: mine.answer, ...(mine.reason ? { reason: mine.reason } : {}) } } : {}),
        });
        await ctx.reply({ type: 'card', card: forReader(card, lang(ctx)) });
        return;
      }
      if (['move', '改期'].includes(verb)) {
        await guard(ctx, svc, deps, MOTION_MAKERS, 'meeting.move', restTokens[0] ?? '');
        const m = await find(ctx, restTokens[0]);
        const moved = await svc.reschedule(ctx.tenantKey, ctx.actorId!, m.id, parseSchedule(rest.slice((restTokens[0] ?? '').length), deps.timezone));
        await ctx.reply({ type: 'text', text: ctx.t('committee:meeting.moved', { id: m.id, at: when(moved.at) }) });
        return;
      }
      if (['cancel', '取消'].includes(verb)) {
        await guard(ctx, svc, deps, MOTION_MAKERS, 'meeting.cancel', restTokens[0] ?? '');
        const m = await find(ctx, restTokens[0]);
        if (!(await deps.meetings.cancel(ctx.tenantKey, m.id, ctx.services.now()))) throw new BotError('committee:meeting.is_cancelled', { id: m.id });
        const cancelled: Meeting = { ...m, state: 'cancelled' };
        await deps.audit.record(ctx.tenantKey, {
          actorId: ctx.actorId!,
          action: 'meeting.cancel',
          objectType: 'meeting',
          objectId: m.id,
          channel: 'command',
          outcome: 'ok',
          effectKey: `meeting:${m.id}:cancel`,
        });
        // Only those who were told of it hear it is cancelled.
        if (m.notices.notice === 'done') await svc.send(cancelled, 'cancel');
        await svc.chairCard(cancelled).catch(() => undefined);
        // The stored record (the cancel queued the calendar's deletion); the sweep retries a failure.
        const stored = await deps.meetings.get(ctx.tenantKey, m.id);
        if (stored) await svc.syncCalendar(stored);
        await ctx.reply({ type: 'text', text: ctx.t('committee:meeting.cancelled', { id: m.id }) });
        return;
      }
      if (['minutes', '纪要'].includes(verb)) {
        await guard(ctx, svc, deps, MINUTES_ROLES, 'meeting.minutes', restTokens[0] ?? '');
        const m = await find(ctx, restTokens[0]);
        const kv = Object.fromEntries(restTokens.slice(1).map((t) => t.split(/[=＝]/, 2) as [string, string]));
        const filedOn = kv.filed ?? kv['归档'];
        const where = kv.where ?? kv['存放'];
        if (!filedOn || !isIsoDate(filedOn) || !where) throw new BotError('committee:meeting.minutes_usage');
        if (filedOn < localDate(m.at, deps.timezone) || filedOn > localDate(ctx.services.now(), deps.timezone))
          throw new BotError('committee:meeting.minutes_date', { from: localDate(m.at, deps.timezone) });
        if (!(await deps.meetings.setMinutes(ctx.tenantKey, m.id, { filedOn, where, by: ctx.actorId!, at: ctx.services.now() })))
          throw new BotError('committee:meeting.is_cancelled', { id: m.id });
        await deps.audit.record(ctx.tenantKey, {
          actorId: ctx.actorId!,
          action: 'meeting.minutes',
          objectType: 'meeting',
          objectId: m.id,
          channel: 'command',
          outcome: 'ok',
          details: { filedOn, where },
        });
        await ctx.reply({ type: 'text', text: ctx.t('committee:meeting.minutes_recorded', { id: m.id, on: filedOn, where }) });
        return;
      }
      throw new BotError('committee:meeting.usage');
    },
  });

  router.action(MEETING_REPLY_ACTION, async (ctx) => {
    const a = actionOf(ctx);
    const answer = String(a.extra?.a ?? '');
    if (!a.requestId || (answer !== 'attend' && answer !== 'leave')) throw new BotError('errors:bad_action');
    const form = ctx.event.kind === 'card_action' ? ctx.event.action.formValue : undefined;
    const reason = typeof form?.reason === 'string' ? form.reason.trim().slice(0, 200) : '';
    const m = await service().reply(ctx.tenantKey, a.requestId, ctx.actorId!, answer, reason || undefined);
    const card: Card = meetingNoticeCard(meetingView(m), { tb: ctx.tb, timeZone: deps.timezone, mine: { answer, ...(reason ? { reason } : {}) } });
    const text = ctx.tb(answer === 'attend' ? 'committee:meeting.toast_attend' : 'committee:meeting.toast_leave');
    ctx.ack({
      toast: { type: 'success', content: lang(ctx) === 'en-US' ? text.en : text.zh, i18n: { zh_cn: text.zh, en_us: text.en } },
      card: { type: 'raw', data: forReader(card, lang(ctx)) },
    });
  });
}
