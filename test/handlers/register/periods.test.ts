/**
 * Classification-period reminders on the real alarm store with a fake clock: the daily run sets
 * d90 / d30 / d7 / d0 for carriers ending within 90 days (09:00 in the unit's zone), each fires once
 * at its time to the custodian and the classification officers in their language, none for a
 * carrier destroyed meanwhile or without an end, none set for days already past, and a
 * re-classified carrier's reminders follow its new end.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { validateCard } from '../../../cards/card.schema.js';
import { useTestDb, type TestDb } from '../../helpers/mongo.js';
import { cadence, T, world, type World } from './helpers.js';

let db: TestDb;
let w: World;
const DAY = 86_400_000;
/** 09:00 in Shanghai on a date. */
const nine = (date: string) => new Date(`${date}T01:00:00Z`);
const periodNotices = (number: string, kind: string) => w.fan.list((n) => n.id.startsWith(`${T}:register:${number}:${kind}:`));
/** A reminder's notice: the alarm's id, the end it reminds of, the reader language. */
const noticeId = (number: string, kind: string, end: string, lang: string) => `${T}:register:${number}:${kind}:${end}:${lang}`;

async function daily(at: Date): Promise<string> {
  w.clock.set(at);
  return cadence(w, 'register.periods').run(at);
}
async function sweepAt(at: Date) {
  w.clock.set(at);
  return w.sweeper.sweep();
}

beforeAll(async () => {
  db = await useTestDb();
});
afterAll(() => db.close());
beforeEach(async () => {
  w = await world(db, '2026-11-01T01:00:00Z');
  // Ends 2027-03-01 (10 years from its issue date).
  await w.add({ number: 'JM-1', period: '10年', issuedOn: '2017-03-01', custodianId: 'ou_c1' });
  // The same end, destroyed after the first reminder.
  await w.add({ number: 'JM-2', period: '10年', issuedOn: '2017-03-01', custodianId: 'ou_c2' });
  // No end: long-term, a condition; and one far away.
  await w.add({ number: 'SM-1', level: 'CORE', period: '长期', custodianId: 'ou_c1' });
  await w.add({ number: 'JM-3', period: '公布前', custodianId: 'ou_c1' });
  await w.add({ number: 'JM-4', period: '20年', issuedOn: '2010-01-01', custodianId: 'ou_c1' });
  w.locales.set('ou_c1', 'en-US');
});

