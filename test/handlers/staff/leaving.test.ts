/**
 * People leaving, on the embedded store with a fake clock: the checklist built from the register
 * (carriers still in the person's custody, not destroyed or returned to the issuer), its buttons
 * (security officers only, ticks once, "all returned" only when the register shows none), the
 * decontamination period by clearance class (and as configured or given), its end notice once at
 * its time and none after a cancelled departure; refusals for non-officers and unknown people
 * (also for trained, pledge and cancel, unless the person has a record); Lark's contact events
 * delivered twice making one record, and after a crash right after the record's write doing the
 * follow-ups left undone, each once.
 */
import { describe, expect, it, vi } from 'vitest';
import type { CardResponse, Directory } from '../../../bot/core/types.js';
import { validateCard } from '../../../cards/card.schema.js';
import { STAFF_TICK_ACTION } from '../../../cards/staff.card.js';
import { MemoryDedupeStore } from '../../../models/dedupe.model.js';
import { demoDirectory } from '../../helpers/approval-service.js';
import { requireButtonWhere } from '../../helpers/cards.js';
import { clickEvent, dispatch, systemEvent } from '../../helpers/fake-services.js';
import type { TestDb } from '../../helpers/mongo.js';
import { staffRig, TENANT, U, useStaffDb, type StaffRig } from './rig.js';

let db: TestDb;
let rig: StaffRig;

useStaffDb((d) => (db = d));

const staffDoc = (openId: string) => db.connection.collection('staff').findOne({ _id: `${TENANT}:${openId}` as never }) as Promise<Record<string, unknown> | null>;
/** The stored record, which must exist. */
async function stored(openId: string): Promise<Record<string, unknown>> {
  const d = await staffDoc(openId);
  if (!d) throw new Error(`no staff record for ${openId}`);
  return d;
}

async function carrier(number: string, custodianId: string, status = 'IN_STOCK'): Promise<void> {
  const r = await rig.repos.carriers.create(TENANT, {
    number,
    level: 'SECRET',
    carrierType: 'U盘',
    alias: `别名${number}`,
    custodianId,
    status,
    createdBy: U.officer,
  });
  if (!r.ok) throw new Error(`carrier ${number} exists`);
}

/** The value of the checklist button `k` on a card. */
function buttonValue(card: unknown, k: string): Record<string, unknown> {
  return requireButtonWhere(card, (v) => v.a === STAFF_TICK_ACTION && (v.x as { k?: string } | undefined)?.k === k, `no ${k} button`).value;
}

async function click(who: string, card: unknown, k: string): Promise<CardResponse> {
  const { acks } = await dispatch(rig.app, clickEvent(buttonValue(card, k), { tenantKey: TENANT, operator: { openId: who } }));
  const a = acks.find((x) => x !== undefined);
  if (!a) throw new Error('no answer to the click');
  return a;
}

