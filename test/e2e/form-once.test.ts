/**
 * One submission per form (issue 7, item 5): the answer to a form submission replaces the form by a
 * read-only "submitted as CP-…" card, and submitting the same form again (a second device, a double
 * click) answers with the request it already created instead of creating another.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findButton } from './approval-helpers.js';
import { effectsIdle, startHarness, USERS, type Harness } from './harness.js';

let h: Harness;
const T = () => h.standIn.directory.tenantKey;

beforeAll(async () => {
  h = await startHarness('webhook');
});
afterAll(() => h.stop());

describe('a form card', () => {
  it('is replaced by a read-only card naming the request, and a second submission returns that request', async () => {
    const sent = await h.standIn.sendText(USERS.staffFinance, null, '/copy');
    const form = await h.standIn.waitForMessage((x) => x.parent_id === sent.message_id, 3000);
    const value = findButton(JSON.parse(form.body.content), 'form.copy')!.value;
    const fields = { carrier: 'SM-2026-002', copies: '1', purpose: '一次提交' };

    const first = await h.standIn.click(USERS.staffFinance, form.message_id, { tag: 'button', name: 'submit', value, form_value: fields });
    expect(first.toast?.type, JSON.stringify(first)).toBe('success');
    const id = /CP-\d{4}-\d{4}/.exec(JSON.stringify(first.toast))?.[0];
    expect(id).toBeTruthy();
    // The form is gone: the message now shows the read-only card with the id and no button.
    expect(first.card_updated).toBe(true);
    const shown = h.standIn.getMessage(form.message_id)!.body.content;
    expect(shown).toContain(id!);
    expect(shown).not.toContain('"form"');
    expect(findButton(JSON.parse(shown), 'form.copy')).toBeUndefined();

    // The same form submitted again (its button value, as another device still shows it).
    const again = await h.standIn.click(USERS.staffFinance, form.message_id, { tag: 'button', name: 'submit', value, form_value: { ...fields, copies: '2' } });
    expect(again.toast?.type, JSON.stringify(again)).toBe('info');
    expect(JSON.stringify(again.toast)).toContain(id!);
    expect(JSON.stringify(again.card)).toContain(id!);
    await effectsIdle(h);
    const mine = await h.bot.approvals.repos.requests.listByRequester(T(), USERS.staffFinance, { limit: 50 });
    expect(mine.filter((s) => s.request.details && (s.request.details as { purpose?: string }).purpose === '一次提交')).toHaveLength(1);

    // A new form is a new submission.
    const sent2 = await h.standIn.sendText(USERS.staffFinance, null, '/copy');
    const form2 = await h.standIn.waitForMessage((x) => x.parent_id === sent2.message_id, 3000);
    const value2 = findButton(JSON.parse(form2.body.content), 'form.copy')!.value;
    expect(value2).not.toEqual(value);
  });
});
