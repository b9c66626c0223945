/**
 * People joining and leaving through the whole bot (real SDK, the Lark stand-in, the embedded
 * store) on a moved clock, in both languages: a security officer records a join; the person gets
 * the welcome notice; a reminder goes every 7 days to the person and the officers (once per
 * period, each in its reader's language) until the training and the pledge are recorded, then the
 * person is cleared and the reminders stop; the departure's checklist card lists the carrier the
 * register shows in their custody, its buttons tick the talk and the pledge and, once the carrier
 * is back, the register; the end of the decontamination period is announced once; Lark's
 * contact.user.created_v3 and contact.user.deleted_v3, each delivered twice, make one record.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STAFF_TICK_ACTION } from '../../cards/staff.card.js';
import { staffFeature } from '../../handlers/staff/index.js';
import type { StoredMessage } from '../../sandbox/lark/store.js';
import { type FoundButton, requireButtonWhere } from '../helpers/cards.js';
import { startHarness, USERS, type Harness, botP2p, textOf, askBot } from './harness.js';

let h: Harness;
const START = new Date('2026-12-01T01:00:00Z');
let clock = START;
const DAY = 86_400_000;
const at = (days: number, ms = 0) => (clock = new Date(START.getTime() + days * DAY + ms));
const ZHAO = USERS.staffRd; // 赵磊, joins and leaves
const ZHOU = USERS.staffRd2; // 周杰, Lark's contact events
const LI = USERS.securityOfficer; // 李娜, Chinese
const HUANG = USERS.securityOfficer2; // 黄敏, English

const p2p = (user: string): StoredMessage[] => botP2p(h.standIn, user);
const cards = (user: string, text: string) => p2p(user).filter((m) => m.msg_type === 'interactive' && m.body.content.includes(text));
const tenant = () => h.standIn.directory.tenantKey;

const ask = (user: string, command: string): Promise<StoredMessage> => askBot(h.standIn, user, command);

/** Waits until every fan-out delivery handed over so far has been sent (or failed). */
async function fanoutIdle(): Promise<void> {
  const deliveries = h.db.connection.collection('fanout_deliveries');
  await h.standIn.waitFor(async () => (await deliveries.countDocuments({ state: 'pending' })) === 0, 8000, 'the fan-out to finish');
}

async function sweep(): Promise<void> {
  await h.bot.alarms.sweep();
  await h.bot.alarms.sweep();
  await fanoutIdle();
}

function buttonValue(card: unknown, k: string): FoundButton {
  return requireButtonWhere(card, (v) => v.a === STAFF_TICK_ACTION && (v.x as { k?: string } | undefined)?.k === k, `no ${k} button`);
}

beforeAll(async () => {
  // The staff feature alone (the training feature's own suite tests it; here `/staff trained` records training).
  h = await startHarness('webhook', { now: () => clock, features: [staffFeature] });
}, 60_000);
afterAll(() => h.stop());