describe('the departure checklist', () => {
  it('lists the carriers the register shows in the person’s custody; ticks once; "all returned" only when none is left', async () => {
    rig = await staffRig(db);
    await carrier('JM-2027-101', U.zhao);
    await carrier('JM-2027-102', U.zhao, 'CHECKED_OUT');
    await carrier('JM-2027-103', U.zhao, 'DESTROYED');
    await carrier('JM-2027-104', U.zhao, 'RETURNED_TO_ISSUER');
    await carrier('JM-2027-105', U.zhou);
    await rig.say(U.officer, `/staff join ${U.zhao} clearance=core`);
    const r = await rig.say(U.officer, `/staff leave ${U.zhao} 2026-12-20`);
    expect(r.cards).toHaveLength(1);
    const card = r.cards[0]!;
    expect(validateCard(card)).toEqual({ ok: true });
    const text = JSON.stringify(card);
    expect(text).toContain('离岗清单 · 赵磊');
    expect(text).toContain('台账显示仍有 **2** 件由其保管');
    expect(text).toContain('JM-2027-101 别名JM-2027-101（在库）');
    expect(text).toContain('JM-2027-102 别名JM-2027-102（外携中）');
    for (const gone of ['JM-2027-103', 'JM-2027-104', 'JM-2027-105']) expect(text).not.toContain(gone);
    expect(text).toContain('36 个月，至 2029-12-20 期满');
    expect(text).not.toContain('"en_us"');

    // Not an officer: refused and audited; nothing ticked.
    const no = await click(U.leader, card, 'talk');
    expect(no.toast?.type).toBe('error');
    expect(no.toast?.content).toContain('只有保密员');
    expect(rig.audits.filter((a) => a.outcome === 'refused' && a.action === 'staff.leave_talk' && a.actorId === U.leader)).toHaveLength(1);
    expect(((await stored(U.zhao)).leave as { talk?: unknown }).talk).toBeUndefined();

    const talk = await click(U.officer, card, 'talk');
    expect(talk.toast?.content).toBe('已记录提醒谈话');
    expect(JSON.stringify(talk.card)).toContain('✅ 离岗前提醒谈话（2026-12-01，李娜）');
    expect(validateCard(talk.card!.data)).toEqual({ ok: true });
    // A double click (the old card again): ticked once.
    await click(U.officer2, card, 'talk');
    expect(rig.audits.filter((a) => a.action === 'staff.leave_talk' && a.outcome === 'ok')).toHaveLength(1);
    expect(((await stored(U.zhao)).leave as { talk: { by: string } }).talk.by).toBe(U.officer);

    // Carriers still held: re-checking does not tick them.
    const check = await click(U.officer, card, 'check');
    expect(check.toast?.content).toContain('仍有 2 件载体未清退');
    expect(JSON.stringify(check.card)).toContain('⬜ 清退涉密载体');
    expect(((await stored(U.zhao)).leave as { carriersClear?: unknown }).carriersClear).toBeUndefined();

    // The register changes (one destroyed, one returned to the issuer): the card's next use sees it.
    expect(await rig.repos.carriers.setStatus(TENANT, 'JM-2027-101', 'DESTROYED', {})).toBe('changed');
    expect(await rig.repos.carriers.setStatus(TENANT, 'JM-2027-102', 'RETURNED_TO_ISSUER', {})).toBe('changed');
    const pledge = await click(U.head, card, 'pledge');
    expect(pledge.toast?.content).toBe('已记录离岗承诺书');
    const done = JSON.stringify(pledge.card);
    expect(done).toContain('✅ 涉密载体已全部清退');
    expect(done).toContain('✅ 已签署离岗保密承诺书（2026-12-01，张伟 登记）');
    expect(done).toContain('"template":"green"');
    const leave = (await staffDoc(U.zhao))?.leave as { carriersClear?: Date; pledge?: { by: string } };
    expect(leave.carriersClear).toBeInstanceOf(Date);
    expect(leave.pledge?.by).toBe(U.head);
    expect(((await stored(U.zhao)).pledges as { kind: string }[]).map((p) => p.kind)).toEqual(['departure']);
  });

  it('is drawn in the reader’s language; /staff leave again shows the same departure', async () => {
    rig = await staffRig(db);
    await rig.services.prefs.setLocale(TENANT, U.officer2, 'en-US');
    await carrier('JM-2027-201', U.sun);
    const r = await rig.say(U.officer2, `/staff leave ${U.sun}`);
    const text = JSON.stringify(r.cards[0]);
    expect(text).toContain('Departure checklist · Sun Hao');
    expect(text).toContain('JM-2027-201 别名JM-2027-201 (In stock)');
    expect(text).toContain('12 months, ends on 2027-12-01');
    expect(text).not.toContain('离岗清单');
    const again = await rig.say(U.officer, `/staff leave ${U.sun}`);
    expect(again.texts[0]).toContain('孙浩 已登记于 2026-12-01 离岗');
    expect(again.cards).toHaveLength(1);
    expect(rig.audits.filter((a) => a.action === 'staff.leave')).toHaveLength(1);
  });
});

