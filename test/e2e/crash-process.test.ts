/**
 * Crashes of a real process. The bot runs as a child process (`node --import tsx bot/main.ts`,
 * webhook transport) against the stand-in and against the embedded store listening on loopback in
 * this test process, so the data outlives the child. The child kills itself with SIGKILL at a
 * named point (BAOMI_TEST_FAULT, see bot/test-faults.ts); a new child is started on the same
 * store, Lark's redelivery is sent, and the store and the stand-in are inspected:
 *
 * (a) killed while handling `/copy`, after the request was stored, before the answer:
 *     the redelivery gets exactly one request and one answer;
 * (b) an approved carry-out, killed after the `/checkout` commit and before its carrier-status and
 *     CARRY ledger effects: the restart finishes them, once;
 * (c) a destruction, killed before the witnesses are asked, then again before the DESTROY ledger
 *     entries of the last witness's confirmation: the restarts finish them, once.
 *
 * The stand-in's uuid de-duplication is off: every send the bot makes is a message here.
 */
import mongoose from 'mongoose';
import { spawnBot, type BotProcess } from './bot-process.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApprovalRepos } from '../../handlers/approvals/ports.js';
import { CarrierStore } from '../../models/carrier.model.js';
import { LedgerStore } from '../../models/ledger.model.js';
import { RoleStore } from '../../models/role.model.js';
import { seedDemo } from '../../sandbox/demo.js';
import { startLarkStandIn, type LarkStandIn, type StoredMessage } from '../../sandbox/lark/server.js';
import { startEmbeddedMongo, type EmbeddedMongo } from '../../sandbox/mongo/server.js';
import { replyTo } from './approval-helpers.js';
import { APP, ENCRYPT_KEY, USERS, VERIFICATION_TOKEN } from './harness.js';

const LEASE_MS = 1000;
/** Each test starts one or two bot processes: generous on 2 busy cores (the file takes ~20 s). */
const TEST_TIMEOUT_MS = 60_000;

let mongo: EmbeddedMongo;
let conn: mongoose.Connection;
let standIn: LarkStandIn;
let dbUri: string;
const T = () => standIn.directory.tenantKey;

type Child = BotProcess;
const children: Child[] = [];

/** Starts the bot as a process of its own (optionally armed with a crash point) and points the stand-in at it. */
async function startChild(fault?: string): Promise<Child> {
  const child = await spawnBot({ standIn, dbUri, ...(fault ? { fault } : {}), env: { BAOMI_TEST_LEASE_MS: String(LEASE_MS) } });
  children.push(child);
  return child;
}

async function expectKilled(child: Child): Promise<void> {
  const exit = await Promise.race([child.exited, new Promise<'alive'>((r) => setTimeout(() => r('alive'), 5000))]);
  expect(exit, child.output()).toEqual({ code: null, signal: 'SIGKILL' });
}

async function stopChild(child: Child): Promise<void> {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  child.proc.kill('SIGTERM');
  await child.exited;
}

const col = (name: string) => conn.collection(name);
const stored = async (id: string) => (await col('requests').findOne({ tenantKey: T(), 'request.id': id }))!;
const idIn = (text: string, prefix: string) => new RegExp(`${prefix}-\\d{4}-\\d{4}`).exec(text)?.[0] ?? '';
const settle = (ms = 300) => new Promise((r) => setTimeout(r, ms));
async function say(user: string, text: string): Promise<string> {
  return replyTo(standIn, await standIn.sendText(user, null, text), 5000);
}
/** Every assignee of the request's chain approves in turn (by text command). */
async function approveChain(id: string): Promise<void> {
  for (let i = 0; i < 8; i++) {
    const r = (await stored(id)).request as { state: string; currentStep: number; steps: { assignees: string[]; decidedBy?: string }[]; requesterId: string };
    if (r.state !== 'IN_APPROVAL') break;
    const decided = new Set(r.steps.map((s) => s.decidedBy));
    const who = r.steps[r.currentStep]!.assignees.find((a) => a !== r.requesterId && !decided.has(a))!;
    expect(await say(who, `/approve ${id}`)).toContain(id);
  }
  expect((await stored(id)).request.state).toBe('APPROVED');
}
async function recovered(id: string): Promise<void> {
  await standIn.waitFor(async () => (await stored(id)).pending.length === 0, 15_000, `the effects of ${id} finished after the restart`);
  await settle();
}
const botMessages = () => standIn.messages((m) => m.sender.sender_type === 'app');
function messagesOf(user: string, id: string, kind: 'text' | 'interactive'): StoredMessage[] {
  const chat = standIn.p2pChatId(user);
  return chat ? standIn.chatMessages(chat).filter((m) => m.sender.sender_type === 'app' && m.msg_type === kind && m.body.content.includes(id)) : [];
}
/** No logical send (Lark uuid) produced two messages. */
function everySendOnce(): void {
  const byUuid = new Map<string, number>();
  for (const m of botMessages()) if (m.uuid) byUuid.set(m.uuid, (byUuid.get(m.uuid) ?? 0) + 1);
  expect([...byUuid.entries()].filter(([, n]) => n > 1)).toEqual([]);
}

