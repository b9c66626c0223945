/**
 * Builders for v2 event envelopes in the shapes of the official payload examples
 * (/work/test/fixtures/lark/*.json).
 */
import type { Directory } from './directory.js';
import { newEventId, nowMs } from './ids.js';
import type { MessageMention, StoredChat, StoredMessage } from './store.js';

export interface EventEnvelope {
  schema: '2.0';
  header: {
    event_id: string;
    event_type: string;
    create_time: string;
    token: string;
    app_id: string;
    tenant_key: string;
  };
  event: Record<string, unknown>;
}

export interface EnvelopeContext {
  appId: string;
  verificationToken: string;
  dir: Directory;
}

export function envelope(ctx: EnvelopeContext, eventType: string, event: Record<string, unknown>, opts: { eventId?: string; createTime?: string } = {}): EventEnvelope {
  return {
    schema: '2.0',
    header: {
      event_id: opts.eventId ?? newEventId(),
      event_type: eventType,
      create_time: opts.createTime ?? nowMs(),
      token: ctx.verificationToken,
      app_id: ctx.appId,
      tenant_key: ctx.dir.tenantKey,
    },
    event,
  };
}

const USER_AGENT =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Lark/7.20.0 LarkLocale/zh_CN ttnet SDK-Version/7.20.0 BaomiSandbox';

export function messageReceiveEvent(dir: Directory, chat: StoredChat, msg: StoredMessage): Record<string, unknown> {
  const message: Record<string, unknown> = { message_id: msg.message_id };
  if (msg.root_id) message['root_id'] = msg.root_id;
  if (msg.parent_id) message['parent_id'] = msg.parent_id;
  Object.assign(message, {
    create_time: msg.create_time,
    update_time: msg.update_time,
    chat_id: chat.chat_id,
  });
  if (msg.thread_id) message['thread_id'] = msg.thread_id;
  Object.assign(message, {
    chat_type: chat.chat_type,
    message_type: msg.msg_type,
    content: msg.body.content,
  });
  if (msg.mentions) message['mentions'] = msg.mentions;
  message['user_agent'] = USER_AGENT;
  return {
    sender: {
      sender_id: dir.userIdTriple(msg.sender.id),
      sender_type: 'user',
      tenant_key: dir.tenantKey,
    },
    message,
  };
}

export function p2pEnteredEvent(dir: Directory, chat: StoredChat, userOpenId: string, last?: StoredMessage): Record<string, unknown> {
  const ev: Record<string, unknown> = { chat_id: chat.chat_id, operator_id: dir.userIdTriple(userOpenId) };
  if (last) {
    ev['last_message_id'] = last.message_id;
    ev['last_message_create_time'] = last.create_time;
  } else {
    ev['last_message_id'] = '';
    ev['last_message_create_time'] = '';
  }
  return ev;
}

export function botAddedEvent(dir: Directory, chat: StoredChat, operatorOpenId: string): Record<string, unknown> {
  return {
    chat_id: chat.chat_id,
    operator_id: dir.userIdTriple(operatorOpenId),
    external: false,
    operator_tenant_key: dir.tenantKey,
    name: chat.name,
    i18n_names: { zh_cn: chat.name, en_us: chat.en_name ?? chat.name },
  };
}

export interface ClickAction {
  value: unknown;
  tag?: string;
  name?: string;
  form_value?: Record<string, unknown>;
  timezone?: string;
  option?: string;
  options?: string[];
  checked?: boolean;
  input_value?: string;
}

export function cardActionEvent(dir: Directory, msg: StoredMessage, operatorOpenId: string, token: string, action: ClickAction): Record<string, unknown> {
  const a: Record<string, unknown> = {
    value: action.value ?? {},
    tag: action.tag ?? 'button',
    timezone: action.timezone ?? 'Asia/Shanghai',
  };
  if (action.name !== undefined) a['name'] = action.name;
  if (action.form_value !== undefined) a['form_value'] = action.form_value;
  if (action.option !== undefined) a['option'] = action.option;
  if (action.options !== undefined) a['options'] = action.options;
  if (action.checked !== undefined) a['checked'] = action.checked;
  if (action.input_value !== undefined) a['input_value'] = action.input_value;
  const ids = dir.userIdTriple(operatorOpenId);
  return {
    operator: { tenant_key: dir.tenantKey, user_id: ids.user_id, open_id: ids.open_id, union_id: ids.union_id },
    token,
    action: a,
    host: 'im_message',
    context: { open_message_id: msg.message_id, open_chat_id: msg.chat_id },
  };
}

/** Card callbacks carry a microsecond create_time in the official example ("1603977298000000"). */
export const microsNow = (): string => `${Date.now()}000`;

/**
 * Converts `@Name` mentions in user-typed text to Lark's `@_user_N` keys plus a `mentions` list,
 * as the Lark client does. The bot is matched by its Chinese or English name, or `@bot`.
 */
export function extractMentions(dir: Directory, text: string): { text: string; mentions: MessageMention[] } {
  const bot = dir.org.app;
  const candidates: { label: string; openId: string; name: string; union: string; userId: string }[] = [];
  for (const label of [bot.name, bot.en_name, 'Bot', 'bot', 'BOT']) {
    candidates.push({ label, openId: bot.open_id, name: bot.name, union: bot.union_id ?? '', userId: '' });
  }
  for (const u of dir.users) {
    candidates.push({ label: u.name, openId: u.open_id, name: u.name, union: u.union_id, userId: u.user_id });
    candidates.push({ label: u.en_name, openId: u.open_id, name: u.name, union: u.union_id, userId: u.user_id });
  }
  candidates.sort((a, b) => b.label.length - a.label.length);
  const mentions: MessageMention[] = [];
  const keyOf = new Map<string, string>();
  let out = '';
  let i = 0;
  while (i < text.length) {
    if (text[i] === '@') {
      const rest = text.slice(i + 1);
      const hit = candidates.find((c) => {
        if (!rest.startsWith(c.label)) return false;
        const after = rest.charAt(c.label.length);
        // English labels must end at a word boundary.
        return after === '' || !/[A-Za-z0-9_]/.test(after) || /[^\x00-\x7f]$/.test(c.label);
      });
      if (hit) {
        let key = keyOf.get(hit.openId);
        if (!key) {
          key = `@_user_${mentions.length + 1}`;
          keyOf.set(hit.openId, key);
          mentions.push({
            key,
            id: { union_id: hit.union, user_id: hit.userId, open_id: hit.openId },
            name: hit.name,
            tenant_key: dir.tenantKey,
          });
        }
        out += key;
        i += 1 + hit.label.length;
        continue;
      }
    }
    out += text[i];
    i += 1;
  }
  return { text: out, mentions };
}

/** Renders Lark text content for display: `@_user_N` keys and `<at>` tags become `@Name`. */
export function renderText(text: string, mentions: MessageMention[] | undefined): string {
  let out = text.replace(/<at\s+(?:user_id|id|open_id)="([^"]*)"\s*>(.*?)<\/at>/g, (_m, id: string, name: string) => (id === 'all' ? '@所有人' : `@${name}`));
  for (const m of mentions ?? []) out = out.split(m.key).join(`@${m.name}`);
  return out;
}
