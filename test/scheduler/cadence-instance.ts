/**
 * One app instance of the three-process cadence test (test/scheduler/cadence-processes.test.ts):
 * a Scheduler on its own process and connection, a fake clock the parent moves through IPC, and a
 * cadence that records each run in the shared database (so the parent counts runs across processes).
 *
 * Messages: {op:'start', at} → start (catch-up) at that time; {op:'tick', at} → move the clock and
 * tick; {op:'stop'}. Each is answered {op, done: true}.
 */
import mongoose from 'mongoose';
import { silentLogger } from '../../bot/core/logger.js';
import { ScheduleRunStore } from '../../models/schedule.model.js';
import { FakeClock } from '../../scheduler/clock.js';
import { Scheduler } from '../../scheduler/scheduler.js';

const [uri, dbName, name, cron] = process.argv.slice(2) as [string, string, string, string];
const conn = await mongoose.createConnection(uri, { dbName }).asPromise();
const runs = new ScheduleRunStore(conn);
await runs.init();
const clock = new FakeClock(0);
const owner = `process-${process.pid}`;
const s = new Scheduler({ runs, timezone: 'Asia/Shanghai', logger: silentLogger, clock, owner });
s.cadence({
  name,
  cron,
  run: async ({ slot, reason }) => {
    await conn.collection('cadence_test_runs').insertOne({ owner, pid: process.pid, slot, reason, at: clock.now() });
    // Long enough that the other processes' ticks for this slot arrive while it runs.
    await new Promise((r) => setTimeout(r, 50));
    return 'ok';
  },
});

process.on('message', async (m: { op: string; at?: string }) => {
  if (m.at) clock.set(m.at);
  if (m.op === 'start') await s.start({ live: false });
  else if (m.op === 'tick') await s.tick();
  else if (m.op === 'stop') {
    await s.stop();
    await conn.close();
  }
  process.send!({ op: m.op, done: true });
  if (m.op === 'stop') process.exit(0);
});
process.send!({ op: 'ready' });
