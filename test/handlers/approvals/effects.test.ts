/**
 * Effects fail safely: each effect has its own attempts, back-off and dead letter; storage effects
 * never wait behind a message; a permanent Lark refusal fails one message and nothing else; the
 * sweep picks work by due time so poisoned requests never starve healthy ones; one runner per
 * request across instances. On the real store, with no Lark-side uuid de-duplication.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Command } from '../../../domain/index.js';
import { useTestDb, type TestDb } from '../../helpers/mongo.js';
import { approveAll, serviceHarness, TENANT, type ServiceHarness } from '../../helpers/approval-service.js';
import { localDateIn, registerCarrier as registerCarrierIn } from '../../helpers/approval-service.js';

const U = {
  officer: 'ou_f6e440d0604342760f037796e92f5830', // 李娜, 保密员
  officer2: 'ou_3d727b0ca15b4633069e38302d59c830', // 黄敏, 保密员
  staff: 'ou_34bf8052ce3c4a7d967c03c0a763b2b2', // 孙浩 (综合处)
  staffRd: 'ou_29eacd7ebd92f24f7e1a5dba6b277743', // 赵磊 (研发部)
  generalHead: 'ou_d87f2e0d69549e4af1c7ad4ea914c243', // 陈静, head of 综合处
};

let db: TestDb;
let h: ServiceHarness;
const ledger = () => db.connection.collection('ledger_entries');
const audit = () => db.connection.collection('audit_log');

beforeAll(async () => {
  db = await useTestDb();
  // Short back-off so retries are observable; the clock is moved by hand.
  h = await serviceHarness(db, { effects: { backoffMs: (n) => n * 60_000, maxAttempts: 3, leaseMs: 5_000 } });
});
afterAll(() => db.close());
beforeEach(() => {
  h.clock.now = new Date();
});

const dueIn = (days: number) => localDateIn(days, h.clock.now);

async function approvedCarry(requester: string, carrier: string): Promise<string> {
  const s = await h.service.create(TENANT, {
    kind: 'CARRY_OUT',
    requesterId: requester,
    carrierNumbers: [carrier],
    details: { destination: '市保密局', due: dueIn(3), purpose: '汇报' },
    channel: 'command',
  });
  await approveAll(h.service, h.repos, s.request.id);
  return s.request.id;
}

async function act(id: string, command: Command, actor: string) {
  const r = await h.service.act(TENANT, id, command, actor, 'command');
  await r.done;
  return r;
}

const registerCarrier = (number: string) => registerCarrierIn(h.repos, number);

describe('a message Lark refuses for good', () => {
  it('fails alone: ledger, audit and carrier status are written, the next step works, and the dead letter can be retried once', async () => {
    await registerCarrier('EFF-001');
    const id = await approvedCarry(U.staff, 'EFF-001');
    h.sender.refuse(U.staff, 230013); // the carrier person is outside the app's availability
    const out = await act(id, { type: 'check_out' }, U.officer);
    expect(out.ok).toBe(true);

    expect(await ledger().countDocuments({ tenantKey: TENANT, ledger: 'CARRY', event: 'CHECKED_OUT', requestId: id })).toBe(1);
    expect(await audit().countDocuments({ tenantKey: TENANT, objectId: id, action: 'request.check_out' })).toBe(1);
    expect((await h.repos.carriers.get(TENANT, 'EFF-001'))!.status).toBe('CHECKED_OUT');
    const stored = (await h.repos.requests.get(TENANT, id))!;
    expect(stored.pending).toEqual([]);
    const dead = (await h.service.deadLetters(TENANT)).filter((d) => d.requestId === id);
    expect(dead).toHaveLength(1);
    expect(dead[0]!.effect).toMatchObject({ type: 'notify', template: 'notify.checked_out', attempts: 1 });
    expect(dead[0]!.effect.lastError).toContain('230013');
    expect(h.metrics.effectsDeadLettered.get({ type: 'notify' })).toBeGreaterThanOrEqual(1);

    // The next step is not held back by the failed message.
    const received = await act(id, { type: 'return_carrier' }, U.officer2);
    expect(received.ok).toBe(true);
    expect((await h.repos.requests.get(TENANT, id))!.request.state).toBe('RETURNED');

    // Receiving the carriers told the unreachable carrier person too: a second dead letter.
    const letters = (await h.service.deadLetters(TENANT)).filter((d) => d.requestId === id);
    expect(letters.map((d) => d.effect.type === 'notify' && d.effect.template).sort()).toEqual(['notify.carry_returned', 'notify.checked_out']);

    // Reachable again: the officer retries the dead letters; each is sent once, and only once.
    h.sender.allow(U.staff);
    const before = h.sender.to(U.staff).length;
    const [first, second] = await Promise.all([h.service.retryDead(TENANT, id), h.service.retryDead(TENANT, id)]);
    expect([first.revived, second.revived].sort()).toEqual([0, 2]);
    await Promise.all([first.done, second.done]);
    await h.service.recover();
    const told = h.sender
      .to(U.staff)
      .slice(before)
      .filter((s) => s.message.type === 'text' && s.message.text.includes(id));
    expect(told).toHaveLength(2);
    expect((await h.service.deadLetters(TENANT)).filter((d) => d.requestId === id)).toHaveLength(0);
  });

  it('a role notification reaches every other holder when one of them is unreachable', async () => {
    await registerCarrier('EFF-002');
    const id = await approvedCarry(U.staff, 'EFF-002');
    await act(id, { type: 'check_out' }, U.officer);
    h.sender.refuse(U.officer);
    const before = h.sender.to(U.officer2).length;
    expect((await act(id, { type: 'announce_return' }, U.staff)).ok).toBe(true);
    // 黄敏 is told although 李娜 cannot be reached; the effect is a dead letter naming 李娜.
    expect(
      h.sender
        .to(U.officer2)
        .slice(before)
        .some((s) => s.message.type === 'text' && s.message.text.includes(id)),
    ).toBe(true);
    const dead = (await h.service.deadLetters(TENANT)).filter((d) => d.requestId === id);
    expect(dead.map((d) => d.effect.lastError).join()).toContain(U.officer);
    h.sender.allow(U.officer);
  });
});

describe('a message that fails for a while', () => {
  it('is retried after its back-off, not before, and sent once; after maxAttempts it becomes a dead letter', async () => {
    await registerCarrier('EFF-003');
    const id = await approvedCarry(U.staff, 'EFF-003');
    h.sender.flaky(U.staff, 1);
    await act(id, { type: 'check_out' }, U.officer);
    let stored = (await h.repos.requests.get(TENANT, id))!;
    expect(stored.pending).toHaveLength(1);
    expect(stored.pending[0]).toMatchObject({ type: 'notify', attempts: 1 });
    const nextAt = new Date(stored.pending[0]!.nextAt!).getTime();
    expect(nextAt - h.clock.now.getTime()).toBe(60_000);
    // Storage effects did not wait for it.
    expect(await ledger().countDocuments({ tenantKey: TENANT, ledger: 'CARRY', event: 'CHECKED_OUT', requestId: id })).toBe(1);

    await h.service.recover();
    expect((await h.repos.requests.get(TENANT, id))!.pending).toHaveLength(1); // not due yet
    h.clock.now = new Date(nextAt + 1);
    await h.service.recover();
    stored = (await h.repos.requests.get(TENANT, id))!;
    expect(stored.pending).toHaveLength(0);
    expect(h.sender.to(U.staff).filter((s) => s.message.type === 'text' && s.message.text.includes(id) && s.message.text.includes('已登记外出'))).toHaveLength(1);

    // Three failures in a row (maxAttempts = 3): a dead letter, not an endless retry.
    h.sender.flaky(U.staff, 10);
    // The officer receives the carriers: the carrier person is told (their own `/return` is
    // answered by its reply alone, so the notice to them comes from the officer's act).
    await act(id, { type: 'return_carrier' }, U.officer);
    for (let i = 0; i < 3; i++) {
      h.clock.now = new Date(h.clock.now.getTime() + 10 * 60_000);
      await h.service.recover();
    }
    const dead = (await h.service.deadLetters(TENANT)).filter((d) => d.requestId === id);
    expect(dead.map((d) => d.effect.attempts)).toEqual([3]);
    expect((await h.repos.requests.get(TENANT, id))!.pending).toHaveLength(0);
    h.sender.flaky(U.staff, 0);
  });
});

describe('the sweep', () => {
  it('150 requests with a permanently failing notification and 1 crashed healthy request: the next sweep repairs the healthy one, every poisoned request has its storage effects', async () => {
    const poisoned: string[] = [];
    h.sender.refuse(U.staffRd);
    const t0 = performance.now();
    for (let i = 0; i < 150; i++) {
      const s = await h.service.create(TENANT, {
        kind: 'COPY',
        requesterId: U.staffRd,
        carrierNumbers: ['JM-2026-002'],
        details: { copies: 1, purpose: `批量 ${i}` },
        channel: 'command',
      });
      poisoned.push(s.request.id);
    }
    const created = performance.now() - t0;
    // A healthy request whose process "crashed" after the commit: its effects were never run.
    const crashed = await serviceHarnessCrashOnce();
    const t1 = performance.now();
    await h.service.recover();
    const swept = performance.now() - t1;

    const healthy = (await h.repos.requests.get(TENANT, crashed))!;
    expect(healthy.pending).toEqual([]);
    expect(await audit().countDocuments({ tenantKey: TENANT, objectId: crashed, action: 'request.submit' })).toBe(1);
    for (const id of poisoned) {
      const s = (await h.repos.requests.get(TENANT, id))!;
      expect(s.pending).toEqual([]);
      expect(s.dead?.some((d) => d.type === 'notify')).toBe(true);
    }
    expect(await audit().countDocuments({ tenantKey: TENANT, objectId: { $in: poisoned }, action: { $in: ['request.create', 'request.submit'] } })).toBe(300);
    expect(await db.connection.collection('reminders').countDocuments({ tenantKey: TENANT, requestId: { $in: poisoned } })).toBeGreaterThanOrEqual(150);
    console.log(`[effects] 150 poisoned requests created in ${created.toFixed(0)} ms; the next sweep repaired the crashed healthy one in ${swept.toFixed(0)} ms`);
    h.sender.allow(U.staffRd);
  }, 120_000);

  it('requests whose messages keep failing wait out their back-off and do not crowd a crashed healthy request out of the sweep', async () => {
    const flaky = 'ou_bc069cd99b82ad8c509d23d6d056fff6'; // 周杰: every message to him fails for now (retryable)
    h.sender.flaky(flaky, 1_000_000);
    const poisoned: string[] = [];
    try {
      for (let i = 0; i < 110; i++) {
        const s = await h.service.create(TENANT, {
          kind: 'COPY',
          requesterId: flaky,
          carrierNumbers: ['JM-2026-001'],
          details: { copies: 1, purpose: `重试 ${i}` },
          channel: 'command',
        });
        poisoned.push(s.request.id);
      }
      // Each waits out its back-off with the failed message still in its outbox.
      const first = (await h.repos.requests.get(TENANT, poisoned[0]!))!;
      expect(first.pending.map((e) => e.attempts)).toEqual([1]);
      const crashed = await serviceHarnessCrashOnce();
      // One sweep, in batches of 100: the crashed request is due, the 110 older ones are not.
      const ran = await h.service.recover({ batch: 100 });
      expect(ran).toBe(1);
      expect((await h.repos.requests.get(TENANT, crashed))!.pending).toEqual([]);
      expect((await h.repos.requests.get(TENANT, poisoned[0]!))!.pending).toHaveLength(1);
    } finally {
      h.sender.flaky(flaky, 0);
    }
  }, 120_000);

  it('a notice for a role nobody holds is a dead letter, not silence', async () => {
    await registerCarrier('EFF-006');
    const id = await approvedCarry(U.staff, 'EFF-006');
    const holders = await h.repos.roles.holders(TENANT, 'security_head');
    for (const p of holders) await h.repos.roles.revoke(TENANT, p, 'security_head', 'test');
    try {
      await act(id, { type: 'check_out' }, U.officer);
      await act(id, { type: 'return_carrier' }, U.officer2);
      expect((await act(id, { type: 'inspect', ok: false, note: '封条破损' }, U.officer2)).ok).toBe(true);
      expect(await h.repos.roles.holders(TENANT, 'security_head')).toEqual([]);
      const dead = (await h.repos.requests.get(TENANT, id))!.dead ?? [];
      expect(dead.map((d) => d.lastError)).toEqual(['nobody holds the role security_head']);
    } finally {
      for (const p of holders) await h.repos.roles.grant(TENANT, p, 'security_head', 'test');
    }
  });

  it('two runs of one instance at once (the live path and the sweep) carry out each effect once', async () => {
    await registerCarrier('EFF-005');
    const id = await approvedCarry(U.staff, 'EFF-005');
    const crash = await h.another({
      beforeEffect: () => {
        throw new Error('crash');
      },
    });
    await (await crash.service.act(TENANT, id, { type: 'check_out' }, U.officer, 'command')).done;
    await crash.close();
    const sentBefore = h.sender.sent.length;
    h.sender.delayMs = 50; // both runs would pass the message log's check before either records
    try {
      await Promise.all([h.service.run(TENANT, id), h.service.run(TENANT, id), h.service.run(TENANT, id)]);
      await h.service.recover();
    } finally {
      h.sender.delayMs = 0;
    }
    expect((await h.repos.requests.get(TENANT, id))!.pending).toEqual([]);
    expect(h.sender.sent.slice(sentBefore).filter((s) => s.message.type === 'text' && s.message.text.includes(id))).toHaveLength(1);
  });

  it('two instances running one request at once carry out each effect once', async () => {
    await registerCarrier('EFF-004');
    const id = await approvedCarry(U.staff, 'EFF-004');
    const other = await h.another();
    try {
      // Commit the check-out without running it, then let both instances race on the outbox.
      const crash = await h.another({
        beforeEffect: () => {
          throw new Error('crash');
        },
      });
      const r = await crash.service.act(TENANT, id, { type: 'check_out' }, U.officer, 'command');
      await r.done;
      await crash.close();
      expect((await h.repos.requests.get(TENANT, id))!.pending.length).toBeGreaterThan(3);
      const sentBefore = h.sender.sent.length;
      await Promise.all([h.service.run(TENANT, id), other.service.run(TENANT, id), h.service.recover(), other.service.recover()]);
      await h.service.recover();
      expect((await h.repos.requests.get(TENANT, id))!.pending).toEqual([]);
      expect(await ledger().countDocuments({ tenantKey: TENANT, ledger: 'CARRY', event: 'CHECKED_OUT', requestId: id })).toBe(1);
      const texts = h.sender.sent.slice(sentBefore).filter((s) => s.message.type === 'text' && s.message.text.includes(id));
      expect(texts).toHaveLength(1);
    } finally {
      await other.close();
    }
  });
});

/** Creates and submits a copy request on an instance that "crashes" before its first effect. */
async function serviceHarnessCrashOnce(): Promise<string> {
  const crash = await h.another({
    beforeEffect: () => {
      throw new Error('crash');
    },
  });
  try {
    const s = await crash.service.create(TENANT, {
      kind: 'COPY',
      requesterId: U.staff,
      carrierNumbers: ['MM-2026-001'],
      details: { copies: 1, purpose: '健康请求' },
      channel: 'command',
    });
    expect(s.pending.length).toBeGreaterThan(0);
    return s.request.id;
  } finally {
    await crash.close();
  }
}
