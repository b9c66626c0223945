import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotificationLog } from '../../models/notification.model.js';
import { useTestDb, type TestDb } from '../helpers/mongo.js';

let db: TestDb;
let log: NotificationLog;
const NOW = new Date('2026-03-02T02:00:00Z');

beforeAll(async () => {
  db = await useTestDb();
  log = new NotificationLog(db.connection, () => NOW);
  await log.init();
});
afterAll(async () => {
  await db?.close();
});

/**
 * A stand-in for Lark's send with a uuid: a repeated uuid within the window returns the first
 * message instead of sending again. `delivered` counts messages that really reached someone.
 */
function fakeLark() {
  const byUuid = new Map<string, string>();
  let calls = 0;
  let delivered = 0;
  return {
    get calls() {
      return calls;
    },
    get delivered() {
      return delivered;
    },
    send: (uuid: string) => async () => {
      calls++;
      await new Promise((r) => setTimeout(r, Math.random() * 5));
      let id = byUuid.get(uuid);
      if (!id) {
        id = `om_${++delivered}`;
        byUuid.set(uuid, id);
      }
      return { messageId: id };
    },
  };
}

const records = (q: Record<string, unknown> = {}) => db.connection.collection('notifications').countDocuments(q);

describe('sendOnce', () => {
  it('sends, records, and a sequential second call does not send', async () => {
    const lark = fakeLark();
    expect(await log.sendOnce('t1', 'CP-2026-0001:1:3:notify', lark.send('u1'))).toEqual({ messageId: 'om_1', sent: true });
    expect(await log.sendOnce('t1', 'CP-2026-0001:1:3:notify', lark.send('u1'))).toEqual({ messageId: 'om_1', sent: false });
    expect(lark.calls).toBe(1);
    const doc = await db.connection.collection('notifications').findOne({ _id: 't1:CP-2026-0001:1:3:notify' as never });
    expect(doc).toEqual({ _id: 't1:CP-2026-0001:1:3:notify', key: 'CP-2026-0001:1:3:notify', tenantKey: 't1', messageId: 'om_1', at: NOW });
  });

  it('10 concurrent calls: every caller gets the same messageId, one record, one message delivered', async () => {
    const lark = fakeLark();
    const got = await Promise.all(Array.from({ length: 10 }, () => log.sendOnce('t1', 'DS-2026-0001:4:2:notify', lark.send('u2'))));
    expect(new Set(got.map((g) => g.messageId))).toEqual(new Set(['om_1']));
    expect(got.filter((g) => g.sent)).toHaveLength(1);
    expect(await records({ key: 'DS-2026-0001:4:2:notify' })).toBe(1);
    expect(lark.delivered).toBe(1);
    // Concurrent first attempts may all call send() (Lark's uuid dedupes them): at least one did.
    expect(lark.calls).toBeGreaterThanOrEqual(1);
    expect(lark.calls).toBeLessThanOrEqual(10);
    await log.sendOnce('t1', 'DS-2026-0001:4:2:notify', lark.send('u2'));
    const callsAfter = lark.calls;
    await log.sendOnce('t1', 'DS-2026-0001:4:2:notify', lark.send('u2'));
    expect(lark.calls).toBe(callsAfter);
  });

  it('concurrent senders whose messages differ all get the one recorded first', async () => {
    let n = 0;
    const send = async () => {
      const id = `om_race_${++n}`;
      await new Promise((r) => setTimeout(r, Math.random() * 5));
      return { messageId: id };
    };
    const got = await Promise.all(Array.from({ length: 10 }, () => log.sendOnce('t1', 'race', send)));
    const stored = await db.connection.collection('notifications').findOne({ _id: 't1:race' as never });
    expect(got.every((g) => g.messageId === stored?.messageId)).toBe(true);
    expect(await records({ key: 'race' })).toBe(1);
  });

  it('keys are scoped by tenant (effect keys repeat across tenants)', async () => {
    const lark = fakeLark();
    expect((await log.sendOnce('t2', 'CP-2026-0001:1:3:notify', lark.send('t2-u1'))).sent).toBe(true);
    expect(lark.calls).toBe(1);
    expect(await records({ key: 'CP-2026-0001:1:3:notify' })).toBe(2);
  });

  it('a failed send records nothing, so the retry sends', async () => {
    await expect(
      log.sendOnce('t1', 'fails-first', async () => {
        throw new Error('lark 500');
      }),
    ).rejects.toThrow('lark 500');
    expect(await records({ key: 'fails-first' })).toBe(0);
    expect(await log.sendOnce('t1', 'fails-first', async () => ({ messageId: 'om_ok' }))).toEqual({ messageId: 'om_ok', sent: true });
  });
});
