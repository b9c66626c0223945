import * as lark from '@larksuiteoapi/node-sdk';
import type { LarkConfig } from '../../core/config.js';
import { intake, type IntakeDeps } from './intake.js';
import { resolveDomain, sdkLogger } from './client.js';

export interface LongConnectionOptions extends IntakeDeps {
  lark: Pick<LarkConfig, 'appId' | 'appSecret' | 'domain'>;
  /** Delay before restarting a client that gave up (doubles up to 60 s). */
  restartDelayMs?: number;
}

/**
 * Long-connection transport: the SDK's WSClient, fed a dispatcher that passes the raw event to
 * our intake (so both transports share one normaliser), and restarted when the SDK gives up.
 * The SDK acknowledges a frame only when the handler returns, so the handler returns as soon as
 * the app acknowledged (after handling, see the dedupe middleware) or by intake's deadline, never
 * later; a refusal for redelivery (code 500) makes Lark push the event again.
 */
export class LongConnection {
  private client?: lark.WSClient;
  private stopped = false;
  /** Consecutive give-ups, for the back-off; reset when a connection is ready. */
  private failures = 0;
  private restarts = 0;
  private timer?: NodeJS.Timeout;
  ready = false;

  constructor(private readonly opts: LongConnectionOptions) {}

  start(): void {
    this.stopped = false;
    this.spawn();
  }

  private spawn(): void {
    const { lark: cfg, logger } = this.opts;
    const dispatcher = {
      invoke: (data: unknown) => intake(this.opts, data, 'ws'),
    } as unknown as lark.EventDispatcher;
    const client = new lark.WSClient({
      appId: cfg.appId,
      appSecret: cfg.appSecret,
      domain: resolveDomain(cfg.domain),
      loggerLevel: lark.LoggerLevel.warn,
      logger: sdkLogger(logger),
      onReady: () => {
        this.ready = true;
        this.failures = 0;
        logger.info('long connection ready');
      },
      onReconnected: () => {
        this.ready = true;
      },
      onReconnecting: () => {
        this.ready = false;
      },
      onError: (err: Error) => {
        this.ready = false;
        logger.error('long connection gave up; restarting', { err: err.message });
        this.scheduleRestart();
      },
    });
    this.client = client;
    void client.start({ eventDispatcher: dispatcher });
  }

  private scheduleRestart(): void {
    if (this.stopped || this.timer) return;
    const delay = Math.min((this.opts.restartDelayMs ?? 1000) * 2 ** this.failures, 60_000);
    this.failures += 1;
    this.restarts += 1;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.stopped) return;
      try {
        this.client?.close({ force: true });
      } catch {
        /* already closed */
      }
      this.spawn();
    }, delay);
    this.timer.unref();
  }

  /** How many times the client was restarted after the SDK gave up (since start). */
  get restartCount(): number {
    return this.restarts;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.ready = false;
    try {
      this.client?.close({ force: true });
    } catch {
      /* already closed */
    }
  }
}
