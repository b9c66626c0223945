/**
 * Long connection health (issue 7, item 3): the SDK's `wsConfig.pingTimeout` is set, and /healthz
 * reports the connection (state, age of the last frame) and answers 503 when Lark went silent — a
 * half-dead server that accepts the socket but answers no ping.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, USERS, type Harness } from './harness.js';

interface Health {
  ok: boolean;
  lark: { connected?: boolean; connection?: { ok: boolean; state: string; lastFrameAgeMs: number | null; maxSilenceMs: number } };
}

async function healthz(h: Harness): Promise<{ status: number; body: Health }> {
  const r = await fetch(`${h.bot.url}/healthz`);
  return { status: r.status, body: (await r.json()) as Health };
}

describe('long connection health', () => {
  let h: Harness;
  beforeAll(async () => {
    // Pings every second; the bot gives a pong 1 s and calls the connection dead after 3 s of silence.
    h = await startHarness('ws', { wsPingTimeoutSec: 1, wsMaxSilenceMs: 3000 }, undefined, { wsClientConfig: { PingInterval: 1, ReconnectInterval: 1, ReconnectNonce: 1 } });
  });
  afterAll(() => h.stop());

  it('reports a live connection: state and the age of the last frame', async () => {
    await h.standIn.waitFor(async () => (await healthz(h)).status === 200, 5000, 'a healthy connection');
    const { body } = await healthz(h);
    expect(body.ok).toBe(true);
    expect(body.lark.connection).toMatchObject({ ok: true, state: 'ready', maxSilenceMs: 3000 });
    expect(body.lark.connection?.lastFrameAgeMs).toBeLessThan(3000);
  });

  it('answers 503 when Lark goes silent, and recovers when it speaks again', async () => {
    h.standIn.setWsSilent(true);
    const dead = await h.standIn.waitFor(
      async () => {
        const r = await healthz(h);
        return r.status === 503 ? r : undefined;
      },
      12_000,
      '/healthz to report the silent connection dead',
    );
    expect(dead.body.ok).toBe(false);
    expect(dead.body.lark.connection?.ok).toBe(false);
    expect(dead.body.lark.connection?.lastFrameAgeMs).toBeGreaterThan(3000);
    // The ping timeout made the SDK drop the half-dead socket and dial again.
    const endpointCalls = h.standIn.calls.filter((c) => c.path.startsWith('/callback/ws/endpoint')).length;
    expect(endpointCalls).toBeGreaterThanOrEqual(2);

    h.standIn.setWsSilent(false);
    await h.standIn.waitFor(async () => (await healthz(h)).status === 200, 12_000, '/healthz to recover');
    const sent = await h.standIn.sendText(USERS.securityOfficer, null, '/help');
    await h.standIn.waitForMessage((m) => m.parent_id === sent.message_id, 5000);
  }, 40_000);
});
