/**
 * The register's calendar through the whole bot (real SDK, the Lark stand-in, the embedded store)
 * on a moved clock, in both languages: carriers registered with their issue date; 90 days before a
 * period ends the custodian (English) and the classification officer (Chinese) are reminded once;
 * the quarterly inventory sends each custodian one card (the slot run twice), "All held" clicked
 * twice records one confirmation, "Report missing" reaches the incidents feature once, `/清查`
 * shows the security office the progress (others are refused), the 7-day reminder goes only to the
 * custodian who has not confirmed, and the monthly destruction list reaches the security office.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INVENTORY_HELD, INVENTORY_MISSING } from '../../cards/register.card.js';
import type { FeatureFactory, IncidentApi } from '../../handlers/features.js';
import { registerFeature } from '../../handlers/register/index.js';
import type { StoredMessage } from '../../sandbox/lark/store.js';
import { type FoundButton, requireButtonWhere } from '../helpers/cards.js';
import { startHarness, USERS, type Harness, botP2p, textOf, askBot } from './harness.js';

let h: Harness;
let clock = new Date('2026-12-01T00:30:00Z');
const ROUND = 'INV-2027-Q1';

/** The incidents feature as the register sees it (its own suite tests the real one). */
const incidentCalls: Parameters<IncidentApi['reportMissing']>[] = [];
const fakeIncidents: FeatureFactory = () => ({
  name: 'incident',
  api: {
    async reportMissing(tenantKey, input) {
      incidentCalls.push([tenantKey, input]);
      return { incidentId: 'INC-2027-0001', created: incidentCalls.length === 1 };
    },
  } satisfies IncidentApi,
});

const p2p = (user: string): StoredMessage[] => botP2p(h.standIn, user);
const cards = (user: string, text: string) => p2p(user).filter((m) => m.msg_type === 'interactive' && m.body.content.includes(text));
const feature = () => h.bot.features.find((f) => f.name === 'register')!;
const run = (name: string) =>
  feature()
    .cadences!.find((c) => c.name === name)!
    .run(clock);

const ask = (user: string, command: string): Promise<StoredMessage> => askBot(h.standIn, user, command);

function buttonValue(card: unknown, action: string): FoundButton {
  return requireButtonWhere(card, (v) => v.a === action, `no ${action} button`);
}

beforeAll(async () => {
  h = await startHarness('webhook', { now: () => clock, features: [fakeIncidents, registerFeature] });
}, 60_000);
afterAll(() => h.stop());

