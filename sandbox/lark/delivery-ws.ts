/**
 * Long-connection (WebSocket) delivery, emulating what @larksuiteoapi/node-sdk's WSClient expects:
 *
 * 1. `POST /callback/ws/endpoint` `{AppID, AppSecret}` → `{code: 0, data: {URL, ClientConfig}}`. The SDK
 *    reads `device_id` / `service_id` with `qs.parse(URL)` on the *whole* URL, so they must not be the
 *    first query parameter (Lark's own URL starts with `fpid`). Bad credentials → `{code: 514, data: {}}`,
 *    on which the SDK gives up for good (onError). Codes 1000040343 (and transport errors) are retried.
 * 2. A WebSocket at that URL exchanging protobuf `pbbp2.Frame`s. Control frames (method 0): the SDK sends
 *    `type: ping` every PingInterval s; we answer `type: pong` whose payload is the ClientConfig JSON (the
 *    SDK re-reads PingInterval etc. from it, so all four fields must be present).
 * 3. Data frames (method 1) with headers `type: event`, `message_id`, `trace_id`, `sum`, `seq` carry the event
 *    JSON (plaintext) in `payload`, optionally split into `sum` fragments. The SDK only handles `type: event`
 *    (a `card` type is silently dropped): card callbacks (`card.action.trigger`) travel as events too.
 * 4. After its handler returns, the SDK echoes the frame with an extra `biz_rt` header and the payload
 *    `{"code": 200, "data": base64(JSON.stringify(handlerResult))}` (`code: 500` if the handler threw; no
 *    `data` when the result is falsy). That is the ack, and for card callbacks the callback answer.
 * 5. Race in the SDK: it registers its 'message' listener a few microtasks after 'open', while `ws`
 *    emits frames that arrived together with the handshake on process.nextTick — before that. Such
 *    frames are dropped silently. So a connection only counts (and gets deliveries) once its first
 *    ping has arrived (the SDK pings right on 'open'), or after 500 ms for clients that do not ping.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { parseMaybeJson, type DeliveryResult } from './delivery.js';
import { LarkError } from './errors.js';
import { decodeFrame, encodeFrame, FrameMethod, frameHeader, type Frame } from './frame.js';
import { isPlainObject } from './http-util.js';
import { hex } from './ids.js';
import type { ApiResult, OpenApi, RouteContext } from './openapi.js';

export interface WsClientConfig {
  ReconnectCount: number;
  ReconnectInterval: number;
  ReconnectNonce: number;
  PingInterval: number;
}

export const DEFAULT_WS_CLIENT_CONFIG: WsClientConfig = {
  ReconnectCount: -1,
  ReconnectInterval: 120,
  ReconnectNonce: 30,
  PingInterval: 120,
};

interface Conn {
  id: number;
  ws: WebSocket;
  deviceId: string;
  serviceId: number;
  connectedAt: number;
  pings: number;
  /** Deliveries wait until the client's first ping (see onConnection). */
  ready: boolean;
  pending: Map<string, (f: Frame) => void>;
}

export interface WsSendOptions {
  timeoutMs?: number;
  /** `type` header; default `event` (the only type the SDK dispatches). */
  type?: string;
  /** Split the payload into fragments of this many bytes (`sum`/`seq` headers). 0 = one frame. */
  fragmentBytes?: number;
}

export class WsGateway {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly tickets = new Map<string, { deviceId: string; serviceId: number; at: number }>();
  private conns: Conn[] = [];
  private nextConnId = 1;
  private rr = 0;
  private seq = 1;
  clientConfig: WsClientConfig;
  fragmentBytes = 0;
  /**
   * A half-dead Lark: connections are accepted but pings go unanswered (no pong, no frame at all),
   * so only a client with a ping timeout notices.
   */
  silent = false;
  /** Number of endpoint calls answered (successful or not). */
  endpointCalls = 0;

  constructor(
    private readonly openapi: OpenApi,
    clientConfig?: Partial<WsClientConfig>,
  ) {
    this.clientConfig = { ...DEFAULT_WS_CLIENT_CONFIG, ...(clientConfig ?? {}) };
    openapi.addRoute('POST', /^\/callback\/ws\/endpoint\/?$/, false, (ctx) => this.endpoint(ctx));
  }

  get connectionCount(): number {
    return this.conns.filter((c) => c.ready && c.ws.readyState === WebSocket.OPEN).length;
  }

  connections(): { id: number; deviceId: string; serviceId: number; connectedAt: number; pings: number; ready: boolean }[] {
    return this.conns.map(({ id, deviceId, serviceId, connectedAt, pings, ready }) => ({ id, deviceId, serviceId, connectedAt, pings, ready }));
  }

  private endpoint(ctx: RouteContext): ApiResult {
    this.endpointCalls += 1;
    const b = isPlainObject(ctx.json) ? ctx.json : {};
    if (this.openapi.checkCredentials(b['AppID'], b['AppSecret']) !== 'ok') {
      return { status: 200, body: { code: LarkError.wsAuthFailed.code, msg: LarkError.wsAuthFailed.msg, data: {} } };
    }
    const deviceId = String(BigInt(`0x${hex(15)}`));
    const serviceId = 100000 + Math.floor(Math.random() * 900000);
    const ticket = `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`;
    this.tickets.set(ticket, { deviceId, serviceId, at: Date.now() });
    const host = ctx.req.headers.host ?? '127.0.0.1';
    const URL = `ws://${host}/ws/v2?fpid=493&aid=552564&device_id=${deviceId}` + `&access_key=${hex(32)}&service_id=${serviceId}&ticket=${ticket}`;
    return { status: 200, body: { code: 0, msg: 'ok', data: { URL, ClientConfig: { ...this.clientConfig } } } };
  }

