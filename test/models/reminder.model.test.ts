import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReminderStore, type ReminderInput } from '../../models/reminder.model.js';
import { useTestDb, type TestDb } from '../helpers/mongo.js';

let db: TestDb;
let reminders: ReminderStore;
const T0 = new Date('2026-03-02T02:00:00Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

beforeAll(async () => {
  db = await useTestDb();
  reminders = new ReminderStore(db.connection, () => T0);
  await reminders.init();
});
afterAll(async () => {
  await db?.close();
});

const input = (requestId: string, version: number, i: number, over: Partial<ReminderInput> = {}): ReminderInput => ({
  key: `${requestId}:${version}:${i}:reminder.create`,
  requestId,
  version,
  kind: 'approval.remind',
  dueAt: at(60),
  target: { openId: 'ou_dh' },
  ...over,
});

describe('create', () => {
  it('records once per effect key, also under concurrency; stores the plain fields', async () => {
    const r = input('CP-2026-0001', 1, 2, { dueAt: '2026-03-03T02:00:00.000Z', params: { id: 'CP-2026-0001', hours: 24 } });
    const got = await Promise.all(Array.from({ length: 10 }, () => reminders.create('t1', r)));
    expect(got.filter(Boolean)).toHaveLength(1);
    expect(await reminders.create('t1', r)).toBe(false);
    expect(await reminders.listForRequest('t1', 'CP-2026-0001')).toEqual([
      {
        _id: 't1:CP-2026-0001:1:2:reminder.create',
        key: 'CP-2026-0001:1:2:reminder.create',
        tenantKey: 't1',
        requestId: 'CP-2026-0001',
        kind: 'approval.remind',
        dueAt: new Date('2026-03-03T02:00:00.000Z'),
        target: { openId: 'ou_dh' },
        params: { id: 'CP-2026-0001', hours: 24 },
        state: 'pending',
        createdForVersion: 1,
        createdAt: T0,
      },
    ]);
  });

  it('the same effect key in another tenant is another reminder', async () => {
    expect(await reminders.create('t2', input('CP-2026-0001', 1, 2))).toBe(true);
    expect(await reminders.listForRequest('t2', 'CP-2026-0001')).toHaveLength(1);
    expect(await reminders.listForRequest('t1', 'CP-2026-0001')).toHaveLength(1);
  });

  it('refuses a bad due date or target', async () => {
    await expect(reminders.create('t1', input('X', 1, 0, { dueAt: 'soon' }))).rejects.toThrow(/dueAt/);
    await expect(reminders.create('t1', input('X', 1, 0, { target: {} as never }))).rejects.toThrow(/target/);
    await expect(reminders.create('t1', input('X', 1, 0, { target: { role: 'boss' } as never }))).rejects.toThrow(/role/);
  });
});

describe('cancel', () => {
  const R = 'CO-2026-0007';
  beforeAll(async () => {
    await reminders.create('tc', input(R, 1, 1, { kind: 'approval.remind', target: { openId: 'ou_dh' } }));
    await reminders.create('tc', input(R, 1, 2, { kind: 'approval.escalate', target: { role: 'security_head' } }));
    await reminders.create('tc', input(R, 3, 1, { kind: 'destroy.witness_remind', target: { openId: 'ou_w1' } }));
    await reminders.create('tc', input(R, 3, 2, { kind: 'destroy.witness_remind', target: { openId: 'ou_w2' } }));
    await reminders.create('tc', input(R, 3, 3, { kind: 'carry.overdue', target: { system: true } }));
    await reminders.create('tc', input(R, 5, 1, { kind: 'approval.remind', target: { openId: 'ou_so1' } }));
    await reminders.create('tc-other', input(R, 1, 1));
  });
  const states = async () => Object.fromEntries((await reminders.listForRequest('tc', R)).map((r) => [`${r.createdForVersion}:${r.kind}:${JSON.stringify(r.target)}`, r.state]));

  it('by kind and target, only versions before beforeVersion, idempotently', async () => {
    // Witness w1 confirmed at version 4: only their reminder goes.
    expect(await reminders.cancel('tc', R, { kinds: ['destroy.witness_remind'], target: { openId: 'ou_w1' }, beforeVersion: 4 })).toBe(1);
    expect(await reminders.cancel('tc', R, { kinds: ['destroy.witness_remind'], target: { openId: 'ou_w1' }, beforeVersion: 4 })).toBe(0);
    // A role target matches role targets only.
    expect(await reminders.cancel('tc', R, { target: { role: 'security_head' }, beforeVersion: 9 })).toBe(1);
    expect(await states()).toEqual({
      '1:approval.remind:{"openId":"ou_dh"}': 'pending',
      '1:approval.escalate:{"role":"security_head"}': 'cancelled',
      '3:destroy.witness_remind:{"openId":"ou_w1"}': 'cancelled',
      '3:destroy.witness_remind:{"openId":"ou_w2"}': 'pending',
      '3:carry.overdue:{"system":true}': 'pending',
      '5:approval.remind:{"openId":"ou_so1"}': 'pending',
    });
  });

  it('all kinds before a version, leaving later versions and other tenants alone', async () => {
    expect(await reminders.cancel('tc', R, { beforeVersion: 5 })).toBe(3);
    expect(await reminders.cancel('tc', R, { beforeVersion: 5 })).toBe(0);
    expect(await states()).toEqual({
      '1:approval.remind:{"openId":"ou_dh"}': 'cancelled',
      '1:approval.escalate:{"role":"security_head"}': 'cancelled',
      '3:destroy.witness_remind:{"openId":"ou_w1"}': 'cancelled',
      '3:destroy.witness_remind:{"openId":"ou_w2"}': 'cancelled',
      '3:carry.overdue:{"system":true}': 'cancelled',
      '5:approval.remind:{"openId":"ou_so1"}': 'pending',
    });
    expect((await reminders.listForRequest('tc-other', R)).map((r) => r.state)).toEqual(['pending']);
    const cancelled = (await reminders.listForRequest('tc', R)).find((r) => r.state === 'cancelled');
    expect(cancelled?.cancelledAt).toEqual(T0);
  });

  it('does not cancel what was already sent', async () => {
    await reminders.create('tc', input('CO-2026-0008', 1, 1));
    expect(await reminders.markSent('tc', 'CO-2026-0008:1:1:reminder.create')).toBe(true);
    expect(await reminders.cancel('tc', 'CO-2026-0008', { beforeVersion: 9 })).toBe(0);
    expect((await reminders.listForRequest('tc', 'CO-2026-0008'))[0]).toMatchObject({ state: 'sent', sentAt: T0 });
    expect(await reminders.markSent('tc', 'CO-2026-0008:1:1:reminder.create')).toBe(false);
  });
});

describe('claimDue', () => {
  it('two concurrent claimers (separate instances) over 20 due reminders get disjoint sets covering all', async () => {
    const sweepDb = await useTestDb();
    try {
      const a = new ReminderStore(sweepDb.connection, () => T0);
      await a.init();
      const conn2 = await mongoose.createConnection(sweepDb.uri, { dbName: sweepDb.dbName }).asPromise();
      try {
        const b = new ReminderStore(conn2, () => T0);
        for (let i = 0; i < 20; i++) await a.create(i % 2 ? 'tx' : 'ty', input(`DS-2026-${String(i).padStart(4, '0')}`, 1, 0, { dueAt: at(-i) }));
        await a.create('tx', input('DS-2026-9999', 1, 0, { dueAt: at(5) })); // not due yet
        const now = at(0);
        const [ga, gb] = await Promise.all([a.claimDue(now, 50, 60_000), b.claimDue(now, 50, 60_000)]);
        const ida = ga.map((r) => r._id);
        const idb = gb.map((r) => r._id);
        expect(ida.filter((id) => idb.includes(id))).toEqual([]);
        expect([...ida, ...idb].sort()).toHaveLength(20);
        expect(new Set([...ida, ...idb]).size).toBe(20);
        expect([...ga, ...gb].every((r) => r.lockedUntil?.getTime() === now.getTime() + 60_000)).toBe(true);
        // Both claimed something (they really raced), earliest due first within each.
        for (const g of [ga, gb]) {
          expect(g.length).toBeGreaterThan(0);
          const due = g.map((r) => r.dueAt.getTime());
          expect(due).toEqual([...due].sort((x, y) => x - y));
        }
        // Nothing is left to claim while the locks hold.
        expect(await a.claimDue(at(0.5), 50, 60_000)).toEqual([]);
      } finally {
        await conn2.close();
      }
    } finally {
      await sweepDb.close();
    }
  });

  it('a locked reminder is not re-claimed until lockedUntil passes; sent ones never again', async () => {
    const sweepDb = await useTestDb();
    try {
      const s = new ReminderStore(sweepDb.connection, () => T0);
      await s.init();
      await s.create('tl', input('CO-2026-0001', 1, 0, { dueAt: at(0) }));
      await s.create('tl', input('CO-2026-0002', 1, 0, { dueAt: at(0) }));
      const first = await s.claimDue(at(1), 1, 10 * 60_000);
      expect(first).toHaveLength(1);
      const [claimed] = first;
      expect((await s.claimDue(at(2), 10, 10 * 60_000)).map((r) => r._id)).not.toContain(claimed!._id);
      expect(await s.claimDue(at(10), 10, 10 * 60_000)).toEqual([]);
      // The first claimer crashed: its lock runs out at +11 min and the reminder is due again.
      const again = await s.claimDue(at(11.5), 10, 10 * 60_000);
      expect(again.map((r) => r._id)).toEqual([claimed!._id]);
      expect(await s.markSent('tl', again[0]!.key)).toBe(true);
      const sent = (await s.listForRequest('tl', again[0]!.requestId))[0]!;
      expect(sent.state).toBe('sent');
      expect(sent).not.toHaveProperty('lockedUntil');
      expect(await s.claimDue(at(100), 10, 60_000)).toHaveLength(1); // only the other one
      await expect(s.claimDue(at(0), 10, 0)).rejects.toThrow(RangeError);
    } finally {
      await sweepDb.close();
    }
  });

  it('cancelled reminders are not claimed', async () => {
    const sweepDb = await useTestDb();
    try {
      const s = new ReminderStore(sweepDb.connection, () => T0);
      await s.init();
      await s.create('tz', input('CP-2026-0001', 1, 0, { dueAt: at(0) }));
      await s.cancel('tz', 'CP-2026-0001', { beforeVersion: 2 });
      expect(await s.claimDue(at(5), 10, 60_000)).toEqual([]);
    } finally {
      await sweepDb.close();
    }
  });
});
