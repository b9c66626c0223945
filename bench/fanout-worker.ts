/**
 * One fan-out worker process for bench/fanout.bench.ts: the bot's FanoutService and LarkSender,
 * on its own connection to the store, sending through the Lark stand-in. With FANOUT_CREATE=1 it
 * creates the notice (5,000 recipients) and sends it; otherwise it resumes what is pending (a
 * restarted process). Exits when nothing is pending; the bench may SIGKILL it half-way.
 */
import mongoose from 'mongoose';
import { silentLogger } from '../bot/core/logger.js';
import { Metrics } from '../bot/core/metrics.js';
import { createLarkClient } from '../bot/transports/lark/client.js';
import { LarkSender } from '../bot/transports/lark/sender.js';
import { FanoutStore } from '../models/fanout.model.js';
import { FanoutService } from '../scheduler/fanout.js';
import { fanoutOrg } from '../scheduler/fanout-org.js';

const env = process.env;
const n = Number(env.FANOUT_N ?? 5000);
const noticeId = env.FANOUT_NOTICE ?? 'bench-notice';
const { org, sender: senderId, recipients } = fanoutOrg(n);
const conn = await mongoose.createConnection(env.FANOUT_MONGO_URI!).asPromise();
const store = new FanoutStore(conn);
await store.init();
const sender = new LarkSender(createLarkClient({ appId: 'cli_0123456789abcdef', appSecret: 'fanout-bench-secret', domain: env.FANOUT_LARK! }), {
  logger: silentLogger,
  metrics: new Metrics(),
  attempts: 1,
});
const fanout = new FanoutService({
  store,
  sender,
  logger: silentLogger,
  rate: Number(env.FANOUT_RATE ?? 50),
  jitterMs: Number(env.FANOUT_JITTER_MS ?? 20),
  leaseMs: 3_000,
  lockMs: 5_000,
});
if (env.FANOUT_CREATE === '1') {
  const r = await fanout.send({
    id: noticeId,
    tenantKey: org.tenant_key,
    senderId,
    title: '全体通知',
    message: { type: 'text', text: `保密提醒（${noticeId}）：请于本周内完成年度保密自查。` },
    recipients: recipients.map((x) => ({ to: { openId: x.openId }, name: x.name })),
  });
  process.send?.({ op: 'created', total: r.total });
  await r.done;
}
while ((await store.counts(noticeId)).pending > 0) {
  await fanout.kick();
  await new Promise((r) => setTimeout(r, 250));
}
process.send?.({ op: 'done' });
await conn.close();
process.exit(0);
