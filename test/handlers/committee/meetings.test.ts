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
    expect(await fs.counts(noticeId)).toEqual({ pending: 0, sent: 30, failed: 0 });
    const perMember = new Map<string, number>();
    for (const who of lark.values()) perMember.set(who, (perMember.get(who) ?? 0) + 1);
    expect([...perMember.keys()].sort()).toEqual([...MANY].sort());
    expect([...perMember.values()].every((c) => c === 1)).toBe(true);
  });
});
