/**
 * Training through the whole bot (real SDK, the Lark stand-in, the embedded store) on a fake clock,
 * in both languages (one member reads English): the security officer schedules a session for a
 * department; every member gets the notice once, in their language; the reminders 3 days and 1 hour
 * before reach each member once, at their time, and none for a session cancelled meanwhile; two
 * members confirm; at the start the officer gets the attendance list with them ticked; it is closed
 * (a second officer's close and a double click credit nothing more); `/training mine` shows the
 * hours in the year of the session, also after New Year; the report and the export.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRAINING_CLOSE_ACTION, TRAINING_CONFIRM_ACTION } from '../../cards/training.card.js';
import type { StoredMessage } from '../../sandbox/lark/store.js';
import { type FoundButton, requireButtonWhere } from '../helpers/cards.js';
import { startHarness, USERS, type Harness, botP2p, textOf } from './harness.js';

let h: Harness;
let clock = new Date('2026-12-20T02:00:00Z'); // 10:00 in Beijing
const OFFICER = USERS.securityOfficer;
const OFFICER2 = USERS.securityOfficer2; // also in 研发部
const RD = [USERS.rdHead, USERS.securityOfficer2, USERS.staffRd, USERS.staffRd2];
const EN = USERS.staffRd;
const AT = new Date('2026-12-31T15:00:00Z'); // 2026-12-31 23:00 in Beijing
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const p2p = (user: string): StoredMessage[] => botP2p(h.standIn, user);
/** The cards about session `id` a user got, optionally only those containing `marker`. */
const cardsAbout = (user: string, id: string, marker?: string) =>
  p2p(user).filter((m) => m.msg_type === 'interactive' && m.body.content.includes(id) && (!marker || m.body.content.includes(marker)));

/** The quarterly reminder (the start-up catch-up of `training.quarterly` may send it any time). */
const quarterly = (m: StoredMessage) => m.msg_type === 'interactive' && (m.body.content.includes('查看您的学时') || m.body.content.includes('to see your hours'));

async function ask(user: string, command: string, want: (m: StoredMessage) => boolean = () => true): Promise<StoredMessage> {
  const before = p2p(user).length;
  await h.standIn.sendText(user, null, command);
  const answer = () =>
    p2p(user)
      .slice(before)
      .find((m) => !quarterly(m) && want(m));
  await h.standIn.waitFor(() => answer(), 8000, `an answer to ${command}`);
  return answer()!;
}

function buttonOf(card: unknown, action: string): FoundButton {
  return requireButtonWhere(card, (v) => v.a === action, `no ${action} button`);
}

async function sweepAt(t: number): Promise<void> {
  clock = new Date(t);
  await h.bot.alarms.sweep();
  await h.bot.alarms.sweep();
  await h.bot.fanout.kick();
}

beforeAll(async () => {
  h = await startHarness('webhook', { now: () => clock });
}, 60_000);
afterAll(() => h.stop());

