/**
 * The scheduler's coordination, on a fake clock: three scheduler instances, each on its own
 * mongoose connection (as three app instances would be) to one database served on a loopback
 * port, run each slot of a cadence exactly once; a slot missed while every instance was down runs
 * once at start-up; a claim whose runner died is taken over once. One test also lets node-cron
 * fire live (real clock, an every-second cadence) across the three instances.
 */
import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../bot/core/logger.js';
import { ScheduleRunStore } from '../../models/schedule.model.js';
import { FakeClock } from '../../scheduler/clock.js';
import { Scheduler, type RunContext } from '../../scheduler/scheduler.js';
import { CronSlots } from '../../scheduler/slots.js';
import { useTestDb, type TestDb } from '../helpers/mongo.js';

const TZ = 'Asia/Shanghai';
let db: TestDb;
const conns: mongoose.Connection[] = [];

beforeAll(async () => {
  db = await useTestDb();
  for (let i = 0; i < 3; i++) conns.push(await mongoose.createConnection(db.uri, { dbName: db.dbName }).asPromise());
  await new ScheduleRunStore(conns[0]!).init();
});
afterAll(async () => {
  for (const c of conns) await c.close();
  await db?.close();
});

/** Three instances of one cadence (each on its own connection), recording every run. */
function instances(name: string, cron: string, clock: FakeClock, runs: { owner: string; slot: string; reason: string }[], opts: { catchUp?: boolean } = {}) {
  return conns.map((conn, i) => {
    const s = new Scheduler({ runs: new ScheduleRunStore(conn), timezone: TZ, logger: silentLogger, clock, owner: `instance-${i}` });
    s.cadence({
      name,
      cron,
      ...(opts.catchUp === false ? { catchUp: false } : {}),
      run: async (ctx: RunContext) => {
        runs.push({ owner: s.owner, slot: ctx.slot.toISOString(), reason: ctx.reason });
        await new Promise((r) => setTimeout(r, 20));
        return 'ok';
      },
    });
    return s;
  });
}

describe('CronSlots (node-cron’s matcher, in the unit’s time zone)', () => {
  it('finds the next and the latest slot', () => {
    const daily = new CronSlots('0 9 * * *', TZ);
    // 09:00 in Shanghai is 01:00 UTC.
    expect(daily.next(new Date('2026-11-30T00:59:00Z')).toISOString()).toBe('2026-11-30T01:00:00.000Z');
    expect(daily.latest(new Date('2026-11-30T00:59:00Z'))!.toISOString()).toBe('2026-11-29T01:00:00.000Z');
    expect(daily.latest(new Date('2026-11-30T01:00:00Z'))!.toISOString()).toBe('2026-11-30T01:00:00.000Z');
    const halfYearly = new CronSlots('0 9 1 1,7 *', TZ);
    expect(halfYearly.latest(new Date('2026-11-30T00:00:00Z'))!.toISOString()).toBe('2026-07-01T01:00:00.000Z');
    expect(halfYearly.nextN(new Date('2026-11-30T00:00:00Z'), 2).map((d) => d.toISOString())).toEqual(['2027-01-01T01:00:00.000Z', '2027-07-01T01:00:00.000Z']);
    expect(() => new CronSlots('61 * * * *', TZ)).toThrow(/invalid cron/);
  });
});