describe('the register’s calendar', () => {
  it('registers carriers with their issue date; a future issue date is refused', async () => {
    await ask(USERS.staffRd, '/lang en');
    const bad = await ask(USERS.securityOfficer, `/载体 登记 编号=JM-R-009 密级=机密 类别=纸质 名称=测试 期限=10年 制发日期=2099-01-01 保管人=${USERS.staffRd}`);
    expect(textOf(bad)).toContain('制发日期 2099-01-01 晚于今天');
    const notDate = await ask(USERS.securityOfficer, `/carrier add no=JM-R-008 level=secret type=paper alias=x issued=2020-13-01 custodian=${USERS.staffRd}`);
    expect(textOf(notDate)).toContain('不是有效日期');
    expect(await h.bot.approvals.repos.carriers.get(h.standIn.directory.tenantKey, 'JM-R-008')).toBeNull();
    const one = await ask(USERS.securityOfficer, `/载体 登记 编号=JM-R-001 密级=机密 类别=纸质 名称=期限测试 期限=10年 制发日期=2017-03-01 保管人=${USERS.staffRd}`);
    expect(one.msg_type).toBe('interactive');
    await ask(USERS.securityOfficer, `/carrier add no=MM-R-002 level=confidential type=paper alias=清查测试 period=长期 custodian=${USERS.staffGeneral}`);
    await ask(USERS.securityOfficer, `/carrier add no=JM-R-003 level=secret type=paper alias=销毁测试 period=20y issued=2020-05-01 custodian=${USERS.staffGeneral}`);
    const stored = await h.bot.approvals.repos.carriers.get(h.standIn.directory.tenantKey, 'JM-R-001');
    expect(stored).toMatchObject({ issuedOn: '2017-03-01', period: '10年', custodianId: USERS.staffRd });
    expect((await h.bot.approvals.repos.carriers.get(h.standIn.directory.tenantKey, 'JM-R-003'))?.issuedOn).toBe('2020-05-01');
  });

  it('90 days before the period ends: the custodian and the classification officer, once each, in their language', async () => {
    clock = new Date('2026-12-01T01:00:00Z');
    await run('register.periods');
    await run('register.periods');
    await h.bot.alarms.sweep();
    await h.bot.alarms.sweep();
    await h.standIn.waitFor(() => (cards(USERS.staffRd, 'JM-R-001').length > 0 && cards(USERS.generalHead, 'JM-R-001').length > 0) || undefined, 8000, 'the period notices');
    const en = cards(USERS.staffRd, 'JM-R-001');
    const zh = cards(USERS.generalHead, 'JM-R-001');
    expect(en).toHaveLength(1);
    expect(zh).toHaveLength(1);
    expect(en[0]!.body.content).toContain('Classification period ends in 90 days: JM-R-001');
    expect(en[0]!.body.content).not.toContain('保密期限');
    expect(zh[0]!.body.content).toContain('保密期限 90 天后届满：JM-R-001');
    expect(zh[0]!.body.content).toContain('2027-03-01');
    expect(cards(USERS.staffGeneral, '届满')).toHaveLength(0);
  });

  it('the quarterly inventory: one card per custodian; "All held" twice records one confirmation', async () => {
    clock = new Date('2027-01-01T01:00:00Z');
    await run('register.inventory');
    await run('register.inventory');
    const custodians = [USERS.staffRd, USERS.staffGeneral, USERS.securityOfficer];
    await h.standIn.waitFor(() => custodians.every((u) => cards(u, ROUND).length > 0) || undefined, 8000, 'the inventory cards');
    for (const u of custodians) expect(cards(u, ROUND)).toHaveLength(1);
    expect(cards(USERS.staffFinance, ROUND)).toHaveLength(0);
    const mine = cards(USERS.staffGeneral, ROUND)[0]!;
    expect(mine.body.content).toContain('MM-R-002');
    expect(mine.body.content).toContain('JM-R-003');
    expect(mine.body.content).not.toContain('JM-R-001');
    expect(cards(USERS.staffRd, ROUND)[0]!.body.content).toContain('All held (1)');
    expect(cards(USERS.staffRd, ROUND)[0]!.body.content).not.toMatch(/保密编号|全部在位/);
    expect(cards(USERS.securityOfficer, ROUND)[0]!.body.content).toContain('JUEM-2026-001');

    const held = buttonValue(JSON.parse(mine.body.content), INVENTORY_HELD);
    const first = await h.standIn.click(USERS.staffGeneral, mine.message_id, { tag: 'button', name: held.name, value: held.value, form_value: {} });
    expect(first.ok, first.error).toBe(true);
    expect(first.toast?.content).toBe('已确认全部在位');
    expect(JSON.stringify(first.card)).toContain('您已于 2027-01-01 09:00 确认清查');
    const second = await h.standIn.click(USERS.staffGeneral, mine.message_id, { tag: 'button', name: held.name, value: held.value, form_value: {} });
    expect(second.toast?.content).toBe('本轮清查您已确认过');
    const confirms = await h.db.connection.collection('audit_log').countDocuments({ action: 'inventory.confirm' });
    expect(confirms).toBe(1);
  });

  it('"Report missing" opens one incident, however often it is clicked; then the others are confirmed', async () => {
    const card = cards(USERS.staffRd, ROUND)[0]!;
    const missing = buttonValue(JSON.parse(card.body.content), INVENTORY_MISSING);
    const r = await h.standIn.click(USERS.staffRd, card.message_id, { tag: 'button', name: missing.name, value: missing.value, form_value: { missing: ['JM-R-001'] } });
    expect(r.ok, r.error).toBe(true);
    expect(r.toast?.content).toBe('1 reported missing; incident INC-2027-0001 opened');
    const again = await h.standIn.click(USERS.staffRd, card.message_id, { tag: 'button', name: missing.name, value: missing.value, form_value: { missing: ['JM-R-001'] } });
    expect(again.toast?.content).toBe('These carriers were already reported');
    expect(incidentCalls).toHaveLength(1);
    expect(incidentCalls[0]![1]).toMatchObject({ carrierIds: ['JM-R-001'], reportedBy: USERS.staffRd });
    const redrawn = JSON.parse(h.standIn.getMessage(card.message_id)!.body.content);
    expect(JSON.stringify(redrawn)).toContain('Reported missing');
    const rest = buttonValue(redrawn, INVENTORY_HELD);
    const done = await h.standIn.click(USERS.staffRd, card.message_id, { tag: 'button', name: rest.name, value: rest.value, form_value: {} });
    expect(done.toast?.content).toBe('Confirmed: all the others held');
  });

  it('/清查 shows the security office the progress; others are refused', async () => {
    const progress = await ask(USERS.securityHead, '/清查');
    expect(progress.msg_type).toBe('interactive');
    expect(progress.body.content).toContain(`清查进度：${ROUND}`);
    expect(progress.body.content).toContain('已确认 2 / 3 位保管人');
    expect(progress.body.content).toContain('**未确认**（1）：李娜（7 份）');
    expect(progress.body.content).toContain('赵磊：JM-R-001（已立案 INC-2027-0001）');
    const no = await ask(USERS.staffFinance, '/inventory');
    expect(textOf(no)).toContain('只有保密员或保密办负责人可以查看清查进度');
  });

  it('seven days on, only the custodian who has not confirmed is reminded, once', async () => {
    clock = new Date('2027-01-08T01:00:00Z');
    await h.bot.alarms.sweep();
    await h.bot.alarms.sweep();
    await h.standIn.waitFor(() => cards(USERS.securityOfficer, ROUND).length > 1 || undefined, 8000, 'the reminder');
    const officer = cards(USERS.securityOfficer, ROUND);
    expect(officer).toHaveLength(2);
    expect(officer[1]!.body.content).toContain('您尚未确认本季度清查');
    expect(cards(USERS.staffGeneral, ROUND)).toHaveLength(1);
    expect(cards(USERS.staffRd, ROUND)).toHaveLength(1);
  });

  it('the monthly destruction list reaches the security office once; nothing about carriers not pending', async () => {
    const tenantKey = h.standIn.directory.tenantKey;
    expect(await h.bot.approvals.repos.carriers.claim(tenantKey, 'JM-R-003', 'PENDING_DESTRUCTION', 'DS-2027-0001')).toEqual({ ok: true });
    clock = new Date('2027-02-01T01:00:00Z');
    await run('register.destruction');
    await run('register.destruction');
    const office = [USERS.securityOfficer, USERS.securityOfficer2, USERS.securityHead];
    await h.standIn.waitFor(() => office.every((u) => cards(u, '待销毁载体（2027-02）').length > 0) || undefined, 8000, 'the destruction list');
    for (const u of office) expect(cards(u, '待销毁载体（2027-02）')).toHaveLength(1);
    const list = cards(USERS.securityHead, '待销毁载体（2027-02）')[0]!.body.content;
    expect(list).toContain('JM-R-003');
    expect(list).not.toContain('MM-R-002');
    expect(cards(USERS.staffGeneral, '待销毁')).toHaveLength(0);
  });
});
