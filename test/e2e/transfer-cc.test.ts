// Issue 7 item 10: carbon copies (抄送), transfer (转交) and edit-and-resubmit, through the whole
// bot against the Lark stand-in.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { effectsIdle, startHarness, USERS, type Harness } from './harness.js';
import { clickAction, findButton, replyTo, waitCard } from './approval-helpers.js';

let h: Harness;
const T = () => h.standIn.directory.tenantKey;
beforeAll(async () => {
  h = await startHarness('webhook');
  // A second leader in charge (吴芳), so the leader's step can be handed to someone eligible.
  expect(await replyTo(h.standIn, await h.standIn.sendText(USERS.securityHead, null, `/role add ${USERS.financeHead} leader`))).toContain('分管领导');
});
afterAll(() => h.stop());

async function say(user: string, text: string): Promise<string> {
  return replyTo(h.standIn, await h.standIn.sendText(user, null, text));
}
const idIn = (text: string) => /(CP|CO|DS)-\d{4}-\d{4}/.exec(text)?.[0] ?? '';
const stored = async (id: string) => (await h.bot.approvals.repos.requests.get(T(), id))!;
const content = (messageId: string) => h.standIn.getMessage(messageId)!.body.content;
const anyRequestButton = (card: string) => /"a":"req\./.test(card);
const audits = (id: string, action: string) => h.db.connection.collection('audit_log').find({ tenantKey: T(), action, objectId: id }).sort({ seq: 1 }).toArray();

describe('抄送 (cc)', () => {
  it('named at request time: a read-only card for each person, updated in place as the request moves', async () => {
    const id = idIn(await say(USERS.staffGeneral, `/copy carrier=MM-2026-001 copies=1 purpose=会议 抄送=@${USERS.staffFinance},@${USERS.staffRd}`));
    expect(id).toMatch(/^CP-/);
    await effectsIdle(h);
    expect((await stored(id)).request.cc).toEqual([USERS.staffFinance, USERS.staffRd]);
    const copy = await waitCard(h.standIn, USERS.staffFinance, id);
    // The stand-in patches the message object in place: keep what it showed now.
    const shown = copy.body.content;
    expect(anyRequestButton(shown)).toBe(false);
    expect(shown).toContain('抄送');
    await waitCard(h.standIn, USERS.staffRd, id);
    // The department head approves: the copy shows it, in the same message.
    expect(await say(USERS.generalHead, `/approve ${id}`)).toContain(id);
    await effectsIdle(h);
    const after = content(copy.message_id);
    expect(after).not.toBe(shown);
    expect(after).toContain('陈静');
    expect(anyRequestButton(after)).toBe(false);
    // Refreshed by the card refresher like every holder's card: recorded with the version shown.
    const card = (await stored(id)).cards.find((c) => c.messageId === copy.message_id)!;
    expect(card).toMatchObject({ kind: 'status', holder: USERS.staffFinance });
  });

  it('only real people: an unknown person is refused by name and nothing is created', async () => {
    const before = await h.db.connection.collection('requests').countDocuments({});
    const answer = await say(USERS.staffGeneral, '/copy carrier=MM-2026-001 copies=1 purpose=会议 cc=@ou_nobody000');
    expect(answer).toContain('ou_nobody000');
    expect(await h.db.connection.collection('requests').countDocuments({})).toBe(before);
  });

  it('from the form: the cc picker lists directory people and the submission copies them', async () => {
    await h.standIn.sendText(USERS.staffGeneral, null, '/copy');
    const form = await waitCard(h.standIn, USERS.staffGeneral, 'copy_form', 'form.copy');
    expect(form.body.content).toContain('"name":"cc"');
    const res = await clickAction(h.standIn, USERS.staffGeneral, form.message_id, 'form.copy', {
      carrier: 'MM-2026-001',
      copies: '1',
      purpose: '培训',
      cc: [USERS.staffFinance],
    });
    expect(res.toast?.type).toBe('success');
    const id = idIn(JSON.stringify(res.toast));
    await effectsIdle(h);
    expect((await stored(id)).request.cc).toEqual([USERS.staffFinance]);
    await waitCard(h.standIn, USERS.staffFinance, id);
  });
});

