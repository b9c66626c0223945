/**
 * The Open API subset: `{code, msg, data}` envelopes, tenant tokens, call recording and fault injection
 * (forced 429/5xx, latency, token invalidation).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { checkCardContent, checkCardObject, type CardProblem } from './card-check.js';
import { pageOf, type Directory, type DepartmentIdType, type DirUser, type UserIdType } from './directory.js';
import { LarkError, type LarkErrorDef } from './errors.js';
import { BodyTooLargeError, isPlainObject, parseJsonSafe, parseMultipart, readBody, sendJson, sleep } from './http-util.js';
import { hex, newAppToken, newBatchMessageId, newCalendarEventId, newFileKey, newTenantToken } from './ids.js';
import { noScope, scopesOf } from './scopes.js';
import type { MessageSender, Store, StoredChat, StoredMessage } from './store.js';

export interface RecordedCall {
  seq: number;
  /** Unix ms. */
  at: number;
  method: string;
  path: string;
  query: Record<string, string>;
  /** Parsed JSON body; for multipart: fields plus file summaries; raw text otherwise. */
  body: unknown;
  /** Request headers; the authorization value is replaced by `<redacted>`. */
  headers: Record<string, string>;
  /** Outcome of the token check: `valid`, `invalid`, `missing`, or `n/a` for endpoints without auth. */
  auth: 'valid' | 'invalid' | 'missing' | 'n/a';
  status: number;
  response: unknown;
  durationMs: number;
}

export interface FaultSpec {
  /** HTTP status to answer with (429, 500, 503, or even 200 with a non-zero code). */
  status: number;
  /** Body code; default 99991400 for 429, 2200 otherwise. */
  code?: number;
  msg?: string;
  /** Value of the `x-ogw-ratelimit-reset` header (seconds), for 429s; default 1. */
  resetSeconds?: number;
}

interface FaultRule extends FaultSpec {
  prefix: string;
  remaining: number;
}

export interface CalendarEventRecord {
  calendar_id: string;
  event: Record<string, unknown>;
  attendees: Record<string, unknown>[];
  /** Deleted (DELETE …/events/:event_id); the record is kept for tests. */
  deleted?: boolean;
}

