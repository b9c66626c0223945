import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as lark from '@larksuiteoapi/node-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLarkStandIn, type LarkStandIn } from '../../../sandbox/lark/server.js';
import { APP_ID, APP_SECRET, listen, org, sampleCard, sdkClient, silentLogger, userByEn } from './helpers.js';

let s: LarkStandIn;
let bot: { url: string; close: () => Promise<void> };
let webDir: string;
const liNa = userByEn('Li Na');
const pdf = Buffer.from('%PDF-1.4 demo ledger');

/** SSE events collected from /sandbox/api/stream. */
const sse: { event: string; data: Record<string, unknown> }[] = [];
let sseReq: http.ClientRequest | undefined;

beforeAll(async () => {
  webDir = mkdtempSync(join(tmpdir(), 'lark-web-'));
  writeFileSync(join(webDir, 'index.html'), '<!doctype html><title>chat</title>');
  writeFileSync(join(webDir, 'app.js'), 'console.log(1)');
  writeFileSync(join(webDir, 'style.css'), 'body{}');

  // A tiny bot: answers "/card" with a card, "/file" with a file, anything else with text.
  let client: lark.Client | undefined;
  const dispatcher = new lark.EventDispatcher({ logger: silentLogger }).register({
    'im.message.receive_v1': async (data) => {
      const text = (JSON.parse(data.message.content) as { text: string }).text;
      const c = client!;
      void (async () => {
        if (text === '/card') {
          await c.im.v1.message.reply({ path: { message_id: data.message.message_id }, data: { msg_type: 'interactive', content: JSON.stringify(sampleCard('请审批')) } });
        } else if (text === '/file') {
          const up = await c.im.v1.file.create({ data: { file_type: 'pdf', file_name: '保密台账.pdf', file: pdf } });
          await c.im.v1.message.create({
            params: { receive_id_type: 'chat_id' },
            data: { receive_id: data.message.chat_id, msg_type: 'file', content: JSON.stringify({ file_key: up?.file_key }) },
          });
        } else {
          await c.im.v1.message.create({
            params: { receive_id_type: 'chat_id' },
            data: { receive_id: data.message.chat_id, msg_type: 'text', content: JSON.stringify({ text: `echo: ${text}` }) },
          });
        }
      })();
      return {};
    },
    'im.chat.access_event.bot_p2p_chat_entered_v1': async () => ({}),
    'card.action.trigger': async () => ({
      toast: { type: 'success', content: '已同意' },
      card: { type: 'raw', data: sampleCard('已同意') },
    }),
  });
  bot = await listen(lark.adaptDefault('/lark/events', dispatcher, { autoChallenge: true }));
  s = await startLarkStandIn({ appId: APP_ID, appSecret: APP_SECRET, webDir, delivery: { mode: 'webhook', url: `${bot.url}/lark/events` } });
  client = sdkClient(s.url);

  await new Promise<void>((resolve) => {
    sseReq = http.get(`${s.url}/sandbox/api/stream?user=${liNa.open_id}`, (res) => {
      expect(res.headers['content-type']).toContain('text/event-stream');
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const ev = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (ev && data) sse.push({ event: ev, data: JSON.parse(data) as Record<string, unknown> });
        }
      });
      res.on('error', () => undefined);
      resolve();
    });
    sseReq.on('error', () => undefined);
  });
});

afterAll(async () => {
  sseReq?.destroy();
  await s.stop();
  await bot.close();
  rmSync(webDir, { recursive: true, force: true });
});

