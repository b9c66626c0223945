import * as lark from '@larksuiteoapi/node-sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { decryptPayload, signBody } from '../../../sandbox/lark/crypto.js';
import { readBody } from '../../../sandbox/lark/http-util.js';
import { startLarkStandIn, type LarkStandIn } from '../../../sandbox/lark/server.js';
import { APP_ID, APP_SECRET, ENCRYPT_KEY, listen, org, sampleCard, sdkClient, silentLogger, userByEn, VERIFICATION_TOKEN } from './helpers.js';

type Received = Record<string, unknown> & { event_type?: string };

let s: LarkStandIn;
let receiver: { url: string; close: () => Promise<void> };
let strict: { url: string; close: () => Promise<void> };
const received: Received[] = [];
let cardAnswer: (data: Received) => unknown = () => ({});

const liNa = userByEn('Li Na');
const zhangWei = userByEn('Zhang Wei');
const committee = org.org.chats.find((c) => c.en_name === 'Confidentiality Committee');
const finance = org.org.chats.find((c) => c.en_name === 'Finance Team');

beforeAll(async () => {
  const dispatcher = new lark.EventDispatcher({
    encryptKey: ENCRYPT_KEY,
    verificationToken: VERIFICATION_TOKEN,
    logger: silentLogger,
  }).register({
    'im.message.receive_v1': async (data) => {
      received.push(data as unknown as Received);
      return {};
    },
    'im.chat.access_event.bot_p2p_chat_entered_v1': async (data) => {
      received.push(data as unknown as Received);
      return {};
    },
    'im.chat.member.bot.added_v1': async (data) => {
      received.push(data as unknown as Received);
      return {};
    },
    'card.action.trigger': async (data: unknown) => {
      received.push(data as Received);
      return cardAnswer(data as Received);
    },
  });
  receiver = await listen(lark.adaptDefault('/lark/events', dispatcher, { autoChallenge: true }));
  // A receiver that checks the signature itself (as our bot must) and answers 401 on mismatch.
  strict = await listen((req, res) => {
    void readBody(req).then((buf) => {
      const body = buf.toString('utf8');
      const ts = String(req.headers['x-lark-request-timestamp'] ?? '');
      const nonce = String(req.headers['x-lark-request-nonce'] ?? '');
      const ok = signBody(ts, nonce, ENCRYPT_KEY, body) === req.headers['x-lark-signature'];
      res.writeHead(ok ? 200 : 401, { 'Content-Type': 'application/json' });
      res.end(ok ? '{}' : '{"error":"bad signature"}');
    });
  });
  s = await startLarkStandIn({
    appId: APP_ID,
    appSecret: APP_SECRET,
    encryptKey: ENCRYPT_KEY,
    verificationToken: VERIFICATION_TOKEN,
    delivery: { mode: 'webhook', url: `${receiver.url}/lark/events` },
  });
});

afterAll(async () => {
  await s.stop();
  await receiver.close();
  await strict.close();
});

beforeEach(() => {
  received.length = 0;
  cardAnswer = () => ({});
  s.setDelivery({ mode: 'webhook', url: `${receiver.url}/lark/events` });
});

