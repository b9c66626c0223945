/**
 * LedgerReader and the anchors on the store: keyset pages, the incidents' register read like the
 * others (person filter, heads, verification, statistics), the daily anchor taken once across
 * instances (and its digest sent once), and — with MONGODB_URI set — `explain()` showing that
 * every ledger query is served by an index.
 */
import type { Model } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sender } from '../../bot/core/types.js';
import { anchorDaily, type LedgerDeps } from '../../handlers/ledger/index.js';
import { AnchorStore } from '../../models/anchor.model.js';
import { LedgerReader, type ReaderFilter } from '../../models/ledger-reader.js';
import { RoleStore } from '../../models/role.model.js';
import { useTestDb, type TestDb } from '../helpers/mongo.js';

let db: TestDb;
let reader: LedgerReader;
const T = 'tenant-a';
const HEAD = 'ou_head1';

beforeAll(async () => {
  db = await useTestDb();
  reader = new LedgerReader(db.connection);
  await reader.init();
  for (let i = 1; i <= 30; i++) {
    await reader.ledgers.append(T, 'COPY', {
      effectKey: `k${i}`,
      event: 'COPIED',
      carrierNumber: `C-${i % 3}`,
      actorId: 'ou_officer',
      occurredAt: new Date(Date.UTC(2026, 0, i)),
      data: { deptId: i % 2 ? 'od-a' : 'od-b', level: 'SECRET', requesterId: `ou_r${i % 5}` },
    });
  }
  // The incidents' register as handlers/incidents writes it: two incidents opened, one reported.
  const incident = (n: number, event: string, reporterId: string, level: string, day: number) =>
    reader.ledgers.append(T, 'INCIDENT', {
      effectKey: `incident:INC-2026-000${n}:${event}`,
      event,
      requestId: `INC-2026-000${n}`,
      actorId: 'ou_officer',
      occurredAt: new Date(Date.UTC(2026, 1, day)),
      data: { incidentId: `INC-2026-000${n}`, kind: 'LEAK', level, carriers: [], reporterId },
    });
  await incident(1, 'OPENED', 'ou_rep1', 'SECRET', 1);
  await incident(2, 'OPENED', 'ou_rep2', 'TOP_SECRET', 2);
  await incident(1, 'REPORTED', 'ou_rep1', 'SECRET', 3);
  await db.connection.collection('incidents').insertMany([
    { _id: `${T}:INC-2026-0001`, tenantKey: T, id: 'INC-2026-0001', status: 'REPORTED' },
    { _id: `${T}:INC-2026-0002`, tenantKey: T, id: 'INC-2026-0002', status: 'OPEN' },
    { _id: `${T}:INC-2026-0003`, tenantKey: T, id: 'INC-2026-0003', status: 'CLOSED' },
    { _id: `${T}:INC-2026-0004`, tenantKey: T, id: 'INC-2026-0004', status: 'DRAFT' },
    { _id: 'other:INC-2026-0001', tenantKey: 'other', id: 'INC-2026-0001', status: 'OPEN' },
  ] as never);
  await reader.audit.record(T, { actorId: 'ou_x', action: 'ledger.query', objectType: 'ledger', objectId: 'COPY', channel: 'command', outcome: 'refused' });
}, 60_000);
afterAll(() => db.close());

