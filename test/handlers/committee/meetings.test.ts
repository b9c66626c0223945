/**
 * Committee meetings on the store with a fake clock: the notice 14 days before (at once when
 * closer), reminders 5 days / 1 day / 1 hour before to those who have not answered or will
 * attend, leave with a reason, the chair's attendance card sent once and patched, cancel, the
 * minutes reminder and their filing; and a notice that reaches every member once when the sending
 * process dies half-way and another takes over (the real fan-out outbox).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../bot/core/logger.js';
import type { OutMessage, Recipient } from '../../../bot/core/types.js';
import type { CalendarEventInput, MeetingCalendar } from '../../../handlers/committee/calendar.js';
import { MeetingService, parseSchedule, type MeetingDeps } from '../../../handlers/committee/meetings.js';
import { FanoutStore } from '../../../models/fanout.model.js';
import { MeetingStore } from '../../../models/meeting.model.js';
import { FakeClock } from '../../../scheduler/clock.js';
import { FanoutService, type FanoutInput } from '../../../scheduler/fanout.js';
import { useTestDb, type TestDb } from '../../helpers/mongo.js';

const TZ = 'Asia/Shanghai';
const T = 'tenant1';
const MEMBERS = ['ou_m1', 'ou_m2', 'ou_m3', 'ou_m4', 'ou_m5', 'ou_m6'];
const CHAIR = 'ou_chair';
const OFFICER = 'ou_officer';
const DAY = 86_400_000;

let db: TestDb;
let store: MeetingStore;
let clock: FakeClock;
let sent: FanoutInput[];
let direct: { to: Recipient; message: OutMessage; uuid: string }[];
let patches: { messageId: string; card: unknown }[];
let seq = 0;

function deps(over: Partial<MeetingDeps> = {}): MeetingDeps {
  return {
    meetings: store,
    counters: { nextSeq: async () => ++seq },
    roles: { holders: async (_t, role) => (role === 'committee_member' ? MEMBERS : role === 'committee_chair' ? [CHAIR] : role === 'security_officer' ? [OFFICER] : []) },
    people: { hasRole: async () => true, names: async () => (id: string) => ({ zh: `名${id}`, en: `N${id}` }) },
    audit: { record: async () => ({ record: {}, created: true }) } as unknown as MeetingDeps['audit'],
    prefs: { getLocale: async (_t, id) => (id === 'ou_m6' ? 'en-US' : undefined) },
    fanout: {
      send: async (i) => {
        sent.push(i);
        return { noticeId: i.id, total: i.recipients.length, created: true, done: Promise.resolve() };
      },
    },
    sender: {
      send: async (to, message, { uuid }) => {
        direct.push({ to, message, uuid });
        return { messageId: `om_${direct.length}` };
      },
      patchCard: async (messageId, card) => void patches.push({ messageId, card }),
    },
    logger: silentLogger,
    timezone: TZ,
    defaultLocale: 'zh-CN',
    now: () => clock.now(),
    ...over,
  };
}
const ids = () => sent.map((s) => s.id.split(':').slice(3).join(':'));
const to = (i: FanoutInput) => i.recipients.map((r) => ('openId' in r.to ? r.to.openId : '')).sort();

beforeAll(async () => {
  db = await useTestDb();
  store = new MeetingStore(db.connection);
  await store.init();
  await new FanoutStore(db.connection).init();
});
afterAll(() => db.close());
beforeEach(async () => {
  for (const c of ['meetings', 'meeting_replies']) await db.connection.collection(c).deleteMany({});
  clock = new FakeClock('2026-12-01T02:00:00Z');
  sent = [];
  direct = [];
  patches = [];
});

describe('a meeting', () => {
  it('is noticed 14 days before, reminded 5 d / 1 d / 1 h before (not to those on leave), each once', async () => {
    const svc = new MeetingService(deps());
    const at = new Date(clock.now().getTime() + 30 * DAY);
    const { meeting, noticeNow } = await svc.schedule(T, CHAIR, { at, place: '三楼会议室', agenda: '半年工作总结' }, 'evt-1');
    expect(noticeNow).toBe(false);
    expect(sent).toHaveLength(0);
    // The chair's attendance card, once.
    expect(direct.map((d) => d.to)).toEqual([{ openId: CHAIR }]);
    clock.set(at.getTime() - 14 * DAY - 60_000);
    await svc.sweep();
    expect(sent).toHaveLength(0);
    clock.set(at.getTime() - 14 * DAY);
    await svc.sweep();
    await svc.sweep();
    expect(ids()).toEqual(['notice:en-US', 'notice:zh-CN']);
    expect(to(sent[1]!)).toEqual([CHAIR, ...MEMBERS.slice(0, 5)].sort());
    expect(JSON.stringify(sent[0]!.message)).toContain('Request leave');
    expect(JSON.stringify(sent[1]!.message)).toContain('请假');

    await expect(svc.reply(T, meeting.id, 'ou_m1', 'leave', undefined)).rejects.toMatchObject({ key: 'committee:meeting.reason_needed' });
    await svc.reply(T, meeting.id, 'ou_m1', 'leave', '出差');
    await svc.reply(T, meeting.id, 'ou_m2', 'attend', undefined);
    await expect(svc.reply(T, meeting.id, 'ou_stranger', 'attend', undefined)).rejects.toMatchObject({ key: 'committee:meeting.not_member' });
    // The chair's card is patched after each answer, showing who comes and who asked for leave, and why.
    expect(patches).toHaveLength(2);
    const last = JSON.stringify(patches[1]!.card);
    expect(last).toContain('名ou_m1（出差）');
    expect(last).toMatch(/参加\*\*（1）：名ou_m2/);

    sent = [];
    clock.set(at.getTime() - 5 * DAY);
    await svc.sweep();
    expect(ids()).toEqual(['d5:en-US', 'd5:zh-CN']);
    expect(to(sent[1]!)).not.toContain('ou_m1');
    expect(to(sent[1]!)).toContain('ou_m2');
    clock.set(at.getTime() - DAY);
    await svc.sweep();
    clock.set(at.getTime() - 3_600_000);
    await svc.sweep();
    await svc.sweep();
    expect(ids()).toEqual(['d5:en-US', 'd5:zh-CN', 'd1:en-US', 'd1:zh-CN', 'h1:en-US', 'h1:zh-CN']);
    await svc.reply(T, meeting.id, 'ou_m3', 'attend', undefined);
    clock.set(at.getTime());
    await expect(svc.reply(T, meeting.id, 'ou_m4', 'attend', undefined)).rejects.toMatchObject({ key: 'committee:meeting.started' });
  });

  it('closer than 14 days: noticed at once, past reminders skipped; the minutes reminder 3 days after until filed', async () => {
    const svc = new MeetingService(deps());
    const at = new Date(clock.now().getTime() + 3 * DAY);
    const { meeting, noticeNow } = await svc.schedule(T, CHAIR, { at }, 'evt-2');
    expect(noticeNow).toBe(true);
    expect(ids()).toEqual(['notice:en-US', 'notice:zh-CN']);
    // The same command again (redelivered): nothing new.
    expect((await svc.schedule(T, CHAIR, { at }, 'evt-2')).created).toBe(false);
    await svc.sweep();
    expect(ids()).toEqual(['notice:en-US', 'notice:zh-CN']);
    clock.set(at.getTime() + 3 * DAY);
    sent = [];
    await svc.sweep();
    // The 1-day and 1-hour reminders fell while nobody swept (the meeting has begun): not sent.
    expect(ids()).toEqual(['minutes:zh-CN']);
    expect(to(sent[0]!)).toEqual([OFFICER]);
    await svc.sweep();
    expect(ids()).toEqual(['minutes:zh-CN']);
    expect(await store.setMinutes(T, meeting.id, { filedOn: '2026-12-06', where: '保密办档案柜', by: OFFICER, at: clock.now() })).toBe(true);
    expect((await store.get(T, meeting.id))!.minutes).toMatchObject({ filedOn: '2026-12-06', where: '保密办档案柜' });
  });

  it('reminders of a meeting that has begun are not sent (the bot was down)', async () => {
    const svc = new MeetingService(deps());
    const at = new Date(clock.now().getTime() + 20 * DAY);
    await svc.schedule(T, CHAIR, { at }, 'evt-3');
    clock.set(at.getTime() + 60_000);
    await svc.sweep();
    expect(ids()).toEqual([]);
  });

  it('a cancelled meeting gets no more notices', async () => {
    const svc = new MeetingService(deps());
    const at = new Date(clock.now().getTime() + 20 * DAY);
    const { meeting } = await svc.schedule(T, CHAIR, { at }, 'evt-4');
    expect(await store.cancel(T, meeting.id, clock.now())).toBe(true);
    expect(await store.cancel(T, meeting.id, clock.now())).toBe(false);
    clock.set(at.getTime() - DAY);
    await svc.sweep();
    expect(sent).toHaveLength(0);
    await expect(svc.reply(T, meeting.id, 'ou_m1', 'attend', undefined)).rejects.toMatchObject({ key: 'committee:meeting.is_cancelled' });
  });

  it('parses the schedule command', () => {
    expect(parseSchedule('2026-12-20 09:30 place=三楼会议室 年度 总结', TZ)).toEqual({ at: new Date('2026-12-20T01:30:00Z'), place: '三楼会议室', agenda: '年度 总结' });
    expect(parseSchedule('2026-12-20 9:30', TZ)).toEqual({ at: new Date('2026-12-20T01:30:00Z') });
    expect(() => parseSchedule('2026-12-20', TZ)).toThrow(expect.objectContaining({ key: 'committee:meeting.usage' }));
    expect(() => parseSchedule('2026-12-20 24:00', TZ)).toThrow(expect.objectContaining({ key: 'committee:meeting.bad_time' }));
  });
});

describe('a meeting notice across a restart mid-fan-out', () => {
  it('reaches every member once', { timeout: 20_000 }, async () => {
    const MANY = Array.from({ length: 30 }, (_, i) => `ou_x${i}`);
    // Lark keeps one message per uuid: a send repeated with the same uuid is the same message.
    const lark = new Map<string, string>();
    const larkSender = {
      send: async (r: Recipient, _m: OutMessage, { uuid }: { uuid: string }) => {
        if (!lark.has(uuid)) lark.set(uuid, 'openId' in r ? r.openId : r.chatId);
        return { messageId: `om_${uuid}` };
      },
      patchCard: async () => undefined,
    };
    const fclock = new FakeClock('2026-12-01T02:00:00Z');
    let n = 0;
    const a = new FanoutService({
      store: new FanoutStore(db.connection),
      sender: larkSender,
      logger: silentLogger,
      clock: fclock,
      rate: 50,
      leaseMs: 1_000,
      lockMs: 1_000,
      owner: 'a',
      afterSend: () => {
        if (++n === 10) throw Object.assign(new Error('worker died'), { crash: true });
      },
    });
    const roles = { holders: async (_t: string, role: string) => (role === 'committee_member' ? MANY : []) } as MeetingDeps['roles'];
    const svcA = new MeetingService(deps({ fanout: a, roles }));
    const at = new Date(clock.now().getTime() + 2 * DAY);
    const { meeting } = await svcA.schedule(T, CHAIR, { at }, 'evt-r');
    await new Promise((r) => setTimeout(r, 600));
    expect(lark.size).toBeGreaterThanOrEqual(10);
    expect(lark.size).toBeLessThan(30);
    // A new process: its sweep finds the notice handed over; the notice handed over again adds nothing.
    fclock.advance(2_000);
    const b = new FanoutService({
      store: new FanoutStore(db.connection),
      sender: larkSender,
      logger: silentLogger,
      clock: fclock,
      rate: 50,
      leaseMs: 1_000,
      lockMs: 1_000,
      owner: 'b',
    });
    const svcB = new MeetingService(deps({ fanout: b, roles }));
    await svcB.sweep();
    await svcB.send((await store.get(T, meeting.id))!, 'notice');
    const fs = new FanoutStore(db.connection);
    const noticeId = `meeting:${T}:${meeting.id}:notice:zh-CN`;
    for (let i = 0; i < 50 && (await fs.counts(noticeId)).pending > 0; i++) {
      await b.kick();
      fclock.advance(1_100);
    }
    expect(await fs.counts(noticeId)).toEqual({ pending: 0, sent: 30, failed: 0, dropped: 0 });
    const perMember = new Map<string, number>();
    for (const who of lark.values()) perMember.set(who, (perMember.get(who) ?? 0) + 1);
    expect([...perMember.keys()].sort()).toEqual([...MANY].sort());
    expect([...perMember.values()].every((c) => c === 1)).toBe(true);
  });
});

/** A calendar like Lark's: a create repeated with the same idempotency key returns the same event. */
class FakeCalendar implements MeetingCalendar {
  byKey = new Map<string, string>();
  events = new Map<string, { ev: CalendarEventInput; attendees: string[]; deleted: boolean }>();
  calls: string[] = [];
  /** Operations to fail next (each entry once), e.g. 'create', 'attendees'. */
  failing: string[] = [];
  private maybeFail(op: string): void {
    this.calls.push(op);
    const i = this.failing.indexOf(op);
    if (i >= 0) {
      this.failing.splice(i, 1);
      throw new Error(`${op}: HTTP 503`);
    }
  }
  async create(key: string, ev: CalendarEventInput): Promise<string> {
    this.maybeFail('create');
    let id = this.byKey.get(key);
    if (!id) {
      id = `evt_${this.byKey.size + 1}`;
      this.byKey.set(key, id);
      this.events.set(id, { ev, attendees: [], deleted: false });
    }
    // The answer is lost after the event was made.
    this.maybeFail('create-answer');
    return id;
  }
  async addAttendees(eventId: string, openIds: readonly string[]): Promise<void> {
    this.maybeFail('attendees');
    this.events.get(eventId)!.attendees.push(...openIds);
  }
  async update(eventId: string, ev: CalendarEventInput): Promise<void> {
    this.maybeFail('update');
    this.events.get(eventId)!.ev = ev;
  }
  async remove(eventId: string): Promise<void> {
    this.maybeFail('remove');
    this.events.get(eventId)!.deleted = true;
  }
}

