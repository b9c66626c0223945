/**
 * Incidents on the embedded store with a fake clock: every clock fires once, at its time, and
 * stops when what it chases is recorded (the 24-hour report: +12 h / +20 h; the result report:
 * +60 d / +80 d; a lost carrier: 50 % / 80 % / the deadline, 10 days for 绝密 and 60 otherwise,
 * then treated as a leak with its own 24-hour clock); found carriers go back to their holder;
 * drafts from the approvals are confirmed or dismissed once; every step is one entry of the
 * hash-chained INCIDENT ledger, appended once however often the step is retried.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../bot/core/logger.js';
import { validateCard } from '../../../cards/card.schema.js';
import { INCIDENT_ACTION, incidentCard, incidentDraftCard, incidentFormCard, incidentReceiptCard } from '../../../cards/incident.card.js';
import { EffectExecutor, type ExecutorOptions, type IncidentDraft } from '../../../handlers/approvals/effect-handlers.js';
import type { PendingEffect, StoredRequest } from '../../../handlers/approvals/ports.js';
import { parseReported, parseReportForm } from '../../../handlers/incidents/commands.js';
import { addMonths, IncidentService, type Actor } from '../../../handlers/incidents/service.js';
import { localDate } from '../../../domain/index.js';
import { bilingual } from '../../../locales/index.js';
import { AlarmStore } from '../../../models/alarm.model.js';
import { AuditLogStore } from '../../../models/audit.model.js';
import { CarrierStore } from '../../../models/carrier.model.js';
import { CounterStore } from '../../../models/counter.model.js';
import { IncidentStore } from '../../../models/incident.model.js';
import { LedgerStore } from '../../../models/ledger.model.js';
import { AlarmSweeper, type AlarmHandler } from '../../../scheduler/alarms.js';
import { FakeClock } from '../../../scheduler/clock.js';
import type { FanoutInput } from '../../../scheduler/fanout.js';
import { useTestDb, type TestDb } from '../../helpers/mongo.js';

const TZ = 'Asia/Shanghai';
const HEAD = 'ou_head';
const PRINCIPAL = 'ou_principal';
const CHAIR = 'ou_chair';
const OFFICER = 'ou_officer';
const LEADER = 'ou_leader';
const STAFF = 'ou_staff';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ROLES: Record<string, string[]> = {
  security_head: [HEAD],
  principal: [PRINCIPAL],
  committee_chair: [CHAIR],
  security_officer: [OFFICER],
  leader: [LEADER],
};

let db: TestDb;
let incidents: IncidentStore;
let ledger: LedgerStore;
let alarms: AlarmStore;
let carriers: CarrierStore;
let clock: FakeClock;
let sent: FanoutInput[];
let T = '';
let tenantNo = 0;

function service(): IncidentService {
  return new IncidentService({
    incidents,
    ledger,
    alarms,
    carriers,
    counters: new CounterStore(db.connection),
    roles: { holders: async (_t, role) => ROLES[role] ?? [] },
    people: {
      hasRole: async (_t, id, role) => (ROLES[role] ?? []).includes(id),
      names: async () => (id: string) => ({ zh: `名${id}`, en: `N${id}` }),
    },
    audit: new AuditLogStore(db.connection),
    notify: {
      fanout: {
        send: async (i) => {
          sent.push(i);
          return { noticeId: i.id, total: i.recipients.length, created: true, done: Promise.resolve() };
        },
      },
      prefs: { getLocale: async (_t, id) => (id === CHAIR ? 'en-US' : undefined) },
      defaultLocale: 'zh-CN',
    },
    logger: silentLogger,
    timezone: TZ,
    now: () => clock.now(),
  });
}

function sweeper(svc: IncidentService): AlarmSweeper {
  const handlers = new Map<string, AlarmHandler>([['incident', (a) => svc.alarm(a)]]);
  return new AlarmSweeper({ store: alarms, handlers, logger: silentLogger, now: () => clock.now() });
}

/**
 * The notices sent about one incident of this test's tenant, as `<step or alarm kind>:<lang>`. The
 * fake fan-out records every hand-over; the real one keeps one notice per id.
 */
