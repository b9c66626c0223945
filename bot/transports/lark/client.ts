import * as lark from '@larksuiteoapi/node-sdk';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import axios from 'axios';
import type { LarkConfig } from '../../core/config.js';
import type { Logger } from '../../core/logger.js';

/** A per-client token cache (the SDK's default is process-wide) that we can clear on 99991663. */
export class TokenCache {
  private readonly values = new Map<string, { value: unknown; expiredTime?: number }>();
  async set(key: string | Symbol, value: unknown, expiredTime?: number, options?: { namespace?: string }): Promise<boolean> {
    this.values.set(this.key(key, options?.namespace), { value, expiredTime });
    return true;
  }
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
 * The SDK client with what its defaults lack: a request timeout, no proxy for loopback, and a
 * token cache of its own.
 */
export function createLarkClient(
  cfg: Pick<LarkConfig, 'appId' | 'appSecret' | 'domain'>,
  opts: { timeoutMs?: number; logger?: Logger } = {},
) {
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
  http.interceptors.response.use((resp) =>
    (resp.config as { $return_headers?: boolean }).$return_headers ? { data: resp.data, headers: resp.headers } : resp.data,
  );
  const cache = new TokenCache();
  const client = new lark.Client({
    appId: cfg.appId,
    appSecret: cfg.appSecret,
    domain: resolveDomain(cfg.domain),
    cache,
    httpInstance: http as unknown as lark.HttpInstance,
    loggerLevel: lark.LoggerLevel.error,
    logger: sdkLogger(opts.logger),
  });
  return { client, cache, http };
}

export type LarkClientBundle = ReturnType<typeof createLarkClient>;

/**
 * The SDK logs whole axios errors (request config with the Authorization header included):
 * keep only what is safe and useful — message, HTTP status, Lark code — and route it through ours.
 */
export function sdkLogger(logger?: Logger) {
  const summarise = (args: unknown[]): string =>
    args
      .map((a) => {
        if (a && typeof a === 'object') {
          const e = a as { message?: string; response?: { status?: number; data?: { code?: number; msg?: string } } };
          if (e.response || e.message) {
            return `${e.message ?? 'error'}${e.response?.status ? ` (HTTP ${e.response.status}` : ''}${e.response?.data?.code !== undefined ? `, code ${e.response.data.code}: ${e.response.data.msg ?? ''}` : ''}${e.response?.status ? ')' : ''}`;
          }
          return JSON.stringify(a, (k, v: unknown) => (/token|secret|authorization|key/i.test(k) ? '[redacted]' : v))?.slice(0, 500) ?? '';
        }
        return String(a);
      })
      .join(' ');
  const to = (level: 'debug' | 'warn' | 'error') => (...args: unknown[]) => logger?.[level]('lark sdk', { detail: summarise(args) });
  return { error: to('error'), warn: to('warn'), info: to('debug'), debug: to('debug'), trace: () => undefined };
}
