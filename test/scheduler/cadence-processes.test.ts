/**
 * Issue 9's acceptance: a cadence fires once when three app instances — three processes — share one
 * database, on a fake clock each process is told to move; a slot missed while all three were down
 * runs once when they come back. The store is the embedded MongoDB-wire server on a loopback port;
 * each process connects to it with its own driver and runs its own Scheduler.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDb, type TestDb } from '../helpers/mongo.js';

let db: TestDb;
let conn: mongoose.Connection;
const INSTANCE = fileURLToPath(new URL('./cadence-instance.ts', import.meta.url));

beforeAll(async () => {
  db = await useTestDb();
  conn = await mongoose.createConnection(db.uri, { dbName: db.dbName }).asPromise();
});
afterAll(async () => {
  await conn?.close();
  await db?.close();
});

interface Instance {
  child: ChildProcess;
  ask(op: string, at?: string): Promise<void>;
}

async function spawnInstance(name: string, cron: string): Promise<Instance> {
  const child = fork(INSTANCE, [db.uri, db.dbName, name, cron], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const [ready] = (await once(child, 'message')) as [{ op: string }];
  if (ready.op !== 'ready') throw new Error('instance did not start');
  return {
    child,
    ask: async (op, at) => {
      const answer = new Promise<void>((resolve) => {
        const on = (m: { op: string }) => {
          if (m.op === op) {
            child.off('message', on);
            resolve();
          }
        };
        child.on('message', on);
      });
      child.send({ op, ...(at ? { at } : {}) });
      await answer;
    },
  };
}

const runsOf = async (name: string) => {
  const all = await conn.collection('cadence_test_runs').find({}).sort({ slot: 1 }).toArray();
  const mine = await conn.collection('schedule_runs').find({ name }).toArray();
  return { all, claims: mine };
};

describe('a cadence across three processes', () => {
  it('each slot runs once among three processes ticking at once; a slot missed while all were down runs once after start', { timeout: 60_000 }, async () => {
    const name = 'test.three-processes';
    const cron = '0 9 * * *'; // 09:00 Shanghai = 01:00 UTC
    let procs = await Promise.all([0, 1, 2].map(() => spawnInstance(name, cron)));
    // Started before the day's slot: nothing to catch up on is older than yesterday's slot, which
    // each process tries at start-up: exactly one wins it.
    await Promise.all(procs.map((p) => p.ask('start', '2026-11-30T00:30:00Z')));
    // Three days' slots, all three processes ticking at each slot at once.
    for (const at of ['2026-11-30T01:00:05Z', '2026-12-01T01:00:05Z', '2026-12-02T01:00:05Z']) await Promise.all(procs.map((p) => p.ask('tick', at)));
    // And again a little later (a second tick in the same slot runs nothing).
    await Promise.all(procs.map((p) => p.ask('tick', '2026-12-02T01:05:00Z')));
    let { all } = await runsOf(name);
    const slots = all.map((r) => (r.slot as Date).toISOString());
    expect(slots).toEqual(['2026-11-29T01:00:00.000Z', '2026-11-30T01:00:00.000Z', '2026-12-01T01:00:00.000Z', '2026-12-02T01:00:00.000Z']);
    // Every run was made by one of the three processes (each slot by whichever won its claim).
    const pids = new Set(procs.map((p) => p.child.pid));
    expect(all.every((r) => pids.has(r.pid as number))).toBe(true);
    await Promise.all(procs.map((p) => p.ask('stop')));
    await Promise.all(procs.map((p) => (p.child.exitCode === null ? once(p.child, 'exit') : undefined)));

    // All three down over 12-03 and 12-04; they come back on 12-04 at 15:00 Shanghai.
    procs = await Promise.all([0, 1, 2].map(() => spawnInstance(name, cron)));
    await Promise.all(procs.map((p) => p.ask('start', '2026-12-04T07:00:00Z')));
    ({ all } = await runsOf(name));
    const after = all.map((r) => `${(r.slot as Date).toISOString()} ${r.reason}`).slice(4);
    // Only the latest missed slot (12-04), once; 12-03 is not replayed.
    expect(after).toEqual(['2026-12-04T01:00:00.000Z catch-up']);
    await Promise.all(procs.map((p) => p.ask('stop')));
  });
});
