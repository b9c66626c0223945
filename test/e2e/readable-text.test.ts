/**
 * Text people can read (issue 7, item 6): no ISO or UTC timestamp reaches a person — times are in
 * the unit's zone as `YYYY-MM-DD HH:mm` — and the reader is "您" / "you", not their own name.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findButton, replyTo, waitCard } from './approval-helpers.js';
import { startHarness, USERS, type Harness } from './harness.js';

let h: Harness;
const ISO = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;
const LOCAL = /\d{4}-\d{2}-\d{2} \d{2}:\d{2}/;

beforeAll(async () => {
  h = await startHarness('webhook');
});
afterAll(() => h.stop());

async function say(user: string, text: string): Promise<string> {
  return replyTo(h.standIn, await h.standIn.sendText(user, null, text));
}

describe('a step already decided', () => {
  it('says "您 … 于 <local time>" to the person who decided it, and names her to others, never an ISO time', async () => {
    const id = /CP-\d{4}-\d{4}/.exec(await say(USERS.staffGeneral, '/copy carrier=MM-2026-001 copies=1 purpose=可读时间'))?.[0];
    expect(id).toBeTruthy();
    const headCard = await waitCard(h.standIn, USERS.generalHead, id!, 'req.approve');
    const headButton = findButton(JSON.parse(headCard.body.content), 'req.approve')!;
    expect(await say(USERS.generalHead, `/approve ${id}`)).toContain(id!);
    const stored = (await h.bot.approvals.repos.requests.get(h.standIn.directory.tenantKey, id!))!.request;
    const local = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Shanghai', dateStyle: 'short', timeStyle: 'short' }).format(new Date(stored.steps[0]!.decidedAt!));

    // Her own card, clicked again as it still showed (a double click): "该环节已由 您 于 … 处理".
    const own = await h.standIn.click(USERS.generalHead, headCard.message_id, { tag: 'button', name: headButton.name, value: headButton.value, form_value: {} });
    expect(own.toast?.type, JSON.stringify(own)).toBe('warning');
    expect(own.toast?.i18n?.zh_cn).toBe(`该环节已由 您 于 ${local} 处理。`);
    expect(own.toast?.i18n?.en_us).toBe(`This step was already decided by you at ${local}.`);

    // Step 2 goes to both security officers: the one who did not decide reads the other's name.
    const other = await waitCard(h.standIn, USERS.securityOfficer2, id!, 'req.approve');
    const otherButton = findButton(JSON.parse(other.body.content), 'req.approve')!;
    expect(await say(USERS.securityOfficer, `/approve ${id}`)).toContain(id!);
    const late = await h.standIn.click(USERS.securityOfficer2, other.message_id, { tag: 'button', name: otherButton.name, value: otherButton.value, form_value: {} });
    const toast = JSON.stringify(late.toast);
    expect(toast).toContain('李娜');
    expect(toast).not.toContain('您');
    expect(toast).not.toMatch(ISO);
    expect(toast).toMatch(LOCAL);
  });
});