export interface ApiResult {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface RouteContext {
  req: IncomingMessage;
  method: string;
  path: string;
  params: string[];
  query: Record<string, string>;
  json: unknown;
  raw: Buffer;
  contentType: string;
}

interface Route {
  method: string;
  pattern: RegExp;
  auth: boolean;
  handler: (ctx: RouteContext) => ApiResult | Promise<ApiResult>;
}

export interface OpenApiOptions {
  appId: string;
  appSecret: string;
  tokenExpireSeconds?: number;
  /**
   * Lark drops a send whose `uuid` it saw within the hour and returns the first message (default
   * true, like Lark). Tests turn it off so that a doubled send by the bot shows as two messages.
   */
  dedupeUuid?: boolean;
  /** App-wide limit on message sends (POST …/im/v1/messages and replies) per second; off by default. */
  rateLimit?: { perSecond: number };
}

const MSG_TYPES = new Set(['text', 'post', 'image', 'file', 'audio', 'media', 'sticker', 'interactive', 'share_chat', 'share_user', 'system']);
const TEXT_MAX_BYTES = 150 * 1024;
const FILE_MAX_BYTES = 30 * 1024 * 1024;
const PATCH_WINDOW_MS = 14 * 24 * 60 * 60 * 1000;
const CARD_TOKEN_TTL_MS = 30 * 60 * 1000;
const FILE_TYPES = new Set(['opus', 'mp4', 'pdf', 'doc', 'xls', 'ppt', 'stream']);

export const ok = (data: unknown, msg = 'success'): ApiResult => ({ status: 200, body: { code: 0, msg, data } });
export const fail = (err: LarkErrorDef, detail?: string, status = 400): ApiResult => ({
  status,
  body: { code: err.code, msg: detail ? `${err.msg} ${detail}` : err.msg },
});

function cardFail(p: CardProblem): ApiResult {
  return p.kind === 'too_long' ? fail(LarkError.contentTooLong, `card is ${p.bytes} bytes as sent, the limit is 30 KB`) : fail(LarkError.invalidCard, p.reason);
}

/** A card the stand-in refused (too long or invalid), kept so a test suite can assert there are none. */
export interface CardRefusal {
  /** `POST /open-apis/im/v1/messages`, `PATCH …`, `callback answer`… */
  where: string;
  code: number;
  reason: string;
  at: number;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export class OpenApi {
  readonly calls: RecordedCall[] = [];
  /** Every card refused (create, reply, patch, delayed update, callback answer), oldest first. */
  readonly cardRefusals: CardRefusal[] = [];
  readonly calendarEvents = new Map<string, CalendarEventRecord>();
  private readonly routes: Route[] = [];
  private readonly tokens = new Map<string, { expiresAt: number; kind: 'tenant' | 'app' }>();
  private faults: FaultRule[] = [];
  private latencyMs = 0;
  private seq = 0;
  private readonly patchTimes = new Map<string, number[]>();
  private readonly calendarIdempotency = new Map<string, string>();
  readonly primaryCalendarId: string;
  private readonly callListeners = new Set<(c: RecordedCall) => void>();
  private dedupeUuid: boolean;
  private readonly unavailable = new Set<string>();
  private rateLimit: { perSecond: number } | undefined;
  /** Arrival times (ms) of the message sends in the last second, for the app-wide limit. */
  private sendTimes: number[] = [];
  /** Scopes the app lacks (`denyScope`); by default it holds every scope. */
  private readonly deniedScopes = new Set<string>();

  constructor(
    private readonly opts: OpenApiOptions,
    private readonly dir: Directory,
    private readonly store: Store,
  ) {
    this.primaryCalendarId = `feishu.cn_${hex(22)}@group.calendar.feishu.cn`;
    this.dedupeUuid = opts.dedupeUuid ?? true;
    this.rateLimit = opts.rateLimit;
    this.registerRoutes();
  }

  // ---------------------------------------------------------------- hooks

  onCall(cb: (c: RecordedCall) => void): () => void {
    this.callListeners.add(cb);
    return () => this.callListeners.delete(cb);
  }

  clearCalls(): void {
    this.calls.length = 0;
  }

  failNext(prefix: string, spec: FaultSpec, times = 1): void {
    this.faults.push({ ...spec, prefix, remaining: times });
  }

  clearFaults(): void {
    this.faults = [];
  }

  setLatency(ms: number): void {
    this.latencyMs = Math.max(0, ms);
  }

  /**
   * Enforces Lark's app-wide limit on message sends (50/s): past `perSecond` sends in the last
   * second a send is answered 429 (code 99991400) with `x-ogw-ratelimit-reset`. `undefined`: off.
   */
  setRateLimit(limit: { perSecond: number } | undefined): void {
    this.rateLimit = limit;
    this.sendTimes = [];
  }

  /** A 429 when this message send is past the app-wide limit (it is then not counted as a send). */
  private overRateLimit(method: string, path: string): ApiResult | undefined {
    if (!this.rateLimit || method !== 'POST' || !/^\/open-apis\/im\/v1\/messages(\/[^/]+\/reply)?\/?$/.test(path)) return undefined;
    const now = Date.now();
    while (this.sendTimes.length > 0 && this.sendTimes[0]! <= now - 1000) this.sendTimes.shift();
    if (this.sendTimes.length < this.rateLimit.perSecond) {
      this.sendTimes.push(now);
      return undefined;
    }
    const resetSeconds = Math.max(1, Math.ceil((this.sendTimes[0]! + 1000 - now) / 1000));
    return {
      status: 429,
      body: { code: LarkError.rateLimited.code, msg: LarkError.rateLimited.msg },
      headers: { 'x-ogw-ratelimit-limit': String(this.rateLimit.perSecond), 'x-ogw-ratelimit-reset': String(resetSeconds) },
    };
  }

  /** Switches Lark's send de-duplication by `uuid` on (Lark's behaviour) or off (every send is a new message). */
  setUuidDedupe(on: boolean): void {
    this.dedupeUuid = on;
  }

  /**
   * Takes a person out of (or back into) the app's availability scope: a message sent to them by
   * open_id is refused with 230013, as Lark does for users the app is not available to.
   */
  setAvailable(openId: string, available: boolean): void {
    if (available) this.unavailable.delete(openId);
    else this.unavailable.add(openId);
  }

  invalidateTokens(): void {
    this.tokens.clear();
  }

  /**
   * Takes scopes away from the app, as if they were never added in the developer console: an API
   * for which the app then holds none of the scopes Lark accepts (sandbox/lark/scopes.ts) is
   * answered 99991672 "Access denied. One of the following scopes is required: […]".
   */
  denyScope(...scopes: string[]): void {
    for (const s of scopes) this.deniedScopes.add(s);
  }

  /** Gives denied scopes back (none given: all of them). */
  grantScope(...scopes: string[]): void {
    if (scopes.length === 0) this.deniedScopes.clear();
    for (const s of scopes) this.deniedScopes.delete(s);
  }

  /** Lark's refusal when the app holds none of this call's scopes; undefined when it may call. */
  private missingScope(method: string, path: string): ApiResult | undefined {
    if (this.deniedScopes.size === 0) return undefined;
    const accepted = scopesOf(method, path);
    if (!accepted || accepted.some((s) => !this.deniedScopes.has(s))) return undefined;
    return noScope(accepted, this.opts.appId);
  }

  addRoute(method: string, pattern: RegExp, auth: boolean, handler: Route['handler']): void {
    this.routes.push({ method, pattern, auth, handler });
  }

  /** Records a refused card and answers with Lark's error (230025 too long, 230099 invalid). */
  refuseCard(where: string, p: CardProblem): ApiResult {
    const r = cardFail(p);
    const body = r.body as { code: number; msg: string };
    this.cardRefusals.push({ where, code: body.code, reason: body.msg, at: Date.now() });
    return r;
  }

  // ---------------------------------------------------------------- dispatch

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const started = Date.now();
    const method = (req.method ?? 'GET').toUpperCase();
    const path = url.pathname;
    const query = Object.fromEntries(url.searchParams.entries());
    const contentType = String(req.headers['content-type'] ?? '');
    let raw: Buffer = Buffer.alloc(0);
    let tooLarge = false;
    try {
      raw = await readBody(req);
    } catch (e) {
      if (e instanceof BodyTooLargeError) tooLarge = true;
      else throw e;
    }
    let json: unknown;
    let recordedBody: unknown;
    if (contentType.startsWith('multipart/form-data')) {
      recordedBody = summarizeMultipart(raw, contentType);
    } else if (raw.length > 0) {
      const p = parseJsonSafe(raw.toString('utf8'));
      json = p.ok ? p.value : undefined;
      recordedBody = p.ok ? p.value : raw.toString('utf8').slice(0, 4096);
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v === undefined) continue;
      headers[k] = k === 'authorization' ? '<redacted>' : Array.isArray(v) ? v.join(', ') : v;
    }

    const route = this.routes.find((r) => r.method === method && r.pattern.test(path));
    let auth: RecordedCall['auth'] = 'n/a';
    let result: ApiResult;

