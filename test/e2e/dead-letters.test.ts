/**
 * A person the app cannot reach (outside its availability: Lark answers 230013) through the whole
 * bot: the message to them fails alone and at once; the ledger, the carrier and the next step go
 * on; the dead letter is counted in /metrics, listed privately by /deadletters for the security
 * office (refused to anyone else) and, once the person is reachable, retried exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickAction, replyTo, waitCard } from './approval-helpers.js';
import { effectsIdle, startHarness, USERS, type Harness } from './harness.js';

let h: Harness;
const T = () => h.standIn.directory.tenantKey;
const settle = () => effectsIdle(h);

beforeAll(async () => {
  h = await startHarness('webhook');
});
afterAll(() => h.stop());

async function say(user: string, text: string): Promise<string> {
  return replyTo(h.standIn, await h.standIn.sendText(user, null, text));
}

function toldInP2p(user: string, includes: string[]) {
  const chat = h.standIn.p2pChatId(user);
  return chat ? h.standIn.chatMessages(chat).filter((m) => m.sender.sender_type === 'app' && includes.every((s) => m.body.content.includes(s))) : [];
}

/**
 * 赵磊 asks to carry `carrier` out, the three approvers approve, he leaves the app's availability,
 * and the security officer checks the carrier out: the "checked out" message to him is refused for good.
 */
async function checkedOutWhileAway(carrier: string): Promise<string> {
  const id = /CO-\d{4}-\d{4}/.exec(await say(USERS.staffRd, `/carry carrier=${carrier} destination=市保密局 due=2099-12-31 purpose=汇报`))?.[0] ?? '';
  expect(id).toBeTruthy();
  for (const approver of [USERS.rdHead, USERS.securityOfficer, USERS.leader]) expect(await say(approver, `/approve ${id}`)).toContain(id);
  h.standIn.setAvailable(USERS.staffRd, false);
  const exec = await waitCard(h.standIn, USERS.securityOfficer, id, 'req.check_out');
  expect((await clickAction(h.standIn, USERS.securityOfficer, exec.message_id, 'req.check_out')).toast?.type).toBe('success');
  await settle();
  return id;
}

describe('a person outside the app’s availability', () => {
  it('fails alone, is a dead letter the security office sees and retries once', async () => {
    const id = await checkedOutWhileAway('JM-2026-002');

    // Everything but the message happened.
    const carry = await h.db.connection.collection('ledger_entries').countDocuments({ tenantKey: T(), ledger: 'CARRY', event: 'CHECKED_OUT', requestId: id });
    expect(carry).toBe(1);
    expect((await h.bot.approvals.repos.carriers.get(T(), 'JM-2026-002'))!.status).toBe('CHECKED_OUT');
    const stored = (await h.bot.approvals.repos.requests.get(T(), id))!;
    expect(stored.pending).toEqual([]);
    expect(stored.dead?.map((d) => d.type === 'notify' && d.template)).toEqual(['notify.checked_out']);
    expect(toldInP2p(USERS.staffRd, [id, '已登记外出'])).toHaveLength(0);

    // Counted in /metrics (the gauge follows the next sweep).
    await h.bot.approvals.service.recover();
    const metrics = await (await fetch(`${h.bot.url}/metrics`)).text();
    expect(metrics).toMatch(/baomi_effects_dead_lettered_total\{type="notify"\} 1/);
    expect(metrics).toMatch(/^baomi_dead_letters 1$/m);

    // Only the security office and administrators see them.
    expect(await say(USERS.staffGeneral, '/deadletters')).toMatch(/只有保密员/);
    await h.standIn.sendText(USERS.securityOfficer, null, '/deadletters');
    const list = await h.standIn.waitForMessage(
      (m) => m.chat_id === h.standIn.p2pChatId(USERS.securityOfficer) && m.msg_type === 'interactive' && m.body.content.includes('失败投递'),
      3000,
    );
    expect(list.body.content).toContain(id);
    expect(list.body.content).toContain('赵磊'); // named, not an open_id
    expect(list.body.content).not.toContain(USERS.staffRd);

    // Back in the availability scope: the retry sends it once; a second retry finds nothing.
    h.standIn.setAvailable(USERS.staffRd, true);
    expect(await say(USERS.securityOfficer, `/deadletters retry ${id}`)).toMatch(/已重试 1 项，其中 0 项仍未成功/);
    expect(await say(USERS.securityOfficer, `/deadletters retry ${id}`)).toMatch(/已重试 0 项/);
    await settle();
    expect(toldInP2p(USERS.staffRd, [id, '已登记外出'])).toHaveLength(1);
    expect((await h.bot.approvals.repos.requests.get(T(), id))!.dead ?? []).toEqual([]);
  });

  it('a message nobody can receive any more is dropped on the security office’s word: off the list, audited, never sent; the ledger untouched', async () => {
    const id = await checkedOutWhileAway('JM-2026-001');
    expect((await h.bot.approvals.repos.requests.get(T(), id))!.dead).toHaveLength(1);

    expect(await say(USERS.staffGeneral, `/deadletters drop ${id}`)).toMatch(/只有保密员/);
    expect(await say(USERS.securityOfficer, `/deadletters drop ${id}`)).toMatch(new RegExp(`已放弃 ${id} 的 1 条消息`));
    expect((await h.bot.approvals.repos.requests.get(T(), id))!.dead ?? []).toEqual([]);
    expect(await say(USERS.securityOfficer, `/deadletters drop ${id}`)).toContain(`没有编号 ${id}`);
    const audit = await h.db.connection.collection('audit_log').findOne({ tenantKey: T(), action: 'deadletter.drop', objectId: id });
    expect(audit).toMatchObject({ actorId: USERS.securityOfficer, objectType: 'request', details: { effects: [{ type: 'notify', to: USERS.staffRd }] } });

    h.standIn.setAvailable(USERS.staffRd, true);
    expect(await say(USERS.securityOfficer, '/deadletters retry all')).toMatch(/已重试 0 项/);
    await settle();
    expect(toldInP2p(USERS.staffRd, [id, '已登记外出'])).toHaveLength(0);
    // The custody and its ledger entry stand.
    expect(await h.db.connection.collection('ledger_entries').countDocuments({ tenantKey: T(), ledger: 'CARRY', event: 'CHECKED_OUT', requestId: id })).toBe(1);
  });
});
