/**
 * What the browser tests share: `npm start` in sandbox mode as a process of its own (no Lark
 * variables, no MongoDB URI, a free port), waited for until the chat page answers, and Debian's
 * Chromium driven by playwright-core with the flags this machine needs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { freePort } from './harness.js';

export const CHROMIUM = '/usr/bin/chromium';

export interface SandboxProcess {
  child: ChildProcess;
  base: string;
  /** How long the chat page took to answer after the spawn. */
  startupMs: number;
  /** Everything the process printed so far. */
  output(): string;
}

/** Starts the bot in sandbox mode (`tsx bot/main.ts`); rejects when the page does not answer within `timeoutMs`. */
export async function startSandbox(timeoutMs: number): Promise<SandboxProcess> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's chromium (apt-get install -y chromium); .ci/run does.`);
  const port = await freePort();
  const base = `http://localhost:${port}`;
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), BAOMI_LOG_LEVEL: 'warn' };
  for (const k of Object.keys(env)) if (k.startsWith('LARK_') || k === 'MONGODB_URI' || k === 'NODE_ENV') delete env[k];
  let output = '';
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'bot/main.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  for (;;) {
    if (Date.now() - started > timeoutMs) {
      child.kill('SIGTERM');
      throw new Error(`the chat page did not answer within ${timeoutMs / 1000} s:\n${output}`);
    }
    const ok = await fetch(`${base}/`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, base, startupMs: Date.now() - started, output: () => output };
}

/** Headless Chromium (Debian's), never a downloaded one. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'],
  });
}
