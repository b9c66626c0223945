/**
 * Incidents through the whole bot (real SDK, the Lark stand-in, the embedded store) on a fake
 * clock, in both languages (the principal and one security officer read English): a staff member
 * reports a leak with the form (a second submission makes no second incident); the alert reaches
 * the security-office head and the principal/committee chair once, in their language; the +12 h
 * reminder once at its time; the head records the 24-hour report on the card (the principal may
 * not), so no +20 h reminder; the +60 d result reminder once; the result is recorded and the
 * incident closed; its steps are in `/ledger incident` and `/verify`. Then a lost carrier: the
 * register shows it MISSING, the 50 % and 80 % alerts come once each, "found" on the card closes
 * it and the carrier is back in stock, and the deadline passes without a leak. Last, the incidents'
 * register through the ledgers' normal path: `user=` (the reporter), `/export all` (its own sheet)
 * and `/ledger stats` (incidents opened by level, and open now).
 */
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INCIDENT_ACTION, INCIDENT_FORM_ACTION } from '../../cards/incident.card.js';
import type { IncidentApi } from '../../handlers/features.js';
import type { StoredMessage } from '../../sandbox/lark/store.js';
import { type FoundButton, requireButtonWhere } from '../helpers/cards.js';
import { startHarness, USERS, type Harness, botP2p, textOf } from './harness.js';

let h: Harness;
let clock = new Date('2026-12-01T02:00:00Z'); // 10:00 in Beijing
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const HEAD = USERS.securityHead; // 张伟, zh
const PRINCIPAL = USERS.principal; // 刘洋, principal and committee chair, reads English
const OFFICER = USERS.securityOfficer; // 李娜, zh
const OFFICER_EN = USERS.securityOfficer2; // 黄敏, reads English
const REPORTER = USERS.staffGeneral; // 孙浩
const DISCOVERED = new Date('2026-12-01T01:30:00Z'); // 09:30 in Beijing

const p2p = (user: string): StoredMessage[] => botP2p(h.standIn, user);
/** The incident cards about `id` a user got, optionally only those containing `marker`. */
const cards = (user: string, id: string, marker?: string) =>
  p2p(user).filter((m) => m.msg_type === 'interactive' && m.body.content.includes(id) && (!marker || m.body.content.includes(marker)));

async function ask(user: string, command: string, want: (m: StoredMessage) => boolean = (m) => m.msg_type === 'text'): Promise<StoredMessage> {
  const before = p2p(user).length;
  await h.standIn.sendText(user, null, command);
  const answer = () =>
    p2p(user)
      .slice(before)
      .find((m) => want(m));
  await h.standIn.waitFor(() => answer(), 8000, `an answer to ${command}`);
  return answer()!;
}

function buttonOf(card: unknown, action: string, step?: string): FoundButton {
  return requireButtonWhere(card, (v) => v.a === action && (!step || (v.x as { s?: string } | undefined)?.s === step), `no ${action} ${step ?? ''} button`);
}

async function sweepAt(t: number): Promise<void> {
  clock = new Date(t);
  await h.bot.alarms.sweep();
  await h.bot.alarms.sweep();
  await h.bot.fanout.kick();
}

/** Waits until `user` has `n` cards about `id` (containing `marker`), then checks there are exactly `n`. */
async function expectCards(user: string, id: string, n: number, marker?: string): Promise<StoredMessage[]> {
  await h.standIn.waitFor(() => cards(user, id, marker).length >= n || undefined, 8000, `${n} card(s) of ${id} for ${user} (${marker ?? ''})`);
  await h.bot.fanout.kick();
  expect(cards(user, id, marker)).toHaveLength(n);
  return cards(user, id, marker);
}

beforeAll(async () => {
  h = await startHarness('webhook', { now: () => clock });
}, 60_000);
afterAll(() => h.stop());

