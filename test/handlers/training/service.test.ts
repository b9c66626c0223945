/**
 * Training sessions on the embedded store with a fake clock and the real alarm sweep: the notice
 * at once (once, even for a redelivered command), the reminders 3 days and 1 hour before (each
 * once, at its time, none after a cancel), the attendance list to the officer at the start, "I'll
 * attend", the list closed once (two officers at once credit once; only the ticked), a cancel or a
 * close that died half way finished by a redelivery, a later click or the alarm, hours across a
 * year boundary, self-reported hours, the quarterly run (the right people, once per slot) and
 * TrainingApi.completed. The fan-out stand-in keeps its contract: a notice id is stored once.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../bot/core/logger.js';
import type { OutMessage, Person, Recipient } from '../../../bot/core/types.js';
import { validateCard } from '../../../cards/card.schema.js';
import { TRAINING_CLOSE_ACTION, TRAINING_SHEET_FIELD, trainingReportCard } from '../../../cards/training.card.js';
import { trainingSettings } from '../../../handlers/training/rules.js';
import { TrainingService, type TrainingDeps } from '../../../handlers/training/service.js';
import { bilingual } from '../../../locales/index.js';
import { AlarmStore } from '../../../models/alarm.model.js';
import { SHEET_PART, TrainingStore } from '../../../models/training.model.js';
import { AlarmSweeper } from '../../../scheduler/alarms.js';
import { FakeClock } from '../../../scheduler/clock.js';
import type { FanoutInput } from '../../../scheduler/fanout.js';
import { useTestDb, type TestDb } from '../../helpers/mongo.js';

const TZ = 'Asia/Shanghai';
const T = 'tenant1';
const DAY = 86_400_000;
const HOUR = 3_600_000;
const OFFICER = 'ou_officer';
const OFFICER2 = 'ou_officer2';
const HEAD_A = 'ou_heada';
const A = ['ou_a1', 'ou_a2', 'ou_a3'];
const B = ['ou_b1', 'ou_b2'];
const EN = 'ou_a3';

const person = (openId: string, dept: string): Person => ({ openId, name: `名${openId}`, enName: `N${openId}`, departmentIds: [dept] });
const DIRECTORY: Person[] = [person(OFFICER, 'od_sec'), person(OFFICER2, 'od_sec'), person(HEAD_A, 'od_a'), ...A.map((p) => person(p, 'od_a')), ...B.map((p) => person(p, 'od_b'))];

let db: TestDb;
let store: TrainingStore;
let alarms: AlarmStore;
let clock: FakeClock;
/** Fan-out notices by id (stored once, like the real outbox) and each recipient's deliveries. */
let notices: Map<string, FanoutInput>;
let delivered: { id: string; to: string; message: unknown }[];
let direct: { to: Recipient; message: OutMessage; uuid: string }[];
let patches: { messageId: string; card: unknown }[];
let audits: { action: string; outcome: string; actorId: string }[];
let seq = 0;
let roleMap: Record<string, string[]>;

function deps(over: Partial<TrainingDeps> = {}): TrainingDeps {
  return {
    store,
    counters: { nextSeq: async () => ++seq },
    roles: {
      rolesOf: async (_t, id) => (roleMap[id] ?? []) as never,
      holders: async (_t, role) =>
        Object.entries(roleMap)
          .filter(([, r]) => r.includes(role))
          .map(([id]) => id),
      list: async () => Object.entries(roleMap).map(([openId, roles]) => ({ openId, roles: roles as never })),
    },
    people: {
      hasRole: async (_t, id, role) => (roleMap[id] ?? []).includes(role),
      names: async () => (id: string) => ({ zh: `名${id}`, en: `N${id}` }),
      deptHead: async (_t, dept) => (dept === 'od_a' ? HEAD_A : undefined),
      deptName: async (_t, dept) => ({ zh: `部门${dept}`, en: `Dept ${dept}` }),
    },
    directory: {
      activeUsers: async () => DIRECTORY,
      user: async (_t, id) => DIRECTORY.find((p) => p.openId === id),
    },
    audit: {
      record: async (_t, i) => {
        audits.push({ action: i.action, outcome: i.outcome, actorId: i.actorId });
        return { created: true };
      },
    },
    prefs: { getLocale: async (_t, id) => (id === EN ? 'en-US' : undefined) },
    notify: {
      fanout: {
        send: async (i) => {
          const created = !notices.has(i.id);
          if (created) {
            notices.set(i.id, i);
            for (const r of i.recipients) delivered.push({ id: i.id, to: 'openId' in r.to ? r.to.openId : '', message: i.message });
          }
          return { noticeId: i.id, total: i.recipients.length, created, done: Promise.resolve() };
        },
      },
      prefs: { getLocale: async (_t, id) => (id === EN ? 'en-US' : undefined) },
      defaultLocale: 'zh-CN',
    },
    sender: {
      send: async (to, message, { uuid }) => {
        direct.push({ to, message, uuid });
        return { messageId: `om_${direct.length}` };
      },
      patchCard: async (messageId, card) => void patches.push({ messageId, card }),
    },
    alarms,
    logger: silentLogger,
    timezone: TZ,
    defaultLocale: 'zh-CN',
    settings: trainingSettings({ BAOMI_TRAINING_TARGETS: '{"security_officer":{"hours":15}}' }),
    now: () => clock.now(),
    tenants: async () => [T],
    ...over,
  };
}

