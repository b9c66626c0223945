/**
 * Custody is a claim, not a check: one carrier, one holder, one copy number — under races, through
 * the whole approval service on the real store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isBotError } from '../../../bot/core/errors.js';
import type { Command, Kind } from '../../../domain/index.js';
import { translator } from '../../../locales/index.js';
import { useTestDb, type TestDb } from '../../helpers/mongo.js';
import { approveAll, serviceHarness, TENANT, type ServiceHarness } from '../../helpers/approval-service.js';
import { localDateIn, registerCarrier as registerCarrierIn } from '../../helpers/approval-service.js';

const U = {
  officer: 'ou_f6e440d0604342760f037796e92f5830', // 李娜
  officer2: 'ou_3d727b0ca15b4633069e38302d59c830', // 黄敏
  staff: 'ou_34bf8052ce3c4a7d967c03c0a763b2b2', // 孙浩
  staffRd: 'ou_29eacd7ebd92f24f7e1a5dba6b277743', // 赵磊
  staffRd2: 'ou_bc069cd99b82ad8c509d23d6d056fff6', // 周杰
  staffFinance: 'ou_fb58a3b3511402394d52e54c3ef6ad3d', // 徐丽
  leader: 'ou_8fbd6a6e1c05bbab7f4345207e5d5249', // 王强
  principal: 'ou_43e16629f3e8b23fbf9ef91895bd2327', // 刘洋
};
const STAFF = [U.staff, U.staffRd, U.staffRd2, U.staffFinance];

let db: TestDb;
let h: ServiceHarness;
const ledger = () => db.connection.collection('ledger_entries');

beforeAll(async () => {
  db = await useTestDb();
  h = await serviceHarness(db);
});
afterAll(() => db.close());

const dueIn = (days: number) => localDateIn(days);

const register = (number: string) => registerCarrierIn(h.repos, number);

const DETAILS: Record<Kind, (i: number) => Record<string, unknown>> = {
  CARRY_OUT: (i) => ({ destination: `外单位 ${i}`, due: dueIn(3), purpose: '汇报' }),
  COPY: (i) => ({ copies: 2, purpose: `会议 ${i}` }),
  DESTROY: () => ({ reason: '失去保存价值', method: '粉碎', site: '本单位保密室' }),
};

async function approved(kind: Kind, carrier: string, requester: string, i = 0): Promise<string> {
  const s = await h.service.create(TENANT, { kind, requesterId: requester, carrierNumbers: [carrier], details: DETAILS[kind](i), channel: 'command' });
  await approveAll(h.service, h.repos, s.request.id);
  return s.request.id;
}

/** Runs a command; a refusal (workflow or custody) comes back as its localised text. */
async function attempt(id: string, command: Command, actor: string): Promise<{ ok: true } | { ok: false; key: string; params: Record<string, unknown>; text: string }> {
  try {
    const r = await h.service.act(TENANT, id, command, actor, 'card');
    await r.done;
    if (r.ok) return { ok: true };
    return { ok: false, key: `workflow:${r.error.code}`, params: r.error.params ?? {}, text: translator('zh-CN')(`workflow:${r.error.code}`, r.error.params) };
  } catch (err) {
    if (!isBotError(err)) throw err;
    return { ok: false, key: err.key, params: err.params, text: translator('zh-CN')(err.key, err.params) };
  }
}

