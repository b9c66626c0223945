/**
 * In-memory state of the stand-in: chats (seeded groups + on-demand p2p chats), messages, uploaded files,
 * send de-duplication (`uuid`), card-callback tokens and calendar events. Emits `message` events
 * (`{kind: 'created' | 'updated', message}`) that feed the SSE stream and test hooks.
 */
import { EventEmitter } from 'node:events';
import type { Directory } from './directory.js';
import { newChatId, newMessageId, nowMs } from './ids.js';

export type ChatType = 'p2p' | 'group';

export interface StoredChat {
  chat_id: string;
  chat_type: ChatType;
  name: string;
  en_name?: string;
  description?: string;
  owner_id: string;
  /** Human members (open_ids). The bot's membership is `bot_member`. */
  members: string[];
  bot_member: boolean;
  /** For p2p chats: the user talking to the bot. */
  p2p_user?: string;
  created_at: number;
}

export interface MessageSender {
  id: string;
  id_type: 'open_id' | 'app_id';
  sender_type: 'user' | 'app';
  tenant_key: string;
}

export interface MessageMention {
  key: string;
  id: { open_id: string; user_id: string; union_id: string };
  name: string;
  tenant_key: string;
}

export interface StoredMessage {
  message_id: string;
  root_id?: string;
  parent_id?: string;
  thread_id?: string;
  msg_type: string;
  create_time: string;
  update_time: string;
  deleted: boolean;
  updated: boolean;
  chat_id: string;
  sender: MessageSender;
  body: { content: string };
  mentions?: MessageMention[];
  /** Sent with the legacy batch API: cannot be patched or replied to. */
  batch?: boolean;
  batch_id?: string;
  uuid?: string;
  /** How many times the content was changed (patch, callback answer, delayed update). */
  revisions: number;
}

export interface StoredFile {
  file_key: string;
  file_name: string;
  file_type: string;
  size: number;
  bytes: Buffer;
  created_at: number;
}

export interface CardToken {
  token: string;
  message_id: string;
  chat_id: string;
  operator: string;
  created_at: number;
  uses: number;
  /** The 3-second callback answer has been received (or timed out): delayed updates are allowed from then on. */
  answered: boolean;
}

export interface MessageEvent {
  kind: 'created' | 'updated';
  message: StoredMessage;
}

const UUID_WINDOW_MS = 60 * 60 * 1000;

export class Store extends EventEmitter {
  readonly chats = new Map<string, StoredChat>();
  readonly messages = new Map<string, StoredMessage>();
  readonly files = new Map<string, StoredFile>();
  readonly cardTokens = new Map<string, CardToken>();
  private readonly uuids = new Map<string, { message_id: string; at: number }>();
  private readonly p2pByUser = new Map<string, string>();
  private order: string[] = [];

  constructor(private readonly dir: Directory) {
    super();
    for (const c of dir.org.chats) {
      const chat: StoredChat = {
        chat_id: c.chat_id,
        chat_type: 'group',
        name: c.name,
        owner_id: c.owner_id,
        members: [...c.members],
        bot_member: c.bot_member,
        created_at: Date.now(),
      };
      if (c.en_name !== undefined) chat.en_name = c.en_name;
      if (c.description !== undefined) chat.description = c.description;
      this.chats.set(c.chat_id, chat);
    }
  }

  // ---- chats ----

  p2pChatOf(userOpenId: string): StoredChat | undefined {
    const id = this.p2pByUser.get(userOpenId);
    return id ? this.chats.get(id) : undefined;
  }

  /** Returns the p2p chat between the bot and the user, creating it on demand. */
  ensureP2p(userOpenId: string): { chat: StoredChat; created: boolean } {
    const existing = this.p2pChatOf(userOpenId);
    if (existing) return { chat: existing, created: false };
    const user = this.dir.userByOpenId(userOpenId);
    const chat: StoredChat = {
      chat_id: newChatId(),
      chat_type: 'p2p',
      name: user?.name ?? userOpenId,
      owner_id: userOpenId,
      members: [userOpenId],
      bot_member: true,
      p2p_user: userOpenId,
      created_at: Date.now(),
    };
    if (user?.en_name !== undefined) chat.en_name = user.en_name;
    this.chats.set(chat.chat_id, chat);
    this.p2pByUser.set(userOpenId, chat.chat_id);
    return { chat, created: true };
  }