const sweeper = (svc: TrainingService) => new AlarmSweeper({ store: alarms, handlers: new Map([['training', (a) => svc.alarm(a)]]), logger: silentLogger, now: () => clock.now() });
/** Notice ids by their last parts: 'notice:zh-CN', 'd3:en-US'. */
const kinds = () => [...notices.keys()].map((id) => id.split(':').slice(-2).join(':'));
const reached = (suffix: string) =>
  delivered
    .filter((d) => d.id.endsWith(suffix))
    .map((d) => d.to)
    .sort();
const cardOf = (m: unknown) => (m as { card: unknown }).card;

beforeAll(async () => {
  db = await useTestDb();
  store = new TrainingStore(db.connection);
  alarms = new AlarmStore(db.connection);
  await Promise.all([store.init(), alarms.init()]);
});
afterAll(() => db.close());
beforeEach(async () => {
  for (const c of ['training_sessions', 'training_confirmations', 'training_hours', 'alarms']) await db.connection.collection(c).deleteMany({});
  clock = new FakeClock('2026-12-01T02:00:00Z');
  notices = new Map();
  delivered = [];
  direct = [];
  patches = [];
  audits = [];
  roleMap = { [OFFICER]: ['security_officer'], [OFFICER2]: ['security_officer'] };
});

async function scheduleDeptA(svc: TrainingService, at: Date, source = 'evt-1') {
  return svc.schedule(T, OFFICER, { title: '年度保密教育', at, hours: 2, audience: { type: 'dept', dept: 'Dept od_a' }, form: 'lecture', kind: 'annual' }, source);
}