describe('/staff: joining', () => {
  it('a join: the welcome once; a reminder every 7 days to the person and the officers, each in their language, once per period', async () => {
    await ask(HUANG, '/lang en');
    const r = await ask(LI, '/staff join @赵磊 clearance=核心');
    expect(textOf(r)).toContain('已登记 赵磊 入职（核心涉密人员）');
    await h.standIn.waitFor(() => cards(ZHAO, '欢迎入职').length > 0 || undefined, 5000, 'the welcome');
    expect(cards(ZHAO, '欢迎入职')[0]!.body.content).toContain('入职保密培训、签署保密承诺书');

    at(7, -60_000);
    await sweep();
    expect(cards(ZHAO, '保密入职手续尚未完成')).toHaveLength(0);
    at(7);
    await sweep();
    expect(cards(ZHAO, '保密入职手续尚未完成')).toHaveLength(1);
    expect(cards(LI, '入职保密手续未完成：赵磊')).toHaveLength(1);
    const en = cards(HUANG, 'Not yet cleared: Zhao Lei');
    expect(en).toHaveLength(1);
    expect(en[0]!.body.content).not.toContain('入职保密手续');
    await sweep();
    expect(cards(ZHAO, '保密入职手续尚未完成')).toHaveLength(1);
    expect(cards(ZHAO, '欢迎入职')).toHaveLength(1);
  });

  it('training and pledge recorded: cleared, the reminders stop', async () => {
    at(8);
    const t = await ask(HUANG, `/staff trained ${ZHAO} 2026-12-08`);
    expect(textOf(t)).toContain('Recorded that Zhao Lei completed the onboarding training on 2026-12-08. Still due: signing the confidentiality pledge');
    at(14);
    await sweep();
    const second = cards(ZHAO, '保密入职手续尚未完成');
    expect(second).toHaveLength(2);
    expect(second[1]!.body.content).toContain('仍待完成：**签署保密承诺书**');
    expect(cards(HUANG, 'Not yet cleared: Zhao Lei')).toHaveLength(2);
    at(15);
    const p = await ask(LI, '/人员 承诺书 @赵磊 2026-12-15');
    expect(textOf(p)).toContain('入职手续办结');
    expect(textOf(p)).toContain('2027-12-15');
    for (const d of [21, 28, 35]) {
      at(d);
      await sweep();
    }
    expect(cards(ZHAO, '保密入职手续尚未完成')).toHaveLength(2);
    expect(cards(LI, '入职保密手续未完成')).toHaveLength(2);
    const status = await ask(HUANG, '/staff status');
    expect(textOf(status)).toContain('Not yet cleared (0)');
  });
});

describe('/staff: leaving', () => {
  let cardMsg: StoredMessage;
  it('the checklist card lists the carrier the register shows in the person’s custody', async () => {
    const made = await h.bot.approvals.repos.carriers.create(tenant(), {
      number: 'JM-2027-777',
      level: 'SECRET',
      carrierType: '移动硬盘',
      alias: '离岗测试盘（别名）',
      custodianId: ZHAO,
      createdBy: LI,
    });
    expect(made.ok).toBe(true);
    at(40);
    cardMsg = await ask(LI, '/staff leave @赵磊 2027-01-20');
    expect(cardMsg.msg_type).toBe('interactive');
    const content = cardMsg.body.content;
    expect(content).toContain('离岗清单 · 赵磊');
    expect(content).toContain('JM-2027-777 离岗测试盘（别名）（在库）');
    expect(content).toContain('36 个月，至 2030-01-20 期满');
  });

  it('its buttons tick the talk and the pledge, and "all returned" once the register shows the carrier back; the card is redrawn in place', async () => {
    const card = () => JSON.parse(h.standIn.getMessage(cardMsg.message_id)!.body.content) as unknown;
    const talk = buttonValue(card(), 'talk');
    const r1 = await h.standIn.click(LI, cardMsg.message_id, { tag: 'button', name: talk.name, value: talk.value });
    expect(r1.ok, r1.error).toBe(true);
    expect(r1.toast?.content).toBe('已记录提醒谈话');
    expect(h.standIn.getMessage(cardMsg.message_id)!.body.content).toContain('✅ 离岗前提醒谈话');
    const check = buttonValue(card(), 'check');
    const r2 = await h.standIn.click(LI, cardMsg.message_id, { tag: 'button', name: check.name, value: check.value });
    expect(r2.toast?.content).toBe('已核对：仍有 1 件载体未清退');
    expect(await h.bot.approvals.repos.carriers.setStatus(tenant(), 'JM-2027-777', 'RETURNED_TO_ISSUER', {})).toBe('changed');
    const pledge = buttonValue(card(), 'pledge');
    const r3 = await h.standIn.click(LI, cardMsg.message_id, { tag: 'button', name: pledge.name, value: pledge.value });
    expect(r3.toast?.content).toBe('已记录离岗承诺书');
    const now = h.standIn.getMessage(cardMsg.message_id)!.body.content;
    expect(now).toContain('✅ 涉密载体已全部清退');
    expect(now).toContain('✅ 已签署离岗保密承诺书');
    expect(now).not.toContain('JM-2027-777');
    const status = await ask(LI, '/staff status');
    expect(textOf(status)).toContain('离岗中或脱密期内（1）');
    expect(textOf(status)).toContain('未清退载体 0 件，提醒谈话：已完成，离岗承诺书：已完成');
  });

  it('the end of the decontamination period: once, to the officers and the person, at its time', async () => {
    clock = new Date('2030-01-20T00:59:00Z');
    await sweep();
    expect(cards(LI, '脱密期期满')).toHaveLength(0);
    clock = new Date('2030-01-20T01:00:00Z');
    await sweep();
    await sweep();
    expect(cards(LI, '脱密期期满：赵磊')).toHaveLength(1);
    expect(cards(ZHAO, '脱密期期满：赵磊')).toHaveLength(1);
    const en = cards(HUANG, 'Decontamination period over: Zhao Lei');
    expect(en).toHaveLength(1);
    expect(en[0]!.body.content).toContain('the 36-month decontamination period ends on 2030-01-20');
    // No yearly re-sign reminder for someone who left.
    expect(cards(ZHAO, '保密承诺书需重新签署')).toHaveLength(0);
  });
});