describe('webhook delivery to an SDK EventDispatcher', () => {
  it('answers the url_verification challenge', async () => {
    const r = await s.challenge();
    expect(r.ok).toBe(true);
    expect(r.status).toBe(200);
  });

  it('delivers an encrypted, signed im.message.receive_v1 for a p2p text', async () => {
    const r = await s.sendText(liNa.open_id, null, '/help');
    expect(r.status).toBe(200);
    expect(received).toHaveLength(1);
    const ev = received[0] as Received & { message: Record<string, unknown>; sender: Record<string, unknown> };
    expect(ev.event_type).toBe('im.message.receive_v1');
    expect(ev['token']).toBe(VERIFICATION_TOKEN);
    expect(ev['app_id']).toBe(APP_ID);
    expect(ev['event_id']).toMatch(/^[0-9a-f]{32}$/);
    expect(ev.message).toMatchObject({
      message_id: r.message_id,
      chat_id: r.chat_id,
      chat_type: 'p2p',
      message_type: 'text',
      content: JSON.stringify({ text: '/help' }),
    });
    expect(ev.sender).toMatchObject({ sender_id: { open_id: liNa.open_id }, sender_type: 'user' });
    // What went over the wire was encrypted.
    const rec = s.deliveries.at(-1);
    expect(rec?.kind).toBe('im.message.receive_v1');
    expect(rec?.status).toBe(200);
  });

  it('turns @bot in a group into a mention and skips group messages without it', async () => {
    const r = await s.sendText(zhangWei.open_id, committee?.chat_id ?? '', '@保密助手 /pending');
    expect(r.delivered).toBe(true);
    const ev = received[0] as { message: { content: string; chat_type: string; mentions: { key: string; id: { open_id: string } }[] } };
    expect(ev.message.chat_type).toBe('group');
    expect(JSON.parse(ev.message.content)).toEqual({ text: '@_user_1 /pending' });
    expect(ev.message.mentions[0]).toMatchObject({ key: '@_user_1', id: { open_id: org.org.app.open_id } });

    const skipped = await s.sendText(zhangWei.open_id, committee?.chat_id ?? '', '大家好');
    expect(skipped).toMatchObject({ delivered: false, status: null });
    expect(received).toHaveLength(1);
  });

  it('delivers p2p-entered and bot-added events', async () => {
    const opened = await s.openP2p(zhangWei.open_id);
    expect(opened.delivery.status).toBe(200);
    expect(received[0]).toMatchObject({ event_type: 'im.chat.access_event.bot_p2p_chat_entered_v1', chat_id: opened.chat_id });
    const added = await s.addBotToGroup(finance?.chat_id ?? '', userByEn('Wu Fang').open_id);
    expect(added.status).toBe(200);
    expect(received[1]).toMatchObject({ event_type: 'im.chat.member.bot.added_v1', chat_id: finance?.chat_id, name: '财务处' });
  });

  it('applies a card callback answer (toast + raw card) to the message', async () => {
    const client = sdkClient(s.url);
    const sent = await client.im.v1.message.create({
      params: { receive_id_type: 'open_id' },
      data: { receive_id: liNa.open_id, msg_type: 'interactive', content: JSON.stringify(sampleCard('待审批')) },
    });
    const messageId = sent.data?.message_id ?? '';
    cardAnswer = () => ({
      toast: { type: 'success', content: '已同意', i18n: { zh_cn: '已同意', en_us: 'Approved' } },
      card: { type: 'raw', data: sampleCard('已同意') },
    });
    const r = await s.click(liNa.open_id, messageId, { value: { action: 'approve', id: 'REQ-1' }, tag: 'button', name: 'approve' });
    expect(r).toMatchObject({ ok: true, status: 200, card_updated: true, toast: { type: 'success', content: '已同意' } });
    const ev = received[0] as Received & { action: Record<string, unknown>; context: Record<string, unknown>; operator: Record<string, unknown> };
    expect(ev.event_type).toBe('card.action.trigger');
    expect(ev['token']).toBe(r.token); // event.token overwrites header.token when flattened
    expect(r.token).toMatch(/^c-/);
    expect(ev.action).toMatchObject({ value: { action: 'approve', id: 'REQ-1' }, tag: 'button', name: 'approve', timezone: 'Asia/Shanghai' });
    expect(ev.context).toEqual({ open_message_id: messageId, open_chat_id: s.p2pChatId(liNa.open_id) });
    expect(ev['host']).toBe('im_message');
    expect(ev.operator).toMatchObject({ open_id: liNa.open_id });
    const msg = s.getMessage(messageId);
    expect(msg?.updated).toBe(true);
    expect(s.getCard(messageId)).toMatchObject({ header: { title: { content: '已同意' } } });

    // Delayed update with the click's token: allowed twice, after the answer.
    const upd = (title: string) =>
      client.request<{ code: number }>({
        method: 'POST',
        url: '/open-apis/interactive/v1/card/update',
        data: { token: r.token, card: sampleCard(title) },
      });
    expect((await upd('处理中')).code).toBe(0);
    expect((await upd('完成')).code).toBe(0);
    expect(s.getCard(messageId)).toMatchObject({ header: { title: { content: '完成' } } });
    const third = await upd('again').catch((e: { response?: { data?: { code?: number } } }) => e.response?.data);
    expect(third).toMatchObject({ code: 300003 });
  });

  it('reports bad callback answers like the Lark client does', async () => {
    const client = sdkClient(s.url);
    const sent = await client.im.v1.message.create({
      params: { receive_id_type: 'open_id' },
      data: { receive_id: liNa.open_id, msg_type: 'interactive', content: JSON.stringify(sampleCard('x')) },
    });
    const id = sent.data?.message_id ?? '';
    cardAnswer = () => undefined;
    expect(await s.click(liNa.open_id, id, { value: {} })).toMatchObject({ ok: false, card_updated: false, error: expect.stringContaining('empty') });
    cardAnswer = () => ({ card: { type: 'raw', data: JSON.stringify(sampleCard('y')) } });
    expect(await s.click(liNa.open_id, id, { value: {} })).toMatchObject({ ok: false, error: expect.stringContaining('card.data must be an object') });
    cardAnswer = () => new Promise((resolve) => setTimeout(() => resolve({}), 400));
    const slow = await startLarkStandIn({
      appId: APP_ID,
      appSecret: APP_SECRET,
      encryptKey: ENCRYPT_KEY,
      clickTimeoutMs: 150,
      delivery: { mode: 'webhook', url: `${receiver.url}/lark/events` },
    });
    try {
      const c2 = sdkClient(slow.url);
      const m2 = await c2.im.v1.message.create({
        params: { receive_id_type: 'open_id' },
        data: { receive_id: liNa.open_id, msg_type: 'interactive', content: JSON.stringify(sampleCard('x')) },
      });
      const t = await slow.click(liNa.open_id, m2.data?.message_id ?? '', { value: {} });
      expect(t).toMatchObject({ ok: false, status: 0, error: expect.stringContaining('timeout') });
    } finally {
      await slow.stop();
    }
  });

  // Callback answers Lark refuses: https://open.feishu.cn/document/feishu-cards/card-callback-communication
  // (200673 invalid card in the answer; 200830 a JSON 2.0 card answered with a card that is not 2.0).
  it('refuses invalid answer cards with 200673 and a non-2.0 answer to a 2.0 card with 200830', async () => {
    const client = sdkClient(s.url);
    const sent = await client.im.v1.message.create({
      params: { receive_id_type: 'open_id' },
      data: { receive_id: liNa.open_id, msg_type: 'interactive', content: JSON.stringify(sampleCard('x')) },
    });
    const id = sent.data?.message_id ?? '';
    const before = s.openapi.cardRefusals.length;
    const badTable = {
      ...sampleCard('y'),
      body: { elements: [{ tag: 'table', page_size: 5, columns: [{ name: 'n', display_name: '#', data_type: 'text', width: '60px' }], rows: [] }] },
    };
    cardAnswer = () => ({ card: { type: 'raw', data: badTable } });
    const r1 = await s.click(liNa.open_id, id, { value: {} });
    expect(r1).toMatchObject({ ok: false, code: 200673, card_updated: false, error: expect.stringContaining('width') });
    cardAnswer = () => ({ card: { type: 'raw', data: { config: { wide_screen_mode: true }, elements: [{ tag: 'div', text: { tag: 'plain_text', content: '1.0' } }] } } });
    expect(await s.click(liNa.open_id, id, { value: {} })).toMatchObject({ ok: false, code: 200830 });
    expect(s.openapi.cardRefusals.slice(before).map((r) => r.code)).toEqual([200673, 200830]);
    expect(s.getCard(id)).toMatchObject({ header: { title: { content: 'x' } } });
    s.openapi.cardRefusals.splice(before);
  });

  // https://open.feishu.cn/document/server-docs/im-v1/message-card/patch: a 2.0 card being interacted
  // with is locked; Lark answers an update with 11310 "card action is lock" until the callback is answered.
  it('refuses a patch of the clicked card while its callback is open (11310), and accepts it after', async () => {
    const client = sdkClient(s.url);
    const sent = await client.im.v1.message.create({
      params: { receive_id_type: 'open_id' },
      data: { receive_id: liNa.open_id, msg_type: 'interactive', content: JSON.stringify(sampleCard('x')) },
    });
    const id = sent.data?.message_id ?? '';
    const patch = (title: string) =>
      client.im.v1.message
        .patch({ path: { message_id: id }, data: { content: JSON.stringify(sampleCard(title)) } })
        .catch((e: { response?: { data?: { code?: number; msg?: string } } }) => e.response?.data);
    let during: unknown;
    cardAnswer = async () => {
      during = await patch('during');
      return {};
    };
    expect(await s.click(liNa.open_id, id, { value: {} })).toMatchObject({ ok: true });
    expect(during).toMatchObject({ code: 11310, msg: expect.stringContaining('card action is lock') });
    expect(await patch('after')).toMatchObject({ code: 0 });
    expect(s.getCard(id)).toMatchObject({ header: { title: { content: 'after' } } });
  });

  it('delivers forgeries: the SDK answers a bad signature with HTTP 200 and an empty body', async () => {
    const env = {
      schema: '2.0',
      header: { event_id: 'e1', event_type: 'im.message.receive_v1', token: VERIFICATION_TOKEN, app_id: APP_ID, tenant_key: org.tenantKey, create_time: '1' },
      event: {},
    };
    const forged = await s.deliverRaw(env, { signature: 'deadbeef' });
    expect(forged.status).toBe(200);
    expect(forged.body).toBe('');
    expect(received).toHaveLength(0);

    s.setDelivery({ mode: 'webhook', url: `${strict.url}/lark/events` });
    expect((await s.deliverRaw(env, { signature: 'deadbeef' })).status).toBe(401);
    expect((await s.deliverRaw(env, { timestamp: '1000000000', nonce: 'replayed' })).status).toBe(200);
    expect((await s.deliverRaw(env, { sign: false })).status).toBe(401);
    const statuses = s.deliveries.slice(-3).map((d) => d.status);
    expect(statuses).toEqual([401, 200, 401]);
  });

  it('re-delivers the same event concurrently (same event_id and message_id)', async () => {
    const first = await s.sendText(liNa.open_id, null, '/my');
    const again = await s.redeliver(first.envelope!, 3);
    expect(again.map((d) => d.status)).toEqual([200, 200, 200]);
    expect(received).toHaveLength(4);
    const ids = new Set(received.map((r) => `${String(r['event_id'])}/${String((r['message'] as { message_id: string }).message_id)}`));
    expect(ids.size).toBe(1);
  });

  it('encrypts exactly as the SDK expects (the delivered body decrypts with the key)', async () => {
    let captured = '';
    const spy = await listen((req, res) => {
      void readBody(req).then((b) => {
        captured = b.toString('utf8');
        res.end('{}');
      });
    });
    try {
      s.setDelivery({ mode: 'webhook', url: spy.url });
      await s.deliverEvent('im.message.receive_v1', { hello: 'world' }, { eventId: 'fixed-id' });
      const { encrypt } = JSON.parse(captured) as { encrypt: string };
      expect(JSON.parse(decryptPayload(ENCRYPT_KEY, encrypt))).toMatchObject({ schema: '2.0', header: { event_id: 'fixed-id' }, event: { hello: 'world' } });
    } finally {
      await spy.close();
    }
  });
});