const notices = (id: string) => sent.filter((s) => s.id.includes(`${T}:`) && s.id.includes(`${id}:`)).map((s) => s.id.slice(s.id.indexOf(`${id}:`) + id.length + 1));
const distinct = (id: string) => [...new Set(notices(id))];
const to = (i: FanoutInput) => i.recipients.map((r) => ('openId' in r.to ? r.to.openId : '')).sort();
const who = (key: string, by = OFFICER): Actor => ({ by, key, channel: 'command' });
const localDay = (ms: number) => localDate(new Date(ms), TZ);
const events = async (id: string) => (await ledger.list(T, 'INCIDENT', { requestId: id })).entries.map((e) => e.event);

async function carrier(number: string, level: 'TOP_SECRET' | 'SECRET' | 'CONFIDENTIAL', status?: { to: string; requestId: string }) {
  const r = await carriers.create(T, { number, level, carrierType: '纸质', alias: `别名${number}`, createdBy: OFFICER, custodianId: OFFICER });
  if (!r.ok) throw new Error('duplicate');
  if (status) expect(await carriers.setStatus(T, number, status.to, { requestId: status.requestId })).toBe('changed');
}

/** Moves the clock to `ms` after `t0` and sweeps twice (a second sweep must find nothing new). */
async function at(sw: AlarmSweeper, t0: number, ms: number) {
  clock.set(t0 + ms);
  await sw.sweep();
  await sw.sweep();
}

beforeAll(async () => {
  db = await useTestDb();
  incidents = new IncidentStore(db.connection);
  ledger = new LedgerStore(db.connection);
  alarms = new AlarmStore(db.connection);
  carriers = new CarrierStore(db.connection);
  await Promise.all([incidents.init(), ledger.init(), alarms.init(), carriers.init(), new AuditLogStore(db.connection).init(), new CounterStore(db.connection).init()]);
});
afterAll(() => db.close());
beforeEach(async () => {
  // Alarms are swept across tenants: each test starts with none.
  await db.connection.collection('alarms').deleteMany({});
  T = `tenant-inc-${++tenantNo}`;
  clock = new FakeClock('2026-11-30T02:00:00Z');
  sent = [];
});