describe('/incident: a leak from the form to its closure', () => {
  let id = '';

  it('anyone reports with the form; submitting twice makes one incident; the alert reaches head, principal and chair once, in their language', async () => {
    await ask(PRINCIPAL, '/lang en');
    await ask(OFFICER_EN, '/lang en');
    const form = await ask(REPORTER, '/报告', (m) => m.msg_type === 'interactive' && m.body.content.includes(INCIDENT_FORM_ACTION));
    expect(form.body.content).toContain('请勿填写涉密内容');
    const submit = buttonOf(JSON.parse(form.body.content), INCIDENT_FORM_ACTION);
    const values = {
      kind: 'LEAK',
      date: '2026-12-01 +0800',
      time: '09:30',
      place: '三楼会议室',
      found_by: USERS.staffRd,
      carriers: 'JM-2026-001, NOPE-404',
      quantity: '1',
      measures: '已封存现场',
    };
    const refused = await h.standIn.click(REPORTER, form.message_id, { tag: 'button', name: submit.name, value: submit.value, form_value: values });
    expect(refused.toast?.type).toBe('error');
    expect(refused.toast?.content).toContain('NOPE-404');
    const r = await h.standIn.click(REPORTER, form.message_id, { tag: 'button', name: submit.name, value: submit.value, form_value: { ...values, carriers: 'JM-2026-001' } });
    expect(r.ok, r.error).toBe(true);
    expect(r.toast?.type).toBe('success');
    id = /INC-2026-\d{4}/.exec(r.toast!.content)![0];
    expect(JSON.stringify(r.card)).toContain(`已收到报告 ${id}`);
    const again = await h.standIn.click(REPORTER, form.message_id, { tag: 'button', name: submit.name, value: submit.value, form_value: { ...values, carriers: 'JM-2026-001' } });
    expect(again.toast?.content).toContain(`这份报告已提交过：${id}`);
    const head = (await expectCards(HEAD, id, 1))[0]!;
    expect(head.body.content).toContain('新报告的事件');
    expect(head.body.content).toContain('三楼会议室');
    expect(head.body.content).toContain('赵磊');
    expect(head.body.content).toContain('2026-12-02 09:30 前');
    expect(head.body.content).toContain(INCIDENT_ACTION);
    const principal = (await expectCards(PRINCIPAL, id, 1))[0]!;
    expect(principal.body.content).toContain('A new incident was reported');
    expect(principal.body.content).not.toContain('新报告的事件');
    // The principal and chair may use none of the buttons: their card comes without them.
    expect(principal.body.content).not.toContain(INCIDENT_ACTION);
    expect(principal.body.content).not.toContain('"tag":"button"');
    expect(cards(OFFICER, id)).toHaveLength(0);
    // The reporter's only card about it is the receipt the form became.
    expect(cards(REPORTER, id).map((m) => m.message_id)).toEqual([form.message_id]);
  });

  it('+12 h: one reminder each, at its time', async () => {
    await sweepAt(DISCOVERED.getTime() + 12 * HOUR - 60_000);
    expect(cards(HEAD, id)).toHaveLength(1);
    await sweepAt(DISCOVERED.getTime() + 12 * HOUR);
    expect((await expectCards(HEAD, id, 1, '事件已过 12 小时'))[0]!.body.content).toContain('24 小时报告尚未登记');
    await expectCards(PRINCIPAL, id, 1, '12 hours have passed');
    await sweepAt(DISCOVERED.getTime() + 12 * HOUR + 60_000);
    expect(cards(HEAD, id)).toHaveLength(2);
  });

  it('the head records the 24-hour report on the card (the principal may not); no +20 h reminder', async () => {
    clock = new Date(DISCOVERED.getTime() + 13 * HOUR);
    const msg = cards(PRINCIPAL, id, '12 hours have passed')[0]!;
    // The principal's reminder has no buttons to be refused on.
    expect(() => buttonOf(JSON.parse(msg.body.content), INCIDENT_ACTION)).toThrow();
    const headMsg = cards(HEAD, id, '事件已过 12 小时')[0]!;
    const btn = buttonOf(JSON.parse(headMsg.body.content), INCIDENT_ACTION, 'reported');
    const form_value = { rep_date: '2026-12-01 +0800', rep_time: '20:00', rep_to: '市保密局' };
    // A click forged with the head's button on the principal's card is still refused.
    const no = await h.standIn.click(PRINCIPAL, msg.message_id, { tag: 'button', name: btn.name, value: btn.value, form_value });
    expect(no.toast?.type).toBe('error');
    expect(no.toast?.content).toContain('Only a security officer');
    const ok = await h.standIn.click(HEAD, headMsg.message_id, { tag: 'button', name: btn.name, value: btn.value, form_value });
    expect(ok.ok, ok.error).toBe(true);
    expect(ok.toast?.content).toContain(`已登记 ${id} 的 24 小时报告（2026-12-01 20:00，市保密局）`);
    expect(JSON.stringify(ok.card)).toContain('已于 2026-12-01 20:00 报告 市保密局');
    await expectCards(PRINCIPAL, id, 1, 'The 24-hour report is recorded');
    const dup = await ask(OFFICER, `/incident reported ${id} 2026-12-01 21:00 to=上级主管部门`);
    expect(textOf(dup)).toContain('24 小时报告已登记');
    await sweepAt(DISCOVERED.getTime() + 20 * HOUR);
    await sweepAt(DISCOVERED.getTime() + 59 * DAY);
    expect(cards(HEAD, id, '20 小时')).toHaveLength(0);
    expect(cards(PRINCIPAL, id, '20 hours')).toHaveLength(0);
  });

  it('+60 d: the result reminder once to the security office; the result recorded; no +80 d; closed; in /ledger and /verify', async () => {
    await sweepAt(DISCOVERED.getTime() + 60 * DAY);
    await expectCards(OFFICER, id, 1, '事件已过 60 日');
    await expectCards(OFFICER_EN, id, 1, '60 days have passed');
    await sweepAt(DISCOVERED.getTime() + 60 * DAY + HOUR);
    await expectCards(HEAD, id, 1, '事件已过 60 日');
    expect(cards(PRINCIPAL, id, '60 days')).toHaveLength(0);
    clock = new Date(DISCOVERED.getTime() + 61 * DAY);
    const early = await ask(OFFICER, `/incident close ${id}`);
    expect(textOf(early)).toContain('关闭前请先登记');
    const res = await ask(OFFICER, `/事件 结果 ${id} 2027-01-30`);
    expect(textOf(res)).toContain(`已登记 ${id} 的查处结果报告（2027-01-30）`);
    await sweepAt(DISCOVERED.getTime() + 80 * DAY);
    expect(cards(OFFICER, id, '80 日')).toHaveLength(0);
    // Progress goes into the append-only register: usage, refusal and reply warn against content.
    const usage = await ask(OFFICER_EN, `/incident status ${id}`);
    expect(textOf(usage)).toContain('Usage: `/incident status <id> <progress, at most 200 characters>`');
    expect(textOf(usage)).toContain('Do not enter classified content');
    const long = await ask(OFFICER, `/incident status ${id} ${'长'.repeat(201)}`);
    expect(textOf(long)).toBe('进展须为 1 至 200 字，只写事实，勿填涉密内容。');
    const st = await ask(OFFICER_EN, `/incident status ${id} person concerned interviewed`);
    expect(textOf(st)).toBe(`Progress of ${id} updated.\n⚠️ Progress is kept in the incident register for good: facts only, never classified content.`);
    const closed = await ask(OFFICER, `/incident close ${id}`);
    expect(textOf(closed)).toBe(`${id} 已关闭。`);
    await expectCards(PRINCIPAL, id, 1, 'The incident is closed');
    const list = await ask(HEAD, '/incident list');
    expect(textOf(list)).toContain(`${id} · 泄密 · 已关闭`);
    const no = await ask(REPORTER, '/incident list');
    expect(textOf(no)).toContain('只有保密办');
    const ledger = await ask(OFFICER, '/ledger incident', (m) => m.msg_type === 'interactive');
    for (const e of ['报告', '已向外报告', '结果已报送', '进展', '关闭']) expect(ledger.body.content).toContain(e);
    expect(ledger.body.content).toContain(id);
    const verify = await ask(OFFICER, '/verify', (m) => m.msg_type === 'interactive');
    expect(verify.body.content).toContain('**泄密事件登记**：完整，5 条');
  });
});

