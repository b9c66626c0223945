import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { extractText, normalise } from '../../../../bot/transports/lark/normalise.js';

const dir = join(import.meta.dirname, '../../../fixtures/lark');
// biome-ignore lint/suspicious/noExplicitAny: official payloads are edited field by field below
const load = (name: string): Record<string, any> => JSON.parse(readFileSync(join(dir, name), 'utf8'));

describe('normalise: every official payload', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

  it('the fixture folder holds the official payloads', () => {
    expect(files.length).toBeGreaterThanOrEqual(9);
  });

  it('im.message.receive_v1 → message event keyed by message_id', () => {
    const r = normalise(load('im.message.receive_v1.json'));
    expect(r.ok).toBe(true);
    if (!r.ok || r.event.kind !== 'message') throw new Error('not a message');
    expect(r.event).toMatchObject({
      id: 'om_5ce6d572455d361153b7cb51da133945',
      messageId: 'om_5ce6d572455d361153b7cb51da133945',
      eventId: '5e3702a84e847582be8db7fb73283c02',
      chatId: 'oc_5ce6d572455d361153b7xx51da133945',
      chatType: 'group',
      tenantKey: '2ca1d211f64f6438',
      sender: { openId: 'ou_84aad35d084aa403a838cf73ee18467', type: 'user' },
      // Without the bot's own open_id, the first mention in a group is taken to be the bot.
      text: 'hello',
      createTime: 1609073151345,
    });
    expect(r.event.mentions).toEqual([{ key: '@_user_1', openId: 'ou_84aad35d084aa403a838cf73ee18467', name: 'Tom' }]);
  });

  it('a group message is addressed to the bot only when the bot is mentioned (when its open_id is known)', () => {
    const body = load('im.message.receive_v1.json');
    const mentioned = normalise(body, { selfOpenId: 'ou_84aad35d084aa403a838cf73ee18467' });
    const other = normalise(body, { selfOpenId: 'ou_somebody_else' });
    expect(mentioned.ok && mentioned.event.kind === 'message' && mentioned.event.addressedToBot).toBe(true);
    expect(other.ok && other.event.kind === 'message' && other.event.addressedToBot).toBe(false);
  });

  it('card.action.trigger → card action keyed by the callback token, with form values and context', () => {
    const r = normalise(load('card.action.trigger.json'));
    if (!r.ok || r.event.kind !== 'card_action') throw new Error('not a card action');
    expect(r.event).toMatchObject({
      id: 'c-295ee57216a5dc9de90fefd0aadb4b1d7d******',
      token: 'c-295ee57216a5dc9de90fefd0aadb4b1d7d******',
      operator: { openId: 'ou_3c14f3a59eaf2825dbe25359f15*****' },
      messageId: 'om_574d639e4a44e4dd646eaf628e2*****',
      chatId: 'oc_e4d2605ca917e695f54f11aaf56*****',
      action: { tag: 'button', name: 'Button_lvkepfu3', value: { key: 'value' }, timezone: 'Asia/Shanghai' },
    });
    expect(r.event.action.formValue).toMatchObject({ DatePicker_bpqdq5puvn4: '2024-04-01 +0800', Input_lf4fmxwfrd9: '1234' });
    // create_time is in µs in this example: brought to ms.
    expect(r.event.createTime).toBe(1603977298000);
  });

  it.each([
    ['im.chat.member.bot.added_v1.json', 'im.chat.member.bot.added_v1', 'oc_413871888e0d5492e25b173f0812efb7'],
    ['im.chat.access_event.bot_p2p_chat_entered_v1.json', 'im.chat.access_event.bot_p2p_chat_entered_v1', 'oc_413871888e0d5492e25b173f0812efb7'],
  ])('%s → system event with chat and operator', (file, type, chat) => {
    const r = normalise(load(file));
    if (!r.ok || r.event.kind !== 'system') throw new Error('not a system event');
    expect(r.event).toMatchObject({ type, chatId: chat, operator: { openId: 'ou_84aad35d084aa403a838cf73ee18467' }, id: '5e3702a84e847582be8db7fb73283c02' });
  });

  it('application.bot.menu_v6 → system event with the operator from operator.operator_id', () => {
    const r = normalise(load('application.bot.menu_v6.json'));
    if (!r.ok || r.event.kind !== 'system') throw new Error('not a system event');
    expect(r.event.type).toBe('application.bot.menu_v6');
    expect(r.event.operator).toEqual({ openId: 'ou_84aad35d084aa403a838cf73ee18467' });
    expect(r.event.data.event_key).toBe('menu2022********67dfc8b885136');
  });

  it('p2p_chat_create (v1 schema) → system event keyed by uuid', () => {
    const r = normalise(load('p2p_chat_create.v1.json'));
    if (!r.ok || r.event.kind !== 'system') throw new Error('not a system event');
    expect(r.event).toMatchObject({
      type: 'p2p_chat_create',
      id: 'bc447199585340d1f3728d26b1c0297a',
      chatId: 'oc_26b66a5eb603162b849f91bcd8815b20',
      tenantKey: '736588c9260f175c',
      operator: { openId: 'ou_7dede290d6a27698b969a7fd70ca53da' },
    });
  });

  it('url_verification and callback responses are not events', () => {
    for (const f of ['url_verification.json', 'card.action.trigger.response.raw.json', 'card.action.trigger.response.template.json']) {
      expect(normalise(load(f)).ok, f).toBe(false);
    }
  });

  it('never throws on garbage', () => {
    const junk: unknown[] = [
      null,
      1,
      'x',
      [],
      {},
      { schema: '2.0' },
      { schema: '2.0', header: {} },
      { schema: '2.0', header: { event_type: 'im.message.receive_v1', event_id: 'e' }, event: { message: 7 } },
      { type: 'event_callback', event: 1 },
    ];
    for (const j of junk) expect(() => normalise(j)).not.toThrow();
    expect(normalise({ schema: '2.0', header: { event_type: 'im.message.receive_v1', event_id: 'e' }, event: {} }).ok).toBe(false);
  });
});

