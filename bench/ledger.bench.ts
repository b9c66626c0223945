/**
 * The ledgers at volume (issue 8): 100,000 ledger entries seeded, then
 *
 * - a filtered first page as `/ledger` asks for it — kind + date range + department: the total
 *   (count) and the first 10 rows (keyset page), p50 / p95 over repeated queries (target p95
 *   under 50 ms on the embedded store);
 * - an export of all 100,000 rows (`/export all`: one XLSX sheet per ledger, through exceljs's
 *   streaming writer, rows streamed from a MongoDB cursor), then the same as CSV: time and the
 *   bot process's peak RSS (targets under 30 s and 300 MB).
 *
 * The store runs in a process of its own (bench/mongo-peer.ts), as MongoDB does in production, or
 * is `MONGODB_URI` when set.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mongoose from 'mongoose';
import { COLUMNS, type Resolver } from '../handlers/ledger/columns.js';
import { sheetsFor, writeCsv, writeXlsx } from '../handlers/ledger/export.js';
import { LedgerReader, type ReaderFilter } from '../models/ledger-reader.js';
import { forkPeer, pct, productionNodeFlags } from './peers.js';
import { seedLedgerEntries } from './seed-ledger.js';

const ENTRIES = Number(process.env.BENCH_LEDGER_ENTRIES ?? 100_000);
const QUERIES = Number(process.env.BENCH_LEDGER_QUERIES ?? 200);
const TENANT = 'bench-tenant';
const DEPTS = Array.from({ length: 8 }, (_, i) => `od-bench-dept-${i}`);
const PEOPLE = Array.from({ length: 200 }, (_, i) => `ou_bench${String(i).padStart(6, '0')}`);

/** The entries (bench/seed-ledger.ts): the same data as `npm run bench:export`. */
function seed(conn: mongoose.Connection): Promise<void> {
  return seedLedgerEntries(conn, { tenantKey: TENANT, entries: ENTRIES, people: PEOPLE, depts: DEPTS, carriers: 5000 });
}

function stubResolver(): Resolver {
  return {
    name: (id) => `人员${id.slice(-4)}`,
    dept: (id) => `部门${id.slice(-1)}`,
    level: (l) => l,
    event: (e) => e,
    carrierStatus: (s) => s,
    outcome: (o) => o,
    yesNo: (b) => (b ? '是' : '否'),
    carrier: () => undefined,
    sep: '、',
  };
}

/** Samples this process's RSS every 20 ms while `fn` runs; returns its result, seconds and peak MB. */
async function measured<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number; peakMb: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  const t0 = performance.now();
  try {
    const value = await fn();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { value, seconds: (performance.now() - t0) / 1000, peakMb: peak / 2 ** 20 };
  } finally {
    clearInterval(timer);
  }
}

