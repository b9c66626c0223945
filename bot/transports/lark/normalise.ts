import type { BotEvent, Mention } from '../../core/types.js';

export type NormaliseResult = { ok: true; event: BotEvent } | { ok: false; reason: string };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number => {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
  if (!Number.isFinite(n)) return 0;
  // Lark uses ms strings, but card callbacks have been seen with µs: bring everything to ms.
  return n > 1e14 ? Math.floor(n / 1000) : n;
};

export interface NormaliseOptions {
  /** The bot's own open_id, when known: a group message is for the bot only if it is mentioned. */
  selfOpenId?: string;
}

/**
 * Turns a decrypted Lark body (v2 event, v1 event callback, or a card callback) into a BotEvent.
 * Pure; never throws.
 */
export function normalise(body: unknown, opts: NormaliseOptions = {}): NormaliseResult {
  try {
    if (!isObj(body)) return { ok: false, reason: 'body is not an object' };
    if (body.schema === '2.0' && isObj(body.header)) return normaliseV2(body.header, isObj(body.event) ? body.event : {}, body, opts);
    if (body.type === 'event_callback' && isObj(body.event)) return normaliseV1(body, body.event);
    if (str(body.open_message_id) && isObj(body.action)) return normaliseLegacyCard(body);
    return { ok: false, reason: 'unrecognised payload' };
  } catch (err) {
    return { ok: false, reason: `malformed payload: ${(err as Error).message}` };
  }
}

function normaliseV2(header: Obj, event: Obj, raw: unknown, opts: NormaliseOptions): NormaliseResult {
  const type = str(header.event_type);
  const eventId = str(header.event_id);
  if (!type || !eventId) return { ok: false, reason: 'header lacks event_type or event_id' };
  const tenantKey = str(header.tenant_key) ?? '';
  const appId = str(header.app_id);
  const createTime = num(header.create_time);

  if (type === 'im.message.receive_v1') {
    const message = isObj(event.message) ? event.message : undefined;
    const sender = isObj(event.sender) ? event.sender : {};
    const senderId = isObj(sender.sender_id) ? sender.sender_id : {};
    const messageId = str(message?.message_id);
    const chatId = str(message?.chat_id);
    if (!message || !messageId || !chatId) return { ok: false, reason: 'message event lacks message_id or chat_id' };
    const chatType = str(message.chat_type) ?? 'p2p';
    const mentions: Mention[] = Array.isArray(message.mentions)
      ? message.mentions.filter(isObj).map((m) => ({
          key: str(m.key) ?? '',
          openId: isObj(m.id) ? str(m.id.open_id) : undefined,
          name: str(m.name),
        }))
      : [];
    const messageType = str(message.message_type) ?? 'text';
    const mentionsBot = opts.selfOpenId ? mentions.some((m) => m.openId === opts.selfOpenId) : mentions.length > 0;
    // Without our own open_id, the first mention in a group is taken to be the bot (Lark only
    // delivers group messages that @-mention it, unless the app may read all group messages).
    const selfId = opts.selfOpenId ?? (chatType === 'p2p' ? undefined : mentions[0]?.openId);
    const text = extractText(messageType, str(message.content), mentions, selfId);
    return {
      ok: true,
      event: {
        kind: 'message',
        id: messageId,
        eventId,
        tenantKey: tenantKey || str(sender.tenant_key) || '',
        appId,
        createTime: num(message.create_time) || createTime,
        raw,
        messageId,
        chatId,
        chatType,
        sender: { openId: str(senderId.open_id) ?? '', type: str(sender.sender_type) ?? 'user' },
        messageType,
        text,
        mentions,
        addressedToBot: chatType === 'p2p' || mentionsBot,
        rootId: str(message.root_id),
        parentId: str(message.parent_id),
      },
    };
  }

  if (type === 'card.action.trigger') {
    const operator = isObj(event.operator) ? event.operator : {};
    const action = isObj(event.action) ? event.action : {};
    const context = isObj(event.context) ? event.context : {};
    const token = str(event.token) ?? '';
    const openId = str(operator.open_id);
    if (!openId) return { ok: false, reason: 'card callback lacks operator.open_id' };
    return {
      ok: true,
      event: {
        kind: 'card_action',
        id: token || eventId,
        eventId,
        tenantKey: tenantKey || str(operator.tenant_key) || '',
        appId,
        createTime,
        raw,
        token,
        operator: { openId },
        chatId: str(context.open_chat_id),
        messageId: str(context.open_message_id),
        action: cardAction(action),
      },
    };
  }

  const operatorId =
    (isObj(event.operator_id) && str(event.operator_id.open_id)) ||
    (isObj(event.operator) && isObj(event.operator.operator_id) && str(event.operator.operator_id.open_id)) ||
    (isObj(event.operator) && str(event.operator.open_id)) ||
    undefined;
  return {
    ok: true,
    event: {
      kind: 'system',
      id: eventId,
      eventId,
      tenantKey,
      appId,
      createTime,
      raw,
      type,
      chatId: str(event.chat_id),
      operator: operatorId ? { openId: operatorId } : undefined,
      data: event,
    },
  };
}

