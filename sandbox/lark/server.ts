/**
 * The Lark stand-in: an Open API subset, event/callback delivery (webhook or long connection) and a web
 * chat page, so that the real @larksuiteoapi/node-sdk (Client, EventDispatcher, WSClient) can run against
 * `domain: standIn.url` with no Lark servers around.
 *
 * Files: openapi.ts (Open API + recording + fault injection), delivery-webhook.ts / delivery-ws.ts
 * (transports), frame.ts (pbbp2 protobuf), crypto.ts (encrypt/sign), events.ts (event envelopes),
 * store.ts (chats/messages/files), directory.ts (demo organisation), page-api.ts (web page JSON API),
 * card-check.ts (card limits), errors.ts (error codes).
 *
 * Either `startLarkStandIn(opts)` (own HTTP server), or `createLarkStandIn(opts)` and mount
 * `requestListener` / `handleUpgrade` on an existing server, then `setBaseUrl(url)`.
 */
import { EventEmitter } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseMaybeJson, type DeliveryConfig, type DeliveryRecord, type DeliveryResult } from './delivery.js';
import { WebhookDelivery, type WebhookSendOptions } from './delivery-webhook.js';
import { WsGateway, type WsClientConfig } from './delivery-ws.js';
import { Directory, type DemoOrg } from './directory.js';
import {
  botAddedEvent,
  cardActionEvent,
  envelope,
  extractMentions,
  messageReceiveEvent,
  microsNow,
  p2pEnteredEvent,
  type ClickAction,
  type EnvelopeContext,
  type EventEnvelope,
} from './events.js';
import { checkCardContent, checkCardObject } from './card-check.js';
import { LarkError } from './errors.js';
import { isPlainObject, sendJson, sleep } from './http-util.js';
import { hex, newCardToken } from './ids.js';
import { OpenApi, type FaultSpec, type RecordedCall } from './openapi.js';
import { PageApi } from './page-api.js';
import { Store, type MessageEvent, type StoredChat, type StoredMessage } from './store.js';

export type { DemoOrg } from './directory.js';
export type { DeliveryConfig, DeliveryRecord, DeliveryResult } from './delivery.js';
export type { RecordedCall, FaultSpec } from './openapi.js';
export type { StoredMessage, StoredChat, MessageEvent } from './store.js';
export type { EventEnvelope, ClickAction } from './events.js';
export { encryptPayload, decryptPayload, signBody } from './crypto.js';

export interface StandInOptions {
  /** 0 / undefined = random free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Must look like `cli_` + 16 hex characters for the SDK's WSClient to start. */
  appId: string;
  appSecret: string;
  /** With a key: webhook bodies are encrypted and signed. */
  encryptKey?: string;
  /** Put into `header.token` of every event (and the challenge). */
  verificationToken?: string;
  /** Object or path; default seed/demo-org.json. */
  directory?: DemoOrg | string;
  delivery?: DeliveryConfig;
  /** Default sandbox/lark/web. */
  webDir?: string;
  /** How long an event delivery waits for the HTTP 200 / WS ack (default 3000 ms, Lark's deadline). */
  ackTimeoutMs?: number;
  /** How long a card click waits for the bot's answer (default 3000 ms, Lark's deadline). */
  clickTimeoutMs?: number;
  /**
   * Which group messages reach the bot: `mention_only` (default; the usual `im:message.group_at_msg`
   * permission) or `all` (`im:message.group_msg`). p2p messages always do.
   */
  groupMessageScope?: 'mention_only' | 'all';
  /** ClientConfig handed to WS clients (seconds). */
  wsClientConfig?: Partial<WsClientConfig>;
  /** Lifetime of issued tenant tokens (default 7200 s). */
  tokenExpireSeconds?: number;
  /**
   * Drop a bot send whose `uuid` was seen within the hour and return the first message, as Lark
   * does (default true). `false` makes every send a new message, so a test sees the bot's own
   * guards (dedupe claims, the notification log) and not Lark's.
   */
  dedupeUuid?: boolean;
}

export interface SendTextResult {
  message_id: string;
  chat_id: string;
  /** Delivery status (HTTP status / WS code; 0 = no answer); null when the event was not delivered at all. */
  status: number | null;
  delivered: boolean;
  /** Why the message was not delivered (bot not in the group, no @mention in a group). */
  skipped?: string;
  delivery?: DeliveryResult;
  envelope?: EventEnvelope;
}

