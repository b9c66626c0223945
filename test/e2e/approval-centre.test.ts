// Issue 7 item 10 (approval centre) and issue 8 item 6 (the security office's watch list): `/pending`
// and `/my` open one card with the tabs 待我审批 / 我已审批 / 我发起的 / 抄送我 (and 督办 for the
// security office), paged in place through the callback answers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateCard } from '../../cards/card.schema.js';
import { CENTRE_ACTION } from '../../cards/lists.card.js';
import { decodeAction } from '../../cards/action-value.js';
import { buttonWhere, type FoundButton } from '../helpers/cards.js';
import { effectsIdle, startHarness, USERS, type Harness } from './harness.js';
import { replyTo } from './approval-helpers.js';

let h: Harness;
let clockOffsetMs = 0;
const HOUR = 3_600_000;
beforeAll(async () => {
  h = await startHarness('webhook', { now: () => new Date(Date.now() + clockOffsetMs) });
});
afterAll(() => h.stop());

async function say(user: string, text: string): Promise<string> {
  return replyTo(h.standIn, await h.standIn.sendText(user, null, text));
}
const idIn = (text: string) => /(CP|CO|DS)-\d{4}-\d{4}/.exec(text)?.[0] ?? '';

/** The newest centre card in the user's private chat. */
function centreMessage(user: string) {
  const chat = h.standIn.p2pChatId(user)!;
  return h.standIn
    .chatMessages(chat)
    .filter((m) => m.sender.sender_type === 'app' && m.msg_type === 'interactive' && m.body.content.includes(CENTRE_ACTION))
    .at(-1)!;
}

/** The centre button with tab `t` and page `p` on the message. */
function centreButton(content: string, t: string, p: number): FoundButton | undefined {
  return buttonWhere(JSON.parse(content), (value) => {
    const d = decodeAction(value);
    return d.ok && d.action === CENTRE_ACTION && d.extra.t === t && d.extra.p === p;
  });
}

async function click(user: string, messageId: string, t: string, p = 0) {
  const b = centreButton(h.standIn.getMessage(messageId)!.body.content, t, p);
  if (!b) throw new Error(`no centre button ${t}/${p}`);
  return h.standIn.click(user, messageId, { tag: 'button', ...(b.name ? { name: b.name } : {}), value: b.value });
}

const rowsOf = (content: string) => {
  const c = JSON.parse(content) as { body: { elements: { tag: string; rows?: Record<string, string>[] }[] } };
  return c.body.elements.find((e) => e.tag === 'table')?.rows ?? [];
};

