import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../bot/core/logger.js';
import { Metrics } from '../../../../bot/core/metrics.js';
import { createLarkClient } from '../../../../bot/transports/lark/client.js';
import { LarkApiError, LarkSender } from '../../../../bot/transports/lark/sender.js';

/** A scripted Open API: each call to /im/v1/messages takes the next scripted answer. */
let server: Server;
let base: string;
let script: { status: number; body: unknown; headers?: Record<string, string> }[] = [];
let tokensIssued = 0;
let seenAuth: string[] = [];
let messageBodies: unknown[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(body));
      };
      if (req.url?.startsWith('/open-apis/auth/v3/tenant_access_token/internal')) {
        tokensIssued += 1;
        return send(200, { code: 0, msg: 'ok', tenant_access_token: `t-${tokensIssued}`, expire: 7200 });
      }
      seenAuth.push(String(req.headers.authorization));
      messageBodies.push(raw ? JSON.parse(raw) : null);
      const next = script.shift() ?? { status: 200, body: { code: 0, data: { message_id: 'om_ok' } } };
      send(next.status, next.body, next.headers);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  script = [];
  tokensIssued = 0;
  seenAuth = [];
  messageBodies = [];
});

function makeSender() {
  const waits: number[] = [];
  const metrics = new Metrics();
  const sender = new LarkSender(createLarkClient({ appId: 'cli_0123456789abcdef', appSecret: 's', domain: base }, { timeoutMs: 2000 }), {
    logger: silentLogger,
    metrics,
    sleep: async (ms) => void waits.push(ms),
  });
  return { sender, waits, metrics };
}

describe('LarkSender', () => {
  it('sends through the real SDK with the deterministic uuid and a JSON-string content', async () => {
    const { sender } = makeSender();
    const r = await sender.send({ chatId: 'oc_1' }, { type: 'text', text: 'hi' }, { uuid: 'u-1' });
    expect(r.messageId).toBe('om_ok');
    expect(messageBodies[0]).toEqual({ receive_id: 'oc_1', msg_type: 'text', content: '{"text":"hi"}', uuid: 'u-1' });
    expect(seenAuth[0]).toBe('Bearer t-1');
  });

  it('waits x-ogw-ratelimit-reset seconds on 429, then succeeds', async () => {
    const { sender, waits, metrics } = makeSender();
    script = [{ status: 429, body: { code: 99991400, msg: 'request trigger frequency limit' }, headers: { 'x-ogw-ratelimit-reset': '2' } }];
    await sender.send({ openId: 'ou_1' }, { type: 'text', text: 'x' }, { uuid: 'u-2' });
    expect(waits).toEqual([2000]);
    expect(messageBodies).toHaveLength(2);
    expect(metrics.sends.get({ op: 'im.message.create', result: 'ok' })).toBe(1);
  });

  it('backs off exponentially on 5xx and gives up after the attempt limit with a coded error', async () => {
    const { sender, waits, metrics } = makeSender();
    script = Array.from({ length: 4 }, () => ({ status: 502, body: { code: 502, msg: 'bad gateway' } }));
    const err = await sender.send({ openId: 'ou_1' }, { type: 'text', text: 'x' }, { uuid: 'u-3' }).catch((e) => e);
    expect(err).toBeInstanceOf(LarkApiError);
    expect(err.httpStatus).toBe(502);
    expect(messageBodies).toHaveLength(4);
    expect(waits).toHaveLength(3);
    expect(waits[1]!).toBeGreaterThan(waits[0]!);
    expect(metrics.sends.get({ op: 'im.message.create', result: 'error' })).toBe(1);
  });

  it('refreshes the tenant token once on 99991663 (answered as 2xx or as 4xx) and retries', async () => {
    const { sender } = makeSender();
    script = [{ status: 200, body: { code: 99991663, msg: 'Invalid access token for authorization' } }];
    await sender.send({ openId: 'ou_1' }, { type: 'text', text: 'x' }, { uuid: 'u-4' });
    expect(tokensIssued).toBe(2);
    expect(seenAuth).toEqual(['Bearer t-1', 'Bearer t-2']);

    script = [{ status: 400, body: { code: 99991663, msg: 'Invalid access token' } }];
    await sender.send({ openId: 'ou_1' }, { type: 'text', text: 'y' }, { uuid: 'u-5' });
    expect(tokensIssued).toBe(3);
  });

  // A 2.0 card whose callback is open refuses updates with 11310 "card action is lock" (docs/lark.md,
  // "Checked against the docs"): a later try succeeds, so it is never a permanent failure.
  it('retries a card lock refusal (11310, or 230099 "card action is lock") and never marks it permanent', async () => {
    const { sender, waits } = makeSender();
    script = [
      { status: 400, body: { code: 11310, msg: 'card action is lock' } },
      { status: 400, body: { code: 230099, msg: 'Failed to create card content, ext=ErrCode: 11310; ErrMsg: card action is lock' } },
    ];
    await sender.patchCard('om_1', { schema: '2.0', body: { elements: [] } });
    expect(waits).toEqual([1000, 1000]);
    expect(messageBodies).toHaveLength(3);
    script = Array.from({ length: 4 }, () => ({ status: 400, body: { code: 11310, msg: 'card action is lock' } }));
    const err = (await sender.patchCard('om_1', { schema: '2.0', body: { elements: [] } }).catch((e) => e)) as LarkApiError;
    expect(err).toBeInstanceOf(LarkApiError);
    expect(err.code).toBe(11310);
    expect(err.permanent).toBe(false);
  });

  it('does not retry a permanent error (user outside the availability scope)', async () => {
    const { sender, waits } = makeSender();
    script = [{ status: 400, body: { code: 230013, msg: 'Bot has NO availability to this user.' } }];
    const err = await sender.send({ openId: 'ou_1' }, { type: 'text', text: 'x' }, { uuid: 'u-6' }).catch((e) => e);
    expect(err).toBeInstanceOf(LarkApiError);
    expect(err.code).toBe(230013);
    expect(err.permanent).toBe(true);
    expect(messageBodies).toHaveLength(1);
    expect(waits).toEqual([]);
  });

  it('an unknown refusal is not retried in the call but is not final either: the effect runner tries it again later', async () => {
    const { sender, waits } = makeSender();
    script = [{ status: 400, body: { code: 234567, msg: 'something new' } }];
    const err = await sender.send({ openId: 'ou_1' }, { type: 'text', text: 'x' }, { uuid: 'u-6b' }).catch((e) => e);
    expect(err).toBeInstanceOf(LarkApiError);
    expect(err.permanent).toBe(false);
    expect(messageBodies).toHaveLength(1);
    expect(waits).toEqual([]);
  });

  it('retries a 2xx rate-limit code (230020) with back-off', async () => {
    const { sender, waits } = makeSender();
    script = [{ status: 200, body: { code: 230020, msg: 'rate limited' } }];
    await sender.reply('om_1', { type: 'card', card: { schema: '2.0', body: { elements: [] } } }, { uuid: 'u-7' });
    expect(waits).toHaveLength(1);
    expect(messageBodies).toHaveLength(2);
  });
});
