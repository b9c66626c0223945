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

/**
 * A user's state in Lark's contact API (`user.status` of contact.v3.user.get:
 * https://open.feishu.cn/document/server-docs/contact-v3/user/get ; states explained in
 * https://open.feishu.cn/document/server-docs/contact-v3/user/field-overview).
 */
export interface PersonStatus {
  /** `is_activated`: the account is activated. */
  activated: boolean;
  /** `is_resigned`: the person has left (离职). */
  resigned: boolean;
  /** `is_frozen`: the account is suspended (暂停/停用). */
  frozen: boolean;
  /** `is_exited`: left the organisation themselves (becomes resigned after a while). */
  exited: boolean;
  /** `is_unjoin`: invited, has not joined yet. */
  unjoined: boolean;
}

export interface Person {
  openId: string;
  name: string;
  enName?: string;
  /** open_department_ids */
  departmentIds: string[];
  /** Absent when Lark did not return it (the app lacks the field permission). */
  status?: PersonStatus;
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
  /** Lenient (names on cards): a cached answer, undefined when unknown or when Lark cannot be reached. */
  user(tenantKey: string, openId: string): Promise<Person | undefined>;
  department(tenantKey: string, departmentId: string): Promise<Department | undefined>;
  /**
   * Strict (accepting a person): Lark's current answer. Undefined when Lark says there is no such
   * user (in the app's contact scope); throws `DirectoryUnavailable` when Lark could not answer.
   */
  lookup(tenantKey: string, openId: string): Promise<Person | undefined>;
  /** Active users of the tenant for person pickers, at most `limit`, in directory order (cached). */
  activeUsers(tenantKey: string, limit: number): Promise<Person[]>;
  /** Every active user the app can see (no pickers' cap), for unit-wide notices and reports. */
  allActiveUsers?(tenantKey: string): Promise<Person[]>;
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

/**
 * Remembers deliveries. A claim is a lease: `claim` is atomic (exactly one caller holds a key at a
 * time) and holds for `leaseMs`; the holder renews it while handling (`renew`), keeps it for good
 * once handled (`done`), or gives it back when handling failed (`release`). A lease whose holder
 * died expires, and the next delivery of the key takes it over.
 */
export interface DedupeStore {
  /** How long a claim holds without renewal (ms). */
  readonly leaseMs: number;
  /** True when this caller now holds the key: new, released, or its lease expired. */
  claim(key: string): Promise<boolean>;
  /** Extends a held lease by `leaseMs` (heartbeat); false when this caller no longer holds it. */
  renew(key: string): Promise<boolean>;
  /** Handled: every later delivery of the key is a duplicate (for the retention window). */
  done(key: string): Promise<void>;
  /** Handling failed: forget the key so a redelivery is processed. */
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
  /**
   * Need to know: answer only the person acting, in their private chat with the bot. In a p2p
   * chat this is `reply`; from a group the message goes to the actor's open_id and the group gets
   * a short localised note (once per event), never the content.
   */
  replyPrivately(message: OutMessage): Promise<{ messageId: string } | undefined>;
  /** Mutable bag for middleware. */
  state: Record<string, unknown>;
}

export type Next = () => Promise<void>;
export type Middleware = (ctx: Context, next: Next) => Promise<void>;