export async function runLedgerBench(): Promise<void> {
  const peer = process.env.MONGODB_URI ? undefined : forkPeer('./mongo-peer.ts');
  const uri = process.env.MONGODB_URI ?? (await peer!.ask<{ mongoUri: string }>('', 'ready')).mongoUri;
  const conn = mongoose.createConnection(uri, { dbName: `bench_ledger_${process.pid}` });
  await conn.asPromise();
  try {
    const reader = new LedgerReader(conn);
    await reader.init();
    // Seeded from a process of its own, so this process's RSS is the bot's, not the seeder's.
    let t0 = performance.now();
    const seeder = fork(fileURLToPath(import.meta.url), ['seed', uri, conn.name], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
    const [code] = (await once(seeder, 'exit')) as [number];
    if (code !== 0) throw new Error(`the seeder exited with ${code}`);
    console.log(`seeded ${ENTRIES.toLocaleString('en')} entries in ${((performance.now() - t0) / 1000).toFixed(1)} s (store: ${peer ? 'embedded, own process' : 'MONGODB_URI'})`);

    // The filtered first page: kind + date range + department (the card's total and 10 rows).
    const filter: ReaderFilter = { kind: 'COPY', from: new Date('2025-12-31T16:00:00Z'), to: new Date('2026-06-30T16:00:00Z'), deptIds: [DEPTS[3]!] };
    const times: number[] = [];
    let total = 0;
    for (let i = 0; i < QUERIES + 10; i++) {
      t0 = performance.now();
      const [n, page] = await Promise.all([reader.count(TENANT, filter), reader.page(TENANT, filter, 10)]);
      if (i >= 10) times.push(performance.now() - t0); // the first 10 warm up
      total = n;
      if (page.rows.length !== Math.min(10, n)) throw new Error('short page');
    }
    console.log(
      `first page (COPY + 2026-H1 + one dept: ${total.toLocaleString('en')} matches), ${QUERIES} queries: p50 ${pct(times, 50).toFixed(1)} ms, p95 ${pct(times, 95).toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms (target p95 < 50 ms)`,
    );

    // The export of every row, in a fresh process of its own (like a bot answering /export), so
    // its peak RSS is the export's, not this process's after seeding and querying.
    for (const format of ['xlsx', 'csv'] as const) {
      const child = fork(fileURLToPath(import.meta.url), ['export', uri, conn.name, format], {
        // Like the bot: compiled JavaScript in production (npm run bench:compiled), tsx otherwise.
        execArgv: [...(process.env.BENCH_EXPORT_NODE_FLAGS?.split(' ').filter(Boolean) ?? productionNodeFlags()), ...(import.meta.url.endsWith('.js') ? [] : ['--import', 'tsx'])],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      const [r] = (await once(child, 'message')) as [{ rows: number; seconds: number; peakMb: number; baseMb: number; mb: number; columns: string }];
      console.log(
        `export ${format.toUpperCase()}: ${r.rows.toLocaleString('en')} rows (${r.columns} columns) in ${r.seconds.toFixed(1)} s, ${r.mb.toFixed(1)} MB, peak RSS ${r.peakMb.toFixed(0)} MB (the process before the export: ${r.baseMb.toFixed(0)} MB) (targets < 30 s, < 300 MB)`,
      );
      await once(child, 'exit');
    }
  } finally {
    await conn.dropDatabase().catch(() => undefined);
    await conn.close();
    peer?.stop();
  }
}

/** `export <uri> <db> <xlsx|csv>`: one export of every row; reports time and peak RSS to the parent. */
async function exportMode(uri: string, dbName: string, format: 'xlsx' | 'csv'): Promise<void> {
  const conn = mongoose.createConnection(uri, { dbName });
  await conn.asPromise();
  const reader = new LedgerReader(conn);
  const all: ReaderFilter[] = (['MASTER', 'COPY', 'CARRY', 'DESTROY'] as const).map((kind) => ({ kind }));
  const ctx = { locale: 'zh-CN' as const, tenantKey: TENANT };
  const opts = {
    timeZone: 'Asia/Shanghai',
    resolve: async () => stubResolver(),
    progress: (n: number) => {
      if (process.env.BENCH_TRACE && n % 10_000 === 0) {
        const m = process.memoryUsage();
        console.log(
          `  ${n}: rss ${(m.rss / 2 ** 20).toFixed(0)} heap ${(m.heapUsed / 2 ** 20).toFixed(0)}/${(m.heapTotal / 2 ** 20).toFixed(0)} ext ${(m.external / 2 ** 20).toFixed(0)} ab ${(m.arrayBuffers / 2 ** 20).toFixed(0)}`,
        );
      }
    },
  };
  const dir = await mkdtemp(join(tmpdir(), 'baomi-bench-'));
  const baseMb = process.memoryUsage().rss / 2 ** 20;
  try {
    let bytes = 0;
    const r = await measured(async () => {
      if (format === 'xlsx') {
        const path = join(dir, 'all.xlsx');
        const n = await writeXlsx(path, sheetsFor(ctx, { reader }, all), opts);
        bytes = (await stat(path)).size;
        return n;
      }
      let n = 0;
      for (const [i, sheet] of sheetsFor(ctx, { reader }, all).entries()) {
        const path = join(dir, `all-${i}.csv`);
        n += await writeCsv(path, sheet, opts);
        bytes += (await stat(path)).size;
      }
      return n;
    });
    const peakMb = Math.max(r.peakMb, process.resourceUsage().maxRSS / 1024);
    process.send!({ rows: r.value, seconds: r.seconds, peakMb, baseMb, mb: bytes / 2 ** 20, columns: all.map((f) => COLUMNS[f.kind].length).join('/') });
  } finally {
    await rm(dir, { recursive: true, force: true });
    await conn.close();
  }
}

if (process.argv[2] === 'export') {
  await exportMode(process.argv[3]!, process.argv[4]!, process.argv[5] as 'xlsx' | 'csv');
  process.exit(0);
} else if (process.argv[2] === 'seed') {
  const conn = mongoose.createConnection(process.argv[3]!, { dbName: process.argv[4]! });
  await conn.asPromise();
  await seed(conn);
  await conn.close();
  process.exit(0);
} else if (/ledger\.bench\.[jt]s$/.test(process.argv[1] ?? '')) {
  await runLedgerBench();
  process.exit(0);
}
