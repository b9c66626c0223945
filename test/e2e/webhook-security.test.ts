import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { botCards, ENCRYPT_KEY, startHarness, USERS, type Harness } from './harness.js';
import { computeSignature } from '../../bot/transports/lark/crypto.js';
import { encryptPayload } from '../../sandbox/lark/crypto.js';

const ALICE = USERS.securityOfficer;

/** A fresh, valid im.message.receive_v1 envelope for /help from Alice in her p2p chat. */
function helpEnvelope(h: Harness, token = h.standIn.options.verificationToken!) {
  const chatId = h.standIn.p2pChatId(ALICE) ?? 'oc_missing';
  const messageId = `om_${randomBytes(16).toString('hex')}`;
  return {
    messageId,
    body: {
      schema: '2.0',
      header: {
        event_id: randomBytes(16).toString('hex'),
        event_type: 'im.message.receive_v1',
        create_time: String(Date.now()),
        token,
        app_id: h.standIn.options.appId,
        tenant_key: h.standIn.directory.tenantKey,
      },
      event: {
        sender: { sender_id: { open_id: ALICE }, sender_type: 'user', tenant_key: h.standIn.directory.tenantKey },
        message: { message_id: messageId, create_time: String(Date.now()), chat_id: chatId, chat_type: 'p2p', message_type: 'text', content: JSON.stringify({ text: '/help' }) },
      },
    },
  };
}

describe('webhook security (401 and nothing recorded)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('webhook');
    await h.standIn.openP2p(ALICE);
    await h.standIn.waitFor(() => botCards(h.standIn, h.standIn.p2pChatId(ALICE)!).length > 0, 2000, 'welcome card');
  });
  afterAll(() => h.stop());
  beforeEach(() => h.standIn.clearCalls());

  const noTrace = async (messageId: string) => {
    await new Promise((r) => setTimeout(r, 150));
    expect(h.standIn.messages((m) => m.parent_id === messageId)).toHaveLength(0);
    expect(h.standIn.calls.filter((c) => c.path.includes(messageId))).toHaveLength(0);
    expect(await h.db.connection.collection('dedupe').countDocuments({ _id: `msg:${messageId}` as never })).toBe(0);
  };

  it('answers the encrypted url_verification challenge', async () => {
    const r = await h.standIn.challenge();
    expect(r.ok).toBe(true);
    expect(r.durationMs).toBeLessThan(1000);
  });

  it('a correctly signed, encrypted message is accepted (control)', async () => {
    const { body, messageId } = helpEnvelope(h);
    const r = await h.standIn.deliverRaw(body);
    expect(r.status).toBe(200);
    // The message exists only in this forged envelope, so the stand-in refuses the reply; what
    // matters is that the bot accepted it, claimed it and tried to answer.
    await h.standIn.waitFor(() => h.standIn.calls.some((c) => c.path.includes(`${messageId}/reply`)), 2000, 'reply attempt');
    expect(await h.db.connection.collection('dedupe').countDocuments({ _id: `msg:${messageId}` as never })).toBe(1);
  });

  it('a wrong signature gets 401 and no reply', async () => {
    const { body, messageId } = helpEnvelope(h);
    const r = await h.standIn.deliverRaw(body, { signature: 'f'.repeat(64) });
    expect(r.status).toBe(401);
    await noTrace(messageId);
  });

  it('a missing signature gets 401', async () => {
    const { body, messageId } = helpEnvelope(h);
    const r = await h.standIn.deliverRaw(body, { sign: false });
    expect(r.status).toBe(401);
    await noTrace(messageId);
  });

  it('a timestamp older than 5 minutes gets 401', async () => {
    const { body, messageId } = helpEnvelope(h);
    const r = await h.standIn.deliverRaw(body, { timestamp: String(Math.floor(Date.now() / 1000) - 301) });
    expect(r.status).toBe(401);
    await noTrace(messageId);
  });

  it('a replayed nonce gets 401 even with a fresh, valid signature', async () => {
    const nonce = randomBytes(8).toString('hex');
    const first = helpEnvelope(h);
    expect((await h.standIn.deliverRaw(first.body, { nonce })).status).toBe(200);
    const second = helpEnvelope(h);
    const r = await h.standIn.deliverRaw(second.body, { nonce });
    expect(r.status).toBe(401);
    await noTrace(second.messageId);
  });

  it('a wrong verification token gets 401', async () => {
    const { body, messageId } = helpEnvelope(h, 'not-the-token');
    const r = await h.standIn.deliverRaw(body);
    expect(r.status).toBe(401);
    await noTrace(messageId);
  });

  it('a plaintext body while an encrypt key is configured gets 401', async () => {
    const { body, messageId } = helpEnvelope(h);
    const r = await h.standIn.deliverRaw(body, { encrypt: false });
    expect(r.status).toBe(401);
    await noTrace(messageId);
  });

  it('a body encrypted with another key is refused', async () => {
    const { body, messageId } = helpEnvelope(h);
    const raw = JSON.stringify({ encrypt: encryptPayload('some-other-key', JSON.stringify(body)) });
    const ts = String(Math.floor(Date.now() / 1000));
    const nonce = randomBytes(8).toString('hex');
    const res = await fetch(`${h.bot.url}/lark/events`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-lark-request-timestamp': ts,
        'x-lark-request-nonce': nonce,
        'x-lark-signature': computeSignature(ts, nonce, ENCRYPT_KEY, raw),
      },
      body: raw,
    });
    expect(res.status).toBe(400);
    await noTrace(messageId);
  });

  it('answers with a query string on the path too, and refuses non-JSON with 400', async () => {
    const res = await fetch(`${h.bot.url}/lark/events?x=1`, { method: 'POST', body: 'not json' });
    expect(res.status).toBe(400);
    expect((await fetch(`${h.bot.url}/lark/events`, { method: 'GET' })).status).toBe(405);
  });

  it('knows its own open_id, so a group message counts only when the bot is mentioned', async () => {
    expect(h.bot.services.self.openId).toBe(h.standIn.directory.org.app.open_id);
  });
});
