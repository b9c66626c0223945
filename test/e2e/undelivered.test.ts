/**
 * What the bot gives up on outside the approvals is not dropped silently either: a notice the
 * fan-out could not deliver to someone (Lark refuses the person for good: 230013) and an alarm
 * whose handling kept failing (8 attempts) are dead letters like the approvals' effects — counted
 * in /metrics, listed privately by /deadletters for the security office with whom the notice did
 * not reach, by name (one line for a notice sent in two languages), and retried on command: the notice reaches that person once (nobody else
 * again), the alarm is handled once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FEATURES, type FeatureFactory } from '../../handlers/features.js';
import type { StoredMessage } from '../../sandbox/lark/store.js';
import { botP2p, startHarness, textOf, USERS, type Harness } from './harness.js';

let h: Harness;
let clock = new Date('2026-12-01T02:00:00Z');
const T = () => h.standIn.directory.tenantKey;
const OFFICER = USERS.securityOfficer;
const RD = [USERS.rdHead, USERS.securityOfficer2, USERS.staffRd, USERS.staffRd2];
const HOUR = 3_600_000;

/** A feature whose alarm handler fails while `broken`, and counts what it handled. */
let broken = true;
const handled: string[] = [];
const probe: FeatureFactory = (ctx) => ({
  name: 'probe',
  alarm: async (a) => {
    if (broken) throw new Error(`probe store unavailable for ${a.subject}`);
    handled.push(a._id);
    return 'done';
  },
  api: { set: (subject: string) => ctx.alarms.set(T(), { key: `probe:${subject}`, topic: 'probe', subject, kind: 'd1', dueAt: clock }, clock) },
});

const p2p = (user: string): StoredMessage[] => botP2p(h.standIn, user);

async function ask(user: string, command: string, want: (m: StoredMessage) => boolean = () => true): Promise<StoredMessage> {
  const before = p2p(user).length;
  await h.standIn.sendText(user, null, command);
  const answer = () => p2p(user).slice(before).find(want);
  await h.standIn.waitFor(() => answer(), 8000, `an answer to ${command}`);
  return answer()!;
}

const deadLetters = () => ask(OFFICER, '/deadletters', (m) => m.msg_type === 'interactive' && m.body.content.includes('失败投递'));
const gauge = async () => {
  await h.bot.approvals.service.recover(); // the effects sweep sets the gauge
  return Number(/^baomi_dead_letters (\d+)$/m.exec(await (await fetch(`${h.bot.url}/metrics`)).text())?.[1]);
};

beforeAll(async () => {
  h = await startHarness('webhook', { now: () => clock, features: [...FEATURES, probe] });
}, 60_000);
afterAll(() => h.stop());

