/**
 * A reminder is sent exactly once when the process sending it dies. The bot runs as a child process
 * (as in crash-process.test.ts) against the stand-in (uuid de-duplication off: every send is a
 * message) and the embedded store on loopback, with the reminder sweep every second and a 1 s claim:
 *
 * 1. process A claims the due reminder and is killed (SIGKILL) before sending it;
 * 2. process B takes it once A's claim ran out, sends it, and is killed before marking it sent;
 * 3. process C finds it in the message log: marked sent, not sent again.
 */
import mongoose from 'mongoose';
import { spawnBot, type BotProcess } from './bot-process.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApprovalRepos } from '../../handlers/approvals/ports.js';
import { CarrierStore } from '../../models/carrier.model.js';
import { LedgerStore } from '../../models/ledger.model.js';
import { RoleStore } from '../../models/role.model.js';
import { seedDemo } from '../../sandbox/demo.js';
import { startLarkStandIn, type LarkStandIn } from '../../sandbox/lark/server.js';
import { startEmbeddedMongo, type EmbeddedMongo } from '../../sandbox/mongo/server.js';
import { replyTo } from './approval-helpers.js';
import { APP, ENCRYPT_KEY, USERS, VERIFICATION_TOKEN } from './harness.js';

let mongo: EmbeddedMongo;
let conn: mongoose.Connection;
let standIn: LarkStandIn;
let dbUri: string;
const T = () => standIn.directory.tenantKey;
type Child = BotProcess;
const children: Child[] = [];

/** Starts a bot process; with `mayDie`, one that kills itself before it is healthy is returned too. */
async function startChild(fault?: string, mayDie = false): Promise<Child> {
  const child = await spawnBot({
    standIn,
    dbUri,
    ...(fault ? { fault } : {}),
    mayDie,
    env: { BAOMI_LOG_LEVEL: process.env.CRASH_LOG ?? 'warn', BAOMI_TEST_LEASE_MS: '1000', BAOMI_REMINDER_SWEEP: '* * * * * *' },
  });
  children.push(child);
  return child;
}

async function expectKilled(child: Child, timeoutMs = 10_000): Promise<void> {
  const exit = await Promise.race([child.exited, new Promise<'alive'>((r) => setTimeout(() => r('alive'), timeoutMs))]);
  expect(exit, child.output()).toEqual({ code: null, signal: 'SIGKILL' });
}

beforeAll(async () => {
  mongo = await startEmbeddedMongo({ port: 0 });
  dbUri = mongo.uri.replace('/?', `/crash_rem_${process.pid}?`);
  conn = await mongoose.createConnection(dbUri).asPromise();
  standIn = await startLarkStandIn({ ...APP, encryptKey: ENCRYPT_KEY, verificationToken: VERIFICATION_TOKEN, dedupeUuid: false });
  const repos = { roles: new RoleStore(conn, { admins: [] }), carriers: new CarrierStore(conn), ledger: new LedgerStore(conn) } as unknown as ApprovalRepos;
  await seedDemo(repos, standIn.directory.org, T());
}, 30_000);

afterAll(async () => {
  for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGTERM');
  await Promise.all(children.map((c) => c.exited));
  await standIn?.stop();
  await conn?.close();
  await mongo?.stop();
});

describe('a reminder across process deaths', () => {
  it('killed after the claim, then after the send: sent exactly once', { timeout: 60_000 }, async () => {
    const a = await startChild('kill:reminder:after-claim:approval.remind');
    const sent = await standIn.sendText(USERS.staffGeneral, null, '/copy carrier=MM-2026-001 copies=1 purpose=提醒崩溃测试');
    const id = /CP-\d{4}-\d{4}/.exec(await replyTo(standIn, sent, 5000))?.[0] ?? '';
    expect(id).toBeTruthy();
    const reminders = conn.collection('reminders');
    const filter = { tenantKey: T(), requestId: id, kind: 'approval.remind', 'target.openId': USERS.generalHead };
    await standIn.waitFor(async () => (await reminders.countDocuments(filter)) === 1, 5000, 'the reminder record');
    // Due now (instead of in 24 h): A's next sweep claims it and dies.
    await reminders.updateOne(filter, { $set: { dueAt: new Date(Date.now() - 1000) } });
    await expectKilled(a);
    const claimed = await reminders.findOne(filter);
    expect(claimed).toMatchObject({ state: 'pending' });
    expect(claimed!.lockedUntil).toBeInstanceOf(Date);
    const reminded = () =>
      standIn.messages((m) => m.chat_id === standIn.p2pChatId(USERS.generalHead) && m.msg_type === 'text' && m.body.content.includes(id) && m.body.content.includes('等待您审批'));
    expect(reminded()).toHaveLength(0);

    // It may send at its start-up catch-up, before it is even healthy.
    const b = await startChild('kill:reminder:after-send:approval.remind', true);
    await expectKilled(b);
    expect(reminded()).toHaveLength(1);
    expect(await reminders.findOne(filter)).toMatchObject({ state: 'pending' });

    await startChild();
    await standIn.waitFor(async () => (await reminders.findOne(filter))?.state === 'sent', 10_000, 'the reminder marked sent');
    await new Promise((r) => setTimeout(r, 1500));
    expect(reminded()).toHaveLength(1);
    // One logical send, one Lark uuid.
    expect(new Set(reminded().map((m) => m.uuid)).size).toBe(1);
  });
});
