import * as lark from '@larksuiteoapi/node-sdk';
import type { LarkConfig } from '../../core/config.js';
import { intake, type IntakeDeps } from './intake.js';
import { resolveDomain, sdkLogger } from './client.js';

export interface LongConnectionOptions extends IntakeDeps {
  lark: Pick<LarkConfig, 'appId' | 'appSecret' | 'domain'>;
  /** Delay before restarting a client that gave up (doubles up to 60 s). */
  restartDelayMs?: number;
  /**
   * The SDK's `wsConfig.pingTimeout`, in seconds: when no frame arrives within this time after a
   * ping, the SDK terminates the socket and reconnects (without it a half-dead socket stays "open").
   * Default 15.
   */
  pingTimeoutSec?: number;
  /**
   * The connection is reported dead when no frame (pong, event) arrived for this long. Default: the
   * server's ping interval (read from the SDK, 120 s unless Lark says otherwise) + pingTimeout + 10 s.
   */
  maxSilenceMs?: number;
}

export type ConnectionState = 'connecting' | 'ready' | 'reconnecting' | 'restarting' | 'stopped';

/** What `/healthz` reports about the long connection. */
export interface ConnectionHealth {
  ok: boolean;
  state: ConnectionState;
  /** Milliseconds since the last frame from Lark (pong or event); null before the first. */
  lastFrameAgeMs: number | null;
  /** Silence after which the connection counts as dead. */
  maxSilenceMs: number;
  restarts: number;
}

/** The SDK keeps its socket in `wsConfig` (not in its public types): read it defensively. */
interface SdkInternals {
  wsConfig?: { getWSInstance?: () => { on(ev: 'message', fn: () => void): unknown } | null; getWS?: (key?: string) => unknown };
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
  private watch?: NodeJS.Timeout;
  private watched?: object;
  private lastFrameAt?: number;
  private state: ConnectionState = 'connecting';
  ready = false;

  constructor(
    private readonly opts: LongConnectionOptions,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    this.stopped = false;
    this.state = 'connecting';
    this.spawn();
    // Every frame from Lark (a pong answers each ping) proves the connection alive: watch the
    // SDK's current socket, which it replaces on every reconnect.
    this.watch = setInterval(() => this.watchSocket(), 200);
    this.watch.unref();
  }

  private watchSocket(): void {
    const socket = (this.client as unknown as SdkInternals | undefined)?.wsConfig?.getWSInstance?.();
    if (!socket || socket === this.watched) return;
    this.watched = socket;
    socket.on('message', () => {
      this.lastFrameAt = this.now();
    });
  }

  private pingIntervalMs(): number {
    const v = Number((this.client as unknown as SdkInternals | undefined)?.wsConfig?.getWS?.('pingInterval'));
    return Number.isFinite(v) && v > 0 ? v : 120_000;
  }

  /** State and liveness of the connection: dead when no frame arrived for `maxSilenceMs`. */
  health(): ConnectionHealth {
    const timeoutMs = (this.opts.pingTimeoutSec ?? 15) * 1000;
    const maxSilenceMs = this.opts.maxSilenceMs ?? this.pingIntervalMs() + timeoutMs + 10_000;
    const age = this.lastFrameAt === undefined ? null : this.now() - this.lastFrameAt;
    const ok = this.state !== 'stopped' && age !== null && age <= maxSilenceMs;
    return { ok, state: this.state, lastFrameAgeMs: age, maxSilenceMs, restarts: this.restarts };
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
      wsConfig: { pingTimeout: this.opts.pingTimeoutSec ?? 15 },
      onReady: () => {
        this.ready = true;
        this.state = 'ready';
        // A first connection counts as a sign of life; after that only frames do (a silent server
        // still accepts connections, so a reconnect proves nothing).
        this.lastFrameAt ??= this.now();
        this.failures = 0;
        logger.info('long connection ready');
      },
      onReconnected: () => {
        this.ready = true;
        this.state = 'ready';
      },
      onReconnecting: () => {
        this.ready = false;
        this.state = 'reconnecting';
      },
      onError: (err: Error) => {
        this.ready = false;
        this.state = 'restarting';
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
    if (this.watch) clearInterval(this.watch);
    this.timer = undefined;
    this.watch = undefined;
    this.ready = false;
    this.state = 'stopped';
    try {
      this.client?.close({ force: true });
    } catch {
      /* already closed */
    }
  }
}