  /** Handles an HTTP upgrade; returns false when the path is not ours. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/ws/v2') return false;
    const ticket = url.searchParams.get('ticket') ?? '';
    const t = this.tickets.get(ticket);
    if (!t || Date.now() - t.at > 5 * 60 * 1000 || url.searchParams.get('device_id') !== t.deviceId) {
      socket.end(
        'HTTP/1.1 403 Forbidden\r\nhandshake-status: 403\r\nhandshake-msg: invalid or expired ticket\r\n' +
          'handshake-autherrcode: 403\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
      );
      return true;
    }
    this.tickets.delete(ticket);
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, t.deviceId, t.serviceId));
    return true;
  }

  private onConnection(ws: WebSocket, deviceId: string, serviceId: number): void {
    const conn: Conn = { id: this.nextConnId++, ws, deviceId, serviceId, connectedAt: Date.now(), pings: 0, ready: false, pending: new Map() };
    this.conns.push(conn);
    const readyTimer = setTimeout(() => {
      conn.ready = true;
    }, 500);
    readyTimer.unref();
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) return;
      let frame: Frame;
      try {
        frame = decodeFrame(data);
      } catch {
        return;
      }
      if (frame.method === FrameMethod.control) {
        if (frameHeader(frame, 'type') === 'ping') {
          if (this.silent) return;
          conn.pings += 1;
          conn.ready = true;
          clearTimeout(readyTimer);
          this.sendFrame(conn, {
            SeqID: 0,
            LogID: 0,
            service: serviceId,
            method: FrameMethod.control,
            headers: [{ key: 'type', value: 'pong' }],
            payload: new TextEncoder().encode(JSON.stringify(this.clientConfig)),
          });
        }
        return;
      }
      const mid = frameHeader(frame, 'message_id');
      if (mid) {
        const resolve = conn.pending.get(mid);
        if (resolve) {
          conn.pending.delete(mid);
          resolve(frame);
        }
      }
    });
    ws.on('close', () => {
      clearTimeout(readyTimer);
      this.conns = this.conns.filter((c) => c !== conn);
      for (const resolve of conn.pending.values()) resolve({ SeqID: 0, LogID: 0, service: 0, method: -1, headers: [] });
      conn.pending.clear();
    });
    ws.on('error', () => undefined);
  }

  private sendFrame(conn: Conn, frame: Frame): void {
    if (conn.ws.readyState === WebSocket.OPEN) conn.ws.send(encodeFrame(frame));
  }

  private pickConnection(): Conn | undefined {
    const open = this.conns.filter((c) => c.ready && c.ws.readyState === WebSocket.OPEN);
    if (open.length === 0) return undefined;
    const c = open[this.rr % open.length];
    this.rr += 1;
    return c;
  }

  /** Sends one event (or callback) and waits for the SDK's response frame. */
  send(payload: unknown, opts: WsSendOptions = {}): Promise<DeliveryResult> {
    const started = Date.now();
    if (this.silent) return Promise.resolve({ mode: 'ws', status: 0, body: '', error: 'the long connection is silent', durationMs: 0 });
    const conn = this.pickConnection();
    if (!conn) return Promise.resolve({ mode: 'ws', status: 0, body: '', error: 'no WebSocket connection', durationMs: 0 });
    const bytes = new TextEncoder().encode(typeof payload === 'string' ? payload : JSON.stringify(payload));
    const messageId = `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`;
    const traceId = hex(32);
    const size = opts.fragmentBytes ?? this.fragmentBytes;
    const chunks: Uint8Array[] = [];
    if (size > 0 && bytes.length > size) for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
    else chunks.push(bytes);
    const timeoutMs = opts.timeoutMs ?? 3000;

    return new Promise<DeliveryResult>((resolve) => {
      const timer = setTimeout(() => {
        conn.pending.delete(messageId);
        resolve({ mode: 'ws', status: 0, body: '', error: `timeout after ${timeoutMs} ms`, durationMs: Date.now() - started });
      }, timeoutMs);
      conn.pending.set(messageId, (frame) => {
        clearTimeout(timer);
        const durationMs = Date.now() - started;
        if (frame.method === -1) {
          resolve({ mode: 'ws', status: 0, body: '', error: 'connection closed before the answer', durationMs });
          return;
        }
        const resp = parseMaybeJson(new TextDecoder().decode(frame.payload ?? new Uint8Array()));
        if (!isPlainObject(resp) || typeof resp['code'] !== 'number') {
          resolve({ mode: 'ws', status: 0, body: '', error: 'malformed response frame', durationMs });
          return;
        }
        const data = typeof resp['data'] === 'string' ? Buffer.from(resp['data'], 'base64').toString('utf8') : '';
        const json = parseMaybeJson(data);
        resolve({ mode: 'ws', status: resp['code'], body: data, ...(json !== undefined ? { json } : {}), durationMs });
      });
      chunks.forEach((chunk, i) => {
        const seq = this.seq++;
        this.sendFrame(conn, {
          SeqID: seq,
          LogID: seq,
          service: conn.serviceId,
          method: FrameMethod.data,
          headers: [
            { key: 'type', value: opts.type ?? 'event' },
            { key: 'message_id', value: messageId },
            { key: 'trace_id', value: traceId },
            { key: 'sum', value: String(chunks.length) },
            { key: 'seq', value: String(i) },
          ],
          payload: chunk,
        });
      });
    });
  }

  /** Drops every connection (the SDK will reconnect per ClientConfig). */
  dropAll(): void {
    for (const c of this.conns) c.ws.terminate();
  }

  close(): void {
    this.dropAll();
    this.conns = [];
    this.wss.close();
  }
}