describe('the decontamination period', () => {
  it('defaults by clearance class (core 36, important 24, general 12 months); months= overrides', async () => {
    rig = await staffRig(db);
    await rig.say(U.officer, `/staff join ${U.zhao} clearance=核心`);
    await rig.say(U.officer, `/staff join ${U.zhou} clearance=important`);
    await rig.say(U.officer, `/staff leave ${U.zhao} 2027-01-31`);
    await rig.say(U.officer, `/staff leave ${U.zhou} 2027-01-31`);
    await rig.say(U.officer, `/staff leave ${U.sun} 2027-01-31`);
    await rig.say(U.officer, `/staff leave ${U.officer2} 2027-01-31 months=6`);
    const l = async (id: string) => (await staffDoc(id))?.leave as { months: number; deconEnd: string };
    expect(await l(U.zhao)).toMatchObject({ months: 36, deconEnd: '2030-01-31' });
    expect(await l(U.zhou)).toMatchObject({ months: 24, deconEnd: '2029-01-31' });
    expect(await l(U.sun)).toMatchObject({ months: 12, deconEnd: '2028-01-31' });
    expect(await l(U.officer2)).toMatchObject({ months: 6, deconEnd: '2027-07-31' });
    expect((await staffDoc(U.zhao))?.state).toBe('leaving');
  });

  it('BAOMI_DECONTAMINATION_MONTHS sets the periods (classes left out keep their default)', async () => {
    rig = await staffRig(db, { env: { BAOMI_DECONTAMINATION_MONTHS: '核心=30, important=18' } });
    await rig.say(U.officer, `/staff leave ${U.zhao} clearance=core`);
    await rig.say(U.officer, `/staff leave ${U.zhou} clearance=重要`);
    await rig.say(U.officer, `/staff leave ${U.sun}`);
    const months = async (id: string) => ((await stored(id)).leave as { months: number }).months;
    expect([await months(U.zhao), await months(U.zhou), await months(U.sun)]).toEqual([30, 18, 12]);
    expect((await staffDoc(U.sun))?.state).toBe('decontaminating');
  });

  it('its end: one notice to the officers and the person, at 09:00 on the day; none for a cancelled departure', async () => {
    rig = await staffRig(db);
    await rig.services.prefs.setLocale(TENANT, U.zhao, 'en-US');
    await rig.say(U.officer, `/staff leave ${U.zhao} 2026-12-01 months=1`);
    await rig.say(U.officer, `/staff join ${U.zhou}`);
    await rig.say(U.officer, `/staff leave ${U.zhou} 2026-12-01 months=1`);
    const c = await rig.say(U.officer, `/staff cancel ${U.zhou}`);
    expect(c.texts[0]).toContain('已撤销 周杰 的离岗登记，恢复为：入职手续未完成');
    // The departure took the joining reminders away; the cancel brought the next one back.
    expect((await rig.alarms.pending(TENANT, 'staff')).map((a) => `${a.subject === U.zhou ? 'zhou' : 'zhao'}:${a.kind}`).sort()).toEqual(['zhao:decon', 'zhou:join']);

    const decon = () => rig.sent.filter((s) => s.id.includes(':decon:'));
    rig.clock.set('2027-01-01T00:59:00Z');
    await rig.sweeper.sweep();
    expect(decon()).toHaveLength(0);
    // The sweeps were away for a month: of zhou's weekly reminders one goes now, the next lies ahead.
    expect(rig.sent.filter((s) => s.id.includes(`${U.zhou}:join1:r`)).map((s) => s.id.split(':join1:')[1])).toEqual(['r1:person:zh-CN', 'r1:officers:zh-CN']);
    expect((await rig.alarms.pending(TENANT, 'staff')).filter((a) => a.kind === 'join').map((a) => a.dueAt.toISOString())).toEqual(['2027-01-05T01:00:00.000Z']);
    rig.clock.set('2027-01-01T01:00:00Z');
    await rig.sweeper.sweep();
    await rig.sweeper.sweep();
    const fired = decon();
    expect(fired.map((s) => s.id).sort()).toEqual([`${TENANT}:staff:${U.zhao}:leave1:decon:en-US`, `${TENANT}:staff:${U.zhao}:leave1:decon:zh-CN`]);
    const all = fired.flatMap((s) => s.recipients.map((r) => ('openId' in r.to ? r.to.openId : '')));
    expect(all.sort()).toEqual([U.officer, U.officer2, U.zhao].sort());
    expect(JSON.stringify(fired.find((s) => s.id.endsWith('en-US'))!.message)).toContain('the 1-month decontamination period ends on 2027-01-01');
    expect((await staffDoc(U.zhao))?.state).toBe('left');
    expect((await staffDoc(U.zhou))?.state).toBe('joining');
    // Later sweeps: nothing more about either departure.
    rig.clock.set('2027-03-01T01:00:00Z');
    await rig.sweeper.sweep();
    expect(rig.sent.filter((s) => s.id.includes(':decon:'))).toHaveLength(2);
  });
});

