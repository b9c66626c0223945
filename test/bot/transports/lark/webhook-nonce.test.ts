/**
 * A webhook nonce is recorded only for an accepted request: Lark's resend of the very same signed
 * request after a 503 (redeliver) or a 500 gets in; a replay of an accepted one is refused 401.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../../../bot/core/app.js';
import { silentLogger } from '../../../../bot/core/logger.js';
import { Router } from '../../../../bot/core/router.js';
import { computeSignature } from '../../../../bot/transports/lark/crypto.js';
import { createEventsHandler } from '../../../../bot/transports/lark/webhook.js';
import { encryptPayload } from '../../../../sandbox/lark/crypto.js';
import { appWith, fakeServices } from '../../../helpers/fake-services.js';

const KEY = 'unit-encrypt-key';
const TOKEN = 'unit-verification-token';

let server: http.Server | undefined;
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

async function listen(app: App, metrics = fakeServices().metrics): Promise<string> {
  const handle = createEventsHandler({ app, logger: silentLogger, metrics, encryptKey: KEY, verificationToken: TOKEN });
  server = http.createServer((req, res) => void handle(req, res));
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}/lark/events`;
}

/** One signed, encrypted im.message.receive_v1 request, fixed to the byte: send it as often as you like. */
function signedRequest(text: string) {
  const messageId = `om_${randomBytes(16).toString('hex')}`;
  const body = {
    schema: '2.0',
    header: {
      event_id: randomBytes(16).toString('hex'),
      event_type: 'im.message.receive_v1',
      create_time: String(Date.now()),
      token: TOKEN,
      app_id: 'cli_0123456789abcdef',
      tenant_key: 't1',
    },
    event: {
      sender: { sender_id: { open_id: 'ou_alice' }, sender_type: 'user', tenant_key: 't1' },
      message: { message_id: messageId, create_time: String(Date.now()), chat_id: 'oc_p2p_1', chat_type: 'p2p', message_type: 'text', content: JSON.stringify({ text }) },
    },
  };
  const raw = JSON.stringify({ encrypt: encryptPayload(KEY, JSON.stringify(body)) });
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = randomBytes(8).toString('hex');
  const headers = {
    'content-type': 'application/json',
    'x-lark-request-timestamp': timestamp,
    'x-lark-request-nonce': nonce,
    'x-lark-signature': computeSignature(timestamp, nonce, KEY, raw),
  };
  return { messageId, send: (url: string) => fetch(url, { method: 'POST', headers, body: raw }).then((r) => r.status) };
}

const pong = () => new Router().command({ name: 'ping', aliases: [], handler: async (ctx) => void (await ctx.reply({ type: 'text', text: 'pong' })) });

describe('webhook nonces: recorded only for accepted requests', () => {
  it('a request answered 503 (store down) is accepted when Lark resends it unchanged; a replay of the accepted one gets 401', async () => {
    const services = fakeServices();
    const claim = services.dedupe.claim.bind(services.dedupe);
    let down = true;
    services.dedupe.claim = async (key: string) => {
      if (down) throw new Error('store unreachable');
      return claim(key);
    };
    const { app } = appWith(pong(), services);
    const url = await listen(app, services.metrics);
    const request = signedRequest('/ping');
    expect(await request.send(url)).toBe(503);
    expect(services.sender.texts()).toEqual([]);
    down = false;
    expect(await request.send(url)).toBe(200);
    expect(services.sender.texts()).toEqual(['pong']);
    expect(await request.send(url)).toBe(401);
    expect(services.sender.texts()).toEqual(['pong']);
  });

  it('a request answered 500 is accepted when resent; a copy sent while it is handled, and any later replay, get 401', async () => {
    const services = fakeServices();
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const router = new Router().command({
      name: 'slow',
      aliases: [],
      handler: async (ctx) => {
        await gate;
        await ctx.reply({ type: 'text', text: 'slow pong' });
      },
    });
    const { app } = appWith(router, services);
    let failures = 1;
    const flaky = {
      dispatch: (...args: Parameters<App['dispatch']>) => {
        if (failures-- > 0) throw new Error('transport bug');
        return app.dispatch(...args);
      },
    } as unknown as App;
    const url = await listen(flaky, services.metrics);
    const request = signedRequest('/slow');
    expect(await request.send(url)).toBe(500);
    const accepted = request.send(url);
    await new Promise((r) => setTimeout(r, 50));
    expect(await request.send(url)).toBe(401); // the same request, while the first copy is in flight
    open();
    expect(await accepted).toBe(200);
    expect(await request.send(url)).toBe(401);
    expect(services.sender.texts()).toEqual(['slow pong']);
  });
});
