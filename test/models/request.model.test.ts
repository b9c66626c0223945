import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDraft, transition, type Effect, type Kind, type Request } from '../../domain/index.js';
import { DuplicateRequestError, RequestStore, currentAssigneesOf } from '../../models/request.model.js';
import { actorById, assigneesFor, carrier, ctx, currentApprover, detailsFor, P } from '../domain/helpers.js';
import { useTestDb, type TestDb } from '../helpers/mongo.js';

/** A SECRET draft with the given id, as the workflow creates it. */
function createDraftFor(kind: Kind, id: string, requesterId: string = P.req.id): { request: Request; effects: Effect[] } {
  const r = createDraft({ id, kind, requesterId, deptId: 'dept_1', carriers: [carrier(`${id}-X`, 'SECRET')], details: detailsFor(kind, 'SECRET') }, ctx());
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r;
}

/** The draft submitted (in memory). */
function submittedFor(kind: Kind, id: string, requesterId: string = P.req.id): Request {
  const d = createDraftFor(kind, id, requesterId);
  const r = transition(d.request, { type: 'submit', assignees: assigneesFor(kind, 'SECRET') }, actorById(requesterId), ctx());
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.request;
}

let db: TestDb;
let store: RequestStore;
let clock = new Date('2026-03-02T02:00:00Z').getTime();
const tick = () => new Date((clock += 1000));
/** The queued effects as committed, without the outbox's due time. */
const queued = (pending: { nextAt?: Date }[] | undefined) => pending?.map(({ nextAt: _due, ...e }) => e);

beforeAll(async () => {
  db = await useTestDb();
  store = new RequestStore(db.connection, tick);
  await store.init();
});
afterAll(async () => {
  await db?.close();
});

/** Applies a command as the workflow would and commits it; returns the new request and effects. */
async function advance(tenantKey: string, before: Request, cmd: Parameters<typeof transition>[1], actorId: string) {
  const r = transition(before, cmd, actorById(actorId), ctx());
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  expect(await store.commit(tenantKey, before, r.request, r.effects)).toBe(true);
  return r;
}

describe('insert / get', () => {
  it('stores the request as is with its effects, derived fields and no cards', async () => {
    const { request, effects } = createDraftFor('COPY', 'CP-2026-0001');
    await store.insert('t1', request, effects);
    const got = await store.get('t1', 'CP-2026-0001');
    expect(got).toMatchObject({
      _id: 't1:CP-2026-0001',
      tenantKey: 't1',
      state: 'DRAFT',
      requesterId: P.req.id,
      kind: 'COPY',
      cards: [],
      currentAssignees: [],
    });
    expect(got?.request).toEqual(request);
    expect(queued(got?.pending)).toEqual(effects);
    // Every queued effect is due at once, and the request is found by the effects sweep.
    expect(got?.pending.every((e) => e.nextAt instanceof Date && e.nextAt.getTime() === got.updatedAt.getTime())).toBe(true);
    expect(got?.nextEffectAt).toEqual(got?.updatedAt);
    expect(got?.updatedAt).toBeInstanceOf(Date);
    expect(got && Object.getPrototypeOf(got)).toBe(Object.prototype);
  });

  it('a duplicate id throws a clear error; another tenant may use the same id', async () => {
    const { request, effects } = createDraftFor('COPY', 'CP-2026-0001');
    await expect(store.insert('t1', request, effects)).rejects.toThrow(DuplicateRequestError);
    await expect(store.insert('t1', request, effects)).rejects.toThrow(/CP-2026-0001 already exists/);
    await store.insert('t2', request, []);
    expect((await store.get('t2', 'CP-2026-0001'))?.pending).toEqual([]);
    expect(await store.get('t3', 'CP-2026-0001')).toBeNull();
  });

  it('does not store undefined members as null', async () => {
    const { request } = createDraftFor('DESTROY', 'DS-2026-0009');
    const withUndef = { ...request, closedAt: undefined } as Request;
    await store.insert('t1', withUndef, []);
    const raw = await db.connection.collection('requests').findOne({ _id: 't1:DS-2026-0009' as never });
    expect(raw?.request).not.toHaveProperty('closedAt');
  });
});