describe('classification period reminders', () => {
  it('the register keeps the issue date (制发日期); a date that is not one is refused', async () => {
    expect((await w.carriers.get(T, 'JM-1'))?.issuedOn).toBe('2017-03-01');
    expect((await w.carriers.get(T, 'JM-3'))?.issuedOn).toBeUndefined();
    await expect(w.add({ number: 'JM-X', issuedOn: '2017-02-30' })).rejects.toThrow(/issuedOn/);
    await expect(w.add({ number: 'JM-Y', issuedOn: '1 March 2017' })).rejects.toThrow(/issuedOn/);
    expect(await w.carriers.get(T, 'JM-X')).toBeNull();
  });

  it('d90, d30, d7 and on the day: each once, at 09:00 local, to the custodian and the classification officer', async () => {
    // 91 days before: nothing yet.
    await daily(nine('2026-11-30'));
    expect(await w.alarms.pending(T, 'register')).toHaveLength(0);
    await daily(nine('2026-12-01'));
    const set = await w.alarms.pending(T, 'register');
    expect(set.map((a) => a.key).sort()).toEqual([
      'register:JM-1:d0',
      'register:JM-1:d30',
      'register:JM-1:d7',
      'register:JM-1:d90',
      'register:JM-2:d0',
      'register:JM-2:d30',
      'register:JM-2:d7',
      'register:JM-2:d90',
    ]);
    const dueOf = (k: string) => set.find((a) => a.key === `register:JM-1:${k}`)!.dueAt.toISOString();
    expect(dueOf('d90')).toBe('2026-12-01T01:00:00.000Z');
    expect(dueOf('d30')).toBe('2027-01-30T01:00:00.000Z');
    expect(dueOf('d7')).toBe('2027-02-22T01:00:00.000Z');
    expect(dueOf('d0')).toBe('2027-03-01T01:00:00.000Z');
    // The same slot again (catch-up, another instance): nothing more.
    await daily(nine('2026-12-01'));
    expect(await w.alarms.pending(T, 'register')).toHaveLength(8);

    await sweepAt(nine('2026-12-01'));
    const d90 = periodNotices('JM-1', 'd90');
    expect(d90.map((n) => n.id).sort()).toEqual([noticeId('JM-1', 'd90', '2027-03-01', 'en-US'), noticeId('JM-1', 'd90', '2027-03-01', 'zh-CN')]);
    expect(d90.find((n) => n.id.endsWith('en-US'))!.to).toEqual(['ou_c1']);
    expect(d90.find((n) => n.id.endsWith('zh-CN'))!.to).toEqual(['ou_cls']);
    expect(d90.find((n) => n.id.endsWith('en-US'))!.text).toContain('ends in 90 days: JM-1');
    expect(d90.find((n) => n.id.endsWith('zh-CN'))!.text).toContain('保密期限 90 天后届满：JM-1');
    for (const n of w.fan.list()) expect(validateCard(n.card)).toEqual({ ok: true });

    // JM-2 is destroyed: none of its later reminders goes out.
    expect(await w.carriers.setStatus(T, 'JM-2', 'DESTROYED')).toBe('changed');
    await sweepAt(nine('2026-12-01'));
    await daily(nine('2026-12-02'));
    const calls = w.fan.calls.length;
    await sweepAt(new Date(nine('2027-01-30').getTime() - 60_000));
    expect(w.fan.calls.length).toBe(calls);
    await sweepAt(nine('2027-01-30'));
    expect(periodNotices('JM-1', 'd30')).toHaveLength(2);
    await sweepAt(nine('2027-02-22'));
    expect(periodNotices('JM-1', 'd7')).toHaveLength(2);
    expect(periodNotices('JM-1', 'd7')[0]!.text).toMatch(/7 (天后|days)/);
    await sweepAt(nine('2027-03-01'));
    const d0 = periodNotices('JM-1', 'd0');
    expect(d0).toHaveLength(2);
    expect(d0.find((n) => n.id.endsWith('en-US'))!.text).toContain('declassified automatically unless');
    expect(d0.find((n) => n.id.endsWith('zh-CN'))!.text).toContain('自行解密');
    // Later sweeps and runs: nothing more, for anyone.
    await sweepAt(new Date(nine('2027-03-01').getTime() + 3 * DAY));
    await daily(nine('2027-03-02'));
    await sweepAt(nine('2027-03-02'));
    // JM-2: its custodian and the officer read Chinese, one notice: only the d90 one, before it was destroyed.
    expect(w.fan.list((n) => n.id.includes(':JM-2:')).map((n) => [n.id, n.to.sort()])).toEqual([[noticeId('JM-2', 'd90', '2027-03-01', 'zh-CN'), ['ou_c2', 'ou_cls']]]);
    // Each notice handed to the fan-out exactly once: never a second hand-over.
    expect(w.fan.calls.length).toBe(w.fan.notices.size);
    expect(w.fan.list((n) => /:(SM-1|JM-3|JM-4):/.test(n.id))).toHaveLength(0);
  });

  it('a carrier that comes into view late gets only the reminders still ahead; declassified → none', async () => {
    w.clock.set(nine('2027-02-15'));
    // Registered with 20 days left.
    await w.add({ number: 'JM-9', period: '2027-03-07', custodianId: 'ou_c9' });
    await w.add({ number: 'JM-8', period: '2027-03-07', custodianId: 'ou_c9', status: 'DECLASSIFIED' });
    await daily(nine('2027-02-15'));
    const keys = (await w.alarms.pending(T, 'register')).map((a) => a.key).sort();
    expect(keys).toEqual(['register:JM-1:d0', 'register:JM-1:d7', 'register:JM-2:d0', 'register:JM-2:d7', 'register:JM-9:d0', 'register:JM-9:d7']);
    await sweepAt(nine('2027-02-28'));
    expect(periodNotices('JM-9', 'd7')).toHaveLength(1);
    expect(periodNotices('JM-9', 'd7')[0]!.to.sort()).toEqual(['ou_c9', 'ou_cls']);
    expect(w.fan.list((n) => n.id.includes(':JM-8:'))).toHaveLength(0);
  });

  it('re-classified (period extended): the old reminders are skipped, the new end gets its own, delivered', async () => {
    await daily(nine('2026-12-01'));
    await sweepAt(nine('2026-12-01'));
    expect(
      periodNotices('JM-1', 'd90')
        .map((n) => n.id)
        .sort(),
    ).toEqual([noticeId('JM-1', 'd90', '2027-03-01', 'en-US'), noticeId('JM-1', 'd90', '2027-03-01', 'zh-CN')]);
    // Extended to 20 years before the d30 reminder: it now ends 2037-03-01.
    await db.connection.collection('carriers').updateOne({ tenantKey: T, number: 'JM-1' }, { $set: { period: '20年' } });
    // The fan-out keeps every notice id for good (no clearing): what follows must reach people anyway.
    const calls = w.fan.calls.length;
    const jm1 = () => w.fan.calls.filter((c) => c.id.includes(':JM-1:'));
    const handedOver = jm1().length;
    await sweepAt(nine('2027-03-01'));
    expect(jm1()).toHaveLength(handedOver);
    expect((await w.alarms.list(T, 'register', 'JM-1')).every((a) => a.state !== 'pending')).toBe(true);
    // 90 days before the new end the reminders start again: the same alarms, re-armed for the new end.
    await daily(nine('2036-12-01'));
    const again = await w.alarms.list(T, 'register', 'JM-1');
    expect(
      again
        .filter((a) => a.state === 'pending')
        .map((a) => a.kind)
        .sort(),
    ).toEqual(['d0', 'd30', 'd7', 'd90']);
    expect(again.find((a) => a.kind === 'd0')!.dueAt.toISOString()).toBe('2037-03-01T01:00:00.000Z');
    await sweepAt(nine('2036-12-01'));
    // The reminder for the new end is a new notice (created, so the outbox sends it), in each language.
    const fresh = w.fan.calls.slice(calls).filter((c) => c.id.includes(':JM-1:'));
    expect(fresh.map((c) => c.id).sort()).toEqual([noticeId('JM-1', 'd90', '2037-03-01', 'en-US'), noticeId('JM-1', 'd90', '2037-03-01', 'zh-CN')]);
    const en = w.fan.notices.get(noticeId('JM-1', 'd90', '2037-03-01', 'en-US'))!;
    const zh = w.fan.notices.get(noticeId('JM-1', 'd90', '2037-03-01', 'zh-CN'))!;
    expect(en.to).toEqual(['ou_c1']);
    expect(zh.to).toEqual(['ou_cls']);
    expect(en.text).toContain('ends in 90 days: JM-1');
    expect(en.text).toContain('2037-03-01');
    expect(zh.text).toContain('2037-03-01');
    // A later run and sweep add nothing: each notice handed to the fan-out once.
    await daily(nine('2036-12-02'));
    await sweepAt(nine('2036-12-02'));
    expect(periodNotices('JM-1', 'd90')).toHaveLength(4);
    expect(w.fan.calls.length).toBe(w.fan.notices.size);
  });
});
