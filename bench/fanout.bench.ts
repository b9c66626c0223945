/**
 * Fan-out to 5,000 recipients through the Lark stand-in, which enforces Lark's app-wide limit of
 * 50 message sends per second (429 with `x-ogw-ratelimit-reset` past it) and de-duplicates sends
 * by `uuid` as Lark does. The fan-out worker (bench/fanout-worker.ts) runs as a process of its
 * own; the store is embedded in this process, listening on loopback.
 *
 * 1. A clean run: the achieved rate (accepted sends per second between the first and the last),
 *    429s, duplicates and losses.
 * 2. A run whose worker is killed (SIGKILL) half-way and started again: duplicates and losses,
 *    and how many sends were made twice with one uuid (absorbed by Lark's de-duplication).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startLarkStandIn, type LarkStandIn } from '../sandbox/lark/server.js';
import { startEmbeddedMongo } from '../sandbox/mongo/server.js';
import { fanoutOrg } from '../scheduler/fanout-org.js';

const N = Number(process.env.BENCH_FANOUT ?? 5000);
const LIMIT = 50;
const RATE = Number(process.env.BENCH_FANOUT_RATE ?? 50);
const JITTER = Number(process.env.BENCH_FANOUT_JITTER_MS ?? 20);

interface RunResult {
  sent: number;
  seconds: number;
  perSecond: number;
  rateLimited: number;
  duplicates: number;
  losses: number;
  uuidResends: number;
}

function worker(env: Record<string, string>): ChildProcess {
  return fork(fileURLToPath(new URL('./fanout-worker.ts', import.meta.url)), [], {
    env: { ...process.env, ...env },
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}
const exited = (p: ChildProcess) => new Promise<void>((r) => (p.exitCode !== null || p.signalCode !== null ? r() : p.once('exit', () => r())));

export async function runFanoutBench(): Promise<RunResult[]> {
  const { org, recipients } = fanoutOrg(N);
  const mongo = await startEmbeddedMongo({ port: 0 });
  const standIn: LarkStandIn = await startLarkStandIn({ appId: 'cli_0123456789abcdef', appSecret: 'fanout-bench-secret', directory: org, dedupeUuid: true });
  standIn.openapi.setRateLimit({ perSecond: LIMIT });
  const results: RunResult[] = [];
  try {
    for (const [i, kill] of [false, true].entries()) {
      const notice = `bench-notice-${i + 1}`;
      const marker = `（${notice}）`;
      const accepted: number[] = [];
      const byUuid = new Map<string, number>();
      let rateLimited = 0;
      const onCall = (c: { method: string; path: string; status: number; at: number; body: { uuid?: string; content?: string } }) => {
        if (c.method !== 'POST' || c.path !== '/open-apis/im/v1/messages' || !c.body?.content?.includes(marker)) return;
        if (c.status === 429) rateLimited += 1;
        else if (c.status === 200) {
          accepted.push(Date.now());
          if (c.body.uuid) byUuid.set(c.body.uuid, (byUuid.get(c.body.uuid) ?? 0) + 1);
        }
      };
      standIn.on('call', onCall);
      const env = {
        FANOUT_MONGO_URI: mongo.uri.replace('/?', `/fanout_bench?`),
        FANOUT_LARK: standIn.url,
        FANOUT_N: String(N),
        FANOUT_RATE: String(RATE),
        FANOUT_JITTER_MS: String(JITTER),
        FANOUT_NOTICE: notice,
      };
      const a = worker({ ...env, FANOUT_CREATE: '1' });
      if (kill) {
        await standIn.waitFor(() => accepted.length >= N / 2, 600_000, 'half the notice sent');
        a.kill('SIGKILL');
        await exited(a);
        console.log(`  killed the worker after ${accepted.length} accepted sends; starting another`);
        await exited(worker(env));
      } else await exited(a);
      standIn.off('call', onCall);
      const perUser = new Map<string, number>();
      for (const m of standIn.messages((m) => m.msg_type === 'text' && m.body.content.includes(marker))) perUser.set(m.chat_id, (perUser.get(m.chat_id) ?? 0) + 1);
      const reached = recipients.filter((r) => (perUser.get(standIn.p2pChatId(r.openId) ?? '') ?? 0) > 0).length;
      const seconds = accepted.length > 1 ? (accepted.at(-1)! - accepted[0]!) / 1000 : 0;
      const r: RunResult = {
        sent: accepted.length,
        seconds,
        perSecond: seconds > 0 ? (accepted.length - 1) / seconds : 0,
        rateLimited,
        duplicates: [...perUser.values()].reduce((s, n) => s + Math.max(0, n - 1), 0),
        losses: N - reached,
        uuidResends: [...byUuid.values()].reduce((s, n) => s + Math.max(0, n - 1), 0),
      };
      results.push(r);
      console.log(
        `  ${kill ? 'killed half-way and restarted' : 'clean run'}: ${r.sent} accepted sends in ${r.seconds.toFixed(1)} s = ${r.perSecond.toFixed(1)}/s ` +
          `(${((100 * r.perSecond) / LIMIT).toFixed(1)} % of the ${LIMIT}/s limit; paced at ${RATE}/s with a ${JITTER} ms margin), 429s ${r.rateLimited}, ` +
          `duplicates ${r.duplicates}, losses ${r.losses}, sends repeated with one uuid ${r.uuidResends}`,
      );
    }
  } finally {
    await standIn.stop();
    await mongo.stop();
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(`# fan-out: ${N} recipients, stand-in limit ${LIMIT}/s`);
  await runFanoutBench();
  process.exit(0);
}