describe('转交 (transfer)', () => {
  /** A copy request waiting at its last step (the leader in charge, 王强). */
  async function atLeader(): Promise<string> {
    const id = idIn(await say(USERS.staffGeneral, '/copy carrier=MM-2026-001 copies=1 purpose=汇报'));
    await effectsIdle(h);
    expect(await say(USERS.generalHead, `/approve ${id}`)).toContain(id);
    expect(await say(USERS.securityOfficer, `/approve ${id}`)).toContain(id);
    await effectsIdle(h);
    expect((await stored(id)).request.currentStep).toBe(2);
    return id;
  }

  it('by command: the new leader gets the approval card, the old card loses its buttons, audited, the timeline says so', async () => {
    const id = await atLeader();
    const old = await waitCard(h.standIn, USERS.leader, id, 'req.approve');
    const answer = await say(USERS.leader, `/转交 ${id} @${USERS.financeHead} 出差一周`);
    expect(answer).toContain(id);
    await effectsIdle(h);
    const r = (await stored(id)).request;
    expect(r.steps[2]!.assignees).toEqual([USERS.financeHead]);
    expect(r.history.at(-1)).toMatchObject({ action: 'transfer', actorId: USERS.leader, to: USERS.financeHead, comment: '出差一周' });
    const [audit] = await audits(id, 'request.transfer');
    expect(audit).toMatchObject({ actorId: USERS.leader, outcome: 'ok', details: expect.objectContaining({ to: USERS.financeHead }) });
    // The new assignee's card, and the old one redrawn without the decision buttons.
    const fresh = await waitCard(h.standIn, USERS.financeHead, id, 'req.approve');
    expect(fresh.body.content).toMatch(/转交：王强 → 吴芳/);
    expect(findButton(JSON.parse(content(old.message_id)), 'req.approve')).toBeUndefined();
    // The reminder moved: the old assignee's is cancelled, the new one has one.
    const reminders = await h.db.connection.collection('reminders').find({ tenantKey: T(), requestId: id, kind: 'approval.remind' }).toArray();
    const pendingFor = (who: string) => reminders.filter((x) => x.target?.openId === who && !x.cancelledAt && !x.sentAt && x.status !== 'cancelled');
    expect(pendingFor(USERS.financeHead).length).toBe(1);
    expect(pendingFor(USERS.leader).length).toBe(0);
    // The old assignee can no longer decide; the new one can.
    expect(await say(USERS.leader, `/approve ${id}`)).not.toContain('已同意');
    expect(await say(USERS.financeHead, `/approve ${id}`)).toContain(id);
    await effectsIdle(h);
    expect((await stored(id)).request.state).toBe('APPROVED');
  });

  it('refuses, audited: a person not eligible for the role, the requester, someone who is not the assignee', async () => {
    const id = await atLeader();
    expect(await say(USERS.leader, `/transfer ${id} @${USERS.staffRd}`)).toMatch(/赵磊 不能审批第 3 步：须由分管领导审批/);
    expect(await say(USERS.leader, `/transfer ${id} @${USERS.staffGeneral}`)).toContain('申请人');
    expect(await say(USERS.staffRd2, `/transfer ${id} @${USERS.financeHead}`)).toContain('不是当前环节');
    const refused = (await audits(id, 'request.transfer')).filter((a) => a.outcome === 'refused');
    expect(refused.map((a) => a.reason)).toEqual(['workflow.transfer_not_eligible', 'workflow.transfer_to_requester', 'workflow.not_assignee']);
    expect((await stored(id)).request.steps[2]!.assignees).toEqual([USERS.leader]);
    await say(USERS.staffGeneral, '/lang en');
    expect(await say(USERS.staffGeneral, `/transfer ${id} @${USERS.financeHead}`)).toContain('own request');
    await say(USERS.staffGeneral, '/lang zh');
  });

  it('by the card: Transfer opens a form with a person picker of eligible people; submitting hands the step over', async () => {
    const id = await atLeader();
    const card = await waitCard(h.standIn, USERS.leader, id, 'req.transfer_open');
    await clickAction(h.standIn, USERS.leader, card.message_id, 'req.transfer_open');
    // The click's answer redrew the card with the transfer form.
    const drawn = content(card.message_id);
    expect(drawn).toContain('"tag":"select_person"');
    expect(drawn).toContain(USERS.financeHead);
    // Not offered: the requester, the leader himself, people who decided a step.
    for (const who of [USERS.staffGeneral, USERS.generalHead, USERS.securityOfficer]) expect(drawn).not.toContain(`"value":"${who}"`);
    // Someone else clicking the same card cannot transfer it.
    const other = await clickAction(h.standIn, USERS.principal, card.message_id, 'req.transfer', { to: USERS.financeHead });
    expect(other.toast?.type).not.toBe('success');
    expect((await stored(id)).request.steps[2]!.assignees).toEqual([USERS.leader]);
    const res = await clickAction(h.standIn, USERS.leader, card.message_id, 'req.transfer', { to: USERS.financeHead, reason: '请假' });
    expect(res.toast?.type).toBe('success');
    await effectsIdle(h);
    expect((await stored(id)).request.steps[2]!.assignees).toEqual([USERS.financeHead]);
    expect(findButton(JSON.parse(content(card.message_id)), 'req.approve')).toBeUndefined();
    await waitCard(h.standIn, USERS.financeHead, id, 'req.approve');
  });
});

