/**
 * Callback etiquette (issue 7, item 2), against the stand-in, which refuses a patch of a card whose
 * callback is still open with Lark's 11310 "card action is lock": the clicked card is redrawn
 * through the callback answer and never patched for that click; the other holders' copies are.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickAction, findButton, replyTo, waitCard } from './approval-helpers.js';
import { effectsIdle, startHarness, USERS, type Harness } from './harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness('webhook');
});
afterAll(() => h.stop());

describe('a click on a card held by several approvers', () => {
  it('redraws the clicked card through the answer and patches only the other holders', async () => {
    const sent = await h.standIn.sendText(USERS.staffGeneral, null, '/copy carrier=MM-2026-001 copies=1 purpose=etiquette');
    const id = /CP-\d{4}-\d{4}/.exec(await replyTo(h.standIn, sent))?.[0];
    expect(id).toBeTruthy();
    // Step 1 (department head) by text; step 2 goes to both security officers (any of them).
    const head = await h.standIn.sendText(USERS.generalHead, null, `/approve ${id}`);
    await replyTo(h.standIn, head);
    const mine = await waitCard(h.standIn, USERS.securityOfficer, id!, 'req.approve');
    const theirs = await waitCard(h.standIn, USERS.securityOfficer2, id!, 'req.approve');
    await effectsIdle(h);

    const patchesOf = (messageId: string) => h.standIn.calls.filter((c) => c.method === 'PATCH' && c.path.endsWith(`/messages/${messageId}`));
    const before = { mine: patchesOf(mine.message_id).length, theirs: patchesOf(theirs.message_id).length };
    const click = await clickAction(h.standIn, USERS.securityOfficer, mine.message_id, 'req.approve', {});
    expect(click.toast?.type, JSON.stringify(click)).toBe('success');
    expect(click.card_updated).toBe(true);
    await effectsIdle(h);

    // The clicked card: redrawn by the answer (no approve button left), never patched for this click.
    expect(findButton(JSON.parse(h.standIn.getMessage(mine.message_id)!.body.content), 'req.approve')).toBeUndefined();
    expect(patchesOf(mine.message_id).slice(before.mine)).toEqual([]);
    // The other officer's copy was patched to the same state, without a lock refusal anywhere.
    const theirPatches = patchesOf(theirs.message_id).slice(before.theirs);
    expect(theirPatches.length).toBeGreaterThan(0);
    expect(theirPatches.every((c) => c.status === 200)).toBe(true);
    expect(findButton(JSON.parse(h.standIn.getMessage(theirs.message_id)!.body.content), 'req.approve')).toBeUndefined();
    expect(h.standIn.calls.filter((c) => (c.response as { code?: number } | undefined)?.code === 11310)).toEqual([]);
  });
});