describe('commit', () => {
  it('50 concurrent commits from the same before (several instances): exactly one wins, its effects alone are queued', async () => {
    const before = submittedFor('COPY', 'CP-2026-0050');
    await store.insert('tc', before, []);
    const conns = await Promise.all(Array.from({ length: 3 }, () => mongoose.createConnection(db.uri, { dbName: db.dbName }).asPromise()));
    try {
      const stores = [store, ...conns.map((c) => new RequestStore(c))];
      const attempts = Array.from({ length: 50 }, (_, i) => {
        const r = transition(before, { type: 'approve', comment: `c${i}` }, currentApprover(before), ctx());
        if (!r.ok) throw new Error(JSON.stringify(r.error));
        return r;
      });
      const results = await Promise.all(attempts.map((a, i) => stores[i % stores.length]!.commit('tc', before, a.request, a.effects)));
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = attempts[results.indexOf(true)]!;
      const got = await store.get('tc', 'CP-2026-0050');
      expect(got?.request).toEqual(winner.request);
      expect(got?.request.version).toBe(before.version + 1);
      expect(queued(got?.pending)).toEqual(winner.effects);
      expect(new Set(got?.pending.map((e) => e.key)).size).toBe(winner.effects.length);
    } finally {
      await Promise.all(conns.map((c) => c.close()));
    }
  });

  it('a stale before (wrong version or state) changes nothing', async () => {
    const d = createDraftFor('CARRY_OUT', 'CO-2026-0001');
    await store.insert('tc', d.request, d.effects);
    const sub = await advance('tc', d.request, { type: 'submit', assignees: assigneesFor('CARRY_OUT', 'SECRET') }, P.req.id);
    // The same transition again from the old draft: the stored version moved on.
    expect(await store.commit('tc', d.request, sub.request, sub.effects)).toBe(false);
    // Right version, wrong state.
    const forged = { ...sub.request, state: 'DRAFT' } as Request;
    const w = transition(sub.request, { type: 'withdraw' }, P.req, ctx());
    if (!w.ok) throw new Error('withdraw failed');
    expect(await store.commit('tc', forged, w.request, w.effects)).toBe(false);
    const got = await store.get('tc', 'CO-2026-0001');
    expect(got?.request).toEqual(sub.request);
    expect(queued(got?.pending)).toEqual([...d.effects, ...sub.effects]);
    // Not a stale write but a caller bug: refused loudly.
    await expect(store.commit('tc', sub.request, { ...w.request, version: 9 } as Request, [])).rejects.toThrow(/version/);
    await expect(store.commit('tc', sub.request, w.request, d.effects)).rejects.toThrow(/belongs to/);
    await expect(store.commit('other', sub.request, w.request, w.effects)).resolves.toBe(false);
  });

  it('writes state and outbox in one command, and no reader ever sees one without the other', async () => {
    const watched = await mongoose.createConnection(db.uri, { dbName: db.dbName, autoIndex: false, monitorCommands: true }).asPromise();
    try {
      const writes: string[] = [];
      watched.getClient().on('commandStarted', (e) => {
        if (!['find', 'getMore'].includes(e.commandName)) writes.push(e.commandName);
      });
      const ws = new RequestStore(watched);
      const d = createDraftFor('DESTROY', 'DS-2026-0001');
      await store.insert('ta', d.request, d.effects);

      // A reader polls while the request walks through its approval without executing effects.
      let done = false;
      const snapshots: { version: number; pending: Effect[] }[] = [];
      const reader = (async () => {
        while (!done) {
          const s = await store.get('ta', 'DS-2026-0001');
          if (s) snapshots.push({ version: s.request.version, pending: s.pending });
        }
      })();
      let cur = d.request;
      const sub = transition(cur, { type: 'submit', assignees: assigneesFor('DESTROY', 'SECRET') }, P.req, ctx());
      if (!sub.ok) throw new Error('submit');
      writes.length = 0;
      expect(await ws.commit('ta', cur, sub.request, sub.effects)).toBe(true);
      expect(writes).toEqual(['findAndModify']);
      cur = sub.request;
      while (cur.state === 'IN_APPROVAL') {
        const r = transition(cur, { type: 'approve' }, currentApprover(cur), ctx());
        if (!r.ok) throw new Error('approve');
        expect(await ws.commit('ta', cur, r.request, r.effects)).toBe(true);
        cur = r.request;
      }
      done = true;
      await reader;
      expect(snapshots.length).toBeGreaterThan(0);
      for (const s of snapshots) {
        // Every version's effects are there as soon as the version is, and nothing from the future.
        const versions = new Set(s.pending.map((e) => e.version));
        for (let v = 0; v <= s.version; v++) expect(versions.has(v), `v${v} of ${s.version}`).toBe(true);
        expect(Math.max(...versions)).toBe(s.version);
      }
    } finally {
      await watched.close();
    }
  });
});

