/**
 * The monthly list of carriers pending destruction: to the security office (officers and head) in
 * their languages, with how long each has waited — from its destruction request's approval, which
 * a later write to the carrier does not move; "last status change", said as such, when no approval
 * is known — once per month across two runs of the slot;
 * nothing when there are none; cards within Lark's limits however long the list.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { validateCard } from '../../../cards/card.schema.js';
import { destructionListCard, inventoryProgressCard, periodNoticeCard } from '../../../cards/register.card.js';
import { bilingual } from '../../../locales/index.js';
import { useTestDb, type TestDb } from '../../helpers/mongo.js';
import { cadence, T, world, type World } from './helpers.js';

let db: TestDb;
let w: World;
const tb = (k: string, p?: Record<string, unknown>) => bilingual(k, p);

beforeAll(async () => {
  db = await useTestDb();
});
afterAll(() => db.close());
beforeEach(async () => {
  w = await world(db, '2027-01-10T02:00:00Z');
  for (const n of ['JM-1', 'JM-2', 'JM-3']) await w.add({ number: n, custodianId: 'ou_c1' });
});

describe('the monthly destruction list', () => {
  it('nothing is sent when no carrier is pending destruction', async () => {
    expect(await cadence(w, 'register.destruction').run(new Date('2027-02-01T01:00:00Z'))).toContain('0 lists');
    expect(w.fan.calls).toHaveLength(0);
  });

  it('lists the carriers pending destruction, longest waiting first, to the security office, once a month', async () => {
    w.locales.set('ou_so2', 'en-US');
    // Each set aside when its destruction request was approved (the claim and the approval at once).
    w.requests.set('DS-2027-0001', { id: 'DS-2027-0001', kind: 'DESTROY', state: 'APPROVED', approvedAt: w.clock.now().toISOString() });
    expect(await w.carriers.claim(T, 'JM-2', 'PENDING_DESTRUCTION', 'DS-2027-0001')).toEqual({ ok: true });
    w.clock.set('2027-01-20T02:00:00Z');
    w.requests.set('DS-2027-0002', { id: 'DS-2027-0002', kind: 'DESTROY', state: 'APPROVED', approvedAt: w.clock.now().toISOString() });
    expect(await w.carriers.claim(T, 'JM-3', 'PENDING_DESTRUCTION', 'DS-2027-0002')).toEqual({ ok: true });
    // Days later the request's carrier effect is applied again (a retried effect, a dead letter
    // retried): the same claim, which moves the carrier's updatedAt — not the waiting time.
    w.clock.set('2027-01-28T02:00:00Z');
    expect(await w.carriers.claim(T, 'JM-2', 'PENDING_DESTRUCTION', 'DS-2027-0001')).toEqual({ ok: true });
    expect((await w.carriers.get(T, 'JM-2'))!.updatedAt.toISOString()).toBe('2027-01-28T02:00:00.000Z');
    const slot = new Date('2027-02-01T01:00:00Z');
    w.clock.set(slot);
    const run = cadence(w, 'register.destruction');
    await run.run(slot);
    await run.run(slot);
    expect([...w.fan.notices.keys()].sort()).toEqual([`${T}:register:destruction:2027-02:en-US`, `${T}:register:destruction:2027-02:zh-CN`]);
    const zh = w.fan.notices.get(`${T}:register:destruction:2027-02:zh-CN`)!;
    const en = w.fan.notices.get(`${T}:register:destruction:2027-02:en-US`)!;
    expect(zh.to.sort()).toEqual(['ou_head', 'ou_so1']);
    expect(en.to).toEqual(['ou_so2']);
    expect(validateCard(zh.card)).toEqual({ ok: true });
    expect(zh.text).toContain('待销毁载体（2027-02）：2 份');
    expect(en.text).toContain('Carriers pending destruction (2027-02): 2');
    const table = (zh.card.body.elements.find((e) => e.tag === 'table') as { rows: Record<string, unknown>[] }).rows;
    expect(table.map((r) => [r.number, r.since, r.days, r.custodian])).toEqual([
      ['JM-2', '2027-01-10', 22, '名ou_c1'],
      ['JM-3', '2027-01-20', 12, '名ou_c1'],
    ]);
    expect(zh.text).not.toContain('JM-1');
    expect(zh.text).not.toContain('末次状态变更');
    // Next month it goes again (a notice of its own).
    await run.run(new Date('2027-03-01T01:00:00Z'));
    expect(w.fan.notices.has(`${T}:register:destruction:2027-03:zh-CN`)).toBe(true);
  });
  it('a carrier set aside with no approval on record: the date of its last status change, said as such', async () => {
    w.locales.set('ou_so2', 'en-US');
    // Marked by hand (no request), and one whose request is not a known destruction request.
    expect(await w.carriers.setStatus(T, 'JM-1', 'PENDING_DESTRUCTION')).toBe('changed');
    w.clock.set('2027-01-15T02:00:00Z');
    expect(await w.carriers.claim(T, 'JM-2', 'PENDING_DESTRUCTION', 'DS-2027-0404')).toEqual({ ok: true });
    w.clock.set('2027-01-20T02:00:00Z');
    w.requests.set('DS-2027-0003', { id: 'DS-2027-0003', kind: 'DESTROY', state: 'APPROVED', approvedAt: w.clock.now().toISOString() });
    expect(await w.carriers.claim(T, 'JM-3', 'PENDING_DESTRUCTION', 'DS-2027-0003')).toEqual({ ok: true });
    const slot = new Date('2027-02-01T01:00:00Z');
    w.clock.set(slot);
    await cadence(w, 'register.destruction').run(slot);
    const zh = w.fan.notices.get(`${T}:register:destruction:2027-02:zh-CN`)!;
    const en = w.fan.notices.get(`${T}:register:destruction:2027-02:en-US`)!;
    const rows = (n: typeof zh) => (n.card.body.elements.find((e) => e.tag === 'table') as { rows: Record<string, unknown>[] }).rows.map((r) => [r.number, r.since, r.days]);
    expect(rows(zh)).toEqual([
      ['JM-1', '2027-01-10（末次状态变更）', 22],
      ['JM-2', '2027-01-15（末次状态变更）', 17],
      ['JM-3', '2027-01-20', 12],
    ]);
    expect(rows(en)).toEqual([
      ['JM-1', '2027-01-10 (last status change)', 22],
      ['JM-2', '2027-01-15 (last status change)', 17],
      ['JM-3', '2027-01-20', 12],
    ]);
    expect(zh.text).toContain(bilingual('register:destruction.last_change_note').zh);
    expect(en.text).toContain('they may have waited longer');
    expect(validateCard(zh.card)).toEqual({ ok: true });
    expect(validateCard(en.card)).toEqual({ ok: true });
  });
});

describe('the register’s cards at their largest', () => {
  const names = (id: string) => ({ zh: `很长的名字${id}`, en: `A very long name ${id}` });

  it('the destruction list of 2,000 carriers fits, saying how many are not listed', () => {
    const rows = Array.from({ length: 2000 }, (_, i) => ({
      number: `JM-2026-${String(i).padStart(5, '0')}`,
      alias: '别名'.repeat(50),
      level: 'SECRET',
      custodianId: `ou_${i}`,
      since: '2026-01-01',
      ...(i % 3 ? {} : { sinceLastChange: true }),
      days: 400,
    }));
    for (const lang of ['zh-CN', 'en-US'] as const) {
      const card = destructionListCard({ month: '2027-02', rows }, { tb, names, lang });
      expect(validateCard(card)).toEqual({ ok: true });
      expect(JSON.stringify(card)).toMatch(/另有 \d+ 份未列出|\d+ more not listed/);
    }
  });

  it('the progress of a round with 3,000 custodians fits', () => {
    const checks = Array.from({ length: 3000 }, (_, i) => ({
      custodianId: `ou_${i}`,
      carriers: 12,
      state: i % 2 ? ('confirmed' as const) : ('pending' as const),
      missing: i % 7 ? [] : ['JM-1', 'JM-2'],
      incidents: i % 7 ? [] : ['INC-2027-0001'],
    }));
    const card = inventoryProgressCard(
      { roundId: 'INV-2027-Q1', startedAt: new Date(), remindAt: new Date(), checks, unassigned: Array.from({ length: 100 }, (_, i) => `U-${i}`) },
      { tb, names, timeZone: 'Asia/Shanghai' },
    );
    expect(validateCard(card)).toEqual({ ok: true });
    expect(JSON.stringify(card)).toContain('另有');
  });

  it('the period notice, before and on the day', () => {
    const v = { number: 'JM-1', alias: '别名'.repeat(60), level: 'SECRET', period: '10年', start: '2017-03-01', startIsIssue: true, end: '2027-03-01', days: 30 };
    expect(validateCard(periodNoticeCard(v, { tb }))).toEqual({ ok: true });
    const today = JSON.stringify(periodNoticeCard({ ...v, days: 0 }, { tb }));
    expect(today).toContain('保密期限今日届满：JM-1');
    expect(today).toContain('Expired');
    expect(JSON.stringify(periodNoticeCard({ ...v, period: undefined, startIsIssue: false }, { tb }))).toContain('未标注（按该密级最长期限）');
  });
});
