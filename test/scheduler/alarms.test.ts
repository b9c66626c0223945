/**
 * The features' alarms (models/alarm.model.ts, scheduler/alarms.ts) on the embedded store: set
 * once per key, claimed by exactly one of several sweeping instances, handled once, retried with a
 * back-off when the handler throws and failed after the last attempt, cancelled when the thing is
 * done, taken over when a sweeper died holding the claim.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../bot/core/logger.js';
import { type Alarm, AlarmStore, MAX_ALARM_ATTEMPTS } from '../../models/alarm.model.js';
import { AlarmSweeper, notifyByLanguage, type AlarmHandler } from '../../scheduler/alarms.js';
import { useTestDb, type TestDb } from '../helpers/mongo.js';

let db: TestDb;
let store: AlarmStore;
const T0 = new Date('2026-03-01T00:00:00Z');
const at = (min: number) => new Date(T0.getTime() + min * 60_000);

beforeAll(async () => {
  db = await useTestDb();
  store = new AlarmStore(db.connection);
  await store.init();
});
afterAll(async () => db?.close());

const input = (key: string, min: number, topic = 'training') => ({ key, topic, subject: key.split(':')[1] ?? key, kind: key.split(':').at(-1) ?? 'k', dueAt: at(min) });

describe('alarm store', () => {
  it('sets an alarm once per key and never moves it by setting again; reschedule moves and re-arms it', async () => {
    expect(await store.set('t1', input('training:TR-1:d3', 10), T0)).toBe(true);
    expect(await store.set('t1', input('training:TR-1:d3', 99), T0)).toBe(false);
    expect((await store.get('t1', 'training:TR-1:d3'))?.dueAt).toEqual(at(10));
    // Another tenant's same key is its own alarm.
    expect(await store.set('t2', input('training:TR-1:d3', 10), T0)).toBe(true);
    await store.cancel('t1', 'training', 'TR-1', T0);
    expect((await store.get('t1', 'training:TR-1:d3'))?.state).toBe('cancelled');
    await store.reschedule('t1', input('training:TR-1:d3', 20), T0);
    const a = await store.get('t1', 'training:TR-1:d3');
    expect(a?.state).toBe('pending');
    expect(a?.dueAt).toEqual(at(20));
    expect(await store.get('t2', 'training:TR-1:d3')).toMatchObject({ state: 'pending', dueAt: at(10) });
  });

  it('refuses an alarm without a key, a subject or a valid time', async () => {
    await expect(store.set('t1', { ...input('x:y:z', 1), key: '' }, T0)).rejects.toThrow();
    await expect(store.set('t1', { ...input('x:y:z', 1), dueAt: new Date(Number.NaN) }, T0)).rejects.toThrow();
    await expect(store.set('', input('x:y:z', 1), T0)).rejects.toThrow();
  });

  it('cancels only the kinds asked for', async () => {
    await store.setAll('t3', [input('incident:INC-1:h12', 5, 'incident'), input('incident:INC-1:h20', 6, 'incident'), input('incident:INC-1:d60', 7, 'incident')], T0);
    expect(await store.cancel('t3', 'incident', 'INC-1', T0, ['h12', 'h20'])).toBe(2);
    expect((await store.list('t3', 'incident', 'INC-1')).map((a) => `${a.kind}:${a.state}`)).toEqual(['h12:cancelled', 'h20:cancelled', 'd60:pending']);
  });
});

describe('alarm sweep', () => {
  it('three sweepers at once hand each due alarm to its handler exactly once; alarms not yet due wait', async () => {
    const tenant = 'race';
    for (let i = 0; i < 30; i++) await store.set(tenant, input(`staff:P${i}:pledge`, i < 25 ? 1 : 600, 'staff'), T0);
    const seen: string[] = [];
    const handlers = new Map<string, AlarmHandler>([
      [
        'staff',
        async (a: Alarm) => {
          if (a.tenantKey === tenant) seen.push(a.key);
          return 'done';
        },
      ],
    ]);
    const sweepers = [0, 1, 2].map(() => new AlarmSweeper({ store, handlers, logger: silentLogger, now: () => at(2) }));
    await Promise.all(sweepers.map((s) => s.sweep()));
    expect(seen.length).toBe(25);
    expect(new Set(seen).size).toBe(25);
    const states = (await Promise.all([...Array(30).keys()].map((i) => store.get(tenant, `staff:P${i}:pledge`)))).map((a) => a?.state);
    expect(states.filter((s) => s === 'done').length).toBe(25);
    expect(states.filter((s) => s === 'pending').length).toBe(5);
  });

  it('a throwing handler is retried after a back-off and failed for good after the last attempt', async () => {
    await store.set('t4', input('register:C-1:d90', 0, 'register'), T0);
    let calls = 0;
    const handlers = new Map<string, AlarmHandler>([
      [
        'register',
        async (a) => {
          if (a.tenantKey === 't4') calls++;
          throw new Error('Lark is down');
        },
      ],
    ]);
    let now = at(1);
    const sweeper = new AlarmSweeper({ store, handlers, logger: silentLogger, now: () => now, backoffMs: () => 60_000 });
    await sweeper.sweep();
    expect(calls).toBe(1);
    // Not again before the back-off has passed.
    await sweeper.sweep();
    expect(calls).toBe(1);
    for (let i = 0; i < MAX_ALARM_ATTEMPTS + 2; i++) {
      now = new Date(now.getTime() + 61_000);
      await sweeper.sweep();
    }
    expect(calls).toBe(MAX_ALARM_ATTEMPTS);
    const a = await store.get('t4', 'register:C-1:d90');
    expect(a).toMatchObject({ state: 'failed', attempts: MAX_ALARM_ATTEMPTS, lastError: 'Lark is down' });
  });

  it('an alarm of a topic nobody handles fails at once, not silently', async () => {
    await store.set('t5', input('ghost:G-1:x', 0, 'ghost'), T0);
    const r = await new AlarmSweeper({ store, handlers: new Map(), logger: silentLogger, now: () => at(1) }).sweep();
    expect(r.failed).toBeGreaterThanOrEqual(1);
    expect((await store.get('t5', 'ghost:G-1:x'))?.state).toBe('failed');
  });

  it('a failure after handling, before marking done, leaves the alarm to be handled again after the back-off', async () => {
    await store.set('t6', input('incident:INC-9:h12', 0, 'incident'), T0);
    const handled: string[] = [];
    const handlers = new Map<string, AlarmHandler>([
      [
        'incident',
        async (a) => {
          if (a.tenantKey === 't6') handled.push(a.key);
          return 'done';
        },
      ],
    ]);
    const dying = new AlarmSweeper({
      store,
      handlers,
      logger: silentLogger,
      now: () => at(1),
      lockMs: 120_000,
      backoffMs: () => 5 * 60_000,
      afterHandle: (a) => {
        if (a.tenantKey === 't6') throw new Error('crash');
      },
    });
    // The thrown hook stands for a failure between the handler and `done`: the alarm is not lost but
    // handled again after the back-off (its messages carry fan-out ids derived from the alarm, so the
    // second hand-over reaches nobody twice); a sweeper before then does not take it.
    await dying.sweep();
    const other = new AlarmSweeper({ store, handlers, logger: silentLogger, now: () => at(2), backoffMs: () => 60_000 });
    await other.sweep();
    expect(handled).toEqual(['incident:INC-9:h12']);
    await new AlarmSweeper({ store, handlers, logger: silentLogger, now: () => at(10) }).sweep();
    expect(handled).toEqual(['incident:INC-9:h12', 'incident:INC-9:h12']);
    expect((await store.get('t6', 'incident:INC-9:h12'))?.state).toBe('done');
  });

  it('a claim left by a dead sweeper runs out, and the next sweeper takes the alarm', async () => {
    await store.set('t7', input('staff:P-1:leave', 0, 'staff'), T0);
    const claimed = await store.claimDue(at(1), 1000, 60_000);
    expect(claimed.some((a) => a.tenantKey === 't7')).toBe(true);
    const seen: string[] = [];
    const handlers = new Map<string, AlarmHandler>([
      [
        'staff',
        async (a) => {
          if (a.tenantKey === 't7') seen.push(a.key);
          return 'done';
        },
      ],
    ]);
    await new AlarmSweeper({ store, handlers, logger: silentLogger, now: () => at(1.5) }).sweep();
    expect(seen).toEqual([]);
    await new AlarmSweeper({ store, handlers, logger: silentLogger, now: () => at(2.5) }).sweep();
    expect(seen).toEqual(['staff:P-1:leave']);
  });
});

describe('notifyByLanguage', () => {
  it('sends one fan-out notice per language, each card drawn in its readers’ language, ids derived from the notice', async () => {
    const sent: { id: string; to: string[]; title: string; card: unknown }[] = [];
    const locales: Record<string, 'zh-CN' | 'en-US'> = { ou_a: 'en-US', ou_b: 'zh-CN' };
    const n = await notifyByLanguage(
      {
        fanout: {
          send: async (i) => {
            sent.push({ id: i.id, to: i.recipients.map((r) => ('openId' in r.to ? r.to.openId : '')), title: i.title, card: i.message });
            return { noticeId: i.id, total: 0, created: true, done: Promise.resolve() };
          },
        },
        prefs: { getLocale: async (_t, id) => locales[id] },
        defaultLocale: 'zh-CN',
      },
      {
        id: 'alarm:t:x',
        tenantKey: 't',
        title: 'T',
        recipients: ['ou_a', 'ou_b', 'ou_c', 'ou_a'],
        draw: (lang) => ({ schema: '2.0', body: { elements: [{ tag: 'markdown', content: lang }] } }) as never,
      },
    );
    expect(n).toBe(3);
    expect(sent.map((s) => [s.id, s.to])).toEqual([
      ['alarm:t:x:en-US', ['ou_a']],
      ['alarm:t:x:zh-CN', ['ou_b', 'ou_c']],
    ]);
    expect(JSON.stringify(sent[0]!.card)).toContain('en-US');
    expect(JSON.stringify(sent[1]!.card)).toContain('zh-CN');
  });
});
