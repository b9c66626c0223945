import type { Logger } from '../../core/logger.js';
import type { Metrics } from '../../core/metrics.js';
import type { CardJson, OutMessage, Recipient, Sender } from '../../core/types.js';
import type { LarkClientBundle } from './client.js';

const TOKEN_INVALID = new Set([99991663, 99991661, 99991668, 99991664]);
const RATE_LIMITED = new Set([99991400, 230020]);
/**
 * Lark's final word on a call: trying again later cannot help, so the effect becomes a dead letter
 * at once (open.feishu.cn server-docs/im-v1/message/create and message-card/patch, error tables).
 * Any other refusal is retried with back-off by the effect runner until it runs out of attempts.
 */
const PERMANENT = new Set([
  230001, // invalid request parameter (the message itself is wrong)
  230002, // the bot is not in the chat
  230013, // the user is outside the app's availability
  230025, // content too long (card > 30 KB)
  230027, // no permission for this operation
  230031, // the message is older than the 14-day update window
  230053, // the user stopped the bot
  99992402, // field validation failed
]);
/**
 * A JSON 2.0 card being interacted with (its callback still open) refuses updates: 11310 "card
 * action is lock" (also seen as 230099 with that message). The lock ends when the callback is
 * answered (≤ 3 s), so it is retried — in this call after a pause, then by the effect runner.
 */
const CARD_LOCKED = 11310;
const LOCK_WAIT_MS = 1000;
export function isCardLocked(code: number, msg: string): boolean {
  return code === CARD_LOCKED || (code === 230099 && /card action is lock/i.test(msg));
}

/**
 * A Lark Open API failure with its code. `permanent`: Lark refused the call itself (e.g. 230013 the
 * user is outside the app's availability, 230002 the bot is not in the chat, 230053 the user
 * blocked the bot), so trying again later cannot help; otherwise it was a rate limit, a server or
 * network failure that outlasted the call's own retries.
 */
export class LarkApiError extends Error {
  permanent = false;
  constructor(
    readonly op: string,
    readonly code: number,
    readonly httpStatus: number | undefined,
    msg: string,
  ) {
    super(`${op} failed: code ${code}${httpStatus ? ` (HTTP ${httpStatus})` : ''}: ${msg}`);
    this.name = 'LarkApiError';
  }
}

export interface SenderOptions {
  logger: Logger;
  metrics: Metrics;
  /** Attempts per call including the first (default 4). */
  attempts?: number;
  /** Base back-off in ms (default 200), doubled per attempt. */
  backoffMs?: number;
  /** Longest wait honoured from x-ogw-ratelimit-reset, in seconds (default 10). */
  maxResetSeconds?: number;
  sleep?: (ms: number) => Promise<void>;
}

type Outcome<T> = { kind: 'ok'; value: T } | { kind: 'token' | 'retry'; waitMs?: number; error: LarkApiError } | { kind: 'fail'; error: LarkApiError };

interface LarkBody {
  code?: number;
  msg?: string;
  data?: Record<string, unknown>;
  [k: string]: unknown;
}

