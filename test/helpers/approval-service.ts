/**
 * The approval service on a real store (embedded, or MONGODB_URI) with the demo organisation, a
 * recording sender that can refuse chosen recipients the way Lark does, and no Lark-side uuid
 * de-duplication (so exactly-once is the bot's own doing). For service-level fault and race tests
 * that need hundreds of requests, which the e2e harness would make slow.
 */
import { readFileSync } from 'node:fs';
import mongoose from 'mongoose';
import { silentLogger } from '../../bot/core/logger.js';
import { Metrics } from '../../bot/core/metrics.js';
import type { CardJson, Department, Directory, OutMessage, Person, Recipient, Sender } from '../../bot/core/types.js';
import { People } from '../../handlers/approvals/people.js';
import type { ApprovalRepos } from '../../handlers/approvals/ports.js';
import { ApprovalCards } from '../../handlers/approvals/render.js';
import { ApprovalService, type ApprovalOptions } from '../../handlers/approvals/service.js';
import { defaultPolicy, type Command, type Request } from '../../domain/index.js';
import { AuditLogStore } from '../../models/audit.model.js';
import { CardStateStore } from '../../models/card-state.model.js';
import { CarrierStore } from '../../models/carrier.model.js';
import { CounterStore } from '../../models/counter.model.js';
import { LedgerStore } from '../../models/ledger.model.js';
import { NotificationLog } from '../../models/notification.model.js';
import { OutboxStore } from '../../models/outbox.model.js';
import { ReminderStore } from '../../models/reminder.model.js';
import { RequestStore } from '../../models/request.model.js';
import { RoleStore } from '../../models/role.model.js';
import { seedDemo } from '../../sandbox/demo.js';
import type { DemoOrg } from '../../sandbox/lark/server.js';
import type { TestDb } from './mongo.js';

export const ORG = JSON.parse(readFileSync(new URL('../../sandbox/lark/seed/demo-org.json', import.meta.url), 'utf8')) as DemoOrg & {
  users: { open_id: string; name: string; en_name?: string; department_ids: string[]; demo_roles?: string[] }[];
  departments: { department_id: string; name: string; en_name?: string; leader_user_id?: string }[];
};

/** A Lark refusal as the sender reports it. */
export class FakeLarkError extends Error {
  constructor(
    readonly code: number,
    readonly permanent: boolean,
  ) {
    super(`im.message.create failed: code ${code}`);
  }
}

/**
 * Records every send and patch. `refuse(openId, code)` makes Lark refuse messages to that person
 * for good (e.g. 230013, outside the app's availability); `flaky(openId, n)` fails the next n
 * sends to them with a retryable error. No uuid de-duplication: a second send is a second message.
 */
export class RecordingSender implements Sender {
  readonly sent: { to: Recipient; message: OutMessage; uuid: string; messageId: string }[] = [];
  readonly patches: { messageId: string; card: CardJson }[] = [];
  private readonly refused = new Map<string, number>();
  private readonly failing = new Map<string, number>();
  private n = 0;
  /** Milliseconds every send takes (so concurrent runners overlap). */
  delayMs = 0;
  refuse(openId: string, code = 230013): void {
    this.refused.set(openId, code);
  }
  allow(openId: string): void {
    this.refused.delete(openId);
  }
  flaky(openId: string, times: number): void {
    this.failing.set(openId, times);
  }
  async send(to: Recipient, message: OutMessage, opts: { uuid: string }) {
    const who = 'openId' in to ? to.openId : to.chatId;
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    const code = this.refused.get(who);
    if (code !== undefined) throw new FakeLarkError(code, true);
    const left = this.failing.get(who) ?? 0;
    if (left > 0) {
      this.failing.set(who, left - 1);
      throw new FakeLarkError(500, false);
    }
    const messageId = `om_rec_${++this.n}`;
    this.sent.push({ to, message, uuid: opts.uuid, messageId });
    return { messageId };
  }
  async reply(messageId: string, message: OutMessage, opts: { uuid: string }) {
    return this.send({ chatId: `reply:${messageId}` }, message, opts);
  }
  async patchCard(messageId: string, card: CardJson) {
    this.patches.push({ messageId, card });
  }
  async uploadFile() {
    return { fileKey: `file_${++this.n}` };
  }
  to(openId: string) {
    return this.sent.filter((s) => 'openId' in s.to && s.to.openId === openId);
  }
}