describe('a session', () => {
  it('notifies the audience at once (once, also for a redelivered command), reminds 3 d and 1 h before (each once, at its time), sends the attendance list at the start', async () => {
    const svc = new TrainingService(deps());
    const sweep = sweeper(svc);
    const at = new Date(clock.now().getTime() + 10 * DAY);
    const { session, created } = await scheduleDeptA(svc, at);
    expect(created).toBe(true);
    expect(session.id).toMatch(/^TR-2026-\d{4}$/);
    expect(session.invited.sort()).toEqual([HEAD_A, ...A].sort());
    expect(kinds()).toEqual(['notice:en-US', 'notice:zh-CN']);
    expect(reached('notice:zh-CN')).toEqual([HEAD_A, 'ou_a1', 'ou_a2'].sort());
    expect(reached('notice:en-US')).toEqual([EN]);
    expect(JSON.stringify(notices.get(`training:${T}:${session.id}:notice:en-US`)!.message)).toContain("I'll attend");
    expect(JSON.stringify(notices.get(`training:${T}:${session.id}:notice:zh-CN`)!.message)).toContain('我将参加');
    for (const n of notices.values()) expect(validateCard(cardOf(n.message))).toEqual({ ok: true });
    // The same command again: the same session, nobody notified twice.
    const again = await scheduleDeptA(svc, at);
    expect(again).toMatchObject({ created: false, session: { id: session.id } });
    expect(delivered).toHaveLength(4);

    clock.set(at.getTime() - 3 * DAY - 60_000);
    await sweep.sweep();
    expect(notices.size).toBe(2);
    clock.set(at.getTime() - 3 * DAY);
    await sweep.sweep();
    await sweep.sweep();
    expect(kinds().slice(2)).toEqual(['d3:en-US', 'd3:zh-CN']);
    expect(reached('d3:zh-CN')).toEqual([HEAD_A, 'ou_a1', 'ou_a2'].sort());
    expect(JSON.stringify(notices.get(`alarm:${T}:training:${session.id}:d3:zh-CN`)!.message)).toContain('3 天后');
    clock.set(at.getTime() - HOUR - 1);
    await sweep.sweep();
    expect(notices.size).toBe(4);
    clock.set(at.getTime() - HOUR);
    await sweep.sweep();
    await sweep.sweep();
    expect(kinds().slice(4)).toEqual(['h1:en-US', 'h1:zh-CN']);
    expect(JSON.stringify(notices.get(`alarm:${T}:training:${session.id}:h1:en-US`)!.message)).toContain('starts in 1 hour');
    expect(direct).toHaveLength(0);
    clock.set(at);
    await sweep.sweep();
    await sweep.sweep();
    // The attendance list: to the officer who scheduled it, once.
    expect(direct.map((d) => d.to)).toEqual([{ openId: OFFICER }]);
    expect(validateCard(cardOf(direct[0]!.message))).toEqual({ ok: true });
    expect(notices.size).toBe(6);
    expect(delivered).toHaveLength(12);
  });

  it('a session closer than 3 days: the notice at once, only the reminders still ahead', async () => {
    const svc = new TrainingService(deps());
    const at = new Date(clock.now().getTime() + 2 * DAY);
    const { session } = await scheduleDeptA(svc, at);
    expect((await alarms.list(T, 'training', session.id)).map((a) => a.kind).sort()).toEqual(['h1', 'sheet']);
    await expect(scheduleDeptA(svc, new Date(clock.now().getTime() - 1), 'evt-past')).rejects.toMatchObject({ key: 'training:past' });
    await expect(
      svc.schedule(T, OFFICER, { title: 'x', at, hours: 1, audience: { type: 'dept', dept: '没有的部门' }, form: 'lecture', kind: 'annual' }, 'evt-nodept'),
    ).rejects.toMatchObject({ key: 'training:unknown_dept' });
    // A role's holders who are active: the officers.
    const r = await svc.schedule(T, OFFICER, { title: 'x', at, hours: 1, audience: { type: 'role', role: 'security_officer' }, form: 'online', kind: 'topic' }, 'evt-role');
    expect(r.session.invited.sort()).toEqual([OFFICER, OFFICER2]);
    const all = await svc.schedule(T, OFFICER, { title: 'x', at, hours: 1, audience: { type: 'all' }, form: 'online', kind: 'topic' }, 'evt-all');
    expect(all.session.invited).toHaveLength(DIRECTORY.length);
  });

  it('a cancelled session reminds nobody and sends no attendance list; the invited hear of the cancellation once', async () => {
    const svc = new TrainingService(deps());
    const sweep = sweeper(svc);
    const at = new Date(clock.now().getTime() + 10 * DAY);
    const { session } = await scheduleDeptA(svc, at);
    await svc.cancel(T, session.id, OFFICER, 'evt-cancel');
    // Another cancel command (a second /training cancel): refused, nobody hears twice.
    await expect(svc.cancel(T, session.id, OFFICER, 'evt-cancel-2')).rejects.toMatchObject({ key: 'training:is_cancelled' });
    expect(kinds()).toEqual(['notice:en-US', 'notice:zh-CN', 'cancel:en-US', 'cancel:zh-CN']);
    expect(JSON.stringify(notices.get(`training:${T}:${session.id}:cancel:zh-CN`)!.message)).toContain('已取消');
    for (const t of [at.getTime() - 3 * DAY, at.getTime() - HOUR, at.getTime() + HOUR]) {
      clock.set(t);
      expect(await sweep.sweep()).toEqual({ done: 0, skipped: 0, failed: 0 });
    }
    expect(notices.size).toBe(4);
    expect(direct).toHaveLength(0);
    await expect(svc.confirm(T, session.id, 'ou_a1')).rejects.toMatchObject({ key: 'training:is_cancelled' });
  });
  it('a cancel that died after its write is finished by the same command redelivered (the invited hear once); another cancel is still refused', async () => {
    // The process dies right after the session is marked cancelled (before alarms, audit, notice).
    let crash = true;
    const svc = new TrainingService(
      deps({
        alarms: {
          set: (t, a, now) => alarms.set(t, a, now),
          cancel: (t, topic, subject, now, kinds) => {
            if (crash) {
              crash = false;
              return Promise.reject(new Error('process killed'));
            }
            return alarms.cancel(t, topic, subject, now, kinds);
          },
        },
      }),
    );
    const sweep = sweeper(svc);
    const at = new Date(clock.now().getTime() + 10 * DAY);
    const { session } = await scheduleDeptA(svc, at);
    const cancelledAt = clock.now();
    await expect(svc.cancel(T, session.id, OFFICER, 'evt-cancel')).rejects.toThrow('process killed');
    expect(await store.get(T, session.id)).toMatchObject({ state: 'cancelled', cancelledAt, cancelledBy: OFFICER, cancelSource: 'evt-cancel' });
    expect(kinds()).toEqual(['notice:en-US', 'notice:zh-CN']);
    // Lark delivers the same command again a minute later: the cancellation is finished, not refused.
    clock.set(clock.now().getTime() + 60_000);
    const again = await svc.cancel(T, session.id, OFFICER, 'evt-cancel');
    expect(again).toMatchObject({ id: session.id, state: 'cancelled', cancelledAt, cancelledBy: OFFICER });
    expect(kinds()).toEqual(['notice:en-US', 'notice:zh-CN', 'cancel:en-US', 'cancel:zh-CN']);
    expect(reached('cancel:zh-CN')).toEqual([HEAD_A, 'ou_a1', 'ou_a2'].sort());
    expect(reached('cancel:en-US')).toEqual([EN]);
    expect(JSON.stringify(notices.get(`training:${T}:${session.id}:cancel:zh-CN`)!.message)).toContain('已取消');
    expect(await alarms.pending(T, 'training')).toEqual([]);
    expect(audits.filter((a) => a.action === 'training.cancel').map((a) => `${a.actorId}:${a.outcome}`)).toEqual([`${OFFICER}:ok`]);
    // The same command a third time: the notice's id is fixed, nobody hears twice.
    await svc.cancel(T, session.id, OFFICER, 'evt-cancel');
    expect(delivered).toHaveLength(8);
    // A different, later cancel (another officer) is refused as already cancelled.
    await expect(svc.cancel(T, session.id, OFFICER2, 'evt-cancel-2')).rejects.toMatchObject({ key: 'training:is_cancelled' });
    expect(await store.get(T, session.id)).toMatchObject({ cancelledBy: OFFICER, cancelSource: 'evt-cancel' });
    expect(delivered).toHaveLength(8);
    for (const t of [at.getTime() - 3 * DAY, at.getTime() - HOUR, at.getTime() + HOUR]) {
      clock.set(t);
      expect(await sweep.sweep()).toEqual({ done: 0, skipped: 0, failed: 0 });
    }
    expect(direct).toHaveLength(0);
  });
});

