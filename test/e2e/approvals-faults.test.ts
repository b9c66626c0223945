/**
 * Exactly once, proven by injecting the faults: racing clicks, redelivered messages, and a crash
 * between the state write and its effects (before an effect, and after an effect but before it
 * was marked done), repaired by a restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PendingEffect } from '../../handlers/approvals/ports.js';
import { startHarness, USERS, type Harness } from './harness.js';
import { findButton, replyTo, waitCard } from './approval-helpers.js';

/** One-shot crash switch shared with the bot's fault hooks. */
const crash: { armed?: { requestId: string; index: number; phase: 'before' | 'after' } } = {};
const hook = (phase: 'before' | 'after') => (e: PendingEffect, index: number) => {
  const a = crash.armed;
  if (a && a.phase === phase && a.requestId === e.requestId && a.index === index) {
    crash.armed = undefined;
    throw new Error(`injected crash ${phase} effect ${index} (${e.type})`);
  }
};

let h: Harness;
const T = () => h.standIn.directory.tenantKey;

beforeAll(async () => {
  h = await startHarness('webhook', { beforeEffect: hook('before'), afterEffect: hook('after') });
});
afterAll(() => h.stop());

async function say(user: string, text: string): Promise<string> {
  return replyTo(h.standIn, await h.standIn.sendText(user, null, text));
}
const idIn = (text: string) => /C[PO]-\d{4}-\d{4}|DS-\d{4}-\d{4}/.exec(text)?.[0] ?? '';
const req = async (id: string) => (await h.bot.approvals.repos.requests.get(T(), id))!;
const settle = (ms = 300) => new Promise((r) => setTimeout(r, ms));

function messagesTo(user: string, id: string) {
  const chat = h.standIn.p2pChatId(user);
  return chat ? h.standIn.chatMessages(chat).filter((m) => m.sender.sender_type === 'app' && m.body.content.includes(id)) : [];
}

describe('racing clicks', () => {
  it('50 concurrent Approve clicks on one step: one transition, 49 "already decided" toasts', async () => {
    const id = idIn(await say(USERS.staffGeneral, '/copy carrier=JM-2026-001 copies=1 purpose=并发测试'));
    expect(await say(USERS.generalHead, `/approve ${id}`)).toContain(id);
    // Step 2 is "any one security officer": both officers click, 25 times each, all at once.
    const cardA = await waitCard(h.standIn, USERS.securityOfficer, id, 'req.approve');
    const cardB = await waitCard(h.standIn, USERS.securityOfficer2, id, 'req.approve');
    const valueA = findButton(JSON.parse(cardA.body.content), 'req.approve')!.value;
    const valueB = findButton(JSON.parse(cardB.body.content), 'req.approve')!.value;
    const before = (await req(id)).request.version;
    const clicks = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        i % 2 === 0
          ? h.standIn.click(USERS.securityOfficer, cardA.message_id, { tag: 'button', value: valueA, form_value: {} })
          : h.standIn.click(USERS.securityOfficer2, cardB.message_id, { tag: 'button', value: valueB, form_value: {} }),
      ),
    );
    expect(clicks.every((c) => c.status === 200)).toBe(true);
    const success = clicks.filter((c) => c.toast?.type === 'success');
    const refused = clicks.filter((c) => c.toast?.type === 'warning');
    expect(success).toHaveLength(1);
    expect(refused).toHaveLength(49);
    // Each refusal says who decided — by name to the other officer, as "您 / you" to the officer
    // who decided (issue 7: the reader is never named to themselves) — and redraws the card.
    const winner = (await req(id)).request.steps[1]!.decidedBy;
    const winnerName = winner === USERS.securityOfficer ? /李娜[\s\S]*Li Na/ : /黄敏[\s\S]*Huang Min/;
    const byWinner = (i: number) => (i % 2 === 0 ? USERS.securityOfficer : USERS.securityOfficer2) === winner;
    clicks.forEach((c, i) => {
      if (c.toast?.type !== 'warning') return;
      const toast = JSON.stringify(c.toast);
      if (byWinner(i)) {
        expect(toast).toMatch(/您[\s\S]*you/);
        expect(toast).not.toMatch(/李娜|黄敏|Li Na|Huang Min/);
      } else expect(toast).toMatch(winnerName);
    });
    expect(refused.every((c) => /李娜|黄敏|Li Na|Huang Min|您/.test(JSON.stringify(c.toast)))).toBe(true);
    expect(refused.every((c) => c.card_updated)).toBe(true);

    const after = await req(id);
    expect(after.request.version).toBe(before + 1);
    expect(after.request.currentStep).toBe(2);
    await settle();
    const audits = await h.db.connection.collection('audit_log').countDocuments({ tenantKey: T(), objectId: id, action: 'request.approve' });
    expect(audits).toBe(2); // the department head's and one security officer's
    expect(messagesTo(USERS.leader, id).filter((m) => m.msg_type === 'interactive')).toHaveLength(1);
  });
});