describe('LedgerReader', () => {
  it('pages newest first by keyset, both ways, with the total', async () => {
    const f: ReaderFilter = { kind: 'COPY', deptIds: ['od-a'], from: new Date(Date.UTC(2026, 0, 5)), to: new Date(Date.UTC(2026, 0, 26)) };
    expect(await reader.count(T, f)).toBe(11); // 5,7,…,25
    const p1 = await reader.page(T, f, 4);
    expect(p1.rows.map((r) => r.seq)).toEqual([25, 23, 21, 19]);
    expect([p1.newer, p1.older]).toEqual([false, true]);
    const p2 = await reader.page(T, f, 4, { before: 19 });
    expect(p2.rows.map((r) => r.seq)).toEqual([17, 15, 13, 11]);
    const p3 = await reader.page(T, f, 4, { before: 11 });
    expect(p3.rows.map((r) => r.seq)).toEqual([9, 7, 5]);
    expect([p3.newer, p3.older]).toEqual([true, false]);
    const back = await reader.page(T, f, 4, { after: 9 });
    expect(back.rows.map((r) => r.seq)).toEqual([17, 15, 13, 11]);
    expect([back.newer, back.older]).toEqual([true, true]);
  });

  it('streams every match in register order', async () => {
    const seqs: number[] = [];
    for await (const r of reader.stream(T, { kind: 'COPY', user: 'ou_r1' }, 2)) seqs.push(r.seq);
    expect(seqs).toEqual([1, 6, 11, 16, 21, 26]);
  });

  it('reads the chain heads of every ledger', async () => {
    const heads = await reader.heads(T);
    expect(heads.map((h) => [h.ledger, h.seq])).toEqual([
      ['COPY', 30],
      ['INCIDENT', 3],
      ['AUDIT', 1],
    ]);
  });

  it('reads the incidents’ register like the others: by reporter, verified, counted', async () => {
    expect(reader.query(T, { kind: 'INCIDENT', user: 'ou_rep1' })).toEqual({ tenantKey: T, ledger: 'INCIDENT', 'data.reporterId': 'ou_rep1' });
    const seqs: number[] = [];
    for await (const r of reader.stream(T, { kind: 'INCIDENT', user: 'ou_rep1' })) seqs.push(r.seq);
    expect(seqs).toEqual([1, 3]);
    expect(await reader.count(T, { kind: 'INCIDENT', events: ['OPENED'] })).toBe(2);
    const reports = await reader.verifyAll(T);
    expect(reports.map((r) => [r.ledger, r.result.ok, r.result.count])).toContainEqual(['INCIDENT', true, 3]);
    expect(reports.map((r) => r.ledger)).toEqual(['MASTER', 'COPY', 'CARRY', 'DESTROY', 'INCIDENT', 'AUDIT']);
    const stats = await reader.stats(T, { from: new Date(Date.UTC(2026, 0, 1)), to: new Date(Date.UTC(2027, 0, 1)) }, new Date(Date.UTC(2026, 5, 1)));
    expect(stats.counts.filter((c) => c.kind === 'INCIDENT').sort((a, b) => a.level.localeCompare(b.level))).toEqual([
      { kind: 'INCIDENT', level: 'SECRET', deptId: '', n: 1 },
      { kind: 'INCIDENT', level: 'TOP_SECRET', deptId: '', n: 1 },
    ]);
    expect(stats.openIncidents).toBe(2); // OPEN and REPORTED; not the closed one, the draft or another tenant's
    const none = await reader.stats(T, { from: new Date(Date.UTC(2025, 0, 1)), to: new Date(Date.UTC(2026, 0, 1)) }, new Date(Date.UTC(2026, 5, 1)));
    expect(none.counts.filter((c) => c.kind === 'INCIDENT')).toEqual([]);
  });
});

