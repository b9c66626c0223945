/**
 * The reminder records are sent (handlers/approvals/reminders.ts), through the whole bot and the
 * stand-in, on a clock the test moves: the approver is reminded after 24 h, the superior in the
 * chain after 48 h; an approved request never carried out expires after 7 days (the requester and
 * the security officers are told, the status card shows it); a carry-out's due-back reminders and
 * the overdue escalation reach their people; each message exactly once however often the sweep runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { effectsIdle, startHarness, USERS, type Harness } from './harness.js';
import { replyTo } from './approval-helpers.js';

let h: Harness;
const T = () => h.standIn.directory.tenantKey;
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
const req = async (id: string) => (await h.bot.approvals.repos.requests.get(T(), id))!.request;
/** Text messages the bot sent to `user` about `id` that match `re`. */
const told = (user: string, id: string, re: RegExp) =>
  h.standIn.messages((m) => m.chat_id === h.standIn.p2pChatId(user) && m.msg_type === 'text' && m.body.content.includes(id) && re.test(m.body.content));
/** Moves the clock and runs the reminder sweep for that minute (as its cadence would). */
async function at(offsetMs: number): Promise<void> {
  clockOffsetMs = offsetMs;
  await h.bot.scheduler.runNow('reminders.sweep');
  await effectsIdle(h);
}

describe('approval reminders', () => {
  it('reminds the approver at 24 h and escalates to the superior in the chain at 48 h, once each', async () => {
    const id = idIn(await say(USERS.staffGeneral, '/copy carrier=MM-2026-001 copies=1 purpose=提醒测试'), 'CP');
    expect(id).toBeTruthy();
    expect((await req(id)).steps.map((s) => s.role)).toEqual(['dept_head', 'security_officer', 'leader']);
    await at(23 * HOUR);
    expect(told(USERS.generalHead, id, /等待您审批/)).toHaveLength(0);
    await at(24 * HOUR + 60_000);
    await at(24 * HOUR + 120_000);
    const reminded = told(USERS.generalHead, id, /等待您审批/);
    expect(reminded).toHaveLength(1);
    // An absolute time ("since 2026-11-30 09:00"), never a relative one that would go stale.
    expect(reminded[0]!.body.content).toMatch(/自 \d{4}-\d{2}-\d{2} \d{2}:\d{2} 起/);
    await at(48 * HOUR + 60_000);
    await at(48 * HOUR + 120_000);
    // The department head's superior in this chain is the leader in charge (the later leader step).
    expect(told(USERS.leader, id, /督办/)).toHaveLength(1);
    expect(told(USERS.securityHead, id, /督办/)).toHaveLength(0);
    const rs = await h.db.connection
      .collection('reminders')
      .find({ tenantKey: T(), requestId: id, kind: { $in: ['approval.remind', 'approval.escalate'] } })
      .toArray();
    expect(rs.map((r) => r.state).sort()).toEqual(['sent', 'sent']);
  });

  it('a reminder for a step already decided sends nothing', async () => {
    clockOffsetMs = 0;
    const id = idIn(await say(USERS.staffGeneral, '/copy carrier=MM-2026-001 copies=1 purpose=已审批不提醒'), 'CP');
    // Cancel would normally retire it; make it look due and still pending (a cancel not yet run).
    await say(USERS.generalHead, `/approve ${id}`);
    await effectsIdle(h);
    await h.db.connection
      .collection('reminders')
      .updateMany({ tenantKey: T(), requestId: id, kind: 'approval.remind', 'target.openId': USERS.generalHead }, { $set: { state: 'pending', dueAt: new Date(0) } });
    await at(5 * 60_000);
    expect(told(USERS.generalHead, id, /等待您审批/)).toHaveLength(0);
    expect(await h.db.connection.collection('reminders').findOne({ tenantKey: T(), requestId: id, kind: 'approval.remind', 'target.openId': USERS.generalHead })).toMatchObject({
      state: 'sent',
    });
  });
});

