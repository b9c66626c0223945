/**
 * People joining, on the embedded store with a fake clock: the welcome notice, a reminder every
 * 7 days to the person and the security officers (each once, at its time, in each reader's
 * language) until the onboarding training and the pledge are recorded, none after; training
 * confirmed by the training feature; the yearly re-sign alarm at signed date + N months, moved by
 * a new signing; a redelivered join that makes nothing twice, and that does the follow-ups a crash
 * after the record's write left undone, each once.
 */
import { describe, expect, it, vi } from 'vitest';
import { validateCard } from '../../../cards/card.schema.js';
import { MemoryDedupeStore } from '../../../models/dedupe.model.js';
import type { TestDb } from '../../helpers/mongo.js';
import { DAY, staffRig, TENANT, U, useStaffDb, type StaffRig } from './rig.js';

let db: TestDb;
let rig: StaffRig;

useStaffDb((d) => (db = d));

const ids = (list: { id: string }[]) => list.map((s) => s.id.replace(`staff:${TENANT}:`, '').replace(`${TENANT}:`, ''));
const staffDoc = (openId: string) => db.connection.collection('staff').findOne({ _id: `${TENANT}:${openId}` as never });
const card = (i: { message: unknown }) => JSON.stringify(i.message);

describe('joining', () => {
  it('welcome once; a reminder every 7 days to the person and the officers, each once and at its time, until training and pledge are recorded', async () => {
    rig = await staffRig(db, { withTraining: false });
    await rig.services.prefs.setLocale(TENANT, U.officer2, 'en-US');
    const joinedAt = rig.clock.now().getTime();
    const r = await rig.say(U.officer, `/staff join ${U.zhao} clearance=核心`);
    expect(r.texts[0]).toContain('已登记 赵磊 入职（核心涉密人员）');
    expect(r.texts[0]).toContain('入职保密培训、签署保密承诺书');
    expect(ids(rig.noticesTo(U.zhao))).toEqual([`${U.zhao}:join1:welcome:zh-CN`]);
    for (const s of rig.sent) expect(validateCard((s.message as { card: unknown }).card)).toEqual({ ok: true });
    // Nobody else is told of a join made by command (the officer has the answer).
    expect(rig.noticesTo(U.officer)).toHaveLength(0);

    rig.clock.set(joinedAt + 7 * DAY - 60_000);
    await rig.sweeper.sweep();
    expect(rig.sent).toHaveLength(1);
    rig.clock.set(joinedAt + 7 * DAY);
    await rig.sweeper.sweep();
    await rig.sweeper.sweep();
    const first = rig.sent.slice(1);
    expect(ids(first).sort()).toEqual(
      [`${U.zhao}:join1:r1:person:zh-CN`, `${U.zhao}:join1:r1:officers:zh-CN`, `${U.zhao}:join1:r1:officers:en-US`].map((x) => `staff:${x}`).sort(),
    );
    const toOfficers = first.find((s) => s.id.endsWith(':officers:en-US'))!;
    expect(toOfficers.recipients.map((x) => x.to)).toEqual([{ openId: U.officer2 }]);
    expect(card(toOfficers)).toContain('Not yet cleared: Zhao Lei');
    expect(card(first.find((s) => s.id.endsWith(':officers:zh-CN'))!)).toContain('入职保密手续未完成：赵磊');
    expect(rig.calls.length).toBe(rig.sent.length);

    // Training recorded on day 10: the day-14 reminder names only the pledge.
    rig.clock.set(joinedAt + 10 * DAY);
    const t = await rig.say(U.officer, `/staff trained ${U.zhao} 2026-12-10`);
    expect(t.texts[0]).toContain('仍待完成：签署保密承诺书');
    rig.clock.set(joinedAt + 14 * DAY);
    await rig.sweeper.sweep();
    const second = rig.sent.filter((s) => s.id.includes(':r2:'));
    expect(second).toHaveLength(3);
    const toPerson = second.find((s) => s.id.endsWith(':person:zh-CN'))!;
    expect(card(toPerson)).toContain('签署保密承诺书');
    expect(card(toPerson)).not.toContain('入职保密培训**');

    // The pledge: cleared, the reminders stop.
    rig.clock.set(joinedAt + 15 * DAY);
    const p = await rig.say(U.officer, `/staff pledge ${U.zhao} 2026-12-15`);
    expect(p.texts[0]).toContain('入职手续办结');
    expect(p.texts[0]).toContain('2027-12-15');
    expect((await staffDoc(U.zhao))?.state).toBe('cleared');
    const before = rig.sent.length;
    for (const d of [21, 28, 60]) {
      rig.clock.set(joinedAt + d * DAY);
      await rig.sweeper.sweep();
    }
    expect(rig.sent.length).toBe(before);
    expect((await rig.alarms.pending(TENANT, 'staff')).map((a) => a.kind)).toEqual(['pledge']);
    expect(rig.audits.filter((a) => a.action === 'staff.join' && a.outcome === 'ok')).toHaveLength(1);
  });

  it('training the training feature confirmed counts: with the pledge recorded the person is cleared, the next reminder never goes', async () => {
    rig = await staffRig(db);
    const start = rig.clock.now().getTime();
    await rig.say(U.officer, `/staff join ${U.zhou}`);
    rig.trained.set(U.zhou, new Date(start + 2 * DAY));
    rig.clock.set(start + 3 * DAY);
    const p = await rig.say(U.officer2, `/人员 承诺书 ${U.zhou} 2026-12-03`);
    expect(p.texts[0]).toContain('入职手续办结');
    expect((await staffDoc(U.zhou))?.trainedOn).toBe('2026-12-03');
    rig.clock.set(start + 7 * DAY);
    await rig.sweeper.sweep();
    expect(ids(rig.sent)).toEqual([`${U.zhou}:join1:welcome:zh-CN`]);
  });

  it('a reminder finds training confirmed meanwhile: it names only what is still due', async () => {
    rig = await staffRig(db);
    const start = rig.clock.now().getTime();
    await rig.say(U.officer, `/staff join ${U.sun}`);
    rig.trained.set(U.sun, new Date(start + DAY));
    rig.clock.set(start + 7 * DAY);
    await rig.sweeper.sweep();
    const toPerson = rig.sent.find((s) => s.id.endsWith(':r1:person:zh-CN'))!;
    expect(card(toPerson)).toContain('仍待完成：**签署保密承诺书**');
    expect((await staffDoc(U.sun))?.trainedBy).toBe('training');
  });

  it('the same join delivered again (same source) makes nothing twice; a second join only reports the record', async () => {
    rig = await staffRig(db);
    const event = { id: 'om_same', messageId: 'om_same' };
    await rig.say(U.officer, `/staff join ${U.zhao}`, event);
    // The delivery record is gone (its retention ran out, another store): the handler runs again on the same message.
    rig.services.dedupe = new MemoryDedupeStore();
    const again = await rig.say(U.officer, `/staff join ${U.zhao}`, event);
    // Its answer has the first answer's uuid (Lark sends it once); nothing was refused.
    expect(again.texts.join('')).not.toContain('已有入职记录');
    const other = await rig.say(U.officer2, `/staff join ${U.zhao} clearance=important`);
    expect(other.texts[0]).toContain('赵磊 已有入职记录：入职手续未完成（重要涉密人员）');
    expect(rig.audits.filter((a) => a.action === 'staff.clearance')).toHaveLength(1);
    expect(rig.calls).toHaveLength(1);
    expect(rig.audits.filter((a) => a.action === 'staff.join')).toHaveLength(1);
    expect(await rig.alarms.pending(TENANT, 'staff')).toHaveLength(1);
  });
});