describe('check-out', () => {
  it('20 approved carry-outs of one carrier checked out at once: exactly 1 succeeds, 19 localised refusals naming the holder, 1 CHECKED_OUT entry', async () => {
    await register('CUS-001');
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(await approved('CARRY_OUT', 'CUS-001', STAFF[i % STAFF.length]!, i));
    const t0 = performance.now();
    const results = await Promise.all(ids.map((id, i) => attempt(id, { type: 'check_out' }, i % 2 ? U.officer : U.officer2)));
    const ms = performance.now() - t0;
    const won = ids.filter((_, i) => results[i]!.ok);
    expect(won).toHaveLength(1);
    const refusals = results.filter((r): r is Extract<typeof r, { ok: false }> => !r.ok);
    expect(refusals).toHaveLength(19);
    for (const r of refusals) {
      expect(r.key).toBe('request:carrier_held');
      expect(r.params.holder).toBe(won[0]);
      expect(r.text).toContain(won[0]!);
      expect(r.text).toContain('CUS-001');
    }
    expect(await ledger().countDocuments({ tenantKey: TENANT, ledger: 'CARRY', event: 'CHECKED_OUT', carrierNumber: 'CUS-001' })).toBe(1);
    const carrier = (await h.repos.carriers.get(TENANT, 'CUS-001'))! as { status: string; statusRequestId?: string };
    expect(carrier).toMatchObject({ status: 'CHECKED_OUT', statusRequestId: won[0] });
    for (const id of ids) expect((await h.repos.requests.get(TENANT, id))!.request.state).toBe(id === won[0] ? 'OUT' : 'APPROVED');
    console.log(`[custody] 20 concurrent check-outs of one carrier: 1 won, 19 refused, in ${ms.toFixed(0)} ms`);
  }, 60_000);

  it('two officers clicking Check out on the same request at once: one transition, and the carrier stays held by it', async () => {
    await register('CUS-002');
    const id = await approved('CARRY_OUT', 'CUS-002', U.staff);
    const [a, b] = await Promise.all([attempt(id, { type: 'check_out' }, U.officer), attempt(id, { type: 'check_out' }, U.officer2)]);
    expect([a.ok, b.ok].filter(Boolean)).toHaveLength(1);
    expect((await h.repos.carriers.get(TENANT, 'CUS-002'))!.status).toBe('CHECKED_OUT');
    expect(await ledger().countDocuments({ tenantKey: TENANT, ledger: 'CARRY', event: 'CHECKED_OUT', requestId: id })).toBe(1);
  });
});

describe('return and inspection', () => {
  it('the carrier person announces, an officer receives, and only the inspection puts the carrier back in stock', async () => {
    await register('CUS-003');
    const first = await approved('CARRY_OUT', 'CUS-003', U.staff);
    const second = await approved('CARRY_OUT', 'CUS-003', U.staffRd, 1);
    expect((await attempt(first, { type: 'check_out' }, U.staff)).ok).toBe(false); // handing out is the officer's act
    expect((await attempt(first, { type: 'check_out' }, U.officer)).ok).toBe(true);
    expect((await attempt(first, { type: 'return_carrier' }, U.staff)).ok).toBe(false); // receiving too
    expect((await attempt(first, { type: 'announce_return' }, U.staff)).ok).toBe(true);
    expect((await h.repos.carriers.get(TENANT, 'CUS-003'))!.status).toBe('CHECKED_OUT');
    expect((await attempt(first, { type: 'return_carrier' }, U.officer)).ok).toBe(true);
    // Received, not yet inspected: still held, so the other carry-out cannot take it.
    expect((await h.repos.carriers.get(TENANT, 'CUS-003'))!.status).toBe('CHECKED_OUT');
    const early = await attempt(second, { type: 'check_out' }, U.officer2);
    expect(early).toMatchObject({ ok: false, key: 'request:carrier_held', params: { holder: first } });
    expect((await attempt(first, { type: 'inspect', ok: true }, U.officer2)).ok).toBe(true);
    expect((await h.repos.carriers.get(TENANT, 'CUS-003'))!.status).toBe('IN_STOCK');
    expect((await attempt(second, { type: 'check_out' }, U.officer2)).ok).toBe(true);
  });
});