describe('refusals', () => {
  it('non-officers are refused (audited); so are unknown people, bad dates and classes', async () => {
    rig = await staffRig(db);
    const no = await rig.say(U.leader, `/staff join ${U.zhao}`);
    expect(no.texts[0]).toContain('只有保密员、保密办负责人或管理员可以管理人员入职与离岗');
    const st = await rig.say(U.zhao, '/staff status');
    expect(st.texts[0]).toContain('只有保密员');
    expect(rig.audits.filter((a) => a.outcome === 'refused').map((a) => [a.actorId, a.action])).toEqual([
      [U.leader, 'staff.join'],
      [U.zhao, 'staff.status'],
    ]);
    expect(await staffDoc(U.zhao)).toBeNull();

    const unknown = await rig.say(U.officer, '/staff join ou_nobody0000');
    expect(unknown.texts[0]).toContain('ou_nobody0000（通讯录中没有此人）');
    const gone = await rig.say(U.officer, '/staff leave ou_nobody0000');
    expect(gone.texts[0]).toContain('通讯录中没有此人（ou_nobody0000）');
    const noRecord = await rig.say(U.officer, `/staff pledge ${U.zhao} 2026-11-30`);
    expect(noRecord.texts[0]).toContain('请先用 /staff join 登记入职');
    await rig.say(U.officer, `/staff join ${U.zhao}`);
    expect((await rig.say(U.officer, `/staff trained ${U.zhao} 2026-12-02`)).texts[0]).toContain('晚于今天（2026-12-01）');
    expect((await rig.say(U.officer, `/staff trained ${U.zhao} 2026-02-30`)).texts[0]).toContain('不是有效日期');
    expect((await rig.say(U.officer, `/staff leave ${U.zhao} clearance=top`)).texts[0]).toContain('涉密人员类别“top”无效');
    expect((await rig.say(U.officer, `/staff leave ${U.zhao} months=0`)).texts[0]).toContain('须为 1 到 120 的整数');
    expect((await rig.say(U.officer, `/staff cancel ${U.zhao}`)).texts[0]).toContain('没有进行中的离岗登记');
    expect((await rig.say(U.officer, `/staff join ${U.zhao} ${U.zhou}`)).texts[0]).toContain('一次只能办理一个人');
    expect((await staffDoc(U.zhao))?.state).toBe('joining');
    expect(await staffDoc(U.zhou)).toBeNull();
  });

  it('trained, pledge and cancel act on a real person or on someone with a record: an unknown open_id is refused by name; one who left Lark keeps their record', async () => {
    const base = demoDirectory();
    // 孙浩 has resigned in Lark.
    const directory: Directory = {
      ...base,
      lookup: async (t, id) => {
        const p = await base.lookup(t, id);
        return p && id === U.sun ? { ...p, status: { activated: false, resigned: true, frozen: false, exited: false, unjoined: false } } : p;
      },
    };
    rig = await staffRig(db, { directory });
    for (const command of ['/staff trained ou_nobody0000 2026-11-30', '/staff pledge ou_nobody0000 2026-11-30', '/staff cancel ou_nobody0000']) {
      const r = await rig.say(U.officer, command);
      expect(r.texts[0]).toContain('ou_nobody0000（通讯录中没有此人）');
      expect(r.texts[0]).not.toContain('/staff join');
    }
    // Resigned and unknown to us: refused by name as well.
    expect((await rig.say(U.officer, `/staff trained ${U.sun} 2026-11-30`)).texts[0]).toContain('已离职');
    expect(await staffDoc('ou_nobody0000')).toBeNull();
    expect(await staffDoc(U.sun)).toBeNull();

    // A departure recorded for them (Lark still knows them, resigned): their record carries the rest.
    await rig.say(U.officer, `/staff leave ${U.sun} 2026-12-20`);
    expect((await rig.say(U.officer, `/staff pledge ${U.sun} 2026-12-01`)).texts[0]).toContain('已登记 孙浩 于 2026-12-01 签署离岗保密承诺书');
    expect((await rig.say(U.officer, `/staff cancel ${U.sun}`)).texts[0]).toContain('已撤销 孙浩 的离岗登记');
    expect((await stored(U.sun)).state).toBe('cleared');
  });

  it('takes a person by @-mention: an open_id in the text, or a mention placeholder resolved through the message’s mentions', async () => {
    rig = await staffRig(db);
    const r = await rig.say(U.officer, '/staff join @_user_1 clearance=一般', { mentions: [{ key: '@_user_1', openId: U.zhou, name: '周杰' }] });
    expect(r.texts[0]).toContain('已登记 周杰 入职（一般涉密人员）');
    const bad = await rig.say(U.officer, '/staff join @_user_2');
    expect(bad.texts[0]).toContain('无法识别 @_user_2 指的是谁');
  });
});

