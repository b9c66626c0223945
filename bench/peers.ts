import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
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
