import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as lark from '@larksuiteoapi/node-sdk';
import { describe, expect, it } from 'vitest';
import { createLarkStandIn, type MessageEvent } from '../../../sandbox/lark/server.js';
import { APP_ID, APP_SECRET, sdkClient, silentLogger, userByEn } from './helpers.js';

describe('embedding the stand-in in another HTTP server', () => {
  it('serves the Open API and the long connection through requestListener / handleUpgrade', async () => {
    const s = createLarkStandIn({ appId: APP_ID, appSecret: APP_SECRET, delivery: { mode: 'ws' } });
    const server = http.createServer((req, res) => {
      if (req.url === '/healthz') return void res.end('ok');
      s.requestListener(req, res);
    });
    server.on('upgrade', (req, socket, head: Buffer) => {
      if (!s.handleUpgrade(req, socket, head)) socket.destroy();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    s.setBaseUrl(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const events: MessageEvent[] = [];
    s.on('message', (e: MessageEvent) => events.push(e));
    const got: string[] = [];
    const ws = new lark.WSClient({ appId: APP_ID, appSecret: APP_SECRET, domain: s.url, logger: silentLogger, loggerLevel: lark.LoggerLevel.error });
    try {
      await ws.start({
        eventDispatcher: new lark.EventDispatcher({ logger: silentLogger }).register({
          'im.message.receive_v1': async (d) => {
            got.push(d.message.content);
            return {};
          },
        }),
      });
      await s.waitFor(() => s.wsConnections === 1, 3000, 'connection');
      const liNa = userByEn('Li Na');
      const r = await s.sendText(liNa.open_id, null, 'embedded');
      expect(r.status).toBe(200);
      expect(got).toEqual(['{"text":"embedded"}']);
      const sent = await sdkClient(s.url).im.v1.message.create({
        params: { receive_id_type: 'open_id' },
        data: { receive_id: liNa.open_id, msg_type: 'text', content: '{"text":"reply"}' },
      });
      expect(sent.code).toBe(0);
      expect(events.map((e) => [e.kind, e.message.sender.sender_type])).toEqual([
        ['created', 'user'],
        ['created', 'app'],
      ]);
      expect(await (await fetch(`${s.url}/healthz`)).text()).toBe('ok');
    } finally {
      ws.close({ force: true });
      await s.stop();
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
    }
  });
});
