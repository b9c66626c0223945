/**
 * The acceptance command of the foundation issue: the bot started as a process with Lark variables
 * (`LARK_DOMAIN` = a Lark-compatible server, webhook transport) answers through signed, encrypted
 * webhooks exactly like it would against Feishu.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLarkStandIn, type LarkStandIn } from '../../sandbox/lark/server.js';
import { APP, ENCRYPT_KEY, freePort, USERS, VERIFICATION_TOKEN } from './harness.js';

let standIn: LarkStandIn;
let child: ChildProcess;
let output = '';

describe('npm start with Lark variables (webhook) against a Lark-compatible server', () => {
  beforeAll(async () => {
    standIn = await startLarkStandIn({ ...APP, encryptKey: ENCRYPT_KEY, verificationToken: VERIFICATION_TOKEN });
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const k of Object.keys(env)) if (k.startsWith('LARK_') || k === 'MONGODB_URI' || k === 'NODE_ENV') delete env[k];
    Object.assign(env, {
      LARK_APP_ID: APP.appId,
      LARK_APP_SECRET: APP.appSecret,
      LARK_ENCRYPT_KEY: ENCRYPT_KEY,
      LARK_VERIFICATION_TOKEN: VERIFICATION_TOKEN,
      LARK_DOMAIN: standIn.url,
      LARK_TRANSPORT: 'webhook',
      PORT: String(port),
      BAOMI_LOG_LEVEL: 'info',
    });
    child = spawn(process.execPath, ['--import', 'tsx', 'bot/main.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    const deadline = Date.now() + 10_000;
    while (
      !(await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.ok,
        () => false,
      ))
    ) {
      if (Date.now() > deadline) throw new Error(`bot did not become healthy:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    standIn.setDelivery({ mode: 'webhook', url: `http://127.0.0.1:${port}/lark/events` });
  }, 30_000);

  afterAll(async () => {
    child?.kill('SIGTERM');
    await standIn?.stop();
  });

  it('answers the encrypted url_verification', async () => {
    expect((await standIn.challenge()).ok).toBe(true);
  });

  it('a signed, encrypted /help gets an interactive reply within 2 s', async () => {
    const t0 = Date.now();
    const sent = await standIn.sendText(USERS.securityOfficer, null, '/help');
    const reply = await standIn.waitForMessage((m) => m.parent_id === sent.message_id, 2000);
    expect(reply.msg_type).toBe('interactive');
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('a wrong signature gets 401 and no reply', async () => {
    const sent = await standIn.sendText(USERS.securityOfficer, null, 'x');
    const env = structuredClone(sent.envelope!) as unknown as { header: { event_id: string }; event: { message: { message_id: string; content: string } } };
    env.header.event_id = 'forged-event-0001';
    env.event.message.message_id = 'om_forged_0001';
    env.event.message.content = JSON.stringify({ text: '/help' });
    const r = await standIn.deliverRaw(env, { signature: '0'.repeat(64) });
    expect(r.status).toBe(401);
    await new Promise((res) => setTimeout(res, 300));
    expect(standIn.calls.some((c) => c.path.includes('om_forged_0001'))).toBe(false);
  });

  it('the same message delivered 5 times gets exactly one reply', async () => {
    const sent = await standIn.sendText(USERS.securityOfficer, null, '/lang');
    await standIn.redeliver(sent.envelope!, 4);
    await standIn.waitForMessage((m) => m.parent_id === sent.message_id, 2000);
    await new Promise((r) => setTimeout(r, 300));
    expect(standIn.messages((m) => m.parent_id === sent.message_id)).toHaveLength(1);
  });

  it('logs JSON lines and never the app secret, encrypt key or verification token', () => {
    const lines = output.split('\n').filter((l) => l.startsWith('{'));
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(() => JSON.parse(l)).not.toThrow();
    for (const secret of [APP.appSecret, ENCRYPT_KEY, VERIFICATION_TOKEN]) expect(output).not.toContain(secret);
  });
});
