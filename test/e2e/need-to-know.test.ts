/**
 * Need to know (docs/design.md §8), end to end: lists asked for in a group are answered in the asker's
 * private chat and the group gets a short note; staff see only their own carriers; p2p unchanged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredMessage } from '../../sandbox/lark/store.js';
import { startHarness, USERS, type Harness } from './harness.js';
import { replyTo } from './approval-helpers.js';

let h: Harness;
const T = () => h.standIn.directory.tenantKey;

/** 研发部工作群: 杨帆 (head of 研发部), 黄敏 (security officer), 赵磊 and 周杰 (staff). */
const RD_GROUP = 'oc_3418cd01cc76412a69c0519d054ca849';
/** 保密委员会: 张伟 (security head, admin), 李娜, 王强, 刘洋, 陈静, 杨帆, 吴芳. */
const COMMITTEE = 'oc_1561ddb1e13a860756e6b117f9900c04';
const NOTE = '已私信发送给你';
/** Anything the register or the requests would give away. */
const SECRETS = /(CP|CO|DS)-\d{4}-\d{4}|MM-2026|JM-2026|JUEM-2026|SM-2026|TEST-NK|ou_[0-9a-f]{8}/;

let copyId = '';

beforeAll(async () => {
  h = await startHarness('webhook');
  // 赵磊 holds one carrier and asks to copy another; neither is 周杰's.
  await h.bot.approvals.repos.carriers.createIfAbsent(T(), {
    number: 'TEST-NK-1',
    regime: 'STATE_SECRET',
    level: 'SECRET',
    carrierType: '纸质',
    alias: '测试资料',
    copyRestricted: false,
    mustReturnToIssuer: false,
    count: 1,
    custodianId: USERS.staffRd,
    origin: 'registered',
    createdBy: USERS.securityOfficer,
  });
  const created = await replyTo(h.standIn, await h.standIn.sendText(USERS.staffRd, null, '/copy carrier=JM-2026-001 copies=1 purpose=需知测试'));
  copyId = /CP-\d{4}-\d{4}/.exec(created)?.[0] ?? '';
  expect(copyId, created).toBeTruthy();
});
afterAll(() => h.stop());

const botName = () => h.standIn.directory.org.app.name;
const p2pMessages = (user: string) => {
  const chat = h.standIn.p2pChatId(user);
  return chat ? h.standIn.chatMessages(chat).filter((m) => m.sender.sender_type === 'app') : [];
};
const content = (m: StoredMessage) => (m.msg_type === 'text' ? (JSON.parse(m.body.content) as { text: string }).text : m.body.content);

/**
 * `@保密助手 <text>` in a group: returns the group's answer (threaded to the message) and the new
 * message in the asker's private chat with the bot.
 */
async function askInGroup(user: string, chat: string, text: string): Promise<{ note: StoredMessage; inGroup: StoredMessage[]; privately: StoredMessage }> {
  const before = p2pMessages(user).length;
  const sent = await h.standIn.sendText(user, chat, `@${botName()} ${text}`);
  expect(sent.delivered, JSON.stringify(sent)).toBe(true);
  const note = await h.standIn.waitForMessage((m) => m.parent_id === sent.message_id, 3000);
  const privately = await h.standIn.waitFor(() => p2pMessages(user)[before], 3000, `a private answer to ${user}`);
  await new Promise((r) => setTimeout(r, 100));
  const inGroup = h.standIn.chatMessages(chat).filter((m) => m.sender.sender_type === 'app' && m.parent_id === sent.message_id);
  return { note, inGroup, privately };
}

function expectOnlyTheNote(r: { note: StoredMessage; inGroup: StoredMessage[] }) {
  expect(r.inGroup, 'one answer in the group').toHaveLength(1);
  expect(r.note.msg_type).toBe('text');
  expect(content(r.note)).toContain(NOTE);
  expect(content(r.note)).not.toMatch(SECRETS);
}