describe('Lark’s contact events', () => {
  it('contact.user.created_v3 and contact.user.deleted_v3, each delivered twice, make one record each', async () => {
    const object = { open_id: ZHOU, name: '周杰', en_name: 'Zhou Jie', status: { is_activated: true, is_resigned: false, is_frozen: false } };
    for (let i = 0; i < 2; i++) {
      const d = await h.standIn.deliverEvent('contact.user.created_v3', { object }, { eventId: 'ev_staff_created_0001' });
      expect(d.status).toBe(200);
    }
    await h.standIn.waitFor(() => cards(ZHOU, '欢迎入职').length > 0 || undefined, 5000, 'the welcome of the created user');
    await h.standIn.waitFor(() => cards(HUANG, 'Joined: Zhou Jie').length > 0 || undefined, 5000, 'the officers told of the join');
    const staff = h.db.connection.collection('staff');
    expect(await staff.countDocuments({ openId: ZHOU })).toBe(1);
    expect((await staff.findOne({ openId: ZHOU }))?.state).toBe('joining');

    for (let i = 0; i < 2; i++) {
      const d = await h.standIn.deliverEvent(
        'contact.user.deleted_v3',
        { object: { open_id: ZHOU, name: '周杰' }, old_object: { open_id: ZHOU, department_ids: ['D300'] } },
        { eventId: 'ev_staff_deleted_0001' },
      );
      expect(d.status).toBe(200);
    }
    await h.standIn.waitFor(() => (cards(LI, '离岗清单 · 周杰').length > 0 && cards(HUANG, 'Departure checklist · Zhou Jie').length > 0) || undefined, 5000, 'the checklist');
    await fanoutIdle();
    expect(await staff.countDocuments({ openId: ZHOU })).toBe(1);
    const rec = await staff.findOne({ openId: ZHOU });
    expect(rec?.state).toBe('decontaminating');
    expect(rec?.leaveSeq).toBe(1);
    expect(cards(ZHOU, '欢迎入职')).toHaveLength(1);
    expect(cards(LI, '离岗清单 · 周杰')).toHaveLength(1);
    expect(cards(HUANG, 'Departure checklist · Zhou Jie')).toHaveLength(1);
    expect(cards(HUANG, 'Departure checklist · Zhou Jie')[0]!.body.content).not.toContain('离岗清单');
    const audits = await h.db.connection
      .collection('audit_log')
      .find({ objectId: ZHOU, action: { $in: ['staff.join', 'staff.leave'] } })
      .toArray();
    expect(audits.map((a) => a.action).sort()).toEqual(['staff.join', 'staff.leave']);
  });
});
