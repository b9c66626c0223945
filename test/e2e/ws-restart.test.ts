import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, USERS, type Harness } from './harness.js';

describe('long connection: restarted when the SDK gives up', () => {
  let h: Harness;
  beforeAll(async () => {
    // The first endpoint call answers a non-retryable code: the SDK calls onError and stops for good.
    h = await startHarness('ws', { wsRestartDelayMs: 50 }, (standIn) => standIn.failNext('/callback/ws/endpoint', { status: 200, code: 514, msg: 'auth failed' }, 1), {
      // Lark's default reconnect interval is 120 s; keep the test short.
      wsClientConfig: { ReconnectInterval: 1, ReconnectNonce: 1 },
    });
  });
  afterAll(() => h.stop());

  it('reconnects by itself and then handles messages', async () => {
    expect(h.bot.ws?.restartCount).toBeGreaterThanOrEqual(1);
    expect(h.standIn.calls.filter((c) => c.path.startsWith('/callback/ws/endpoint')).length).toBeGreaterThanOrEqual(2);
    const sent = await h.standIn.sendText(USERS.securityOfficer, null, '/help');
    const reply = await h.standIn.waitForMessage((m) => m.parent_id === sent.message_id, 2000);
    expect(reply.msg_type).toBe('interactive');
  });

  it('survives the server dropping the socket (the SDK reconnects)', async () => {
    h.standIn.dropWsConnections();
    await h.standIn.waitFor(() => h.standIn.wsConnections > 0, 8000, 'reconnection');
    const sent = await h.standIn.sendText(USERS.securityOfficer, null, '/lang');
    await h.standIn.waitForMessage((m) => m.parent_id === sent.message_id, 2000);
  });
});
