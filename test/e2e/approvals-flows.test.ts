/** Carry-out, destruction, return-for-edit, withdrawal, stale cards and who may do what. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { effectsIdle, startHarness, USERS, type Harness } from './harness.js';
import { cardFor, clickAction, findButton, replyTo, waitCard } from './approval-helpers.js';
import { localDate } from '../../domain/time.js';

let h: Harness;
const T = () => h.standIn.directory.tenantKey;
/** The bot's clock; a test moves it past a due date and puts it back. */
let clockOffsetMs = 0;

beforeAll(async () => {
  h = await startHarness('webhook', { now: () => new Date(Date.now() + clockOffsetMs) });
});
afterAll(() => h.stop());

async function say(user: string, text: string): Promise<string> {
  return replyTo(h.standIn, await h.standIn.sendText(user, null, text));
}
const idIn = (text: string, prefix: string) => new RegExp(`${prefix}-\\d{4}-\\d{4}`).exec(text)?.[0] ?? '';
const req = async (id: string) => (await h.bot.approvals.repos.requests.get(T(), id))!.request;
const carrier = async (n: string) => (await h.bot.approvals.repos.carriers.get(T(), n))!;
const settle = () => effectsIdle(h);

describe('carry-out: approved, checked out, returned, inspected, closed', () => {
  it('secret carrier, by text commands and cards', async () => {
    const id = idIn(await say(USERS.staffRd, '/外携 载体=JM-2026-002 目的地=市保密局 归还日期=2099-12-31 用途=汇报工作'), 'CO');
    expect(id).toBeTruthy();
    expect((await req(id)).steps.map((s) => s.role)).toEqual(['dept_head', 'security_officer', 'leader']);
    // The pending step has its reminder (+24 h) and escalation (+48 h) records.
    const pending = await h.db.connection.collection('reminders').find({ tenantKey: T(), requestId: id, state: 'pending' }).toArray();
    const remind = pending.find((r) => r.kind === 'approval.remind');
    const escalate = pending.find((r) => r.kind === 'approval.escalate');
    expect(remind?.target).toEqual({ openId: USERS.rdHead });
    const hours = (r: { dueAt: Date; createdAt: Date }) => Math.round((new Date(r.dueAt).getTime() - new Date(r.createdAt).getTime()) / 3_600_000);
    expect(hours(remind as never)).toBe(24);
    expect(hours(escalate as never)).toBe(48);
    expect(await say(USERS.rdHead, `/同意 ${id} 同意外出`)).toContain(id);
    const cancelled = await h.db.connection.collection('reminders').findOne({ tenantKey: T(), requestId: id, kind: 'approval.remind', 'target.openId': USERS.rdHead });
    expect(cancelled?.state).toBe('cancelled');
    expect(await say(USERS.securityOfficer, `/approve ${id}`)).toContain(id);
    expect(await say(USERS.leader, `/approve ${id}`)).toContain(id);
    expect((await req(id)).state).toBe('APPROVED');

    const exec = await waitCard(h.standIn, USERS.securityOfficer2, id, 'req.check_out');
    expect((await clickAction(h.standIn, USERS.securityOfficer2, exec.message_id, 'req.check_out')).toast?.type).toBe('success');
    expect((await req(id)).state).toBe('OUT');
    await settle();
    expect((await carrier('JM-2026-002')).status).toBe('CHECKED_OUT');

    // While it is out, nobody else can ask to copy it.
    expect(await say(USERS.staffGeneral, '/copy carrier=JM-2026-002 copies=1 purpose=x')).toContain('JM-2026-002');

    // Due-back reminders exist for the scheduler: T-1 d for the carrier person, and the overdue check.
    const reminders = await h.db.connection.collection('reminders').find({ tenantKey: T(), requestId: id, state: 'pending' }).toArray();
    const kinds = reminders.map((r) => r.kind);
    expect(kinds).toEqual(expect.arrayContaining(['carry.due_soon', 'carry.overdue']));
    const dueSoon = reminders.find((r) => r.kind === 'carry.due_soon' && new Date(r.dueAt).toISOString().startsWith('2099-12-30'));
    expect(dueSoon, JSON.stringify(reminders.map((r) => [r.kind, r.dueAt]))).toBeTruthy();

    // The carrier person announces the return; the officers are told; custody has not changed yet.
    expect(await say(USERS.staffRd, `/归还 ${id}`)).toContain(id);
    expect((await req(id)).state).toBe('OUT');
    await settle();
    const officerTold = h.standIn.messages(
      (m) => m.chat_id === h.standIn.p2pChatId(USERS.securityOfficer) && m.msg_type === 'text' && m.body.content.includes(id) && m.body.content.includes('/return'),
    );
    expect(officerTold).toHaveLength(1);
    // An officer confirms receipt on the execution card; the carrier stays out of stock until inspected.
    const receive = await waitCard(h.standIn, USERS.securityOfficer, id, 'req.receive');
    expect((await clickAction(h.standIn, USERS.securityOfficer, receive.message_id, 'req.receive')).toast?.type).toBe('success');
    await settle(); // a click is answered before its effects run
    const after = await h.db.connection
      .collection('reminders')
      .find({ tenantKey: T(), requestId: id, kind: { $in: ['carry.due_soon', 'carry.overdue'] } })
      .toArray();
    expect(after.every((r) => r.state === 'cancelled')).toBe(true);
    expect((await req(id)).state).toBe('RETURNED');
    await settle();
    expect((await carrier('JM-2026-002')).status).toBe('CHECKED_OUT');
    const inspect = await waitCard(h.standIn, USERS.securityOfficer, id, 'req.inspect_ok');
    expect((await clickAction(h.standIn, USERS.securityOfficer, inspect.message_id, 'req.inspect_ok', { note: '完好' })).toast?.type).toBe('success');
    expect((await req(id)).state).toBe('CLOSED');
    await settle();
    expect((await carrier('JM-2026-002')).status).toBe('IN_STOCK');
    const entries = await h.db.connection.collection('ledger_entries').find({ tenantKey: T(), ledger: 'CARRY', requestId: id }).toArray();
    expect(entries.map((e) => e.event)).toEqual(expect.arrayContaining(['CHECKED_OUT', 'RETURNED', 'INSPECTED']));
  });

  it('past its due-back day a checked-out carry-out becomes overdue, once, and is still returned normally', async () => {
    const id = idIn(await say(USERS.staffRd2, '/carry carrier=SM-2026-001 destination=客户现场 due=2099-03-01 purpose=技术交流'), 'CO');
    for (const who of (await req(id)).steps.map((s) => s.assignees[0]!)) expect(await say(who, `/approve ${id}`)).toContain(id);
    expect(await say(USERS.securityOfficer, `/checkout ${id}`)).toContain(id);
    expect(await h.bot.approvals.service.sweepOverdue()).toBe(0); // not due yet
    clockOffsetMs = Date.parse('2099-03-03T00:00:00Z') - Date.now();
    try {
      const [first, second] = await Promise.all([h.bot.approvals.service.sweepOverdue(), h.bot.approvals.service.sweepOverdue()]);
      expect(first + second).toBe(1);
      expect((await req(id)).state).toBe('OVERDUE');
      await settle();
      const told = h.standIn.messages(
        (m) => m.chat_id === h.standIn.p2pChatId(USERS.staffRd2) && m.msg_type === 'text' && m.body.content.includes(id) && /超过应还日期|overdue/i.test(m.body.content),
      );
      expect(told).toHaveLength(1);
      expect(await say(USERS.staffRd2, `/return ${id}`)).toContain(id);
      expect((await req(id)).state).toBe('OVERDUE');
      expect(await say(USERS.securityOfficer, `/return ${id}`)).toContain(id);
      expect((await req(id)).state).toBe('RETURNED');
    } finally {
      clockOffsetMs = 0;
    }
  });

  it('two approved carry-outs of one carrier: the first check-out wins, the second is refused', async () => {
    await h.bot.approvals.repos.carriers.createIfAbsent(T(), {
      number: 'TEST-CO-1',
      regime: 'TRADE_SECRET',
      level: 'ORDINARY',
      carrierType: '纸质',
      alias: '对账单',
      copyRestricted: false,
      mustReturnToIssuer: false,
      count: 1,
      custodianId: USERS.securityOfficer,
      origin: 'registered',
      createdBy: USERS.securityOfficer,
    });
    const ids: string[] = [];
    for (const who of [USERS.staffGeneral, USERS.staffFinance]) {
      const id = idIn(await say(who, '/carry carrier=TEST-CO-1 destination=银行 due=2099-05-01 purpose=对账'), 'CO');
      for (const approver of (await req(id)).steps.map((s) => s.assignees[0]!)) expect(await say(approver, `/approve ${id}`)).toContain(id);
      ids.push(id);
    }
    expect(await say(USERS.securityOfficer, `/checkout ${ids[0]}`)).toContain(ids[0]!);
    await settle();
    const refused = await say(USERS.securityOfficer, `/checkout ${ids[1]}`);
    expect(refused).toContain('TEST-CO-1');
    expect((await req(ids[1]!)).state).toBe('APPROVED');
    expect((await carrier('TEST-CO-1')).status).toBe('CHECKED_OUT');
  });

  it('top secret needs a companion and goes up to the principal', async () => {
    const id = idIn(await say(USERS.staffRd, `/carry carrier=JUEM-2026-001 destination=上级机关 due=2099-06-30 purpose=汇报 companions=${USERS.staffRd2}`), 'CO');
    expect(id).toBeTruthy();
    expect((await req(id)).steps.map((s) => s.role)).toEqual(['dept_head', 'security_officer', 'leader', 'principal']);
  });
});

