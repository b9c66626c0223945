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
  /** Counts the events requests in progress and closes the intake when the bot stops (default: a gate of its own). */
  intake?: IntakeGate;
}

/**
 * The webhook intake's gate. While open, `POST /lark/events` is handled and counted until its
 * answer is sent; once closed (the bot is stopping) every new delivery is answered 503 without
 * being read, so Lark delivers it again later (to this bot after its restart, or to another
 * instance), and `/healthz` answers 503 so a load balancer stops sending. `idle()` settles when
 * the requests already inside have been answered.
 */
export class IntakeGate {
  private open = true;
  private inside = 0;
  private waiters: (() => void)[] = [];

  get closed(): boolean {
    return !this.open;
  }

  /** Events requests being handled now. */
  get inFlight(): number {
    return this.inside;
  }

  close(): void {
    this.open = false;
  }

  /** Lets a request in (false once closed); `leave()` when its answer is out. */
  enter(): boolean {
    if (!this.open) return false;
    this.inside += 1;
    return true;
  }

  leave(): void {
    this.inside -= 1;
    if (this.inside === 0) for (const w of this.waiters.splice(0)) w();
  }

  idle(): Promise<void> {
    return this.inside === 0 ? Promise.resolve() : new Promise((r) => this.waiters.push(r));
  }
}

/** The bot's HTTP surface: events, health and metrics. Paths match with or without a query string. */
export function startHttpServer(opts: HttpServerOptions): Promise<Server> {
  const gate = opts.intake ?? new IntakeGate();
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === EVENTS_PATH && opts.events) {
      if (req.method !== 'POST') return sendJson(res, 405, { code: 405, msg: 'use POST' });
      if (!gate.enter()) {
        res.setHeader('connection', 'close');
        return sendJson(res, 503, { code: 503, msg: 'stopping; deliver again' });
      }
      let left = false;
      const leave = () => {
        if (left) return;
        left = true;
        gate.leave();
      };
      // Counted until the answer is out (or the client went away).
      res.once('finish', leave);
      res.once('close', leave);
      void opts.events(req, res);
      return;
    }
    if (path === '/healthz' && req.method === 'GET') {
      if (gate.closed) return sendJson(res, 503, { ok: false, stopping: true });
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
      opts.metrics
        .render()
        .then((text) => {
          res.writeHead(200, { 'content-type': opts.metrics.contentType });
          res.end(text);
        })
        .catch((err: unknown) => {
          opts.logger.error('metrics failed', { err });
          sendJson(res, 500, { code: 500, msg: 'metrics failed' });
        });
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