beforeAll(async () => {
  mongo = await startEmbeddedMongo({ port: 0 });
  dbUri = mongo.uri.replace('/?', `/crash_${process.pid}?`);
  conn = await mongoose.createConnection(dbUri).asPromise();
  standIn = await startLarkStandIn({ ...APP, encryptKey: ENCRYPT_KEY, verificationToken: VERIFICATION_TOKEN, dedupeUuid: false });
  const carriers = new CarrierStore(conn);
  const repos = { roles: new RoleStore(conn, { admins: [] }), carriers, ledger: new LedgerStore(conn) } as unknown as ApprovalRepos;
  await seedDemo(repos, standIn.directory.org, T());
  for (const number of ['CRASH-B-1', 'CRASH-B-2', 'CRASH-C-1', 'CRASH-C-2']) {
    await carriers.createIfAbsent(T(), {
      number,
      regime: 'STATE_SECRET',
      level: 'CONFIDENTIAL',
      carrierType: '纸质',
      alias: '进程崩溃测试',
      copyRestricted: false,
      mustReturnToIssuer: false,
      count: 1,
      custodianId: USERS.securityOfficer,
      origin: 'registered',
      createdBy: USERS.securityOfficer,
    });
  }
}, 30_000);

afterAll(async () => {
  await Promise.all(children.map(stopChild));
  await standIn?.stop();
  await conn?.close();
  await mongo?.stop();
});

