import type { Locale } from './config.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

import type { Card } from '../../cards/card.types.js';

/** A Card JSON 2.0 object. Structure is owned and validated by `cards/`. */
export type CardJson = Card;

export interface Mention {
  key: string;
  openId?: string;
  name?: string;
}

interface EventBase {
  /** Deduplication identity: message_id for messages, event_id for system events, callback token for clicks. */
  id: string;
  /** Lark's header.event_id when there is one. */
  eventId?: string;
  tenantKey: string;
  appId?: string;
  /** Milliseconds since epoch when Lark created the event (0 when unknown). */
  createTime: number;
  raw: unknown;
}

export interface MessageEvent extends EventBase {
  kind: 'message';
  messageId: string;
  chatId: string;
  chatType: 'p2p' | 'group' | string;
  sender: { openId: string; type: 'user' | 'app' | string };
  messageType: string;
  /** Plain text with mention placeholders removed; '' for non-text messages. */
  text: string;
  mentions: Mention[];
  /** True in a p2p chat, or when the bot is @-mentioned in a group. Filled by the transport. */
  addressedToBot: boolean;
  rootId?: string;
  parentId?: string;
}

export interface CardActionEvent extends EventBase {
  kind: 'card_action';
  /** The click's callback token (`c-…`): also used for the delayed card update. */
  token: string;
  operator: { openId: string };
  chatId?: string;
  messageId?: string;
  action: {
    tag: string;
    name?: string;
    value: unknown;
    formValue?: Record<string, unknown>;
    option?: string;
    timezone?: string;
  };
}

export interface SystemEvent extends EventBase {
  kind: 'system';
  /** Lark event type, e.g. `im.chat.member.bot.added_v1`. */
  type: string;
  chatId?: string;
  operator?: { openId: string };
  data: Record<string, unknown>;
}

export type BotEvent = MessageEvent | CardActionEvent | SystemEvent;

export interface Bi {
  zh: string;
  en: string;
}

export interface Toast {
  type: 'info' | 'success' | 'error' | 'warning';
  content: string;
  i18n?: { zh_cn: string; en_us: string };
}

/** What a card click is answered with (Lark callback response body). */
export interface CardResponse {
  toast?: Toast;
  card?: { type: 'raw'; data: CardJson };
}

/**
 * The acknowledgement capability a transport injects. For events it releases the HTTP 200 / WS ack;
 * for card clicks it carries the synchronous answer. Calling it twice is a no-op. `retry` asks the
 * platform to deliver the event again later (the store was unreachable: nothing was recorded).
 */
export type Ack = (response?: CardResponse, opts?: { retry?: boolean }) => void;

export type OutMessage = { type: 'text'; text: string } | { type: 'card'; card: CardJson } | { type: 'file'; fileKey: string };

export type Recipient = { openId: string } | { chatId: string };

/** Outgoing Lark calls, behind an interface so handlers never import the SDK. */
export interface Sender {
  send(to: Recipient, message: OutMessage, opts: { uuid: string }): Promise<{ messageId: string }>;
  reply(messageId: string, message: OutMessage, opts: { uuid: string }): Promise<{ messageId: string }>;
  patchCard(messageId: string, card: CardJson): Promise<void>;
  uploadFile(name: string, data: Buffer, fileType?: string): Promise<{ fileKey: string }>;
}

export interface Person {
  openId: string;
  name: string;
  enName?: string;
  /** open_department_ids */
  departmentIds: string[];
}

export interface Department {
  /** open_department_id */
  id: string;
  name: string;
  enName?: string;
  leaderUserId?: string;
}

/** Names and departments from Lark's contact API (cached). */
export interface Directory {
  user(tenantKey: string, openId: string): Promise<Person | undefined>;
  department(tenantKey: string, departmentId: string): Promise<Department | undefined>;
}

export interface Services {
  sender: Sender;
  directory: Directory;
  logger: Logger;
  /** The bot's own identities (open_id, app_id) to ignore its own messages. */
  self: { appId?: string; openId?: string };
  defaultLocale: Locale;
  timezone: string;
  prefs: UserPrefsStore;
  dedupe: DedupeStore;
  metrics: Metrics;
  now(): Date;
}

/** Remembers processed deliveries. `claim` is atomic: exactly one caller gets true per key. */
export interface DedupeStore {
  claim(key: string): Promise<boolean>;
  /** Forget a key so a redelivery is processed (used when handling failed before any effect). */
  release(key: string): Promise<void>;
}

export interface UserPrefsStore {
  getLocale(tenantKey: string, openId: string): Promise<Locale | undefined>;
  setLocale(tenantKey: string, openId: string, locale: Locale): Promise<void>;
  /** True only the first time it is called for a user (atomic), so the welcome card is sent once. */
  markWelcomed(tenantKey: string, openId: string): Promise<boolean>;
}

export interface ParsedCommand {
  /** Canonical (English) command name without the slash, e.g. 'help'. */
  name: string;
  /** The name as typed, e.g. '帮助'. */
  typed: string;
  /** Everything after the command name, trimmed. */
  args: string;
}

export type TFn = (key: string, params?: Record<string, unknown>) => string;

export interface Context {
  event: BotEvent;
  services: Services;
  log: Logger;
  tenantKey: string;
  /** The person acting: message sender, card operator, or system event operator. */
  actorId?: string;
  chatId?: string;
  locale: Locale;
  /** Translate into the actor's language. */
  t: TFn;
  /** Translate into both languages (for cards). */
  tb(key: string, params?: Record<string, unknown>): Bi;
  command?: ParsedCommand;
  ack: Ack;
  readonly acked: boolean;
  /** Reply in the conversation the event came from (threaded to the message when there is one). */
  reply(message: OutMessage): Promise<{ messageId: string } | undefined>;
  /** Mutable bag for middleware. */
  state: Record<string, unknown>;
}

export type Next = () => Promise<void>;
export type Middleware = (ctx: Context, next: Next) => Promise<void>;