describe('redelivery', () => {
  it('the same /copy message delivered 5 times creates one request', async () => {
    const sent = await h.standIn.sendText(USERS.staffRd2, null, '/copy carrier=MM-2026-001 copies=3 purpose=重复投递');
    await h.standIn.redeliver(sent.envelope!, 4, { concurrent: true });
    await h.standIn.waitForMessage((m) => m.parent_id === sent.message_id, 3000);
    await settle();
    const mine = await h.bot.approvals.repos.requests.listByRequester(T(), USERS.staffRd2, { limit: 10 });
    expect(mine).toHaveLength(1);
    expect(h.standIn.messages((m) => m.parent_id === sent.message_id)).toHaveLength(1);
    expect(messagesTo(USERS.generalHead === USERS.rdHead ? USERS.generalHead : USERS.rdHead, mine[0]!.request.id).filter((m) => m.msg_type === 'interactive')).toHaveLength(1);
  });

  it('5 concurrent deliveries of a form submission create one request', async () => {
    const form = await h.standIn.sendText(USERS.staffFinance, null, '/destroy');
    const card = await h.standIn.waitForMessage((m) => m.parent_id === form.message_id, 3000);
    const value = findButton(JSON.parse(card.body.content), 'form.destroy')!.value;
    const click = await h.standIn.click(USERS.staffFinance, card.message_id, {
      tag: 'button',
      value,
      form_value: { carrier: ['SM-2026-002'], reason: '到期', method: '粉碎', site: '本单位' },
    });
    expect(click.toast?.type, JSON.stringify(click)).toBe('success');
    await h.standIn.redeliver(click.envelope!, 4, { concurrent: true });
    await settle();
    const mine = await h.bot.approvals.repos.requests.listByRequester(T(), USERS.staffFinance, { limit: 10 });
    expect(mine.filter((s) => s.request.kind === 'DESTROY')).toHaveLength(1);
  });
});

describe('a crash between the state write and its effects', () => {
  async function approvedCopyWithCrash(phase: 'before' | 'after', index: number) {
    const id = idIn(await say(USERS.staffGeneral, `/copy carrier=MM-2026-001 copies=1 purpose=崩溃测试${phase}${index}`));
    expect(await say(USERS.generalHead, `/approve ${id}`)).toContain(id);
    expect(await say(USERS.securityOfficer, `/approve ${id}`)).toContain(id);
    const pendingBefore = (await req(id)).pending.length;
    expect(pendingBefore).toBe(0);
    crash.armed = { requestId: id, index, phase };
    // The leader's approval commits, then the process "dies" in the middle of the effects.
    const sent = await h.standIn.sendText(USERS.leader, null, `/approve ${id}`);
    await h.standIn.waitForMessage((m) => m.parent_id === sent.message_id, 3000);
    const stuck = await req(id);
    expect(stuck.request.state).toBe('APPROVED');
    expect(stuck.pending.length).toBeGreaterThan(0);
    return { id, stuck };
  }

  async function assertExactlyOnce(id: string) {
    const done = await req(id);
    expect(done.pending).toEqual([]);
    // Ledger entries and audit records: one per effect key.
    const ledger = await h.db.connection.collection('ledger_entries').find({ tenantKey: T(), requestId: id }).toArray();
    expect(new Set(ledger.map((e) => e.effectKey)).size).toBe(ledger.length);
    const audits = await h.db.connection.collection('audit_log').find({ tenantKey: T(), objectId: id }).toArray();
    expect(new Set(audits.map((a) => a.effectKey)).size).toBe(audits.length);
    expect(audits.filter((a) => a.action === 'request.approve')).toHaveLength(3);
    // Notifications: the requester hears "approved" once; each security officer holds one execution card.
    const approvedTexts = messagesTo(USERS.staffGeneral, id).filter((m) => m.msg_type === 'text' && /审批通过|approved/.test(m.body.content));
    expect(approvedTexts).toHaveLength(1);
    for (const officer of [USERS.securityOfficer, USERS.securityOfficer2]) {
      const exec = messagesTo(officer, id).filter((m) => m.msg_type === 'interactive' && findButton(JSON.parse(m.body.content), 'req.complete_copy'));
      expect(exec, officer).toHaveLength(1);
    }
    // Reminders: one per key.
    const reminders = await h.db.connection.collection('reminders').find({ tenantKey: T(), requestId: id }).toArray();
    expect(new Set(reminders.map((r) => r.key)).size).toBe(reminders.length);
  }

  it('crash before the first effect: a restart runs every effect once', async () => {
    const { id } = await approvedCopyWithCrash('before', 0);
    expect(messagesTo(USERS.staffGeneral, id).filter((m) => /审批通过/.test(m.body.content))).toHaveLength(0);
    await h.restart({ beforeEffect: hook('before'), afterEffect: hook('after') });
    await h.standIn.waitFor(async () => (await req(id)).pending.length === 0, 5000, 'recovery');
    await settle();
    await assertExactlyOnce(id);
  });

  for (const index of [1, 2, 3, 4]) {
    it(`crash after effect ${index} ran but before it was marked done: nothing doubled after restart`, async () => {
      const { id, stuck } = await approvedCopyWithCrash('after', index);
      // The effect that "crashed" is still pending although it already happened.
      expect(stuck.pending.some((p) => p.key.includes(`:${index}:`))).toBe(true);
      await h.restart({ beforeEffect: hook('before'), afterEffect: hook('after') });
      await h.standIn.waitFor(async () => (await req(id)).pending.length === 0, 5000, 'recovery');
      await settle();
      await assertExactlyOnce(id);
    });
  }
});