describe('a crash between the join record and its follow-ups', () => {
  // The process dies right after the record is written: before the audit record, or after it and
  // before the first reminder's alarm. The same delivery again does what was left, each once.
  for (const [point, person, name] of [
    ['audit', U.leader, '王强'],
    ['alarm', U.head, '张伟'],
  ] as const)
    it(`at the ${point}: the redelivery writes the audit record, sets the first reminder and sends the welcome, each once`, async () => {
      rig = await staffRig(db, { withTraining: false });
      const joinedAt = rig.clock.now().getTime();
      const event = { id: `om_crash_${point}`, messageId: `om_crash_${point}` };
      const joinAudits = () => db.connection.collection('audit_log').find({ objectId: person, action: 'staff.join' }).toArray();
      const died = new Error('the process died here');
      if (point === 'audit') vi.spyOn(rig.repos.audit, 'record').mockRejectedValueOnce(died);
      else vi.spyOn(rig.alarms, 'set').mockRejectedValueOnce(died);

      const first = await rig.say(U.officer, `/staff join ${person}`, event);
      expect(first.texts.join('\n')).toContain('抱歉，处理时出错了');
      expect((await staffDoc(person))?.state).toBe('joining');
      expect((await staffDoc(person))?.joinSettled).toBeUndefined();
      expect(await joinAudits()).toHaveLength(point === 'audit' ? 0 : 1);
      expect(await rig.alarms.pending(TENANT, 'staff')).toHaveLength(0);
      expect(rig.calls).toHaveLength(0);

      // Redelivered (the failed handling released its claim): the follow-ups are done now.
      const again = await rig.say(U.officer, `/staff join ${person}`, event);
      expect(again.texts[0]).toContain(`已登记 ${name} 入职`);
      const audits = await joinAudits();
      expect(audits).toHaveLength(1);
      expect(audits[0]?.details).toMatchObject({ source: event.id });
      expect((await rig.alarms.pending(TENANT, 'staff')).map((x) => [x.key, x.dueAt.getTime()])).toEqual([[`staff:${person}:join1:r1`, joinedAt + 7 * DAY]]);
      expect(ids(rig.sent)).toEqual([`${person}:join1:welcome:zh-CN`]);
      expect((await staffDoc(person))?.joinSettled).toBe(1);

      // Once more (another instance, the delivery record gone): nothing is done again.
      const callsBefore = rig.calls.length;
      const auditCalls = rig.audits.length;
      rig.services.dedupe = new MemoryDedupeStore();
      await rig.say(U.officer, `/staff join ${person}`, event);
      expect(rig.calls).toHaveLength(callsBefore);
      expect(rig.audits).toHaveLength(auditCalls);
      expect(await joinAudits()).toHaveLength(1);

      // The first reminder goes once, at its time.
      rig.clock.set(joinedAt + 7 * DAY);
      await rig.sweeper.sweep();
      await rig.sweeper.sweep();
      expect(ids(rig.sent.filter((x) => x.id.includes(':join1:r1:'))).sort()).toEqual([`staff:${person}:join1:r1:officers:zh-CN`, `staff:${person}:join1:r1:person:zh-CN`]);
      expect(ids(rig.noticesTo(person)).filter((x) => x.includes(':welcome:'))).toHaveLength(1);
    });
});