describe('the approval centre', () => {
  it('/pending opens 待我审批, /my opens 我发起的; tabs switch in place; only the reader may click', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push(idIn(await say(USERS.staffGeneral, `/copy carrier=MM-2026-001 copies=1 purpose=中心${i} cc=@${USERS.staffFinance}`)));
    await effectsIdle(h);
    expect(await say(USERS.generalHead, `/approve ${ids[0]}`)).toContain(ids[0]);
    await effectsIdle(h);

    // The department head: 9 waiting for her (one decided).
    await h.standIn.sendText(USERS.generalHead, null, '/pending');
    const pend = await h.standIn.waitFor(() => centreMessage(USERS.generalHead), 3000, 'the centre');
    expect(validateCard(JSON.parse(pend.body.content)).ok).toBe(true);
    expect(pend.body.content).toContain('待我审批 9');
    const todo = rowsOf(pend.body.content);
    expect(todo).toHaveLength(8);
    // Oldest waiting first; each row says what to do next.
    expect(todo[0]!.id).toBe(ids[1]);
    expect(todo[0]!.next).toContain(`/同意 ${ids[1]}`);
    // Page 2 of 待我审批, in place.
    await click(USERS.generalHead, pend.message_id, 'todo', 1);
    const page2 = h.standIn.getMessage(pend.message_id)!.body.content;
    expect(rowsOf(page2).map((r) => r.id)).toEqual([ids[9]]);
    expect(page2).toContain('第 2/2 页');
    // 我已审批: the one she approved.
    await click(USERS.generalHead, pend.message_id, 'done');
    expect(rowsOf(h.standIn.getMessage(pend.message_id)!.body.content).map((r) => r.id)).toEqual([ids[0]]);

    // The requester: 我发起的, newest first, with the next step.
    await h.standIn.sendText(USERS.staffGeneral, null, '/my');
    const my = await h.standIn.waitFor(() => centreMessage(USERS.staffGeneral), 3000, 'the centre');
    const mine = rowsOf(my.body.content);
    // Newest change first: the one approved a moment ago, then the last one made.
    expect(mine.slice(0, 2).map((r) => r.id)).toEqual([ids[0], ids[9]]);
    expect(mine.find((r) => r.id === ids[0])!.next).toContain('保密员');

    // The person copied: 抄送我.
    await h.standIn.sendText(USERS.staffFinance, null, '/我的');
    const cc = await h.standIn.waitFor(() => centreMessage(USERS.staffFinance), 3000, 'the centre');
    await click(USERS.staffFinance, cc.message_id, 'cc');
    const ccRows = rowsOf(h.standIn.getMessage(cc.message_id)!.body.content);
    expect(ccRows).toHaveLength(8);
    expect(h.standIn.getMessage(cc.message_id)!.body.content).toContain('抄送我 10');

    // Nobody else may use someone's centre card.
    const b = centreButton(h.standIn.getMessage(cc.message_id)!.body.content, 'mine', 0)!;
    const other = await h.standIn.click(USERS.staffRd, cc.message_id, { tag: 'button', ...(b.name ? { name: b.name } : {}), value: b.value });
    expect(other.toast?.type).not.toBe('success');
    expect(rowsOf(h.standIn.getMessage(cc.message_id)!.body.content)).toHaveLength(8);

    // In English, in English.
    await say(USERS.staffFinance, '/lang en');
    await h.standIn.sendText(USERS.staffFinance, null, '/pending');
    const en = await h.standIn.waitFor(
      () => {
        const m = centreMessage(USERS.staffFinance);
        return m.message_id !== cc.message_id ? m : undefined;
      },
      3000,
      'the English centre',
    );
    expect(en.body.content).toContain('Approval centre');
    expect(en.body.content).toContain('Copied to me 10');
    expect(en.body.content).not.toContain('审批中心');
    await say(USERS.staffFinance, '/lang zh');
  });

  it('the security office sees overdue carry-outs and steps waiting over 24 h, newest problem first; others do not see the tab', async () => {
    clockOffsetMs = 0;
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: h.bot.services.timezone }).format(new Date());
    const due = today;
    const carry = idIn(await say(USERS.staffRd, `/carry carrier=JM-2026-002 destination=市局 due=${due} purpose=汇报`));
    await effectsIdle(h);
    for (const who of [USERS.rdHead, USERS.securityOfficer, USERS.leader]) expect(await say(who, `/approve ${carry}`)).toContain(carry);
    expect(await say(USERS.securityOfficer2, `/checkout ${carry}`)).toContain(carry);
    const waiting = idIn(await say(USERS.staffRd2, '/copy carrier=JM-2026-001 copies=1 purpose=待审'));
    await effectsIdle(h);
    // Three days later: the carry-out is overdue; the copy request's first step has waited 72 h.
    clockOffsetMs = 3 * 24 * HOUR;
    await h.bot.approvals.service.sweepOverdue();
    await effectsIdle(h);

    await h.standIn.sendText(USERS.securityHead, null, '/pending');
    const m = await h.standIn.waitFor(() => centreMessage(USERS.securityHead), 3000, 'the centre');
    expect(m.body.content).toContain('督办');
    await click(USERS.securityHead, m.message_id, 'watch');
    const watch = h.standIn.getMessage(m.message_id)!.body.content;
    expect(validateCard(JSON.parse(watch)).ok).toBe(true);
    const rows = rowsOf(watch);
    const overdue = rows.find((r) => r.id === carry)!;
    expect(overdue.problem).toMatch(/超期 [23] 天未还/);
    expect(overdue.who).toContain('赵磊');
    const pending = rows.find((r) => r.id === waiting)!;
    expect(pending.problem).toMatch(/第 1 步 部门负责人 已等 7[12] 小时/);
    expect(pending.who).toContain('杨帆');
    // Newest problem first: the carry-out became overdue (end of its due day) after the copy began waiting.
    expect(rows.findIndex((r) => r.id === carry)).toBeLessThan(rows.findIndex((r) => r.id === waiting));

    // Not for staff: no tab, and a forged click on it shows their to-do list instead.
    await h.standIn.sendText(USERS.staffGeneral, null, '/pending');
    const staff = await h.standIn.waitFor(
      () => {
        const x = centreMessage(USERS.staffGeneral);
        return centreButton(x.body.content, 'todo', 0) && x.body.content.includes('待我审批') ? x : undefined;
      },
      3000,
      'the centre',
    );
    expect(centreButton(staff.body.content, 'watch', 0)).toBeUndefined();
    clockOffsetMs = 0;
  });
});