describe('destruction against check-out', () => {
  it('the final approval of a destruction and a check-out of the same carrier at once: exactly one takes it', async () => {
    await register('CUS-004');
    const carry = await approved('CARRY_OUT', 'CUS-004', U.staff);
    const s = await h.service.create(TENANT, { kind: 'DESTROY', requesterId: U.staffRd, carrierNumbers: ['CUS-004'], details: DETAILS.DESTROY(0), channel: 'command' });
    const destroy = s.request.id;
    // Approve all but the last step.
    for (;;) {
      const r = (await h.repos.requests.get(TENANT, destroy))!.request;
      if (r.currentStep === r.steps.length - 1) break;
      const decided = new Set(r.steps.map((x) => x.decidedBy));
      const who = r.steps[r.currentStep!]!.assignees.find((a) => a !== r.requesterId && !decided.has(a))!;
      expect((await attempt(destroy, { type: 'approve' }, who)).ok).toBe(true);
    }
    const r = (await h.repos.requests.get(TENANT, destroy))!.request;
    const decided = new Set(r.steps.map((x) => x.decidedBy));
    const last = r.steps[r.currentStep!]!.assignees.find((a) => a !== r.requesterId && !decided.has(a))!;
    const [out, approve] = await Promise.all([attempt(carry, { type: 'check_out' }, U.officer), attempt(destroy, { type: 'approve' }, last)]);
    expect([out.ok, approve.ok].filter(Boolean)).toHaveLength(1);
    const loser = out.ok ? approve : out;
    expect(loser).toMatchObject({ ok: false, key: 'request:carrier_held' });
    const c = (await h.repos.carriers.get(TENANT, 'CUS-004'))! as { status: string; statusRequestId?: string };
    expect(c).toMatchObject(out.ok ? { status: 'CHECKED_OUT', statusRequestId: carry } : { status: 'PENDING_DESTRUCTION', statusRequestId: destroy });
    // The loser did not move on.
    expect((await h.repos.requests.get(TENANT, out.ok ? destroy : carry))!.request.state).toBe(out.ok ? 'IN_APPROVAL' : 'APPROVED');
  });
});

describe('copy numbers', () => {
  it('20 concurrent copy completions of one original: every copy number distinct, each registered once in MASTER', async () => {
    await register('CUS-005');
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(await approved('COPY', 'CUS-005', STAFF[i % STAFF.length]!, i));
    const t0 = performance.now();
    const results = await Promise.all(
      ids.map((id, i) => attempt(id, { type: 'complete_copy', copiesMade: 2, originalsReturned: true, wasteRecovered: true, deviceWiped: true }, i % 2 ? U.officer : U.officer2)),
    );
    const ms = performance.now() - t0;
    expect(results.every((r) => r.ok)).toBe(true);
    const numbers = (await Promise.all(ids.map(async (id) => (await h.repos.requests.get(TENANT, id))!.request))).flatMap((r) =>
      r.kind === 'COPY' ? (r.details.execution?.newNumbers ?? []) : [],
    );
    expect(numbers).toHaveLength(40);
    expect(new Set(numbers).size).toBe(40);
    expect(new Set(numbers)).toEqual(new Set(Array.from({ length: 40 }, (_, i) => `CUS-005-C${i + 1}`)));
    const master = await ledger()
      .find({ tenantKey: TENANT, ledger: 'MASTER', event: 'REGISTERED', carrierNumber: { $in: numbers } })
      .toArray();
    expect(master).toHaveLength(40);
    expect(new Set(master.map((m) => m.carrierNumber)).size).toBe(40);
    for (const n of numbers) expect((await h.repos.carriers.get(TENANT, n))!.parentNumber).toBe('CUS-005');
    console.log(`[custody] 20 concurrent copy completions (2 copies each): 40 distinct numbers, 40 MASTER entries, in ${ms.toFixed(0)} ms`);
  }, 60_000);

  it('a copy number registered by hand is never reused', async () => {
    await register('CUS-006');
    await register('CUS-006-C1');
    const id = await approved('COPY', 'CUS-006', U.staff);
    expect((await attempt(id, { type: 'complete_copy', copiesMade: 1, originalsReturned: true, wasteRecovered: true, deviceWiped: true }, U.officer)).ok).toBe(true);
    const r = (await h.repos.requests.get(TENANT, id))!.request;
    expect(r.kind === 'COPY' && r.details.execution?.newNumbers).toEqual(['CUS-006-C2']);
  });
});

