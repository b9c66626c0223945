// Issue 7 item 10: when carriers come back, the security officers get a NEW message with the
// inspection form (not only the old execution card patched far up the chat), and the old copy and
// the new one stay the same card.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { effectsIdle, startHarness, USERS, type Harness } from './harness.js';
import { clickAction, findButton, replyTo } from './approval-helpers.js';

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
const stored = async (id: string) => (await h.bot.approvals.repos.requests.get(T(), id))!;
/** The bot's interactive messages in a user's chat that mention `id`. */
const cardsOf = (user: string, id: string) =>
  h.standIn.chatMessages(h.standIn.p2pChatId(user)!).filter((m) => m.sender.sender_type === 'app' && m.msg_type === 'interactive' && m.body.content.includes(id));

describe('carriers back: the officers get a new message with the inspection form', () => {
  it('after the receipt each officer holds a fresh execution card with the inspection form; the old copy matches it', async () => {
    const id = idIn(await say(USERS.staffRd, '/carry carrier=JM-2026-001 destination=市局 due=2099-12-31 purpose=汇报'), 'CO');
    expect(id).toBeTruthy();
    for (let i = 0; i < 5 && (await stored(id)).request.state === 'IN_APPROVAL'; i++) {
      const r = (await stored(id)).request;
      expect(await say(r.steps[r.currentStep!]!.assignees[0]!, `/approve ${id}`)).toContain(id);
    }
    expect((await stored(id)).request.state).toBe('APPROVED');
    await effectsIdle(h);
    const officers = await h.bot.approvals.repos.roles.holders(T(), 'security_officer');
    expect(officers.length).toBeGreaterThan(1);
    // Every officer already holds an execution card (sent when the request was approved).
    const oldCards = new Map<string, string[]>();
    for (const o of officers) {
      const ids = cardsOf(o, id)
        .filter((m) => findButton(JSON.parse(m.body.content), 'req.check_out'))
        .map((m) => m.message_id);
      expect(ids.length, o).toBeGreaterThan(0);
      oldCards.set(o, ids);
    }
    expect(await say(USERS.securityOfficer, `/checkout ${id}`)).toContain(id);
    expect(await say(USERS.staffRd, `/return ${id}`)).toContain(id);
    await effectsIdle(h);
    const before = new Map(officers.map((o) => [o, cardsOf(o, id).map((m) => m.message_id)]));

    // The receipt is confirmed by clicking the old execution card.
    const clicked = oldCards.get(USERS.securityOfficer2)!.at(-1)!;
    expect((await clickAction(h.standIn, USERS.securityOfficer2, clicked, 'req.receive')).toast?.type).toBe('success');
    await effectsIdle(h);
    expect((await stored(id)).request.state).toBe('RETURNED');

    const s = await stored(id);
    for (const o of officers) {
      const fresh = cardsOf(o, id).filter((m) => !before.get(o)!.includes(m.message_id));
      // A NEW message, with the inspection form on it.
      expect(fresh, o).toHaveLength(1);
      const card = JSON.parse(fresh[0]!.body.content);
      expect(findButton(card, 'req.inspect_ok'), o).toBeTruthy();
      expect(findButton(card, 'req.inspect_fail'), o).toBeTruthy();
      // Recorded as a holder's card, so the refresher patches it with the old one.
      expect(s.cards.some((c) => c.messageId === fresh[0]!.message_id && c.kind === 'execution' && c.holder === o)).toBe(true);
      // The old copy (patched or redrawn) shows the same inspection form.
      for (const old of oldCards.get(o)!) {
        if (old === clicked) continue; // redrawn through the click's answer
        expect(JSON.parse(h.standIn.getMessage(old)!.body.content).body, `${o} ${old}`).toEqual(card.body);
      }
    }

    // Inspecting on the new card closes the request, and the old copies follow.
    const fresh = cardsOf(USERS.securityOfficer, id).at(-1)!;
    expect((await clickAction(h.standIn, USERS.securityOfficer, fresh.message_id, 'req.inspect_ok', { note: '完好' })).toast?.type).toBe('success');
    await effectsIdle(h);
    expect((await stored(id)).request.state).toBe('CLOSED');
    const closedBody = JSON.parse(cardsOf(USERS.securityOfficer2, id).at(-1)!.body.content).body;
    for (const old of oldCards.get(USERS.securityOfficer)!) {
      const c = JSON.parse(h.standIn.getMessage(old)!.body.content);
      expect(findButton(c, 'req.inspect_ok')).toBeUndefined();
      expect(c.body).toEqual(closedBody);
    }
  });
});
