/**
 * The fan-out's pacing keeps a margin for arrival jitter: never more than `rate` sends in any
 * window of 1000 + jitterMs ms, so sends that reach Lark up to `jitterMs` early or late still stay
 * within its per-second limit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../bot/core/logger.js';
import { FanoutStore } from '../../models/fanout.model.js';
import { FanoutService } from '../../scheduler/fanout.js';
import { useTestDb, type TestDb } from '../helpers/mongo.js';

let db: TestDb;
beforeAll(async () => {
  db = await useTestDb();
});
afterAll(async () => db?.close());

describe('fan-out pacing', () => {
  it('never sends more than `rate` in any 1000 + jitterMs window', { timeout: 20_000 }, async () => {
    const times: number[] = [];
    const rate = 50;
    const jitterMs = 30;
    const fanout = new FanoutService({
      store: new FanoutStore(db.connection),
      sender: {
        send: async () => {
          times.push(performance.now());
          return { messageId: `om_${times.length}` };
        },
        patchCard: async () => undefined,
      },
      logger: silentLogger,
      rate,
      jitterMs,
    });
    const n = 130;
    const r = await fanout.send({
      id: 'pace-1',
      tenantKey: 't',
      title: 'pace',
      message: { type: 'text', text: 'x' },
      recipients: Array.from({ length: n }, (_, i) => ({ to: { openId: `ou_pace_${i}` } })),
    });
    await r.done;
    expect(times.length).toBe(n);
    // The first send waited for the notice to be read; from the second on, every `rate` consecutive
    // sends span at least the window (1 ms for the clock's rounding between pacing and sending).
    const gaps: number[] = [];
    for (let i = 1; i + rate < times.length; i++) gaps.push(times[i + rate]! - times[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(1000 + jitterMs - 1);
  });

  it('refuses a jitter margin outside [0, 500] ms', () => {
    const store = new FanoutStore(db.connection);
    const sender = { send: async () => ({ messageId: 'x' }), patchCard: async () => undefined };
    expect(() => new FanoutService({ store, sender, logger: silentLogger, jitterMs: -1 })).toThrow(/jitter/);
    expect(() => new FanoutService({ store, sender, logger: silentLogger, jitterMs: 900 })).toThrow(/jitter/);
  });
});
