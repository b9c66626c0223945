/**
 * The inventory's "Report missing" against the REAL incidents feature: both features built by
 * buildFeatures on one FeatureContext (the register finds the incidents' API through `ctx.api`, as
 * in the bot), on the embedded store with a fake clock. A report opens one lost-carrier incident
 * and the carrier goes MISSING; a report the incidents feature refuses (the carrier's status
 * changed since the card was sent: not missable) is recorded, reaches the security office once,
 * and is never retried.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../bot/core/logger.js';
import { Router } from '../../../bot/core/router.js';
import type { CardResponse } from '../../../bot/core/types.js';
import { validateCard } from '../../../cards/card.schema.js';
import { INVENTORY_MISSING } from '../../../cards/register.card.js';
import { defaultPolicy } from '../../../domain/index.js';
import { People } from '../../../handlers/approvals/people.js';
import type { ApprovalRepos } from '../../../handlers/approvals/ports.js';
import { buildFeatures, type FeatureModule } from '../../../handlers/features.js';
import { incidentsFeature } from '../../../handlers/incidents/index.js';
import { registerFeature } from '../../../handlers/register/index.js';
import { AlarmStore } from '../../../models/alarm.model.js';
import { CarrierStore } from '../../../models/carrier.model.js';
import { IncidentStore } from '../../../models/incident.model.js';
import { InventoryStore } from '../../../models/inventory.model.js';
import { AlarmSweeper, type AlarmHandler } from '../../../scheduler/alarms.js';
import { FakeClock } from '../../../scheduler/clock.js';
import { demoDirectory, serviceHarness, TENANT } from '../../helpers/approval-service.js';
import { requireButtonWhere } from '../../helpers/cards.js';
import { appWith, clickEvent, dispatch, fakeServices } from '../../helpers/fake-services.js';
import { useTestDb, type TestDb } from '../../helpers/mongo.js';
import { Recorder } from './helpers.js';

const TZ = 'Asia/Shanghai';
const SLOT = new Date('2027-01-01T01:00:00Z');
const ROUND = 'INV-2027-Q1';
const ZHAO = 'ou_29eacd7ebd92f24f7e1a5dba6b277743'; // 赵磊: staff, the custodian

let db: TestDb;
let repos: ApprovalRepos;
let clock: FakeClock;
let fan: Recorder;
let features: FeatureModule[];
let sweeper: AlarmSweeper;
let alarms: AlarmStore;
let click: (who: string, value: Record<string, unknown>, formValue?: Record<string, unknown>) => Promise<CardResponse>;

function buttonValue(card: unknown, action: string): Record<string, unknown> {
  return requireButtonWhere(card, (v) => v.a === action, `no ${action} button`).value;
}

/** The custodian's (first) missing report of the round, as stored. */
const reportOf = async () => Object.values((await new InventoryStore(db.connection).getCheck(TENANT, ROUND, ZHAO))!.reports)[0]!;
const feature = (name: string) => features.find((f) => f.name === name)!;
const office = async () => [...new Set([...(await repos.roles.holders(TENANT, 'security_officer')), ...(await repos.roles.holders(TENANT, 'security_head'))])].sort();

beforeAll(async () => {
  db = await useTestDb();
});
afterAll(() => db.close());
beforeEach(async () => {
  for (const c of ['carriers', 'alarms', 'inventory_rounds', 'inventory_checks', 'incidents']) await db.connection.collection(c).deleteMany({});
  clock = new FakeClock('2026-12-20T02:00:00Z');
  const base = (await serviceHarness(db)).repos;
  repos = { ...base, carriers: new CarrierStore(db.connection, () => clock.now()) };
  const directory = demoDirectory();
  const services = fakeServices({ directory, timezone: TZ });
  fan = new Recorder();
  alarms = new AlarmStore(db.connection);
  await alarms.init();
  features = await buildFeatures(
    {
      connection: db.connection,
      services,
      repos,
      people: new People(repos.roles, directory),
      approvals: {} as never,
      policy: defaultPolicy(),
      fanout: fan,
      notify: { fanout: fan, prefs: services.prefs, defaultLocale: 'zh-CN' },
      alarms,
      timezone: TZ,
      defaultLocale: 'zh-CN',
      env: {},
      now: () => clock.now(),
    },
    [incidentsFeature, registerFeature],
  );
  const handlers = new Map<string, AlarmHandler>(features.flatMap((f) => (f.alarm ? [[f.name, (a) => f.alarm!(a)] as const] : [])));
  sweeper = new AlarmSweeper({ store: alarms, handlers, logger: silentLogger, now: () => clock.now() });
  const router = new Router();
  for (const f of features) f.register?.(router);
  const { app } = appWith(router, services);
  click = async (who, value, formValue) => {
    const { acks } = await dispatch(
      app,
      clickEvent(value, { tenantKey: TENANT, operator: { openId: who }, action: { tag: 'button', value, ...(formValue ? { formValue } : {}) } }),
    );
    return acks[0] ?? {};
  };
  for (const [number, level] of [
    ['JM-X1', 'SECRET'],
    ['JM-X2', 'TOP_SECRET'],
    ['JM-X3', 'SECRET'],
  ] as const) {
    const r = await repos.carriers.create(TENANT, { number, level, carrierType: '纸质', alias: `别名${number}`, createdBy: ZHAO, custodianId: ZHAO });
    expect(r.ok).toBe(true);
  }
  clock.set(SLOT);
  await feature('register')
    .cadences!.find((c) => c.name === 'register.inventory')!
    .run(SLOT);
});