describe('/incident missing: a lost carrier found in time', () => {
  let id = '';
  let t0 = 0;

  it('the register shows it missing; alerts at 50 % and 80 % once each; found on the card: closed, back in stock, no deadline', async () => {
    t0 = clock.getTime();
    const refused = await ask(REPORTER, '/incident missing JM-2026-002');
    expect(textOf(refused)).toContain('只有保密员');
    const r = await ask(OFFICER_EN, '/incident missing JM-2026-002');
    expect(textOf(r)).toContain('not found within 60 days');
    id = /INC-20\d\d-\d{4}/.exec(textOf(r))![0];
    const tenant = h.standIn.directory.tenantKey;
    expect((await h.bot.approvals.repos.carriers.get(tenant, 'JM-2026-002'))?.status).toBe('MISSING');
    await expectCards(HEAD, id, 1, '新报告的事件');
    await sweepAt(t0 + 30 * DAY - 60_000);
    expect(cards(OFFICER, id)).toHaveLength(0);
    await sweepAt(t0 + 30 * DAY);
    await expectCards(OFFICER, id, 1, '期限已过半');
    await expectCards(USERS.leader, id, 1, '期限已过半');
    await expectCards(OFFICER_EN, id, 1, 'half of the 60 days');
    await sweepAt(t0 + 48 * DAY);
    const p80 = (await expectCards(OFFICER_EN, id, 1, '80% of the 60 days'))[0]!;
    const found = buttonOf(JSON.parse(p80.body.content), INCIDENT_ACTION, 'found');
    const ok = await h.standIn.click(OFFICER_EN, p80.message_id, { tag: 'button', value: found.value });
    expect(ok.ok, ok.error).toBe(true);
    expect(ok.toast?.content).toBe(`${id}: the carriers were found; the incident is closed.`);
    expect((await h.bot.approvals.repos.carriers.get(tenant, 'JM-2026-002'))?.status).toBe('IN_STOCK');
    await expectCards(PRINCIPAL, id, 1, 'The carriers were found');
    const twice = await h.standIn.click(OFFICER_EN, p80.message_id, { tag: 'button', value: found.value });
    expect(twice.toast?.type).toBe('error');
    const before = cards(OFFICER, id).length;
    await sweepAt(t0 + 60 * DAY);
    await sweepAt(t0 + 61 * DAY);
    expect(cards(OFFICER, id)).toHaveLength(before);
    expect(cards(HEAD, id, '日内未找到')).toHaveLength(0);
    expect(cards(HEAD, id, '逾期未找到')).toHaveLength(0);
  });

  it('the register’s inventory opens a lost-carrier incident once per source key', async () => {
    const api = h.bot.features.find((f) => f.name === 'incident')!.api as IncidentApi;
    const tenant = h.standIn.directory.tenantKey;
    const a = await api.reportMissing(tenant, { carrierIds: ['MM-2026-001'], reportedBy: OFFICER, sourceKey: 'inventory:2027-Q1:MM-2026-001' });
    const b = await api.reportMissing(tenant, { carrierIds: ['MM-2026-001'], reportedBy: OFFICER, sourceKey: 'inventory:2027-Q1:MM-2026-001' });
    expect(a.created).toBe(true);
    expect(b).toEqual({ incidentId: a.incidentId, created: false });
    await expectCards(HEAD, a.incidentId, 1, '载体丢失');
    expect((await h.bot.approvals.repos.carriers.get(tenant, 'MM-2026-001'))?.status).toBe('MISSING');
  });
});