describe('claims that outlive their moment', () => {
  it('a take effect replayed late (after a back-off or a dead-letter retry) does not take back a carrier that was returned', async () => {
    await register('CUS-010');
    const id = await approved('CARRY_OUT', 'CUS-010', U.staff);
    expect((await attempt(id, { type: 'check_out' }, U.officer)).ok).toBe(true);
    const takeEffect = (await db.connection.collection('requests').findOne({ _id: `${TENANT}:${id}` } as never))!;
    // The check-out's carrier.status effect, as the outbox held it.
    const version = (takeEffect.request as { version: number }).version;
    expect((await attempt(id, { type: 'return_carrier' }, U.officer2)).ok).toBe(true);
    expect((await attempt(id, { type: 'inspect', ok: true }, U.officer2)).ok).toBe(true);
    expect((await h.repos.carriers.get(TENANT, 'CUS-010'))!.status).toBe('IN_STOCK');
    // Put the old take effect back into the outbox, due now, and let the sweep run it.
    const now = h.clock.now;
    await db.connection.collection('requests').updateOne(
      { _id: `${TENANT}:${id}` } as never,
      {
        $push: { pending: { type: 'carrier.status', number: 'CUS-010', status: 'CHECKED_OUT', key: `${id}:${version}:99:carrier.status`, requestId: id, version, nextAt: now } },
        $set: { nextEffectAt: now },
      } as never,
    );
    await h.service.recover();
    expect((await h.repos.carriers.get(TENANT, 'CUS-010'))!.status).toBe('IN_STOCK');
    expect((await h.repos.requests.get(TENANT, id))!.pending).toEqual([]);
  });

  it('a claim left by a crash between claim and commit is given back when its request ends, and taken over once stale', async () => {
    await register('CUS-011');
    await register('CUS-012');
    const stranded = await approved('CARRY_OUT', 'CUS-011', U.staff);
    const other = await approved('CARRY_OUT', 'CUS-011', U.staffRd, 1);
    // The "crash": the claim is made, the commit never happens (the request stays APPROVED).
    expect(await h.repos.carriers.claim(TENANT, 'CUS-011', 'CHECKED_OUT', stranded)).toEqual({ ok: true });
    expect(await attempt(other, { type: 'check_out' }, U.officer)).toMatchObject({ ok: false, key: 'request:carrier_held', params: { holder: stranded } });
    // The stranded request expires unexecuted: its guarded release gives the carrier back.
    h.clock.now = new Date(Date.now() + 8 * 86_400_000);
    try {
      const r = await h.service.act(TENANT, stranded, { type: 'expire' }, 'system', 'system');
      expect(r.ok).toBe(true);
      await r.done;
    } finally {
      h.clock.now = new Date();
    }
    expect((await h.repos.carriers.get(TENANT, 'CUS-011'))!.status).toBe('IN_STOCK');
    expect((await attempt(other, { type: 'check_out' }, U.officer)).ok).toBe(true);

    // A stranded claim whose request is still APPROVED: refused while fresh, taken over once stale.
    const stranded2 = await approved('CARRY_OUT', 'CUS-012', U.staff, 2);
    const other2 = await approved('CARRY_OUT', 'CUS-012', U.staffRd, 3);
    expect(await h.repos.carriers.claim(TENANT, 'CUS-012', 'CHECKED_OUT', stranded2)).toEqual({ ok: true });
    expect((await attempt(other2, { type: 'check_out' }, U.officer)).ok).toBe(false);
    h.clock.now = new Date(Date.now() + 3 * 60_000);
    try {
      expect((await attempt(other2, { type: 'check_out' }, U.officer)).ok).toBe(true);
    } finally {
      h.clock.now = new Date();
    }
    expect((await h.repos.carriers.get(TENANT, 'CUS-012')) as { status: string; statusRequestId?: string }).toMatchObject({ status: 'CHECKED_OUT', statusRequestId: other2 });
  });

  it('the give-back of a failed attempt never releases what a later attempt of the same request took', async () => {
    await register('CUS-013');
    const id = await approved('CARRY_OUT', 'CUS-013', U.staff);
    expect(await h.repos.carriers.claim(TENANT, 'CUS-013', 'CHECKED_OUT', id, { token: 'attempt-a' })).toEqual({ ok: true });
    expect(await h.repos.carriers.claim(TENANT, 'CUS-013', 'CHECKED_OUT', id, { token: 'attempt-b' })).toEqual({ ok: true });
    // Attempt A gives back "its" claim: it is B's now, so nothing moves.
    expect(await h.repos.carriers.release(TENANT, 'CUS-013', 'CHECKED_OUT', id, 'attempt-a')).toBe(false);
    expect((await h.repos.carriers.get(TENANT, 'CUS-013'))!.status).toBe('CHECKED_OUT');
    expect(await h.repos.carriers.release(TENANT, 'CUS-013', 'CHECKED_OUT', id, 'attempt-b')).toBe(true);
  });
});