  createGroup(input: { name: string; en_name?: string; description?: string; owner_id: string; members: string[] }): StoredChat {
    const chat: StoredChat = {
      chat_id: newChatId(),
      chat_type: 'group',
      name: input.name,
      owner_id: input.owner_id,
      members: [...new Set(input.members)],
      bot_member: true,
      created_at: Date.now(),
    };
    if (input.en_name !== undefined) chat.en_name = input.en_name;
    if (input.description !== undefined) chat.description = input.description;
    this.chats.set(chat.chat_id, chat);
    return chat;
  }

  isMember(chat: StoredChat, userOpenId: string): boolean {
    return chat.members.includes(userOpenId);
  }

  chatsOfUser(userOpenId: string): StoredChat[] {
    return [...this.chats.values()].filter((c) => c.members.includes(userOpenId));
  }

  // ---- messages ----

  addMessage(input: {
    chat_id: string;
    msg_type: string;
    content: string;
    sender: MessageSender;
    parent?: StoredMessage;
    thread?: boolean;
    mentions?: MessageMention[];
    uuid?: string;
    batch_id?: string;
  }): StoredMessage {
    const t = nowMs();
    const msg: StoredMessage = {
      message_id: newMessageId(),
      msg_type: input.msg_type,
      create_time: t,
      update_time: t,
      deleted: false,
      updated: false,
      chat_id: input.chat_id,
      sender: input.sender,
      body: { content: input.content },
      revisions: 0,
    };
    if (input.parent) {
      msg.parent_id = input.parent.message_id;
      msg.root_id = input.parent.root_id ?? input.parent.message_id;
      if (input.parent.thread_id) msg.thread_id = input.parent.thread_id;
      else if (input.thread) {
        const tid = `omt_${msg.root_id.slice(3, 16)}`;
        msg.thread_id = tid;
        input.parent.thread_id = tid;
      }
    }
    if (input.mentions && input.mentions.length > 0) msg.mentions = input.mentions;
    if (input.uuid !== undefined) {
      msg.uuid = input.uuid;
      this.uuids.set(input.uuid, { message_id: msg.message_id, at: Date.now() });
    }
    if (input.batch_id !== undefined) {
      msg.batch = true;
      msg.batch_id = input.batch_id;
    }
    this.messages.set(msg.message_id, msg);
    this.order.push(msg.message_id);
    this.emit('message', { kind: 'created', message: msg } satisfies MessageEvent);
    return msg;
  }

  /** Lark's send de-duplication: the same uuid within one hour yields the earlier message. */
  findByUuid(uuid: string): StoredMessage | undefined {
    const hit = this.uuids.get(uuid);
    if (!hit) return undefined;
    if (Date.now() - hit.at > UUID_WINDOW_MS) {
      this.uuids.delete(uuid);
      return undefined;
    }
    return this.messages.get(hit.message_id);
  }

  updateContent(messageId: string, content: string): StoredMessage {
    const msg = this.messages.get(messageId);
    if (!msg) throw new Error(`unknown message ${messageId}`);
    msg.body = { content };
    msg.updated = true;
    msg.revisions += 1;
    // Keep update_time strictly increasing even within the same millisecond.
    msg.update_time = String(Math.max(Date.now(), Number(msg.update_time) + 1));
    this.emit('message', { kind: 'updated', message: msg } satisfies MessageEvent);
    return msg;
  }

  allMessages(): StoredMessage[] {
    return this.order.map((id) => this.messages.get(id)).filter((m): m is StoredMessage => m !== undefined);
  }

  chatMessages(chatId: string): StoredMessage[] {
    return this.allMessages().filter((m) => m.chat_id === chatId);
  }

  // ---- files ----

  addFile(f: StoredFile): void {
    this.files.set(f.file_key, f);
  }

  // ---- reset ----

  clearMessages(): void {
    this.messages.clear();
    this.order = [];
    this.uuids.clear();
    this.cardTokens.clear();
  }
}
