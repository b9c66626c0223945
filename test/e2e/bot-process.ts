/**
 * The bot as a process of its own, for tests that kill it for real (SIGKILL) and start another on
 * the same store: Lark variables point at the stand-in, MONGODB_URI at a store served on loopback.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { LarkStandIn } from '../../sandbox/lark/server.js';
import { APP, ENCRYPT_KEY, freePort, VERIFICATION_TOKEN } from './harness.js';

export interface BotProcess {
  proc: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface SpawnOptions {
  standIn: LarkStandIn;
  dbUri: string;
  /** BAOMI_TEST_FAULT: a named point where the process kills itself (bot/test-faults.ts). */
  fault?: string;
  /** More environment (BAOMI_* test knobs). */
  env?: Record<string, string>;
  /** Return a process that killed itself before it became healthy instead of failing. */
  mayDie?: boolean;
}

/** Starts a bot process, waits until it is healthy, and points the stand-in's webhook at it. */
export async function spawnBot(o: SpawnOptions): Promise<BotProcess> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('LARK_') || k.startsWith('BAOMI_') || k === 'MONGODB_URI' || k === 'NODE_ENV') delete env[k];
  Object.assign(env, {
    LARK_APP_ID: APP.appId,
    LARK_APP_SECRET: APP.appSecret,
    LARK_ENCRYPT_KEY: ENCRYPT_KEY,
    LARK_VERIFICATION_TOKEN: VERIFICATION_TOKEN,
    LARK_DOMAIN: o.standIn.url,
    LARK_TRANSPORT: 'webhook',
    PORT: String(port),
    MONGODB_URI: o.dbUri,
    BAOMI_LOG_LEVEL: 'warn',
    ...(o.env ?? {}),
    ...(o.fault ? { BAOMI_TEST_FAULT: o.fault } : {}),
  });
  let out = '';
  const proc = spawn(process.execPath, ['--import', 'tsx', 'bot/main.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => proc.once('exit', (code, signal) => r({ code, signal })));
  const child: BotProcess = { proc, output: () => out, exited };
  const deadline = Date.now() + 20_000;
  while (
    !(await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.ok,
      () => false,
    ))
  ) {
    if (o.mayDie && proc.signalCode === 'SIGKILL') return child;
    if (Date.now() > deadline || proc.exitCode !== null) {
      proc.kill('SIGKILL');
      throw new Error(`the bot did not become healthy:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  o.standIn.setDelivery({ mode: 'webhook', url: `http://127.0.0.1:${port}/lark/events` });
  return child;
}
