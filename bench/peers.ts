import { fork, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { startBot, type RunningBot } from '../bot/bootstrap.js';
import { loadConfig } from '../bot/core/config.js';
import { silentLogger } from '../bot/core/logger.js';
import { connectDb, type DbHandle } from '../models/connection.js';

export const APP = { appId: 'cli_0123456789abcdef', appSecret: 'bench-secret' };
export const ENCRYPT_KEY = 'bench-encrypt-key';
export const TOKEN = 'bench-verification-token';

/** The node flags of `npm run start:prod` (package.json), in order. */
export function productionNodeFlags(): string[] {
  const pkg = JSON.parse(readFileSync(fileURLToPath(new URL(import.meta.url.endsWith('.js') ? '../../package.json' : '../package.json', import.meta.url)), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const words = pkg.scripts['start:prod']!.split(/\s+/);
  if (words[0] !== 'node') throw new Error(`start:prod does not start with node: ${pkg.scripts['start:prod']}`);
  return words.slice(1).filter((w) => w.startsWith('--'));
}

/** A free TCP port on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** A process's resident memory now (VmRSS), in MB. Linux only. */
export function rssMb(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? Number.NaN);
  return kb / 1024;
}

/** A bot started as its own process, configured like production (webhook transport). */
export interface ProductionBot {
  child: ChildProcess;
  port: number;
  /** Spawn → first 200 from /healthz. */
  startupMs: number;
  /** Everything it printed so far. */
  output(): string;
  /** SIGTERM, and the exit. */
  stop(): Promise<void>;
}

/**
 * Spawns `node <args>` in the project folder as production runs the bot — `NODE_ENV=production`,
 * Lark variables pointing at `larkUrl`, `MONGODB_URI` — and waits for `/healthz` (60 s at most).
 * `extra` adds variables (e.g. BAOMI_ADMINS).
 */
export async function startProductionBot(
  args: readonly string[],
  o: { app: { appId: string; appSecret: string }; encryptKey: string; token: string; larkUrl: string; mongoUri: string; extra?: Record<string, string> },
): Promise<ProductionBot> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('LARK_') || k.startsWith('BAOMI_') || k === 'MONGODB_URI' || k === 'PORT' || k === 'NODE_OPTIONS') delete env[k];
  Object.assign(env, {
    NODE_ENV: 'production',
    LARK_APP_ID: o.app.appId,
    LARK_APP_SECRET: o.app.appSecret,
    LARK_ENCRYPT_KEY: o.encryptKey,
    LARK_VERIFICATION_TOKEN: o.token,
    LARK_DOMAIN: o.larkUrl,
    LARK_TRANSPORT: 'webhook',
    PORT: String(port),
    MONGODB_URI: o.mongoUri,
    BAOMI_LOG_LEVEL: 'warn',
    ...o.extra,
  });
  let out = '';
  const t0 = performance.now();
  const child = spawn(process.execPath, [...args], {
    cwd: fileURLToPath(new URL(import.meta.url.endsWith('.js') ? '../..' : '..', import.meta.url)),
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  };
  const healthy = () =>
    fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
  while (!(await healthy())) {
    if (child.exitCode !== null || performance.now() - t0 > 60_000) {
      await stop();
      throw new Error(`the bot did not become healthy:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return { child, port, startupMs: performance.now() - t0, output: () => out, stop };
}

/** Prints a Markdown table for bench/RESULTS.md under its caption. */
export function printTable(caption: string, head: readonly string[], rows: readonly string[]): void {
  process.stdout.write([caption, '', `| ${head.join(' | ')} |`, `|${head.map(() => ' --- |').join('')}`, ...rows, ''].join('\n'));
}

/** Runs a bench script's main: a failure prints its stack and exits 1. */
export function runMain(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}

export const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};

export interface Peer {
  child: ChildProcess;
  ask<T>(op: string, reply: string, extra?: Record<string, unknown>): Promise<T>;
  stop(): void;
}

/** Forks a benchmark peer (a .ts file beside this one) and talks to it over IPC. */
export function forkPeer(file: string, args: string[] = []): Peer {
  // Compiled (npm run bench:compiled), the peers are JavaScript next to this file: no tsx.
  const compiled = import.meta.url.endsWith('.js');
  const target = compiled ? file.replace(/\.ts$/, '.js') : file;
  const child = fork(fileURLToPath(new URL(target, import.meta.url)), args, { execArgv: compiled ? [] : ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiters = new Map<string, (m: Record<string, unknown>) => void>();
  // A reply that arrives before anyone asked for it (e.g. 'ready') waits here.
  const early = new Map<string, Record<string, unknown>>();
  child.on('message', (m: Record<string, unknown>) => {
    const w = waiters.get(String(m.op));
    if (!w) return void early.set(String(m.op), m);
    waiters.delete(String(m.op));
    w(m);
  });
  return {
    child,
    ask: <T>(op: string, reply: string, extra: Record<string, unknown> = {}) =>
      new Promise<T>((resolve) => {
        const waiting = early.get(reply);
        if (waiting && !op) {
          early.delete(reply);
          return resolve(waiting as T);
        }
        waiters.set(reply, (m) => resolve(m as T));
        if (op) child.send({ op, ...extra });
      }),
    stop: () => child.send({ op: 'stop' }),
  };
}

export interface BenchBot {
  bot: RunningBot;
  db: DbHandle;
  /** The Lark stand-in's process. */
  lark: Peer;
  stop(): Promise<void>;
}

/**
 * The bot in this process, in webhook mode, against the stand-in (bench/peer.ts, `peerArgs` after
 * the credentials) and the embedded store (bench/mongo-peer.ts), each in a process of its own.
 */
export async function startBenchBot(dbName: string, peerArgs: string[] = []): Promise<BenchBot> {
  const lark = forkPeer('./peer.ts', [APP.appId, APP.appSecret, ENCRYPT_KEY, TOKEN, ...peerArgs]);
  const store = forkPeer('./mongo-peer.ts');
  const { standInUrl } = await lark.ask<{ standInUrl: string }>('', 'ready');
  const { mongoUri } = await store.ask<{ mongoUri: string }>('', 'ready');
  const db = await connectDb({ uri: mongoUri, dbName, log: () => undefined });
  const config = loadConfig({
    LARK_APP_ID: APP.appId,
    LARK_APP_SECRET: APP.appSecret,
    LARK_ENCRYPT_KEY: ENCRYPT_KEY,
    LARK_VERIFICATION_TOKEN: TOKEN,
    LARK_DOMAIN: standInUrl,
    LARK_TRANSPORT: 'webhook',
    PORT: '0',
  });
  const bot = await startBot({ config, db, logger: silentLogger });
  return {
    bot,
    db,
    lark,
    async stop() {
      await bot.stop();
      await db.close();
      lark.stop();
      store.stop();
    },
  };
}
