/**
 * Embedded, in-memory MongoDB-wire-compatible server for development and tests.
 * The real `mongodb` / `mongoose` drivers connect to it unchanged. Nothing is persisted.
 * See README.md in this folder for what is (not) supported.
 */
import net from 'node:net';
import { CommandRunner } from './commands.js';
import { Store } from './storage.js';
import { encodeReply, MessageFramer, parseMessage } from './wire.js';

export interface EmbeddedMongo {
  /** Connection string, e.g. `mongodb://127.0.0.1:27017/?directConnection=true`. */
  uri: string;
  port: number;
  /** Closes every client socket and the listener. */
  stop(): Promise<void>;
  /** Runs the TTL monitor now (it also runs every second in the background). */
  sweepTtl(): void;
}

const TTL_INTERVAL_MS = 1000;

export async function startEmbeddedMongo(opts: { port?: number; host?: string } = {}): Promise<EmbeddedMongo> {
  const host = opts.host ?? '127.0.0.1';
  const store = new Store();
  const sockets = new Set<net.Socket>();
  let connectionCount = 0;
  const startedAt = Date.now();
  const info = {
    host,
    port: 0,
    startedAt,
    openConnections: () => sockets.size,
    totalConnections: () => connectionCount,
  };
  const runner = new CommandRunner(store, info);

  const server = net.createServer((socket) => {
    const connectionId = ++connectionCount;
    const framer = new MessageFramer();
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const message of framer.push(chunk)) {
          const request = parseMessage(message);
          const reply = runner.run(request.db, request.command, connectionId);
          if (!request.moreToCome && !socket.destroyed) socket.write(encodeReply(request, reply));
        }
      } catch {
        // Malformed frame or undecodable BSON: the stream can no longer be trusted.
        socket.destroy();
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('embedded mongo: unexpected listen address');
  info.port = address.port;

  const timer = setInterval(() => {
    store.sweepTtl();
    runner.sweepCursors();
  }, TTL_INTERVAL_MS);
  timer.unref();

  let stopped: Promise<void> | undefined;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    uri: `mongodb://${urlHost}:${address.port}/?directConnection=true`,
    port: address.port,
    sweepTtl: () => void store.sweepTtl(),
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        clearInterval(timer);
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      });
      return stopped;
    },
  };
}