describe('attendance', () => {
  it('the invited confirm (once); others are refused; the officer’s list shows them ticked', async () => {
    const svc = new TrainingService(deps());
    const at = new Date(clock.now().getTime() + 10 * DAY);
    const { session } = await scheduleDeptA(svc, at);
    await svc.confirm(T, session.id, 'ou_a1');
    await svc.confirm(T, session.id, 'ou_a1');
    await svc.confirm(T, session.id, EN);
    await expect(svc.confirm(T, session.id, 'ou_b1')).rejects.toMatchObject({ key: 'training:not_invited' });
    expect(audits.filter((a) => a.action === 'training.confirm').map((a) => `${a.actorId}:${a.outcome}`)).toEqual(['ou_a1:ok', `${EN}:ok`, 'ou_b1:refused']);
    expect((await store.confirmed(T, session.id)).sort()).toEqual(['ou_a1', EN].sort());
    const { card } = (await svc.sheetCards((await store.get(T, session.id))!, OFFICER))[0]!;
    expect(validateCard(card)).toEqual({ ok: true });
    const picker = JSON.stringify(card);
    expect(picker).toContain('"tag":"multi_select_person"');
    const field = JSON.parse(picker.slice(picker.indexOf('{"tag":"multi_select_person"'), picker.indexOf(']}', picker.indexOf('"selected_values"')) + 2)) as {
      options: { value: string }[];
      selected_values: string[];
    };
    expect(field.options.map((o) => o.value).sort()).toEqual([...session.invited].sort());
    expect([...field.selected_values].sort()).toEqual(['ou_a1', EN].sort());
    expect(picker).toContain(TRAINING_CLOSE_ACTION);
    expect(picker).toContain(`"name":"${TRAINING_SHEET_FIELD}"`);
  });

  it('is closed once: two officers at once credit the ticked people once; not before the start; only the invited count', async () => {
    const svc = new TrainingService(deps());
    const at = new Date(clock.now().getTime() + 10 * DAY);
    const { session } = await scheduleDeptA(svc, at);
    await expect(svc.close(T, session.id, 0, OFFICER, ['ou_a1'])).rejects.toMatchObject({ key: 'training:not_started' });
    clock.set(at.getTime() + 2 * HOUR);
    await sweeper(svc).sweep();
    const [r1, r2] = await Promise.all([svc.close(T, session.id, 0, OFFICER, ['ou_a1', 'ou_a2', 'ou_b1']), svc.close(T, session.id, 0, OFFICER2, ['ou_a1', HEAD_A, EN])]);
    expect([r1.won, r2.won].sort()).toEqual([false, true]);
    const winner = r1.won ? r1 : r2;
    const s = (await store.get(T, session.id))!;
    expect(s.state).toBe('closed');
    expect(s.sheet.closed).toHaveLength(1);
    // Only the winner's ticks, and of those only the invited (ou_b1 was not).
    const expected = r1.won ? ['ou_a1', 'ou_a2'] : ['ou_a1', HEAD_A, EN];
    expect(s.sheet.closed[0]!.attendees.sort()).toEqual(expected.sort());
    const entries = await store.entries(T, 2026);
    expect(entries.map((e) => e.openId).sort()).toEqual(expected.sort());
    expect(entries.every((e) => e.hours === 2 && e.unitOrganised && e.source === 'session')).toBe(true);
    // A third click (a double click) changes nothing.
    const r3 = await svc.close(T, session.id, 0, OFFICER, ['ou_a1', 'ou_a2', 'ou_a3', HEAD_A]);
    expect(r3.won).toBe(false);
    expect(await store.entries(T, 2026)).toHaveLength(expected.length);
    expect(audits.filter((a) => a.action === 'training.close')).toHaveLength(1);
    expect(winner.session.sheet.closed[0]!.by).toBe(r1.won ? OFFICER : OFFICER2);
    // Closed: no more confirmations, no cancel, the alarms are done.
    await expect(svc.confirm(T, session.id, 'ou_a2')).rejects.toMatchObject({ key: 'training:is_closed' });
    await expect(svc.cancel(T, session.id, OFFICER, 'evt-cancel')).rejects.toMatchObject({ key: 'training:is_closed' });
    expect(await alarms.pending(T, 'training')).toEqual([]);
    // The closed list redrawn: no form, who closed it.
    const { card } = (await svc.sheetCards(s, OFFICER))[0]!;
    expect(validateCard(card)).toEqual({ ok: true });
    expect(JSON.stringify(card)).not.toContain('multi_select_person');
    expect(JSON.stringify(card)).toContain(`${expected.length} 人各计 2 学时`);
  });

  it('a close that crashed before crediting is finished by the next click', async () => {
    const svc = new TrainingService(deps());
    const at = new Date(clock.now().getTime() + DAY);
    const { session } = await scheduleDeptA(svc, at);
    clock.set(at.getTime() + HOUR);
    // The part was claimed, then the process died before the hours were written.
    await store.closePart(T, session.id, { part: 0, by: OFFICER, at: clock.now(), attendees: ['ou_a1'] });
    expect(await store.entries(T, 2026)).toHaveLength(0);
    const r = await svc.close(T, session.id, 0, OFFICER2, ['ou_a2']);
    expect(r.won).toBe(false);
    expect((await store.entries(T, 2026)).map((e) => e.openId)).toEqual(['ou_a1']);
  });

  it('a close that died between closing the last part and closing the session is repaired by a later click: closed once, credited, audited, the alarms stopped', async () => {
    const svc = new TrainingService(deps());
    const at = new Date(clock.now().getTime() + DAY);
    const { session } = await scheduleDeptA(svc, at);
    clock.set(at.getTime() + HOUR);
    const closedAt = clock.now();
    // The first of the close's two writes (the part closed), then the process died.
    await db.connection
      .collection('training_sessions')
      .updateOne({ _id: session._id as never }, { $push: { 'sheet.closed': { part: 0, by: OFFICER, at: closedAt, attendees: ['ou_a1'] } } as never });
    expect((await store.get(T, session.id))!.state).toBe('scheduled');
    clock.set(closedAt.getTime() + 10 * 60_000);
    const r = await svc.close(T, session.id, 0, OFFICER2, ['ou_a2']);
    expect(r.won).toBe(false);
    expect(r.session).toMatchObject({ state: 'closed', closedAt });
    expect(await store.get(T, session.id)).toMatchObject({ state: 'closed', closedAt });
    expect((await store.entries(T, 2026)).map((e) => e.openId)).toEqual(['ou_a1']);
    expect(audits.filter((a) => a.action === 'training.close').map((a) => `${a.actorId}:${a.outcome}`)).toEqual([`${OFFICER}:ok`]);
    expect(await alarms.pending(T, 'training')).toEqual([]);
    await expect(svc.confirm(T, session.id, 'ou_a2')).rejects.toMatchObject({ key: 'training:is_closed' });
    // Another click: nothing more.
    const r2 = await svc.close(T, session.id, 0, OFFICER, ['ou_a2', 'ou_a3']);
    expect(r2).toMatchObject({ won: false, credited: 0, session: { state: 'closed', closedAt } });
    expect(audits.filter((a) => a.action === 'training.close')).toHaveLength(1);
    expect(await store.entries(T, 2026)).toHaveLength(1);
  });

  it('a close that died between its two writes is repaired by the attendance alarm: the session closed and credited, no list sent', async () => {
    const svc = new TrainingService(deps());
    const sweep = sweeper(svc);
    const at = new Date(clock.now().getTime() + 10 * DAY);
    const { session } = await scheduleDeptA(svc, at);
    for (const t of [at.getTime() - 3 * DAY, at.getTime() - HOUR]) {
      clock.set(t);
      expect(await sweep.sweep()).toEqual({ done: 1, skipped: 0, failed: 0 });
    }
    // The officer closed the list from `/training attendance` at the start; the process died
    // between the part's write and the session's, before the attendance alarm's sweep.
    clock.set(at);
    await db.connection
      .collection('training_sessions')
      .updateOne({ _id: session._id as never }, { $push: { 'sheet.closed': { part: 0, by: OFFICER, at, attendees: ['ou_a1', EN] } } as never });
    clock.set(at.getTime() + 60_000);
    expect(await sweep.sweep()).toEqual({ done: 0, skipped: 1, failed: 0 });
    expect(direct).toHaveLength(0);
    expect(await store.get(T, session.id)).toMatchObject({ state: 'closed', closedAt: at });
    expect((await store.entries(T, 2026)).map((e) => e.openId).sort()).toEqual(['ou_a1', EN].sort());
    expect(audits.filter((a) => a.action === 'training.close').map((a) => `${a.actorId}:${a.outcome}`)).toEqual([`${OFFICER}:ok`]);
    expect(await alarms.pending(T, 'training')).toEqual([]);
  });

  it('a large audience is split into parts of at most SHEET_PART, each closed on its own; the session is closed with the last', async () => {
    const many = Array.from({ length: SHEET_PART + 20 }, (_, i) => person(`ou_m${i}`, 'od_big'));
    const svc = new TrainingService(deps({ directory: { activeUsers: async () => many, user: async (_t, id) => many.find((p) => p.openId === id) } }));
    const at = new Date(clock.now().getTime() + DAY);
    const { session } = await svc.schedule(T, OFFICER, { title: 'All hands', at, hours: 1, audience: { type: 'all' }, form: 'lecture', kind: 'annual' }, 'evt-big');
    expect(session.sheet.parts).toBe(2);
    const cards = await svc.sheetCards(session, OFFICER);
    expect(cards).toHaveLength(2);
    for (const c of cards) expect(validateCard(c.card)).toEqual({ ok: true });
    clock.set(at.getTime() + HOUR);
    const first = await svc.close(T, session.id, 0, OFFICER, ['ou_m0', 'ou_m110']);
    expect(first.session.state).toBe('scheduled');
    // ou_m110 is in the second part: not credited by the first.
    expect((await store.entries(T, 2026)).map((e) => e.openId)).toEqual(['ou_m0']);
    const second = await svc.close(T, session.id, 1, OFFICER, ['ou_m110']);
    expect(second.session.state).toBe('closed');
    expect((await store.entries(T, 2026)).map((e) => e.openId).sort()).toEqual(['ou_m0', 'ou_m110']);
  });
});

