import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mongoose from 'mongoose';
import { startEmbeddedMongo } from '../sandbox/mongo/server.js';
import { DEFAULT_SEED_PATH, type DemoOrg } from '../sandbox/lark/directory.js';
import { startLarkStandIn } from '../sandbox/lark/server.js';
import { printTable, productionNodeFlags, rssMb, runMain, startProductionBot } from './peers.js';
import { seedLedgerEntries } from './seed-ledger.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const APP = { appId: 'cli_5e7a9b1c3d5f7a9c', appSecret: 'bench-export-secret' };
const ENCRYPT_KEY = 'bench-export-encrypt-key';
const TOKEN = 'bench-export-token';
const ENTRIES = Number(process.env.BENCH_EXPORT_ENTRIES ?? 100_000);
const CARRIERS = 5000;

const hex = (n: number, len = 32) => n.toString(16).padStart(len, '0');

/** The demo organisation plus 200 people in 8 departments of their own. */
function benchOrg(): { org: DemoOrg; people: string[]; depts: string[]; officer: string } {
  const org = JSON.parse(readFileSync(DEFAULT_SEED_PATH, 'utf8')) as DemoOrg;
  const depts = Array.from({ length: 8 }, (_, i) => `od-${hex(0xbe00 + i)}`);
  org.departments.push(...depts.map((od, i) => ({ department_id: `DB${i}`, open_department_id: od, name: `测试部门${i}`, en_name: `Bench dept ${i}`, parent_department_id: '0' })));
  const people = Array.from({ length: 200 }, (_, i) => `ou_${hex(0xbe0000 + i)}`);
  org.users.push(
    ...people.map((open_id, i) => ({
      open_id,
      union_id: `on_${hex(0xbe0000 + i)}`,
      user_id: `bench${i}`,
      name: `测试人员${i}`,
      en_name: `Bench person ${i}`,
      department_ids: [`DB${i % 8}`],
      demo_roles: [],
    })),
  );
  return { org, people, depts, officer: org.users[0]!.open_id };
}

/** Ledger entries and carriers as the workflow writes them (hashes are not checked by /export). */
async function seed(uri: string, tenantKey: string, people: string[], depts: string[]): Promise<void> {
  const conn = mongoose.createConnection(uri);
  await conn.asPromise();
  try {
    const now = new Date();
    const carriers = Array.from({ length: CARRIERS }, (_, i) => ({
      tenantKey,
      number: `B-${i}`,
      numberKey: `B-${i}`,
      regime: 'STATE_SECRET',
      level: ['TOP_SECRET', 'SECRET', 'CONFIDENTIAL'][i % 3],
      carrierType: 'DOCUMENT',
      alias: `文件${i}`,
      copyRestricted: false,
      mustReturnToIssuer: false,
      count: 1,
      custodianId: people[i % people.length],
      status: 'IN_STOCK',
      origin: 'registered',
      createdBy: people[0],
      createdAt: now,
      updatedAt: now,
      version: 1,
    }));
    await conn.collection('carriers').insertMany(carriers, { ordered: false });
    await seedLedgerEntries(conn, { tenantKey, entries: ENTRIES, people, depts, carriers: CARRIERS });
  } finally {
    await conn.close();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Sample {
  format: 'xlsx' | 'csv';
  seconds: number;
  beforeMb: number;
  peakMb: number;
  files: number;
  fileMb: number;
}

async function exportOnce(format: 'xlsx' | 'csv', flags: string[]): Promise<Sample> {
  const { org, people, depts, officer } = benchOrg();
  const standIn = await startLarkStandIn({ ...APP, encryptKey: ENCRYPT_KEY, verificationToken: TOKEN, directory: org });
  standIn.setUuidDedupe(false);
  const mongo = await startEmbeddedMongo();
  const uri = mongo.uri.replace('/?', `/bench_export_${format}?`);
  await seed(uri, org.tenant_key, people, depts);
  const bot = await startProductionBot([...flags, 'dist/bot/main.js'], {
    app: APP,
    encryptKey: ENCRYPT_KEY,
    token: TOKEN,
    larkUrl: standIn.url,
    mongoUri: uri,
    extra: { BAOMI_ADMINS: officer },
  });
  const { child, port } = bot;
  try {
    standIn.setDelivery({ mode: 'webhook', url: `http://127.0.0.1:${port}/lark/events` });
    await sleep(3000);
    const beforeMb = rssMb(child.pid!);
    let peakMb = beforeMb;
    const sampler = setInterval(() => {
      peakMb = Math.max(peakMb, rssMb(child.pid!));
    }, 20);
    const filesBefore = standIn.store.files.size;
    const e0 = performance.now();
    const sent = await standIn.sendText(officer, null, format === 'csv' ? '/export all format=csv' : '/export all');
    let done: string | undefined;
    while (!done) {
      if (performance.now() - e0 > 180_000) throw new Error(`the export did not finish in 180 s:\n${bot.output()}`);
      const msgs = standIn.chatMessages(sent.chat_id);
      const after = msgs.slice(msgs.findIndex((m) => m.message_id === sent.message_id) + 1);
      const status = after.find((m) => m.msg_type === 'interactive');
      const card = status && JSON.stringify(standIn.getCard(status.message_id));
      if (card && /已导出|导出失败|超过 30 MB/.test(card)) done = card;
      else await sleep(50);
    }
    const seconds = (performance.now() - e0) / 1000;
    clearInterval(sampler);
    peakMb = Math.max(peakMb, rssMb(child.pid!));
    if (!done.includes('已导出')) throw new Error(`the export did not finish: ${done}\n${bot.output()}`);
    const files = [...standIn.store.files.values()].slice(filesBefore);
    return { format, seconds, beforeMb, peakMb, files: files.length, fileMb: files.reduce((s, f) => s + (f.bytes as Buffer).length, 0) / 2 ** 20 };
  } finally {
    await bot.stop();
    await standIn.stop();
    await mongo.stop();
  }
}

async function main(): Promise<void> {
  if (!existsSync(join(ROOT, 'dist', 'bot', 'main.js'))) throw new Error('dist/ is missing: run npm run build first');
  const flags = process.env.BENCH_EXPORT_FLAGS !== undefined ? process.env.BENCH_EXPORT_FLAGS.split(/\s+/).filter(Boolean) : productionNodeFlags();
  const runs = Number(process.env.BENCH_RUNS ?? 1);
  const rows: string[] = [];
  for (const format of ['xlsx', 'csv'] as const) {
    for (let i = 0; i < runs; i++) {
      const s = await exportOnce(format, flags);
      process.stderr.write(`${JSON.stringify(s)}\n`);
      rows.push(
        `| ${format.toUpperCase()} | ${s.seconds.toFixed(1)} s | ${s.beforeMb.toFixed(0)} MB | **${s.peakMb.toFixed(0)} MB** | ${s.files} file(s), ${s.fileMb.toFixed(1)} MB |`,
      );
    }
  }
  printTable(
    `\`/export all\`, ${ENTRIES.toLocaleString('en')} ledger entries, the compiled bot run as \`node ${flags.join(' ')} dist/bot/main.js\` (Node ${process.version}):`,
    ['format', 'command → done', 'bot RSS before', 'bot peak RSS while exporting', 'sent'],
    rows,
  );
}

runMain(main);
