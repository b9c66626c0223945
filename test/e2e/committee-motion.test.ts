/**
 * A motion through the whole bot (real SDK, the Lark stand-in, the embedded store), in both
 * languages: the chair puts it, every member gets one vote card through the fan-out in their own
 * language, members vote and change their vote (the card redrawn with their current choice), the
 * committee sweep closes it when its time has come (a moved clock), the result reaches every
 * member once, a late click is refused, and `/motion show` shows the kept result.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fmtTime } from '../../cards/request.card.js';
import { MOTION_VOTE_ACTION } from '../../cards/committee.card.js';
import type { StoredMessage } from '../../sandbox/lark/store.js';
import { requireButtonWhere } from '../helpers/cards.js';
import { findButton } from './approval-helpers.js';
import { startHarness, USERS, type Harness, botP2p, textOf, askBot } from './harness.js';

let h: Harness;
let shift = 0;
const now = () => new Date(Date.now() + shift);
const CHAIR = USERS.principal; // 刘洋, 主任
const MEMBERS = [USERS.securityHead, USERS.securityOfficer, USERS.leader, USERS.generalHead, USERS.rdHead, USERS.financeHead];

const p2p = (user: string): StoredMessage[] => botP2p(h.standIn, user);
const cards = (user: string, text: string) => p2p(user).filter((m) => m.msg_type === 'interactive' && m.body.content.includes(text));

const ask = (user: string, command: string): Promise<StoredMessage> => askBot(h.standIn, user, command);

beforeAll(async () => {
  h = await startHarness('webhook', { now });
}, 60_000);
afterAll(() => h.stop());

describe('/motion', () => {
  let id = '';
  const voteCard = (user: string) => cards(user, 'motion.vote').find((m) => !m.body.content.includes('"template":"orange"'))!;

  it('sends every member one vote card in their language', async () => {
    await ask(USERS.leader, '/lang en');
    const closes = fmtTime(new Date(Date.now() + 3 * 86_400_000).toISOString(), 'Asia/Shanghai');
    await h.standIn.sendText(CHAIR, null, `/议题 修订涉密载体管理制度 类别=制度 截止=${closes}`);
    const reply = await h.standIn.waitFor(() => p2p(CHAIR).find((x) => x.msg_type === 'text' && textOf(x).includes('MO-')), 5000, 'the motion’s id');
    const m = /MO-\d{4}-\d{4}/.exec(textOf(reply));
    expect(m, textOf(reply)).not.toBeNull();
    id = m![0];
    expect(textOf(reply)).toContain('7 位委员');
    await h.standIn.waitFor(() => [...MEMBERS, CHAIR].every((u) => cards(u, 'motion.vote').length > 0) || undefined, 8000, 'vote cards for every member');
    for (const u of [...MEMBERS, CHAIR]) expect(cards(u, 'motion.vote')).toHaveLength(1);
    expect(cards(USERS.staffGeneral, 'motion.vote')).toHaveLength(0);
    expect(voteCard(USERS.leader).body.content).toContain('Against');
    expect(voteCard(USERS.leader).body.content).not.toContain('反对');
    expect(voteCard(USERS.securityHead).body.content).toContain('反对');
    expect(voteCard(USERS.securityHead).body.content).not.toContain('Against');
  });

  it('records votes and changes, redrawing the card with the member’s current choice', async () => {
    const vote = async (user: string, choice: 'yes' | 'no' | 'abstain') => {
      const msg = voteCard(user);
      const btn = findButton(JSON.parse(msg.body.content), MOTION_VOTE_ACTION);
      expect(btn).toBeDefined();
      // the button of this choice: walk the card for it
      const content = JSON.parse(msg.body.content) as unknown;
      const value = findChoice(content, choice);
      return h.standIn.click(user, msg.message_id, { tag: 'button', value });
    };
    const r1 = await vote(USERS.securityOfficer, 'no');
    expect(r1.ok, r1.error).toBe(true);
    expect(r1.toast?.content).toBe('已记录您的投票：反对');
    expect(JSON.stringify(r1.card)).toContain('您当前的选择：**反对**');
    const r2 = await vote(USERS.securityOfficer, 'yes');
    expect(r2.toast?.content).toBe('已改投：赞成');
    expect(JSON.stringify(r2.card)).toContain('您当前的选择：**赞成**');
    const r3 = await vote(USERS.leader, 'yes');
    expect(r3.toast?.content).toBe('Your vote is recorded: For');
    expect(JSON.stringify(r3.card)).toContain('Your current choice: **For**');
    expect(JSON.stringify(r3.card)).toContain('So far: 2 for, 0 against');
    expect(JSON.stringify(r3.card)).not.toContain('赞成');
    expect((await vote(USERS.securityHead, 'yes')).ok).toBe(true);
    expect((await vote(USERS.generalHead, 'yes')).ok).toBe(true);
    expect((await vote(USERS.rdHead, 'abstain')).ok).toBe(true);
    expect(await h.db.connection.collection('motion_votes').countDocuments({})).toBe(5);
  });

  it('closes at its time: the result reaches every member once; a late vote is refused', async () => {
    shift = 3 * 86_400_000 + 120_000;
    await h.bot.scheduler.runNow('committee.sweep');
    await h.standIn.waitFor(() => [...MEMBERS, CHAIR].every((u) => cards(u, id).some((c) => /表决结果|Result:/.test(c.body.content))) || undefined, 8000, 'the result');
    await h.bot.scheduler.runNow('committee.sweep');
    for (const u of [...MEMBERS, CHAIR]) expect(cards(u, id).filter((c) => /表决结果|Result:/.test(c.body.content))).toHaveLength(1);
    const zh = cards(USERS.securityHead, '表决结果')[0]!.body.content;
    expect(zh).toContain('**结果**：通过');
    expect(zh).toContain('赞成 4，反对 0，弃权 1；投票 5 / 7 人');
    const en = cards(USERS.leader, 'Result:')[0]!.body.content;
    expect(en).toContain('**Outcome**: Passed');
    expect(en).not.toContain('通过');
    const late = await h.standIn.click(USERS.financeHead, voteCard(USERS.financeHead).message_id, {
      tag: 'button',
      value: findChoice(JSON.parse(voteCard(USERS.financeHead).body.content), 'yes'),
    });
    expect(late.toast?.type).toBe('error');
    expect(late.toast?.content).toContain('已于');
    const refused = await h.db.connection.collection('audit_log').countDocuments({ action: 'motion.vote', outcome: 'refused' });
    expect(refused).toBe(1);
    const shown = await ask(CHAIR, `/motion show ${id}`);
    expect(shown.body.content).toContain('**结果**：通过');
    const list = await ask(USERS.leader, '/motion list');
    expect(textOf(list)).toContain(`${id} "修订涉密载体管理制度" (Policy) — Passed`);
    const no = await ask(USERS.staffGeneral, '/议题 随便 提议');
    expect(textOf(no)).toContain('只有保密委员会主任或保密员可以提出议题');
  });
});

function findChoice(card: unknown, choice: string): Record<string, unknown> {
  return requireButtonWhere(card, (v) => v.a === MOTION_VOTE_ACTION && (v.x as { c?: string } | undefined)?.c === choice, `no ${choice} button`).value;
}
