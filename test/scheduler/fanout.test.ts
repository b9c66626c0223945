/**
 * The fan-out outbox against the stand-in (Lark's uuid de-duplication on, as Lark does): every
 * recipient gets the notice exactly once, also when the worker dies in the middle (its database
 * connection is cut right after Lark accepted a send and before it was marked sent, so its lease
 * and its claims are left behind) and another worker, on another connection, takes over; a
 * recipient Lark refuses for good is listed by name on the sender's progress card.
 */
import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../bot/core/logger.js';
import { Metrics } from '../../bot/core/metrics.js';
import { createLarkClient } from '../../bot/transports/lark/client.js';
import { LarkSender } from '../../bot/transports/lark/sender.js';
import { FanoutStore } from '../../models/fanout.model.js';
import { FanoutService } from '../../scheduler/fanout.js';
import { fanoutOrg } from '../../scheduler/fanout-org.js';
import { startLarkStandIn, type LarkStandIn } from '../../sandbox/lark/server.js';
import { useTestDb, type TestDb } from '../helpers/mongo.js';

const APP = { appId: 'cli_0123456789abcdef', appSecret: 'fanout-secret-0001' };
const N = 120;
const { org, sender: senderId, recipients } = fanoutOrg(N);
let db: TestDb;
let standIn: LarkStandIn;
let sender: LarkSender;

beforeAll(async () => {
  db = await useTestDb();
  standIn = await startLarkStandIn({ ...APP, directory: org, dedupeUuid: true });
  standIn.openapi.setRateLimit({ perSecond: 50 });
  sender = new LarkSender(createLarkClient({ ...APP, domain: standIn.url }), { logger: silentLogger, metrics: new Metrics(), backoffMs: 5 });
  await new FanoutStore(db.connection).init();
});
afterAll(async () => {
  await standIn?.stop();
  await db?.close();
});

const botTexts = (text: string) => standIn.messages((m) => m.sender.sender_type === 'app' && m.msg_type === 'text' && m.body.content.includes(text));

describe('fan-out', () => {
  it('a restart in the middle neither loses nor repeats a message; refusals are listed by name', { timeout: 30_000 }, async () => {
    const refused = recipients.slice(0, 2);
    for (const r of refused) standIn.openapi.setAvailable(r.openId, false);
    const sendCalls = new Map<string, number>();
    standIn.on('call', (c: { method: string; path: string; body: { uuid?: string }; status: number }) => {
      if (c.method === 'POST' && c.path === '/open-apis/im/v1/messages' && c.body?.uuid && c.status === 200) sendCalls.set(c.body.uuid, (sendCalls.get(c.body.uuid) ?? 0) + 1);
    });

    const connA = await mongoose.createConnection(db.uri, { dbName: db.dbName }).asPromise();
    let sends = 0;
    const a = new FanoutService({
      store: new FanoutStore(connA),
      sender,
      logger: silentLogger,
      rate: 50,
      leaseMs: 1_000,
      lockMs: 1_000,
      owner: 'worker-a',
      afterSend: () => {
        // The 40th accepted send: the worker dies before recording it.
        if (++sends === 40) {
          void connA.destroy(true);
          throw Object.assign(new Error('worker died'), { crash: true });
        }
      },
    });
    const started = await a.send({
      id: 'notice-1',
      tenantKey: standIn.directory.tenantKey,
      senderId,
      title: '保密委员会通知',
      message: { type: 'text', text: '请于周五参加保密工作会议（扇出测试）' },
      recipients: recipients.map((r) => ({ to: { openId: r.openId }, name: r.name })),
    });
    expect(started).toMatchObject({ total: N, created: true });
    await started.done.catch(() => undefined);
    const delivered = () => new Set(botTexts('扇出测试').map((m) => m.chat_id)).size;
    const before = delivered();
    expect(before).toBeGreaterThanOrEqual(39);
    expect(before).toBeLessThan(N - 2);

    // Another worker (a restarted process) takes over once the dead one's lease and claims ran out.
    const b = new FanoutService({ store: new FanoutStore(db.connection), sender, logger: silentLogger, rate: 50, leaseMs: 1_000, lockMs: 1_000, owner: 'worker-b' });
    // Created again (a redelivered command): nothing is added.
    expect((await b.send({ id: 'notice-1', tenantKey: standIn.directory.tenantKey, title: 'x', message: { type: 'text', text: 'x' }, recipients: [] })).created).toBe(false);
    const store = new FanoutStore(db.connection);
    for (let i = 0; i < 100 && (await store.counts('notice-1')).pending > 0; i++) {
      await b.kick();
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(await store.counts('notice-1')).toEqual({ pending: 0, sent: N - 2, failed: 2, dropped: 0 });
    // No loss, no repeat: every reachable recipient has the notice exactly once.
    const texts = botTexts('扇出测试');
    expect(texts).toHaveLength(N - 2);
    expect(new Set(texts.map((m) => m.chat_id)).size).toBe(N - 2);
    // The sends the dead worker made but did not record (the 40th and those in flight with it) were
    // made again with the same uuid, and Lark kept one message for each.
    const repeated = [...sendCalls.values()].filter((n) => n > 1).length;
    expect(repeated).toBeGreaterThanOrEqual(1);
    expect(repeated).toBeLessThanOrEqual(64);

    // The sender's one progress card: patched, finally showing the counts and the refusals by name.
    const cards = standIn.messages((m) => m.chat_id === standIn.p2pChatId(senderId) && m.msg_type === 'interactive');
    expect(cards).toHaveLength(1);
    const content = cards[0]!.body.content;
    expect(content).toContain(`${N - 2} / ${N}`);
    for (const r of refused) expect(content).toContain(r.name);
    await connA.close().catch(() => undefined);
  });
});