describe('outbox: completeEffects and withPending', () => {
  it('completeEffects removes by key, idempotently; withPending finds the crashed ones across tenants', async () => {
    const sweep = new RequestStore(db.connection, tick);
    const a = createDraftFor('COPY', 'CP-2026-0100');
    const b = createDraftFor('COPY', 'CP-2026-0101');
    const c = createDraftFor('COPY', 'CP-2026-0102');
    await store.insert('tp1', a.request, a.effects);
    await store.insert('tp2', b.request, b.effects);
    await store.insert('tp1', c.request, []);
    const pendingIds = async (olderThan?: Date) => (await sweep.withPending(1000, olderThan)).map((s) => s._id).filter((id) => id.startsWith('tp'));
    expect(await pendingIds()).toEqual(['tp1:CP-2026-0100', 'tp2:CP-2026-0101']);

    // The handler committed a submit and "crashed" before executing its effects.
    const sub = await advance('tp1', a.request, { type: 'submit', assignees: assigneesFor('COPY', 'SECRET') }, P.req.id);
    const stored = (await store.get('tp1', 'CP-2026-0100'))!;
    expect(stored.pending.map((e) => e.key)).toEqual([...a.effects, ...sub.effects].map((e) => e.key));
    // Least recently changed first; olderThan leaves fresh changes to their handler.
    expect(await pendingIds()).toEqual(['tp2:CP-2026-0101', 'tp1:CP-2026-0100']);
    expect(await pendingIds(stored.updatedAt)).toEqual(['tp2:CP-2026-0101']);
    expect((await sweep.withPending(1)).length).toBe(1);

    const firstKeys = sub.effects.slice(0, 2).map((e) => e.key);
    await store.completeEffects('tp1', 'CP-2026-0100', firstKeys);
    await store.completeEffects('tp1', 'CP-2026-0100', firstKeys);
    await store.completeEffects('tp1', 'CP-2026-0100', ['no-such-key']);
    await store.completeEffects('tp1', 'CP-2026-0100', []);
    expect((await store.get('tp1', 'CP-2026-0100'))!.pending.map((e) => e.key)).toEqual([...a.effects, ...sub.effects.slice(2)].map((e) => e.key));
    // Another tenant's request with the same id is untouched.
    await store.completeEffects('tp2', 'CP-2026-0100', [a.effects[0]!.key]);
    expect((await store.get('tp1', 'CP-2026-0100'))!.pending).toHaveLength(a.effects.length + sub.effects.length - 2);

    await store.completeEffects(
      'tp1',
      'CP-2026-0100',
      [...a.effects, ...sub.effects].map((e) => e.key),
    );
    await store.completeEffects(
      'tp2',
      'CP-2026-0101',
      b.effects.map((e) => e.key),
    );
    expect(await pendingIds()).toEqual([]);
    await expect(sweep.withPending(0)).rejects.toThrow(RangeError);
  });
});

