/**
 * A committee meeting through the whole bot (real SDK, the Lark stand-in, the embedded store), in
 * both languages: the chair schedules it, every member gets the notice once in their language,
 * one asks for leave with a reason (a form), another attends, the chair's attendance card is
 * patched live, `/meeting next`, and the minutes' filing is recorded; the meeting's Feishu
 * calendar event (calendar.v4) is made once with every member as attendee, patched when the
 * meeting moves and deleted when it is cancelled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEETING_REPLY_ACTION } from '../../cards/committee.card.js';
import { fmtTime } from '../../cards/request.card.js';
import type { StoredMessage } from '../../sandbox/lark/store.js';
import { type FoundButton, requireButtonWhere } from '../helpers/cards.js';
import { startHarness, USERS, type Harness, botP2p, textOf, askBot } from './harness.js';

let h: Harness;
const CHAIR = USERS.principal;
const MEMBERS = [USERS.securityHead, USERS.securityOfficer, USERS.leader, USERS.generalHead, USERS.rdHead, USERS.financeHead];

const p2p = (user: string): StoredMessage[] => botP2p(h.standIn, user);
const notices = (user: string) => p2p(user).filter((m) => m.msg_type === 'interactive' && m.body.content.includes(MEETING_REPLY_ACTION));

const ask = (user: string, command: string): Promise<StoredMessage> => askBot(h.standIn, user, command);

function buttonValue(card: unknown, answer: string): FoundButton {
  return requireButtonWhere(card, (v) => v.a === MEETING_REPLY_ACTION && (v.x as { a?: string } | undefined)?.a === answer, `no ${answer} button`);
}

beforeAll(async () => {
  h = await startHarness('webhook');
}, 60_000);
afterAll(() => h.stop());

describe('/meeting', () => {
  let id = '';
  it('schedules a meeting: the notice reaches every member once, in their language; the chair gets the attendance card', async () => {
    await ask(USERS.leader, '/lang en');
    const at = fmtTime(new Date(Date.now() + 5 * 86_400_000).toISOString(), 'Asia/Shanghai');
    await h.standIn.sendText(CHAIR, null, `/会议 安排 ${at} 地点=三楼会议室 上半年保密工作总结`);
    const reply = await h.standIn.waitFor(() => p2p(CHAIR).find((m) => m.msg_type === 'text' && textOf(m).includes('MT-')), 5000, 'the meeting id');
    id = /MT-\d{4}-\d{4}/.exec(textOf(reply))![0];
    expect(textOf(reply)).toContain('通知已发给 7 位委员');
    await h.standIn.waitFor(() => [...MEMBERS, CHAIR].every((u) => notices(u).length > 0) || undefined, 8000, 'the notice for every member');
    for (const u of [...MEMBERS, CHAIR]) expect(notices(u)).toHaveLength(1);
    expect(notices(USERS.staffGeneral)).toHaveLength(0);
    expect(notices(USERS.leader)[0]!.body.content).toContain('Request leave');
    expect(notices(USERS.leader)[0]!.body.content).not.toContain('请假');
    expect(notices(USERS.securityHead)[0]!.body.content).toContain('三楼会议室');
    const attendance = p2p(CHAIR).filter((m) => m.body.content.includes('出席情况'));
    expect(attendance).toHaveLength(1);
    expect(attendance[0]!.body.content).toContain('未回复**（7）');
  });

  it('leave with a reason and attendance: the card answers, the chair’s attendance card is patched', async () => {
    const msg = notices(USERS.leader)[0]!;
    const leave = buttonValue(JSON.parse(msg.body.content), 'leave');
    const noReason = await h.standIn.click(USERS.leader, msg.message_id, { tag: 'button', name: leave.name, value: leave.value, form_value: { reason: '' } });
    expect(noReason.toast?.type).toBe('error');
    expect(noReason.toast?.content).toContain('reason');
    const r = await h.standIn.click(USERS.leader, msg.message_id, { tag: 'button', name: leave.name, value: leave.value, form_value: { reason: 'business trip' } });
    expect(r.ok, r.error).toBe(true);
    expect(r.toast?.content).toBe('Leave requested');
    expect(JSON.stringify(r.card)).toContain('You asked for leave: business trip');
    const m2 = notices(USERS.securityHead)[0]!;
    const attend = buttonValue(JSON.parse(m2.body.content), 'attend');
    const r2 = await h.standIn.click(USERS.securityHead, m2.message_id, { tag: 'button', name: attend.name, value: attend.value, form_value: { reason: '' } });
    expect(r2.toast?.content).toBe('已确认参加');
    expect(JSON.stringify(r2.card)).toContain('您已确认：**参加**');
    const card = p2p(CHAIR).find((m) => m.body.content.includes('出席情况'))!;
    await h.standIn.waitFor(() => h.standIn.getMessage(card.message_id)!.body.content.includes('参加**（1）') || undefined, 5000, 'the attendance card patched');
    const content = h.standIn.getMessage(card.message_id)!.body.content;
    expect(content).toContain('王强（business trip）');
    expect(content).toContain('参加**（1）：张伟');
    expect(content).toContain('未回复**（5）');
  });

  it('/meeting next, minutes filed, refusals', async () => {
    const next = await ask(USERS.leader, '/meeting next');
    expect(next.body.content).toContain(id);
    expect(next.body.content).toContain('You asked for leave: business trip');
    const bad = await ask(USERS.securityOfficer, `/会议 纪要 ${id} 归档=2020-01-01 存放=档案柜`);
    expect(textOf(bad)).toContain('归档日期须在会议日期');
    const no = await ask(USERS.staffGeneral, '/meeting schedule 2030-01-01 09:00');
    expect(textOf(no)).toContain('只有保密委员会主任或保密员可以安排或取消会议');
    const list = await ask(USERS.securityOfficer, '/会议 列表');
    expect(textOf(list)).toContain(`${id}`);
    expect(textOf(list)).toContain('已安排');
  });

  it('the calendar event: one on the app’s primary calendar with every member; moving the meeting patches it, cancelling deletes it', async () => {
    const events = () => [...h.standIn.openapi.calendarEvents.values()].filter((e) => String(e.event['summary']).includes(id));
    await h.standIn.waitFor(() => (events()[0]?.attendees.length ?? 0) >= 7 || undefined, 5000, 'the calendar event with its attendees');
    expect(events()).toHaveLength(1);
    const [ev] = events();
    expect(ev!.calendar_id).toBe(h.standIn.openapi.primaryCalendarId);
    expect(ev!.attendees.map((a) => a['user_id']).sort()).toEqual([...MEMBERS, CHAIR].sort());
    expect(ev!.event['location']).toEqual({ name: '三楼会议室' });
    expect(ev!.deleted).not.toBe(true);
    const creates = h.standIn.calls.filter((c) => c.method === 'POST' && /\/calendar\/v4\/calendars\/[^/]+\/events\/?$/.test(c.path) && c.status === 200);
    expect(creates).toHaveLength(1);
    // Moving the meeting patches the same event.
    const later = new Date(Date.now() + 6 * 86_400_000);
    const moved = await ask(CHAIR, `/会议 改期 ${id} ${fmtTime(later.toISOString(), 'Asia/Shanghai')} 地点=五楼`);
    expect(textOf(moved)).toContain(id);
    await h.standIn.waitFor(() => (events()[0]?.event['location'] as { name?: string })?.name === '五楼' || undefined, 5000, 'the calendar event patched');
    const start = Number((events()[0]!.event['start_time'] as { timestamp: string }).timestamp);
    expect(Math.abs(start * 1000 - later.getTime())).toBeLessThan(60_000);
    expect(h.standIn.calls.filter((c) => c.method === 'PATCH' && c.path.includes('/calendar/v4/')).map((c) => c.status)).toEqual([200]);
    const done = await ask(CHAIR, `/meeting cancel ${id}`);
    expect(textOf(done)).toContain(id);
    await h.standIn.waitFor(() => events()[0]?.deleted || undefined, 5000, 'the calendar event deleted');
    expect(events()).toHaveLength(1);
    expect(events()[0]!.event['status']).toBe('cancelled');
  });
});
