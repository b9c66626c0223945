import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { AxiosInstance } from 'axios';

interface RequestOptions {
  url?: string;
  method?: string;
  headers?: Record<string, unknown>;
  params?: Record<string, unknown>;
  data?: unknown;
  responseType?: string;
  paramsSerializer?: ((params: Record<string, unknown>) => string) | unknown;
  timeout?: number;
  $return_headers?: boolean;
}

/** Shaped like an AxiosError, so the SDK and our sender read `e.response.status/data/headers`. */
export class HttpError extends Error {
  readonly isAxiosError = true;
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly response?: { status: number; data: unknown; headers: IncomingHttpHeaders },
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/**
 * The SDK's HTTP instance for JSON calls over node:http with keep-alive: the Open API hot path
 * (send, reply, patch, token) without axios's per-request overhead. File uploads and streamed
 * downloads go through the axios instance, which handles multipart and streams.
 */
export function createHttpInstance(opts: { timeoutMs: number; fallback: AxiosInstance; loopback: boolean }) {
  const agents = { http: new HttpAgent({ keepAlive: true, maxSockets: 64 }), https: new HttpsAgent({ keepAlive: true, maxSockets: 64 }) };

  const request = async (o: RequestOptions): Promise<unknown> => {
    const contentType = String(o.headers?.['Content-Type'] ?? o.headers?.['content-type'] ?? '');
    if (contentType.includes('multipart') || (o.responseType && o.responseType !== 'json')) {
      return opts.fallback.request(o as never);
    }
    const url = new URL(o.url ?? '');
    if (o.params && Object.keys(o.params).length) {
      const query = typeof o.paramsSerializer === 'function' ? (o.paramsSerializer as (p: Record<string, unknown>) => string)(o.params) : serialise(o.params);
      if (query) url.search = url.search ? `${url.search}&${query}` : `?${query}`;
    }
    const body = o.data === undefined || o.data === null ? undefined : typeof o.data === 'string' ? o.data : JSON.stringify(o.data);
    const headers: Record<string, string> = { accept: 'application/json, text/plain, */*' };
    for (const [k, v] of Object.entries(o.headers ?? {})) if (v !== undefined && v !== null) headers[k] = String(v);
    if (body !== undefined) {
      if (!contentType) headers['content-type'] = 'application/json; charset=utf-8';
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    const isHttps = url.protocol === 'https:';
    const send = isHttps ? httpsRequest : httpRequest;
    const timeout = o.timeout ?? opts.timeoutMs;
    return new Promise((resolve, reject) => {
      const req = send(url, { method: (o.method ?? 'GET').toUpperCase(), headers, agent: isHttps ? agents.https : agents.http }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let data: unknown = text;
          if (text) {
            try {
              data = JSON.parse(text);
            } catch {
              /* keep the text */
            }
          }
          const status = res.statusCode ?? 0;
          if (status < 200 || status >= 300) {
            reject(new HttpError(`Request failed with status code ${status}`, undefined, { status, data, headers: res.headers }));
            return;
          }
          resolve(o.$return_headers ? { data, headers: res.headers } : data);
        });
      });
      req.setTimeout(timeout, () => req.destroy(new HttpError(`timeout of ${timeout}ms exceeded`, 'ECONNABORTED')));
      req.on('error', (err: NodeJS.ErrnoException) => reject(err instanceof HttpError ? err : new HttpError(err.message, err.code)));
      req.end(body);
    });
  };

  const withMethod =
    (method: string) =>
    (url: string, o: RequestOptions = {}) =>
      request({ ...o, url, method });
  const withData =
    (method: string) =>
    (url: string, data?: unknown, o: RequestOptions = {}) =>
      request({ ...o, url, method, data });
  return {
    request,
    get: withMethod('GET'),
    delete: withMethod('DELETE'),
    head: withMethod('HEAD'),
    options: withMethod('OPTIONS'),
    post: withData('POST'),
    put: withData('PUT'),
    patch: withData('PATCH'),
    /** For tests and shutdown. */
    destroy() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}

function serialise(params: Record<string, unknown>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null) continue;
    if (Array.isArray(v)) for (const x of v) q.append(k, String(x));
    else q.append(k, String(v));
  }
  return q.toString();
}