    if (this.latencyMs > 0) await sleep(this.latencyMs);
    const fault = this.takeFault(path) ?? this.overRateLimit(method, path);
    if (fault) {
      result = fault;
    } else if (tooLarge) {
      result = fail(LarkError.fileTooLarge, undefined, 413);
    } else if (!route) {
      result = { status: 404, body: { code: 404, msg: `404 page not found: ${method} ${path}` } };
    } else {
      if (route.auth) auth = this.checkAuth(req);
      const denied = auth === 'valid' ? this.missingScope(method, path) : undefined;
      if (auth === 'missing') result = fail(LarkError.missingToken);
      else if (auth === 'invalid') result = fail(LarkError.invalidToken);
      else if (denied) result = denied;
      else {
        const m = route.pattern.exec(path);
        const params = m ? m.slice(1).map((s) => decodeURIComponent(s ?? '')) : [];
        try {
          result = await route.handler({ req, method, path, params, query, json, raw, contentType });
        } catch (e) {
          result = { status: 500, body: { code: LarkError.internal.code, msg: `stand-in error: ${(e as Error).message}` } };
        }
      }
    }

    const logId = `02${Date.now()}${hex(24)}`;
    sendJson(res, result.status, result.body, { 'X-Tt-Logid': logId, ...(result.headers ?? {}) });
    const call: RecordedCall = {
      seq: ++this.seq,
      at: started,
      method,
      path,
      query,
      body: recordedBody,
      headers,
      auth,
      status: result.status,
      response: result.body,
      durationMs: Date.now() - started,
    };
    this.calls.push(call);
    for (const cb of this.callListeners) cb(call);
  }

  private takeFault(path: string): ApiResult | undefined {
    const rule = this.faults.find((f) => f.remaining > 0 && path.startsWith(f.prefix));
    if (!rule) return undefined;
    rule.remaining -= 1;
    this.faults = this.faults.filter((f) => f.remaining > 0);
    const base = rule.status === 429 ? LarkError.rateLimited : rule.status >= 500 ? LarkError.internal : LarkError.rateLimited;
    const body: Record<string, unknown> = { code: rule.code ?? base.code, msg: rule.msg ?? base.msg };
    if (path.startsWith('/callback/')) body['data'] = {};
    const headers: Record<string, string> = {};
    if (rule.status === 429 || body['code'] === LarkError.rateLimited.code) {
      headers['x-ogw-ratelimit-limit'] = '50';
      headers['x-ogw-ratelimit-reset'] = String(rule.resetSeconds ?? 1);
    }
    return { status: rule.status, body, headers };
  }

  private checkAuth(req: IncomingMessage): 'valid' | 'invalid' | 'missing' {
    const h = req.headers['authorization'];
    if (!h) return 'missing';
    const m = /^Bearer\s+(\S+)$/i.exec(h);
    if (!m) return 'invalid';
    const t = this.tokens.get(m[1] ?? '');
    if (!t || t.expiresAt < Date.now()) return 'invalid';
    return 'valid';
  }

  private issueToken(kind: 'tenant' | 'app'): { token: string; expire: number } {
    const now = Date.now();
    // Like Lark: the current token is returned again while it has more than 30 minutes left.
    for (const [token, t] of this.tokens) {
      if (t.kind === kind && t.expiresAt - now > 30 * 60 * 1000) {
        return { token, expire: Math.floor((t.expiresAt - now) / 1000) };
      }
    }
    const expire = this.opts.tokenExpireSeconds ?? 7200;
    const token = kind === 'tenant' ? newTenantToken() : newAppToken();
    this.tokens.set(token, { expiresAt: now + expire * 1000, kind });
    return { token, expire };
  }

  /** Shared credential check for token endpoints and the WS endpoint. */
  checkCredentials(appId: unknown, appSecret: unknown): 'ok' | 'bad_app' | 'bad_secret' {
    if (appId !== this.opts.appId) return 'bad_app';
    if (appSecret !== this.opts.appSecret) return 'bad_secret';
    return 'ok';
  }

  // ---------------------------------------------------------------- message helpers

  private botSender(): MessageSender {
    return { id: this.opts.appId, id_type: 'app_id', sender_type: 'app', tenant_key: this.dir.tenantKey };
  }

  messageView(m: StoredMessage, userIdType: UserIdType = 'open_id'): Record<string, unknown> {
    const v: Record<string, unknown> = { message_id: m.message_id };
    if (m.root_id) v['root_id'] = m.root_id;
    if (m.parent_id) v['parent_id'] = m.parent_id;
    if (m.thread_id) v['thread_id'] = m.thread_id;
    Object.assign(v, {
      msg_type: m.msg_type,
      create_time: m.create_time,
      update_time: m.update_time,
      deleted: m.deleted,
      updated: m.updated,
      chat_id: m.chat_id,
      sender: {
        ...m.sender,
        id: m.sender.sender_type === 'user' ? this.dir.convertUserId(m.sender.id, userIdType) : m.sender.id,
        id_type: m.sender.sender_type === 'user' ? userIdType : 'app_id',
      },
      body: { content: m.body.content },
    });
    if (m.mentions) {
      v['mentions'] = m.mentions.map((x) => ({
        key: x.key,
        id: this.dir.convertUserId(x.id.open_id, userIdType),
        id_type: userIdType,
        name: x.name,
        tenant_key: x.tenant_key,
      }));
    }
    return v;
  }