describe('notices and alarms the bot gave up on', () => {
  let notice = '';
  let alarm = '';
  const title = '季度保密提醒';
  const noticesTo = (user: string) => p2p(user).filter((m) => m.msg_type === 'interactive' && m.body.content.includes(title));

  const unreachable = [USERS.staffRd, USERS.staffRd2];

  it('a notice that cannot reach two people reaches everyone else; the failure is one dead letter naming them', async () => {
    // One of them reads English: the notice goes out as one notice per language, still one line.
    await ask(USERS.staffRd2, '/lang en');
    for (const u of unreachable) h.standIn.setAvailable(u, false);
    await ask(OFFICER, `/training schedule ${title} 2026-12-20 10:00 2 dept=研发部`, (m) => /已安排培训 TR-\d{4}-\d{4}/.test(textOf(m)));
    await h.bot.fanout.kick();
    for (const u of RD.filter((u) => !unreachable.includes(u))) expect(noticesTo(u), u).toHaveLength(1);
    for (const u of unreachable) expect(noticesTo(u), u).toHaveLength(0);
    expect(await gauge()).toBe(1); // one notice, as it is listed (not one per person it missed)

    const list = await deadLetters();
    notice = /\*\*(N-[0-9A-F]{8})\*\*/.exec(list.body.content)?.[1] ?? '';
    expect(notice).toBeTruthy();
    expect(list.body.content).toMatch(new RegExp(`通知「[^」]*${title}[^」]*」`)); // what the notice said, not an internal label
    expect(list.body.content).toMatch(/未送达 2 人：(赵磊、周杰|周杰、赵磊)/); // named, not open_ids
    expect(list.body.content).toContain('失败投递（1）');
    for (const u of unreachable) expect(list.body.content).not.toContain(u);
    // Refused to anyone outside the security office, as for the approvals' dead letters.
    expect(textOf(await ask(USERS.staffGeneral, '/deadletters'))).toMatch(/只有保密员/);
  });

  it('an alarm whose handling keeps failing is given up on after 8 attempts and listed', async () => {
    await (h.bot.features.find((f) => f.name === 'probe')!.api as { set(s: string): Promise<boolean> }).set(USERS.staffRd2);
    for (let i = 0; i < 8; i++) {
      await h.bot.alarms.sweep();
      clock = new Date(clock.getTime() + 2 * HOUR); // past every back-off (at most an hour)
    }
    expect(handled).toEqual([]);
    expect(await gauge()).toBe(2);
    // The ledgers' statistics count them with the approvals' dead letters.
    const stats = await ask(OFFICER, '/ledger stats', (m) => m.msg_type === 'interactive' && m.body.content.includes('/deadletters'));
    expect(stats.body.content).toMatch(/\/deadletters`）：\*\*2\*\*/);
    const list = await deadLetters();
    alarm = /\*\*(A-[0-9A-F]{8})\*\*/.exec(list.body.content)?.[1] ?? '';
    expect(alarm).toBeTruthy();
    expect(list.body.content).toContain('probe提醒（周杰 · d1）'); // the subject's name; an unnamed topic as stored
    expect(list.body.content).not.toContain(USERS.staffRd2);
    expect(list.body.content).toContain('probe store unavailable');
    expect(list.body.content).toContain(notice);
  });

  it('retried by id once the cause is fixed: the notice reaches that person once and nobody again, the alarm is handled once', async () => {
    expect(textOf(await ask(OFFICER, '/deadletters retry N-00000000'))).toContain('没有编号 N-00000000');

    for (const u of unreachable) h.standIn.setAvailable(u, true);
    expect(textOf(await ask(OFFICER, `/deadletters retry ${notice}`))).toMatch(/已重试 2 项，其中 0 项仍未成功/);
    for (const u of RD) expect(noticesTo(u), u).toHaveLength(1);
    expect(textOf(await ask(OFFICER, `/deadletters retry ${notice}`))).toContain(`没有编号 ${notice}`);

    broken = false;
    expect(textOf(await ask(OFFICER, `/deadletters retry ${alarm}`))).toMatch(/已重试 1 项，其中 0 项仍未成功/);
    expect(handled).toEqual([`${T()}:probe:${USERS.staffRd2}`]);
    await h.bot.alarms.sweep();
    expect(handled).toHaveLength(1);

    expect(await gauge()).toBe(0);
    expect((await deadLetters()).body.content).toContain('没有失败投递');
  });

  it('dropped on the security office’s word: off the list and the gauge, audited, and never sent by a later retry', async () => {
    const second = '第二次保密提醒';
    h.standIn.setAvailable(USERS.staffRd, false);
    await ask(OFFICER, `/training schedule ${second} 2026-12-21 10:00 1 dept=研发部`, (m) => /已安排培训 TR-\d{4}-\d{4}/.test(textOf(m)));
    await h.bot.fanout.kick();
    const row = new RegExp(`\\*\\*(N-[0-9A-F]{8})\\*\\* · 通知「[^」]*${second}`).exec((await deadLetters()).body.content);
    expect(row).toBeTruthy();
    const id = row![1]!;
    expect(await gauge()).toBe(1);

    // An approval's effects carry ledger entries and custody: retried, never dropped.
    expect(textOf(await ask(OFFICER, '/deadletters drop CO-2099-0001'))).toContain('没有编号 CO-2099-0001');
    expect(textOf(await ask(USERS.staffGeneral, `/deadletters drop ${id}`))).toMatch(/只有保密员/);
    // Asked in a group: the answer names whom the notice missed, so it goes to the officer privately.
    const group = h.standIn.directory.org.chats.find((c) => c.members.includes(OFFICER))!.chat_id;
    const before = p2p(OFFICER).length;
    const sent = await h.standIn.sendText(OFFICER, group, `@${h.standIn.directory.org.app.name} /deadletters drop ${id}`);
    const note = await h.standIn.waitForMessage((m) => m.parent_id === sent.message_id, 3000);
    expect(textOf(note)).not.toContain('赵磊');
    const privately = await h.standIn.waitFor(
      () =>
        p2p(OFFICER)
          .slice(before)
          .find((m) => textOf(m).includes('已放弃')),
      3000,
      'the private answer',
    );
    expect(textOf(privately)).toMatch(new RegExp(`已放弃 ${id}（通知「.*」未送达 1 人：赵磊）：1 项不再发送`));
    expect(await gauge()).toBe(0);
    expect((await deadLetters()).body.content).not.toContain(id);
    const audit = await h.db.connection.collection('audit_log').findOne({ tenantKey: T(), action: 'deadletter.drop', outcome: 'ok' });
    expect(audit).toMatchObject({ actorId: OFFICER, objectType: 'notice' });

    h.standIn.setAvailable(USERS.staffRd, true);
    await ask(OFFICER, '/deadletters retry all');
    await h.bot.fanout.kick();
    expect(p2p(USERS.staffRd).filter((m) => m.body.content.includes(second))).toHaveLength(0);
    expect(textOf(await ask(OFFICER, `/deadletters drop ${id}`))).toContain(`没有编号 ${id}`);
  });
});
