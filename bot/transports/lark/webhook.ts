import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../core/logger.js';
import type { Metrics } from '../../core/metrics.js';
import { decryptEnvelope, safeEqualHex, verifySignature } from './crypto.js';
import { intake, RedeliveryNeeded, type IntakeDeps } from './intake.js';

export const EVENTS_PATH = '/lark/events';
const MAX_BODY = 1024 * 1024;
const MAX_SKEW_S = 300;

export interface WebhookOptions extends IntakeDeps {
  encryptKey?: string;
  verificationToken?: string;
  logger: Logger;
  metrics: Metrics;
  /** Seconds since epoch; injectable for tests. */
  nowSeconds?: () => number;
}

/**
 * Remembers the nonces of accepted requests for the freshness window, so a captured request cannot
 * be replayed. A nonce is recorded only once its request was accepted (answered 200): a request
 * answered 503 (redeliver) or 500 leaves nothing behind, so Lark's resend of that very request is
 * accepted. While a request is being handled its nonce is reserved, so a copy sent meanwhile is
 * refused as well.
 */
export class NonceCache {
  private readonly seen = new Map<string, number>();
  private readonly inFlight = new Set<string>();
  constructor(private readonly windowSeconds = MAX_SKEW_S * 2) {}
  /** True when the nonce is neither recorded within the window nor in flight; it is then in flight. */
  reserve(nonce: string, now: number): boolean {
    if (this.seen.size > 10_000) this.prune(now);
    const until = this.seen.get(nonce);
    if ((until !== undefined && until > now) || this.inFlight.has(nonce)) return false;
    this.inFlight.add(nonce);
    return true;
  }
  /** The request was accepted: its nonce is refused for the rest of the window. */
  accept(nonce: string, now: number): void {
    this.inFlight.delete(nonce);
    this.seen.set(nonce, now + this.windowSeconds);
  }
  /** The request was not accepted (503, 500): the same request may come again. */
  forget(nonce: string): void {
    this.inFlight.delete(nonce);
  }
  private prune(now: number): void {
    for (const [k, until] of this.seen) if (until <= now) this.seen.delete(k);
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/**
 * `POST /lark/events`: events and card callbacks. Unlike the SDK's adapters it answers 401 on a
 * missing or wrong signature, a stale timestamp, a replayed nonce or a wrong verification token,
 * and records nothing; every accepted request is answered before Lark's 3 s deadline. A request
 * answered 503 (the event must be delivered again) or 500 does not record its nonce.
 */
export function createEventsHandler(opts: WebhookOptions) {
  const nonces = new NonceCache();
  const now = opts.nowSeconds ?? (() => Math.floor(Date.now() / 1000));

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    /** This request's nonce while it is reserved: recorded if accepted, forgotten otherwise. */
    let nonce: string | undefined;
    try {
      const raw = await readBody(req);
      let outer: unknown;
      try {
        outer = JSON.parse(raw);
      } catch {
        throw new Refusal(400, 'body is not JSON');
      }
      if (!isObj(outer)) throw new Refusal(400, 'body is not a JSON object');

      let body: Obj = outer;
      if (typeof outer.encrypt === 'string') {
        if (!opts.encryptKey) throw new Refusal(400, 'encrypted body but no LARK_ENCRYPT_KEY configured');
        let plain: string;
        try {
          plain = decryptEnvelope(opts.encryptKey, outer.encrypt);
          const inner: unknown = JSON.parse(plain);
          if (!isObj(inner)) throw new Error('not an object');
          body = inner;
        } catch {
          throw new Refusal(400, 'cannot decrypt the body');
        }
      } else if (opts.encryptKey && outer.type !== 'url_verification') {
        // With an Encrypt Key configured Lark always encrypts; a plaintext body is not from Lark.
        throw new Refusal(401, 'plaintext body while an encrypt key is configured');
      }

      // The URL check carries no signature; decrypting it proves the sender holds our key.
      if (body.type === 'url_verification') {
        checkToken(body.token, opts.verificationToken);
        if (opts.encryptKey && typeof outer.encrypt !== 'string') throw new Refusal(401, 'url_verification must be encrypted');
        return sendJson(res, 200, { challenge: body.challenge });
      }

      if (opts.encryptKey) {
        const headers = {
          timestamp: header(req, 'x-lark-request-timestamp'),
          nonce: header(req, 'x-lark-request-nonce'),
          signature: header(req, 'x-lark-signature'),
        };
        if (!verifySignature(headers, opts.encryptKey, raw, outer)) throw new Refusal(401, 'bad or missing signature');
        const ts = Number(headers.timestamp);
        if (!Number.isFinite(ts) || Math.abs(now() - ts) > MAX_SKEW_S) throw new Refusal(401, 'stale or future timestamp');
        checkToken(isObj(body.header) ? body.header.token : body.token, opts.verificationToken);
        // Reserved last, so a refused request leaves nothing behind; recorded only when accepted.
        if (!nonces.reserve(headers.nonce!, now())) throw new Refusal(401, 'nonce already seen');
        nonce = headers.nonce!;
      } else {
        checkToken(isObj(body.header) ? body.header.token : body.token, opts.verificationToken);
      }

      const answer = await intake(opts, body, 'webhook');
      if (nonce !== undefined) nonces.accept(nonce, now());
      nonce = undefined;
      sendJson(res, 200, answer);
    } catch (err) {
      // Not accepted: Lark's resend of this very request (same nonce and signature) must get in.
      if (nonce !== undefined) nonces.forget(nonce);
      if (err instanceof RedeliveryNeeded) {
        opts.metrics.requestsRejected.inc({ reason: 'redelivery requested' });
        return sendJson(res, 503, { code: 503, msg: 'temporarily unavailable; deliver again' });
      }
      if (err instanceof Refusal) {
        opts.metrics.requestsRejected.inc({ reason: err.reason });
        opts.logger.warn('webhook request refused', { status: err.status, reason: err.reason });
        return sendJson(res, err.status, { code: err.status, msg: err.reason });
      }
      opts.logger.error('webhook handler failed', { err });
      if (!res.headersSent) sendJson(res, 500, { code: 500, msg: 'internal error' });
    }
  };
}

function checkToken(token: unknown, expected: string | undefined): void {
  if (!expected) return;
  if (typeof token !== 'string' || !safeEqualHex(token, expected)) throw new Refusal(401, 'verification token mismatch');
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function readBody(req: IncomingMessage, limit = MAX_BODY): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new Refusal(413, 'body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