describe('hours', () => {
  it('count in the year of the session’s date in the unit’s time zone, across the year boundary; self-reported hours are not unit-organised', async () => {
    const svc = new TrainingService(deps());
    clock.set('2026-12-20T02:00:00Z');
    // 2026-12-31 23:00 in Beijing (15:00 UTC) and 2027-01-01 00:30 in Beijing (2026-12-31 16:30 UTC).
    const late = await scheduleDeptA(svc, new Date('2026-12-31T15:00:00Z'), 'evt-late');
    const early = await scheduleDeptA(svc, new Date('2026-12-31T16:30:00Z'), 'evt-early');
    clock.set('2027-01-01T02:00:00Z');
    await svc.close(T, late.session.id, 0, OFFICER, ['ou_a1']);
    await svc.close(T, early.session.id, 0, OFFICER, ['ou_a1']);
    const logged = await svc.log(T, 'ou_a1', { date: '2026-12-30', hours: 1.5, title: 'Course elsewhere' }, 'evt-log');
    expect(logged.created).toBe(true);
    expect((await svc.log(T, 'ou_a1', { date: '2026-12-30', hours: 1.5, title: 'Course elsewhere' }, 'evt-log')).created).toBe(false);
    const y2026 = await svc.mine(T, 'ou_a1', 2026);
    expect(y2026.tally).toEqual({ hours: 3.5, unit: 2 });
    expect(y2026.entries.map((e) => e.date)).toEqual(['2026-12-30', '2026-12-31']);
    expect(y2026.standing).toMatchObject({ below: true, shortHours: 6.5, shortUnit: 2, short: 6.5 });
    const y2027 = await svc.mine(T, 'ou_a1', 2027);
    expect(y2027.tally).toEqual({ hours: 2, unit: 2 });
    expect(y2027.entries.map((e) => e.date)).toEqual(['2027-01-01']);
    // An officer's target is the per-role one.
    expect((await svc.mine(T, OFFICER, 2027)).target).toEqual({ hours: 15, unitShare: 0.4 });
    expect(await svc.completed(T, 'ou_a1', 'annual')).toEqual(new Date('2026-12-31T16:30:00Z'));
    expect(await svc.completed(T, 'ou_a1', 'onboarding')).toBeNull();
    expect(await svc.completed(T, 'ou_a2', 'annual')).toBeNull();
  });

  it('the report: below target first, the department filter, a valid card', async () => {
    const svc = new TrainingService(deps());
    await svc.log(T, 'ou_a1', { date: '2026-11-02', hours: 10, title: 'x' }, 'e1');
    await store.credit(
      ['ou_a1', 'ou_a2'].map((openId) => ({
        _id: `${T}:session:TR-X:${openId}`,
        tenantKey: T,
        openId,
        year: 2026,
        date: '2026-11-03',
        at: new Date('2026-11-03T01:00:00Z'),
        hours: 4,
        unitOrganised: true,
        kind: 'annual',
        source: 'session',
        sessionId: 'TR-X',
        title: 'x',
        by: OFFICER,
        createdAt: new Date(),
      })),
    );
    const all = await svc.standings(T, 2026);
    expect(all).toHaveLength(DIRECTORY.length);
    // Officers (15 h short) first, then those with nothing (by id), then ou_a2 (6 h short); ou_a1 has met it.
    expect(all.map((s) => s.openId)).toEqual([OFFICER, OFFICER2, 'ou_a3', 'ou_b1', 'ou_b2', HEAD_A, 'ou_a2', 'ou_a1']);
    expect(all.at(-1)!.standing.below).toBe(false);
    const deptA = await svc.standings(T, 2026, { deptId: 'od_a' });
    expect(deptA.map((s) => s.openId).sort()).toEqual([HEAD_A, ...A].sort());
    const card = trainingReportCard(
      {
        year: 2026,
        below: 7,
        rows: all.map((s) => ({ name: s.openId, dept: s.deptId ?? '', hours: s.tally.hours, unit: s.tally.unit, target: s.target.hours, short: s.standing.short })),
        depts: [{ dept: 'a', people: 4, below: 3, hours: 18, unit: 8 }],
      },
      { tb: bilingual, lang: 'en' },
    );
    expect(validateCard(card)).toEqual({ ok: true });
  });
});