describe('/training', () => {
  let id = '';
  let other = '';

  it('the security officer schedules a session for a department: each member gets the notice once, in their language', async () => {
    await ask(EN, '/lang en');
    const refused = await ask(USERS.staffRd2, '/training schedule x 2026-12-31 23:00 2');
    expect(textOf(refused)).toContain('只有保密员');
    const reply = await ask(OFFICER, '/培训 安排 年度保密教育 2026-12-31 23:00 2 部门=研发部 形式=讲座');
    id = /TR-2026-\d{4}/.exec(textOf(reply))![0];
    expect(textOf(reply)).toContain('通知已发给 4 人');
    await h.standIn.waitFor(() => RD.every((u) => cardsAbout(u, id, TRAINING_CONFIRM_ACTION).length > 0) || undefined, 8000, 'the notice for every member');
    for (const u of RD) expect(cardsAbout(u, id)).toHaveLength(1);
    expect(cardsAbout(USERS.staffGeneral, id)).toHaveLength(0);
    expect(cardsAbout(EN, id)[0]!.body.content).toContain("I'll attend");
    expect(cardsAbout(EN, id)[0]!.body.content).not.toContain('我将参加');
    expect(cardsAbout(USERS.staffRd2, id)[0]!.body.content).toContain('我将参加');
    // A second session for the security officers, cancelled at once: nobody is reminded of it.
    // The officer is invited too: her answer is the text, the notice comes beside it.
    const r2 = await ask(OFFICER, '/training schedule Topic briefing 2026-12-29 10:00 1 role=security_officer kind=topic', (m) => m.msg_type === 'text');
    other = /TR-2026-\d{4}/.exec(textOf(r2))![0];
    await h.standIn.waitFor(() => cardsAbout(OFFICER2, other).length > 0 || undefined, 8000, 'the second notice');
    const cancelled = await ask(OFFICER, `/training cancel ${other}`, (m) => m.msg_type === 'text');
    expect(textOf(cancelled)).toContain(other);
    await h.standIn.waitFor(() => cardsAbout(OFFICER2, other).length > 1 || undefined, 8000, 'the cancellation');
    expect(cardsAbout(OFFICER2, other)[1]!.body.content).toContain('已取消');
  });

  it('reminds 3 days and 1 hour before: each member once, at its time; nothing for the cancelled session', async () => {
    await sweepAt(AT.getTime() - 3 * DAY - 60_000);
    for (const u of RD) expect(cardsAbout(u, id)).toHaveLength(1);
    await sweepAt(AT.getTime() - 3 * DAY);
    await h.standIn.waitFor(() => RD.every((u) => cardsAbout(u, id).length === 2) || undefined, 8000, 'the 3-day reminder');
    expect(cardsAbout(EN, id)[1]!.body.content).toContain('starts in 3 days');
    expect(cardsAbout(USERS.rdHead, id)[1]!.body.content).toContain('3 天后开始');
    await sweepAt(AT.getTime() - 2 * DAY);
    await sweepAt(AT.getTime() - HOUR);
    await h.standIn.waitFor(() => RD.every((u) => cardsAbout(u, id).length === 3) || undefined, 8000, 'the 1-hour reminder');
    expect(cardsAbout(EN, id)[2]!.body.content).toContain('starts in 1 hour');
    await sweepAt(AT.getTime() - HOUR + 60_000);
    for (const u of RD) expect(cardsAbout(u, id)).toHaveLength(3);
    // The cancelled session: its notice and its cancellation, nothing more.
    for (const u of [OFFICER, OFFICER2]) expect(cardsAbout(u, other)).toHaveLength(2);
  });

  it('members confirm on the card; at the start the officer gets the attendance list with them ticked', async () => {
    for (const u of [EN, USERS.rdHead]) {
      const msg = cardsAbout(u, id)[0]!;
      const r = await h.standIn.click(u, msg.message_id, { tag: 'button', value: buttonOf(JSON.parse(msg.body.content), TRAINING_CONFIRM_ACTION).value });
      expect(r.ok, r.error).toBe(true);
      expect(r.toast?.content).toBe(u === EN ? 'Attendance confirmed' : '已确认参加');
      expect(JSON.stringify(r.card)).toContain(u === EN ? 'You confirmed' : '您已确认');
    }
    expect(cardsAbout(OFFICER, id, TRAINING_CLOSE_ACTION)).toHaveLength(0);
    await sweepAt(AT.getTime());
    await h.standIn.waitFor(() => cardsAbout(OFFICER, id, TRAINING_CLOSE_ACTION).length > 0 || undefined, 8000, 'the attendance list');
    await sweepAt(AT.getTime() + 60_000);
    const sheets = cardsAbout(OFFICER, id, TRAINING_CLOSE_ACTION);
    expect(sheets).toHaveLength(1);
    const card = JSON.parse(sheets[0]!.body.content) as {
      body: { elements: { tag: string; elements?: { tag: string; options?: { value: string }[]; selected_values?: string[] }[] }[] };
    };
    const picker = card.body.elements.find((e) => e.tag === 'form')!.elements!.find((e) => e.tag === 'multi_select_person')!;
    expect(picker.options!.map((o) => o.value).sort()).toEqual([...RD].sort());
    expect([...picker.selected_values!].sort()).toEqual([EN, USERS.rdHead].sort());
    // Somebody who is not an officer cannot have it.
    expect(textOf(await ask(USERS.staffRd2, `/training attendance ${id}`))).toContain('只有保密员');
  });

  it('the list is closed once: the ticked are credited; a double click and a second officer’s copy credit nothing more', async () => {
    const second = await ask(OFFICER2, `/培训 签到 ${id}`);
    expect(second.body.content).toContain(TRAINING_CLOSE_ACTION);
    const sheet = cardsAbout(OFFICER, id, TRAINING_CLOSE_ACTION)[0]!;
    const close = buttonOf(JSON.parse(sheet.body.content), TRAINING_CLOSE_ACTION);
    const close2 = buttonOf(JSON.parse(second.body.content), TRAINING_CLOSE_ACTION);
    const ticked = [EN, USERS.rdHead, USERS.staffRd2];
    const r = await h.standIn.click(OFFICER, sheet.message_id, { tag: 'button', name: close.name!, value: close.value, form_value: { attendees: ticked } });
    expect(r.ok, r.error).toBe(true);
    expect(r.toast?.content).toBe('签到已确认：3 人计入学时');
    expect(JSON.stringify(r.card)).not.toContain('multi_select_person');
    const again = await h.standIn.click(OFFICER, sheet.message_id, { tag: 'button', name: close.name!, value: close.value, form_value: { attendees: RD } });
    expect(again.toast?.type).toBe('info');
    // The other officer's copy was redrawn closed; a click with the button it had changes nothing.
    await h.standIn.waitFor(() => !h.standIn.getMessage(second.message_id)!.body.content.includes('multi_select_person') || undefined, 5000, 'the other copy patched');
    const r2 = await h.standIn.click(OFFICER2, second.message_id, { tag: 'button', name: close2.name!, value: close2.value, form_value: { attendees: RD } });
    expect(r2.toast?.content).toBe('签到已由他人确认，学时只计一次');
    const hours = await h.db.connection.collection('training_hours').find({ sessionId: id }).toArray();
    expect(hours.map((x) => x['openId']).sort()).toEqual([...ticked].sort());
  });

  it('/training mine shows the hours in the year of the session, also after New Year', async () => {
    clock = new Date(AT.getTime() + 30 * 60_000); // 23:30 on 31 December
    const mine = textOf(await ask(EN, '/training mine'));
    expect(mine).toContain('Training hours in 2026: 2, of which 2 organised by the unit');
    expect(mine).toContain('Still to do: 8 h');
    expect(textOf(await ask(USERS.staffRd2, '/培训 我的'))).toContain('2026 年培训学时：2，其中单位组织 2');
    expect(textOf(await ask(OFFICER2, '/培训 我的'))).toContain('2026 年培训学时：0');
    clock = new Date(AT.getTime() + 2 * HOUR); // 01:00 on 1 January 2027
    expect(textOf(await ask(EN, '/training mine'))).toContain('Training hours in 2027: 0');
    expect(textOf(await ask(EN, '/training mine 2026'))).toContain('Training hours in 2026: 2');
  });

  it('the report (below target first, by department) and the export, for the security office only', async () => {
    expect(textOf(await ask(EN, '/training report'))).toContain('Only a security officer or the head of the security office');
    const report = await ask(OFFICER, '/培训 统计 2026 部门=研发部');
    expect(report.msg_type).toBe('interactive');
    const content = report.body.content;
    expect(content).toContain('2026 年保密培训统计：研发部');
    expect(content).toContain('4 人，其中 4 人未达年度目标');
    // The member with no hours is listed before those with 2.
    expect(content.indexOf('黄敏')).toBeLessThan(content.indexOf('赵磊'));
    const file = await ask(OFFICER, '/training export 2026');
    expect(file.msg_type).toBe('file');
  });

  it('/training list: the officers see every session, anyone else the ones they are invited to; /training log and /help training', async () => {
    const all = textOf(await ask(OFFICER, '/training list'));
    expect(all).toContain(id);
    expect(all).toContain(other);
    const mine = textOf(await ask(EN, '/training list'));
    expect(mine).toContain(id);
    expect(mine).not.toContain(other);
    expect(textOf(await ask(USERS.staffGeneral, '/培训 列表'))).toContain('暂无培训');
    expect(textOf(await ask(EN, '/training log 2026-12-30 1.5 External course'))).toContain('counted in 2026, not unit-organised');
    expect(textOf(await ask(EN, '/training mine 2026'))).toContain('Training hours in 2026: 3.5, of which 2 organised by the unit');
    expect(textOf(await ask(EN, '/training log 2027-01-05 1 Future'))).toContain('The date must be between 2026-01-01 and 2027-01-01');
    const help = await ask(EN, '/help training');
    expect(help.body.content).toContain('audience=');
  });
});
