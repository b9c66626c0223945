/**
 * People are real, and a form answers only the person it was made for — through the whole bot, the
 * real SDK and the stand-in's contact API (sandbox/lark/seed/demo-org.json has a resigned and a
 * deactivated person). Every refusal names the person and writes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAction } from '../../cards/action-value.js';
import { startHarness, USERS, type Harness } from './harness.js';
import { clickAction, findButton, replyTo, waitCard } from './approval-helpers.js';

/** From the demo organisation: not active in the directory. */
const RESIGNED = 'ou_6c02aaeabeb115eca4f6654f4c5fed24'; // 钱明 (Qian Ming), 研发部, has left
const DEACTIVATED = 'ou_f2cca89356bf714d251882dfe296086e'; // 冯婷 (Feng Ting), 综合处, deactivated
const NOBODY = 'ou_00000000000000000000000000000000';
const RD_GROUP = 'oc_3418cd01cc76412a69c0519d054ca849'; // 研发部工作群: 杨帆, 黄敏, 赵磊, 周杰 and the bot

let h: Harness;
const T = () => h.standIn.directory.tenantKey;
const db = () => h.db.connection;

beforeAll(async () => {
  h = await startHarness('webhook');
});
afterAll(() => h.stop());

async function say(user: string, text: string): Promise<string> {
  return replyTo(h.standIn, await h.standIn.sendText(user, null, text));
}
const idIn = (text: string, prefix: string) => new RegExp(`${prefix}-\\d{4}-\\d{4}`).exec(text)?.[0] ?? '';
const req = async (id: string) => (await h.bot.approvals.repos.requests.get(T(), id))!.request;

/** Everything a refused command could have written. */
async function snapshot() {
  const c = db();
  const [requests, counters, roles, audit, ledger, carriers, reminders] = await Promise.all(
    ['requests', 'counters', 'roles', 'audit_log', 'ledger_entries', 'carriers', 'reminders'].map((n) =>
      c
        .collection(n)
        .find({}, { projection: { _id: 0 } })
        .toArray(),
    ),
  );
  return { requests, counters, roles, audit, ledger, carriers, reminders };
}

/** The newest card message for `user` (p2p) whose button carries `action`. */
function formCardOf(user: string, action: string) {
  const chat = h.standIn.p2pChatId(user);
  return h.standIn
    .chatMessages(chat ?? '')
    .filter((m) => m.sender.sender_type === 'app' && m.msg_type === 'interactive' && findButton(JSON.parse(m.body.content), action))
    .at(-1);
}

describe('a 绝密 carry-out with a resigned companion', () => {
  it('by command with an @-mention: refused naming the person, nothing written', async () => {
    const before = await snapshot();
    const answer = await say(USERS.staffRd, '/carry carrier=JUEM-2026-001 destination=上级机关 due=2099-06-30 purpose=汇报 companions=@钱明');
    expect(answer).toContain('钱明');
    expect(answer).toContain('已离职');
    expect(answer).not.toContain('CO-');
    expect(await snapshot()).toEqual(before);
  });

  it('on the form: the picker offers active people only; a resigned one submitted anyway is refused by name', async () => {
    const sent = await h.standIn.sendText(USERS.staffRd, null, '/carry');
    const form = await h.standIn.waitFor(() => formCardOf(USERS.staffRd, 'form.carry'), 3000, 'the carry-out form');
    expect(form.parent_id).toBe(sent.message_id);
    const card = JSON.parse(form.body.content) as Record<string, unknown>;
    const picker = JSON.stringify(card).match(/\{"tag":"multi_select_person","name":"companions".*?\]\}/)?.[0] ?? '';
    const offered = [...picker.matchAll(/"value":"(ou_[0-9a-f]+)"/g)].map((m) => m[1]);
    expect(offered).toContain(USERS.staffRd2);
    expect(offered).not.toContain(RESIGNED);
    expect(offered).not.toContain(DEACTIVATED);
    expect(offered).not.toContain(USERS.staffRd);
    // The submit button carries the asker's open_id.
    const value = findButton(card, 'form.carry')!.value;
    expect(decodeAction(value)).toMatchObject({ ok: true, owner: USERS.staffRd });

    const before = await snapshot();
    const fields = { carrier: 'JUEM-2026-001', destination: '上级机关', due: '2099-06-30 +0800', purpose: '汇报' };
    const refused = await clickAction(h.standIn, USERS.staffRd, form.message_id, 'form.carry', { ...fields, companions: [RESIGNED] });
    expect(refused.toast?.type).toBe('error');
    expect(refused.toast?.i18n?.zh_cn).toContain('钱明（已离职）');
    expect(refused.toast?.i18n?.en_us).toContain('Qian Ming (has left)');
    expect(await snapshot()).toEqual(before);

    // With an active companion picked, it goes through, up to the principal.
    const ok = await clickAction(h.standIn, USERS.staffRd, form.message_id, 'form.carry', { ...fields, companions: [USERS.staffRd2] });
    expect(ok.toast?.type, JSON.stringify(ok.toast)).toBe('success');
    const r = await req(idIn(ok.toast!.content, 'CO'));
    expect(r.requesterId).toBe(USERS.staffRd);
    expect(r.kind === 'CARRY_OUT' && r.details.companions).toEqual([USERS.staffRd2]);
  });
});

