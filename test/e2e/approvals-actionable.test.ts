// Issue 7 item 8: only actionable things are shown, and one message per action to the actor.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { effectsIdle, startHarness, USERS, type Harness } from './harness.js';
import { cardFor, clickAction, findButton, replyTo, waitCard } from './approval-helpers.js';

let h: Harness;
const T = () => h.standIn.directory.tenantKey;
beforeAll(async () => {
  h = await startHarness('webhook');
});
afterAll(() => h.stop());

async function say(user: string, text: string): Promise<string> {
  return replyTo(h.standIn, await h.standIn.sendText(user, null, text));
}
const idIn = (text: string, prefix: string) => new RegExp(`${prefix}-\\d{4}-\\d{4}`).exec(text)?.[0] ?? '';
const req = async (id: string) => (await h.bot.approvals.repos.requests.get(T(), id))!.request;
const texts = (user: string) =>
  h.standIn
    .chatMessages(h.standIn.p2pChatId(user)!)
    .filter((m) => m.sender.sender_type === 'app' && m.msg_type === 'text')
    .map((m) => (JSON.parse(m.body.content) as { text: string }).text);

describe('buttons and hints only for whoever can act now', () => {
  it('an approver whose turn is over, or not yet, holds the card without the form and without "/approve"', async () => {
    const id = idIn(await say(USERS.staffGeneral, '/copy carrier=MM-2026-001 copies=1 purpose=会议'), 'CP');
    expect(id).toBeTruthy();
    const first = await waitCard(h.standIn, USERS.generalHead, id, 'req.approve');
    expect(first.body.content).toContain(`/approve ${id}`);
    expect(await say(USERS.generalHead, `/approve ${id}`)).toContain(id);
    await effectsIdle(h);
    // Step 1's approver: the card shows the decision and no form, no hint to decide.
    const mine = h.standIn.getMessage(first.message_id)!;
    expect(findButton(JSON.parse(mine.body.content), 'req.approve')).toBeUndefined();
    expect(mine.body.content).not.toContain('/approve');
    expect(mine.body.content).not.toContain('/reject');
    // Step 2's approvers: the form and the typed fallback.
    const second = (await req(id)).steps[1]!;
    for (const who of second.assignees) {
      const c = await waitCard(h.standIn, who, id, 'req.approve');
      expect(c.body.content).toContain(`/approve ${id}`);
      // "Updated" only when a card changed after it was sent: a card sent for this step was not patched.
      expect(h.standIn.getMessage(c.message_id)!.updated).toBe(false);
    }
    // The first approver's card did change (the decision is on it), so it reads "updated".
    expect(h.standIn.getMessage(first.message_id)!.updated).toBe(true);
    // Once step 2 is decided by one of them, neither holds a form any more.
    expect(await say(second.assignees[0]!, `/approve ${id}`)).toContain(id);
    await effectsIdle(h);
    for (const who of second.assignees) {
      const c = cardFor(h.standIn, who, id)!;
      if (findButton(JSON.parse(c.body.content), 'req.approve')) {
        // The newest card mentioning the id may be the next step's (a holder of two roles): it must be theirs to decide.
        expect((await req(id)).steps[(await req(id)).currentStep ?? -1]?.assignees).toContain(who);
      } else expect(c.body.content).not.toContain('/approve');
    }
  });
});