describe('destruction: witnesses confirm on their own cards', () => {
  it('registers a carrier, approves, records the execution with two witnesses, closes', async () => {
    const reg = await h.standIn.sendText(USERS.securityOfficer, null, '/carrier add 编号=TEST-D-1 密级=秘密 类别=纸质 名称=废旧材料');
    await h.standIn.waitForMessage((m) => m.parent_id === reg.message_id && m.msg_type === 'interactive', 3000);
    expect((await carrier('TEST-D-1')).status).toBe('IN_STOCK');

    const id = idIn(await say(USERS.staffFinance, '/destroy carrier=TEST-D-1 reason=失去保存价值 method=粉碎 site=本单位碎纸机'), 'DS');
    expect(id).toBeTruthy();
    for (const who of (await req(id)).steps.map((s) => s.assignees[0]!)) {
      expect(await say(who, `/approve ${id}`)).toContain(id);
    }
    expect((await req(id)).state).toBe('APPROVED');
    await settle();
    expect((await carrier('TEST-D-1')).status).toBe('PENDING_DESTRUCTION');

    // One witness is not enough (legal floor); the executor cannot witness their own work.
    expect(await say(USERS.securityOfficer, `/complete ${id} witnesses=${USERS.staffGeneral}`)).toMatch(/两名|two|2/);
    expect(await say(USERS.securityOfficer, `/complete ${id} witnesses=${USERS.staffGeneral},${USERS.securityOfficer}`)).toBeTruthy();
    expect((await req(id)).state).toBe('APPROVED');

    // An explicit date: it lies between the approval day (today) and today.
    const today = localDate(new Date(), 'Asia/Shanghai');
    expect(await say(USERS.securityOfficer, `/complete ${id} witnesses=${USERS.staffGeneral},${USERS.staffRd2} date=${today}`)).toContain(id);
    expect((await req(id)).state).toBe('EXECUTED_PENDING_WITNESS');

    const witnessCard = await waitCard(h.standIn, USERS.staffGeneral, id, 'req.confirm_witness');
    expect((await clickAction(h.standIn, USERS.staffGeneral, witnessCard.message_id, 'req.confirm_witness')).toast?.type).toBe('success');
    // Somebody who is not a named witness cannot confirm.
    expect(await say(USERS.staffRd, `/witness ${id}`)).not.toContain('已确认监销');
    expect(await say(USERS.staffRd2, `/witness ${id}`)).toContain(id);
    expect((await req(id)).state).toBe('CLOSED');
    await settle();
    expect((await carrier('TEST-D-1')).status).toBe('DESTROYED');
    const entry = await h.db.connection.collection('ledger_entries').findOne({ tenantKey: T(), ledger: 'DESTROY', requestId: id, event: 'DESTROYED' });
    expect(entry).toBeTruthy();
  });
});