describe('asked in a group, answered in private', () => {
  it('/my: the requests go to the asker, the group gets a note', async () => {
    const r = await askInGroup(USERS.staffRd, RD_GROUP, '/my');
    expectOnlyTheNote(r);
    expect(r.privately.msg_type).toBe('interactive');
    expect(r.privately.body.content).toContain(copyId);
  });

  it('/pending: the work waiting for the asker goes to them, the group gets a note', async () => {
    const r = await askInGroup(USERS.rdHead, RD_GROUP, '/待办');
    expectOnlyTheNote(r);
    expect(r.privately.msg_type).toBe('interactive');
    expect(r.privately.body.content).toContain(copyId);
  });

  it('/carrier list by staff: only their own carriers, in private', async () => {
    const r = await askInGroup(USERS.staffRd, RD_GROUP, '/carrier list');
    expectOnlyTheNote(r);
    const card = r.privately.body.content;
    expect(card).toContain('TEST-NK-1'); // held
    expect(card).toContain('JM-2026-001'); // asked for
    for (const other of ['MM-2026-001', 'JM-2026-002', 'JUEM-2026-001', 'SM-2026-001']) expect(card).not.toContain(other);
    expect(card).toContain('仅列出你保管或申请过的载体');
  });

  it('/carrier list by the security officer: the whole register, in private', async () => {
    const r = await askInGroup(USERS.securityOfficer2, RD_GROUP, '/载体 列表');
    expectOnlyTheNote(r);
    for (const n of ['MM-2026-001', 'JM-2026-002', 'TEST-NK-1']) expect(r.privately.body.content).toContain(n);
    expect(r.privately.body.content).not.toContain('仅列出你保管或申请过的载体');
  });

  it('/carrier show: a staff member’s own carrier in private; anyone else’s refused, also in private', async () => {
    const mine = await askInGroup(USERS.staffRd, RD_GROUP, '/carrier show JM-2026-001');
    expectOnlyTheNote(mine);
    expect(mine.privately.body.content).toContain('JM-2026-001');
    const other = await askInGroup(USERS.staffRd2, RD_GROUP, '/carrier show TEST-NK-1');
    expectOnlyTheNote(other);
    expect(other.privately.msg_type).toBe('text');
    expect(content(other.privately)).toContain('你只能查看自己保管或申请过的载体');
    // A number that does not exist gets the same answer (nothing to learn by guessing).
    expect(await replyTo(h.standIn, await h.standIn.sendText(USERS.staffRd2, null, '/carrier show NOPE-404'))).toContain('你只能查看自己保管或申请过的载体');
  });

  it('/role list: the assignments go to the administrator, the group gets a note', async () => {
    const r = await askInGroup(USERS.securityHead, COMMITTEE, '/role list');
    expectOnlyTheNote(r);
    expect(r.privately.msg_type).toBe('text');
    expect(content(r.privately)).toContain(USERS.securityOfficer);
  });

  it('/copy without arguments: the form (a list of carriers) goes to the asker', async () => {
    const r = await askInGroup(USERS.staffRd, RD_GROUP, '/copy');
    expectOnlyTheNote(r);
    expect(r.privately.msg_type).toBe('interactive');
    // Staff pick from the carriers they hold.
    expect(r.privately.body.content).toContain('TEST-NK-1');
    expect(r.privately.body.content).not.toContain('MM-2026-001');
  });

  it('the groups never saw a carrier number, a request id or an open_id from the bot', () => {
    for (const chat of [RD_GROUP, COMMITTEE]) {
      const said = h.standIn.chatMessages(chat).filter((m) => m.sender.sender_type === 'app');
      expect(said.length).toBeGreaterThan(0);
      for (const m of said) expect(m.body.content, m.body.content).not.toMatch(SECRETS);
    }
  });
});

describe('in a private chat', () => {
  it('answers in place as before (no note); a staff member’s carrier list has only their own carriers', async () => {
    const sent = await h.standIn.sendText(USERS.staffRd, null, '/carrier list');
    const answer = await h.standIn.waitForMessage((m) => m.parent_id === sent.message_id, 3000);
    expect(answer.chat_id).toBe(h.standIn.p2pChatId(USERS.staffRd));
    expect(answer.msg_type).toBe('interactive');
    expect(answer.body.content).toContain('TEST-NK-1');
    expect(answer.body.content).not.toContain('MM-2026-001');
    await new Promise((r) => setTimeout(r, 150));
    const answers = h.standIn.messages((m) => m.parent_id === sent.message_id);
    expect(answers).toHaveLength(1);
    expect(p2pMessages(USERS.staffRd).some((m) => content(m).includes(NOTE))).toBe(false);

    // /my in private: the same card, in place.
    const my = await h.standIn.sendText(USERS.staffRd, null, '/我的');
    const mine = await h.standIn.waitForMessage((m) => m.parent_id === my.message_id, 3000);
    expect(mine.chat_id).toBe(h.standIn.p2pChatId(USERS.staffRd));
    expect(mine.body.content).toContain(copyId);
  });
});
