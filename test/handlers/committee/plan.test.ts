/**
 * The half-yearly planning reminder on a fake clock: three app instances (each its own scheduler,
 * stores and fan-out on its own connection to one database) run the monthly `committee.plan`
 * cadence; in a planning month (January, July) the chair of each tenant with no meeting scheduled
 * that month is reminded once — in January also of the annual summary meeting; a tenant with a
 * meeting that month is not; other months remind nobody; a slot missed while down runs once at
 * start-up; the same month run again reaches nobody twice.
 */
import mongoose from 'mongoose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../bot/core/logger.js';
import type { OutMessage, Recipient } from '../../../bot/core/types.js';
import { MeetingService, type MeetingDeps } from '../../../handlers/committee/meetings.js';
import { FanoutStore } from '../../../models/fanout.model.js';
import { MeetingStore } from '../../../models/meeting.model.js';
import { ScheduleRunStore } from '../../../models/schedule.model.js';
import { FakeClock } from '../../../scheduler/clock.js';
import { FanoutService } from '../../../scheduler/fanout.js';
import type { Scheduler } from '../../../scheduler/scheduler.js';
import { botScheduler } from '../../../scheduler/tasks.js';
import { useTestDb, type TestDb } from '../../helpers/mongo.js';

const TZ = 'Asia/Shanghai';
const CHAIRS: Record<string, string[]> = { t1: ['ou_chair1'], t2: ['ou_chair2'], t3: [], t4: ['ou_chair4a', 'ou_chair4b'] };
const TENANTS = Object.keys(CHAIRS);

let db: TestDb;
const conns: mongoose.Connection[] = [];
let clock: FakeClock;
/** Every send that reached "Lark" (not de-duplicated: a repeat would show). */
let lark: { to: string; text: string }[];

beforeAll(async () => {
  db = await useTestDb();
  for (let i = 0; i < 3; i++) conns.push(await mongoose.createConnection(db.uri, { dbName: db.dbName }).asPromise());
  await Promise.all([new ScheduleRunStore(conns[0]!).init(), new FanoutStore(conns[0]!).init(), new MeetingStore(conns[0]!).init()]);
});
afterAll(async () => {
  for (const c of conns) await c.close();
  await db?.close();
});
beforeEach(async () => {
  for (const c of ['schedule_runs', 'fanout_notices', 'fanout_deliveries', 'fanout_workers', 'meetings']) await db.connection.collection(c).deleteMany({});
  lark = [];
});

interface Instance {
  scheduler: Scheduler;
  meetings: MeetingService;
  fanout: FanoutService;
  store: MeetingStore;
}

function instance(conn: mongoose.Connection, i: number, months = [1, 7]): Instance {
  const fanout = new FanoutService({
    store: new FanoutStore(conn),
    sender: {
      send: async (to: Recipient, m: OutMessage) => {
        lark.push({ to: 'openId' in to ? to.openId : to.chatId, text: m.type === 'text' ? m.text : '' });
        return { messageId: `om_${lark.length}` };
      },
      patchCard: async () => undefined,
    },
    logger: silentLogger,
    clock,
    owner: `fanout-${i}`,
  });
  const store = new MeetingStore(conn);
  const deps: MeetingDeps = {
    meetings: store,
    counters: { nextSeq: async () => 1 },
    roles: { holders: async (t, role) => (role === 'committee_chair' ? (CHAIRS[t] ?? []) : role === 'committee_member' ? ['ou_m1'] : []) },
    people: { hasRole: async () => true, names: async () => (id: string) => ({ zh: id, en: id }) },
    audit: { record: async () => ({ record: {}, created: true }) } as unknown as MeetingDeps['audit'],
    prefs: { getLocale: async (_t, id) => (id === 'ou_chair4b' ? 'en-US' : undefined) },
    fanout,
    sender: { send: async () => ({ messageId: 'om_x' }), patchCard: async () => undefined },
    logger: silentLogger,
    timezone: TZ,
    defaultLocale: 'zh-CN',
    now: () => clock.now(),
  };
  const meetings = new MeetingService(deps);
  const scheduler = botScheduler({
    runs: new ScheduleRunStore(conn),
    timezone: TZ,
    logger: silentLogger,
    clock,
    service: { recover: async () => 0 },
    reminders: { sweep: async () => ({ sent: 0, acted: 0, skipped: 0, failed: 0 }) },
    committeePlan: { run: (slot) => meetings.planReminder(slot, months, TENANTS) },
  });
  return { scheduler, meetings, fanout, store };
}