describe('a destruction with an unknown witness', () => {
  let id = '';
  beforeAll(async () => {
    const reg = await h.standIn.sendText(USERS.securityOfficer, null, '/carrier add 编号=TEST-PW-1 密级=秘密 类别=纸质 名称=旧稿');
    await h.standIn.waitForMessage((m) => m.parent_id === reg.message_id && m.msg_type === 'interactive', 3000);
    id = idIn(await say(USERS.staffFinance, '/destroy carrier=TEST-PW-1 reason=失去保存价值 method=粉碎 site=本单位碎纸机'), 'DS');
    for (const who of (await req(id)).steps.map((s) => s.assignees[0]!)) expect(await say(who, `/approve ${id}`)).toContain(id);
    expect((await req(id)).state).toBe('APPROVED');
  });

  it('by command: refused naming the id as typed, nothing written', async () => {
    const before = await snapshot();
    const answer = await say(USERS.securityOfficer, `/complete ${id} witnesses=@周杰,${NOBODY}`);
    expect(answer).toContain(`${NOBODY}（通讯录中没有此人）`);
    expect(answer).not.toContain('周杰（');
    expect(await snapshot()).toEqual(before);
    expect((await req(id)).state).toBe('APPROVED');
  });

  it('on the execution card: witnesses are picked from active people; a deactivated one is refused by name', async () => {
    const exec = await waitCard(h.standIn, USERS.securityOfficer, id, 'req.record_destruction');
    const text = exec.body.content;
    const picker = JSON.parse(text)
      .body.elements.flatMap((e: { tag: string; elements?: unknown[] }) => (e.tag === 'form' ? e.elements : []))
      .find((e: { name?: string }) => e.name === 'witnesses');
    expect(picker.tag).toBe('multi_select_person');
    const offered = (picker.options as { value: string }[]).map((o) => o.value);
    expect(offered).toEqual(expect.arrayContaining([USERS.staffRd2, USERS.staffGeneral]));
    expect(offered).not.toContain(RESIGNED);
    expect(offered).not.toContain(DEACTIVATED);
    expect(offered).not.toContain(USERS.staffFinance); // the requester

    const before = await snapshot();
    const today = new Date().toLocaleDateString('sv-SE', { timeZone: 'Asia/Shanghai' });
    const refused = await clickAction(h.standIn, USERS.securityOfficer, exec.message_id, 'req.record_destruction', {
      witnesses: [USERS.staffRd2, DEACTIVATED],
      date: `${today} +0800`,
    });
    expect(refused.toast?.type).toBe('error');
    expect(refused.toast?.i18n?.zh_cn).toContain('冯婷（已停用）');
    expect(refused.toast?.i18n?.en_us).toContain('Feng Ting (deactivated)');
    expect(await snapshot()).toEqual(before);
    expect((await req(id)).state).toBe('APPROVED');
  });
});

