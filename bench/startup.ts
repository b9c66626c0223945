import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmbeddedMongo } from '../sandbox/mongo/server.js';
import { startLarkStandIn } from '../sandbox/lark/server.js';
import { printTable, productionNodeFlags, rssMb, runMain, startProductionBot } from './peers.js';

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
  const bot = await startProductionBot(MODES[mode], {
    app: APP,
    encryptKey: ENCRYPT_KEY,
    token: TOKEN,
    larkUrl: standIn.url,
    mongoUri: mongo.uri.replace('/?', `/bench_startup_${mode}_${run}?`),
  }).catch(async (err: unknown) => {
    await standIn.stop();
    await mongo.stop();
    throw new Error(`${mode}: ${(err as Error).message}`);
  });
  const { child, port } = bot;
  try {
    const startupMs = bot.startupMs;
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
    await bot.stop();
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
  printTable(
    `Median of ${RUNS} runs, ${EVENTS} commands each (Node ${process.version}, ${process.platform}/${process.arch}):`,
    ['Bot run as', 'Start-up (spawn → /healthz 200)', 'RSS idle', 'RSS after the commands', 'Commands answered'],
    rows,
  );
}

runMain(main);