  /** Validates `msg_type` + `content` as Lark does; returns an error result or null. */
  validateContent(msgType: unknown, content: unknown): ApiResult | null {
    if (typeof msgType !== 'string' || !MSG_TYPES.has(msgType)) {
      return fail(LarkError.invalidParam, `invalid msg_type: ${JSON.stringify(msgType)}`);
    }
    if (typeof content !== 'string') return fail(LarkError.fieldValidation, 'content must be a JSON string');
    if (msgType === 'interactive') {
      const p = checkCardContent(content);
      return p ? this.refuseCard('message create / reply', p) : null;
    }
    const parsed = parseJsonSafe(content);
    if (!parsed.ok || !isPlainObject(parsed.value)) return fail(LarkError.invalidParam, 'content is not a valid JSON object');
    const c = parsed.value;
    switch (msgType) {
      case 'text':
        if (typeof c['text'] !== 'string') return fail(LarkError.invalidParam, 'text content needs a "text" string');
        if (Buffer.byteLength(content) > TEXT_MAX_BYTES) return fail(LarkError.contentTooLong);
        return null;
      case 'post':
        if (Buffer.byteLength(content) > TEXT_MAX_BYTES) return fail(LarkError.contentTooLong);
        return null;
      case 'file': {
        const key = c['file_key'];
        if (typeof key !== 'string' || !this.store.files.has(key)) return fail(LarkError.invalidParam, 'invalid file_key');
        return null;
      }
      case 'image':
        if (typeof c['image_key'] !== 'string') return fail(LarkError.invalidParam, 'image content needs "image_key"');
        return null;
      case 'share_chat':
        if (typeof c['chat_id'] !== 'string') return fail(LarkError.invalidParam, 'share_chat content needs "chat_id"');
        return null;
      default:
        return null;
    }
  }

  private resolveReceiver(type: string | undefined, id: unknown): { chat: StoredChat } | ApiResult {
    if (typeof id !== 'string' || id === '') return fail(LarkError.fieldValidation, 'receive_id is required');
    switch (type) {
      case 'open_id':
      case 'user_id':
      case 'union_id':
      case 'email': {
        const user = this.dir.findUser(id, type);
        if (!user || this.unavailable.has(user.open_id)) return fail(LarkError.noAvailability, `(${type} ${id})`);
        return { chat: this.store.ensureP2p(user.open_id).chat };
      }
      case 'chat_id': {
        const chat = this.store.chats.get(id);
        if (!chat?.bot_member) return fail(LarkError.botNotInChat, `(chat_id ${id})`);
        return { chat };
      }
      default:
        return fail(LarkError.fieldValidation, `receive_id_type must be one of open_id|user_id|union_id|email|chat_id, got ${JSON.stringify(type)}`);
    }
  }

  private userIdType(q: Record<string, string>): UserIdType {
    const t = q['user_id_type'];
    return t === 'user_id' || t === 'union_id' ? t : 'open_id';
  }

  private deptIdType(q: Record<string, string>): DepartmentIdType {
    return q['department_id_type'] === 'department_id' ? 'department_id' : 'open_department_id';
  }

  userView(u: DirUser, uType: UserIdType, dType: DepartmentIdType): Record<string, unknown> {
    const v: Record<string, unknown> = {
      union_id: u.union_id,
      user_id: u.user_id,
      open_id: u.open_id,
      name: u.name,
      en_name: u.en_name,
      status: { is_frozen: false, is_resigned: false, is_activated: true, is_exited: false, is_unjoin: false, ...(u.status ?? {}) },
      department_ids: u.department_ids.map((d) => this.dir.convertDepartmentId(d, dType)),
      employee_type: 1,
      is_tenant_manager: false,
    };
    if (u.email !== undefined) v['email'] = u.email;
    if (u.leader_user_id !== undefined) v['leader_user_id'] = this.dir.convertUserId(u.leader_user_id, uType);
    return v;
  }

  // ---------------------------------------------------------------- routes