describe('return for edit, resubmission and withdrawal', () => {
  it('the department head returns it, the requester resubmits with a change, approval restarts', async () => {
    const id = idIn(await say(USERS.staffGeneral, '/copy carrier=JM-2026-001 copies=1 purpose=学习'), 'CP');
    const card = await waitCard(h.standIn, USERS.generalHead, id, 'req.return');
    const empty = await clickAction(h.standIn, USERS.generalHead, card.message_id, 'req.return', { comment: '' });
    expect(empty.toast?.type).toBe('error');
    expect((await req(id)).state).toBe('IN_APPROVAL');
    const ret = await clickAction(h.standIn, USERS.generalHead, card.message_id, 'req.return', { comment: '请写明复制地点' });
    expect(ret.toast?.type).toBe('success');
    expect((await req(id)).state).toBe('DRAFT');
    expect(await say(USERS.staffGeneral, `/resubmit ${id} place=本单位文印室`)).toContain(id);
    const r = await req(id);
    expect(r).toMatchObject({ state: 'IN_APPROVAL', currentStep: 0, round: 2 });
    expect(r.kind === 'COPY' && r.details.place).toBe('本单位文印室');
  });

  it('a withdrawn request’s approval card no longer acts: the click gets a toast and a fresh card', async () => {
    const id = idIn(await say(USERS.staffGeneral, '/copy carrier=JM-2026-001 copies=1 purpose=培训'), 'CP');
    const card = await waitCard(h.standIn, USERS.generalHead, id, 'req.approve');
    // The head keeps the card open while the requester withdraws.
    const button = findButton(JSON.parse(card.body.content), 'req.approve')!;
    expect(await say(USERS.staffGeneral, `/withdraw ${id}`)).toContain(id);
    expect((await req(id)).state).toBe('WITHDRAWN');
    const version = (await req(id)).version;
    const stale = await h.standIn.click(USERS.generalHead, card.message_id, { tag: 'button', value: button.value, form_value: {} });
    expect(stale.toast?.type).toBe('warning');
    expect(stale.card_updated).toBe(true);
    expect((await req(id)).version).toBe(version);
  });
});

