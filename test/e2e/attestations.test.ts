/**
 * Copy supervision attestations are explicit, by text and on the card; a "no" is recorded, shown
 * and raises an alert naming it in the reader's language; a destruction date lies between the
 * approval and today.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, localDate } from '../../domain/time.js';
import { effectsIdle, startHarness, USERS, type Harness } from './harness.js';
import { cardFor, clickAction, replyTo, waitCard } from './approval-helpers.js';

let h: Harness;
const T = () => h.standIn.directory.tenantKey;

beforeAll(async () => {
  h = await startHarness('webhook');
});
afterAll(() => h.stop());

async function say(user: string, text: string): Promise<string> {
  return replyTo(h.standIn, await h.standIn.sendText(user, null, text));
}
const req = async (id: string) => (await h.bot.approvals.repos.requests.get(T(), id))!.request;
const settle = () => effectsIdle(h);

/** Files a request and has every step approve it by text. */
async function approvedRequest(requester: string, command: string, prefix: string): Promise<string> {
  const created = await say(requester, command);
  const id = new RegExp(`${prefix}-\\d{4}-\\d{4}`).exec(created)?.[0];
  expect(id, created).toBeTruthy();
  for (const who of (await req(id!)).steps.map((s) => s.assignees[0]!)) expect(await say(who, `/approve ${id}`)).toContain(id!);
  expect((await req(id!)).state).toBe('APPROVED');
  return id!;
}

/** Texts the security head received about a request. */
const headTexts = (id: string) =>
  h.standIn
    .messages((m) => m.chat_id === h.standIn.p2pChatId(USERS.securityHead) && m.msg_type === 'text' && m.body.content.includes(id))
    .map((m) => (JSON.parse(m.body.content) as { text: string }).text);

describe('copy by text: every attestation is stated', () => {
  it('refuses a completion that leaves any out, naming the missing ones; records a "no" and alerts the head', async () => {
    const id = await approvedRequest(USERS.staffGeneral, '/copy carrier=MM-2026-001 copies=2 purpose=监督测试', 'CP');

    const none = await say(USERS.securityOfficer, `/complete ${id} copies_made=2`);
    for (const key of ['原稿收回', '废页清点回收', '设备数据清除']) expect(none).toContain(key);
    expect((await req(id)).state).toBe('APPROVED');

    const one = await say(USERS.securityOfficer, `/完成 ${id} 实际份数=2 原稿收回=是 废页清点回收=是`);
    expect(one).toContain('设备数据清除');
    expect(one).not.toContain('原稿收回=');
    expect((await req(id)).state).toBe('APPROVED');

    expect(await say(USERS.securityOfficer, `/完成 ${id} 实际份数=2 原稿收回=是 废页清点回收=是 设备数据清除=否`)).toContain(id);
    const closed = await req(id);
    expect(closed.state).toBe('CLOSED');
    expect(closed.kind === 'COPY' && closed.details.execution).toMatchObject({ originalsReturned: true, wasteRecovered: true, deviceWiped: false });
    expect(closed.incident).toMatchObject({ reason: 'COPY_SUPERVISION_FAILED', note: 'device' });
    await settle();
    const entry = await h.db.connection.collection('ledger_entries').findOne({ tenantKey: T(), ledger: 'COPY', requestId: id });
    expect(entry?.data).toMatchObject({ originalsReturned: true, wasteRecovered: true, deviceWiped: false });

    // The head of the confidentiality office is told which check failed.
    const alert = await h.standIn.waitFor(() => headTexts(id)[0], 3000, 'the alert to the security head');
    expect(alert).toContain('设备数据未清除');
    expect(alert).not.toContain('原稿未收回');

    // The requester's status card and the copy's register entry show the "no".
    const status = cardFor(h.standIn, USERS.staffGeneral, id)!;
    expect(status.body.content).toContain('设备数据清除');
    expect(status.body.content).toMatch(/设备数据清除\*\*：<font color='red'>否<\/font>/);
    const show = await h.standIn.sendText(USERS.securityOfficer, null, '/carrier show MM-2026-001-C1');
    const card = await h.standIn.waitForMessage((m) => m.parent_id === show.message_id, 3000);
    expect(card.body.content).toContain(`复制监督（${id}）`);
    expect(card.body.content).toContain("设备数据清除 <font color='red'>否</font>");
  });

  it('the alert speaks the head’s language and names every failed check', async () => {
    expect(await say(USERS.securityHead, '/lang en')).toBeTruthy();
    try {
      const id = await approvedRequest(USERS.staffFinance, '/copy carrier=SM-2026-002 copies=1 purpose=supervision', 'CP');
      expect(await say(USERS.securityOfficer, `/complete ${id} copies_made=1 originals_returned=no waste_recovered=no device_wiped=yes`)).toContain(id);
      const alert = await h.standIn.waitFor(() => headTexts(id)[0], 3000, 'the alert to the security head');
      expect(alert).toContain('originals not returned');
      expect(alert).toContain('waste pages not counted and recovered');
      expect(alert).not.toContain('device data not wiped');
    } finally {
      await say(USERS.securityHead, '/lang zh');
    }
  });
});

