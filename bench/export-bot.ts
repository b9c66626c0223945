/**
 * `npm run bench:export` (after `npm run build`): the 100,000-row `/export all` answered by the
 * compiled bot, started exactly as `npm run start:prod` starts it (the script's node flags are read
 * from package.json, so the bench cannot drift from production), against a Lark stand-in and an
 * embedded store in this process — the RSS figures are the bot's alone.
 *
 * The organisation is the demo one plus 200 people in 8 departments; 100,000 ledger entries name
 * them and 5,000 registered carriers, so every batch of rows resolves its names, departments and
 * carriers for real (the directory through Lark's contact API, the carriers from MongoDB), as a
 * unit's export would.
 *
 *   time       the security officer's `/export all` → the status card says "done" (every file sent)
 *   peak RSS   the highest VmRSS of the bot process sampled every 20 ms while it exported
 *   before     VmRSS just before the command
 *
 * One fresh bot per format (XLSX, then CSV). Targets (issue 8): under 30 s and under 300 MB.
 * Linux only (reads /proc/<pid>/status). `BENCH_EXPORT_ENTRIES` changes the row count.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mongoose from 'mongoose';
import { startEmbeddedMongo } from '../sandbox/mongo/server.js';
import { DEFAULT_SEED_PATH, type DemoOrg } from '../sandbox/lark/directory.js';
import { startLarkStandIn } from '../sandbox/lark/server.js';
import { productionNodeFlags } from './peers.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const APP = { appId: 'cli_5e7a9b1c3d5f7a9c', appSecret: 'bench-export-secret' };
const ENCRYPT_KEY = 'bench-export-encrypt-key';
const TOKEN = 'bench-export-token';
const ENTRIES = Number(process.env.BENCH_EXPORT_ENTRIES ?? 100_000);
const CARRIERS = 5000;
const KINDS = ['MASTER', 'COPY', 'COPY', 'CARRY', 'CARRY', 'CARRY', 'COPY', 'DESTROY', 'MASTER', 'COPY'] as const;
const LEVELS = ['TOP_SECRET', 'SECRET', 'CONFIDENTIAL', 'CORE', 'ORDINARY'];

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
    const seqs: Record<string, number> = {};
    const start = Date.UTC(2025, 0, 1);
    const span = Date.UTC(2026, 10, 30) - start;
    for (let i = 0; i < ENTRIES; i += 5000) {
      const docs = [];
      for (let j = i; j < Math.min(ENTRIES, i + 5000); j++) {
        const ledger = KINDS[j % KINDS.length]!;
        const seq = (seqs[ledger] = (seqs[ledger] ?? 0) + 1);
        const person = people[(j * 7) % people.length]!;
        const deptId = depts[(j * 3) % depts.length]!;
        const level = LEVELS[j % LEVELS.length]!;
        const occurredAt = new Date(start + Math.floor((span * j) / ENTRIES));
        const requestId = `CP-2026-${String(j).padStart(6, '0')}`;
        const carrierNumber = `B-${j % CARRIERS}`;
        const approvers = [{ role: 'dept_head', by: people[1], at: occurredAt.toISOString() }];
        const data: Record<string, unknown> =
          ledger === 'COPY'
            ? {
                requestId,
                date: '2026-01-01',
                requesterId: person,
                deptId,
                level,
                copiesApproved: 3,
                copiesMade: 2,
                purpose: '季度会议',
                approvers,
                newNumbers: [`${carrierNumber}-C1`, `${carrierNumber}-C2`],
                originalsReturned: true,
                wasteRecovered: true,
                deviceWiped: true,
                supervisorId: people[2],
              }
            : ledger === 'CARRY'
              ? {
                  requestId,
                  deptId,
                  level,
                  carrierPersonId: person,
                  companions: [people[3]],
                  purpose: '汇报',
                  destination: '市保密局',
                  outAt: occurredAt.toISOString(),
                  due: '2026-12-31',
                  approvers,
                  recordedBy: people[2],
                }
              : ledger === 'DESTROY'
                ? {
                    requestId,
                    deptId,
                    level,
                    carrierType: '纸质',
                    custodianId: person,
                    reason: '到期',
                    method: '粉碎',
                    site: '保密室',
                    date: '2026-01-02',
                    executorId: people[2],
                    witnesses: [people[5], people[6]],
                    approvers,
                  }
                : { number: carrierNumber, alias: '文件', carrierType: '纸质', level, custodianId: person, status: 'IN_STOCK' };
        docs.push({
          tenantKey,
          ledger,
          seq,
          effectKey: `bench:${j}`,
          event: ledger === 'COPY' ? 'COPIED' : ledger === 'CARRY' ? 'CHECKED_OUT' : ledger === 'DESTROY' ? 'DESTROYED' : 'REGISTERED',
          carrierNumber,
          requestId,
          actorId: people[2],
          occurredAt,
          data,
          prevHash: '0'.repeat(64),
          hash: '0'.repeat(64),
          recordedAt: occurredAt,
        });
      }
      await conn.collection('ledger_entries').insertMany(docs, { ordered: false });
    }
  } finally {
    await conn.close();
  }
}

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
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? Number.NaN);
  return kb / 1024;
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
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('LARK_') || k.startsWith('BAOMI_') || k === 'MONGODB_URI' || k === 'PORT' || k === 'NODE_OPTIONS') delete env[k];
  Object.assign(env, {
    NODE_ENV: 'production',
    LARK_APP_ID: APP.appId,
    LARK_APP_SECRET: APP.appSecret,
    LARK_ENCRYPT_KEY: ENCRYPT_KEY,
    LARK_VERIFICATION_TOKEN: TOKEN,
    LARK_DOMAIN: standIn.url,
    LARK_TRANSPORT: 'webhook',
    PORT: String(port),
    MONGODB_URI: uri,
    BAOMI_ADMINS: officer,
    BAOMI_LOG_LEVEL: 'warn',
  });
  let out = '';
  const child: ChildProcess = spawn(process.execPath, [...flags, 'dist/bot/main.js'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const t0 = performance.now();
  try {
    while (
      !(await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.ok,
        () => false,
      ))
    ) {
      if (child.exitCode !== null || performance.now() - t0 > 60_000) throw new Error(`the bot did not become healthy:\n${out}`);
      await sleep(50);
    }
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
      if (performance.now() - e0 > 180_000) throw new Error(`the export did not finish in 180 s:\n${out}`);
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
    if (!done.includes('已导出')) throw new Error(`the export did not finish: ${done}\n${out}`);
    const files = [...standIn.store.files.values()].slice(filesBefore);
    return { format, seconds, beforeMb, peakMb, files: files.length, fileMb: files.reduce((s, f) => s + (f.bytes as Buffer).length, 0) / 2 ** 20 };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
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
  process.stdout.write(
    [
      `\`/export all\`, ${ENTRIES.toLocaleString('en')} ledger entries, the compiled bot run as \`node ${flags.join(' ')} dist/bot/main.js\` (Node ${process.version}):`,
      '',
      '| format | command → done | bot RSS before | bot peak RSS while exporting | sent |',
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
