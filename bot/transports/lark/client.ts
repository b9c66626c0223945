import * as lark from '@larksuiteoapi/node-sdk';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import axios from 'axios';
import type { LarkConfig } from '../../core/config.js';
import type { Logger } from '../../core/logger.js';
import { createHttpInstance } from './http.js';

/** A per-client token cache (the SDK's default is process-wide) that we can clear on 99991663. */
export class TokenCache {
  private readonly values = new Map<string, { value: unknown; expiredTime?: number }>();
  // biome-ignore lint/complexity/noBannedTypes: the SDK's Cache interface takes `Symbol`
  async set(key: string | Symbol, value: unknown, expiredTime?: number, options?: { namespace?: string }): Promise<boolean> {
    this.values.set(this.key(key, options?.namespace), { value, expiredTime });
    return true;
  }
  // biome-ignore lint/complexity/noBannedTypes: the SDK's Cache interface takes `Symbol`
  async get(key: string | Symbol, options?: { namespace?: string }): Promise<unknown> {
    const hit = this.values.get(this.key(key, options?.namespace));
    if (!hit) return undefined;
    if (hit.expiredTime && hit.expiredTime <= Date.now()) return undefined;
    return hit.value;
  }
  clear(): void {
    this.values.clear();
  }
  get size(): number {
    return this.values.size;
  }
  // biome-ignore lint/complexity/noBannedTypes: the SDK's Cache interface takes `Symbol`
  private key(key: string | Symbol, namespace?: string): string {
    return `${namespace ?? ''}/${key.toString()}`;
  }
}

export function resolveDomain(domain: string): string | lark.Domain {
  if (domain === 'feishu') return lark.Domain.Feishu;
  if (domain === 'lark') return lark.Domain.Lark;
  return domain;
}

function isLoopback(domain: string): boolean {
  try {
    const host = new URL(domain).hostname;
    return host === 'localhost' || host === '::1' || host === '[::1]' || host.startsWith('127.');
  } catch {
    return false;
  }
}

/**
 * The SDK client with what its defaults lack: a request timeout, no proxy (node:http ignores
 * HTTP_PROXY; the axios fallback is told so for loopback), keep-alive connections, and a token
 * cache of its own.
 */
export function createLarkClient(cfg: Pick<LarkConfig, 'appId' | 'appSecret' | 'domain'>, opts: { timeoutMs?: number; logger?: Logger } = {}) {
  const http = axios.create({
    timeout: opts.timeoutMs ?? 10_000,
    // The Open API never redirects; without follow-redirects axios uses node:http directly.
    maxRedirects: 0,
    // Reuse connections: a new TCP (and TLS) handshake per call would dominate a send.
    httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 64 }),
    httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 64 }),
    ...(isLoopback(cfg.domain) ? { proxy: false as const } : {}),
  });
  // Same contract as the SDK's default instance: resolve with the body (or body + headers).
  http.interceptors.response.use((resp) => ((resp.config as { $return_headers?: boolean }).$return_headers ? { data: resp.data, headers: resp.headers } : resp.data));
  const cache = new TokenCache();
  const lean = createHttpInstance({ timeoutMs: opts.timeoutMs ?? 10_000, fallback: http, loopback: isLoopback(cfg.domain) });
  const client = new lark.Client({
    appId: cfg.appId,
    appSecret: cfg.appSecret,
    domain: resolveDomain(cfg.domain),
    cache,
    httpInstance: lean as unknown as lark.HttpInstance,
    loggerLevel: lark.LoggerLevel.error,
    logger: sdkLogger(opts.logger, { errorsAreHandled: true }),
  });
  return { client, cache, http };
}

export type LarkClientBundle = ReturnType<typeof createLarkClient>;

/**
 * The SDK logs whole axios errors (request config with the Authorization header included):
 * keep only what is safe and useful — message, HTTP status, Lark code — and route it through ours.
 */
export function sdkLogger(logger?: Logger, opts: { errorsAreHandled?: boolean } = {}) {
  const one = (a: unknown): string => {
    if (Array.isArray(a)) return a.map(one).join(' ');
    if (a && typeof a === 'object') {
      const e = a as { message?: string; config?: { url?: string; method?: string }; response?: { status?: number; data?: { code?: number; msg?: string } } };
      if (e.response || e.message) {
        const where = e.config?.url ? ` ${e.config.method?.toUpperCase() ?? ''} ${e.config.url.split('?')[0]}` : '';
        const code = e.response?.data?.code !== undefined ? ` code ${e.response.data.code}: ${e.response.data.msg ?? ''}` : '';
        return `${e.message ?? 'error'}${where}${code}`;
      }
      return JSON.stringify(a, (k, v: unknown) => (/token|secret|authorization|key/i.test(k) ? '[redacted]' : v))?.slice(0, 500) ?? '';
    }
    return String(a);
  };
  const summarise = (args: unknown[]): string => args.map(one).join(' ');
  const to =
    (level: 'debug' | 'warn' | 'error') =>
    (...args: unknown[]) =>
      logger?.[level]('lark sdk', { detail: summarise(args) });
  // The API client's failures are retried and reported by our sender: the SDK's own report is noise.
  return {
    error: to(opts.errorsAreHandled ? 'debug' : 'error'),
    warn: to(opts.errorsAreHandled ? 'debug' : 'warn'),
    info: to('debug'),
    debug: to('debug'),
    trace: () => undefined,
  };
}