describe('edit and resubmit', () => {
  it('after a return for edit the requester opens the pre-filled form; submitting resubmits with the changes, the timeline keeps round 1', async () => {
    const id = idIn(await say(USERS.staffGeneral, '/copy carrier=MM-2026-001 copies=1 purpose=旧用途 place=文印室'));
    await effectsIdle(h);
    expect(await say(USERS.generalHead, `/revise ${id} 请补充份数`)).toContain(id);
    await effectsIdle(h);
    const status = await waitCard(h.standIn, USERS.staffGeneral, id, 'req.edit');
    // Someone else cannot open it.
    const stranger = await clickAction(h.standIn, USERS.staffRd, status.message_id, 'req.edit');
    expect(stranger.toast?.type).not.toBe('success');
    const opened = await clickAction(h.standIn, USERS.staffGeneral, status.message_id, 'req.edit');
    expect(opened.toast?.type).toBe('info');
    const form = await waitCard(h.standIn, USERS.staffGeneral, id, 'form.edit');
    const f = form.body.content;
    const submit = findButton(JSON.parse(f), 'form.edit')!;
    expect(f).toContain('旧用途');
    expect(f).toContain('文印室');
    expect(f).toMatch(/"initial_option":"MM-2026-001"/);
    const res = await clickAction(h.standIn, USERS.staffGeneral, form.message_id, 'form.edit', { carrier: 'MM-2026-001', copies: '3', purpose: '新用途', place: '文印室' });
    expect(res.toast?.type).toBe('success');
    await effectsIdle(h);
    const r = (await stored(id)).request;
    expect(r.state).toBe('IN_APPROVAL');
    expect(r.round).toBe(2);
    expect(r.details).toMatchObject({ copies: 3, purpose: '新用途' });
    expect(r.history.map((x) => x.action)).toEqual(['create', 'submit', 'return', 'resubmit']);
    const card = content(status.message_id);
    expect(card).toContain('第 1 轮');
    expect(card).toContain('第 2 轮');
    // The same form again: nothing more happens.
    const again = await h.standIn.click(USERS.staffGeneral, form.message_id, {
      tag: 'button',
      ...(submit.name ? { name: submit.name } : {}),
      value: submit.value,
      form_value: { carrier: 'MM-2026-001', copies: '4', purpose: '新用途' },
    });
    expect(again.toast?.type).not.toBe('success');
    expect((await stored(id)).request.version).toBe(r.version);
  });
});