describe('the 24-hour report and the result report', () => {
  it('alerts the three roles at once; +12 h once at its time; nothing after the report; +60 d once; nothing after the result; closed', async () => {
    const svc = service();
    const sw = sweeper(svc);
    const t0 = clock.now().getTime();
    const { incident, created } = await svc.open(
      T,
      { kind: 'LEAK', discoveredAt: clock.now(), reporterId: STAFF, foundBy: STAFF, carriers: [], place: '三楼' },
      who('msg:1', STAFF),
    );
    expect(created).toBe(true);
    const id = incident.id;
    expect(id).toBe('INC-2026-0001');
    // The security office's card carries the buttons of its steps; the principal and the chair,
    // refused on every one, get theirs without them (a notice of their own, per language).
    expect(notices(id)).toEqual(['opened:zh-CN', 'opened:read:en-US', 'opened:read:zh-CN']);
    expect(to(sent[0]!)).toEqual([HEAD]);
    expect(to(sent[1]!)).toEqual([CHAIR]);
    expect(to(sent[2]!)).toEqual([PRINCIPAL]);
    expect(JSON.stringify(sent[0]!.message)).toContain(INCIDENT_ACTION);
    for (const read of sent.slice(1)) {
      expect(JSON.stringify(read.message)).not.toContain(INCIDENT_ACTION);
      expect(JSON.stringify(read.message)).not.toContain('"tag":"button"');
    }
    // Opening again from the same delivery: the same incident, its notices handed over under the same ids.
    expect((await svc.open(T, { kind: 'LEAK', discoveredAt: clock.now(), reporterId: STAFF, carriers: [] }, who('msg:1', STAFF))).created).toBe(false);
    expect(distinct(id)).toEqual(['opened:zh-CN', 'opened:read:en-US', 'opened:read:zh-CN']);

    await at(sw, t0, 12 * HOUR - 60_000);
    expect(distinct(id)).toHaveLength(3);
    await at(sw, t0, 12 * HOUR);
    expect(notices(id).filter((n) => n.startsWith('h12'))).toEqual(['h12:zh-CN', 'h12:read:en-US', 'h12:read:zh-CN']);
    for (const s of sent.filter((x) => x.id.includes(':h12:'))) expect(JSON.stringify(s.message).includes(INCIDENT_ACTION)).toBe(!s.id.includes(':read:'));
    expect(JSON.stringify(sent.at(-1)!.message)).toContain('12 小时');

    clock.set(t0 + 13 * HOUR);
    await expect(svc.result(T, id, '2026-12-01', who('msg:r0'))).rejects.toMatchObject({ key: 'incident:report_first' });
    await expect(svc.reported(T, id, new Date(t0 - HOUR), '市保密局', who('msg:2'))).rejects.toMatchObject({ key: 'incident:bad_report_time' });
    const rep = await svc.reported(T, id, new Date(t0 + 10 * HOUR), '市保密局', who('msg:2'));
    expect(rep.status).toBe('REPORTED');
    // The same delivery again: the step is its own, nothing happens twice; another delivery is refused.
    await svc.reported(T, id, new Date(t0 + 10 * HOUR), '市保密局', who('msg:2'));
    await expect(svc.reported(T, id, new Date(t0 + 11 * HOUR), '上级', who('msg:3'))).rejects.toMatchObject({ key: 'incident:already_reported' });
    expect(distinct(id)).toEqual([
      'opened:zh-CN',
      'opened:read:en-US',
      'opened:read:zh-CN',
      'h12:zh-CN',
      'h12:read:en-US',
      'h12:read:zh-CN',
      'reported:zh-CN',
      'reported:read:en-US',
      'reported:read:zh-CN',
    ]);

    const before = sent.length;
    await at(sw, t0, 20 * HOUR);
    await at(sw, t0, 59 * DAY);
    expect(sent).toHaveLength(before);
    await at(sw, t0, 60 * DAY);
    expect(notices(id).filter((n) => n.startsWith('d'))).toEqual(['d60:zh-CN']);
    const d60 = sent.filter((s) => s.id.endsWith(`${id}:d60:zh-CN`));
    expect(d60).toHaveLength(1);
    expect(to(d60[0]!)).toEqual([HEAD, OFFICER].sort());
    expect(JSON.stringify(d60[0]!.message)).toContain('60 日');

    await expect(svc.close(T, id, who('msg:c0'))).rejects.toMatchObject({ key: 'incident:close_needs_result' });
    clock.set(t0 + 61 * DAY);
    await expect(svc.result(T, id, '2099-01-01', who('msg:4'))).rejects.toMatchObject({ key: 'incident:bad_result_date' });
    await svc.result(T, id, '2027-01-29', who('msg:4'));
    const after = sent.length;
    await at(sw, t0, 80 * DAY);
    await at(sw, t0, 100 * DAY);
    expect(sent.filter((s) => s.id.includes(':d80:'))).toHaveLength(0);
    expect(sent.length).toBe(after);

    await svc.status(T, id, '已约谈当事人', who('msg:5'));
    await svc.status(T, id, '已约谈当事人', who('msg:5'));
    await expect(svc.status(T, id, 'x'.repeat(201), who('msg:6'))).rejects.toMatchObject({ key: 'incident:status_length', params: { max: 200 } });
    await expect(svc.status(T, id, '长'.repeat(201), who('msg:6'))).rejects.toMatchObject({ key: 'incident:status_length' });
    const closed = await svc.close(T, id, who('msg:7'));
    expect(closed.status).toBe('CLOSED');
    await expect(svc.status(T, id, 'late', who('msg:8'))).rejects.toMatchObject({ key: 'incident:is_closed' });
    expect(await events(id)).toEqual(['OPENED', 'REPORTED', 'RESULT', 'STATUS', 'CLOSED']);
    expect((await ledger.verify(T, 'INCIDENT')).ok).toBe(true);
    expect((await alarms.list(T, 'incident', id)).map((a) => `${a.kind}:${a.state}`).sort()).toEqual(['d60:done', 'd80:cancelled', 'h12:done', 'h20:cancelled']);
  });

  it('+20 h fires when nobody recorded the report; the result is due 3 months after discovery', async () => {
    const svc = service();
    const sw = sweeper(svc);
    const t0 = clock.now().getTime();
    const { incident } = await svc.open(T, { kind: 'POSSIBLE_LEAK', discoveredAt: new Date(t0 - 2 * HOUR), reporterId: STAFF, carriers: [] }, who('msg:a', STAFF));
    expect(incident.resultDueAt).toEqual(addMonths(new Date(t0 - 2 * HOUR), 3));
    await at(sw, t0, 10 * HOUR);
    await at(sw, t0, 18 * HOUR - 60_000);
    expect(notices(incident.id).filter((n) => n.startsWith('h20'))).toHaveLength(0);
    await at(sw, t0, 18 * HOUR);
    await at(sw, t0, 19 * HOUR);
    expect(notices(incident.id).filter((n) => n.startsWith('h'))).toEqual(['h12:zh-CN', 'h12:read:en-US', 'h12:read:zh-CN', 'h20:zh-CN', 'h20:read:en-US', 'h20:read:zh-CN']);
  });
  it('+80 d fires once to the security office while the result is missing; nothing after the result', async () => {
    const svc = service();
    const sw = sweeper(svc);
    const t0 = clock.now().getTime();
    const { incident } = await svc.open(T, { kind: 'VIOLATION', discoveredAt: clock.now(), reporterId: STAFF, carriers: [] }, who('msg:v80', STAFF));
    const id = incident.id;
    clock.set(t0 + 2 * HOUR);
    await svc.reported(T, id, new Date(t0 + HOUR), '市保密局', who('msg:r80'));
    const d = () => notices(id).filter((n) => n.startsWith('d'));
    await at(sw, t0, 60 * DAY);
    expect(d()).toEqual(['d60:zh-CN']);
    await at(sw, t0, 80 * DAY - 60_000);
    expect(d()).toEqual(['d60:zh-CN']);
    await at(sw, t0, 80 * DAY);
    expect(d()).toEqual(['d60:zh-CN', 'd80:zh-CN']);
    const d80 = sent.filter((x) => x.id.endsWith(`${id}:d80:zh-CN`));
    expect(d80).toHaveLength(1);
    expect(to(d80[0]!)).toEqual([HEAD, OFFICER].sort());
    expect(JSON.stringify(d80[0]!.message)).toContain('事件已过 80 日');
    await at(sw, t0, 80 * DAY + HOUR);
    await at(sw, t0, 85 * DAY);
    expect(d()).toEqual(['d60:zh-CN', 'd80:zh-CN']);
    expect((await alarms.get(T, `incident:${id}:d80`))?.state).toBe('done');

    clock.set(t0 + 86 * DAY);
    await svc.result(T, id, localDay(t0 + 85 * DAY), who('msg:res80'));
    expect(notices(id).filter((n) => n.startsWith('result'))).toEqual(['result:zh-CN', 'result:read:en-US', 'result:read:zh-CN']);
    const after = sent.length;
    for (const x of [90, 100, 200]) await at(sw, t0, x * DAY);
    expect(sent.length).toBe(after);
    expect(d()).toEqual(['d60:zh-CN', 'd80:zh-CN']);
    // Progress: at most 200 characters (the card's field's limit), counted as characters.
    expect((await svc.status(T, id, '长'.repeat(200), who('msg:s200'))).updates.at(-1)?.text).toBe('长'.repeat(200));
    await expect(svc.status(T, id, `${'长'.repeat(200)}x`, who('msg:s201'))).rejects.toMatchObject({ key: 'incident:status_length' });
    expect(await events(id)).toEqual(['OPENED', 'REPORTED', 'RESULT', 'STATUS']);
  });
});

