import * as lark from '@larksuiteoapi/node-sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startLarkStandIn, type LarkStandIn } from '../../../sandbox/lark/server.js';
import { APP_ID, APP_SECRET, sampleCard, sdkClient, silentLogger, userByEn } from './helpers.js';

type Received = Record<string, unknown>;

let s: LarkStandIn;
let ws: lark.WSClient;
const received: Received[] = [];
let cardAnswer: (data: Received) => unknown = () => ({});
const liNa = userByEn('Li Na');

function dispatcher(): lark.EventDispatcher {
  return new lark.EventDispatcher({ logger: silentLogger }).register({
    'im.message.receive_v1': async (data) => {
      received.push(data as unknown as Received);
      return {};
    },
    'card.action.trigger': async (data: unknown) => {
      received.push(data as Received);
      return cardAnswer(data as Received);
    },
  });
}

beforeAll(async () => {
  s = await startLarkStandIn({
    appId: APP_ID,
    appSecret: APP_SECRET,
    delivery: { mode: 'ws' },
    // Fast pings and immediate reconnects keep the test short.
    wsClientConfig: { PingInterval: 1, ReconnectInterval: 1, ReconnectNonce: 0 },
  });
  ws = new lark.WSClient({ appId: APP_ID, appSecret: APP_SECRET, domain: s.url, logger: silentLogger, loggerLevel: lark.LoggerLevel.error });
  await ws.start({ eventDispatcher: dispatcher() });
  await s.waitFor(() => s.wsConnections === 1, 3000, 'WS connection');
});

afterAll(async () => {
  ws.close({ force: true });
  await s.stop();
});

beforeEach(() => {
  received.length = 0;
  cardAnswer = () => ({});
  s.setWsFragmentSize(0);
});

async function sendCard(title: string): Promise<string> {
  const client = sdkClient(s.url);
  const sent = await client.im.v1.message.create({
    params: { receive_id_type: 'open_id' },
    data: { receive_id: liNa.open_id, msg_type: 'interactive', content: JSON.stringify(sampleCard(title)) },
  });
  return sent.data?.message_id ?? '';
}

describe('long-connection delivery to the SDK WSClient', () => {
  it('connects through /callback/ws/endpoint', () => {
    const endpoint = s.calls.find((c) => c.path === '/callback/ws/endpoint');
    expect(endpoint?.body).toMatchObject({ AppID: APP_ID });
    expect((endpoint!.response as { data: { URL: string } }).data.URL).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/ws\/v2\?fpid=/);
    expect(ws.getConnectionStatus().state).toBe('connected');
  });

  it('delivers im.message.receive_v1 and receives the ack', async () => {
    const r = await s.sendText(liNa.open_id, null, '/help');
    expect(r.status).toBe(200);
    expect(r.delivery?.mode).toBe('ws');
    expect(received[0]).toMatchObject({ event_type: 'im.message.receive_v1', message: { message_id: r.message_id, content: '{"text":"/help"}' } });
  });

  it('reassembles fragmented payloads (sum/seq)', async () => {
    s.setWsFragmentSize(64);
    const long = '保密'.repeat(100);
    const r = await s.sendText(liNa.open_id, null, long);
    expect(r.status).toBe(200);
    expect(received[0]).toMatchObject({ message: { content: JSON.stringify({ text: long }) } });
  });

  it('returns the card.action.trigger handler result as the callback answer and applies it', async () => {
    const id = await sendCard('待审批');
    cardAnswer = (data) => ({
      toast: { type: 'info', content: `收到 ${String((data['action'] as { value: { id: string } }).value.id)}` },
      card: { type: 'raw', data: sampleCard('已处理') },
    });
    const r = await s.click(liNa.open_id, id, { value: { action: 'approve', id: 'REQ-9' }, tag: 'button' });
    expect(r).toMatchObject({ ok: true, status: 200, card_updated: true, toast: { type: 'info', content: '收到 REQ-9' } });
    expect(received[0]).toMatchObject({ event_type: 'card.action.trigger', token: r.token, context: { open_message_id: id } });
    expect(s.getMessage(id)?.updated).toBe(true);
    expect(s.getCard(id)).toMatchObject({ header: { title: { content: '已处理' } } });
  });

  it('treats a handler that returns nothing as an empty answer and a throwing handler as a failure', async () => {
    const id = await sendCard('x');
    cardAnswer = () => undefined;
    expect(await s.click(liNa.open_id, id, { value: {} })).toMatchObject({ ok: true, card_updated: false, answer: {} });
    cardAnswer = () => {
      throw new Error('boom');
    };
    expect(await s.click(liNa.open_id, id, { value: {} })).toMatchObject({ ok: false, status: 500 });
  });

  it('answers pings with pongs carrying the ClientConfig', async () => {
    await s.waitFor(() => s.ws.connections()[0]?.pings, 2500, 'a ping');
  });

  it('lets the SDK reconnect after the connection drops', async () => {
    const before = s.ws.endpointCalls;
    s.dropWsConnections();
    await s.waitFor(() => s.ws.endpointCalls > before && s.wsConnections === 1, 4000, 'reconnect');
    const r = await s.sendText(liNa.open_id, null, 'after reconnect');
    expect(r.status).toBe(200);
  });

  it('rejects bad credentials with code 514 (the SDK gives up and reports onError)', async () => {
    let error: Error | undefined;
    const bad = new lark.WSClient({
      appId: APP_ID,
      appSecret: 'wrong',
      domain: s.url,
      logger: silentLogger,
      loggerLevel: lark.LoggerLevel.error,
      onError: (e) => {
        error = e;
      },
    });
    try {
      await bad.start({ eventDispatcher: dispatcher() });
      await s.waitFor(() => error, 3000, 'onError');
      expect(error?.message).toContain('code=514');
      expect(s.wsConnections).toBe(1);
    } finally {
      bad.close({ force: true });
    }
  });

  it('reports no connection when no client is connected', async () => {
    const lonely = await startLarkStandIn({ appId: APP_ID, appSecret: APP_SECRET, delivery: { mode: 'ws' } });
    try {
      const r = await lonely.sendText(liNa.open_id, null, 'hi');
      expect(r).toMatchObject({ status: 0, delivered: true, delivery: { error: 'no WebSocket connection' } });
    } finally {
      await lonely.stop();
    }
  });
});