export interface ClickResult {
  ok: boolean;
  /** Delivery status (HTTP status / WS code; 0 = no answer). */
  status: number;
  toast?: { type: string; content: string; i18n?: Record<string, string> };
  /** The card of the answer, as returned (`{type: 'raw', data}`). */
  card?: unknown;
  /** The parsed answer body. */
  answer?: unknown;
  card_updated: boolean;
  error?: string;
  /** Lark's error code when the answer was refused (200673 invalid card, 200830 not a 2.0 card). */
  code?: number;
  /** The `c-…` token carried by this click (for delayed updates). */
  token: string;
  delivery?: DeliveryResult;
  envelope?: EventEnvelope;
}

export interface MessageFilter {
  chat_id?: string;
  sender_type?: 'user' | 'app';
  msg_type?: string;
  /** Only messages in the p2p chat of this user. */
  p2p_user?: string;
  /** Only messages created at or after this unix-ms time. */
  since?: number;
}

const TOAST_TYPES = new Set(['info', 'success', 'error', 'warning']);

export class LarkStandIn extends EventEmitter {
  readonly store: Store;
  readonly openapi: OpenApi;
  readonly ws: WsGateway;
  readonly deliveries: DeliveryRecord[] = [];
  private deliveryCfg: DeliveryConfig = null;
  private webhook: WebhookDelivery | null = null;
  private deliverySeq = 0;
  private server: http.Server | null = null;
  private page: PageApi;
  url = '';
  port = 0;

  constructor(
    readonly options: StandInOptions,
    private readonly dir: Directory,
  ) {
    super();
    this.store = new Store(dir);
    this.openapi = new OpenApi(
      {
        appId: options.appId,
        appSecret: options.appSecret,
        ...(options.tokenExpireSeconds ? { tokenExpireSeconds: options.tokenExpireSeconds } : {}),
        ...(options.dedupeUuid !== undefined ? { dedupeUuid: options.dedupeUuid } : {}),
      },
      dir,
      this.store,
    );
    this.ws = new WsGateway(this.openapi, options.wsClientConfig);
    this.page = new PageApi(this, options.webDir ?? join(dirname(fileURLToPath(import.meta.url)), 'web'));
    this.store.on('message', (e: MessageEvent) => this.emit('message', e));
    this.openapi.onCall((c) => this.emit('call', c));
    if (options.delivery) this.setDelivery(options.delivery);
  }

  // ------------------------------------------------------------ lifecycle