describe('a lost carrier', () => {
  it('绝密: 10 days, alerts at 5 and 8 days once, then a leak whose 24-hour clock starts at the deadline', async () => {
    await carrier('JUEM-1', 'TOP_SECRET');
    await carrier('MM-1', 'CONFIDENTIAL');
    const svc = service();
    const sw = sweeper(svc);
    const t0 = clock.now().getTime();
    await expect(
      svc.open(T, { kind: 'LOST_CARRIER', discoveredAt: clock.now(), reporterId: OFFICER, carriers: ['JUEM-1', 'NOPE-9', 'NOPE-8'] }, who('msg:u')),
    ).rejects.toMatchObject({
      key: 'incident:unknown_carriers',
      params: { numbers: 'NOPE-9, NOPE-8' },
    });
    const { incident } = await svc.open(T, { kind: 'LOST_CARRIER', discoveredAt: clock.now(), reporterId: OFFICER, carriers: ['juem-1', 'MM-1'] }, who('msg:m'));
    const id = incident.id;
    expect(incident.carriers).toEqual(['JUEM-1', 'MM-1']);
    expect(incident.missing?.days).toBe(10);
    expect(incident.level).toBe('TOP_SECRET');
    expect(incident.clockStart).toBeUndefined();
    expect((await carriers.get(T, 'JUEM-1'))?.status).toBe('MISSING');
    await expect(svc.reported(T, id, clock.now(), '市保密局', who('msg:x'))).rejects.toMatchObject({ key: 'incident:no_clock' });
    await expect(svc.close(T, id, who('msg:y'))).rejects.toMatchObject({ key: 'incident:close_searching' });

    await at(sw, t0, 5 * DAY - 60_000);
    expect(notices(id)).toEqual(['opened:zh-CN', 'opened:read:en-US', 'opened:read:zh-CN']);
    await at(sw, t0, 5 * DAY);
    const p50 = sent.filter((s) => s.id.endsWith(':missing.p50:zh-CN'));
    expect(p50).toHaveLength(1);
    expect(to(p50[0]!)).toEqual([HEAD, OFFICER].sort());
    expect(JSON.stringify(p50[0]!.message)).toContain(INCIDENT_ACTION);
    // The leader in charge hears of it too, without the buttons they may not use.
    const p50read = sent.filter((s) => s.id.endsWith(':missing.p50:read:zh-CN'));
    expect(p50read).toHaveLength(1);
    expect(to(p50read[0]!)).toEqual([LEADER]);
    expect(JSON.stringify(p50read[0]!.message)).not.toContain(INCIDENT_ACTION);
    await at(sw, t0, 8 * DAY);
    expect(notices(id).filter((n) => n.startsWith('missing.p80'))).toEqual(['missing.p80:zh-CN', 'missing.p80:read:zh-CN']);
    await at(sw, t0, 10 * DAY - 60_000);
    expect((await incidents.get(T, id))?.kind).toBe('LOST_CARRIER');
    await at(sw, t0, 10 * DAY);
    const leak = (await incidents.get(T, id))!;
    expect(leak.kind).toBe('LEAK');
    expect(leak.missing?.outcome).toBe('leak');
    expect(leak.clockStart).toEqual(new Date(t0 + 10 * DAY));
    expect(notices(id).filter((n) => n.startsWith('missing.deadline'))).toEqual(['missing.deadline:zh-CN', 'missing.deadline:read:en-US', 'missing.deadline:read:zh-CN']);
    expect(JSON.stringify(sent.at(-1)!.message)).toContain('按泄密处理');
    await expect(svc.found(T, id, who('msg:f'))).rejects.toMatchObject({ key: 'incident:already_leak' });
    await at(sw, t0, 10 * DAY + 12 * HOUR);
    expect(notices(id).filter((n) => n.startsWith('h12'))).toEqual(['h12:zh-CN', 'h12:read:en-US', 'h12:read:zh-CN']);
    expect(await events(id)).toEqual(['OPENED', 'MISSING', 'LEAK']);
    expect((await carriers.get(T, 'MM-1'))?.status).toBe('MISSING');
  });

  it('机密: 60 days; found at day 31 closes it, the carrier goes back to its holder, no alert after', async () => {
    await carrier('JM-1', 'SECRET', { to: 'CHECKED_OUT', requestId: 'CO-2026-0007' });
    await carrier('JM-2', 'SECRET', { to: 'DESTROYED', requestId: 'DS-2026-0001' });
    const svc = service();
    const sw = sweeper(svc);
    const t0 = clock.now().getTime();
    // Refused, with the status named in each reader's language.
    await expect(svc.open(T, { kind: 'LOST_CARRIER', discoveredAt: clock.now(), reporterId: OFFICER, carriers: ['JM-2'] }, who('msg:d'))).rejects.toMatchObject({
      key: 'incident:not_missable',
      text: { zh: expect.stringMatching(/JM-2 \(已销毁\)/), en: expect.stringMatching(/JM-2 \(Destroyed\)/i) },
    });
    const { incident } = await svc.open(T, { kind: 'LOST_CARRIER', discoveredAt: clock.now(), reporterId: OFFICER, carriers: ['JM-1'] }, who('msg:m'));
    const id = incident.id;
    expect(incident.missing).toMatchObject({ days: 60, deadline: new Date(t0 + 60 * DAY) });
    expect(await carriers.get(T, 'JM-1')).toMatchObject({ status: 'MISSING', statusRequestId: id });
    await at(sw, t0, 30 * DAY - 60_000);
    expect(notices(id).filter((n) => n.startsWith('missing'))).toHaveLength(0);
    await at(sw, t0, 30 * DAY);
    expect(notices(id).filter((n) => n.startsWith('missing.p50'))).toEqual(['missing.p50:zh-CN', 'missing.p50:read:zh-CN']);
    clock.set(t0 + 31 * DAY);
    const found = await svc.found(T, id, who('msg:f'));
    expect(found.status).toBe('CLOSED');
    await svc.found(T, id, who('msg:f'));
    await expect(svc.found(T, id, who('msg:g'))).rejects.toMatchObject({ key: 'incident:is_closed' });
    expect(await carriers.get(T, 'JM-1')).toMatchObject({ status: 'CHECKED_OUT', statusRequestId: 'CO-2026-0007' });
    const before = sent.length;
    for (const d of [48, 60, 61]) await at(sw, t0, d * DAY);
    expect(sent.length).toBe(before);
    expect((await incidents.get(T, id))?.kind).toBe('LOST_CARRIER');
    expect(await events(id)).toEqual(['OPENED', 'MISSING', 'FOUND', 'CLOSED']);
  });
  for (const [level, zh] of [
    ['SECRET', '机密'],
    ['CONFIDENTIAL', '秘密'],
  ] as const)
    it(`${zh}: not found in 60 days, it becomes a leak whose 24-hour clock starts at the deadline`, async () => {
      await carrier(`L60-${level}`, level);
      const svc = service();
      const sw = sweeper(svc);
      const t0 = clock.now().getTime();
      const { incident } = await svc.open(T, { kind: 'LOST_CARRIER', discoveredAt: clock.now(), reporterId: OFFICER, carriers: [`L60-${level}`] }, who('msg:m60'));
      const id = incident.id;
      expect(incident.level).toBe(level);
      expect(incident.missing).toMatchObject({ days: 60, deadline: new Date(t0 + 60 * DAY) });
      expect(incident.clockStart).toBeUndefined();
      // The 10-day deadline of 绝密 does not apply.
      await at(sw, t0, 10 * DAY);
      await at(sw, t0, 60 * DAY - 60_000);
      const searching = (await incidents.get(T, id))!;
      expect(searching.kind).toBe('LOST_CARRIER');
      expect(searching.missing?.outcome).toBeUndefined();
      expect(searching.clockStart).toBeUndefined();
      expect(notices(id).filter((n) => n.startsWith('missing.deadline') || n.startsWith('h'))).toEqual([]);

      await at(sw, t0, 60 * DAY);
      const leak = (await incidents.get(T, id))!;
      expect(leak.kind).toBe('LEAK');
      expect(leak.status).toBe('OPEN');
      expect(leak.missing).toMatchObject({ outcome: 'leak', outcomeAt: new Date(t0 + 60 * DAY) });
      expect(leak.clockStart).toEqual(new Date(t0 + 60 * DAY));
      expect(leak.resultDueAt).toEqual(addMonths(new Date(t0 + 60 * DAY), 3));
      expect(notices(id).filter((n) => n.startsWith('missing.deadline'))).toEqual(['missing.deadline:zh-CN', 'missing.deadline:read:en-US', 'missing.deadline:read:zh-CN']);
      expect(JSON.stringify(sent.filter((x) => x.id.endsWith(`${id}:missing.deadline:zh-CN`))[0]!.message)).toContain('60 日内未找到');
      // Its 24-hour clock runs from the deadline: +12 h, +20 h, +60 d, +80 d.
      for (const [k, ms] of [
        ['h12', 12 * HOUR],
        ['h20', 20 * HOUR],
        ['d60', 60 * DAY],
        ['d80', 80 * DAY],
      ] as const)
        expect((await alarms.get(T, `incident:${id}:${k}`))?.dueAt).toEqual(new Date(t0 + 60 * DAY + ms));
      await at(sw, t0, 60 * DAY + 12 * HOUR - 60_000);
      expect(notices(id).filter((n) => n.startsWith('h'))).toEqual([]);
      await at(sw, t0, 60 * DAY + 12 * HOUR);
      expect(notices(id).filter((n) => n.startsWith('h'))).toEqual(['h12:zh-CN', 'h12:read:en-US', 'h12:read:zh-CN']);
      await expect(svc.found(T, id, who('msg:f60'))).rejects.toMatchObject({ key: 'incident:already_leak' });
      // The 24-hour report can now be recorded (no longer "still searched for").
      const rep = await svc.reported(T, id, new Date(t0 + 60 * DAY + 6 * HOUR), '市保密局', who('msg:r60'));
      expect(rep.status).toBe('REPORTED');
      await at(sw, t0, 60 * DAY + 20 * HOUR);
      expect(notices(id).filter((n) => n.startsWith('h20'))).toEqual([]);
      expect(await events(id)).toEqual(['OPENED', 'MISSING', 'LEAK', 'REPORTED']);
      expect((await carriers.get(T, `L60-${level}`))?.status).toBe('MISSING');
    });
});