describe('the incidents’ register in /ledger, /export and /ledger stats', () => {
  const interactive = (m: StoredMessage) => m.msg_type === 'interactive';

  it('user= finds the reporter’s incidents; dept= does not apply', async () => {
    const mine = await ask(OFFICER, `/ledger incident user=${REPORTER}`, interactive);
    expect(mine.body.content).toContain('共 5 条 · 第 1/1 页');
    expect(mine.body.content).toContain('泄密事件登记');
    const none = await ask(OFFICER, `/ledger incident user=${HEAD}`, interactive);
    expect(none.body.content).toContain('没有符合条件的记录');
    const dept = await ask(OFFICER, '/ledger incident dept=综合处');
    expect(textOf(dept)).toContain('筛选条件“dept”不适用于泄密事件登记');
  });

  it('/ledger stats counts the incidents opened by level and those open now', async () => {
    const y2026 = await ask(HEAD, '/ledger stats 2026', interactive);
    expect(y2026.body.content).toContain('泄密事件登记 · 机密：**1**');
    // Two lost-carrier incidents opened in 2027 (JM-2026-002 机密, MM-2026-001 秘密); the last is still searched for.
    const y2027 = await ask(HEAD, '/ledger stats 2027', interactive);
    expect(y2027.body.content).toContain('泄密事件登记 · 机密：**1**');
    expect(y2027.body.content).toContain('泄密事件登记 · 秘密：**1**');
    expect(y2027.body.content).toContain('处理中的泄密事件（未关闭，不含待确认）：**1**');
  });

  it('/export all has the incidents’ sheet with every step', async () => {
    const file = await ask(OFFICER, '/export all', (m) => m.msg_type === 'file');
    const key = (JSON.parse(file.body.content) as { file_key: string }).file_key;
    const stored = h.standIn.store.files.get(key)!;
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(stored.bytes as unknown as ArrayBuffer);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['涉密载体总台账', '复制登记', '携带外出登记', '销毁登记', '泄密事件登记', '审计日志']);
    const ws = wb.getWorksheet('泄密事件登记')!;
    const steps = await h.db.connection.collection('ledger_entries').countDocuments({ tenantKey: h.standIn.directory.tenantKey, ledger: 'INCIDENT' });
    expect(steps).toBe(11); // 5 of the leak, 4 of the carrier found, 2 of the one still missing
    expect(ws.rowCount).toBe(steps + 1);
    const headers = (ws.getRow(1).values as unknown[]).slice(1);
    const cell = (r: number, name: string) => ws.getRow(r).getCell(headers.indexOf(name) + 1).value;
    expect(cell(2, '事件')).toBe('报告');
    expect(cell(2, '事件类型')).toBe('泄密');
    expect(cell(2, '报告人')).toBe('孙浩');
    expect(cell(2, '发现时间')).toBeInstanceOf(Date);
  });
});

