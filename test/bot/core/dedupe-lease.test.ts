/**
 * The dedupe middleware with leases: a message is acknowledged after it was handled; an
 * unexpected failure releases the claim and asks for redelivery; a refusal that was answered is
 * done; a dead holder's claim is taken over after its lease; a slow handler keeps its lease alive.
 */
import { describe, expect, it, vi } from 'vitest';
import { BotError } from '../../../bot/core/errors.js';
import { Router } from '../../../bot/core/router.js';
import { encodeAction } from '../../../cards/action-value.js';
import { MemoryDedupeStore } from '../../../models/dedupe.model.js';
import { appWith, clickEvent, fakeServices, textEvent } from '../../helpers/fake-services.js';
import type { App } from '../../../bot/core/app.js';
import type { BotEvent, CardResponse } from '../../../bot/core/types.js';

const LEASE = 10_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function clock(start = Date.parse('2026-11-30T08:00:00Z')) {
  let t = start;
  return { now: () => new Date(t), advance: (ms: number) => void (t += ms) };
}

type Seen = { response?: CardResponse; retry?: boolean; sentBefore: number };
function setup(router: Router, store: MemoryDedupeStore) {
  const services = fakeServices({ dedupe: store });
  const { app } = appWith(router, services);
  const deliver = async (event: BotEvent): Promise<Seen[]> => {
    const seen: Seen[] = [];
    await app.dispatch(event, (response, opts) => seen.push({ response, retry: opts?.retry, sentBefore: services.sender.sent.length }));
    return seen;
  };
  return { app: app as App, services, deliver };
}