describe('drafts from the approvals', () => {
  const draft = (key: string): IncidentDraft => ({
    requestId: 'CP-2026-0003',
    reason: 'COPY_SUPERVISION_FAILED',
    carrierNumbers: ['JM-9'],
    note: 'originals_returned',
    effectKey: key,
    actorId: OFFICER,
    at: clock.now(),
  });

  it('one draft per effect, to the security officers; confirmed once: it opens with the 24-hour clock from its discovery', async () => {
    await carrier('JM-9', 'SECRET');
    const svc = service();
    const a = await svc.draft(T, draft('CP-2026-0003:6:incident'));
    const b = await svc.draft(T, draft('CP-2026-0003:6:incident'));
    expect(a).toEqual({ incidentId: b.incidentId, created: true });
    expect(b.created).toBe(false);
    const id = a.incidentId;
    expect(notices(id)).toEqual(['draft:zh-CN', 'draft:zh-CN']);
    expect(to(sent[0]!)).toEqual([OFFICER]);
    expect(JSON.stringify(sent[0]!.message)).toContain('确认为事件');
    await expect(svc.reported(T, id, clock.now(), '市保密局', who('msg:r'))).rejects.toMatchObject({ key: 'incident:is_draft' });
    const t0 = clock.now().getTime();
    clock.set(t0 + 3 * HOUR);
    const c = await svc.confirm(T, id, who('card:c1'));
    expect(c.status).toBe('OPEN');
    expect(c.clockStart).toEqual(new Date(t0));
    await svc.confirm(T, id, who('card:c1'));
    await expect(svc.confirm(T, id, who('card:c2'))).rejects.toMatchObject({ key: 'incident:not_draft' });
    await expect(svc.dismiss(T, id, '误报', who('card:d1'))).rejects.toMatchObject({ key: 'incident:not_draft' });
    expect(distinct(id)).toEqual(['draft:zh-CN', 'opened:zh-CN', 'opened:read:en-US', 'opened:read:zh-CN']);
    expect(await events(id)).toEqual(['OPENED']);
    expect((await alarms.get(T, `incident:${id}:h12`))?.dueAt).toEqual(new Date(t0 + 12 * HOUR));
  });

  it('dismissed once, with a reason; then it cannot be confirmed', async () => {
    const svc = service();
    const { incidentId: id } = await svc.draft(T, draft('CY-2026-0001:4:incident'));
    await expect(svc.dismiss(T, id, '  ', who('card:d0'))).rejects.toMatchObject({ key: 'incident:dismiss_reason' });
    const d = await svc.dismiss(T, id, '原件已找回', who('card:d1'));
    expect(d.status).toBe('DISMISSED');
    await svc.dismiss(T, id, '原件已找回', who('card:d1'));
    await expect(svc.dismiss(T, id, '再次', who('card:d2'))).rejects.toMatchObject({ key: 'incident:not_draft' });
    await expect(svc.confirm(T, id, who('card:c1'))).rejects.toMatchObject({ key: 'incident:not_draft' });
    expect(await events(id)).toEqual(['DISMISSED']);
    expect(await alarms.list(T, 'incident', id)).toEqual([]);
    // A replayed effect after the dismissal sends nothing new.
    const n = sent.length;
    await svc.draft(T, draft('CY-2026-0001:4:incident'));
    expect(sent.length).toBe(n);
  });

  it('the approvals’ effect executor hands `incident.open` to the sink after its audit record', async () => {
    const drafts: IncidentDraft[] = [];
    const audits: string[] = [];
    const exec = new EffectExecutor({
      repos: {
        audit: {
          record: async (_t: string, i: { action: string }) => {
            audits.push(i.action);
            return { created: true };
          },
        },
      },
      incidents: { draft: async (_t: string, d: IncidentDraft) => void drafts.push(d) },
      now: () => clock.now(),
    } as unknown as ExecutorOptions);
    const effect = {
      type: 'incident.open',
      reason: 'CARRY_INSPECTION_FAILED',
      carrierNumbers: ['JM-1'],
      key: 'CY-1:5:incident',
      requestId: 'CY-1',
      version: 5,
      actorId: OFFICER,
    } as PendingEffect;
    await exec.execute({ tenantKey: T } as StoredRequest, effect);
    expect(audits).toEqual(['incident.open']);
    expect(drafts).toEqual([{ requestId: 'CY-1', reason: 'CARRY_INSPECTION_FAILED', carrierNumbers: ['JM-1'], effectKey: 'CY-1:5:incident', actorId: OFFICER, at: clock.now() }]);
  });
});

