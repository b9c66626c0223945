import { getHeapStatistics } from 'node:v8';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App } from './core/app.js';
import { ConfigError, readPolicyFile, secretsOf, type Config } from './core/config.js';
import { createLogger, type Logger } from './core/logger.js';
import { Metrics } from './core/metrics.js';
import { dedupe, errorBoundary, i18n, ignoreSelf, sequentialize } from './core/middleware.js';
import type { Router } from './core/router.js';
import type { Services } from './core/types.js';
import { createLarkClient } from './transports/lark/client.js';
import { IntakeGate, startHttpServer, type HealthReport } from './transports/lark/http-server.js';
import { LarkSender } from './transports/lark/sender.js';
import { LarkDirectory } from './transports/lark/directory.js';
import { createEventsHandler } from './transports/lark/webhook.js';
import { LongConnection } from './transports/lark/ws.js';
import { buildRouter, type FeatureDeps } from '../handlers/index.js';
import { People } from '../handlers/approvals/people.js';
import type { ApprovalRepos } from '../handlers/approvals/ports.js';
import { ApprovalCards } from '../handlers/approvals/render.js';
import { ApprovalService, type ApprovalOptions } from '../handlers/approvals/service.js';
import { DEFAULT_POLICY_JSON, loadPolicy, type Policy } from '../domain/index.js';
import { AuditLogStore } from '../models/audit.model.js';
import { CarrierStore } from '../models/carrier.model.js';
import { CounterStore } from '../models/counter.model.js';
import { LedgerStore } from '../models/ledger.model.js';
import { NotificationLog } from '../models/notification.model.js';
import { ReminderStore } from '../models/reminder.model.js';
import { RequestStore, requestModel } from '../models/request.model.js';
import { CentreStore } from '../handlers/approvals/centre.js';
import { OutboxStore } from '../models/outbox.model.js';
import { CardStateStore } from '../models/card-state.model.js';
import { RoleStore } from '../models/role.model.js';
import { connectDb, type DbHandle } from '../models/connection.js';
import { MongoDedupeStore } from '../models/dedupe.model.js';
import { MongoUserPrefsStore } from '../models/user-prefs.model.js';
import { readTestFaults } from './test-faults.js';
import { LedgerReader } from '../models/ledger-reader.js';
import { AnchorStore } from '../models/anchor.model.js';
import { anchorDaily } from '../handlers/ledger/index.js';
import { ReminderSender, type ReminderClaims } from '../handlers/approvals/reminders.js';
import { ScheduleRunStore } from '../models/schedule.model.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import { botScheduler } from '../scheduler/tasks.js';
import { FanoutStore } from '../models/fanout.model.js';
import { FanoutService } from '../scheduler/fanout.js';
import { MotionStore } from '../models/motion.model.js';
import { MotionService, type MotionDeps } from '../handlers/committee/motions.js';
import { MeetingStore } from '../models/meeting.model.js';
import { MeetingService, type MeetingDeps } from '../handlers/committee/meetings.js';
import { LarkMeetingCalendar } from '../handlers/committee/calendar.js';
import { buildFeatures, type FeatureFactory, type FeatureModule, type IncidentApi } from '../handlers/features.js';
import { setIncidentSink } from '../handlers/approvals/effect-handlers.js';
import { AlarmStore } from '../models/alarm.model.js';
import { AlarmSweeper, type AlarmHandler } from '../scheduler/alarms.js';