describe('currentAssignees', () => {
  it('are derived on every write: the current step’s deciders while IN_APPROVAL, else []', async () => {
    const d = createDraftFor('COPY', 'CP-2026-0200');
    await store.insert('tq', d.request, []);
    expect((await store.get('tq', 'CP-2026-0200'))!.currentAssignees).toEqual([]);
    let cur = (await advance('tq', d.request, { type: 'submit', assignees: assigneesFor('COPY', 'SECRET') }, P.req.id)).request;
    expect((await store.get('tq', 'CP-2026-0200'))!.currentAssignees).toEqual(['ou_dh']);
    cur = (await advance('tq', cur, { type: 'approve' }, 'ou_dh')).request;
    expect((await store.get('tq', 'CP-2026-0200'))!.currentAssignees).toEqual(['ou_so1', 'ou_so2']);
    while (cur.state === 'IN_APPROVAL') {
      cur = (await advance('tq', cur, { type: 'approve' }, currentApprover(cur).id)).request;
      expect((await store.get('tq', 'CP-2026-0200'))!.currentAssignees).toEqual(currentAssigneesOf(cur));
    }
    expect((await store.get('tq', 'CP-2026-0200'))!.state).toBe('APPROVED');
    expect((await store.get('tq', 'CP-2026-0200'))!.currentAssignees).toEqual([]);
  });

  it('leave out the requester and whoever decided another step', () => {
    const r = submittedFor('COPY', 'CP-2026-0201', 'ou_so1');
    const atSo = transition(r, { type: 'approve' }, P.dh, ctx());
    if (!atSo.ok) throw new Error('approve');
    expect(currentAssigneesOf(atSo.request)).toEqual(['ou_so2']);
    const decided = structuredClone(atSo.request);
    decided.steps[1]!.assignees = ['ou_dh', 'ou_so2'];
    expect(currentAssigneesOf(decided)).toEqual(['ou_so2']);
  });
});