describe('the quarterly run', () => {
  async function credit(openId: string, hours: number, unit: boolean, date: string) {
    await store.credit([
      {
        _id: `${T}:x:${openId}:${date}:${unit}`,
        tenantKey: T,
        openId,
        year: Number(date.slice(0, 4)),
        date,
        at: new Date(`${date}T02:00:00Z`),
        hours,
        unitOrganised: unit,
        kind: 'annual',
        source: unit ? 'session' : 'log',
        title: 't',
        by: OFFICER,
        createdAt: new Date(),
      },
    ]);
  }

  it('reminds the people below the pro-rata target and sends each department head a summary of their department, once per slot', async () => {
    const svc = new TrainingService(deps());
    // Half way (1 July): 5 h due, 2 h of them unit-organised; officers 7.5 h.
    await credit('ou_a1', 5, true, '2026-03-01'); // on track
    await credit('ou_a2', 6, false, '2026-03-01'); // enough hours, none organised by the unit
    await credit('ou_b1', 3, true, '2026-05-01'); // short
    await credit('ou_b2', 9, true, '2025-12-01'); // last year's hours do not count
    await credit(OFFICER, 5, true, '2026-02-01'); // an officer's 15 h target: short
    await credit(OFFICER2, 8, true, '2026-02-01');
    const slot = new Date('2026-07-01T01:00:00Z');
    const summary = await svc.quarterly(slot);
    expect(summary).toContain('2026-07');
    const people = [...notices.values()].filter((n) => n.id.includes(':people:'));
    const reminded = people.flatMap((n) => n.recipients.map((r) => ('openId' in r.to ? r.to.openId : ''))).sort();
    expect(reminded).toEqual([HEAD_A, OFFICER, 'ou_a2', EN, 'ou_b1', 'ou_b2'].sort());
    expect(people.map((n) => n.id.split(':').at(-1)).sort()).toEqual(['en-US', 'zh-CN']);
    const en = people.find((n) => n.id.endsWith('en-US'))!;
    expect(validateCard(cardOf(en.message))).toEqual({ ok: true });
    expect(JSON.stringify(en.message)).toContain('50% of the yearly target');
    expect(JSON.stringify(en.message)).not.toContain('Final call');
    // Department A's head gets A's shortfalls (the head among them); department B has no head; the
    // security office's head is unknown too.
    const heads = [...notices.values()].filter((n) => n.id.includes(':head:'));
    expect(heads.map((n) => n.id)).toEqual([`training-quarterly:${T}:2026-07:head:od_a:zh-CN`]);
    expect(heads[0]!.recipients.map((r) => ('openId' in r.to ? r.to.openId : ''))).toEqual([HEAD_A]);
    const text = JSON.stringify(heads[0]!.message);
    expect(validateCard(cardOf(heads[0]!.message))).toEqual({ ok: true });
    for (const who of [HEAD_A, 'ou_a2', EN]) expect(text).toContain(`名${who}`);
    expect(text).not.toContain('名ou_a1');
    expect(text).not.toContain('名ou_b1');
    // The slot again (a catch-up, another instance): nobody reminded twice.
    const before = delivered.length;
    await svc.quarterly(slot);
    expect(delivered).toHaveLength(before);
    // October: the final call; January: the whole previous year.
    await svc.quarterly(new Date('2026-10-01T01:00:00Z'));
    const oct = [...notices.values()].find((n) => n.id === `training-quarterly:${T}:2026-10:people:zh-CN`)!;
    expect(JSON.stringify(oct.message)).toContain('最后提醒');
    expect(JSON.stringify(notices.get(`training-quarterly:${T}:2026-10:head:od_a:zh-CN`)!.message)).toContain('最后提醒');
    await svc.quarterly(new Date('2027-01-01T01:00:00Z'));
    const jan = [...notices.values()].find((n) => n.id === `training-quarterly:${T}:2027-01:people:zh-CN`)!;
    expect(JSON.stringify(jan.message)).toContain('2026 年保密培训学时未达标');
    // ou_a1 has 5 of 10 h for the whole of 2026: reminded in January, not in July.
    expect(jan.recipients.map((r) => ('openId' in r.to ? r.to.openId : ''))).toContain('ou_a1');
  });
});