describe('/incident in English: a reader reports with the form, the security office closes it', () => {
  const REPORTER_EN = USERS.staffFinance; // 徐丽

  it('the form, the receipt, the alert and every step’s card speak English; closing it tells the principal in English', async () => {
    clock = new Date('2027-05-10T04:00:00Z'); // 12:00 in Beijing
    expect(textOf(await ask(REPORTER_EN, '/lang en'))).toBeTruthy();
    const form = await ask(REPORTER_EN, '/incident', (m) => m.msg_type === 'interactive' && m.body.content.includes(INCIDENT_FORM_ACTION));
    expect(form.body.content).toContain('Report an incident');
    expect(form.body.content).toContain('Do not enter classified content');
    expect(form.body.content).toContain('Submit report');
    expect(form.body.content).not.toContain('请勿填写涉密内容');
    const submit = buttonOf(JSON.parse(form.body.content), INCIDENT_FORM_ACTION);
    const values = { kind: 'VIOLATION', date: '2027-05-10 +0800', time: '09:15', place: 'Archive room', carriers: '', measures: 'Room sealed' };
    const bad = await h.standIn.click(REPORTER_EN, form.message_id, { tag: 'button', name: submit.name, value: submit.value, form_value: { ...values, time: '25:00' } });
    expect(bad.toast?.type).toBe('error');
    expect(bad.toast?.content).toContain('is not valid: give a date and a time as HH:mm');
    const r = await h.standIn.click(REPORTER_EN, form.message_id, { tag: 'button', name: submit.name, value: submit.value, form_value: values });
    expect(r.ok, r.error).toBe(true);
    expect(r.toast?.content).toMatch(/^Submitted: INC-2027-\d{4}$/);
    const id = /INC-2027-\d{4}/.exec(r.toast!.content)![0];
    const receipt = JSON.stringify(r.card);
    expect(receipt).toContain(`Report received: ${id}`);
    expect(receipt).toContain('went to the security-office head, the principal and the committee chair');
    expect(receipt).not.toContain('已收到报告');

    // The principal reads English: the alert in English, without buttons; the head’s in Chinese, with them.
    const alert = (await expectCards(PRINCIPAL, id, 1))[0]!.body.content;
    for (const t of [`Violation incident ${id}`, 'A new incident was reported', '**Place**: Archive room', '**Measures taken**: Room sealed', 'due to the secrecy authority'])
      expect(alert).toContain(t);
    expect(alert).toContain('2027-05-11 09:15');
    expect(alert).not.toContain('新报告的事件');
    expect(alert).not.toContain(INCIDENT_ACTION);
    const head = (await expectCards(HEAD, id, 1))[0]!.body.content;
    expect(head).toContain('新报告的事件');
    expect(head).toContain(INCIDENT_ACTION);

    // An English security officer records the 24-hour report, the result and closes it, on the card.
    const shown = await ask(OFFICER_EN, `/incident show ${id}`, (m) => m.msg_type === 'interactive');
    expect(shown.body.content).toContain('Record the 24-hour report');
    const click = async (card: unknown, step: string, form_value?: Record<string, string>) => {
      const b = buttonOf(card, INCIDENT_ACTION, step);
      const out = await h.standIn.click(OFFICER_EN, shown.message_id, {
        tag: 'button',
        ...(b.name ? { name: b.name } : {}),
        value: b.value,
        ...(form_value ? { form_value } : {}),
      });
      expect(out.ok, out.error).toBe(true);
      expect(out.toast?.type, JSON.stringify(out.toast)).toBe('success');
      return out;
    };
    const rep = await click(JSON.parse(shown.body.content), 'reported', { rep_date: '2027-05-10 +0800', rep_time: '10:00', rep_to: 'City secrecy bureau' });
    expect(rep.toast?.content).toBe(`The 24-hour report of ${id} is recorded (2027-05-10 10:00, City secrecy bureau).`);
    expect(JSON.stringify(rep.card)).toContain('**24-hour report**: made 2027-05-10 10:00 to City secrecy bureau');
    expect(JSON.stringify(rep.card)).toContain('Record the result report');
    const res = await click(rep.card, 'result', { res_date: '2027-05-10 +0800' });
    expect(res.toast?.content).toBe(`The result report of ${id} is recorded (2027-05-10).`);
    expect(JSON.stringify(res.card)).toContain('**Result report**: made on 2027-05-10');
    expect(JSON.stringify(res.card)).toContain('Close incident');
    const closed = await click(res.card, 'close');
    expect(closed.toast?.content).toBe(`${id} is closed.`);
    const card = JSON.stringify(closed.card);
    expect(card).toContain('**Status**: Closed');
    expect(card).not.toContain('已关闭');
    expect(card).not.toContain('Close incident');

    const done = (await expectCards(PRINCIPAL, id, 1, 'The incident is closed'))[0]!.body.content;
    expect(done).toContain('**Status**: Closed');
    expect(done).toContain('**Result report**: made on 2027-05-10');
    expect(done).not.toContain(INCIDENT_ACTION);
    await expectCards(HEAD, id, 1, '事件已关闭');
    const list = await ask(OFFICER_EN, '/incident list');
    expect(textOf(list)).toContain(`${id} · Violation · Closed · discovered 2027-05-10 09:15`);
  });
});