describe('one message per action to the actor', () => {
  it('/resubmit answers once (no second "resubmitted" notice)', async () => {
    const id = idIn(await say(USERS.staffGeneral, '/copy carrier=MM-2026-001 copies=1 purpose=会议二'), 'CP');
    expect(await say(USERS.generalHead, `/revise ${id} 请写明页数`)).toContain(id);
    await effectsIdle(h);
    const before = texts(USERS.staffGeneral).length;
    const reply = await say(USERS.staffGeneral, `/resubmit ${id} pages=3`);
    expect(reply).toContain(id);
    await effectsIdle(h);
    const after = texts(USERS.staffGeneral).slice(before);
    expect(
      after.filter((t) => t.includes(id)),
      after.join('\n'),
    ).toEqual([reply]);
    expect((await req(id)).state).toBe('IN_APPROVAL');
  });

  it('a click on Resubmit gives a toast and no extra message', async () => {
    const id = idIn(await say(USERS.staffGeneral, '/copy carrier=MM-2026-001 copies=1 purpose=会议三'), 'CP');
    expect(await say(USERS.generalHead, `/revise ${id} 请写明页数`)).toContain(id);
    await effectsIdle(h);
    const status = await waitCard(h.standIn, USERS.staffGeneral, id, 'req.resubmit');
    const before = texts(USERS.staffGeneral).length;
    expect((await clickAction(h.standIn, USERS.staffGeneral, status.message_id, 'req.resubmit')).toast?.type).toBe('success');
    await effectsIdle(h);
    expect(
      texts(USERS.staffGeneral)
        .slice(before)
        .filter((t) => t.includes(id)),
    ).toEqual([]);
  });

  it('/return by the carrier person answers once, and the officers are told', async () => {
    const id = idIn(await say(USERS.staffRd, '/carry carrier=JM-2026-001 destination=市局 due=2099-12-31 purpose=汇报'), 'CO');
    expect(id).toBeTruthy();
    for (let i = 0; i < 5 && (await req(id)).state === 'IN_APPROVAL'; i++) {
      const r = await req(id);
      const who = r.steps[r.currentStep!]!.assignees[0]!;
      expect(await say(who, `/approve ${id}`)).toContain(id);
    }
    expect((await req(id)).state).toBe('APPROVED');
    expect(await say(USERS.securityOfficer, `/checkout ${id}`)).toContain(id);
    await effectsIdle(h);
    const before = texts(USERS.staffRd).length;
    const reply = await say(USERS.staffRd, `/return ${id}`);
    await effectsIdle(h);
    const after = texts(USERS.staffRd).slice(before);
    expect(
      after.filter((t) => t.includes(id)),
      after.join('\n'),
    ).toEqual([reply]);
    expect(reply).toMatch(/保密员确认接收并检查后|received and inspected/);
    expect(texts(USERS.securityOfficer2).some((t) => t.includes(id) && t.includes('/return'))).toBe(true);
  });
});

describe('a double click gives one toast of success, then "already done"', () => {
  it('check-out clicked twice on the same card version', async () => {
    const id = idIn(await say(USERS.staffRd, '/carry carrier=JM-2026-002 destination=市局 due=2099-12-31 purpose=双击'), 'CO');
    for (let i = 0; i < 5 && (await req(id)).state === 'IN_APPROVAL'; i++) {
      const r = await req(id);
      expect(await say(r.steps[r.currentStep!]!.assignees[0]!, `/approve ${id}`)).toContain(id);
    }
    const exec = await waitCard(h.standIn, USERS.securityOfficer2, id, 'req.check_out');
    const button = findButton(JSON.parse(exec.body.content), 'req.check_out')!;
    const click = () => h.standIn.click(USERS.securityOfficer2, exec.message_id, { tag: 'button', ...(button.name ? { name: button.name } : {}), value: button.value });
    const first = await click();
    expect(first.toast?.type).toBe('success');
    const second = await click();
    expect(second.toast?.type).toBe('info');
    expect(JSON.stringify(second.toast)).toMatch(/已经办理过了|already done/);
    expect((await req(id)).state).toBe('OUT');
    // Someone else clicking the stale card still learns why nothing happened (a warning, not "done").
    const other = await h.standIn.click(USERS.securityOfficer, exec.message_id, { tag: 'button', ...(button.name ? { name: button.name } : {}), value: button.value });
    expect(other.toast?.type).not.toBe('info');
    await effectsIdle(h);
  });
});