  /** A node:http request listener serving everything (Open API, WS endpoint, page API, static page). */
  readonly requestListener = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    this.route(req, res).catch((e: unknown) => {
      sendJson(res, 500, { code: 500, msg: `stand-in error: ${(e as Error).message}` });
    });
  };

  /** Handles a WebSocket upgrade for the long connection; false when the request is not for us. */
  handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): boolean {
    return this.ws.handleUpgrade(req, socket, head);
  }

  /** When mounted on another server: the base URL clients use (e.g. `http://127.0.0.1:3000`). */
  setBaseUrl(url: string): void {
    this.url = url.replace(/\/+$/, '');
    const port = Number(new URL(this.url).port);
    if (port) this.port = port;
  }

  async listen(): Promise<void> {
    const server = http.createServer(this.requestListener);
    server.on('upgrade', (req, socket, head: Buffer) => {
      if (!this.handleUpgrade(req, socket, head)) socket.destroy();
    });
    const host = this.options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? 0, host, () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
    this.url = `http://${urlHost}:${this.port}`;
  }

  async stop(): Promise<void> {
    this.ws.close();
    this.page.close();
    const server = this.server;
    this.server = null;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const p = url.pathname;
    if (p.startsWith('/open-apis/') || p.startsWith('/callback/')) return this.openapi.handle(req, res, url);
    if (p.startsWith('/sandbox/api/')) return this.page.handle(req, res, url);
    if (req.method === 'GET' || req.method === 'HEAD') return this.page.serveStatic(req, res, url);
    sendJson(res, 404, { code: 404, msg: `not found: ${req.method} ${p}` });
  }

  // ------------------------------------------------------------ accessors

  get directory(): Directory {
    return this.dir;
  }

  get calls(): RecordedCall[] {
    return this.openapi.calls;
  }

  clearCalls(): void {
    this.openapi.clearCalls();
  }

  get wsConnections(): number {
    return this.ws.connectionCount;
  }

  get delivery(): DeliveryConfig {
    return this.deliveryCfg;
  }

  setDelivery(cfg: DeliveryConfig): void {
    this.deliveryCfg = cfg;
    this.webhook = cfg?.mode === 'webhook' ? new WebhookDelivery(cfg.url, this.options.encryptKey) : null;
  }

  messages(filter: MessageFilter | ((m: StoredMessage) => boolean) = {}): StoredMessage[] {
    const all = this.store.allMessages();
    if (typeof filter === 'function') return all.filter(filter);
    const p2pChat = filter.p2p_user ? (this.store.p2pChatOf(filter.p2p_user)?.chat_id ?? '<none>') : undefined;
    return all.filter(
      (m) =>
        (filter.chat_id === undefined || m.chat_id === filter.chat_id) &&
        (filter.sender_type === undefined || m.sender.sender_type === filter.sender_type) &&
        (filter.msg_type === undefined || m.msg_type === filter.msg_type) &&
        (p2pChat === undefined || m.chat_id === p2pChat) &&
        (filter.since === undefined || Number(m.create_time) >= filter.since),
    );
  }

  /** Goes silent on the long connection (pings unanswered, nothing sent) or speaks again. */
  setWsSilent(silent: boolean): void {
    this.ws.silent = silent;
  }

  /**
   * Every card problem seen: cards refused (create, reply, patch, delayed update, callback answer),
   * and any card message now held that the validator refuses. Empty when every card the bot sent
   * or patched obeys Lark's limits (the e2e harness asserts it when it stops).
   */
  cardProblems(): string[] {
    const out = this.openapi.cardRefusals.map((r) => `${r.where}: ${r.code} ${r.reason}`);
    for (const m of this.store.messages.values()) {
      if (m.msg_type !== 'interactive' || m.deleted) continue;
      const p = checkCardContent(m.body.content);
      if (p) out.push(`message ${m.message_id}: ${p.kind === 'too_long' ? `${p.bytes} bytes as sent` : p.reason}`);
    }
    return out;
  }

  chatMessages(chatId: string): StoredMessage[] {
    return this.store.chatMessages(chatId);
  }

  getMessage(id: string): StoredMessage | undefined {
    return this.store.messages.get(id);
  }

  /** Parsed card of an interactive message. */
  getCard(id: string): Record<string, unknown> | undefined {
    const m = this.getMessage(id);
    if (m?.msg_type !== 'interactive') return undefined;
    const v = parseMaybeJson(m.body.content);
    return isPlainObject(v) ? v : undefined;
  }

  p2pChatId(userOpenId: string): string | undefined {
    return this.store.p2pChatOf(userOpenId)?.chat_id;
  }

  /** Moves a message's create_time into the past (to test the 14-day update window). */
  backdateMessage(id: string, ms: number): void {
    const m = this.getMessage(id);
    if (!m) throw new Error(`unknown message ${id}`);
    m.create_time = String(Number(m.create_time) - ms);
  }

  // ------------------------------------------------------------ test hooks

  failNext(pathPrefix: string, spec: FaultSpec, times = 1): void {
    this.openapi.failNext(pathPrefix, spec, times);
  }

  clearFaults(): void {
    this.openapi.clearFaults();
  }

  setLatency(ms: number): void {
    this.openapi.setLatency(ms);
  }

  invalidateTokens(): void {
    this.openapi.invalidateTokens();
  }

  /** The app lacks these scopes from now on (see OpenApi.denyScope); `grantScope()` gives them back. */
  denyScope(...scopes: string[]): void {
    this.openapi.denyScope(...scopes);
  }

  grantScope(...scopes: string[]): void {
    this.openapi.grantScope(...scopes);
  }

  /** Lark's de-duplication of sends by `uuid`: on (Lark's behaviour) or off (see `dedupeUuid`). */
  setUuidDedupe(on: boolean): void {
    this.openapi.setUuidDedupe(on);
  }

  /** Puts a person outside (false) or back inside (true) the app's availability: sends to them answer 230013. */
  setAvailable(openId: string, available: boolean): void {
    this.openapi.setAvailable(openId, available);
  }

  /** Terminates every WS connection (the SDK reconnects per ClientConfig). */
  dropWsConnections(): void {
    this.ws.dropAll();
  }

  /** Splits WS event payloads into fragments of `bytes` (0 = off), to exercise the SDK's reassembly. */
  setWsFragmentSize(bytes: number): void {
    this.ws.fragmentBytes = Math.max(0, bytes);
  }

  clearDeliveries(): void {
    this.deliveries.length = 0;
  }

  /** Polls `predicate` (every 10 ms) until it returns a truthy value, which is returned. */
  async waitFor<T>(predicate: () => T | Promise<T>, timeoutMs = 2000, what = 'condition'): Promise<NonNullable<T>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await predicate();
      if (v) return v as NonNullable<T>;
      if (Date.now() > deadline) throw new Error(`waitFor: ${what} not met within ${timeoutMs} ms`);
      await sleep(10);
    }
  }

  /** Waits for a message matching the filter (e.g. the bot's reply). */
  waitForMessage(filter: MessageFilter | ((m: StoredMessage) => boolean), timeoutMs = 2000): Promise<StoredMessage> {
    return this.waitFor(() => this.messages(filter)[0], timeoutMs, 'message');
  }

  // ------------------------------------------------------------ delivery core

  private envCtx(): EnvelopeContext {
    return { appId: this.options.appId, verificationToken: this.options.verificationToken ?? '', dir: this.dir };
  }

  private async transport(payload: unknown, timeoutMs: number, webhookOpts: WebhookSendOptions = {}): Promise<DeliveryResult> {
    const cfg = this.deliveryCfg;
    if (cfg?.mode === 'webhook' && this.webhook) return this.webhook.send(payload, { timeoutMs, ...webhookOpts });
    if (cfg?.mode === 'ws') return this.ws.send(payload, { timeoutMs });
    return { mode: 'none', status: 0, body: '', error: 'no delivery configured', durationMs: 0 };
  }

  private record(kind: string, payload: unknown, r: DeliveryResult): DeliveryResult {
    const rec: DeliveryRecord = { ...r, seq: ++this.deliverySeq, at: Date.now(), kind, payload };
    const header = isPlainObject(payload) && isPlainObject(payload['header']) ? payload['header'] : undefined;
    if (header && typeof header['event_id'] === 'string') rec.event_id = header['event_id'];
    this.deliveries.push(rec);
    this.emit('delivery', rec);
    return r;
  }

  /** Delivers a v2 envelope (events and callbacks); does not wait for any work beyond the ack. */
  async deliverEnvelope(env: EventEnvelope, timeoutMs = this.options.ackTimeoutMs ?? 3000): Promise<DeliveryResult> {
    const r = await this.transport(env, timeoutMs);
    return this.record(env.header.event_type, env, r);
  }

  /** Builds and delivers a v2 event with the given type and body. */
  deliverEvent(eventType: string, event: Record<string, unknown>, opts: { eventId?: string; createTime?: string } = {}): Promise<DeliveryResult> {
    return this.deliverEnvelope(envelope(this.envCtx(), eventType, event, opts));
  }

  /** Delivers the same envelope `times` times (same event_id / message_id), concurrently by default. */
  async redeliver(env: EventEnvelope, times: number, opts: { concurrent?: boolean } = {}): Promise<DeliveryResult[]> {
    if (opts.concurrent ?? true) return Promise.all(Array.from({ length: times }, () => this.deliverEnvelope(env)));
    const out: DeliveryResult[] = [];
    for (let i = 0; i < times; i++) out.push(await this.deliverEnvelope(env));
    return out;
  }

  /**
   * Delivers an arbitrary (possibly forged) body. Webhook: `obj` is serialised, encrypted when
   * `encrypt` (default: when a key is configured) and signed unless overridden. WS: sent as is.
   */
  async deliverRaw(obj: unknown, opts: WebhookSendOptions = {}): Promise<DeliveryResult> {
    const r = await this.transport(obj, opts.timeoutMs ?? this.options.ackTimeoutMs ?? 3000, opts);
    return this.record('raw', obj, r);
  }

  /** Sends a `url_verification` challenge to the webhook and checks the echo (1 s deadline, like Lark). */
  async challenge(): Promise<DeliveryResult & { ok: boolean; challenge: string }> {
    const challenge = hex(24);
    const payload = { challenge, token: this.options.verificationToken ?? '', type: 'url_verification' };
    if (this.deliveryCfg?.mode !== 'webhook') {
      return { mode: this.deliveryCfg ? 'ws' : 'none', status: 0, body: '', error: 'challenge needs webhook delivery', durationMs: 0, ok: false, challenge };
    }
    const r = this.record('url_verification', payload, await this.transport(payload, 1000));
    const ok = r.status === 200 && isPlainObject(r.json) && r.json['challenge'] === challenge;
    return { ...r, ok, challenge };
  }

  // ------------------------------------------------------------ user actions

  private requireUser(openId: string): void {
    if (!this.dir.userByOpenId(openId)) throw new Error(`unknown user ${openId}`);
  }

  /** The user opens the p2p chat with the bot: creates it if needed and delivers bot_p2p_chat_entered_v1. */
  async openP2p(userOpenId: string): Promise<{ chat_id: string; created: boolean; delivery: DeliveryResult }> {
    this.requireUser(userOpenId);
    const { chat, created } = this.store.ensureP2p(userOpenId);
    const last = this.store.chatMessages(chat.chat_id).at(-1);
    const delivery = await this.deliverEvent('im.chat.access_event.bot_p2p_chat_entered_v1', p2pEnteredEvent(this.dir, chat, userOpenId, last));
    return { chat_id: chat.chat_id, created, delivery };
  }

  /** The user types `text` in a chat (null = the p2p chat with the bot). */
  async sendText(userOpenId: string, chatId: string | null, text: string, opts: { parentId?: string } = {}): Promise<SendTextResult> {
    this.requireUser(userOpenId);
    const chat: StoredChat | undefined = chatId === null ? this.store.ensureP2p(userOpenId).chat : this.store.chats.get(chatId);
    if (!chat) throw new Error(`unknown chat ${String(chatId)}`);
    if (!this.store.isMember(chat, userOpenId)) throw new Error(`user ${userOpenId} is not a member of chat ${chat.chat_id}`);
    const { text: converted, mentions } = extractMentions(this.dir, text);
    const input: Parameters<Store['addMessage']>[0] = {
      chat_id: chat.chat_id,
      msg_type: 'text',
      content: JSON.stringify({ text: converted }),
      sender: { id: userOpenId, id_type: 'open_id', sender_type: 'user', tenant_key: this.dir.tenantKey },
      mentions,
    };
    if (opts.parentId) {
      const parent = this.getMessage(opts.parentId);
      if (!parent || parent.chat_id !== chat.chat_id) throw new Error(`unknown parent message ${opts.parentId}`);
      input.parent = parent;
    }
    const msg = this.store.addMessage(input);
    const base = { message_id: msg.message_id, chat_id: chat.chat_id };
    if (!chat.bot_member) return { ...base, status: null, delivered: false, skipped: 'bot is not in the chat' };
    const botMentioned = mentions.some((m) => m.id.open_id === this.dir.org.app.open_id);
    if (chat.chat_type === 'group' && (this.options.groupMessageScope ?? 'mention_only') === 'mention_only' && !botMentioned) {
      return { ...base, status: null, delivered: false, skipped: 'group message without @bot' };
    }
    const env = envelope(this.envCtx(), 'im.message.receive_v1', messageReceiveEvent(this.dir, chat, msg));
    const delivery = await this.deliverEnvelope(env);
    return { ...base, status: delivery.status, delivered: true, delivery, envelope: env };
  }

  /** Adds the bot to a group chat and delivers im.chat.member.bot.added_v1. */
  async addBotToGroup(chatId: string, operatorOpenId: string): Promise<DeliveryResult> {
    this.requireUser(operatorOpenId);
    const chat = this.store.chats.get(chatId);
    if (chat?.chat_type !== 'group') throw new Error(`unknown group chat ${chatId}`);
    chat.bot_member = true;
    return this.deliverEvent('im.chat.member.bot.added_v1', botAddedEvent(this.dir, chat, operatorOpenId));
  }

  /**
   * The user clicks a card component: delivers card.action.trigger with a fresh `c-…` token, waits for
   * the bot's answer (≤ clickTimeoutMs) and applies it (`card.type: 'raw'` replaces the card).
   */
  async click(userOpenId: string, messageId: string, action: ClickAction): Promise<ClickResult> {
    this.requireUser(userOpenId);
    const msg = this.getMessage(messageId);
    const token = newCardToken();
    const failNow = (error: string): ClickResult => ({ ok: false, status: 0, card_updated: false, error, token });
    if (!msg) return failNow('message not found');
    if (msg.msg_type !== 'interactive') return failNow('not a card message');
    const chat = this.store.chats.get(msg.chat_id);
    if (!chat || !this.store.isMember(chat, userOpenId)) return failNow('user is not in the chat');
    if (Date.now() - Number(msg.create_time) > 14 * 24 * 3600 * 1000) return failNow('card expired (older than 14 days)');

    const rec = { token, message_id: msg.message_id, chat_id: msg.chat_id, operator: userOpenId, created_at: Date.now(), uses: 0, answered: false };
    this.store.cardTokens.set(token, rec);
    const env = envelope(this.envCtx(), 'card.action.trigger', cardActionEvent(this.dir, msg, userOpenId, token, action), { createTime: microsNow() });
    const delivery = await this.deliverEnvelope(env, this.options.clickTimeoutMs ?? 3000);
    rec.answered = true;
    const base = { status: delivery.status, token, delivery, envelope: env };
    const bad = (error: string, answer?: unknown): ClickResult => ({ ...base, ok: false, card_updated: false, error, ...(answer !== undefined ? { answer } : {}) });

    if (delivery.status === 0) return bad(delivery.error?.startsWith('timeout') ? `timeout: the bot did not answer in time (${delivery.error})` : (delivery.error ?? 'no answer'));
    if (delivery.status !== 200) return bad(delivery.mode === 'ws' ? `callback handler failed (code ${delivery.status})` : `callback answered HTTP ${delivery.status}`);
    let answer: unknown = delivery.json;
    if (delivery.body === '') {
      // WS: the SDK omits `data` when the handler returns nothing. Webhook: an empty body is not JSON.
      if (delivery.mode === 'ws') answer = {};
      else return bad('empty callback response (return an object, at least {})');
    }
    if (!isPlainObject(answer)) return bad('callback response is not a JSON object', answer ?? delivery.body);

    const result: ClickResult = { ...base, ok: true, card_updated: false, answer };
    const toast = answer['toast'];
    if (toast !== undefined) {
      if (!isPlainObject(toast) || typeof toast['type'] !== 'string' || !TOAST_TYPES.has(toast['type']) || typeof toast['content'] !== 'string') {
        return bad('invalid toast: needs {type: info|success|error|warning, content: string}', answer);
      }
      const t: NonNullable<ClickResult['toast']> = { type: toast['type'], content: toast['content'] };
      if (isPlainObject(toast['i18n'])) t.i18n = toast['i18n'] as Record<string, string>;
      result.toast = t;
    }
    const card = answer['card'];
    if (card !== undefined) {
      result.card = card;
      // Lark's answers to a bad card: 200673 invalid card; 200830 a 2.0 card answered with a non-2.0 one.
      const refuse = (code: number, reason: string): ClickResult => {
        this.openapi.cardRefusals.push({ where: 'callback answer', code, reason, at: Date.now() });
        return { ...bad(`${code} ${reason}`, answer), code };
      };
      if (!isPlainObject(card) || (card['type'] !== 'raw' && card['type'] !== 'template')) {
        return refuse(LarkError.callbackInvalidCard.code, 'invalid card in answer: needs {type: "raw" | "template", data: {...}}');
      }
      const data = card['data'];
      if (!isPlainObject(data)) return refuse(LarkError.callbackInvalidCard.code, 'invalid card in answer: card.data must be an object (not a string)');
      const clickedIs2 = (() => {
        try {
          return (JSON.parse(msg.body.content) as { schema?: unknown }).schema === '2.0';
        } catch {
          return false;
        }
      })();
      if (clickedIs2 && (card['type'] !== 'raw' || data['schema'] !== '2.0')) {
        return refuse(LarkError.callbackCardSchemaMismatch.code, 'a card JSON 2.0 card must be answered with a card JSON 2.0 card');
      }
      const content = JSON.stringify(card['type'] === 'raw' ? data : { type: 'template', data });
      const problem = checkCardContent(content) ?? (card['type'] === 'raw' ? checkCardObject(data) : null);
      if (problem)
        return refuse(
          LarkError.callbackInvalidCard.code,
          problem.kind === 'too_long' ? `card too long (${problem.bytes} bytes as sent > 30 KB)` : `invalid card: ${problem.reason}`,
        );
      this.store.updateContent(msg.message_id, content);
      result.card_updated = true;
    }
    return result;
  }
}

/** Creates a stand-in without a server of its own (mount `requestListener` / `handleUpgrade`). */
export function createLarkStandIn(opts: StandInOptions): LarkStandIn {
  return new LarkStandIn(opts, new Directory(opts.directory));
}

/** Creates a stand-in and starts its HTTP server (random port unless `opts.port`). */
export async function startLarkStandIn(opts: StandInOptions): Promise<LarkStandIn> {
  const s = createLarkStandIn(opts);
  await s.listen();
  return s;
}