  private registerRoutes(): void {
    const r = (method: string, pattern: RegExp, handler: Route['handler'], auth = true): void => this.addRoute(method, pattern, auth, handler);
    const SEG = '([^/]+)';

    // ---- auth
    const tokenEndpoint =
      (kind: 'tenant' | 'app') =>
      (ctx: RouteContext): ApiResult => {
        const b = isPlainObject(ctx.json) ? ctx.json : {};
        const check = this.checkCredentials(b['app_id'], b['app_secret']);
        if (check === 'bad_app') return fail(LarkError.invalidAppId);
        if (check === 'bad_secret') return fail(LarkError.appSecretInvalid);
        const t = this.issueToken('tenant');
        if (kind === 'tenant') return { status: 200, body: { code: 0, msg: 'ok', tenant_access_token: t.token, expire: t.expire } };
        const a = this.issueToken('app');
        return { status: 200, body: { code: 0, msg: 'ok', app_access_token: a.token, tenant_access_token: t.token, expire: a.expire } };
      };
    r('POST', /^\/open-apis\/auth\/v3\/tenant_access_token\/internal\/?$/, tokenEndpoint('tenant'), false);
    r('POST', /^\/open-apis\/auth\/v3\/app_access_token\/internal\/?$/, tokenEndpoint('app'), false);

    // ---- messages
    r('POST', /^\/open-apis\/im\/v1\/messages\/?$/, (ctx) => {
      const b = isPlainObject(ctx.json) ? ctx.json : {};
      const target = this.resolveReceiver(ctx.query['receive_id_type'], b['receive_id']);
      if (!('chat' in target)) return target;
      return this.sendFromBot(target.chat, b, undefined);
    });

    r('POST', new RegExp(`^/open-apis/im/v1/messages/${SEG}/reply/?$`), (ctx) => {
      const b = isPlainObject(ctx.json) ? ctx.json : {};
      const parent = this.store.messages.get(ctx.params[0] ?? '');
      if (!parent || parent.deleted) return fail(LarkError.invalidParam, 'message not found');
      if (parent.batch) return fail(LarkError.invalidParam, 'messages sent with batch_send cannot be replied to');
      const chat = this.store.chats.get(parent.chat_id);
      if (!chat?.bot_member) return fail(LarkError.botNotInChat);
      return this.sendFromBot(chat, b, parent);
    });

    r('PATCH', new RegExp(`^/open-apis/im/v1/messages/${SEG}/?$`), (ctx) => {
      const b = isPlainObject(ctx.json) ? ctx.json : {};
      const msg = this.store.messages.get(ctx.params[0] ?? '');
      if (!msg || msg.deleted) return fail(LarkError.invalidParam, 'message not found');
      if (msg.msg_type !== 'interactive') return fail(LarkError.invalidParam, 'only interactive (card) messages can be patched');
      if (msg.sender.sender_type !== 'app' || msg.sender.id !== this.opts.appId) return fail(LarkError.noPermission, 'the message was not sent by this bot');
      if (msg.batch) return fail(LarkError.invalidParam, 'messages sent with batch_send cannot be updated');
      if (Date.now() - Number(msg.create_time) > PATCH_WINDOW_MS) return fail(LarkError.updateWindowPassed);
      const content = b['content'];
      if (typeof content !== 'string') return fail(LarkError.fieldValidation, 'content must be a JSON string');
      // A 2.0 card whose callback is still open is locked: Lark refuses the update (retry later).
      if ([...this.store.cardTokens.values()].some((t) => t.message_id === msg.message_id && !t.answered)) {
        return fail(LarkError.cardActionLocked, 'the card is being interacted with (its callback is still open)');
      }
      const p = checkCardContent(content);
      if (p) return this.refuseCard('message patch', p);
      // 5 QPS per message.
      const now = Date.now();
      const times = (this.patchTimes.get(msg.message_id) ?? []).filter((t) => now - t < 1000);
      if (times.length >= 5) return fail(LarkError.messageRateLimited);
      times.push(now);
      this.patchTimes.set(msg.message_id, times);
      this.store.updateContent(msg.message_id, content);
      return ok({});
    });

    r('GET', new RegExp(`^/open-apis/im/v1/messages/${SEG}/?$`), (ctx) => {
      const msg = this.store.messages.get(ctx.params[0] ?? '');
      if (!msg) return fail(LarkError.invalidParam, 'message not found');
      const chat = this.store.chats.get(msg.chat_id);
      if (!chat?.bot_member) return fail(LarkError.botNotInChat);
      return ok({ items: [this.messageView(msg, this.userIdType(ctx.query))] });
    });

    // ---- files
    r('POST', /^\/open-apis\/im\/v1\/files\/?$/, (ctx) => {
      if (!ctx.contentType.startsWith('multipart/form-data')) return fail(LarkError.fieldValidation, 'multipart/form-data expected');
      let parts: ReturnType<typeof parseMultipart>;
      try {
        parts = parseMultipart(ctx.raw, ctx.contentType);
      } catch (e) {
        return fail(LarkError.fieldValidation, (e as Error).message);
      }
      const field = (n: string): string | undefined => {
        const p = parts.find((x) => x.name === n);
        return p ? p.data.toString('utf8') : undefined;
      };
      const file = parts.find((x) => x.name === 'file');
      const fileType = field('file_type');
      const fileName = field('file_name') ?? file?.filename;
      if (!fileType || !FILE_TYPES.has(fileType)) return fail(LarkError.fieldValidation, 'file_type must be one of opus|mp4|pdf|doc|xls|ppt|stream');
      if (!fileName) return fail(LarkError.fieldValidation, 'file_name is required');
      if (!file || file.data.length === 0) return fail(LarkError.fieldValidation, 'file is required and must not be empty');
      if (file.data.length > FILE_MAX_BYTES) return fail(LarkError.fileTooLarge);
      const file_key = newFileKey();
      this.store.addFile({ file_key, file_name: fileName, file_type: fileType, size: file.data.length, bytes: file.data, created_at: Date.now() });
      return ok({ file_key });
    });

    // ---- bot info (the bot's own open_id; Lark answers it at the top level, not under data)
    r('GET', /^\/open-apis\/bot\/v3\/info\/?$/, () => ({
      status: 200,
      body: { code: 0, msg: 'ok', bot: { activate_status: 2, app_name: this.dir.org.app.name, avatar_url: '', ip_white_list: [], open_id: this.dir.org.app.open_id } },
    }));

    // ---- contact
    // Lists for person pickers (registered before users/:user_id, which would take the name as an id).
    r('GET', /^\/open-apis\/contact\/v3\/users\/find_by_department\/?$/, (ctx) => {
      const uType = this.userIdType(ctx.query);
      const dType = this.deptIdType(ctx.query);
      const id = ctx.query['department_id'];
      if (!id) return fail(LarkError.fieldValidation, 'department_id is required');
      const members = this.dir.directMembers(id, dType);
      if (!members) return fail(LarkError.departmentNotFound, undefined, 403);
      const page = pageOf(members, ctx.query['page_size'], ctx.query['page_token']);
      if ('error' in page) return fail(page.error === 'page_size' ? LarkError.pageSizeInvalid : LarkError.pageTokenInvalid);
      return ok({ ...page, items: page.items.map((u) => this.userView(u, uType, dType)) });
    });
    r('GET', new RegExp(`^/open-apis/contact/v3/departments/${SEG}/children/?$`), (ctx) => {
      const dType = this.deptIdType(ctx.query);
      const children = this.dir.childDepartments(ctx.params[0] ?? '', dType, ctx.query['fetch_child'] === 'true');
      if (!children) return fail(LarkError.departmentNotFound, undefined, 403);
      const page = pageOf(children, ctx.query['page_size'], ctx.query['page_token']);
      if ('error' in page) return fail(page.error === 'page_size' ? LarkError.pageSizeInvalid : LarkError.pageTokenInvalid);
      const items = page.items.map((d) => ({
        name: d.name,
        i18n_name: { zh_cn: d.name, ja_jp: '', en_us: d.en_name },
        parent_department_id: this.dir.convertDepartmentId(d.parent_department_id, dType),
        department_id: d.department_id,
        open_department_id: d.open_department_id,
        ...(d.leader_user_id ? { leader_user_id: this.dir.convertUserId(d.leader_user_id, this.userIdType(ctx.query)) } : {}),
        status: { is_deleted: false },
      }));
      return ok({ ...page, items });
    });
    r('GET', new RegExp(`^/open-apis/contact/v3/users/${SEG}/?$`), (ctx) => {
      const uType = this.userIdType(ctx.query);
      const u = this.dir.findUser(ctx.params[0] ?? '', uType);
      if (!u) return fail(LarkError.userNotFound);
      return ok({ user: this.userView(u, uType, this.deptIdType(ctx.query)) });
    });

    r('GET', new RegExp(`^/open-apis/contact/v3/departments/${SEG}/?$`), (ctx) => {
      const uType = this.userIdType(ctx.query);
      const dType = this.deptIdType(ctx.query);
      const d = this.dir.findDepartment(ctx.params[0] ?? '', dType);
      if (!d) return fail(LarkError.departmentNotFound);
      const members = this.dir.membersOfDepartment(d).length;
      const dept: Record<string, unknown> = {
        name: d.name,
        i18n_name: { zh_cn: d.name, ja_jp: '', en_us: d.en_name },
        parent_department_id: this.dir.convertDepartmentId(d.parent_department_id, dType),
        department_id: d.department_id,
        open_department_id: d.open_department_id,
        chat_id: '',
        order: '0',
        status: { is_deleted: false },
        member_count: members,
        primary_member_count: members,
      };
      if (d.leader_user_id) {
        dept['leader_user_id'] = this.dir.convertUserId(d.leader_user_id, uType);
        dept['leaders'] = [{ leaderType: 1, leaderID: this.dir.convertUserId(d.leader_user_id, uType) }];
      }
      return ok({ department: dept });
    });

    // ---- chats
    r('POST', /^\/open-apis\/im\/v1\/chats\/?$/, (ctx) => {
      const b = isPlainObject(ctx.json) ? ctx.json : {};
      const uType = this.userIdType(ctx.query);
      const ids = Array.isArray(b['user_id_list']) ? b['user_id_list'].filter((x): x is string => typeof x === 'string') : [];
      const members: string[] = [];
      for (const id of ids) {
        const u = this.dir.findUser(id, uType);
        if (!u) return fail(LarkError.noAvailability, `(${uType} ${id})`);
        members.push(u.open_id);
      }
      const ownerRaw = str(b['owner_id']);
      const owner = ownerRaw ? this.dir.findUser(ownerRaw, uType)?.open_id : undefined;
      if (owner && !members.includes(owner)) members.push(owner);
      const name = str(b['name']) ?? '';
      const i18n = isPlainObject(b['i18n_names']) ? b['i18n_names'] : {};
      const input: Parameters<Store['createGroup']>[0] = { name, owner_id: owner ?? this.dir.org.app.open_id, members };
      const en = str(i18n['en_us']);
      if (en !== undefined) input.en_name = en;
      const desc = str(b['description']);
      if (desc !== undefined) input.description = desc;
      const chat = this.store.createGroup(input);
      return ok(this.chatView(chat, uType, true));
    });

    r('GET', new RegExp(`^/open-apis/im/v1/chats/${SEG}/?$`), (ctx) => {
      const chat = this.store.chats.get(ctx.params[0] ?? '');
      if (!chat?.bot_member) return fail(LarkError.botNotInChat);
      return ok(this.chatView(chat, this.userIdType(ctx.query), false));
    });

    r('GET', new RegExp(`^/open-apis/im/v1/chats/${SEG}/members/?$`), (ctx) => {
      const chat = this.store.chats.get(ctx.params[0] ?? '');
      if (!chat?.bot_member) return fail(LarkError.botNotInChat);
      const t = ctx.query['member_id_type'] === 'user_id' || ctx.query['member_id_type'] === 'union_id' ? (ctx.query['member_id_type'] as UserIdType) : 'open_id';
      const items = chat.members.map((id) => ({
        member_id_type: t,
        member_id: this.dir.convertUserId(id, t),
        name: this.dir.userByOpenId(id)?.name ?? '',
        tenant_key: this.dir.tenantKey,
      }));
      return ok({ items, page_token: '', has_more: false, member_total: items.length });
    });

    // ---- calendar
    r('POST', /^\/open-apis\/calendar\/v4\/calendars\/primary\/?$/, () =>
      ok({
        calendars: [
          {
            calendar: {
              calendar_id: this.primaryCalendarId,
              summary: this.dir.org.app.name,
              description: '',
              permissions: 'private',
              color: -1,
              type: 'primary',
              summary_alias: '',
              is_deleted: false,
              is_third_party: false,
              role: 'owner',
            },
            user_id: this.dir.org.app.open_id,
          },
        ],
      }),
    );

    r('POST', new RegExp(`^/open-apis/calendar/v4/calendars/${SEG}/events/?$`), (ctx) => {
      const calendarId = ctx.params[0] ?? '';
      if (calendarId !== this.primaryCalendarId) return fail(LarkError.calendarNotFound);
      const b = isPlainObject(ctx.json) ? ctx.json : {};
      const idem = ctx.query['idempotency_key'];
      if (idem) {
        const prev = this.calendarIdempotency.get(idem);
        const rec = prev ? this.calendarEvents.get(prev) : undefined;
        if (rec) return ok({ event: rec.event });
      }
      const validTime = (t: unknown): boolean => isPlainObject(t) && (typeof t['timestamp'] === 'string' || typeof t['date'] === 'string');
      if (!validTime(b['start_time']) || !validTime(b['end_time'])) return fail(LarkError.fieldValidation, 'start_time and end_time need timestamp or date');
      const event_id = newCalendarEventId();
      const event: Record<string, unknown> = {
        event_id,
        organizer_calendar_id: calendarId,
        summary: str(b['summary']) ?? '',
        description: str(b['description']) ?? '',
        start_time: b['start_time'],
        end_time: b['end_time'],
        visibility: str(b['visibility']) ?? 'default',
        attendee_ability: str(b['attendee_ability']) ?? 'none',
        free_busy_status: str(b['free_busy_status']) ?? 'busy',
        color: typeof b['color'] === 'number' ? b['color'] : 0,
        reminders: Array.isArray(b['reminders']) ? b['reminders'] : [],
        status: 'confirmed',
        is_exception: false,
        recurring_event_id: '',
        create_time: String(Math.floor(Date.now() / 1000)),
        app_link: `https://applink.feishu.cn/client/calendar/event/detail?calendarId=${encodeURIComponent(calendarId)}&key=${event_id}`,
      };
      for (const k of ['location', 'vchat', 'recurrence', 'schemas', 'attachments']) if (b[k] !== undefined) event[k] = b[k];
      this.calendarEvents.set(event_id, { calendar_id: calendarId, event, attendees: [] });
      if (idem) this.calendarIdempotency.set(idem, event_id);
      return ok({ event });
    });

    // calendar-event/patch: the fields given replace the event's; answers {event}.
    r('PATCH', new RegExp(`^/open-apis/calendar/v4/calendars/${SEG}/events/${SEG}/?$`), (ctx) => {
      const rec = this.calendarEvents.get(ctx.params[1] ?? '');
      if (!rec || rec.deleted || rec.calendar_id !== ctx.params[0]) return fail(LarkError.calendarEventNotFound);
      const b = isPlainObject(ctx.json) ? ctx.json : {};
      const validTime = (t: unknown): boolean => isPlainObject(t) && (typeof t['timestamp'] === 'string' || typeof t['date'] === 'string');
      for (const k of ['start_time', 'end_time']) if (b[k] !== undefined && !validTime(b[k])) return fail(LarkError.fieldValidation, `${k} needs timestamp or date`);
      for (const k of [
        'summary',
        'description',
        'start_time',
        'end_time',
        'visibility',
        'attendee_ability',
        'free_busy_status',
        'location',
        'color',
        'reminders',
        'vchat',
        'recurrence',
        'schemas',
        'attachments',
      ])
        if (b[k] !== undefined) rec.event[k] = b[k];
      return ok({ event: rec.event });
    });

    // calendar-event/delete (`need_notification` query): answers an empty data.
    r('DELETE', new RegExp(`^/open-apis/calendar/v4/calendars/${SEG}/events/${SEG}/?$`), (ctx) => {
      const rec = this.calendarEvents.get(ctx.params[1] ?? '');
      if (!rec || rec.deleted || rec.calendar_id !== ctx.params[0]) return fail(LarkError.calendarEventNotFound);
      rec.deleted = true;
      rec.event['status'] = 'cancelled';
      return ok({});
    });

    r('POST', new RegExp(`^/open-apis/calendar/v4/calendars/${SEG}/events/${SEG}/attendees/?$`), (ctx) => {
      const rec = this.calendarEvents.get(ctx.params[1] ?? '');
      if (!rec || rec.deleted || rec.calendar_id !== ctx.params[0]) return fail(LarkError.calendarEventNotFound);
      const b = isPlainObject(ctx.json) ? ctx.json : {};
      const uType = this.userIdType(ctx.query);
      const list = Array.isArray(b['attendees']) ? b['attendees'] : [];
      const added: Record<string, unknown>[] = [];
      for (const a of list) {
        if (!isPlainObject(a)) continue;
        const type = str(a['type']) ?? 'user';
        const att: Record<string, unknown> = {
          type,
          attendee_id: `user_${hex(20)}`,
          rsvp_status: 'needs_action',
          is_optional: a['is_optional'] === true,
          is_organizer: false,
          is_external: false,
        };
        if (type === 'user') {
          const u = this.dir.findUser(str(a['user_id']) ?? '', uType);
          if (!u) return fail(LarkError.fieldValidation, `unknown attendee user_id ${String(a['user_id'])}`);
          att['user_id'] = this.dir.convertUserId(u.open_id, uType);
          att['display_name'] = u.name;
        } else if (type === 'chat') {
          att['chat_id'] = a['chat_id'];
          att['display_name'] = this.store.chats.get(str(a['chat_id']) ?? '')?.name ?? '';
        } else if (type === 'third_party') {
          att['third_party_email'] = a['third_party_email'];
        } else if (type === 'resource') {
          att['room_id'] = a['room_id'];
        }
        rec.attendees.push(att);
        added.push(att);
      }
      return ok({ attendees: added });
    });

    // ---- delayed card update
    r('POST', /^\/open-apis\/interactive\/v1\/card\/update\/?$/, (ctx) => {
      const b = isPlainObject(ctx.json) ? ctx.json : {};
      const token = str(b['token']);
      const rec = token ? this.store.cardTokens.get(token) : undefined;
      if (!rec || Date.now() - rec.created_at > CARD_TOKEN_TTL_MS) return fail(LarkError.cardTokenInvalid);
      if (!rec.answered) return fail(LarkError.cardTokenTooEarly);
      if (rec.uses >= 2) return fail(LarkError.cardTokenExhausted);
      const card = b['card'];
      if (!isPlainObject(card)) return fail(LarkError.fieldValidation, 'card must be an object');
      const { open_ids: openIds, ...rest } = card;
      if (rest['schema'] !== '2.0' && !Array.isArray(openIds)) return fail(LarkError.cardOpenIdsMissing);
      const content = JSON.stringify(rest);
      const p = checkCardContent(content) ?? checkCardObject(rest);
      if (p) return this.refuseCard('delayed card update', p);
      const msg = this.store.messages.get(rec.message_id);
      if (!msg) return fail(LarkError.invalidParam, 'message not found');
      rec.uses += 1;
      this.store.updateContent(msg.message_id, content);
      return { status: 200, body: { code: 0, msg: 'success', data: {} } };
    });

    // ---- legacy batch send
    r('POST', /^\/open-apis\/message\/v4\/batch_send\/?$/, (ctx) => {
      const b = isPlainObject(ctx.json) ? ctx.json : {};
      const msgType = str(b['msg_type']);
      if (!msgType || !['text', 'image', 'post', 'share_chat', 'interactive'].includes(msgType)) {
        return fail(LarkError.invalidParam, `invalid msg_type: ${JSON.stringify(b['msg_type'])}`);
      }
      let content: string;
      if (msgType === 'interactive') {
        if (!isPlainObject(b['card'])) return fail(LarkError.fieldValidation, 'card is required for interactive batch messages');
        content = JSON.stringify(b['card']);
        const p = checkCardContent(content);
        if (p) return this.refuseCard('batch send', p);
      } else {
        if (!isPlainObject(b['content'])) return fail(LarkError.fieldValidation, 'content must be an object');
        const c = b['content'];
        content = JSON.stringify(msgType === 'post' && isPlainObject(c['post']) ? c['post'] : c);
        const err = this.validateContent(msgType, content);
        if (err) return err;
      }
      const list = (k: string): string[] => (Array.isArray(b[k]) ? (b[k] as unknown[]).filter((x): x is string => typeof x === 'string') : []);
      const recipients = new Set<string>();
      const invalid: Record<string, string[]> = { invalid_open_ids: [], invalid_user_ids: [], invalid_union_ids: [], invalid_department_ids: [] };
      const addUsers = (key: string, type: UserIdType, ids: string[]): void => {
        for (const id of ids) {
          const u = this.dir.findUser(id, type);
          if (u) recipients.add(u.open_id);
          else invalid[key]?.push(id);
        }
      };
      addUsers('invalid_open_ids', 'open_id', list('open_ids'));
      addUsers('invalid_user_ids', 'user_id', list('user_ids'));
      addUsers('invalid_union_ids', 'union_id', list('union_ids'));
      for (const id of list('department_ids')) {
        const d = this.dir.departmentByAnyId(id);
        if (!d) invalid['invalid_department_ids']?.push(id);
        else for (const u of this.dir.membersOfDepartment(d)) recipients.add(u.open_id);
      }
      const batchId = newBatchMessageId();
      for (const openId of recipients) {
        const chat = this.store.ensureP2p(openId).chat;
        this.store.addMessage({ chat_id: chat.chat_id, msg_type: msgType, content, sender: this.botSender(), batch_id: batchId });
      }
      return ok({ message_id: batchId, ...invalid });
    });
  }