export interface StartOptions {
  config: Config;
  logger?: Logger;
  /** An open database; otherwise one is connected from config (MONGODB_URI or embedded). */
  db?: DbHandle;
  /** Serves non-bot paths (the sandbox chat page). */
  fallback?: (req: IncomingMessage, res: ServerResponse) => void;
  /** Seconds since epoch, for webhook freshness checks in tests. */
  nowSeconds?: () => number;
  /** Sender back-off base (tests use small values). */
  backoffMs?: number;
  /** Delay before restarting a long connection the SDK gave up on (default 1 s, doubling). */
  wsRestartDelayMs?: number;
  /** The long connection's ping timeout (s) and the silence after which /healthz calls it dead (ms). */
  wsPingTimeoutSec?: number;
  wsMaxSilenceMs?: number;
  /** The clock (tests move it forward); default the system clock. */
  now?: () => Date;
  /** The unit's approval policy (JSON); default config/policy.default.json. */
  policy?: unknown;
  /** Fault injection for tests (see ApprovalService). */
  beforeEffect?: ApprovalOptions['beforeEffect'];
  afterEffect?: ApprovalOptions['afterEffect'];
  /** The effect runner's tuning (tests shorten the lease and the back-off). */
  effects?: ApprovalOptions['effects'];
  /** How often the effects sweep runs (default 5 s; the reminder sweep follows config.reminderSweep). */
  sweepIntervalMs?: number;
  /** Adds handlers before the router is mounted (tests register failing handlers here). */
  extendRouter?: (router: Router) => void;
  /** The features to build (default handlers/features.ts FEATURES; tests pass their own). */
  features?: readonly FeatureFactory[];
  /** When the Lark base URL depends on the port this server gets (sandbox: the stand-in is mounted here). */
  larkDomain?: (port: number) => string;
}

export interface RunningBot {
  app: App;
  services: Services;
  metrics: Metrics;
  server: Server;
  /** Base URL of the bot's HTTP server. */
  url: string;
  db: DbHandle;
  ws?: LongConnection;
  approvals: Approvals;
  /** Cadence and interval tasks (the sweeps), see scheduler/tasks.ts. */
  scheduler: Scheduler;
  /** Notices to many people (scheduler/fanout.ts). */
  fanout: FanoutService;
  /** Training, staff, incidents, the register's calendar (handlers/features.ts). */
  features: FeatureModule[];
  /** Their alarm sweep (tests call it after moving the clock). */
  alarms: AlarmSweeper;
  /**
   * A graceful stop: closes the intake (webhooks answered 503, the long connection closed), waits
   * for the events being handled (their effects included), the scheduler's runs and the fan-out's
   * sends in flight — at most `timeoutMs` (default 10 s) — then closes the HTTP server and the
   * store. Calling it again returns the same stop.
   */
  stop(opts?: StopOptions): Promise<StopReport>;
}

export interface StopOptions {
  /** How long the work under way may take to finish (ms; default 10 000). */
  timeoutMs?: number;
}

export interface StopReport {
  /** Everything under way finished within the bound. */
  clean: boolean;
  /** What was still running when the bound was hit (empty when clean). */
  unfinished: string[];
  /** The events still being handled then. */
  handlers: ReturnType<App['running']>;
  ms: number;
}