/** Lets every instance's fan-out deliver what it was handed. */
async function deliver(all: Instance[]): Promise<void> {
  for (let k = 0; k < 5; k++) for (const i of all) await i.fanout.kick();
}

async function tickAll(all: Instance[]): Promise<string[][]> {
  return Promise.all(all.map((i) => i.scheduler.tick()));
}

describe('committee.plan', () => {
  it('reminds each chair once in January (regular and annual meeting) across three instances; not when a meeting is planned; not in other months', async () => {
    clock = new FakeClock('2026-12-31T12:00:00Z');
    const all = conns.map((c, i) => instance(c, i));
    // Start-up catch-up: the latest slot is 1 December — not a planning month.
    await Promise.all(all.map((i) => i.scheduler.start({ live: false })));
    await deliver(all);
    expect(lark).toEqual([]);
    // t2 has a meeting on 20 January (Shanghai).
    await all[0]!.store.create({
      tenantKey: 't2',
      id: 'MT-2027-0001',
      at: new Date('2027-01-20T02:00:00Z'),
      createdBy: 'ou_chair2',
      createdAt: clock.now(),
      sourceKey: 's1',
      members: ['ou_m1'],
    });
    // 1 January 09:00 in Shanghai is 01:00 UTC.
    clock.set(new Date('2027-01-01T01:00:10Z').getTime());
    const ran = (await tickAll(all)).map((names) => names.filter((n) => n === 'committee.plan').length);
    expect(ran.reduce((a, b) => a + b, 0)).toBe(1);
    await deliver(all);
    expect(lark.map((l) => l.to).sort()).toEqual(['ou_chair1', 'ou_chair4a', 'ou_chair4b']);
    expect(lark.find((l) => l.to === 'ou_chair1')!.text).toContain('年度总结会议');
    expect(lark.find((l) => l.to === 'ou_chair1')!.text).toContain('2027-01');
    expect(lark.find((l) => l.to === 'ou_chair4b')!.text).toContain('annual summary meeting');
    // Ticks later in the month, and the January slot run again (another run, same key): nobody twice.
    clock.advance(3 * 86_400_000);
    await tickAll(all);
    await all[1]!.meetings.planReminder(new Date('2027-01-01T01:00:00Z'), [1, 7], TENANTS);
    await deliver(all);
    expect(lark).toHaveLength(3);
    // February: not a planning month.
    clock.set(new Date('2027-02-01T01:00:10Z').getTime());
    await tickAll(all);
    await deliver(all);
    expect(lark).toHaveLength(3);
    const runs = await db.connection.collection('schedule_runs').find({ name: 'committee.plan' }).toArray();
    expect(runs.map((r) => new Date(r.slot as Date).toISOString()).sort()).toEqual(['2026-12-01T01:00:00.000Z', '2027-01-01T01:00:00.000Z', '2027-02-01T01:00:00.000Z']);
    await Promise.all(all.map((i) => i.scheduler.stop()));
  });

  it('a July slot missed while every instance was down runs once at start-up: the regular meeting only', async () => {
    clock = new FakeClock('2027-07-03T05:00:00Z');
    const all = conns.map((c, i) => instance(c, i));
    await Promise.all(all.map((i) => i.scheduler.start({ live: false })));
    await deliver(all);
    expect(lark.map((l) => l.to).sort()).toEqual(['ou_chair1', 'ou_chair2', 'ou_chair4a', 'ou_chair4b']);
    expect(lark.find((l) => l.to === 'ou_chair1')!.text).toContain('例会');
    expect(lark.find((l) => l.to === 'ou_chair1')!.text).not.toContain('年度总结');
    const runs = await db.connection.collection('schedule_runs').find({ name: 'committee.plan' }).toArray();
    expect(runs).toHaveLength(1);
    expect(runs[0]!.reason).toBe('catch-up');
    await Promise.all(all.map((i) => i.scheduler.stop()));
  });

  it('the months are configurable', async () => {
    clock = new FakeClock('2027-03-01T01:00:10Z');
    const only = instance(conns[0]!, 0, [3, 9]);
    expect(await only.meetings.planReminder(clock.now(), [3, 9], TENANTS)).toEqual({ reminded: 4, planned: 0 });
    expect(await only.meetings.planReminder(clock.now(), [1, 7], TENANTS)).toEqual({ reminded: 0, planned: 0 });
    await deliver([only]);
    expect(lark).toHaveLength(4);
    expect(lark[0]!.text).not.toContain('年度总结');
  });
});