const api = async <T = Record<string, unknown>>(path: string, body?: unknown): Promise<{ status: number; json: T }> => {
  const res = await fetch(`${s.url}${path}`, body === undefined ? {} : { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as T };
};

interface PageMessage {
  message_id: string;
  sender: { type: string; id: string; name: string };
  msg_type: string;
  text?: string;
  card?: Record<string, unknown>;
  file?: { file_key: string; file_name: string; size: number; url: string };
  updated: boolean;
  parent_id?: string;
}

describe('page API', () => {
  let chatId = '';

  it('serves the directory', async () => {
    const { json } = await api<{ users: { open_id: string; demo_roles: string[] }[]; departments: { leader_user_id: string }[]; bot: { app_id: string; name: string } }>(
      '/sandbox/api/directory',
    );
    expect(json.users).toHaveLength(org.users.length);
    expect(json.users.find((u) => u.open_id === liNa.open_id)?.demo_roles).toContain('security_officer');
    expect(json.departments).toHaveLength(4);
    expect(json.departments.every((d) => d.leader_user_id.startsWith('ou_'))).toBe(true);
    expect(json.bot).toMatchObject({ app_id: APP_ID, name: '保密助手' });
  });

  it('opens the p2p chat (delivering bot_p2p_chat_entered_v1) and lists chats', async () => {
    const first = await api<{ chat_id: string; created: boolean }>('/sandbox/api/chats/p2p', { user: liNa.open_id });
    expect(first.json.created).toBe(true);
    chatId = first.json.chat_id;
    const again = await api<{ chat_id: string; created: boolean }>('/sandbox/api/chats/p2p', { user: liNa.open_id });
    expect(again.json).toMatchObject({ chat_id: chatId, created: false });
    expect(s.deliveries.filter((d) => d.kind === 'im.chat.access_event.bot_p2p_chat_entered_v1').map((d) => d.status)).toEqual([200, 200]);
    const chats = await api<{ chats: { chat_id: string; chat_type: string; name: string }[] }>(`/sandbox/api/chats?user=${liNa.open_id}`);
    expect(chats.json.chats[0]).toMatchObject({ chat_id: chatId, chat_type: 'p2p', name: '保密助手' });
    expect(chats.json.chats.filter((c) => c.chat_type === 'group').map((c) => c.name)).toEqual(['保密委员会']);
  });

  it('sends text, streams the bot reply over SSE and lists messages oldest first', async () => {
    const sent = await api<{ message_id: string; delivery: { status: number } }>(`/sandbox/api/chats/${chatId}/messages`, { user: liNa.open_id, text: 'hello' });
    expect(sent.json.delivery.status).toBe(200);
    const reply = await s.waitForMessage({ chat_id: chatId, sender_type: 'app' });
    await s.waitFor(() => sse.find((e) => e.data['message_id'] === reply.message_id), 2000, 'SSE event');
    expect(sse.find((e) => e.data['message_id'] === sent.json.message_id)).toMatchObject({ event: 'message', data: { chat_id: chatId, kind: 'created' } });
    const list = await api<{ messages: PageMessage[] }>(`/sandbox/api/chats/${chatId}/messages?user=${liNa.open_id}`);
    expect(list.json.messages.map((m) => [m.sender.type, m.text])).toEqual([
      ['user', 'hello'],
      ['app', 'echo: hello'],
    ]);
    const forbidden = await api(`/sandbox/api/chats/${chatId}/messages?user=${userByEn('Xu Li').open_id}`);
    expect(forbidden.status).toBe(403);
  });

  it('clicks a card button: the answer is applied and the page sees an update', async () => {
    await api(`/sandbox/api/chats/${chatId}/messages`, { user: liNa.open_id, text: '/card' });
    const card = await s.waitForMessage({ chat_id: chatId, msg_type: 'interactive' });
    const r = await api<{ ok: boolean; toast?: { content: string }; card_updated: boolean }>(`/sandbox/api/messages/${card.message_id}/actions`, {
      user: liNa.open_id,
      tag: 'button',
      name: 'approve',
      value: { action: 'approve', id: 'REQ-1' },
    });
    expect(r.json).toEqual({ ok: true, toast: { type: 'success', content: '已同意' }, card_updated: true });
    await s.waitFor(() => sse.find((e) => e.data['message_id'] === card.message_id && e.data['kind'] === 'updated'), 2000, 'SSE update');
    const list = await api<{ messages: PageMessage[] }>(`/sandbox/api/chats/${chatId}/messages?user=${liNa.open_id}`);
    const m = list.json.messages.find((x) => x.message_id === card.message_id);
    expect(m).toMatchObject({ msg_type: 'interactive', updated: true, card: { header: { title: { content: '已同意' } } } });
    expect(m?.parent_id).toBeDefined();
  });

  it('downloads files', async () => {
    await api(`/sandbox/api/chats/${chatId}/messages`, { user: liNa.open_id, text: '/file' });
    const fileMsg = await s.waitForMessage({ chat_id: chatId, msg_type: 'file' });
    const list = await api<{ messages: PageMessage[] }>(`/sandbox/api/chats/${chatId}/messages?user=${liNa.open_id}`);
    const f = list.json.messages.find((x) => x.message_id === fileMsg.message_id)?.file;
    expect(f).toMatchObject({ file_name: '保密台账.pdf', size: pdf.length });
    const res = await fetch(`${s.url}${f?.url ?? ''}`);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename*=UTF-8''${encodeURIComponent('保密台账.pdf')}`);
    expect(Buffer.from(await res.arrayBuffer()).equals(pdf)).toBe(true);
  });

  it('exposes the recorded calls', async () => {
    const { json } = await api<{ calls: { path: string }[] }>('/sandbox/api/calls');
    expect(json.calls.some((c) => c.path === '/open-apis/im/v1/files')).toBe(true);
  });

  it('serves static files with content types and without traversal', async () => {
    const index = await fetch(`${s.url}/`);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await index.text()).toContain('<title>chat</title>');
    expect((await fetch(`${s.url}/app.js`)).headers.get('content-type')).toContain('text/javascript');
    expect((await fetch(`${s.url}/style.css`)).headers.get('content-type')).toContain('text/css');
    expect((await fetch(`${s.url}/missing.png`)).status).toBe(404);
    const traversal = await new Promise<number>((resolve) => {
      http.get({ host: '127.0.0.1', port: s.port, path: '/..%2f..%2fpackage.json' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
    });
    expect(traversal).toBe(403);
  });

  it('serves a placeholder when the web page is missing', async () => {
    const bare = await startLarkStandIn({ appId: APP_ID, appSecret: APP_SECRET, webDir: join(webDir, 'nope') });
    try {
      const res = await fetch(`${bare.url}/`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('Lark stand-in');
    } finally {
      await bare.stop();
    }
  });
});