describe('"Report missing" through the real incidents feature', () => {
  it('opens one lost-carrier incident; the carrier goes MISSING; the alarm behind the report finds it done', async () => {
    const card = fan.notices.get(`${TENANT}:register:inv:${ROUND}:${ZHAO}:zh-CN`)!.card;
    const missing = buttonValue(card, INVENTORY_MISSING);
    const r = await click(ZHAO, missing, { missing: ['JM-X1'] });
    const incidents = new IncidentStore(db.connection);
    // Incident numbers run on across the tests of this file (one counter per year).
    const [inc] = await incidents.list(TENANT);
    expect(inc?.id).toMatch(/^INC-2027-\d{4}$/);
    const id = inc!.id;
    expect(r.toast).toMatchObject({ type: 'success', content: `已报告 1 份下落不明，已立案 ${id}` });
    expect(inc).toMatchObject({ kind: 'LOST_CARRIER', status: 'OPEN', carriers: ['JM-X1'], reporterId: ZHAO });
    expect(inc!.sourceKey).toMatch(new RegExp(`^api:register:inventory:${ROUND}:${ZHAO}:[0-9a-f]{16}$`));
    // 秘密: the 60-day countdown from now.
    expect(inc!.missing!.deadline.toISOString()).toBe(new Date(SLOT.getTime() + 60 * 86_400_000).toISOString());
    expect(await repos.carriers.get(TENANT, 'JM-X1')).toMatchObject({ status: 'MISSING', statusRequestId: id });
    expect((await repos.carriers.get(TENANT, 'JM-X2'))?.status).toBe('IN_STOCK');
    const report = await reportOf();
    expect(report.incidentId).toBe(id);
    expect(report.refused).toBeUndefined();
    expect(JSON.stringify(r.card)).toContain(id);
    // The incident's own clocks are set and its alert went out.
    expect((await alarms.pending(TENANT, 'incident')).map((a) => a.kind).sort()).toEqual(['missing.deadline', 'missing.p50', 'missing.p80']);
    expect(fan.list((n) => n.id.startsWith(`incident:${TENANT}:${id}:opened`)).length).toBeGreaterThan(0);
    // The register's alarm behind the report: the incident is recorded, nothing more is opened.
    clock.set(SLOT.getTime() + 10 * 60_000);
    expect(await sweeper.sweep()).toMatchObject({ failed: 0 });
    expect(await incidents.list(TENANT)).toHaveLength(1);
    expect(fan.list((n) => n.id.includes(':refused:'))).toHaveLength(0);
  });

  it('a carrier not missable any more: refused by the incidents feature, recorded, the security office told once, never retried', async () => {
    // JM-X2 was destroyed after the card was sent (it is still on the custodian's card).
    expect(await repos.carriers.setStatus(TENANT, 'JM-X2', 'DESTROYED', {})).toBe('changed');
    const card = fan.notices.get(`${TENANT}:register:inv:${ROUND}:${ZHAO}:zh-CN`)!.card;
    const r = await click(ZHAO, buttonValue(card, INVENTORY_MISSING), { missing: ['JM-X2'] });
    expect(r.toast).toMatchObject({ type: 'warning', content: '已报告 1 份下落不明，但未能立案：这些载体当前状态不能报丢失：JM-X2 (已销毁)。已通知保密办。' });
    expect(await new IncidentStore(db.connection).list(TENANT)).toHaveLength(0);
    expect((await repos.carriers.get(TENANT, 'JM-X2'))?.status).toBe('DESTROYED');
    const [alarm] = await alarms.list(TENANT, 'register', `inv:${ROUND}:${ZHAO}`);
    const told = fan.list((n) => n.id.includes(':refused:'));
    expect(told.map((n) => n.id)).toEqual([`${alarm!._id}:refused:zh-CN`]);
    expect(told[0]!.to.sort()).toEqual(await office());
    expect(told[0]!.to.length).toBeGreaterThan(0);
    expect(told[0]!.text).toContain('赵磊');
    expect(told[0]!.text).toContain('JM-X2');
    expect(told[0]!.text).toContain('这些载体当前状态不能报丢失：JM-X2 (已销毁)');
    expect(validateCard(told[0]!.card)).toEqual({ ok: true });
    const report = await reportOf();
    expect(report.incidentId).toBeUndefined();
    expect(report.refused?.code).toBe('incident:not_missable');
    // The alarm behind the report is not retried as if the refusal would pass.
    for (const m of [5, 7, 11, 60, 24 * 60]) {
      clock.set(SLOT.getTime() + m * 60_000);
      expect(await sweeper.sweep()).toMatchObject({ failed: 0 });
    }
    expect((await alarms.get(TENANT, alarm!.key))?.state).toBe('done');
    expect(fan.calls.filter((c) => c.id.includes(':refused:'))).toHaveLength(1);
    // The other carriers can still be reported: the feature opens their incident.
    const ok = await click(ZHAO, buttonValue(card, INVENTORY_MISSING), { missing: ['JM-X3'] });
    const opened = await new IncidentStore(db.connection).list(TENANT);
    expect(opened.map((i) => i.carriers)).toEqual([['JM-X3']]);
    expect(ok.toast?.content).toBe(`已报告 1 份下落不明，已立案 ${opened[0]!.id}`);
    expect((await repos.carriers.get(TENANT, 'JM-X3'))?.status).toBe('MISSING');
  });
});
