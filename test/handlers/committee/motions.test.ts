/**
 * Motions on the store (the embedded MongoDB-compatible server) with a fake clock and a recording
 * fan-out: one vote per member, changed votes, late votes refused, the close claimed and posted
 * exactly once (two sweeps at the same time, and a sweep that died half-way), secret tallies,
 * reminders to members who have not voted, and the argument parser.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../bot/core/config.js';
import { silentLogger } from '../../../bot/core/logger.js';
import { MotionService, localInstant, parseMotionArgs, type MotionDeps } from '../../../handlers/committee/motions.js';
import { decide } from '../../../handlers/committee/rules.js';
import { MotionStore } from '../../../models/motion.model.js';
import type { FanoutInput } from '../../../scheduler/fanout.js';
import { FakeClock } from '../../../scheduler/clock.js';
import { useTestDb, type TestDb } from '../../helpers/mongo.js';

const TZ = 'Asia/Shanghai';
const T = 'tenant1';
const MEMBERS = ['ou_m1', 'ou_m2', 'ou_m3', 'ou_m4'];
const CHAIR = 'ou_chair';

let db: TestDb;
let store: MotionStore;
let clock: FakeClock;
let sent: FanoutInput[];
let audits: { action: string; outcome: string; objectId: string; reason?: string; details?: Record<string, unknown> }[];
let seq = 0;
let failFanout: ((i: FanoutInput) => boolean) | undefined;

function service(over: Partial<MotionDeps> = {}): MotionService {
  return new MotionService({
    motions: store,
    counters: { nextSeq: async () => ++seq },
    roles: { holders: async (_t, role) => (role === 'committee_member' ? MEMBERS : role === 'committee_chair' ? [CHAIR] : []) },
    people: { hasRole: async () => true, names: async () => (id: string) => ({ zh: id, en: id }) },
    audit: {
      record: async (_t: string, a: { action: string; outcome: string; objectId: string; reason?: string; details?: Record<string, unknown> }) => {
        audits.push(a);
        return { record: {}, created: true };
      },
    } as unknown as MotionDeps['audit'],
    prefs: { getLocale: async (_t, id) => (id === 'ou_m4' ? 'en-US' : undefined) },
    fanout: {
      send: async (i) => {
        if (failFanout?.(i)) throw new Error('fan-out store down');
        sent.push(i);
        return { noticeId: i.id, total: i.recipients.length, created: true, done: Promise.resolve() };
      },
    },
    logger: silentLogger,
    timezone: TZ,
    defaultLocale: 'zh-CN',
    now: () => clock.now(),
    ...over,
  });
}

const noticeIds = () => sent.map((s) => s.id);
const cardText = (i: FanoutInput) => JSON.stringify(i.message);

beforeAll(async () => {
  db = await useTestDb();
  store = new MotionStore(db.connection);
  await store.init();
});
afterAll(() => db.close());
beforeEach(async () => {
  await db.connection.collection('motions').deleteMany({});
  await db.connection.collection('motion_votes').deleteMany({});
  clock = new FakeClock('2026-12-01T02:00:00Z'); // 10:00 in Shanghai
  sent = [];
  audits = [];
  failFanout = undefined;
});

const closes = (iso: string) => new Date(iso);

describe('a motion', () => {
  it('goes to every member (the chair too) once, in each member’s language, and is idempotent for a redelivered command', async () => {
    const svc = service();
    const a = { title: '修订保密制度', kind: 'policy' as const, secret: false, closesAt: closes('2026-12-05T10:00:00Z') };
    const { motion, created } = await svc.create(T, CHAIR, a, 'evt-1');
    expect(created).toBe(true);
    expect(motion.members.sort()).toEqual([...MEMBERS, CHAIR].sort());
    expect(noticeIds()).toEqual([`motion:${T}:${motion.id}:vote:en-US`, `motion:${T}:${motion.id}:vote:zh-CN`]);
    expect(sent[0]!.recipients.map((r) => r.to)).toEqual([{ openId: 'ou_m4' }]);
    expect(cardText(sent[0]!)).toContain('Against');
    expect(cardText(sent[0]!)).not.toContain('反对');
    expect(cardText(sent[1]!)).toContain('反对');
    expect(cardText(sent[1]!)).not.toContain('Against');
    const again = await svc.create(T, CHAIR, a, 'evt-1');
    expect(again.created).toBe(false);
    expect(again.motion.id).toBe(motion.id);
    expect(audits.filter((x) => x.action === 'motion.create')).toHaveLength(1);
  });

  it('takes one vote per member, changeable until the close; a late vote is refused and audited', async () => {
    const svc = service();
    const { motion } = await svc.create(T, CHAIR, { title: 'T', kind: 'policy', secret: false, closesAt: closes('2026-12-01T04:00:00Z') }, 'evt-2');
    expect((await svc.vote(T, motion.id, 'ou_m1', 'yes')).previous).toBeUndefined();
    const changed = await svc.vote(T, motion.id, 'ou_m1', 'no');
    expect(changed).toMatchObject({ changed: true, previous: 'yes' });
    expect(await store.votesOf(T, motion.id)).toHaveLength(1);
    expect((await store.voteOf(T, motion.id, 'ou_m1'))!.choice).toBe('no');
    await expect(svc.vote(T, motion.id, 'ou_stranger', 'yes')).rejects.toMatchObject({ key: 'committee:vote.not_member' });
    clock.set('2026-12-01T04:00:00Z');
    await expect(svc.vote(T, motion.id, 'ou_m2', 'yes')).rejects.toMatchObject({ key: 'committee:vote.closed' });
    expect(audits.filter((x) => x.outcome === 'refused').map((x) => x.reason)).toEqual(['not_entitled', 'closed']);
    expect(await store.votesOf(T, motion.id)).toHaveLength(1);
  });

  it('is closed once by the sweep: the result decided, posted to every member and kept', async () => {
    const svc = service();
    const { motion } = await svc.create(T, CHAIR, { title: '人事任免', kind: 'personnel', secret: false, closesAt: closes('2026-12-01T04:00:00Z') }, 'evt-3');
    for (const m of ['ou_m1', 'ou_m2', 'ou_m3']) await svc.vote(T, motion.id, m, 'yes');
    await svc.vote(T, motion.id, 'ou_m4', 'no');
    await svc.vote(T, motion.id, 'ou_m3', 'abstain'); // changed: 2 for of 5 < 2/3
    sent = [];
    expect(await svc.sweep()).toMatchObject({ closed: 0 });
    clock.set('2026-12-01T04:00:30Z');
    const [a, b] = await Promise.all([svc.sweep(), service().sweep()]);
    expect(a.closed + b.closed).toBe(1);
    expect(
      noticeIds()
        .filter((id) => id.includes(':result:'))
        .sort(),
    ).toEqual([`motion:${T}:${motion.id}:result:en-US`, `motion:${T}:${motion.id}:result:zh-CN`]);
    const kept = (await store.get(T, motion.id))!;
    expect(kept.state).toBe('closed');
    expect(kept.result).toMatchObject({ outcome: 'rejected', tally: { yes: 2, no: 1, abstain: 1 }, members: 5, advisory: false });
    expect(audits.filter((x) => x.action === 'motion.close')).toHaveLength(1);
    expect(await svc.sweep()).toMatchObject({ closed: 0 });
  });

  it('decides by the configured rules (BAOMI_VOTE_*) instead of the defaults; refuses invalid rules', async () => {
    const rules = loadConfig({ BAOMI_VOTE_QUORUM: '>=3/5', BAOMI_VOTE_PASS: '>=2/5', BAOMI_VOTE_PERSONNEL: '>=3/5' }).committee.voteRules;
    // 5 members (4 and the chair): 2 yes and 1 no — quorate (3 of 5 ≥ 3/5), 2 yes ≥ 2/5 passes a policy motion.
    const svc = service({ rules });
    const { motion } = await svc.create(T, CHAIR, { title: '制度', kind: 'policy', secret: false, closesAt: closes('2026-12-01T04:00:00Z') }, 'evt-rules');
    for (const m of ['ou_m1', 'ou_m2']) await svc.vote(T, motion.id, m, 'yes');
    await svc.vote(T, motion.id, 'ou_m3', 'no');
    clock.set('2026-12-01T04:00:30Z');
    expect(await svc.sweep()).toMatchObject({ closed: 1 });
    expect((await store.get(T, motion.id))!.result).toMatchObject({ outcome: 'passed', needed: { num: 2, den: 5, strict: false } });
    // The default rules (more than half of all members) would have rejected it.
    expect(decide('policy', 5, { yes: 2, no: 1, abstain: 0 }).outcome).toBe('rejected');
    expect(() => service({ rules: { ...rules, pass: { num: 3, den: 2, strict: true } } })).toThrow(/vote rules: pass/);
  });

  it('a closer that died after posting leaves the same notices for the next one (no second result)', async () => {
    const svc = service({ lockMs: 60_000 });
    const { motion } = await svc.create(T, CHAIR, { title: 'X', kind: 'classification', secret: false, closesAt: closes('2026-12-01T04:00:00Z') }, 'evt-4');
    for (const m of ['ou_m1', 'ou_m2', 'ou_m3']) await svc.vote(T, motion.id, m, 'yes');
    clock.set('2026-12-01T04:01:00Z');
    failFanout = (i) => i.id.endsWith(':result:zh-CN');
    expect((await svc.sweep()).closed).toBe(0);
    expect((await store.get(T, motion.id))!.state).toBe('open');
    failFanout = undefined;
    // Still claimed: nothing happens until the claim runs out.
    expect((await svc.sweep()).closed).toBe(0);
    clock.advance(61_000);
    expect((await svc.sweep()).closed).toBe(1);
    const results = sent.filter((i) => i.id.includes(':result:'));
    // Each notice id once more at most: the fan-out store de-duplicates by id (the en one was asked twice).
    expect(new Set(results.map((r) => r.id)).size).toBe(2);
    expect((await store.get(T, motion.id))!.result).toMatchObject({ outcome: 'passed', advisory: true });
  });

  it('keeps a secret motion’s tally from members until the close', async () => {
    const svc = service();
    const { motion } = await svc.create(T, CHAIR, { title: 'S', kind: 'other', secret: true, closesAt: closes('2026-12-01T04:00:00Z') }, 'evt-5');
    await svc.vote(T, motion.id, 'ou_m1', 'yes');
    expect(await svc.counts((await store.get(T, motion.id))!)).toEqual({ voted: 1 });
    clock.set('2026-12-01T04:00:00Z');
    await svc.sweep();
    expect(await svc.counts((await store.get(T, motion.id))!)).toEqual({ voted: 1, tally: { yes: 1, no: 0, abstain: 0 } });
    const open = await service().create(T, CHAIR, { title: 'O', kind: 'other', secret: false, closesAt: closes('2026-12-02T04:00:00Z') }, 'evt-5b');
    await svc.vote(T, open.motion.id, 'ou_m1', 'no');
    expect(await svc.counts(open.motion)).toEqual({ voted: 1, tally: { yes: 0, no: 1, abstain: 0 } });
  });

  it('reminds the members who have not voted 24 h and 2 h before the close, once each', async () => {
    const svc = service();
    const { motion } = await svc.create(T, CHAIR, { title: 'R', kind: 'other', secret: false, closesAt: closes('2026-12-04T02:00:00Z') }, 'evt-6');
    await svc.vote(T, motion.id, 'ou_m1', 'yes');
    await svc.vote(T, motion.id, 'ou_m4', 'abstain');
    sent = [];
    clock.set('2026-12-03T01:59:00Z');
    await svc.sweep();
    expect(sent).toHaveLength(0);
    clock.set('2026-12-03T02:00:00Z');
    await svc.sweep();
    await svc.sweep();
    expect(noticeIds()).toEqual([`motion:${T}:${motion.id}:remind-h24:zh-CN`]);
    expect(sent[0]!.recipients.map((r) => 'openId' in r.to && r.to.openId).sort()).toEqual([CHAIR, 'ou_m2', 'ou_m3'].sort());
    await svc.vote(T, motion.id, 'ou_m2', 'no');
    clock.set('2026-12-04T00:00:00Z');
    await svc.sweep();
    expect(noticeIds()[1]).toBe(`motion:${T}:${motion.id}:remind-h2:zh-CN`);
    expect(sent[1]!.recipients).toHaveLength(2);
    expect(cardText(sent[1]!)).toContain('2 小时');
  });

  it('skips reminders whose time was before the motion was made', async () => {
    const svc = service();
    await svc.create(T, CHAIR, { title: 'Q', kind: 'other', secret: false, closesAt: closes('2026-12-01T05:00:00Z') }, 'evt-7');
    sent = [];
    await svc.sweep();
    clock.set('2026-12-01T03:00:00Z');
    await svc.sweep();
    expect(noticeIds().filter((i) => i.includes('remind-h24'))).toEqual([]);
    // one notice per language of the members who have not voted
    expect(
      noticeIds()
        .filter((i) => i.includes('remind-h2'))
        .map((i) => i.split(':').pop()),
    ).toEqual(['en-US', 'zh-CN']);
  });

  it('refuses a close in the past', async () => {
    await expect(service().create(T, CHAIR, { title: 'P', kind: 'other', secret: false, closesAt: closes('2026-12-01T01:00:00Z') }, 'evt-8')).rejects.toMatchObject({
      key: 'committee:motion.closes_past',
    });
  });
});

describe('/motion arguments', () => {
  it('reads title, kind, close (local time) and secret, in English or Chinese', () => {
    const a = parseMotionArgs('修订 保密 制度 kind=personnel closes=2026-12-05 18:30 secret=yes', TZ);
    expect(a).toEqual({ title: '修订 保密 制度', kind: 'personnel', secret: true, closesAt: new Date('2026-12-05T10:30:00Z') });
    const b = parseMotionArgs('定密事项 类别=定密 截止=2026-12-05', TZ);
    expect(b).toMatchObject({ title: '定密事项', kind: 'classification', secret: false, closesAt: new Date('2026-12-05T10:00:00Z') });
    expect(parseMotionArgs('Plain title', TZ)).toEqual({ title: 'Plain title', kind: 'other', secret: false });
  });

  it('refuses bad values by name', () => {
    expect(() => parseMotionArgs('t kind=bogus', TZ)).toThrow(expect.objectContaining({ key: 'committee:motion.bad_kind' }));
    expect(() => parseMotionArgs('t closes=2026-13-01', TZ)).toThrow(expect.objectContaining({ key: 'committee:motion.bad_closes' }));
    expect(() => parseMotionArgs('t closes=2026-12-01 25:00', TZ)).toThrow(expect.objectContaining({ key: 'committee:motion.bad_closes' }));
    expect(() => parseMotionArgs('t secret=maybe', TZ)).toThrow(expect.objectContaining({ key: 'committee:motion.bad_secret' }));
    expect(() => parseMotionArgs('t foo=bar', TZ)).toThrow(expect.objectContaining({ key: 'committee:motion.bad_key' }));
    expect(() => parseMotionArgs('kind=policy', TZ)).toThrow(expect.objectContaining({ key: 'committee:motion.usage' }));
  });

  it('local times follow the zone, and a wall time that does not exist is refused', () => {
    expect(localInstant('2026-03-08', '02:30', 'America/New_York')).toBeUndefined();
    expect(localInstant('2026-03-08', '03:30', 'America/New_York')).toEqual(new Date('2026-03-08T07:30:00Z'));
  });
});
