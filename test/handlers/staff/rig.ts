// The staff feature built through its factory on the embedded store, with the demo organisation's
// roles and register (serviceHarness), a fake clock, a recording fan-out (which, like the real one,
// takes each notice id once), the real alarm store and sweep, and the router behind the bot's
// middleware, so commands, clicks and Lark's events run as they would in the bot.
import type { App } from '../../../bot/core/app.js';
import type { Directory, Services } from '../../../bot/core/types.js';
import { Router } from '../../../bot/core/router.js';
import { silentLogger } from '../../../bot/core/logger.js';
import { defaultPolicy } from '../../../domain/index.js';
import { People } from '../../../handlers/approvals/people.js';
import type { ApprovalRepos } from '../../../handlers/approvals/ports.js';
import type { FeatureContext, FeatureModule, TrainingApi } from '../../../handlers/features.js';
import { staffFeature } from '../../../handlers/staff/index.js';
import { AlarmStore } from '../../../models/alarm.model.js';
import { AlarmSweeper } from '../../../scheduler/alarms.js';
import { FakeClock } from '../../../scheduler/clock.js';
import type { FanoutInput } from '../../../scheduler/fanout.js';
import { demoDirectory, serviceHarness, TENANT } from '../../helpers/approval-service.js';
import { appWith, dispatch, fakeServices, textEvent, type FakeSender, type MemoryPrefs } from '../../helpers/fake-services.js';
import { afterAll, afterEach, beforeAll, beforeEach, vi } from 'vitest';
import { useTestDb, type TestDb } from '../../helpers/mongo.js';

export const TZ = 'Asia/Shanghai';
export const DAY = 86_400_000;
/** The demo organisation (sandbox/lark/seed/demo-org.json) as seeded by serviceHarness. */
export const U = {
  head: 'ou_e4b0b11b698d22a0bd7559d2b2cc5917', // 张伟: security_head, admin
  officer: 'ou_f6e440d0604342760f037796e92f5830', // 李娜: security_officer
  officer2: 'ou_3d727b0ca15b4633069e38302d59c830', // 黄敏: security_officer
  leader: 'ou_8fbd6a6e1c05bbab7f4345207e5d5249', // 王强: leader (not an officer)
  zhao: 'ou_29eacd7ebd92f24f7e1a5dba6b277743', // 赵磊: staff
  zhou: 'ou_bc069cd99b82ad8c509d23d6d056fff6', // 周杰: staff
  sun: 'ou_34bf8052ce3c4a7d967c03c0a763b2b2', // 孙浩: staff
};
export { TENANT };

/** The staff suites' database: opened once, its staff, alarms and carriers emptied before each test, mocks restored after. */
export function useStaffDb(set: (db: TestDb) => void): void {
  let db: TestDb;
  beforeAll(async () => {
    db = await useTestDb();
    set(db);
  });
  afterAll(() => db.close());
  afterEach(() => {
    vi.restoreAllMocks();
  });
  beforeEach(async () => {
    for (const c of ['staff', 'alarms', 'carriers']) await db.connection.collection(c).deleteMany({});
  });
}

export interface AuditCall {
  actorId: string;
  action: string;
  objectId: string;
  outcome: string;
  channel: string;
  reason?: string;
}

export interface StaffRig {
  db: TestDb;
  repos: ApprovalRepos;
  feature: FeatureModule;
  router: Router;
  app: App;
  services: Services & { sender: FakeSender; prefs: MemoryPrefs };
  clock: FakeClock;
  alarms: AlarmStore;
  sweeper: AlarmSweeper;
  /** Every notice handed to the fan-out (each id once, like the real fan-out). */
  sent: FanoutInput[];
  /** Every call, repeats included. */
  calls: FanoutInput[];
  audits: AuditCall[];
  /** The training feature's confirmed onboarding attendance. */
  trained: Map<string, Date>;
  /** Sends `text` as `from` in their private chat; returns the bot's answers (texts and cards). */
  say(from: string, text: string, over?: Parameters<typeof textEvent>[1]): Promise<{ texts: string[]; cards: unknown[] }>;
  /** Ids of the notices sent to `openId` (after the tenant prefix). */
  noticesTo(openId: string): FanoutInput[];
}

export async function staffRig(
  db: TestDb,
  opts: { env?: NodeJS.ProcessEnv; start?: string; directory?: Directory; withTraining?: boolean; repos?: ApprovalRepos } = {},
): Promise<StaffRig> {
  const repos = opts.repos ?? (await serviceHarness(db)).repos;
  const clock = new FakeClock(opts.start ?? '2026-12-01T01:00:00Z');
  const directory = opts.directory ?? demoDirectory();
  const services = fakeServices({ directory, timezone: TZ });
  const sent: FanoutInput[] = [];
  const calls: FanoutInput[] = [];
  const audits: AuditCall[] = [];
  const trained = new Map<string, Date>();
  const fanout = {
    send: async (i: FanoutInput) => {
      calls.push(i);
      const created = !sent.some((s) => s.id === i.id);
      if (created) sent.push(i);
      return { noticeId: i.id, total: i.recipients.length, created, done: Promise.resolve() };
    },
  };
  const alarms = new AlarmStore(db.connection);
  await alarms.init();
  const audit = {
    record: async (t: string, a: Parameters<ApprovalRepos['audit']['record']>[1]) => {
      audits.push({ actorId: a.actorId, action: a.action, objectId: a.objectId, outcome: a.outcome, channel: a.channel, ...(a.reason ? { reason: a.reason } : {}) });
      return repos.audit.record(t, a);
    },
  };
  const training: TrainingApi = { completed: async (_t, openId, kind) => (kind === 'onboarding' ? (trained.get(openId) ?? null) : null) };
  const ctx: FeatureContext = {
    connection: db.connection,
    services,
    repos: { ...repos, audit },
    people: new People(repos.roles, directory),
    approvals: {} as never,
    policy: defaultPolicy(),
    fanout,
    notify: { fanout, prefs: services.prefs, defaultLocale: 'zh-CN' },
    alarms,
    timezone: TZ,
    defaultLocale: 'zh-CN',
    env: opts.env ?? {},
    now: () => clock.now(),
    api: <T>(name: string) => (name === 'training' && opts.withTraining !== false ? (training as T) : undefined),
  };
  const feature = staffFeature(ctx);
  await feature.init?.();
  const router = new Router();
  feature.register?.(router);
  const { app } = appWith(router, services);
  const sweeper = new AlarmSweeper({ store: alarms, handlers: new Map([['staff', (a) => feature.alarm!(a)]]), logger: silentLogger, now: () => clock.now() });
  const rig: StaffRig = {
    db,
    repos,
    feature,
    router,
    app,
    services,
    clock,
    alarms,
    sweeper,
    sent,
    calls,
    audits,
    trained,
    async say(from, text, over = {}) {
      const before = services.sender.sent.length;
      await dispatch(app, textEvent(text, { tenantKey: TENANT, sender: { openId: from, type: 'user' }, chatId: `oc_p2p_${from}`, ...over }));
      const out = services.sender.sent.slice(before);
      return {
        texts: out.flatMap((s) => (s.message?.type === 'text' ? [s.message.text] : [])),
        cards: out.flatMap((s) => (s.message?.type === 'card' ? [s.message.card] : [])),
      };
    },
    noticesTo(openId) {
      return sent.filter((s) => s.recipients.some((r) => 'openId' in r.to && r.to.openId === openId));
    },
  };
  return rig;
}