/** The demo organisation as Lark's contact API would answer it. */
export function demoDirectory(): Directory {
  const person = (u: (typeof ORG.users)[number]): Person => ({
    openId: u.open_id,
    name: u.name,
    ...(u.en_name ? { enName: u.en_name } : {}),
    departmentIds: u.department_ids,
  });
  const users = new Map(ORG.users.map((u) => [u.open_id, person(u)]));
  const depts = new Map<string, Department>(
    ORG.departments.map((d) => [
      d.department_id,
      { id: d.department_id, name: d.name, ...(d.en_name ? { enName: d.en_name } : {}), ...(d.leader_user_id ? { leaderUserId: d.leader_user_id } : {}) },
    ]),
  );
  const dir = {
    user: async (_t: string, id: string) => users.get(id),
    department: async (_t: string, id: string) => depts.get(id),
    lookup: async (_t: string, id: string) => users.get(id),
    activeUsers: async (_t: string, limit: number) => [...users.values()].slice(0, limit),
  };
  return dir as unknown as Directory;
}

export const TENANT = 'tenant-svc';

export interface ServiceHarness {
  service: ApprovalService;
  repos: ApprovalRepos;
  sender: RecordingSender;
  metrics: Metrics;
  clock: { now: Date };
  /** Another instance of the bot on its own connection to the same database. */
  another(extra?: Partial<ApprovalOptions>): Promise<{ service: ApprovalService; repos: ApprovalRepos; close(): Promise<void> }>;
}

function reposOn(conn: mongoose.Connection, now: () => Date): ApprovalRepos {
  return {
    requests: new RequestStore(conn, now),
    outbox: new OutboxStore(conn, now),
    cardState: new CardStateStore(conn, now),
    carriers: new CarrierStore(conn, now),
    reminders: new ReminderStore(conn),
    notifications: new NotificationLog(conn, now),
    ledger: new LedgerStore(conn),
    audit: new AuditLogStore(conn),
    counters: new CounterStore(conn),
    roles: new RoleStore(conn, { admins: [] }),
  };
}

export async function serviceHarness(db: TestDb, extra: Partial<ApprovalOptions> = {}): Promise<ServiceHarness> {
  const clock = { now: new Date() };
  const now = () => clock.now;
  const sender = new RecordingSender();
  const metrics = new Metrics();
  const directory = demoDirectory();
  const build = (repos: ApprovalRepos, more: Partial<ApprovalOptions>) => {
    const people = new People(repos.roles, directory);
    return new ApprovalService({
      repos,
      people,
      policy: defaultPolicy(),
      sender,
      prefs: { getLocale: async () => undefined },
      cards: new ApprovalCards(people, 'Asia/Shanghai', now),
      logger: silentLogger,
      timezone: 'Asia/Shanghai',
      defaultLocale: 'zh-CN',
      now,
      metrics,
      ...more,
    });
  };
  const repos = reposOn(db.connection, now);
  await Promise.all(Object.values(repos).map((r) => (r as { init(): Promise<void> }).init()));
  await seedDemo(repos, ORG, TENANT);
  return {
    service: build(repos, extra),
    repos,
    sender,
    metrics,
    clock,
    async another(more = {}) {
      const conn = await mongoose.createConnection(db.uri, { dbName: db.dbName }).asPromise();
      const r = reposOn(conn, now);
      return { service: build(r, { ...extra, ...more }), repos: r, close: () => conn.close() };
    },
  };
}

/** Whoever the chain names decides, step after step, until the request is APPROVED. */
export async function approveAll(service: ApprovalService, repos: ApprovalRepos, id: string): Promise<Request> {
  for (let i = 0; i < 10; i++) {
    const stored = (await repos.requests.get(TENANT, id))!;
    const r = stored.request;
    if (r.state !== 'IN_APPROVAL') return r;
    const step = r.steps[r.currentStep!]!;
    const decided = new Set(r.steps.map((s) => s.decidedBy));
    const who = step.assignees.find((a) => a !== r.requesterId && !decided.has(a))!;
    const res = await service.act(TENANT, id, { type: 'approve' } as Command, who, 'command');
    if (!res.ok) throw new Error(`approve ${id} step ${r.currentStep! + 1} by ${who}: ${res.error.code}`);
    await res.done;
  }
  throw new Error(`${id} not approved after 10 steps`);
}

/** Registers a 机密 paper carrier (metadata only) in the test tenant's register. */
export async function registerCarrier(repos: ApprovalRepos, number: string, by = 'ou_f6e440d0604342760f037796e92f5830'): Promise<void> {
  const r = await repos.carriers.create(TENANT, {
    number,
    regime: 'STATE_SECRET',
    level: 'SECRET',
    carrierType: '纸质',
    alias: `别名 ${number}`,
    copyRestricted: false,
    mustReturnToIssuer: false,
    count: 1,
    origin: 'registered',
    createdBy: by,
  });
  if (!r.ok) throw new Error(`carrier ${number} is already registered`);
}

/** The local date `days` from `from` in the unit's time zone (YYYY-MM-DD), e.g. a due-back day. */
export function localDateIn(days: number, from = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(from.getTime() + days * 86_400_000));
}