  chatView(chat: StoredChat, uType: UserIdType, withId: boolean): Record<string, unknown> {
    const v: Record<string, unknown> = {};
    if (withId) v['chat_id'] = chat.chat_id;
    Object.assign(v, {
      avatar: '',
      name: chat.name,
      description: chat.description ?? '',
      i18n_names: { zh_cn: chat.name, en_us: chat.en_name ?? '', ja_jp: '' },
      owner_id: chat.owner_id === this.dir.org.app.open_id ? this.opts.appId : this.dir.convertUserId(chat.owner_id, uType),
      owner_id_type: chat.owner_id === this.dir.org.app.open_id ? 'app_id' : uType,
      chat_mode: chat.chat_type === 'p2p' ? 'p2p' : 'group',
      chat_type: 'private',
      chat_tag: 'inner',
      external: false,
      tenant_key: this.dir.tenantKey,
      user_count: String(chat.members.length),
      bot_count: chat.bot_member ? '1' : '0',
    });
    return v;
  }

  /** Creates a bot message (send or reply), honouring uuid de-duplication unless it is switched off. */
  private sendFromBot(chat: StoredChat, b: Record<string, unknown>, parent: StoredMessage | undefined): ApiResult {
    const uuid = str(b['uuid']);
    if (uuid !== undefined && uuid.length > 50) return fail(LarkError.fieldValidation, 'uuid must be at most 50 characters');
    if (uuid && this.dedupeUuid) {
      const prev = this.store.findByUuid(uuid);
      if (prev) return ok(this.messageView(prev));
    }
    const err = this.validateContent(b['msg_type'], b['content']);
    if (err) return err;
    const input: Parameters<Store['addMessage']>[0] = {
      chat_id: chat.chat_id,
      msg_type: b['msg_type'] as string,
      content: b['content'] as string,
      sender: this.botSender(),
      thread: b['reply_in_thread'] === true,
    };
    if (parent) input.parent = parent;
    if (uuid) input.uuid = uuid;
    const msg = this.store.addMessage(input);
    return ok(this.messageView(msg));
  }
}

function summarizeMultipart(raw: Buffer, contentType: string): unknown {
  try {
    const out: Record<string, unknown> = {};
    for (const p of parseMultipart(raw, contentType)) {
      out[p.name] = p.filename !== undefined || p.name === 'file' ? { size: p.data.length, filename: p.filename, content_type: p.contentType } : p.data.toString('utf8');
    }
    return out;
  } catch (e) {
    return { error: (e as Error).message };
  }
}
