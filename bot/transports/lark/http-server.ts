import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Metrics } from '../../core/metrics.js';
import type { Logger } from '../../core/logger.js';
import { EVENTS_PATH, sendJson } from './webhook.js';

export interface HealthReport {
  ok: boolean;
  [component: string]: unknown;
}

export interface HttpServerOptions {
  port: number;
  host?: string;
  logger: Logger;
  metrics: Metrics;
  /** `POST /lark/events`; absent in long-connection mode (answers 404). */
  events?: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  health: () => Promise<HealthReport>;
  /** Anything else (the sandbox chat page and stand-in); default 404. */
  fallback?: (req: IncomingMessage, res: ServerResponse) => void;
}

/** The bot's HTTP surface: events, health and metrics. Paths match with or without a query string. */
export function startHttpServer(opts: HttpServerOptions): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === EVENTS_PATH && opts.events) {
      if (req.method !== 'POST') return sendJson(res, 405, { code: 405, msg: 'use POST' });
      void opts.events(req, res);
      return;
    }
    if (path === '/healthz' && req.method === 'GET') {
      opts
        .health()
        .then((report) => sendJson(res, report.ok ? 200 : 503, report))
        .catch((err: unknown) => {
          opts.logger.error('health check failed', { err });
          sendJson(res, 503, { ok: false });
        });
      return;
    }
    if (path === '/metrics' && req.method === 'GET') {
      const text = opts.metrics.render();
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(text);
      return;
    }
    if (opts.fallback) return opts.fallback(req, res);
    sendJson(res, 404, { code: 404, msg: 'not found' });
  });
  server.keepAliveTimeout = 65_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