describe('input and cards', () => {
  it('reads the form and the typed report; refuses bad values with a localised key', () => {
    const v = {
      kind: 'LEAK',
      date: '2026-11-30 +0800',
      time: '09:30',
      place: '三楼',
      found_by: 'ou_abc',
      carriers: 'JM-1，JM-2 JM-1',
      level: '机密',
      quantity: '2',
      measures: '已封存',
    };
    expect(parseReportForm(v, TZ)).toEqual({
      kind: 'LEAK',
      discoveredAt: new Date('2026-11-30T01:30:00Z'),
      place: '三楼',
      foundBy: 'ou_abc',
      carriers: ['JM-1', 'JM-2'],
      level: 'SECRET',
      quantity: 2,
      measures: '已封存',
    });
    expect(() => parseReportForm({ ...v, kind: 'X' }, TZ)).toThrow(expect.objectContaining({ key: 'incident:bad_kind' }));
    expect(() => parseReportForm({ ...v, time: '25:00' }, TZ)).toThrow(expect.objectContaining({ key: 'incident:bad_time' }));
    expect(() => parseReportForm({ ...v, quantity: '0' }, TZ)).toThrow(expect.objectContaining({ key: 'incident:bad_quantity' }));
    expect(() => parseReportForm({ ...v, found_by: 'zhang' }, TZ)).toThrow(expect.objectContaining({ key: 'incident:bad_person' }));
    expect(parseReported('INC-2026-0001 2026-11-30 18:00 to=市保密局 和 上级', TZ)).toEqual({ id: 'INC-2026-0001', at: new Date('2026-11-30T10:00:00Z'), to: '市保密局 和 上级' });
    expect(() => parseReported('INC-2026-0001 2026-11-30 18:00', TZ)).toThrow(expect.objectContaining({ key: 'incident:usage_reported' }));
  });

  it('every card obeys Lark’s limits, in every state', async () => {
    const svc = service();
    const tb = bilingual;
    const check = (c: unknown) => expect(validateCard(c)).toEqual({ ok: true });
    check(incidentFormCard({ tb, owner: 'ou_abc', people: Array.from({ length: 50 }, (_, i) => `ou_p${i}`) }));
    check(incidentFormCard({ tb }));
    check(incidentReceiptCard('INC-2026-0001', 'LEAK', tb));
    const { incident } = await svc.open(T, { kind: 'VIOLATION', discoveredAt: clock.now(), reporterId: STAFF, carriers: [], measures: '已封存' }, who('msg:v', STAFF));
    for (const status of ['OPEN', 'REPORTED', 'CLOSED', 'DRAFT', 'DISMISSED'] as const) {
      const view = { ...(await svc.view(incident)), status, updates: [{ at: clock.now(), by: { zh: '张', en: 'Zhang' }, text: 'x'.repeat(200) }] };
      check(incidentCard(view, { tb, timeZone: TZ, actions: true, lead: tb('incident:lead.opened') }));
      check(incidentCard({ ...view, external: { reportedAt: clock.now(), to: '市保密局' } }, { tb, timeZone: TZ, actions: true }));
      check(incidentDraftCard({ ...view, draft: { requestId: 'CP-1', reason: 'COPY_SUPERVISION_FAILED' } }, { tb, timeZone: TZ }));
    }
  });
});