describe('lists', () => {
  const ids = (xs: { request: Request }[]) => xs.map((x) => x.request.id);

  beforeAll(async () => {
    // t-l1: three requests by ou_req (one still a draft), one by ou_x; t-l2 mirrors one id.
    for (const [id, kind, requester] of [
      ['CP-2026-0301', 'COPY', 'ou_req'],
      ['CO-2026-0302', 'CARRY_OUT', 'ou_req'],
      ['DS-2026-0303', 'DESTROY', 'ou_x'],
      ['CP-2026-0304', 'COPY', 'ou_req'],
    ] as const) {
      const d = createDraftFor(kind, id, requester);
      await store.insert('t-l1', d.request, []);
      if (id !== 'CP-2026-0304') {
        await advance('t-l1', d.request, { type: 'submit', assignees: assigneesFor(kind, 'SECRET') }, requester);
      }
    }
    const mirror = createDraftFor('COPY', 'CP-2026-0301');
    await store.insert('t-l2', mirror.request, []);
    await advance('t-l2', mirror.request, { type: 'submit', assignees: assigneesFor('COPY', 'SECRET') }, P.req.id);
    // Approve CO-2026-0302 to the end (SECRET carry-out: dept head, then security officer).
    let co = (await store.get('t-l1', 'CO-2026-0302'))!.request;
    while (co.state === 'IN_APPROVAL') co = (await advance('t-l1', co, { type: 'approve' }, currentApprover(co).id)).request;
    expect(co.state).toBe('APPROVED');
  });

  it('listByRequester: newest first, optional states, tenant-scoped', async () => {
    expect(ids(await store.listByRequester('t-l1', 'ou_req', { limit: 50 }))).toEqual(['CO-2026-0302', 'CP-2026-0304', 'CP-2026-0301']);
    expect(ids(await store.listByRequester('t-l1', 'ou_req', { states: ['DRAFT'], limit: 50 }))).toEqual(['CP-2026-0304']);
    expect(ids(await store.listByRequester('t-l1', 'ou_req', { limit: 1 }))).toEqual(['CO-2026-0302']);
    expect(ids(await store.listByRequester('t-l2', 'ou_req', { limit: 50 }))).toEqual(['CP-2026-0301']);
    await expect(store.listByRequester('t-l1', 'ou_req', { limit: 51 })).rejects.toThrow(RangeError);
  });

  it('listAwaiting: in approval and waiting for this person, oldest first, tenant-scoped', async () => {
    expect(ids(await store.listAwaiting('t-l1', 'ou_dh', { limit: 50 }))).toEqual(['CP-2026-0301', 'DS-2026-0303']);
    expect(ids(await store.listAwaiting('t-l1', 'ou_so1', { limit: 50 }))).toEqual([]);
    expect(ids(await store.listAwaiting('t-l2', 'ou_dh', { limit: 50 }))).toEqual(['CP-2026-0301']);
    expect(ids(await store.listAwaiting('t-l1', 'ou_req', { limit: 50 }))).toEqual([]);
  });

  it('listByState: oldest first, tenant-scoped', async () => {
    expect(ids(await store.listByState('t-l1', ['APPROVED'], { limit: 50 }))).toEqual(['CO-2026-0302']);
    expect(ids(await store.listByState('t-l1', ['IN_APPROVAL', 'DRAFT'], { limit: 50 }))).toEqual(['CP-2026-0301', 'DS-2026-0303', 'CP-2026-0304']);
    expect(ids(await store.listByState('t-l2', ['APPROVED'], { limit: 50 }))).toEqual([]);
    expect(await store.listByState('t-l1', [], { limit: 50 })).toEqual([]);
  });
});

describe('addCard', () => {
  it('dedupes by messageId and never bumps the version, so a card does not make the next commit stale', async () => {
    const d = createDraftFor('COPY', 'CP-2026-0400');
    await store.insert('tk', d.request, []);
    const sub = await advance('tk', d.request, { type: 'submit', assignees: assigneesFor('COPY', 'SECRET') }, P.req.id);
    const before = (await store.get('tk', 'CP-2026-0400'))!;
    const card = { messageId: 'om_1', kind: 'approval' as const, holder: 'ou_dh', sentForVersion: 1 };
    await Promise.all(Array.from({ length: 5 }, () => store.addCard('tk', 'CP-2026-0400', card)));
    await store.addCard('tk', 'CP-2026-0400', { ...card, sentForVersion: 2 });
    await store.addCard('tk', 'CP-2026-0400', { messageId: 'om_2', kind: 'status', sentForVersion: 1 });
    await store.addCard('tk2', 'CP-2026-0400', { messageId: 'om_3', kind: 'status', sentForVersion: 1 });
    const after = (await store.get('tk', 'CP-2026-0400'))!;
    expect(after.cards).toEqual([card, { messageId: 'om_2', kind: 'status', sentForVersion: 1 }]);
    expect(await store.get('tk2', 'CP-2026-0400')).toBeNull();
    expect(after.request).toEqual(before.request);
    expect(after.updatedAt).toEqual(before.updatedAt);
    await advance('tk', sub.request, { type: 'approve' }, 'ou_dh');
    expect((await store.get('tk', 'CP-2026-0400'))!.cards).toHaveLength(2);
    await expect(store.addCard('tk', 'CP-2026-0400', { messageId: 'om_4', kind: 'bogus' as never, sentForVersion: 1 })).rejects.toThrow(/kind/);
  });
});