describe('approved but never carried out', () => {
  it('reminds the requester at 3 days and expires at 7 days: carriers released, requester and officers told', async () => {
    clockOffsetMs = 0;
    const id = idIn(await say(USERS.staffFinance, '/destroy carrier=SM-2026-002 reason=过期作废 method=粉碎 site=本单位碎纸机'), 'DS');
    expect(id).toBeTruthy();
    for (let i = 0; i < 6 && (await req(id)).state === 'IN_APPROVAL'; i++) {
      const r = await req(id);
      const decided = new Set(r.steps.map((s) => s.decidedBy));
      const who = r.steps[r.currentStep!]!.assignees.find((a) => a !== r.requesterId && !decided.has(a))!;
      expect(await say(who, `/approve ${id}`)).toContain(id);
    }
    expect((await req(id)).state).toBe('APPROVED');
    await effectsIdle(h);
    expect((await h.bot.approvals.repos.carriers.get(T(), 'SM-2026-002'))!.status).toBe('PENDING_DESTRUCTION');
    await at(3 * 24 * HOUR + 5 * 60_000);
    expect(told(USERS.staffFinance, id, /尚未办理/)).toHaveLength(1);
    await at(7 * 24 * HOUR + 5 * 60_000);
    await at(7 * 24 * HOUR + 6 * 60_000);
    expect((await req(id)).state).toBe('EXPIRED');
    expect((await h.bot.approvals.repos.carriers.get(T(), 'SM-2026-002'))!.status).toBe('IN_STOCK');
    expect(told(USERS.staffFinance, id, /失效|过期|expired/i).length).toBeGreaterThanOrEqual(1);
    expect(told(USERS.securityOfficer, id, /已自动失效/)).toHaveLength(1);
    expect(told(USERS.securityOfficer2, id, /已自动失效/)).toHaveLength(1);
    // The audit log has the system's expiry.
    expect(await h.db.connection.collection('audit_log').countDocuments({ tenantKey: T(), objectId: id, action: 'request.expire' })).toBe(1);
  });
});

describe('carry-out due back', () => {
  it('T-1 d and T-2 h to the carrier person, overdue to requester and officers, then the escalation', async () => {
    clockOffsetMs = 0;
    const due = new Date(Date.now() + 3 * 24 * HOUR).toISOString().slice(0, 10);
    const id = idIn(await say(USERS.staffRd2, `/carry carrier=SM-2026-001 destination=客户现场 due=${due} purpose=提醒测试`), 'CO');
    expect(id).toBeTruthy();
    for (const who of (await req(id)).steps.map((s) => s.assignees.find((a) => a !== USERS.staffRd2)!)) expect(await say(who, `/approve ${id}`)).toContain(id);
    expect(await say(USERS.securityOfficer, `/checkout ${id}`)).toContain(id);
    await effectsIdle(h);
    const rs = await h.db.connection.collection('reminders').find({ tenantKey: T(), requestId: id, state: 'pending' }).toArray();
    const end = rs.find((r) => r.kind === 'carry.overdue')!.dueAt as Date;
    const offsetTo = (t: number) => t - Date.now();
    await at(offsetTo(end.getTime() - 24 * HOUR + 60_000));
    await at(offsetTo(end.getTime() - 2 * HOUR + 60_000));
    await at(offsetTo(end.getTime() - 2 * HOUR + 120_000));
    expect(told(USERS.staffRd2, id, /当日归还/)).toHaveLength(2);
    await at(offsetTo(end.getTime() + 60_000));
    expect((await req(id)).state).toBe('OVERDUE');
    expect(told(USERS.staffRd2, id, /超过应还日期/)).toHaveLength(1);
    await at(offsetTo(end.getTime() + 24 * HOUR + 60_000));
    await at(offsetTo(end.getTime() + 24 * HOUR + 120_000));
    expect(told(USERS.securityHead, id, /督办/)).toHaveLength(1);
    clockOffsetMs = 0;
  });
});
