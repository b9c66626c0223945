/**
 * `npm run bench:startup` (after `npm run build`): start-up time and resident memory of the bot run
 * through tsx (`npm start`) against the compiled bot (`npm run start:prod`), each as its own process
 * configured like production — Lark variables pointing at a stand-in and MONGODB_URI at a store,
 * both in this process, so the figures are the bot's alone.
 *
 *   start-up   spawn → first 200 from /healthz
 *   idle RSS   VmRSS 3 s after becoming healthy
 *   1,000 RSS  VmRSS 3 s after 1,000 commands (`/lang`, 20 at a time) were each answered
 *
 * Prints a Markdown table for bench/RESULTS.md. Linux only (reads /proc/<pid>/status).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmbeddedMongo } from '../sandbox/mongo/server.js';
import { startLarkStandIn } from '../sandbox/lark/server.js';
import { productionNodeFlags } from './peers.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const APP = { appId: 'cli_5e7a9b1c3d5f7a9b', appSecret: 'bench-startup-secret' };
const ENCRYPT_KEY = 'bench-startup-encrypt-key';
const TOKEN = 'bench-startup-token';
const USER = 'ou_f6e440d0604342760f037796e92f5830';
const EVENTS = Number(process.env.BENCH_EVENTS ?? 1000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

const MODES = {
  tsx: [...productionNodeFlags(), '--import', 'tsx', 'bot/main.ts'],
  compiled: [...productionNodeFlags(), 'dist/bot/main.js'],
} as const;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function rssMb(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
  return kb / 1024;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Sample {
  startupMs: number;
  idleMb: number;
  afterMb: number;
  eventsMs: number;
}

async function once(mode: keyof typeof MODES, run: number): Promise<Sample> {
  const standIn = await startLarkStandIn({ ...APP, encryptKey: ENCRYPT_KEY, verificationToken: TOKEN });
  const mongo = await startEmbeddedMongo();
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('LARK_') || k.startsWith('BAOMI_') || k === 'MONGODB_URI' || k === 'PORT') delete env[k];
  Object.assign(env, {
    NODE_ENV: 'production',
    LARK_APP_ID: APP.appId,
    LARK_APP_SECRET: APP.appSecret,
    LARK_ENCRYPT_KEY: ENCRYPT_KEY,
    LARK_VERIFICATION_TOKEN: TOKEN,
    LARK_DOMAIN: standIn.url,
    LARK_TRANSPORT: 'webhook',
    PORT: String(port),
    MONGODB_URI: mongo.uri.replace('/?', `/bench_startup_${mode}_${run}?`),
    BAOMI_LOG_LEVEL: 'warn',
  });
  let out = '';
  const t0 = performance.now();
  const child: ChildProcess = spawn(process.execPath, [...MODES[mode]], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  try {
    while (
      !(await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.ok,
        () => false,
      ))
    ) {
      if (child.exitCode !== null || performance.now() - t0 > 60_000) throw new Error(`${mode}: the bot did not become healthy:\n${out}`);
      await sleep(20);
    }
    const startupMs = performance.now() - t0;
    standIn.setDelivery({ mode: 'webhook', url: `http://127.0.0.1:${port}/lark/events` });
    await sleep(3000);
    const idleMb = rssMb(child.pid!);

    const e0 = performance.now();
    let next = 0;
    const worker = async () => {
      while (next < EVENTS) {
        next++;
        const sent = await standIn.sendText(USER, null, '/lang');
        await standIn.waitForMessage((m) => m.parent_id === sent.message_id, 15_000);
      }
    };
    await Promise.all(Array.from({ length: 20 }, worker));
    const eventsMs = performance.now() - e0;
    await sleep(3000);
    const afterMb = rssMb(child.pid!);
    return { startupMs, idleMb, afterMb, eventsMs };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await standIn.stop();
    await mongo.stop();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  if (!existsSync(join(ROOT, 'dist', 'bot', 'main.js'))) throw new Error('dist/ is missing: run npm run build first');
  const rows: string[] = [];
  for (const mode of Object.keys(MODES) as (keyof typeof MODES)[]) {
    const samples: Sample[] = [];
    for (let i = 0; i < RUNS; i++) {
      samples.push(await once(mode, i));
      process.stderr.write(`${mode} run ${i + 1}/${RUNS}: ${JSON.stringify(samples.at(-1))}\n`);
    }
    const m = (k: keyof Sample) => median(samples.map((s) => s[k]));
    rows.push(
      `| ${mode === 'tsx' ? '`npm start` (tsx)' : '`npm run start:prod` (compiled)'} | ${m('startupMs').toFixed(0)} ms | ${m('idleMb').toFixed(0)} MB | ${m('afterMb').toFixed(0)} MB | ${((EVENTS / m('eventsMs')) * 1000).toFixed(0)}/s |`,
    );
  }
  process.stdout.write(
    [
      `Median of ${RUNS} runs, ${EVENTS} commands each (Node ${process.version}, ${process.platform}/${process.arch}):`,
      '',
      '| Bot run as | Start-up (spawn → /healthz 200) | RSS idle | RSS after the commands | Commands answered |',
      '| --- | --- | --- | --- | --- |',
      ...rows,
      '',
    ].join('\n'),
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