describe('anchorDaily', () => {
  it('anchors each tenant once a day across instances and sends one digest per security head', async () => {
    const roles = new RoleStore(db.connection, { admins: [] });
    await roles.init();
    await roles.grant(T, HEAD, 'security_head', 'test');
    const sent: { to: unknown; uuid: string }[] = [];
    const sender = {
      send: async (to: unknown, _m: unknown, o: { uuid: string }) => {
        sent.push({ to, uuid: o.uuid });
        return { messageId: `om_${sent.length}` };
      },
    } as unknown as Sender;
    // Two instances: their own stores on the same database.
    const instance = () => {
      const anchors = new AnchorStore(db.connection);
      return { reader: new LedgerReader(db.connection), anchors, roles, sender, timezone: 'Asia/Shanghai' } as unknown as LedgerDeps & { sender: Sender; timezone: string };
    };
    await new AnchorStore(db.connection).init();
    const day1 = new Date('2026-11-30T01:00:00Z');
    const [a, b] = await Promise.all([anchorDaily(instance(), day1), anchorDaily(instance(), day1)]);
    expect([...a, ...b]).toEqual([T]);
    expect(sent).toEqual([{ to: { openId: HEAD }, uuid: expect.stringMatching(/^anchor-[0-9a-f]{32}$/) }]);
    expect(await anchorDaily(instance(), new Date('2026-11-30T15:00:00Z'))).toEqual([]); // 23:00 local, same day
    const latest = await new AnchorStore(db.connection).latest(T);
    expect(latest).toMatchObject({
      key: 'daily:2026-11-30',
      heads: [
        { ledger: 'COPY', seq: 30 },
        { ledger: 'INCIDENT', seq: 3 },
        { ledger: 'AUDIT', seq: 1 },
      ],
    });
    expect(await anchorDaily(instance(), new Date('2026-11-30T16:00:00Z'))).toEqual([T]); // the next local day
    expect(sent).toHaveLength(2);
  });
});

describe.skipIf(!process.env.MONGODB_URI)('every ledger query uses an index (explain on a real MongoDB)', () => {
  const filters: ReaderFilter[] = [
    { kind: 'COPY' },
    { kind: 'COPY', from: new Date('2026-01-01'), to: new Date('2026-07-01') },
    { kind: 'COPY', deptIds: ['od-a'], from: new Date('2026-01-01'), to: new Date('2026-07-01') },
    { kind: 'COPY', level: 'SECRET' },
    { kind: 'COPY', user: 'ou_r1' },
    { kind: 'CARRY', user: 'ou_r1' },
    { kind: 'DESTROY', user: 'ou_r1' },
    { kind: 'INCIDENT', user: 'ou_rep1' },
    { kind: 'CARRY', events: ['OVERDUE'] },
    { kind: 'MASTER', carriers: ['C-1', 'C-2'] },
    { kind: 'AUDIT', events: ['refused'] },
    { kind: 'AUDIT', user: 'ou_x' },
    { kind: 'AUDIT', from: new Date('2026-01-01'), to: new Date('2027-01-01') },
  ];
  const stages = (plan: unknown): string[] => {
    const out: string[] = [];
    const walk = (n: unknown): void => {
      if (Array.isArray(n)) n.forEach(walk);
      else if (n && typeof n === 'object') {
        const o = n as Record<string, unknown>;
        if (typeof o.stage === 'string') out.push(o.stage);
        Object.values(o).forEach(walk);
      }
    };
    walk(plan);
    return out;
  };
  for (const f of filters) {
    it(`${JSON.stringify(f)}: the card's page and the export's stream`, async () => {
      const model = (f.kind === 'AUDIT' ? db.connection.models.AuditRecord : db.connection.models.LedgerEntry) as Model<unknown>;
      const q = reader.query(T, f);
      for (const dir of [-1, 1] as const) {
        const plan = (await model.find(q).sort({ seq: dir }).limit(11).explain('queryPlanner')) as unknown as { queryPlanner: { winningPlan: unknown } };
        expect(stages(plan.queryPlanner.winningPlan)).toContain('IXSCAN');
        expect(stages(plan.queryPlanner.winningPlan)).not.toContain('COLLSCAN');
      }
    });
  }
});

describe.skipIf(!!process.env.MONGODB_URI)('explain() on the embedded store', () => {
  it('is skipped: the embedded store does not implement explain (set MONGODB_URI to run the index checks)', () => {
    console.info('ledger index checks through explain() skipped: the embedded store has no explain; run with MONGODB_URI set');
    expect(process.env.MONGODB_URI).toBeUndefined();
  });
});