describe('three instances sharing one database (separate connections)', () => {
  it('a cadence fires once per slot', async () => {
    const clock = new FakeClock('2026-11-30T00:59:00Z');
    const runs: { owner: string; slot: string; reason: string }[] = [];
    const all = instances('test.daily', '0 9 * * *', clock, runs, { catchUp: false });
    await Promise.all(all.map((s) => s.start({ live: false })));
    await Promise.all(all.map((s) => s.tick()));
    expect(runs).toEqual([]); // 08:59: nothing due (no catch-up asked for)
    clock.set('2026-11-30T01:00:00Z');
    await Promise.all(all.map((s) => s.tick()));
    await Promise.all(all.map((s) => s.tick()));
    expect(runs.map((r) => r.slot)).toEqual(['2026-11-30T01:00:00.000Z']);
    clock.set('2026-12-01T01:00:30Z');
    await Promise.all(all.map((s) => s.tick()));
    expect(runs.map((r) => r.slot)).toEqual(['2026-11-30T01:00:00.000Z', '2026-12-01T01:00:00.000Z']);
    const status = await all[2]!.status(2);
    expect(status[0]).toMatchObject({ name: 'test.daily', kind: 'cron', last: { state: 'done', result: 'ok' } });
    expect(status[0]!.next.map((d) => d.toISOString())).toEqual(['2026-12-02T01:00:00.000Z', '2026-12-03T01:00:00.000Z']);
    await Promise.all(all.map((s) => s.stop()));
  });

  it('the latest slot missed while every instance was down runs once at start-up; older ones are not replayed', async () => {
    const clock = new FakeClock('2026-11-30T01:00:00Z');
    const runs: { owner: string; slot: string; reason: string }[] = [];
    const first = instances('test.missed', '0 9 * * *', clock, runs);
    await Promise.all(first.map((s) => s.start({ live: false })));
    expect(runs).toHaveLength(1); // the 09:00 slot of the day it first started
    await Promise.all(first.map((s) => s.stop()));
    // Down for three days and a bit.
    clock.set('2026-12-03T07:30:00Z');
    const second = instances('test.missed', '0 9 * * *', clock, runs);
    await Promise.all(second.map((s) => s.start({ live: false })));
    expect(runs.slice(1)).toEqual([{ owner: expect.any(String), slot: '2026-12-03T01:00:00.000Z', reason: 'catch-up' }]);
    // Starting once more (a restart without downtime) runs nothing.
    const third = instances('test.missed', '0 9 * * *', clock, runs);
    await Promise.all(third.map((s) => s.start({ live: false })));
    expect(runs).toHaveLength(2);
    for (const s of [...second, ...third]) await s.stop();
  });

  it('a missed slot older than catchUpWithinMs is not run late at start-up; a recent one is', async () => {
    const ran: string[] = [];
    const start = async (name: string, at: string) => {
      const s = new Scheduler({ runs: new ScheduleRunStore(conns[0]!), timezone: TZ, logger: silentLogger, clock: new FakeClock(at) });
      s.cadence({
        name,
        cron: '0 9 1 1,4,7,10 *',
        catchUpWithinMs: 7 * 86_400_000,
        run: async ({ slot, reason }) => {
          ran.push(`${name} ${slot.toISOString()} ${reason}`);
          return 'ok';
        },
      });
      await s.start({ live: false });
      await s.stop();
    };
    // First started two months after the October slot: nothing is sent late.
    await start('test.quarterly-old', '2026-11-30T01:00:00Z');
    expect(ran).toEqual([]);
    // Three days after it: caught up once.
    await start('test.quarterly-recent', '2026-10-04T01:00:00Z');
    expect(ran).toEqual(['test.quarterly-recent 2026-10-01T01:00:00.000Z catch-up']);
  });

  it('a slot whose runner died is taken over once its claim has expired', async () => {
    const clock = new FakeClock('2026-11-30T01:00:00Z');
    const store = new ScheduleRunStore(conns[0]!);
    expect(await store.claim('test.takeover', new Date('2026-11-30T01:00:00Z'), 'dead-instance', 60_000, clock.now(), 'scheduled')).toBe(true);
    const runs: { owner: string; slot: string; reason: string }[] = [];
    const all = instances('test.takeover', '0 9 * * *', clock, runs, { catchUp: false });
    await Promise.all(all.map((s) => s.tick()));
    expect(runs).toEqual([]); // the dead instance's claim still holds
    clock.advance(61_000);
    await Promise.all(all.map((s) => s.tick()));
    expect(runs).toHaveLength(1);
    expect(await store.get('test.takeover', new Date('2026-11-30T01:00:00Z'))).toMatchObject({ state: 'done', attempt: 2, reason: 'takeover' });
  });

  it('a failing run is recorded as failed with its error', async () => {
    const clock = new FakeClock('2026-11-30T01:00:00Z');
    const s = new Scheduler({ runs: new ScheduleRunStore(conns[1]!), timezone: TZ, logger: silentLogger, clock });
    s.cadence({ name: 'test.fails', cron: '0 9 * * *', run: async () => Promise.reject(new Error('boom')) });
    await s.start({ live: false });
    expect((await s.status())[0]!.last).toMatchObject({ state: 'failed', error: 'boom', reason: 'catch-up' });
    await s.stop();
  });

  it('live: node-cron fires an every-second cadence on all three, and each slot runs once', async () => {
    const bySlot = new Map<string, number>();
    const all = conns.map((conn, i) => {
      const s = new Scheduler({ runs: new ScheduleRunStore(conn), timezone: TZ, logger: silentLogger, owner: `live-${i}` });
      s.cadence({
        name: 'test.live',
        cron: '* * * * * *',
        catchUp: false,
        run: async (ctx) => void bySlot.set(ctx.slot.toISOString(), (bySlot.get(ctx.slot.toISOString()) ?? 0) + 1),
      });
      return s;
    });
    await Promise.all(all.map((s) => s.start()));
    await new Promise((r) => setTimeout(r, 3_300));
    await Promise.all(all.map((s) => s.stop()));
    expect(bySlot.size).toBeGreaterThanOrEqual(2);
    expect([...bySlot.values()].every((n) => n === 1)).toBe(true);
  });
});