describe('roles and custodians', () => {
  it('/role add of a deactivated person: refused naming them, nothing written', async () => {
    const before = await snapshot();
    const answer = await say(USERS.securityHead, '/role add @冯婷 security_officer');
    expect(answer).toContain('冯婷');
    expect(answer).toContain('已停用');
    expect(await snapshot()).toEqual(before);
    expect(await h.bot.approvals.repos.roles.rolesOf(T(), DEACTIVATED)).not.toContain('security_officer');
  });

  it('/role add of an unknown open_id: refused naming the id; removing a role from someone who left still works', async () => {
    const before = await snapshot();
    expect(await say(USERS.securityHead, `/role add ${NOBODY} leader`)).toContain(`${NOBODY}（通讯录中没有此人）`);
    expect(await snapshot()).toEqual(before);
    expect(await say(USERS.securityHead, `/role remove ${RESIGNED} leader`)).not.toContain('已离职');
  });

  it('when the contact API cannot answer: "try again", nothing written, and it works once Lark answers', async () => {
    const before = await snapshot();
    h.standIn.failNext('/open-apis/contact/v3/users/', { status: 503 }, 20);
    try {
      const answer = await say(USERS.securityHead, `/role add @周杰 committee_member`);
      expect(answer).toContain('稍后重试');
      expect(answer).not.toContain('通讯录中没有此人');
    } finally {
      h.standIn.clearFaults();
    }
    expect(await snapshot()).toEqual(before);
    expect(await say(USERS.securityHead, `/role add @周杰 committee_member`)).toContain('周杰');
    expect(await h.bot.approvals.repos.roles.rolesOf(T(), USERS.staffRd2)).toContain('committee_member');
  });

  it('/carrier add with a resigned custodian: refused naming them, no carrier registered', async () => {
    const before = await snapshot();
    const answer = await say(USERS.securityOfficer, '/carrier add 编号=TEST-PC-1 密级=秘密 类别=纸质 名称=测试 保管人=@钱明');
    expect(answer).toContain('钱明（已离职）');
    expect(await snapshot()).toEqual(before);
    expect(await h.bot.approvals.repos.carriers.get(T(), 'TEST-PC-1')).toBeFalsy();
  });
});

describe('a form answers only the person it was made for (in a group chat)', () => {
  it('another member submitting it is refused with a toast and creates nothing; its owner can', async () => {
    // 赵磊 asks for the form in the R&D group; need to know sends it to his private chat.
    await h.standIn.sendText(USERS.staffRd, RD_GROUP, '@保密助手 /destroy');
    const mine = await h.standIn.waitFor(() => formCardOf(USERS.staffRd, 'form.destroy'), 3000, 'the destruction form');
    const card = JSON.parse(mine.body.content);
    // That very card in the group, where every member can click it (as a card forwarded with its
    // interaction kept would be): the bot itself must refuse everyone but 赵磊.
    const inGroup = await h.bot.services.sender.send({ chatId: RD_GROUP }, { type: 'card', card }, { uuid: 'people-e2e-form-in-group' });
    const form = { carrier: 'MM-2026-001', reason: '失去保存价值', method: '粉碎', site: '本单位碎纸机' };

    const before = await snapshot();
    const other = await clickAction(h.standIn, USERS.staffRd2, inGroup.messageId, 'form.destroy', form);
    expect(other.toast?.type).toBe('error');
    expect(other.toast?.i18n?.zh_cn).toContain('为他人生成');
    expect(other.toast?.i18n?.en_us).toContain('made for someone else');
    expect(await snapshot()).toEqual(before);

    const owner = await clickAction(h.standIn, USERS.staffRd, inGroup.messageId, 'form.destroy', form);
    expect(owner.toast?.type, JSON.stringify(owner.toast)).toBe('success');
    expect((await req(idIn(owner.toast!.content, 'DS'))).requesterId).toBe(USERS.staffRd);
  });

  it('a form without an owner (made before owners) is refused as out of date', async () => {
    const card = h.bot.approvals.deps.cards.form('COPY', []);
    const sent = await h.bot.services.sender.send({ chatId: RD_GROUP }, { type: 'card', card }, { uuid: 'people-e2e-ownerless-form' });
    const before = await snapshot();
    const click = await clickAction(h.standIn, USERS.staffRd2, sent.messageId, 'form.copy', { carrier: 'MM-2026-001', copies: '1', purpose: '学习' });
    expect(click.toast?.type).toBe('error');
    expect(click.toast?.i18n?.zh_cn).toContain('已过期');
    expect(await snapshot()).toEqual(before);
  });
});