describe('who may do what', () => {
  it('nobody approves their own request: a department head’s own request goes to the leader', async () => {
    const id = idIn(await say(USERS.generalHead, '/copy carrier=JM-2026-001 copies=1 purpose=部门会议'), 'CP');
    const r = await req(id);
    expect(r.steps.map((s) => s.role)).toEqual(['dept_head', 'security_officer', 'leader']);
    // The leader takes the leader step, so the department step goes to the principal.
    expect(r.steps[0]!.assignees).toEqual([USERS.principal]);
    expect(r.steps[2]!.assignees).toEqual([USERS.leader]);
    expect(r.steps.flatMap((s) => s.assignees)).not.toContain(USERS.generalHead);
  });

  it('staff cannot approve someone else’s step, register carriers or manage roles', async () => {
    const id = idIn(await say(USERS.staffGeneral, '/copy carrier=JM-2026-001 copies=1 purpose=复习'), 'CP');
    const v = (await req(id)).version;
    expect(await say(USERS.staffRd, `/approve ${id}`)).not.toContain('已同意');
    expect((await req(id)).version).toBe(v);
    expect(await say(USERS.staffRd, '/carrier add no=X-1 level=秘密 type=纸质 alias=x')).toContain('保密员');
    expect(await say(USERS.staffRd, `/role add ${USERS.staffRd2} security_officer`)).toContain('管理员');
  });

  it('an administrator grants and lists roles', async () => {
    expect(await say(USERS.securityHead, `/role add ${USERS.staffFinance} 保密员`)).toContain('保密员');
    expect(await h.bot.approvals.repos.roles.rolesOf(T(), USERS.staffFinance)).toContain('security_officer');
    expect(await say(USERS.securityHead, '/role list')).toContain(USERS.staffFinance);
    expect(await say(USERS.securityHead, `/role remove ${USERS.staffFinance} security_officer`)).toBeTruthy();
    expect(await h.bot.approvals.repos.roles.rolesOf(T(), USERS.staffFinance)).not.toContain('security_officer');
  });

  it('/my and /pending list the requests as cards', async () => {
    const mine = await h.standIn.sendText(USERS.staffGeneral, null, '/my');
    const m = await h.standIn.waitForMessage((x) => x.parent_id === mine.message_id, 3000);
    expect(m.msg_type).toBe('interactive');
    expect(m.body.content).toMatch(/CP-\d{4}-\d{4}/);
    const pend = await h.standIn.sendText(USERS.generalHead, null, '/pending');
    const p = await h.standIn.waitForMessage((x) => x.parent_id === pend.message_id, 3000);
    expect(p.body.content).toMatch(/CP-\d{4}-\d{4}/);
  });

  it('/copy without arguments answers with a form, and the form creates the request', async () => {
    const sent = await h.standIn.sendText(USERS.staffFinance, null, '/copy');
    const form = await h.standIn.waitForMessage((x) => x.parent_id === sent.message_id, 3000);
    // A bad submission is refused and leaves the form as it was (a good one then replaces it by
    // the read-only "submitted" card, so the bad one goes first).
    const bad = await clickAction(h.standIn, USERS.staffFinance, form.message_id, 'form.copy', { carrier: 'SM-2026-002', copies: '0', purpose: 'x' });
    expect(bad.toast?.type).toBe('error');
    const submit = await clickAction(h.standIn, USERS.staffFinance, form.message_id, 'form.copy', { carrier: 'SM-2026-002', copies: '1', purpose: '客户回访' });
    expect(submit.toast?.type, JSON.stringify(submit)).toBe('success');
    expect(JSON.stringify(submit.toast)).toMatch(/CP-\d{4}-\d{4}/);
    expect(cardFor(h.standIn, USERS.staffFinance, 'SM-2026-002')).toBeTruthy();
  });
});