describe('extractText', () => {
  it('strips the bot’s mention and whitespace', () => {
    expect(extractText('text', JSON.stringify({ text: '@_user_1  /help   copy' }), [{ key: '@_user_1', openId: 'ou_bot' }], 'ou_bot')).toBe('/help copy');
  });
  it('turns a mention of a person into their open_id', () => {
    const mentions = [
      { key: '@_user_1', openId: 'ou_bot' },
      { key: '@_user_2', openId: 'ou_zhang' },
      { key: '@_user_3', openId: 'ou_li' },
    ];
    expect(extractText('text', JSON.stringify({ text: '@_user_1 /carry companions=@_user_2,@_user_3 due=2026-12-01' }), mentions, 'ou_bot')).toBe(
      '/carry companions=ou_zhang,ou_li due=2026-12-01',
    );
  });
  it('reads post messages', () => {
    const post = {
      zh_cn: {
        title: 't',
        content: [
          [
            { tag: 'at', user_id: 'x' },
            { tag: 'text', text: '/lang en' },
          ],
        ],
      },
    };
    expect(extractText('post', JSON.stringify(post), [])).toBe('/lang en');
  });
  it('returns empty text for bad content', () => {
    expect(extractText('text', '{not json', [])).toBe('');
    expect(extractText('image', JSON.stringify({ image_key: 'k' }), [])).toBe('');
  });
});

// Mentions as Lark sends them (docs/lark.md, "Checked against the docs"; the receive-event page
// https://open.feishu.cn/document/server-docs/im-v1/message/events/receive and the message content
// page https://open.feishu.cn/document/server-docs/im-v1/message-content-description/message_content):
// text messages carry `@_user_N` placeholders with `mentions[].key`; a post carries mention nodes
// `{"tag": "at", "user_id": "@_user_N", "user_name": "…"}`. Variants of the official payload.
describe('mentions as Lark sends them', () => {
  const BOT = 'ou_84aad35d084aa403a838cf73ee18467'; // Tom in the official payload: the bot here
  const person = (n: number) => `ou_${String(n).padStart(2, '0')}${'a'.repeat(30)}`;
  /** The official event with twelve mentions: @_user_1 is the bot, @_user_2…12 are people. */
  function withMentions(messageType: 'text' | 'post', content: unknown) {
    const body = load('im.message.receive_v1.json');
    const official = body.event.message.mentions[0];
    body.event.message.message_type = messageType;
    body.event.message.content = JSON.stringify(content);
    body.event.message.mentions = Array.from({ length: 12 }, (_, i) => ({
      ...official,
      key: `@_user_${i + 1}`,
      id: { ...official.id, open_id: i === 0 ? BOT : person(i + 1) },
      name: i === 0 ? 'Tom' : `P${i + 1}`,
    }));
    return body;
  }
  const textOf = (body: unknown) => {
    const r = normalise(body, { selfOpenId: BOT });
    if (!r.ok || r.event.kind !== 'message') throw new Error('not a message');
    return r.event.text;
  };

  it('twelve mentions in a text message: @_user_1 never rewrites @_user_10, 11 or 12', () => {
    const keys = Array.from({ length: 11 }, (_, i) => `@_user_${i + 2}`).join(' ');
    const text = textOf(withMentions('text', { text: `@_user_1 /role add ${keys} committee_member` }));
    const expected = Array.from({ length: 11 }, (_, i) => person(i + 2)).join(' ');
    expect(text).toBe(`/role add ${expected} committee_member`);
    expect(text).not.toContain('@_user');
    expect(text).not.toContain(`${BOT}0`);
  });

  it('a post message: text, link and at nodes, mentions resolved like a text message', () => {
    const post = {
      title: '外携申请',
      content: [
        [
          { tag: 'at', user_id: '@_user_1', user_name: 'Tom', style: [] },
          { tag: 'text', text: ' /carry carrier=JM-2026-001 destination=北京 companions=', style: ['bold'] },
          { tag: 'at', user_id: '@_user_10', user_name: 'P10', style: [] },
          { tag: 'text', text: ',', style: [] },
          { tag: 'at', user_id: '@_user_2', user_name: 'P2', style: [] },
          { tag: 'text', text: '3 due=2026-12-31', style: [] },
        ],
        [{ tag: 'img', image_key: 'img_7ea74629-9191-4176-998c-2e603c9c5e8g' }],
      ],
    };
    // `@_user_2` followed by a text node starting with "3" is still @_user_2, not @_user_23.
    expect(textOf(withMentions('post', post))).toBe(`/carry carrier=JM-2026-001 destination=北京 companions=${person(10)},${person(2)}3 due=2026-12-31`);
  });

  it('a post wrapped per locale (zh_cn) with twelve at nodes', () => {
    const ats = Array.from({ length: 12 }, (_, i) => ({ tag: 'at', user_id: `@_user_${i + 1}`, user_name: `P${i + 1}` }));
    const text = textOf(withMentions('post', { zh_cn: { title: '', content: [[{ tag: 'text', text: '/pending' }, ...ats]] } }));
    expect(text).toBe(['/pending', ...Array.from({ length: 11 }, (_, i) => person(i + 2))].join(' '));
  });
});