describe('Lark’s contact events', () => {
  it('contact.user.created_v3 delivered twice joins once; contact.user.deleted_v3 delivered twice leaves once, the checklist to the officers once', async () => {
    rig = await staffRig(db);
    // Lark redelivers with the same event_id; the delivery record of the first is gone (another instance).
    const created = () => systemEvent('contact.user.created_v3', { tenantKey: TENANT, eventId: 'ev_created_1', data: { object: { open_id: U.zhao, name: '赵磊' } } });
    await dispatch(rig.app, { ...created(), id: 'd1' });
    rig.services.dedupe = new MemoryDedupeStore();
    await dispatch(rig.app, { ...created(), id: 'd2' });
    expect((await db.connection.collection('staff').find({}).toArray()).map((d) => d._id)).toEqual([`${TENANT}:${U.zhao}`]);
    expect((await staffDoc(U.zhao))?.joinSource).toBe('lark:ev_created_1');
    expect(rig.calls.filter((c) => c.id.includes(':welcome:'))).toHaveLength(1);
    // The officers hear of a join they did not record themselves.
    expect(rig.noticesTo(U.officer).map((s) => s.id)).toEqual([`staff:${TENANT}:${U.zhao}:join1:officers:zh-CN`]);
    expect(rig.audits.filter((a) => a.action === 'staff.join' && a.actorId === 'system' && a.channel === 'system')).toHaveLength(1);

    await carrier('JM-2027-301', U.zhao);
    const deleted = () =>
      systemEvent('contact.user.deleted_v3', {
        tenantKey: TENANT,
        eventId: 'ev_deleted_1',
        data: { object: { open_id: U.zhao }, old_object: { open_id: U.zhao, department_ids: ['D300'] } },
      });
    await dispatch(rig.app, { ...deleted(), id: 'd3' });
    rig.services.dedupe = new MemoryDedupeStore();
    await dispatch(rig.app, { ...deleted(), id: 'd4' });
    const rec = await staffDoc(U.zhao);
    expect(rec?.state).toBe('decontaminating');
    expect(rec?.leaveSeq).toBe(1);
    expect(rig.audits.filter((a) => a.action === 'staff.leave')).toHaveLength(1);
    const checklists = rig.sent.filter((s) => s.id.includes(':checklist:'));
    expect(checklists.map((s) => s.id)).toEqual([`staff:${TENANT}:${U.zhao}:leave1:checklist:zh-CN`]);
    expect(checklists[0]!.recipients.map((r) => r.to)).toEqual([{ openId: U.officer }, { openId: U.officer2 }]);
    const card = (checklists[0]!.message as { card: unknown }).card;
    expect(validateCard(card)).toEqual({ ok: true });
    expect(JSON.stringify(card)).toContain('JM-2027-301');
    // Its buttons work like the command's card.
    const talk = await click(U.officer2, card, 'talk');
    expect(talk.toast?.type).toBe('success');
  });

  it('a crash right after the record is written: the redelivered event does the audit, the reminders, the welcome, the end alarm and the checklist, each once', async () => {
    rig = await staffRig(db);
    const audited = (action: string) => db.connection.collection('audit_log').find({ objectId: U.leader, action }).toArray();
    // The first audit write of each event's handling dies (the process with it).
    const died = new Error('the process died here');
    const record = vi.spyOn(rig.repos.audit, 'record');
    record.mockRejectedValueOnce(died);
    const created = (id: string) => ({
      ...systemEvent('contact.user.created_v3', { tenantKey: TENANT, eventId: 'ev_created_crash', data: { object: { open_id: U.leader } } }),
      id,
    });
    await dispatch(rig.app, created('d1'));
    expect((await stored(U.leader)).state).toBe('joining');
    expect(await audited('staff.join')).toHaveLength(0);
    expect(rig.calls).toHaveLength(0);
    expect(await rig.alarms.pending(TENANT, 'staff')).toHaveLength(0);
    await dispatch(rig.app, created('d2'));
    expect(await audited('staff.join')).toHaveLength(1);
    expect((await rig.alarms.pending(TENANT, 'staff')).map((a) => a.key)).toEqual([`staff:${U.leader}:join1:r1`]);
    expect(rig.sent.map((s) => s.id).sort()).toEqual([`staff:${TENANT}:${U.leader}:join1:officers:zh-CN`, `staff:${TENANT}:${U.leader}:join1:welcome:zh-CN`]);
    expect((await stored(U.leader)).joinSettled).toBe(1);

    record.mockRejectedValueOnce(died);
    const deleted = (id: string) => ({
      ...systemEvent('contact.user.deleted_v3', { tenantKey: TENANT, eventId: 'ev_deleted_crash', data: { object: { open_id: U.leader }, old_object: { open_id: U.leader } } }),
      id,
    });
    await dispatch(rig.app, deleted('d3'));
    expect((await stored(U.leader)).state).toBe('decontaminating');
    expect(await audited('staff.leave')).toHaveLength(0);
    expect(await rig.alarms.get(TENANT, `staff:${U.leader}:leave1:decon`)).toBeNull();
    const sentBefore = rig.sent.length;
    expect(rig.calls).toHaveLength(sentBefore);
    await dispatch(rig.app, deleted('d4'));
    expect(await audited('staff.leave')).toHaveLength(1);
    expect((await rig.alarms.pending(TENANT, 'staff')).map((a) => [a.key, a.dueAt.toISOString()])).toEqual([[`staff:${U.leader}:leave1:decon`, '2027-12-01T01:00:00.000Z']]);
    expect(rig.sent.slice(sentBefore).map((s) => s.id)).toEqual([`staff:${TENANT}:${U.leader}:leave1:checklist:zh-CN`]);
    expect(((await stored(U.leader)).leave as { settled?: unknown }).settled).toBeInstanceOf(Date);

    // Both once more: nothing is written again.
    const auditCalls = rig.audits.length;
    rig.services.dedupe = new MemoryDedupeStore();
    await dispatch(rig.app, created('d5'));
    await dispatch(rig.app, deleted('d6'));
    expect(rig.audits).toHaveLength(auditCalls);
    expect(rig.sent.filter((s) => s.id.includes(':welcome:') || s.id.includes(':checklist:'))).toHaveLength(2);

    // The end of the decontamination period: once, at its time.
    rig.clock.set('2027-12-01T01:00:00Z');
    await rig.sweeper.sweep();
    await rig.sweeper.sweep();
    expect(rig.sent.filter((s) => s.id.includes(':leave1:decon:')).map((s) => s.id)).toEqual([`${TENANT}:staff:${U.leader}:leave1:decon:zh-CN`]);
    expect(await audited('staff.decontamination_end')).toHaveLength(1);
  });

  it('a created event for someone Lark has as resigned records nobody (audited as refused)', async () => {
    const base = demoDirectory();
    const directory: Directory = {
      ...base,
      user: base.user,
      department: base.department,
      activeUsers: base.activeUsers,
      lookup: async (t, id) => {
        const p = await base.lookup(t, id);
        return p && id === U.sun ? { ...p, status: { activated: false, resigned: true, frozen: false, exited: false, unjoined: false } } : p;
      },
    };
    rig = await staffRig(db, { directory });
    await dispatch(rig.app, systemEvent('contact.user.created_v3', { tenantKey: TENANT, eventId: 'ev_created_2', data: { object: { open_id: U.sun } } }));
    expect(await staffDoc(U.sun)).toBeNull();
    expect(rig.audits).toEqual([expect.objectContaining({ action: 'staff.join', outcome: 'refused', reason: 'resigned', objectId: U.sun })]);
    expect(rig.calls).toHaveLength(0);
  });
});