describe('dedupe middleware: the claim is a lease', () => {
  it('a message is acknowledged after it was handled and answered, and its claim is then done', async () => {
    const store = new MemoryDedupeStore(clock().now, LEASE);
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const router = new Router().command({
      name: 'gate',
      aliases: [],
      handler: async (ctx) => {
        await gate;
        await ctx.reply({ type: 'text', text: 'ok' });
      },
    });
    const { app, services } = setup(router, store);
    const ev = textEvent('/gate');
    const seen: Seen[] = [];
    const running = app.dispatch(ev, (response, opts) => seen.push({ response, retry: opts?.retry, sentBefore: services.sender.sent.length }));
    await sleep(30);
    // Claimed and being handled, but not acknowledged: a crash now means Lark delivers it again.
    expect(store.stateOf(`msg:${ev.messageId}`)).toBe('processing');
    expect(seen).toEqual([]);
    open();
    await running;
    expect(seen).toEqual([{ response: undefined, retry: undefined, sentBefore: 1 }]);
    expect(services.sender.texts()).toEqual(['ok']);
    expect(store.stateOf(`msg:${ev.messageId}`)).toBe('done');
  });

  it('an unexpected failure answers, releases the claim and asks for redelivery; the redelivery is handled', async () => {
    const store = new MemoryDedupeStore(clock().now, LEASE);
    let calls = 0;
    const router = new Router().command({
      name: 'flaky',
      aliases: [],
      handler: async (ctx) => {
        calls += 1;
        if (calls === 1) throw new Error('store timeout');
        await ctx.reply({ type: 'text', text: 'created' });
      },
    });
    const { services, deliver } = setup(router, store);
    const ev = textEvent('/flaky');
    const first = await deliver(ev);
    expect(first).toEqual([{ response: undefined, retry: true, sentBefore: 1 }]);
    expect(services.sender.texts()[0]).toMatch(/参考号 [0-9a-f]{8}/);
    expect(store.stateOf(`msg:${ev.messageId}`)).toBeUndefined();
    // Lark's redelivery (15 s later) is handled afresh and acknowledged normally.
    const second = await deliver({ ...ev });
    expect(second).toEqual([{ response: undefined, retry: undefined, sentBefore: 2 }]);
    expect(services.sender.texts()[1]).toBe('created');
    expect(store.stateOf(`msg:${ev.messageId}`)).toBe('done');
    // Any later duplicate is dropped.
    await deliver({ ...ev });
    expect(calls).toBe(2);
    expect(services.metrics.eventsDeduplicated.get({ kind: 'message' })).toBe(1);
  });

  it('an answer that could not be delivered also releases the claim (Lark down), unless Lark refused it for good', async () => {
    const store = new MemoryDedupeStore(clock().now, LEASE);
    const router = new Router().command({ name: 'hi', aliases: [], handler: async (ctx) => void (await ctx.reply({ type: 'text', text: 'hi' })) });
    const { services, deliver } = setup(router, store);
    const reply = services.sender.reply.bind(services.sender);
    services.sender.reply = async () => {
      throw new Error('socket hang up');
    };
    const down = textEvent('/hi');
    expect((await deliver(down))[0]?.retry).toBe(true);
    expect(store.stateOf(`msg:${down.messageId}`)).toBeUndefined();
    services.sender.reply = async () => {
      throw Object.assign(new Error('230053 the user stopped the bot'), { permanent: true });
    };
    const blocked = textEvent('/hi');
    expect((await deliver(blocked))[0]?.retry).toBeUndefined();
    expect(store.stateOf(`msg:${blocked.messageId}`)).toBe('done');
    services.sender.reply = reply;
  });

  it('a refusal that was answered is done: acknowledged, and a redelivery is dropped', async () => {
    const store = new MemoryDedupeStore(clock().now, LEASE);
    let calls = 0;
    const router = new Router().command({
      name: 'refuse',
      aliases: [],
      handler: async () => {
        calls += 1;
        throw new BotError('errors:forbidden');
      },
    });
    const { services, deliver } = setup(router, store);
    const ev = textEvent('/refuse');
    expect(await deliver(ev)).toEqual([{ response: undefined, retry: undefined, sentBefore: 1 }]);
    expect(store.stateOf(`msg:${ev.messageId}`)).toBe('done');
    await deliver({ ...ev });
    expect(calls).toBe(1);
    expect(services.sender.texts()).toEqual(['您没有执行此操作的权限。']);
  });

  it('a click that failed unexpectedly gets its error toast and frees its token (no redelivery is asked: Lark never redelivers clicks)', async () => {
    const store = new MemoryDedupeStore(clock().now, LEASE);
    let calls = 0;
    const router = new Router().action('boom', async () => {
      calls += 1;
      throw new Error('kaput');
    });
    const { deliver } = setup(router, store);
    const click = clickEvent(encodeAction({ action: 'boom' }));
    const seen = await deliver(click);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.retry).toBeUndefined();
    expect(seen[0]?.response?.toast?.type).toBe('error');
    expect(store.stateOf(`card:${click.token}`)).toBeUndefined();
    await deliver({ ...click });
    expect(calls).toBe(2);
  });

  it('a claim whose holder died is taken over once its lease ran out, not before', async () => {
    const c = clock();
    const store = new MemoryDedupeStore(c.now, LEASE);
    let calls = 0;
    const router = new Router().command({
      name: 'count',
      aliases: [],
      handler: async (ctx) => {
        calls += 1;
        await ctx.reply({ type: 'text', text: 'counted' });
      },
    });
    const { services, deliver } = setup(router, store);
    const ev = textEvent('/count');
    // The process that claimed it died before answering (nothing marks it done or releases it).
    expect(await store.claim(`msg:${ev.messageId}`)).toBe(true);
    c.advance(LEASE - 1);
    await deliver(ev);
    expect(calls).toBe(0);
    c.advance(2); // Lark redelivers after 15 s: the lease (10 s) is over
    expect(await deliver({ ...ev })).toEqual([{ response: undefined, retry: undefined, sentBefore: 1 }]);
    expect(calls).toBe(1);
    expect(services.sender.texts()).toEqual(['counted']);
    expect(store.stateOf(`msg:${ev.messageId}`)).toBe('done');
  });

  it('heartbeat: a handler running past its lease renews it, so a duplicate meanwhile is still dropped', async () => {
    const store = new MemoryDedupeStore(() => new Date(), 100);
    const renew = vi.spyOn(store, 'renew');
    let calls = 0;
    const router = new Router().command({
      name: 'slow',
      aliases: [],
      handler: async (ctx) => {
        calls += 1;
        await sleep(400);
        await ctx.reply({ type: 'text', text: 'slow done' });
      },
    });
    const { services, deliver } = setup(router, store);
    const ev = textEvent('/slow');
    const first = deliver(ev);
    await sleep(250); // well past the 100 ms lease
    await deliver({ ...ev });
    await first;
    expect(calls).toBe(1);
    expect(renew.mock.calls.length).toBeGreaterThanOrEqual(3);
    expect(services.metrics.eventsDeduplicated.get({ kind: 'message' })).toBe(1);
    // Renewal stops with the handler.
    const renewals = renew.mock.calls.length;
    await sleep(150);
    expect(renew.mock.calls.length).toBe(renewals);
    expect(store.stateOf(`msg:${ev.messageId}`)).toBe('done');
  });
});
