import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface Peer {
  child: ChildProcess;
  ask<T>(op: string, reply: string, extra?: Record<string, unknown>): Promise<T>;
  stop(): void;
}

/** Forks a benchmark peer (a .ts file beside this one) and talks to it over IPC. */
export function forkPeer(file: string, args: string[] = []): Peer {
  const child = fork(fileURLToPath(new URL(file, import.meta.url)), args, { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiters = new Map<string, (m: Record<string, unknown>) => void>();
  // A reply that arrives before anyone asked for it (e.g. 'ready') waits here.
  const early = new Map<string, Record<string, unknown>>();
  child.on('message', (m: Record<string, unknown>) => {
    const w = waiters.get(String(m.op));
    if (!w) return void early.set(String(m.op), m);
    waiters.delete(String(m.op));
    w(m);
  });
  return {
    child,
    ask: <T>(op: string, reply: string, extra: Record<string, unknown> = {}) =>
      new Promise<T>((resolve) => {
        const waiting = early.get(reply);
        if (waiting && !op) {
          early.delete(reply);
          return resolve(waiting as T);
        }
        waiters.set(reply, (m) => resolve(m as T));
        if (op) child.send({ op, ...extra });
      }),
    stop: () => child.send({ op: 'stop' }),
  };
}
