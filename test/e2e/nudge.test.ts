// Issue 7 item 10, Nudge (催办): the requester nudges the current approvers of a request in
// approval — by `/nudge <id>` (`/催办`) or the Nudge button on their status card — at most once
// every 4 hours per request (one conditional write), audited; the approvers get a message naming
// the request and how long it has waited; a nudge too early is told, localised, when it is possible.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fmtTime } from '../../cards/request.card.js';
import { effectsIdle, startHarness, USERS, type Harness } from './harness.js';
import { clickAction, findButton, replyTo, waitCard } from './approval-helpers.js';

let h: Harness;
const T = () => h.standIn.directory.tenantKey;
/** The bot's clock; the test moves it on. */
let clockOffsetMs = 0;
const HOUR = 3_600_000;
beforeAll(async () => {
  h = await startHarness('webhook', { now: () => new Date(Date.now() + clockOffsetMs) });
});
afterAll(() => h.stop());

async function say(user: string, text: string): Promise<string> {
  return replyTo(h.standIn, await h.standIn.sendText(user, null, text));
}
const idIn = (text: string, prefix: string) => new RegExp(`${prefix}-\\d{4}-\\d{4}`).exec(text)?.[0] ?? '';
const texts = (user: string) =>
  h.standIn
    .chatMessages(h.standIn.p2pChatId(user)!)
    .filter((m) => m.sender.sender_type === 'app' && m.msg_type === 'text')
    .map((m) => (JSON.parse(m.body.content) as { text: string }).text);
const nudgesTo = (user: string, id: string) => texts(user).filter((t) => t.includes(id) && /催办|Nudge from/.test(t));
const audits = (id: string) => h.db.connection.collection('audit_log').find({ tenantKey: T(), action: 'request.nudge', objectId: id }).sort({ seq: 1 }).toArray();
const tz = () => h.bot.services.timezone;

describe('nudge (催办)', () => {
  it('by command: the approver is told how long it waited; a second nudge is refused with the time it is possible; audited', async () => {
    const id = idIn(await say(USERS.staffGeneral, '/copy carrier=MM-2026-001 copies=1 purpose=会议'), 'CP');
    expect(id).toBeTruthy();
    await effectsIdle(h);
    clockOffsetMs = 2 * HOUR + 5 * 60_000;
    const approver = USERS.generalHead;

    const first = await say(USERS.staffGeneral, `/催办 ${id}`);
    expect(first).toContain(id);
    expect(first).toContain('已催办');
    const told = await h.standIn.waitFor(() => (nudgesTo(approver, id).length ? nudgesTo(approver, id) : undefined), 3000, 'the nudge');
    expect(told).toHaveLength(1);
    // Names the request, the requester, and how long it has waited (2 h 5 min, in the approver's language).
    expect(told[0]).toContain(id);
    expect(told[0]).toContain('孙浩');
    expect(told[0]).toMatch(/已等待您审批 2 小时 [45] 分钟/);
    expect(told[0]).not.toMatch(/\d{4}-\d{2}-\d{2}T/);
    // Nobody else was nudged (only the current step's approver).
    expect(nudgesTo(USERS.leader, id)).toEqual([]);

    // Too early: refused, with the local time it is possible again (4 h after the first).
    clockOffsetMs += HOUR;
    const [ok] = await audits(id);
    expect(ok).toMatchObject({ actorId: USERS.staffGeneral, outcome: 'ok', channel: 'command' });
    expect(ok!.details.to).toEqual([approver]);
    const again = fmtTime(new Date(new Date(ok!.at).getTime() + 4 * HOUR).toISOString(), tz());
    const refused = await say(USERS.staffGeneral, `/nudge ${id}`);
    expect(refused).toBe(`${id} 在 4 小时内已催办过，${again} 后可再次催办。`);
    expect(nudgesTo(approver, id)).toHaveLength(1);
    const all = await audits(id);
    expect(all.map((a) => [a.outcome, a.reason ?? null])).toEqual([
      ['ok', null],
      ['refused', 'too_soon'],
    ]);

    // In English, the same refusal in English.
    await say(USERS.staffGeneral, '/lang en');
    expect(await say(USERS.staffGeneral, `/nudge ${id}`)).toBe(`${id} was nudged less than 4 hours ago; you can nudge again from ${again}.`);
    await say(USERS.staffGeneral, '/lang zh');

    // Only the requester nudges.
    expect(await say(USERS.leader, `/nudge ${id}`)).toContain('只有');
    expect(nudgesTo(approver, id)).toHaveLength(1);

    // Five nudges at once after the gap: exactly one goes through (one conditional write).
    clockOffsetMs += 3 * HOUR;
    const results = await Promise.all(Array.from({ length: 5 }, () => h.bot.approvals.service.nudge(T(), id, USERS.staffGeneral, 'command')));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.reason === 'too_soon')).toHaveLength(4);
    await h.standIn.waitFor(() => nudgesTo(approver, id).length === 2 || undefined, 3000, 'the second nudge');
    expect((await audits(id)).filter((a) => a.outcome === 'ok')).toHaveLength(2);
  });

  it('by the Nudge button on the requester’s status card, only while in approval', async () => {
    clockOffsetMs = 0;
    const id = idIn(await say(USERS.staffGeneral, '/copy carrier=MM-2026-001 copies=2 purpose=培训'), 'CP');
    expect(id).toBeTruthy();
    const status = await waitCard(h.standIn, USERS.staffGeneral, id, 'req.nudge');
    const button = findButton(JSON.parse(status.body.content), 'req.nudge')!;
    const res = await clickAction(h.standIn, USERS.staffGeneral, status.message_id, 'req.nudge');
    expect(res.toast?.type).toBe('success');
    // The clicked card is redrawn without the button, saying when the next nudge is possible.
    const redrawn = h.standIn.getMessage(status.message_id)!.body.content;
    expect(findButton(JSON.parse(redrawn), 'req.nudge')).toBeUndefined();
    expect(redrawn).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2} 后可再次催办/);
    await h.standIn.waitFor(() => nudgesTo(USERS.generalHead, id).length === 1 || undefined, 3000, 'the nudge');
    const [a] = await audits(id);
    expect(a).toMatchObject({ outcome: 'ok', channel: 'card', actorId: USERS.staffGeneral });

    // A second click too early (the copy another device still shows): a localised refusal.
    const again = await h.standIn.click(USERS.staffGeneral, status.message_id, { tag: 'button', ...(button.name ? { name: button.name } : {}), value: button.value });
    expect(again.toast?.type).not.toBe('success');
    expect(JSON.stringify(again.toast)).toContain('4 小时内已催办过');
    expect(JSON.stringify(again.toast)).toContain('less than 4 hours ago');
    expect(nudgesTo(USERS.generalHead, id)).toHaveLength(1);

    // Once decided past approval (withdrawn here), the status card has no Nudge button and /nudge is refused.
    expect(await say(USERS.staffGeneral, `/withdraw ${id}`)).toContain(id);
    await effectsIdle(h);
    expect(findButton(JSON.parse(h.standIn.getMessage(status.message_id)!.body.content), 'req.nudge')).toBeUndefined();
    clockOffsetMs = 5 * HOUR;
    expect(await say(USERS.staffGeneral, `/nudge ${id}`)).toContain('不在审批中');
    clockOffsetMs = 0;
  });
});