/** The default bound of a graceful stop (BAOMI_STOP_TIMEOUT_MS overrides it in bot/main.ts). */
/** Whether the process was started with a heap bound (on the command line or in NODE_OPTIONS). */
function heapBounded(): boolean {
  return [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((a) => /^--max[-_]old[-_]space[-_]size=\d+$/.test(a));
}

export const DEFAULT_STOP_TIMEOUT_MS = 10_000;

/** Wires config → store → Lark client → app → transport. Used by main.ts, tests and benchmarks. */
export async function startBot(opts: StartOptions): Promise<RunningBot> {
  const { config } = opts;
  const lark = config.lark ? { ...config.lark } : undefined;
  if (!lark) throw new Error('startBot needs Lark credentials (sandbox mode supplies the stand-in’s)');
  const logger = opts.logger ?? createLogger({ level: config.logLevel, secrets: secretsOf(config) });
  // TEST ONLY (ignored when NODE_ENV=production): BAOMI_TEST_FAULT / BAOMI_TEST_LEASE_MS, see test-faults.ts.
  const faults = readTestFaults(process.env, logger);
  const metrics = new Metrics();

  const db =
    opts.db ??
    (await connectDb({
      uri: config.mongodbUri,
      // A URI without a database name would otherwise land in the driver's default, "test".
      dbName: config.mongodbUri && /^mongodb(?:\+srv)?:\/\/[^/]+\/[^?/]+/.test(config.mongodbUri) ? undefined : 'baomi',
      log: (level, msg) => logger[level](msg),
    }));
  const dedupeStore = new MongoDedupeStore(db.connection, undefined, faults?.leaseMs);
  const prefs = new MongoUserPrefsStore(db.connection);
  await Promise.all([dedupeStore.init(), prefs.init()]);

  let events: ((req: IncomingMessage, res: ServerResponse) => Promise<void>) | undefined;
  let health: () => Promise<HealthReport> = async () => ({ ok: false, starting: true });
  // Closed first when the bot stops: no new webhook is taken in while the work under way finishes.
  const intakeGate = new IntakeGate();
  // In sandbox mode the Open API is served by this very server, so its URL is known only after listen().
  const server = await startHttpServer({
    port: config.port,
    logger,
    metrics,
    intake: intakeGate,
    events: (req, res) => (events ? events(req, res) : Promise.resolve(void res.writeHead(404).end())),
    health: () => health(),
    fallback: opts.fallback,
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  if (opts.larkDomain) lark.domain = opts.larkDomain(port);

  const bundle = createLarkClient(lark, { logger });
  const sender = new LarkSender(bundle, { logger, metrics, backoffMs: opts.backoffMs });
  const self: Services['self'] = { appId: lark.appId };
  const services: Services = {
    sender,
    directory: new LarkDirectory(sender, logger),
    logger,
    self,
    defaultLocale: config.locale,
    timezone: config.timezone,
    prefs,
    dedupe: dedupeStore,
    metrics,
    now: () => new Date(),
  };
  const approvals = await wireApprovals(db, services, config, logger, faults ? withTestFaults(opts, faults) : opts);
  faults?.wrap(approvals.repos);
  const runs = new ScheduleRunStore(db.connection);
  const fanoutStore = new FanoutStore(db.connection);
  await Promise.all([runs.init(), fanoutStore.init()]);
  // Fan-out sends are paced by the fan-out itself: its sender does not retry a 429 on its own.
  const fanoutSender = new LarkSender(bundle, { logger, metrics, backoffMs: opts.backoffMs, attempts: 1 });
  const fanout = new FanoutService({ store: fanoutStore, sender: fanoutSender, logger, rate: config.fanout.rate, perChat: config.fanout.perChat });
  const clock = opts.now ? { now: opts.now } : undefined;
  const motionStore = new MotionStore(db.connection);
  const meetingStore = new MeetingStore(db.connection);
  await Promise.all([motionStore.init(), meetingStore.init()]);
  const motionDeps: MotionDeps = {
    motions: motionStore,
    counters: approvals.repos.counters,
    roles: approvals.repos.roles,
    people: approvals.deps.people,
    audit: approvals.repos.audit,
    prefs,
    fanout,
    logger,
    timezone: config.timezone,
    defaultLocale: config.locale,
    rules: config.committee.voteRules,
    ...(opts.now ? { now: opts.now } : {}),
  };
  const motions = new MotionService(motionDeps);
  const meetingDeps: MeetingDeps = { ...motionDeps, meetings: meetingStore, sender, calendar: new LarkMeetingCalendar(sender) };
  const meetings = new MeetingService(meetingDeps);
  // Training, staff, incidents, the register's calendar: their alarms and calendar tasks.
  const alarmStore = new AlarmStore(db.connection);
  await alarmStore.init();
  const now = opts.now ?? (() => new Date());
  const features = await buildFeatures(
    {
      connection: db.connection,
      services,
      repos: approvals.repos,
      people: approvals.deps.people,
      approvals: approvals.service,
      policy: approvals.policy,
      fanout,
      notify: { fanout, prefs, defaultLocale: config.locale, names: (t, ids) => approvals.deps.people.names(t, ids) },
      alarms: alarmStore,
      timezone: config.timezone,
      defaultLocale: config.locale,
      env: process.env,
      now,
    },
    opts.features,
  );
  // The approvals' failed supervision checks open incident drafts (the service was built before the features).
  setIncidentSink(approvals.repos, features.find((f) => f.name === 'incident')?.api as IncidentApi | undefined);
  const alarmHandlers = new Map<string, AlarmHandler>();
  for (const f of features) if (f.alarm) alarmHandlers.set(f.name, f.alarm.bind(f));
  const alarmSweeper = new AlarmSweeper({ store: alarmStore, handlers: alarmHandlers, logger, now, ...(faults?.leaseMs ? { lockMs: faults.leaseMs } : {}) });
  const reminders = new ReminderSender({
    // The store behind the approval port is the ReminderStore, whose claims return whole records.
    repos: { ...approvals.repos, reminders: approvals.repos.reminders as unknown as ReminderClaims },
    service: approvals.service,
    people: approvals.deps.people,
    sender,
    prefs,
    policy: approvals.policy,
    logger,
    timezone: config.timezone,
    defaultLocale: config.locale,
    ...(opts.now ? { now: opts.now } : {}),
    ...(faults?.leaseMs ? { lockMs: faults.leaseMs } : {}),
    ...(faults?.reminder ?? {}),
  });
  const scheduler = botScheduler({
    runs,
    timezone: config.timezone,
    logger,
    ...(clock ? { clock } : {}),
    service: approvals.service,
    reminders,
    fanout,
    alarms: alarmSweeper,
    cadences: features.flatMap((f) => f.cadences ?? []),
    committee: {
      sweep: async () => {
        const m = await motions.sweep();
        const n = await meetings.sweep();
        return { closed: m.closed, reminded: m.reminded + n.sent };
      },
    },
    committeePlan: {
      // Tenants with a committee (chair or members granted through /role).
      run: async (slot) => {
        const tenants = (await db.connection.collection('roles').distinct('tenantKey', { role: { $in: ['committee_chair', 'committee_member'] } })) as string[];
        return meetings.planReminder(slot, config.committee.months, tenants);
      },
    },
    effectsEveryMs: opts.sweepIntervalMs ?? 5_000,
    reminderCron: config.reminderSweep,
  });
  const app = new App(services);
  const router = buildRouter({
    ...approvals.deps,
    scheduler,
    committee: { deps: motionDeps, motions, meetingDeps, meetings },
    features,
    undelivered: { fanout: { store: fanoutStore, service: fanout }, alarms: { store: alarmStore, sweeper: alarmSweeper }, audit: approvals.repos.audit, now },
  });
  opts.extendRouter?.(router);
  app.use(ignoreSelf, dedupe, sequentialize(), i18n, errorBoundary, router.middleware());

  void discoverSelf(sender, self, logger);

  const intakeDeps = { app, logger, metrics, selfOpenId: () => self.openId };
  let stopping: Promise<StopReport> | undefined;
  let ws: LongConnection | undefined;
  if (lark.transport === 'ws') {
    ws = new LongConnection({
      ...intakeDeps,
      lark,
      restartDelayMs: opts.wsRestartDelayMs,
      ...(opts.wsPingTimeoutSec !== undefined ? { pingTimeoutSec: opts.wsPingTimeoutSec } : {}),
      ...(opts.wsMaxSilenceMs !== undefined ? { maxSilenceMs: opts.wsMaxSilenceMs } : {}),
    });
    ws.start();
  }
  events =
    lark.transport === 'webhook'
      ? createEventsHandler({
          ...intakeDeps,
          encryptKey: lark.encryptKey,
          verificationToken: lark.verificationToken,
          nowSeconds: opts.nowSeconds,
        })
      : undefined;

  let tokenCheck: { ok: boolean; at: number; error?: string } | undefined;
  health = async (): Promise<HealthReport> => {
    let store: { ok: boolean; embedded: boolean; error?: string };
    try {
      await db.connection.db!.admin().ping();
      store = { ok: true, embedded: db.embedded };
    } catch (err) {
      store = { ok: false, embedded: db.embedded, error: (err as Error).message };
    }
    if (!tokenCheck || Date.now() - tokenCheck.at > 60_000) {
      try {
        const r = (await bundle.client.auth.v3.tenantAccessToken.internal({
          data: { app_id: lark.appId, app_secret: lark.appSecret },
        })) as { code?: number; msg?: string };
        tokenCheck = { ok: r.code === 0, at: Date.now(), error: r.code === 0 ? undefined : r.msg };
      } catch (err) {
        tokenCheck = { ok: false, at: Date.now(), error: (err as Error).message };
      }
    }
    // Long connection: its state and the age of the last frame from Lark; dead (503) when silent.
    const connection = ws?.health();
    const larkStatus = { ok: tokenCheck.ok, transport: lark.transport, error: tokenCheck.error, ...(ws && connection ? { connected: ws.ready, connection } : {}) };
    return { ok: store.ok && tokenCheck.ok && (connection?.ok ?? true), store, lark: larkStatus };
  };

  // Finish whatever a previous process committed but did not carry out (the effects sweep runs at
  // once, then every 5 s), send the reminders that came due meanwhile (the reminder sweep's latest
  // missed slot), then keep both going (scheduler/tasks.ts).
  void scheduler.start().catch((err: unknown) => logger.error('the scheduler did not start', { err: (err as Error).message }));
  // The ledgers' daily anchor (one per tenant and local day across instances; the hourly tick only
  // claims the day's key, so a restart never skips a day). The scheduler may take this over.
  const ledgerDeps = approvals.deps.ledgers!;
  let anchorRun: Promise<unknown> = Promise.resolve();
  const anchorTick = setInterval(() => {
    anchorRun = anchorDaily({ ...ledgerDeps, sender, timezone: config.timezone }).catch((err: unknown) =>
      logger.error('daily ledger anchor failed', { err: (err as Error).message }),
    );
  }, 3_600_000);
  anchorTick.unref();
  const heapLimitMb = Math.round(getHeapStatistics().heap_size_limit / 2 ** 20);
  logger.info('bot started', { transport: lark.transport, port, sandbox: config.sandbox, store: db.embedded ? 'embedded' : 'mongodb', heapLimitMb });
  // Unbounded, V8 sizes the heap from the machine's memory and collects lazily: a large export's
  // garbage then shows up as resident memory (docs/operations.md, Memory).
  if (!config.sandbox && !heapBounded()) {
    logger.warn('the V8 heap is not bounded; start with node --max-old-space-size=512 (npm run start:prod and the image do)', { heapLimitMb });
  }

  return {
    app,
    services,
    metrics,
    server,
    url,
    db,
    ws,
    approvals,
    scheduler,
    fanout,
    features,
    alarms: alarmSweeper,
    stop(o: StopOptions = {}) {
      stopping ??= gracefulStop(o.timeoutMs ?? DEFAULT_STOP_TIMEOUT_MS);
      return stopping;
    },
  };

  async function gracefulStop(boundMs: number): Promise<StopReport> {
    const started = Date.now();
    // 1. Intake: new webhooks are answered 503 (Lark delivers them again), the long connection is
    //    closed (what it had not acknowledged Lark pushes again), no new anchor or scheduled run.
    intakeGate.close();
    ws?.stop();
    clearInterval(anchorTick);
    // 2. The work under way: events being handled (a handler goes on after its acknowledgement,
    //    e.g. a click's effects in the runner's slots), the scheduler's runs (the effects, reminder
    //    and alarm sweeps), the fan-out's sends in flight (the rest of a notice waits in the store).
    const work: Record<string, Promise<unknown>> = {
      handlers: intakeGate.idle().then(() => app.idle()),
      scheduler: scheduler.stop(boundMs),
      fanout: fanout.stop(),
      anchor: anchorRun,
    };
    const unfinished = new Set(Object.keys(work));
    for (const [name, p] of Object.entries(work)) {
      const done = () => void unfinished.delete(name);
      p.then(done, done);
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled(Object.values(work)), new Promise((r) => (timer = setTimeout(r, boundMs)))]);
    clearTimeout(timer);
    const handlers = app.running();
    const clean = unfinished.size === 0;
    if (!clean) logger.error('stop: the bound was hit; exiting with work unfinished', { boundMs, unfinished: [...unfinished], handlers, webhooks: intakeGate.inFlight });
    // 3. The HTTP server (no new connection; requests on open ones are answered — events 503 with
    //    `connection: close` — for a moment, then every connection is cut), then the store.
    await new Promise<void>((r) => {
      const cut = setTimeout(() => server.closeAllConnections(), clean ? 1_000 : 0);
      server.close(() => {
        clearTimeout(cut);
        r();
      });
      server.closeIdleConnections();
    });
    if (!opts.db) await db.close();
    const ms = Date.now() - started;
    logger.info('stopped', { clean, ms });
    return { clean, unfinished: [...unfinished], handlers, ms };
  }
}

export interface Approvals {
  service: ApprovalService;
  policy: Policy;
  deps: FeatureDeps;
  repos: ApprovalRepos;
}

/** Repositories, people, policy and the approval service, on one database connection. */
async function wireApprovals(db: DbHandle, services: Services, config: Config, logger: Logger, opts: StartOptions): Promise<Approvals> {
  const conn = db.connection;
  const repos: ApprovalRepos = {
    requests: new RequestStore(conn),
    outbox: new OutboxStore(conn),
    cardState: new CardStateStore(conn),
    carriers: new CarrierStore(conn),
    reminders: new ReminderStore(conn),
    notifications: new NotificationLog(conn),
    ledger: new LedgerStore(conn),
    audit: new AuditLogStore(conn),
    counters: new CounterStore(conn),
    roles: new RoleStore(conn, { admins: config.admins }),
  };
  await Promise.all(Object.values(repos).map((r) => (r as { init(): Promise<void> }).init()));
  const loaded = loadPolicy(opts.policy ?? (config.policyFile ? readPolicyFile(config.policyFile) : DEFAULT_POLICY_JSON));
  if (!loaded.ok) throw new ConfigError(`BAOMI_POLICY: the approval policy is invalid:\n  ${loaded.errors.join('\n  ')}`, 'BAOMI_POLICY');
  logger.info('approval policy loaded', { version: loaded.policy.version, file: config.policyFile ?? 'config/policy.default.json' });
  const people = new People(repos.roles, services.directory);
  // The ledgers for the security office (/ledger, /export, /verify) and their anchors.
  const ledgerReader = new LedgerReader(conn);
  const anchors = new AnchorStore(conn);
  await Promise.all([ledgerReader.init(), anchors.init()]);
  // Each holder's card in the holder's language (/lang applies to cards too).
  const cards = new ApprovalCards(people, config.timezone, undefined, { get: (t, id) => services.prefs.getLocale(t, id), defaultLocale: config.locale });
  const service = new ApprovalService({
    repos,
    people,
    policy: loaded.policy,
    sender: services.sender,
    prefs: services.prefs,
    cards,
    logger,
    timezone: config.timezone,
    defaultLocale: config.locale,
    metrics: services.metrics,
    // baomi_dead_letters counts every kind /deadletters lists: effects, notices, alarms.
    effects: {
      ...opts.effects,
      countDead: async () => {
        const [effects, notices, alarms] = await Promise.all([repos.outbox.countDead(), new FanoutStore(conn).countFailed(), new AlarmStore(conn).countFailed()]);
        return effects + notices + alarms;
      },
    },
    beforeEffect: opts.beforeEffect,
    afterEffect: opts.afterEffect,
    ...(opts.now ? { now: opts.now } : {}),
  });
  return {
    service,
    policy: loaded.policy,
    repos,
    deps: {
      service,
      people,
      requests: repos.requests,
      carriers: repos.carriers,
      cards,
      roles: repos.roles,
      audit: repos.audit,
      ledger: repos.ledger,
      centre: new CentreStore(requestModel(conn)),
      ledgers: { reader: ledgerReader, anchors, people, directory: services.directory, carriers: repos.carriers, audit: repos.audit, roles: repos.roles },
    },
  };
}

/** The bot's open_id, so group messages count as addressed only when the bot is mentioned. */
async function discoverSelf(sender: LarkSender, self: Services['self'], logger: Logger): Promise<void> {
  try {
    const body = await sender.call('bot.info', () => sender.client.request({ method: 'GET', url: '/open-apis/bot/v3/info' }));
    const openId = (body.bot as { open_id?: string } | undefined)?.open_id;
    if (openId) self.openId = openId;
  } catch (err) {
    logger.warn('could not read the bot’s own open_id; any @mention in a group is taken as addressed to the bot', { err: (err as Error).message });
  }
}

/** TEST ONLY: the fault switch's effect hook and lease, next to whatever the caller passed. */
function withTestFaults(opts: StartOptions, faults: NonNullable<ReturnType<typeof readTestFaults>>): StartOptions {
  const { beforeEffect: mine } = faults;
  const theirs = opts.beforeEffect;
  return {
    ...opts,
    ...(mine
      ? {
          beforeEffect: (e, i) => {
            theirs?.(e, i);
            mine(e, i);
          },
        }
      : {}),
    ...(faults.leaseMs ? { effects: { ...opts.effects, leaseMs: faults.leaseMs } } : {}),
  };
}