/** Rate-limited, retrying Open API calls through the official SDK client. */
export class LarkSender implements Sender {
  private readonly attempts: number;
  private readonly backoffMs: number;
  private readonly maxReset: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly lark: LarkClientBundle,
    private readonly opts: SenderOptions,
  ) {
    this.attempts = opts.attempts ?? 4;
    this.backoffMs = opts.backoffMs ?? 200;
    this.maxReset = opts.maxResetSeconds ?? 10;
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  get client() {
    return this.lark.client;
  }

  async send(to: Recipient, message: OutMessage, opts: { uuid: string }): Promise<{ messageId: string }> {
    const [receive_id_type, receive_id] = 'openId' in to ? (['open_id', to.openId] as const) : (['chat_id', to.chatId] as const);
    const body = await this.call('im.message.create', () =>
      this.lark.client.im.v1.message.create({
        params: { receive_id_type },
        data: { receive_id, ...toLark(message), uuid: opts.uuid },
      }),
    );
    return { messageId: String(body.data?.message_id ?? '') };
  }

  async reply(messageId: string, message: OutMessage, opts: { uuid: string }): Promise<{ messageId: string }> {
    const body = await this.call('im.message.reply', () =>
      this.lark.client.im.v1.message.reply({ path: { message_id: messageId }, data: { ...toLark(message), uuid: opts.uuid } }),
    );
    return { messageId: String(body.data?.message_id ?? '') };
  }

  async patchCard(messageId: string, card: CardJson): Promise<void> {
    await this.call('im.message.patch', () => this.lark.client.im.v1.message.patch({ path: { message_id: messageId }, data: { content: JSON.stringify(card) } }));
  }

  async uploadFile(name: string, data: Buffer, fileType = 'stream'): Promise<{ fileKey: string }> {
    const body = await this.call('im.file.create', async () => {
      const r = (await this.lark.client.im.v1.file.create({
        data: { file_type: fileType as 'stream', file_name: name, file: data },
      })) as LarkBody | { file_key?: string } | null;
      // The SDK unwraps this one call's data; normalise to the usual envelope.
      return r && 'file_key' in r ? { code: 0, data: { file_key: r.file_key } } : r;
    });
    return { fileKey: String(body.data?.file_key ?? '') };
  }

  /** Runs one API call with token refresh, 429/5xx back-off and a bounded number of attempts. */
  async call(op: string, fn: () => Promise<unknown>): Promise<LarkBody> {
    let tokenRefreshed = false;
    let last: LarkApiError | undefined;
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      const started = performance.now();
      const outcome = await this.once(op, fn);
      this.opts.metrics.sendLatency.observe((performance.now() - started) / 1000, { op });
      if (outcome.kind === 'ok') {
        this.opts.metrics.sends.inc({ op, result: 'ok' });
        return outcome.value;
      }
      last = outcome.error;
      if (outcome.kind === 'fail') {
        last.permanent = PERMANENT.has(last.code);
        break;
      }
      if (outcome.kind === 'token') {
        if (tokenRefreshed) break;
        tokenRefreshed = true;
        this.lark.cache.clear();
        this.opts.logger.warn('tenant token rejected; refreshed and retrying', { op, code: outcome.error.code });
        continue;
      }
      if (attempt < this.attempts) {
        const wait = outcome.waitMs ?? this.backoffMs * 2 ** (attempt - 1) * (0.75 + Math.random() / 2);
        this.opts.logger.warn('Open API call will be retried', { op, code: outcome.error.code, status: outcome.error.httpStatus, waitMs: Math.round(wait) });
        await this.sleep(wait);
      }
    }
    this.opts.metrics.sends.inc({ op, result: 'error' });
    throw last ?? new LarkApiError(op, -1, undefined, 'unknown failure');
  }

  private async once(op: string, fn: () => Promise<unknown>): Promise<Outcome<LarkBody>> {
    try {
      const body = ((await fn()) ?? {}) as LarkBody;
      const code = typeof body.code === 'number' ? body.code : 0;
      if (code === 0) return { kind: 'ok', value: body };
      return this.classify(op, code, undefined, body.msg ?? '', undefined);
    } catch (err) {
      const e = err as { response?: { status?: number; data?: LarkBody; headers?: Record<string, unknown> }; code?: string; message?: string };
      if (e.response) {
        const data = e.response.data ?? {};
        const reset = Number(e.response.headers?.['x-ogw-ratelimit-reset']);
        return this.classify(
          op,
          typeof data.code === 'number' ? data.code : (e.response.status ?? -1),
          e.response.status,
          data.msg ?? e.message ?? '',
          Number.isFinite(reset) ? reset : undefined,
        );
      }
      // No response: connection refused/reset or our timeout. Safe to retry: sends carry a uuid.
      return { kind: 'retry', error: new LarkApiError(op, -1, undefined, e.code ?? e.message ?? 'network error') };
    }
  }

  private classify(op: string, code: number, status: number | undefined, msg: string, resetSeconds: number | undefined): Outcome<LarkBody> {
    const error = new LarkApiError(op, code, status, msg);
    if (TOKEN_INVALID.has(code)) return { kind: 'token', error };
    if (isCardLocked(code, msg)) return { kind: 'retry', error, waitMs: LOCK_WAIT_MS };
    if (status === 429 || RATE_LIMITED.has(code)) {
      const waitMs = resetSeconds !== undefined ? Math.min(resetSeconds, this.maxReset) * 1000 : undefined;
      return { kind: 'retry', error, waitMs };
    }
    if (status !== undefined && status >= 500) return { kind: 'retry', error };
    return { kind: 'fail', error };
  }
}

function toLark(message: OutMessage): { msg_type: string; content: string } {
  switch (message.type) {
    case 'text':
      return { msg_type: 'text', content: JSON.stringify({ text: message.text }) };
    case 'card':
      return { msg_type: 'interactive', content: JSON.stringify(message.card) };
    case 'file':
      return { msg_type: 'file', content: JSON.stringify({ file_key: message.fileKey }) };
  }
}