describe('the yearly re-sign', () => {
  it('an alarm at signed date + BAOMI_PLEDGE_MONTHS; a new signing moves it; it fires once, at its time', async () => {
    rig = await staffRig(db, { env: { BAOMI_PLEDGE_MONTHS: '6' }, withTraining: false });
    await rig.say(U.officer, `/staff join ${U.zhao}`);
    await rig.say(U.officer, `/staff trained ${U.zhao} 2026-12-01`);
    const p = await rig.say(U.officer, `/staff pledge ${U.zhao} 2026-12-01`);
    expect(p.texts[0]).toContain('2027-06-01');
    const pledgeAlarms = async () => (await rig.alarms.pending(TENANT, 'staff')).filter((a) => a.kind === 'pledge');
    expect((await pledgeAlarms()).map((a) => [a.key, a.dueAt.toISOString()])).toEqual([[`staff:${U.zhao}:pledge:2026-12-01`, '2027-06-01T01:00:00.000Z']]);

    // Re-signed early, on 2027-03-01: the alarm moves to 2027-09-01.
    rig.clock.set('2027-03-02T02:00:00Z');
    const again = await rig.say(U.officer, `/staff pledge ${U.zhao} 2027-03-01`);
    expect(again.texts[0]).toContain('应于 2027-09-01 重签');
    expect((await pledgeAlarms()).map((a) => [a.key, a.dueAt.toISOString()])).toEqual([[`staff:${U.zhao}:pledge:2027-03-01`, '2027-09-01T01:00:00.000Z']]);
    expect((await rig.alarms.get(TENANT, `staff:${U.zhao}:pledge:2026-12-01`))?.state).toBe('cancelled');

    const before = rig.sent.length;
    rig.clock.set('2027-06-01T01:00:00Z');
    await rig.sweeper.sweep();
    rig.clock.set('2027-09-01T00:59:00Z');
    await rig.sweeper.sweep();
    expect(rig.sent.length).toBe(before);
    rig.clock.set('2027-09-01T01:00:00Z');
    await rig.sweeper.sweep();
    await rig.sweeper.sweep();
    const fired = rig.sent.slice(before);
    expect(ids(fired).sort()).toEqual([`staff:${U.zhao}:pledge:2027-03-01:officers:zh-CN`, `staff:${U.zhao}:pledge:2027-03-01:person:zh-CN`]);
    expect(card(fired.find((s) => s.id.includes(':person:'))!)).toContain('您于 2027-03-01 签署的保密承诺书应于 2027-09-01 重新签署');
    const officers = fired.find((s) => s.id.includes(':officers:'))!;
    expect(officers.recipients.map((r) => r.to)).toEqual([{ openId: U.officer }, { openId: U.officer2 }]);

    // Overdue and listed by /staff status.
    const status = await rig.say(U.head, '/staff status');
    expect(status.texts[0]).toContain('保密承诺书待重签（1）');
    expect(status.texts[0]).toContain('上次签署 2027-03-01，应于 2027-09-01 重签');
  });
});