describe('copy on the execution card: a required yes/no per attestation', () => {
  it('a click without one is refused naming it; with all three it closes and the card shows the "no"', async () => {
    const id = await approvedRequest(USERS.staffGeneral, '/copy carrier=JM-2026-001 copies=1 purpose=卡片监督', 'CP');
    const exec = await waitCard(h.standIn, USERS.securityOfficer, id, 'req.complete_copy');

    const missing = await clickAction(h.standIn, USERS.securityOfficer, exec.message_id, 'req.complete_copy', {
      copies_made: '1',
      originals_returned: 'yes',
      waste_recovered: 'no',
    });
    expect(missing.toast?.type).toBe('error');
    expect(missing.toast?.content).toContain('设备数据清除');
    expect(missing.toast?.i18n?.en_us).toContain('device_wiped');
    expect((await req(id)).state).toBe('APPROVED');

    const done = await clickAction(h.standIn, USERS.securityOfficer, exec.message_id, 'req.complete_copy', {
      copies_made: '1',
      originals_returned: 'yes',
      waste_recovered: 'no',
      device_wiped: 'yes',
    });
    expect(done.toast?.type, JSON.stringify(done.toast)).toBe('success');
    const closed = await req(id);
    expect(closed.state).toBe('CLOSED');
    expect(closed.kind === 'COPY' && closed.details.execution).toMatchObject({ originalsReturned: true, wasteRecovered: false, deviceWiped: true });
    // The clicked card is redrawn with the registered result.
    const redrawn = JSON.stringify(done.card ?? h.standIn.getCard(exec.message_id));
    expect(redrawn).toContain('废页清点回收');
    expect(redrawn).toContain("<font color='red'>否</font>");
    const alert = await h.standIn.waitFor(() => headTexts(id)[0], 3000, 'the alert to the security head');
    expect(alert).toContain('废页未清点回收');
  });
});

describe('destruction date: between the approval day and today', () => {
  it('a date before the approval is refused with the range; today is accepted', async () => {
    await h.bot.approvals.repos.carriers.createIfAbsent(T(), {
      number: 'TEST-DD-1',
      regime: 'STATE_SECRET',
      level: 'CONFIDENTIAL',
      carrierType: '纸质',
      alias: '过期材料',
      copyRestricted: false,
      mustReturnToIssuer: false,
      count: 1,
      custodianId: USERS.staffFinance,
      origin: 'registered',
      createdBy: USERS.securityOfficer,
    });
    const id = await approvedRequest(USERS.staffFinance, '/destroy carrier=TEST-DD-1 reason=失去保存价值 method=粉碎 site=本单位碎纸机 date=2026-01-05', 'DS');
    const today = localDate(new Date(), 'Asia/Shanghai');
    const witnesses = `${USERS.staffGeneral},${USERS.staffRd2}`;

    const early = await say(USERS.securityOfficer, `/complete ${id} witnesses=${witnesses} date=${addDays(today, -1)}`);
    expect(early).toContain('早于批准日');
    expect(early).toContain(today);
    expect((await req(id)).state).toBe('APPROVED');

    // The card's date picker starts inside the range (the planned date is before the approval).
    const exec = await waitCard(h.standIn, USERS.securityOfficer, id, 'req.record_destruction');
    expect(exec.body.content).toContain(`"initial_date":"${today}"`);

    expect(await say(USERS.securityOfficer, `/complete ${id} witnesses=${witnesses} date=${today}`)).toContain(id);
    expect((await req(id)).state).toBe('EXECUTED_PENDING_WITNESS');
  });
});