describe('a real process killed mid-work: nothing lost, nothing doubled', () => {
  let copyId = '';

  it(
    '(a) killed after /copy stored its request, before the answer: Lark’s redelivery gets one request and one answer',
    async () => {
      const a = await startChild('kill:after-insert:COPY');
      const sent = await standIn.sendText(USERS.staffGeneral, null, '/copy carrier=MM-2026-001 copies=1 purpose=进程崩溃复制');
      // The webhook was never answered: the process died while handling it.
      expect(sent.status).toBe(0);
      await expectKilled(a);
      const before = await col('requests').find({ tenantKey: T(), 'request.details.purpose': '进程崩溃复制' }).toArray();
      expect(before).toHaveLength(1);
      expect(before[0]!.sourceKey).toBe(`msg:${sent.message_id}`);
      copyId = before[0]!.request.id as string;
      expect(standIn.messages((m) => m.parent_id === sent.message_id)).toHaveLength(0);
      expect(await col('dedupe').findOne({ _id: `msg:${sent.message_id}` as never })).toMatchObject({ state: 'processing' });

      await startChild('kill:before-effect:check_out:carrier.status');
      const [again] = await standIn.redeliver(sent.envelope!, 1);
      expect(again!.status).toBe(200);
      expect(await replyTo(standIn, sent, 5000)).toContain(copyId);
      await recovered(copyId);
      expect(await col('requests').countDocuments({ tenantKey: T(), 'request.details.purpose': '进程崩溃复制' })).toBe(1);
      expect(standIn.messages((m) => m.parent_id === sent.message_id)).toHaveLength(1);
      expect(await col('dedupe').findOne({ _id: `msg:${sent.message_id}` as never })).toMatchObject({ state: 'done' });
      // The department head was asked once (the recovery at start-up sent it; the redelivery did not).
      expect(messagesOf(USERS.generalHead, copyId, 'interactive')).toHaveLength(1);
      // A later duplicate is dropped.
      await standIn.redeliver(sent.envelope!, 1);
      await settle();
      expect(standIn.messages((m) => m.parent_id === sent.message_id)).toHaveLength(1);
      everySendOnce();
    },
    TEST_TIMEOUT_MS,
  );

  it(
    '(b) killed after the /checkout commit, before its carrier-status and CARRY ledger effects: the restart finishes them once',
    async () => {
      const id = idIn(await say(USERS.staffGeneral, '/carry carrier=CRASH-B-1,CRASH-B-2 destination=市保密局 due=2099-12-31 purpose=进程崩溃外携'), 'CO');
      expect(id).toBeTruthy();
      await approveChain(id);
      const b = children.at(-1)!;
      const sent = await standIn.sendText(USERS.securityOfficer, null, `/checkout ${id}`);
      expect(sent.status).toBe(0);
      await expectKilled(b);
      const stuck = await stored(id);
      expect(stuck.request.state).toBe('OUT');
      expect(stuck.pending.some((e: { type: string }) => e.type === 'carrier.status')).toBe(true);
      expect(await col('ledger_entries').countDocuments({ tenantKey: T(), ledger: 'CARRY', requestId: id, event: 'CHECKED_OUT' })).toBe(0);

      await startChild('kill:before-effect:record_destruction:notify');
      await recovered(id);
      // Lark redelivers the unanswered /checkout too: handled again, it changes nothing.
      const [again] = await standIn.redeliver(sent.envelope!, 1);
      expect(again!.status).toBe(200);
      await replyTo(standIn, sent, 5000);
      await settle();

      for (const number of ['CRASH-B-1', 'CRASH-B-2']) {
        expect(await col('ledger_entries').countDocuments({ tenantKey: T(), ledger: 'CARRY', requestId: id, event: 'CHECKED_OUT', carrierNumber: number }), number).toBe(1);
        expect((await col('carriers').findOne({ tenantKey: T(), number }))?.status, number).toBe('CHECKED_OUT');
      }
      expect((await stored(id)).request.version).toBe(stuck.request.version);
      expect(messagesOf(USERS.staffGeneral, id, 'text').filter((m) => m.body.content.includes('登记外出'))).toHaveLength(1);
      everySendOnce();
    },
    TEST_TIMEOUT_MS,
  );

  it(
    '(c) killed before the witnesses are asked, and before the DESTROY ledger of the last confirmation: each restart finishes the work once',
    async () => {
      const id = idIn(await say(USERS.staffFinance, '/destroy carrier=CRASH-C-1,CRASH-C-2 reason=失去保存价值 method=粉碎 site=本单位碎纸机'), 'DS');
      expect(id).toBeTruthy();
      await approveChain(id);
      const witnesses = [USERS.staffGeneral, USERS.staffRd2];

      // Recording the destruction: killed before the witnesses' cards went out.
      const c = children.at(-1)!;
      const complete = await standIn.sendText(USERS.securityOfficer, null, `/complete ${id} witnesses=${witnesses.join(',')}`);
      expect(complete.status).toBe(0);
      await expectKilled(c);
      expect((await stored(id)).request.state).toBe('EXECUTED_PENDING_WITNESS');
      for (const w of witnesses) expect(messagesOf(w, id, 'interactive')).toHaveLength(0);

      await startChild('kill:before-effect:confirm_witness:ledger');
      await recovered(id);
      for (const w of witnesses) expect(messagesOf(w, id, 'interactive'), w).toHaveLength(1);

      // The witnesses confirm; the last confirmation is killed before the ledger entries.
      const d = children.at(-1)!;
      expect(await say(witnesses[0]!, `/witness ${id}`)).toContain(id);
      const last = await standIn.sendText(witnesses[1]!, null, `/witness ${id}`);
      expect(last.status).toBe(0);
      await expectKilled(d);
      const stuck = await stored(id);
      expect(stuck.request.state).toBe('CLOSED');
      expect(await col('ledger_entries').countDocuments({ tenantKey: T(), ledger: 'DESTROY', requestId: id })).toBe(0);

      await startChild();
      await recovered(id);
      const [again] = await standIn.redeliver(last.envelope!, 1);
      expect(again!.status).toBe(200);
      await replyTo(standIn, last, 5000);
      await settle();

      for (const number of ['CRASH-C-1', 'CRASH-C-2']) {
        expect(await col('ledger_entries').countDocuments({ tenantKey: T(), ledger: 'DESTROY', requestId: id, carrierNumber: number }), number).toBe(1);
        expect(await col('ledger_entries').countDocuments({ tenantKey: T(), ledger: 'MASTER', event: 'DESTROYED', requestId: id, carrierNumber: number }), number).toBe(1);
        expect((await col('carriers').findOne({ tenantKey: T(), number }))?.status, number).toBe('DESTROYED');
      }
      expect((await stored(id)).request.version).toBe(stuck.request.version);
      expect(messagesOf(USERS.staffFinance, id, 'text').filter((m) => m.body.content.includes('已销毁'))).toHaveLength(1);
      for (const w of witnesses) expect(messagesOf(w, id, 'interactive'), w).toHaveLength(1);
      everySendOnce();
    },
    TEST_TIMEOUT_MS,
  );
});
