/**
 * The quarterly inventory on the real stores with a fake clock: one card per custodian (their
 * carriers only, a page at a time), once per slot across two runs of the same slot; "All held"
 * recorded once (double click, concurrent clicks), the card redrawn for its custodian only;
 * "Report missing" hands each carrier to the incidents feature once (retried by its alarm when the
 * call fails for a passing reason; a refusal — a BotError — is final: recorded, the security office
 * told once, never retried; the security office told when there is no incidents feature); the 7-day reminder to
 * those who have not confirmed, once; /inventory for the security office only.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Router } from '../../../bot/core/router.js';
import type { CardResponse } from '../../../bot/core/types.js';
import { validateCard } from '../../../cards/card.schema.js';
import { INVENTORY_HELD, INVENTORY_MISSING, INVENTORY_PAGE, inventoryCard } from '../../../cards/register.card.js';
import { bilingual } from '../../../locales/index.js';
import { requireButtonWhere } from '../../helpers/cards.js';
import { appWith, clickEvent, dispatch, fakeServices, textEvent } from '../../helpers/fake-services.js';
import { useTestDb, type TestDb } from '../../helpers/mongo.js';
import { cadence, T, world, type World } from './helpers.js';

let db: TestDb;
let w: World;
const SLOT = new Date('2027-01-01T01:00:00Z');
const ROUND = 'INV-2027-Q1';
const cardId = (custodian: string, lang = 'zh-CN') => `${T}:register:inv:${ROUND}:${custodian}:${lang}`;

function buttonValue(card: unknown, action: string): Record<string, unknown> {
  return requireButtonWhere(card, (v) => v.a === action, `no ${action} button`).value;
}

function clicker() {
  const services = fakeServices({ timezone: 'Asia/Shanghai' });
  services.prefs.locales.set(`${T}:ou_c1`, 'en-US');
  const router = new Router();
  w.feature.register!(router);
  const { app } = appWith(router, services);
  return async (who: string, value: Record<string, unknown>, formValue?: Record<string, unknown>): Promise<CardResponse> => {
    const { acks } = await dispatch(app, clickEvent(value, { tenantKey: T, operator: { openId: who }, action: { tag: 'button', value, ...(formValue ? { formValue } : {}) } }));
    return acks[0] ?? {};
  };
}

beforeAll(async () => {
  db = await useTestDb();
});
afterAll(() => db.close());
beforeEach(async () => {
  w = await world(db, '2026-12-20T02:00:00Z');
  w.locales.set('ou_c1', 'en-US');
  await w.add({ number: 'JM-A1', custodianId: 'ou_c1', alias: '年度计划' });
  await w.add({ number: 'JM-A2', custodianId: 'ou_c1', level: 'TOP_SECRET' });
  await w.add({ number: 'JM-A3', custodianId: 'ou_c1', status: 'CHECKED_OUT' });
  await w.add({ number: 'JM-A4', custodianId: 'ou_c1', status: 'DESTROYED' });
  await w.add({ number: 'JM-A5', custodianId: 'ou_c1', status: 'MISSING' });
  for (let i = 1; i <= 25; i++) await w.add({ number: `JM-B${String(i).padStart(2, '0')}`, custodianId: 'ou_c2' });
  await w.add({ number: 'JM-U1' });
  w.clock.set(SLOT);
});

describe('the quarterly round', () => {
  it('one card per custodian listing their carriers, once per slot across two runs', async () => {
    const run = cadence(w, 'register.inventory');
    expect(await run.run(SLOT)).toContain('INV-2027-Q1: 1 rounds, 2 custodians asked');
    await run.run(SLOT);
    expect([...w.fan.notices.keys()].sort()).toEqual([cardId('ou_c1', 'en-US'), cardId('ou_c2')]);
    expect(w.fan.notices.get(cardId('ou_c1', 'en-US'))!.to).toEqual(['ou_c1']);
    expect(w.fan.notices.get(cardId('ou_c2'))!.to).toEqual(['ou_c2']);
    expect(await w.inventory.checksOf(T, ROUND)).toHaveLength(2);
    expect(w.audits.filter((a) => a.action === 'inventory.start')).toHaveLength(1);
    const round = await w.inventory.getRound(T, ROUND);
    expect(round).toMatchObject({ custodians: 2, carriers: 29, unassigned: ['JM-U1'] });
    expect(round!.remindAt.toISOString()).toBe('2027-01-08T01:00:00.000Z');

    const c1 = w.fan.notices.get(cardId('ou_c1', 'en-US'))!;
    expect(validateCard(c1.card)).toEqual({ ok: true });
    expect(c1.text).toContain('JM-A1');
    expect(c1.text).toContain('JM-A3');
    expect(c1.text).not.toContain('JM-A4');
    expect(c1.text).not.toContain('JM-A5');
    expect(c1.text).toContain('All held (3)');
    expect(c1.text).not.toContain('全部在位');
    // 25 carriers: a page at a time, with the way to the next page.
    const c2 = w.fan.notices.get(cardId('ou_c2'))!;
    expect(validateCard(c2.card)).toEqual({ ok: true });
    expect(c2.text).toContain('第 1–10 份，共 25 份（第 1/3 页）');
    expect(c2.text).toContain('JM-B10');
    expect(c2.text).not.toContain('JM-B11');
    expect(buttonValue(c2.card, INVENTORY_PAGE)).toMatchObject({ r: ROUND, x: { c: 'ou_c2', p: 1 } });
    // A tenant without carriers in custody gets no round; the next quarter is a round of its own.
    expect(await cadence(w, 'register.inventory').run(new Date('2027-04-01T01:00:00Z'))).toContain('INV-2027-Q2');
  });

  it('"All held": recorded once for a double click and for two clicks at once; the card redrawn for its custodian only', async () => {
    await cadence(w, 'register.inventory').run(SLOT);
    const click = clicker();
    const c1 = w.fan.notices.get(cardId('ou_c1', 'en-US'))!.card;
    const first = await click('ou_c1', buttonValue(c1, INVENTORY_HELD), {});
    expect(first.toast).toMatchObject({ type: 'success', content: 'Confirmed: all held' });
    expect(JSON.stringify(first.card)).toContain('You confirmed the inventory on 2027-01-01 09:00');
    expect(validateCard(first.card!.data)).toEqual({ ok: true });
    const second = await click('ou_c1', buttonValue(c1, INVENTORY_HELD), {});
    expect(second.toast).toMatchObject({ type: 'info', content: 'You already confirmed this round' });
    // Two clicks at once on the other card.
    const c2 = w.fan.notices.get(cardId('ou_c2'))!.card;
    const both = await Promise.all([click('ou_c2', buttonValue(c2, INVENTORY_HELD), {}), click('ou_c2', buttonValue(c2, INVENTORY_HELD), {})]);
    expect(both.map((r) => r.toast?.content).sort()).toEqual(['已确认全部在位', '本轮清查您已确认过']);
    expect(w.audits.filter((a) => a.action === 'inventory.confirm').map((a) => a.actorId)).toEqual(['ou_c1', 'ou_c2']);
    expect((await w.inventory.checksOf(T, ROUND, 'confirmed')).map((c) => c.custodianId)).toEqual(['ou_c1', 'ou_c2']);
  });

  it('someone else’s card refuses them; pages redraw', async () => {
    await cadence(w, 'register.inventory').run(SLOT);
    const click = clicker();
    const c2 = w.fan.notices.get(cardId('ou_c2'))!.card;
    // ou_c1 has a check of their own in this round: c2's card still refuses them.
    const other = await click('ou_c1', buttonValue(c2, INVENTORY_HELD), {});
    expect(other.toast).toMatchObject({ type: 'error', content: 'This inventory card is not for you.' });
    expect(other.card).toBeUndefined();
    // A value naming the clicker (forged) from someone with no check in the round.
    const held = buttonValue(c2, INVENTORY_HELD);
    const stranger = await click('ou_x', { ...held, x: { c: 'ou_x', p: 0 } }, {});
    expect(stranger.toast?.type).toBe('error');
    expect(stranger.toast?.content).toBe(bilingual('register:inventory.not_yours').zh);
    expect(w.audits.filter((a) => a.outcome === 'refused').map((a) => [a.action, a.actorId])).toEqual([
      ['inventory.card', 'ou_c1'],
      ['inventory.card', 'ou_x'],
    ]);
    expect(await w.inventory.checksOf(T, ROUND, 'confirmed')).toHaveLength(0);
    const next = await click('ou_c2', buttonValue(c2, INVENTORY_PAGE));
    const text = JSON.stringify(next.card);
    expect(text).toContain('第 11–20 份，共 25 份（第 2/3 页）');
    expect(text).toContain('JM-B11');
    expect(text).not.toContain('JM-B10"');
    expect(buttonValue(next.card!.data, INVENTORY_HELD)).toMatchObject({ x: { p: 1 } });
  });
});

describe('reporting carriers missing', () => {
  it('calls the incident API once per carrier, whatever the clicks; then the rest are confirmed', async () => {
    await cadence(w, 'register.inventory').run(SLOT);
    const click = clicker();
    const card = w.fan.notices.get(cardId('ou_c2'))!.card;
    const missing = buttonValue(card, INVENTORY_MISSING);
    const none = await click('ou_c2', missing, { missing: [] });
    expect(none.toast?.content).toBe(bilingual('register:inventory.pick_first').zh);
    const r = await click('ou_c2', missing, { missing: ['JM-B04', 'JM-B03'] });
    expect(r.toast?.content).toBe('已报告 2 份下落不明，已立案 INC-2027-0001');
    expect(w.incidents.calls).toHaveLength(1);
    expect(w.incidents.calls[0]).toEqual([
      T,
      {
        carrierIds: ['JM-B03', 'JM-B04'],
        reportedBy: 'ou_c2',
        sourceKey: expect.stringMatching(/^register:inventory:INV-2027-Q1:ou_c2:[0-9a-f]{16}$/),
        note: 'inventory INV-2027-Q1',
      },
    ]);
    expect(JSON.stringify(r.card)).toContain('已报告下落不明**（2 份）：JM-B03, JM-B04');
    expect(JSON.stringify(r.card)).toContain('INC-2027-0001');
    expect(validateCard(r.card!.data)).toEqual({ ok: true });
    // The same selection again, and two clicks at once: nothing new reaches the incidents feature.
    const again = await click('ou_c2', missing, { missing: ['JM-B03', 'JM-B04'] });
    expect(again.toast).toMatchObject({ type: 'info', content: '这些载体已报告过' });
    await Promise.all([click('ou_c2', missing, { missing: ['JM-B05'] }), click('ou_c2', missing, { missing: ['JM-B05'] })]);
    expect(w.incidents.calls.map((c) => c[1].carrierIds)).toEqual([['JM-B03', 'JM-B04'], ['JM-B05']]);
    const notListed = await click('ou_c2', missing, { missing: ['JM-A1'] });
    expect(notListed.toast?.type).toBe('error');
    // "All held" with carriers ticked is refused; the others held, then.
    const ticked = await click('ou_c2', buttonValue(card, INVENTORY_HELD), { missing: ['JM-B06'] });
    expect(ticked.toast?.type).toBe('error');
    const rest = await click('ou_c2', buttonValue(card, INVENTORY_HELD), { missing: [] });
    expect(rest.toast?.content).toBe('已确认其余载体在位');
    const check = await w.inventory.getCheck(T, ROUND, 'ou_c2');
    expect(check).toMatchObject({ state: 'confirmed', missing: ['JM-B03', 'JM-B04', 'JM-B05'] });
    // After the confirmation nothing more is reported from this card.
    const late = await click('ou_c2', missing, { missing: ['JM-B07'] });
    expect(late.toast?.content).toBe('本轮清查您已确认过');
    expect(w.incidents.calls).toHaveLength(2);
    expect(w.audits.filter((a) => a.action === 'inventory.missing')).toHaveLength(2);
    // The alarms behind the reports find their incidents opened: no further call.
    w.clock.set(SLOT.getTime() + 10 * 60_000);
    expect(await w.sweeper.sweep()).toMatchObject({ done: 0, skipped: 2 });
    expect(w.incidents.calls).toHaveLength(2);
  });

  it('a failed call is retried by the alarm until the incident is open', async () => {
    await cadence(w, 'register.inventory').run(SLOT);
    w.incidents.fail = 2;
    const click = clicker();
    const card = w.fan.notices.get(cardId('ou_c2'))!.card;
    const res = await click('ou_c2', buttonValue(card, INVENTORY_MISSING), { missing: ['JM-B01'] });
    expect(res.toast?.content).toBe('已报告 1 份下落不明，正在立案');
    w.clock.set(SLOT.getTime() + 5 * 60_000);
    expect(await w.sweeper.sweep()).toMatchObject({ failed: 1 });
    w.clock.set(SLOT.getTime() + 7 * 60_000);
    expect(await w.sweeper.sweep()).toMatchObject({ done: 1 });
    expect(w.incidents.calls).toHaveLength(3);
    const check = await w.inventory.getCheck(T, ROUND, 'ou_c2');
    expect(Object.values(check!.reports)[0]!.incidentId).toBe('INC-2027-0001');
    w.clock.set(SLOT.getTime() + 3_600_000);
    await w.sweeper.sweep();
    expect(w.incidents.calls).toHaveLength(3);
  });

  it('a refusal by the incidents feature is final: recorded on the report, the security office told once, never retried', async () => {
    await cadence(w, 'register.inventory').run(SLOT);
    // JM-B01's status changed since the card was sent: the incidents feature refuses it (a BotError).
    w.incidents.refuse.add('JM-B01');
    const click = clicker();
    const card = w.fan.notices.get(cardId('ou_c2'))!.card;
    const res = await click('ou_c2', buttonValue(card, INVENTORY_MISSING), { missing: ['JM-B01'] });
    // The custodian is told the truth, not "being opened".
    expect(res.toast).toMatchObject({ type: 'warning', content: '已报告 1 份下落不明，但未能立案：这些载体当前状态不能报丢失：JM-B01。已通知保密办。' });
    expect(w.incidents.calls).toHaveLength(1);
    const [alarm] = await w.alarms.list(T, 'register', `inv:${ROUND}:ou_c2`);
    expect(alarm).toBeDefined();
    const office = w.fan.list((n) => n.id.includes(':refused:'));
    expect(office.map((n) => n.id)).toEqual([`${alarm!._id}:refused:zh-CN`]);
    expect(office[0]!.to.sort()).toEqual(['ou_head', 'ou_so1', 'ou_so2']);
    expect(office[0]!.text).toContain('清查中报告的下落不明未能立案：INV-2027-Q1');
    expect(office[0]!.text).toContain('JM-B01');
    expect(office[0]!.text).toContain('名ou_c2');
    expect(office[0]!.text).toContain('这些载体当前状态不能报丢失：JM-B01');
    expect(validateCard(office[0]!.card)).toEqual({ ok: true });
    const report = Object.values((await w.inventory.getCheck(T, ROUND, 'ou_c2'))!.reports)[0]!;
    expect(report.incidentId).toBeUndefined();
    expect(report.refused).toMatchObject({ code: 'incident:not_missable', reason: { zh: '这些载体当前状态不能报丢失：JM-B01。' } });
    expect(w.audits.filter((a) => a.action === 'inventory.incident_refused')).toEqual([expect.objectContaining({ outcome: 'refused', actorId: 'system' })]);
    // The alarm behind the report finds the refusal: no retry, no second call, no second notice.
    for (const m of [5, 7, 11, 60, 24 * 60]) {
      w.clock.set(SLOT.getTime() + m * 60_000);
      expect(await w.sweeper.sweep()).toMatchObject({ failed: 0 });
    }
    expect(w.incidents.calls).toHaveLength(1);
    expect((await w.alarms.get(T, alarm!.key))?.state).toBe('done');
    expect(w.fan.calls.filter((c) => c.id.includes(':refused:'))).toHaveLength(1);
  });

  it('a passing failure is retried; a refusal on the retry is final and reaches the security office', async () => {
    await cadence(w, 'register.inventory').run(SLOT);
    w.locales.set('ou_so2', 'en-US');
    w.incidents.fail = 1;
    const click = clicker();
    const card = w.fan.notices.get(cardId('ou_c2'))!.card;
    const res = await click('ou_c2', buttonValue(card, INVENTORY_MISSING), { missing: ['JM-B02'] });
    expect(res.toast?.content).toBe('已报告 1 份下落不明，正在立案');
    // Meanwhile the carrier's status changes: the retry is refused.
    w.incidents.refuse.add('JM-B02');
    w.clock.set(SLOT.getTime() + 5 * 60_000);
    expect(await w.sweeper.sweep()).toMatchObject({ done: 1, failed: 0 });
    const [alarm] = await w.alarms.list(T, 'register', `inv:${ROUND}:ou_c2`);
    expect(alarm!.state).toBe('done');
    expect(w.fan.list((n) => n.id.includes(':refused:')).map((n) => [n.id, n.to.sort()])).toEqual([
      [`${alarm!._id}:refused:en-US`, ['ou_so2']],
      [`${alarm!._id}:refused:zh-CN`, ['ou_head', 'ou_so1']],
    ]);
    expect(w.fan.notices.get(`${alarm!._id}:refused:en-US`)!.text).toContain('The incidents feature refused to open an incident: These carriers cannot be reported missing');
    w.clock.set(SLOT.getTime() + 3_600_000);
    await w.sweeper.sweep();
    expect(w.incidents.calls).toHaveLength(2);
  });

  it('without the incidents feature the security office is told, once', async () => {
    w.noIncidents = true;
    await cadence(w, 'register.inventory').run(SLOT);
    const click = clicker();
    const card = w.fan.notices.get(cardId('ou_c2'))!.card;
    await click('ou_c2', buttonValue(card, INVENTORY_MISSING), { missing: ['JM-B02'] });
    w.clock.set(SLOT.getTime() + 5 * 60_000);
    await w.sweeper.sweep();
    const office = w.fan.list((n) => n.id.endsWith(':office:zh-CN'));
    expect(office).toHaveLength(1);
    expect(office[0]!.to.sort()).toEqual(['ou_head', 'ou_so1', 'ou_so2']);
    expect(office[0]!.text).toContain('JM-B02');
    expect(office[0]!.text).toContain('名ou_c2');
    expect(validateCard(office[0]!.card)).toEqual({ ok: true });
    expect(w.fan.calls.filter((c) => c.id.endsWith(':office:zh-CN'))).toHaveLength(2);
  });
});

describe('the 7-day reminder and /inventory', () => {
  it('reminds those who have not confirmed, once, at 09:00 seven days after', async () => {
    await cadence(w, 'register.inventory').run(SLOT);
    await cadence(w, 'register.inventory').run(SLOT);
    await w.inventory.confirm(T, ROUND, 'ou_c1', w.clock.now());
    const remindAt = new Date('2027-01-08T01:00:00Z');
    w.clock.set(remindAt.getTime() - 60_000);
    expect(await w.sweeper.sweep()).toMatchObject({ done: 0 });
    w.clock.set(remindAt);
    expect(await w.sweeper.sweep()).toMatchObject({ done: 1 });
    await w.sweeper.sweep();
    const reminders = w.fan.list((n) => n.id.includes(':remind:'));
    expect(reminders.map((n) => [n.id, n.to])).toEqual([[`${T}:register:inv:${ROUND}:remind:ou_c2:zh-CN`, ['ou_c2']]]);
    expect(reminders[0]!.text).toContain('您尚未确认本季度清查');
    // Everybody confirmed: the reminder of a round is skipped.
    w.clock.set(new Date('2027-04-01T01:00:00Z'));
    await cadence(w, 'register.inventory').run(w.clock.now());
    for (const c of ['ou_c1', 'ou_c2']) await w.inventory.confirm(T, 'INV-2027-Q2', c, w.clock.now());
    w.clock.set(new Date('2027-04-08T01:00:00Z'));
    expect(await w.sweeper.sweep()).toMatchObject({ done: 0, skipped: 1 });
  });

  it('/inventory shows the security office who confirmed, who has not and what is missing; refuses others', async () => {
    await cadence(w, 'register.inventory').run(SLOT);
    await w.inventory.confirm(T, ROUND, 'ou_c1', w.clock.now());
    await w.inventory.reportMissing(T, ROUND, 'ou_c2', ['JM-B09'], w.clock.now());
    const services = fakeServices({ timezone: 'Asia/Shanghai' });
    const router = new Router();
    w.feature.register!(router);
    const { app } = appWith(router, services);
    await app.dispatch(textEvent('/清查', { tenantKey: T, sender: { openId: 'ou_so1', type: 'user' } }), () => undefined);
    const sent = services.sender.sent.at(-1)!;
    expect(sent.message?.type).toBe('card');
    const text = JSON.stringify(sent.message);
    expect(text).toContain('清查进度：INV-2027-Q1');
    expect(text).toContain('**未确认**（1）：名ou_c2（25 份）');
    expect(text).toContain('**已确认**（1）：名ou_c1');
    expect(text).toContain('名ou_c2：JM-B09');
    expect(text).toContain('JM-U1');
    if (sent.message?.type === 'card') expect(validateCard(sent.message.card)).toEqual({ ok: true });
    await app.dispatch(textEvent('/inventory', { tenantKey: T, sender: { openId: 'ou_c2', type: 'user' } }), () => undefined);
    expect(services.sender.texts().at(-1)).toBe(bilingual('register:inventory.not_allowed').zh);
    expect(w.audits.filter((a) => a.outcome === 'refused').map((a) => a.action)).toEqual(['inventory.view']);
    await app.dispatch(textEvent('/inventory INV-2020-Q1', { tenantKey: T, sender: { openId: 'ou_head', type: 'user' } }), () => undefined);
    expect(services.sender.texts().at(-1)).toBe(bilingual('register:inventory.no_such_round', { round: 'INV-2020-Q1' }).zh);
  });
});

describe('a custodian with a large custody', () => {
  it('every page of 500 carriers with the longest aliases fits Lark’s limits', () => {
    const items = Array.from({ length: 500 }, (_, i) => ({
      number: `JM-2026-${String(i).padStart(5, '0')}-长编号`,
      alias: '很长的别名'.repeat(20),
      level: 'TOP_SECRET',
      status: 'PENDING_DESTRUCTION',
    }));
    const view = { roundId: ROUND, custodianId: 'ou_c1', items, state: 'pending' as const, missing: items.slice(0, 200).map((i) => i.number), incidents: ['INC-2027-0001'] };
    const tb = (k: string, p?: Record<string, unknown>) => bilingual(k, p);
    for (const page of [0, 1, 24, 49, 60]) {
      for (const lang of ['zh-CN', 'en-US'] as const) {
        const card = inventoryCard(view, { tb, lang, timeZone: 'Asia/Shanghai', page, reminder: true });
        expect(validateCard(card), `page ${page}`).toEqual({ ok: true });
      }
    }
    expect(JSON.stringify(inventoryCard(view, { tb, lang: 'zh-CN', timeZone: 'Asia/Shanghai', page: 60 }))).toContain('第 491–500 份，共 500 份（第 50/50 页）');
  });
});
