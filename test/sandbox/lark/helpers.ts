/** Shared fixtures for the Lark stand-in tests. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as lark from '@larksuiteoapi/node-sdk';
import { Directory } from '../../../sandbox/lark/directory.js';

export const APP_ID = 'cli_a5d8c3e9f1b20746';
export const APP_SECRET = 'sandbox-secret-0123456789';
export const ENCRYPT_KEY = 'sandbox-encrypt-key';
export const VERIFICATION_TOKEN = 'sandbox-verification-token';

export const org = new Directory(undefined);

export function userByEn(enName: string): { open_id: string; name: string } {
  const u = org.users.find((x) => x.en_name === enName);
  if (!u) throw new Error(`no demo user ${enName}`);
  return u;
}

/** A per-client token cache, so that stand-ins started by different tests do not share tokens. */
export function memoryCache(): lark.Cache {
  const m = new Map<string, { value: unknown; expire?: number }>();
  const k = (key: string | symbol, ns?: string): string => `${ns ?? ''}:${String(key)}`;
  return {
    async set(key, value, expire, options) {
      m.set(k(key as string | symbol, options?.namespace), { value, ...(expire !== undefined ? { expire } : {}) });
      return true;
    },
    async get(key, options) {
      const hit = m.get(k(key as string | symbol, options?.namespace));
      if (!hit) return undefined;
      if (hit.expire !== undefined && hit.expire < Date.now()) return undefined;
      return hit.value;
    },
  };
}

const noop = (): void => undefined;
/** Keeps the SDK quiet in test output. */
export const silentLogger = { error: noop, warn: noop, info: noop, debug: noop, trace: noop };

export function sdkClient(url: string, cache: lark.Cache = memoryCache()): lark.Client {
  return new lark.Client({ appId: APP_ID, appSecret: APP_SECRET, domain: url, cache, logger: silentLogger, loggerLevel: lark.LoggerLevel.error });
}

/** Starts an HTTP server on a random port; returns its base URL and a close function. */
export async function listen(handler: http.RequestListener): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

export const sampleCard = (title: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  schema: '2.0',
  config: { update_multi: true },
  header: { title: { tag: 'plain_text', content: title }, template: 'blue' },
  body: {
    elements: [
      { tag: 'markdown', content: `**${title}**` },
      {
        tag: 'button',
        name: 'approve',
        text: { tag: 'plain_text', content: '同意' },
        type: 'primary',
        behaviors: [{ type: 'callback', value: { action: 'approve', id: 'REQ-1' } }],
      },
    ],
  },
  ...extra,
});
