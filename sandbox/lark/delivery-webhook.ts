/**
 * Webhook delivery: POSTs events and card callbacks to the bot's URL the way Lark does — optional
 * AES encryption (`{"encrypt": …}`) and the `X-Lark-Request-Timestamp` / `-Nonce` / `-Signature`
 * headers when an Encrypt Key is configured.
 */
import http from 'node:http';
import { encryptPayload, signBody } from './crypto.js';
import { parseMaybeJson, type DeliveryResult } from './delivery.js';
import { newNonce } from './ids.js';

export interface WebhookSendOptions {
  /** Unix seconds as a string; default now. */
  timestamp?: string;
  nonce?: string;
  /** Override the signature header value (forgeries). */
  signature?: string;
  /** Encrypt the body (default: when an encrypt key is configured). */
  encrypt?: boolean;
  /** Add the signature headers (default: when an encrypt key is configured). */
  sign?: boolean;
  /** Extra / overriding headers. */
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export class WebhookDelivery {
  constructor(
    readonly url: string,
    private readonly encryptKey: string | undefined,
  ) {}

  /** Serialises (and encrypts) `payload` exactly as Lark does and POSTs it. */
  async send(payload: unknown, opts: WebhookSendOptions = {}): Promise<DeliveryResult> {
    const key = this.encryptKey;
    const doEncrypt = opts.encrypt ?? key !== undefined;
    if (doEncrypt && !key) throw new Error('cannot encrypt: no encryptKey configured');
    const plaintext = typeof payload === 'string' ? payload : JSON.stringify(payload);
    const body = doEncrypt && key ? JSON.stringify({ encrypt: encryptPayload(key, plaintext) }) : plaintext;
    const timestamp = opts.timestamp ?? String(Math.floor(Date.now() / 1000));
    const nonce = opts.nonce ?? newNonce();
    const headers: Record<string, string> = { 'Content-Type': 'application/json; charset=utf-8' };
    const doSign = opts.sign ?? key !== undefined;
    if (doSign || opts.signature !== undefined) {
      headers['X-Lark-Request-Timestamp'] = timestamp;
      headers['X-Lark-Request-Nonce'] = nonce;
      headers['X-Lark-Signature'] = opts.signature ?? signBody(timestamp, nonce, key ?? '', body);
    }
    Object.assign(headers, opts.headers ?? {});
    return this.post(body, headers, opts.timeoutMs ?? 3000);
  }

  private post(body: string, headers: Record<string, string>, timeoutMs: number): Promise<DeliveryResult> {
    const started = Date.now();
    return new Promise((resolve) => {
      let done = false;
      const finish = (r: Omit<DeliveryResult, 'mode' | 'durationMs'>): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve({ mode: 'webhook', durationMs: Date.now() - started, ...r });
      };
      let req: http.ClientRequest;
      try {
        req = http.request(this.url, {
          method: 'POST',
          headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) },
          agent: false,
        });
      } catch (e) {
        resolve({ mode: 'webhook', status: 0, body: '', error: (e as Error).message, durationMs: 0 });
        return;
      }
      const timer = setTimeout(() => {
        finish({ status: 0, body: '', error: `timeout after ${timeoutMs} ms` });
        req.destroy();
      }, timeoutMs);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const json = parseMaybeJson(text);
          finish({ status: res.statusCode ?? 0, body: text, ...(json !== undefined ? { json } : {}) });
        });
        res.on('error', (e) => finish({ status: res.statusCode ?? 0, body: '', error: e.message }));
      });
      req.on('error', (e) => finish({ status: 0, body: '', error: e.message }));
      req.end(body);
    });
  }
}