describe('the meeting’s calendar event', () => {
  const members = [CHAIR, ...MEMBERS].sort();
  const live = (cal: FakeCalendar) => [...cal.events.values()].filter((e) => !e.deleted);

  it('is created once on the primary calendar with every member as attendee, its id stored; nothing more on later sweeps', async () => {
    const cal = new FakeCalendar();
    const svc = new MeetingService(deps({ calendar: cal }));
    const at = new Date(clock.now().getTime() + 30 * DAY);
    const { meeting } = await svc.schedule(T, CHAIR, { at, place: '三楼会议室', agenda: '半年工作总结' }, 'evt-c1');
    expect(cal.events.size).toBe(1);
    const [ev] = live(cal);
    expect([...ev!.attendees].sort()).toEqual(members);
    expect(ev!.ev).toMatchObject({ summary: `保密委员会会议 ${meeting.id}`, start: at, end: new Date(at.getTime() + 2 * 3_600_000), timezone: TZ, location: '三楼会议室' });
    expect(ev!.ev.description).toContain('半年工作总结');
    const stored = (await store.get(T, meeting.id))!;
    expect(stored.calendar).toMatchObject({ pending: false, eventId: 'evt_1', attendees: true });
    // The same command again (a redelivered event) and later sweeps do nothing more.
    await svc.schedule(T, CHAIR, { at }, 'evt-c1');
    await svc.sweep();
    clock.advance(DAY);
    await svc.sweep();
    expect(cal.calls).toEqual(['create', 'create-answer', 'attendees']);
  });

  it('a failed create is retried by the sweep after a back-off, never lost', async () => {
    const cal = new FakeCalendar();
    cal.failing = ['create', 'create'];
    const svc = new MeetingService(deps({ calendar: cal }));
    const { meeting } = await svc.schedule(T, CHAIR, { at: new Date(clock.now().getTime() + 30 * DAY) }, 'evt-c2');
    expect(cal.events.size).toBe(0);
    expect((await store.get(T, meeting.id))!.calendar).toMatchObject({ pending: true, attempts: 1 });
    await svc.sweep(); // within the back-off (1 min): not tried
    expect(cal.calls).toEqual(['create']);
    clock.advance(61_000);
    await svc.sweep(); // fails again: the back-off doubles
    expect((await store.get(T, meeting.id))!.calendar).toMatchObject({ pending: true, attempts: 2 });
    clock.advance(61_000);
    await svc.sweep();
    expect(cal.calls.filter((c) => c === 'create')).toHaveLength(2);
    clock.advance(61_000);
    await svc.sweep();
    expect(live(cal)).toHaveLength(1);
    expect([...live(cal)[0]!.attendees].sort()).toEqual(members);
    expect((await store.get(T, meeting.id))!.calendar).toMatchObject({ pending: false, eventId: 'evt_1', attendees: true, attempts: 0 });
  });

  it('a sync that died after the create (answer lost, or attendees failed) makes no second event and adds the attendees once', async () => {
    const cal = new FakeCalendar();
    cal.failing = ['create-answer'];
    const svc = new MeetingService(deps({ calendar: cal }));
    const { meeting } = await svc.schedule(T, CHAIR, { at: new Date(clock.now().getTime() + 30 * DAY) }, 'evt-c3');
    clock.advance(61_000);
    cal.failing = ['attendees'];
    await svc.sweep(); // the same key gives back the event; its id is stored, then the attendees fail
    expect((await store.get(T, meeting.id))!.calendar).toMatchObject({ pending: true, eventId: 'evt_1' });
    expect(live(cal)[0]!.attendees).toEqual([]);
    clock.advance(3 * 61_000);
    // Another instance's service takes over.
    await new MeetingService(deps({ calendar: cal })).sweep();
    expect(cal.events.size).toBe(1);
    expect([...live(cal)[0]!.attendees].sort()).toEqual(members);
    expect(cal.calls.filter((c) => c === 'attendees')).toHaveLength(2);
    expect((await store.get(T, meeting.id))!.calendar?.pending).toBe(false);
  });

  it('cancelling deletes the event (retried when the delete fails); a create whose answer was lost is found and deleted', async () => {
    const cal = new FakeCalendar();
    const svc = new MeetingService(deps({ calendar: cal }));
    const { meeting } = await svc.schedule(T, CHAIR, { at: new Date(clock.now().getTime() + 30 * DAY) }, 'evt-c4');
    expect(await store.cancel(T, meeting.id, clock.now())).toBe(true);
    cal.failing = ['remove'];
    expect(await svc.syncCalendar((await store.get(T, meeting.id))!)).toBe(false);
    expect(live(cal)).toHaveLength(1);
    clock.advance(61_000);
    await svc.sweep();
    expect(live(cal)).toHaveLength(0);
    expect((await store.get(T, meeting.id))!.calendar).toMatchObject({ pending: false, deleted: true, eventId: 'evt_1' });
    await svc.sweep();
    expect(cal.calls.filter((c) => c === 'remove')).toHaveLength(2);

    // The create went through but its answer never came back; then the meeting was cancelled.
    const cal2 = new FakeCalendar();
    cal2.failing = ['create-answer'];
    const svc2 = new MeetingService(deps({ calendar: cal2 }));
    const r = await svc2.schedule(T, CHAIR, { at: new Date(clock.now().getTime() + 30 * DAY) }, 'evt-c5');
    expect((await store.get(T, r.meeting.id))!.calendar?.eventId).toBeUndefined();
    await store.cancel(T, r.meeting.id, clock.now());
    await svc2.syncCalendar((await store.get(T, r.meeting.id))!);
    expect(cal2.events.size).toBe(1);
    expect(live(cal2)).toHaveLength(0);
  });

  it('moving the meeting patches the event (retried on failure), re-arms the reminders, and sends the update once to those told', async () => {
    const cal = new FakeCalendar();
    const svc = new MeetingService(deps({ calendar: cal }));
    const at = new Date(clock.now().getTime() + 10 * DAY); // the notice goes at once
    const { meeting } = await svc.schedule(T, CHAIR, { at, place: '三楼会议室' }, 'evt-m1');
    expect(ids()).toEqual(['notice:en-US', 'notice:zh-CN']);
    clock.advance(6 * DAY); // the 5-day reminder is done
    await svc.sweep();
    expect((await store.get(T, meeting.id))!.notices.d5).toBe('done');
    const later = new Date(at.getTime() + 20 * DAY);
    cal.failing = ['update'];
    const moved = await svc.reschedule(T, CHAIR, meeting.id, { at: later, place: '五楼' });
    expect(moved).toMatchObject({ at: later, place: '五楼', revision: 1 });
    expect(moved.notices).toEqual({ notice: 'done' }); // reminders due again before the new time
    expect(ids().filter((i) => i.startsWith('update'))).toEqual(['update1:en-US', 'update1:zh-CN']);
    expect(to(sent.find((s) => s.id.endsWith('update1:zh-CN'))!)).toEqual([CHAIR, ...MEMBERS.slice(0, 5)].sort());
    // The patch failed: still pending; the sweep after the back-off patches the same event.
    expect(live(cal)[0]!.ev.start).toEqual(at);
    clock.advance(61_000);
    await svc.sweep();
    expect(cal.events.size).toBe(1);
    expect(live(cal)[0]!.ev).toMatchObject({ start: later, location: '五楼' });
    expect((await store.get(T, meeting.id))!.calendar).toMatchObject({ pending: false, eventId: 'evt_1' });
    await expect(svc.reschedule(T, CHAIR, meeting.id, { at: new Date(clock.now().getTime() - 1) })).rejects.toMatchObject({ key: 'committee:meeting.past' });
    await store.cancel(T, meeting.id, clock.now());
    await expect(svc.reschedule(T, CHAIR, meeting.id, { at: later })).rejects.toMatchObject({ key: 'committee:meeting.is_cancelled' });
  });

  it('without a calendar nothing is kept pending for ever', async () => {
    const svc = new MeetingService(deps());
    const { meeting } = await svc.schedule(T, CHAIR, { at: new Date(clock.now().getTime() + 30 * DAY) }, 'evt-c6');
    expect(await svc.calendarSweep()).toEqual({ synced: 0, failed: 0 });
    expect((await store.get(T, meeting.id))!.calendar?.eventId).toBeUndefined();
  });
});
