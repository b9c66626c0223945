import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BotError } from '../../bot/core/errors.js';
import { encodeAction } from '../../cards/action-value.js';
import { validateCard } from '../../cards/card.schema.js';
import { botCards, startHarness, USERS, type Harness } from './harness.js';

const ALICE = USERS.securityOfficer;

describe.each(['webhook', 'ws'] as const)('end to end through the stand-in and the real SDK (%s)', (transport) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(transport, {
      extendRouter: (router) => {
        router.command({
          name: 'boom',
          aliases: [],
          listed: false,
          handler: async () => {
            throw new Error('handler exploded');
          },
        });
        router.command({
          name: 'boomcard',
          aliases: [],
          listed: false,
          handler: async (ctx) => {
            await ctx.reply({
              type: 'card',
              card: {
                schema: '2.0',
                body: { elements: [{ tag: 'button', text: { tag: 'plain_text', content: 'x' }, behaviors: [{ type: 'callback', value: encodeAction({ action: 'test.boom' }) }] }] },
              },
            });
          },
        });
        router.action('test.boom', async () => {
          throw new Error('click exploded');
        });
        router.action('test.refuse', async () => {
          throw new BotError('errors:forbidden');
        });
      },
    });
  });
  afterAll(() => h.stop());

  it('/help typed by a user gets the help card as a reply within 2 s', async () => {
    const started = Date.now();
    const sent = await h.standIn.sendText(ALICE, null, '/help');
    expect(sent.status).toBe(200);
    const reply = await h.standIn.waitForMessage((m) => m.parent_id === sent.message_id, 2000);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(reply.msg_type).toBe('interactive');
    const card = JSON.parse(reply.body.content);
    expect(validateCard(card)).toEqual({ ok: true });
    expect(reply.body.content).toContain('/help');
    expect(reply.body.content).toContain('Commands');
  });

  it('the same message delivered 5 times gets exactly one reply', async () => {
    const sent = await h.standIn.sendText(ALICE, null, '/help lang');
    await h.standIn.waitForMessage((m) => m.parent_id === sent.message_id, 2000);
    const again = await h.standIn.redeliver(sent.envelope!, 4);
    expect(again.every((d) => d.status === 200)).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    expect(h.standIn.messages((m) => m.parent_id === sent.message_id)).toHaveLength(1);
  });

  it('5 concurrent first deliveries of one message also get exactly one reply', async () => {
    const sent = await h.standIn.sendText(ALICE, null, '/lang');
    const more = await h.standIn.redeliver(sent.envelope!, 5, { concurrent: true });
    expect(more.every((d) => d.status === 200)).toBe(true);
    await h.standIn.waitForMessage((m) => m.parent_id === sent.message_id, 2000);
    await new Promise((r) => setTimeout(r, 300));
    expect(h.standIn.messages((m) => m.parent_id === sent.message_id)).toHaveLength(1);
  });

  it('a throwing command handler still answers with a localised error and a reference', async () => {
    const sent = await h.standIn.sendText(ALICE, null, '/boom');
    const reply = await h.standIn.waitForMessage((m) => m.parent_id === sent.message_id, 2000);
    const text = JSON.parse(reply.body.content).text as string;
    expect(text).toMatch(/参考号 [0-9a-f]{8}|reference [0-9a-f]{8}/);
    expect(text).not.toContain('exploded');
  });

  it('a throwing card handler still answers the click with an error toast within 3 s', async () => {
    const sent = await h.standIn.sendText(ALICE, null, '/boomcard');
    const card = await h.standIn.waitForMessage((m) => m.parent_id === sent.message_id, 2000);
    const started = Date.now();
    const click = await h.standIn.click(ALICE, card.message_id, { tag: 'button', value: encodeAction({ action: 'test.boom' }) });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(click.status).toBe(200);
    expect(click.toast?.type).toBe('error');
    expect(click.toast?.i18n?.en_us).toMatch(/something went wrong/i);
  });

  it('a click on a welcome card’s help button sends the help card', async () => {
    const opened = await h.standIn.openP2p(USERS.securityHead);
    expect(opened.delivery.status).toBe(200);
    const welcome = await h.standIn.waitForMessage((m) => m.chat_id === opened.chat_id && m.body.content.includes('welcome_help'), 2000);
    const click = await h.standIn.click(USERS.securityHead, welcome.message_id, { tag: 'button', name: 'welcome_help', value: encodeAction({ action: 'help.show' }) });
    expect(click.status).toBe(200);
    await h.standIn.waitFor(
      () => botCards(h.standIn, opened.chat_id).some((m) => m.body.content.includes('help:') === false && m.body.content.includes('/lang')),
      2000,
      'help card',
    );
    // Opening the chat again does not welcome twice.
    await h.standIn.openP2p(USERS.securityHead);
    await new Promise((r) => setTimeout(r, 200));
    expect(botCards(h.standIn, opened.chat_id).filter((m) => m.body.content.includes('welcome_help'))).toHaveLength(1);
  });

  it('recovers from an expired tenant token and from a 429 on send', async () => {
    h.standIn.invalidateTokens();
    h.standIn.failNext('/open-apis/im/v1/messages', { status: 429, code: 99991400, resetSeconds: 0 }, 1);
    const sent = await h.standIn.sendText(ALICE, null, '/help');
    const reply = await h.standIn.waitForMessage((m) => m.parent_id === sent.message_id, 3000);
    expect(reply.msg_type).toBe('interactive');
  });

  it('counts events, duplicates and sends in /metrics', async () => {
    const res = await fetch(`${h.bot.url}/metrics`);
    const text = await res.text();
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(text).toMatch(/baomi_events_received_total\{kind="message"\} \d+/);
    expect(text).toMatch(/baomi_events_deduplicated_total\{kind="message"\} [1-9]/);
    expect(text).toMatch(/baomi_sends_total\{op="im.message.reply",result="ok"\} [1-9]/);
    expect(text).toContain('baomi_ack_seconds_bucket');
  });

  it('/healthz reports the store and the Lark token', async () => {
    const res = await fetch(`${h.bot.url}/healthz`);
    const body = await res.json();
    expect(res.status).toBe(200);
    expect(body).toMatchObject({ ok: true, store: { ok: true }, lark: { ok: true, transport } });
  });
});

describe.each(['webhook', 'ws'] as const)('store unavailable at receipt (%s)', (transport) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(transport);
  });
  afterAll(() => h.stop());

  it('the event is refused for redelivery, not acknowledged and lost; the redelivery is answered once', async () => {
    const dedupe = h.bot.services.dedupe;
    const claim = dedupe.claim.bind(dedupe);
    let failures = 1;
    dedupe.claim = async (key: string) => {
      if (failures-- > 0) throw new Error('store unreachable');
      return claim(key);
    };
    try {
      const sent = await h.standIn.sendText(USERS.securityOfficer, null, '/help');
      expect(sent.status).toBe(transport === 'webhook' ? 503 : 500);
      await new Promise((r) => setTimeout(r, 200));
      expect(h.standIn.messages((m) => m.parent_id === sent.message_id)).toHaveLength(0);
      // Lark delivers it again later: now it is handled, once.
      const again = await h.standIn.redeliver(sent.envelope!, 2, { concurrent: false });
      expect(again.map((d) => d.status)).toEqual([200, 200]);
      await h.standIn.waitForMessage((m) => m.parent_id === sent.message_id, 2000);
      await new Promise((r) => setTimeout(r, 200));
      expect(h.standIn.messages((m) => m.parent_id === sent.message_id)).toHaveLength(1);
    } finally {
      dedupe.claim = claim;
    }
  });
});