function normaliseV1(body: Obj, event: Obj): NormaliseResult {
  const type = str(event.type);
  const id = str(body.uuid);
  if (!type || !id) return { ok: false, reason: 'v1 event lacks type or uuid' };
  const user = isObj(event.user) ? event.user : isObj(event.operator) ? event.operator : {};
  const openId = str(user.open_id);
  return {
    ok: true,
    event: {
      kind: 'system',
      id,
      eventId: id,
      tenantKey: str(event.tenant_key) ?? '',
      appId: str(event.app_id),
      createTime: Math.floor(num(body.ts) * (num(body.ts) < 1e11 ? 1000 : 1)),
      raw: body,
      type,
      chatId: str(event.chat_id),
      operator: openId ? { openId } : undefined,
      data: event,
    },
  };
}

function normaliseLegacyCard(body: Obj): NormaliseResult {
  const action = body.action as Obj;
  const token = str(body.token) ?? '';
  const openId = str(body.open_id);
  if (!openId) return { ok: false, reason: 'card callback lacks open_id' };
  return {
    ok: true,
    event: {
      kind: 'card_action',
      id: token || `${str(body.open_message_id)}:${openId}`,
      tenantKey: str(body.tenant_key) ?? '',
      createTime: 0,
      raw: body,
      token,
      operator: { openId },
      chatId: str(body.open_chat_id),
      messageId: str(body.open_message_id),
      action: cardAction(action),
    },
  };
}

function cardAction(action: Obj) {
  return {
    tag: str(action.tag) ?? '',
    name: str(action.name),
    value: action.value,
    formValue: isObj(action.form_value) ? action.form_value : undefined,
    option: str(action.option),
    timezone: str(action.timezone),
  };
}

/** Plain text of a text or post message, with `@_user_N` placeholders removed. */
export function extractText(messageType: string, content: string | undefined, mentions: Mention[], selfOpenId?: string): string {
  if (!content) return '';
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch {
    return '';
  }
  let text = '';
  if (messageType === 'text' && isObj(parsed)) text = str(parsed.text) ?? '';
  else if (messageType === 'post' && isObj(parsed)) text = postText(parsed);
  // A mention of a person becomes their open_id (commands take people as open_ids); a mention of
  // the bot itself, or of someone without an open_id, disappears. Keys are replaced as whole
  // tokens, in one pass: `@_user_1` never rewrites the start of `@_user_10`.
  const byKey = new Map<string, string>();
  for (const m of mentions) {
    if (m.key) byKey.set(m.key, m.openId && m.openId !== selfOpenId ? m.openId : ' ');
  }
  return text
    .replace(new RegExp(`${KEY_END}(?=@_|ou_)`, 'g'), ' ') // two mention nodes in a row stay two words
    .replace(/@_user_\d+|@_all/g, (key) => byKey.get(key) ?? ' ')
    .replaceAll(KEY_END, '')
    .replace(/[ \t\u00a0]+/g, ' ')
    .trim();
}

/** Ends a placeholder taken from a post node, so that following digits never extend the key. */
const KEY_END = '\u200b';

/**
 * A mention node of a post, `{"tag": "at", "user_id": "@_user_1", "user_name": "…"}`: its
 * placeholder key (resolved through `mentions` like a text message's). A node carrying an open_id
 * directly gives that open_id.
 */
function atNode(el: Obj): string {
  const id = str(el.user_id) ?? '';
  return id.startsWith('@_') || id.startsWith('ou_') ? `${id}${KEY_END}` : ' ';
}

function postText(post: Obj): string {
  // A post is {title, content: [[{tag:'text', text}, …], …]}, possibly wrapped per locale.
  const body = Array.isArray(post.content) ? post : (Object.values(post).find((v) => isObj(v) && Array.isArray(v.content)) as Obj | undefined);
  if (!body || !Array.isArray(body.content)) return '';
  return body.content
    .map((line) =>
      Array.isArray(line)
        ? line
            .filter(isObj)
            .map((el) => (el.tag === 'text' || el.tag === 'a' ? (str(el.text) ?? '') : el.tag === 'at' ? atNode(el) : ''))
            .join('')
        : '',
    )
    .join('\n');
}
