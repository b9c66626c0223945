/**
 * Webhook throughput: the whole pipeline for `/help` (verify signature, decrypt, dedupe claim in the
 * store, route, render the card, send it to the Lark stand-in through the SDK) against a bare SDK
 * EventDispatcher behind `adaptDefault` that only echoes. Same machine, same encrypted, signed
 * bodies, same client concurrency. Prints events/s for both and their ratio. The stand-in and the
 * store run in processes of their own (bench/peer.ts, bench/mongo-peer.ts), as Lark and MongoDB do
 * in production; the bot,
 * like the bare dispatcher, shares its process with the load generator.
 */
import { randomBytes } from 'node:crypto';
import { APP, ENCRYPT_KEY, TOKEN, forkPeer, pct, startBenchBot, type Peer } from './peers.js';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as lark from '@larksuiteoapi/node-sdk';
import { encryptPayload, signBody } from '../sandbox/lark/server.js';

const N = Number(process.env.BENCH_EVENTS ?? 2000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);

interface Result {
  name: string;
  events: number;
  seconds: number;
  perSecond: number;
  ackP50: number;
  ackP99: number;
}

/** Encrypts and signs like Lark; done before the clock starts (it is the sender's cost). */
function seal(obj: unknown): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify({ encrypt: encryptPayload(ENCRYPT_KEY, JSON.stringify(obj)) });
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = randomBytes(8).toString('hex');
  return {
    body,
    headers: { 'x-lark-request-timestamp': timestamp, 'x-lark-request-nonce': nonce, 'x-lark-signature': signBody(timestamp, nonce, ENCRYPT_KEY, body) },
  };
}

type Sealed = { body: string; headers: Record<string, string> };

let gateway: Promise<Peer> | undefined;

/** Posts the bodies from the gateway process (bench/clicker.ts) over CONCURRENCY connections. */
async function fire(url: string, bodies: Sealed[]): Promise<{ seconds: number; latencies: number[] }> {
  gateway ??= (async () => {
    const p = forkPeer('./clicker.ts');
    await p.ask('', 'ready');
    return p;
  })();
  const r = await (await gateway).ask<{ seconds: number; results: { ms: number; status: number }[] }>('fire', 'fired', { url, bodies, concurrency: CONCURRENCY });
  const bad = r.results.find((x) => x.status !== 200);
  if (bad) throw new Error(`HTTP ${bad.status} from ${url}`);
  return { seconds: r.seconds, latencies: r.results.map((x) => x.ms) };
}

async function benchPipeline(): Promise<Result> {
  const { bot, lark: peer, stop } = await startBenchBot('bench');
  const url = `${bot.url}/lark/events`;
  const prepare = async (count: number) => (await peer.ask<{ bodies: Sealed[] }>('prepare', 'prepared', { count })).bodies;
  const waitReplies = async (n: number) => {
    const deadline = Date.now() + 120_000;
    while ((await peer.ask<{ count: number }>('replies', 'replies')).count < n) {
      if (Date.now() > deadline) throw new Error('replies did not arrive');
      await new Promise((r) => setTimeout(r, 5));
    }
  };

  await fire(url, await prepare(200));
  await waitReplies(200);
  const batch = await prepare(N);
  const cpu0 = process.cpuUsage();
  const profile = process.env.BENCH_PROFILE ? await startProfile('/tmp/webhook.cpuprofile') : undefined;
  const t0 = performance.now();
  const { latencies } = await fire(url, batch);
  await waitReplies(200 + N);
  const seconds = (performance.now() - t0) / 1000;
  if (profile) await profile();
  const cpu = process.cpuUsage(cpu0);
  console.log(`  bot process CPU per event: ${((cpu.user + cpu.system) / 1000 / N).toFixed(3)} ms`);
  await stop();
  return { name: 'full pipeline (/help → card sent)', events: N, seconds, perSecond: N / seconds, ackP50: pct(latencies, 50), ackP99: pct(latencies, 99) };
}

async function benchBare(): Promise<Result> {
  const dispatcher = new lark.EventDispatcher({ encryptKey: ENCRYPT_KEY, loggerLevel: lark.LoggerLevel.error }).register({
    'im.message.receive_v1': async (data: unknown) => ({ echo: (data as { message?: { message_id?: string } }).message?.message_id }),
  });
  const server = http.createServer(lark.adaptDefault('/lark/events', dispatcher, { autoChallenge: true }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/lark/events`;
  const make = (count: number) =>
    Array.from({ length: count }, () =>
      seal({
        schema: '2.0',
        header: {
          event_id: randomBytes(16).toString('hex'),
          event_type: 'im.message.receive_v1',
          create_time: String(Date.now()),
          token: TOKEN,
          app_id: APP.appId,
          tenant_key: 't',
        },
        event: {
          sender: { sender_id: { open_id: 'ou_x' }, sender_type: 'user' },
          message: { message_id: `om_${randomBytes(16).toString('hex')}`, chat_id: 'oc_x', chat_type: 'p2p', message_type: 'text', content: '{"text":"/help"}' },
        },
      }),
    );
  await fire(url, make(200));
  const { seconds, latencies } = await fire(url, make(N));
  await new Promise<void>((r) => server.close(() => r()));
  return { name: 'bare SDK EventDispatcher (echo)', events: N, seconds, perSecond: N / seconds, ackP50: pct(latencies, 50), ackP99: pct(latencies, 99) };
}

export async function runWebhookBench(): Promise<{ pipeline: Result; bare: Result; ratio: number }> {
  const bare = await benchBare();
  const pipeline = await benchPipeline();
  const ratio = pipeline.perSecond / bare.perSecond;
  for (const r of [bare, pipeline]) {
    console.log(
      `${r.name.padEnd(38)} ${r.perSecond.toFixed(0).padStart(6)} events/s  (${r.events} in ${r.seconds.toFixed(2)} s; ack p50 ${r.ackP50.toFixed(1)} ms, p99 ${r.ackP99.toFixed(1)} ms)`,
    );
  }
  console.log(`ratio full/bare: ${ratio.toFixed(2)} (target ≥ 0.50) — ${ratio >= 0.5 ? 'MET' : 'NOT MET'}`);
  (await gateway)?.stop();
  gateway = undefined;
  return { pipeline, bare, ratio };
}

/** BENCH_PROFILE=1: a CPU profile of the bot process over a benchmark's timed part, written to `path`. */
export async function startProfile(path: string): Promise<() => Promise<void>> {
  const { Session } = await import('node:inspector/promises');
  const { writeFileSync } = await import('node:fs');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(path, JSON.stringify(profile));
    console.log(`  profile written to ${path}`);
  };
}
