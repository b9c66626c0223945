import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CarrierStore, carrierNumberKey, type CarrierInput } from '../../models/carrier.model.js';
import { useTestDb, type TestDb } from '../helpers/mongo.js';

let db: TestDb;
let carriers: CarrierStore;
const NOW = new Date('2026-03-02T02:00:00Z');

beforeAll(async () => {
  db = await useTestDb();
  carriers = new CarrierStore(db.connection, () => NOW);
  await carriers.init();
});
afterAll(async () => {
  await db?.close();
});

const input = (number: string, over: Partial<CarrierInput> = {}): CarrierInput => ({
  number,
  level: 'SECRET',
  carrierType: '纸质',
  alias: `文件 ${number}`,
  createdBy: 'ou_so1',
  ...over,
});

describe('create / get', () => {
  it('registers with defaults and reads back a plain object', async () => {
    const r = await carriers.create('t1', input('JM-001', { period: '10年', pages: 12, custodianId: 'ou_c1' }));
    expect(r.ok).toBe(true);
    const got = await carriers.get('t1', 'JM-001');
    expect(got).toEqual({
      tenantKey: 't1',
      number: 'JM-001',
      numberKey: 'JM-001',
      regime: 'STATE_SECRET',
      level: 'SECRET',
      carrierType: '纸质',
      alias: '文件 JM-001',
      period: '10年',
      pages: 12,
      custodianId: 'ou_c1',
      copyRestricted: false,
      mustReturnToIssuer: false,
      count: 1,
      status: 'IN_STOCK',
      origin: 'registered',
      createdBy: 'ou_so1',
      createdAt: NOW,
      updatedAt: NOW,
      version: 0,
    });
    expect(got).not.toHaveProperty('_id');
    expect(Object.getPrototypeOf(got)).toBe(Object.prototype);
  });

  it('numbers are unique per tenant, ignoring case and full-width forms; the stored form is kept', async () => {
    expect(await carriers.create('t1', input('jm-001'))).toEqual({ ok: false, code: 'carrier.duplicate' });
    expect(await carriers.create('t1', input('ＪＭ－００１'))).toEqual({ ok: false, code: 'carrier.duplicate' });
    expect((await carriers.create('t2', input('jm-001'))).ok).toBe(true);
    expect((await carriers.get('t1', 'jm-001'))?.number).toBe('JM-001');
    expect((await carriers.get('t2', 'JM-001'))?.number).toBe('jm-001');
    expect(await carriers.get('t3', 'JM-001')).toBeNull();
    expect(carrierNumberKey(' ｊｍ－００１ ')).toBe('JM-001');
  });

  it('refuses bad input with a TypeError naming the field', async () => {
    await expect(carriers.create('t1', input('JM 002'))).rejects.toThrow(/number/);
    await expect(carriers.create('t1', input(''))).rejects.toThrow(/number/);
    await expect(carriers.create('t1', input('JM-002', { level: 'HUGE' as never }))).rejects.toThrow(/level/);
    await expect(carriers.create('t1', input('JM-002', { regime: 'TRADE_SECRET' }))).rejects.toThrow(/regime/);
    await expect(carriers.create('t1', input('JM-002', { count: 0 }))).rejects.toThrow(/count/);
    await expect(carriers.create('', input('JM-002'))).rejects.toThrow(/tenantKey/);
    expect(await carriers.get('t1', 'JM-002')).toBeNull();
  });

  it('trade-secret levels get the trade regime', async () => {
    const r = await carriers.create('t1', input('SM-001', { level: 'CORE' }));
    expect(r.ok && r.carrier.regime).toBe('TRADE_SECRET');
  });
});

describe('createIfAbsent', () => {
  it('20 concurrent calls for one copy number: one creates, all get the same carrier', async () => {
    const copy = input('JM-001-C1', { parentNumber: 'JM-001', sourceRequestId: 'CP-2026-0001', custodianId: 'ou_req' });
    const got = await Promise.all(Array.from({ length: 20 }, () => carriers.createIfAbsent('t1', copy)));
    expect(got.filter((g) => g.created)).toHaveLength(1);
    for (const g of got) expect(g.carrier).toMatchObject({ number: 'JM-001-C1', origin: 'copied', parentNumber: 'JM-001', sourceRequestId: 'CP-2026-0001' });
    expect(await db.connection.collection('carriers').countDocuments({ tenantKey: 't1', numberKey: 'JM-001-C1' })).toBe(1);
    const again = await carriers.createIfAbsent('t1', copy);
    expect(again.created).toBe(false);
  });
});

describe('getMany', () => {
  it('in the order asked, missing ones omitted, tenant-scoped', async () => {
    const got = await carriers.getMany('t1', ['SM-001', 'nope', 'jm-001', 'JM-001-C1', 'JM-001']);
    expect(got.map((c) => c.number)).toEqual(['SM-001', 'JM-001', 'JM-001-C1']);
    expect((await carriers.getMany('t2', ['SM-001', 'JM-001'])).map((c) => c.number)).toEqual(['jm-001']);
    expect(await carriers.getMany('t1', [])).toEqual([]);
  });
});

describe('list', () => {
  beforeAll(async () => {
    for (let i = 1; i <= 25; i++) {
      const n = `L-${String(i).padStart(3, '0')}`;
      await carriers.create(
        'tl',
        input(n, {
          level: i % 5 === 0 ? 'TOP_SECRET' : 'SECRET',
          carrierType: i % 2 === 0 ? 'U盘' : '纸质',
          custodianId: i <= 10 ? 'ou_k1' : 'ou_k2',
          status: i % 7 === 0 ? 'PENDING_DESTRUCTION' : 'IN_STOCK',
          alias: i === 13 ? '年度预算 Budget' : `文件${i}`,
        }),
      );
    }
    await carriers.create('tl-other', input('L-001'));
  });

  it('pages through everything in number order with keyset pagination', async () => {
    const seen: string[] = [];
    let after: string | undefined;
    let pages = 0;
    do {
      const page = await carriers.list('tl', {}, { limit: 10, ...(after ? { after } : {}) });
      expect(page.items.length).toBeLessThanOrEqual(10);
      seen.push(...page.items.map((c) => c.number));
      after = page.next;
      pages++;
    } while (after);
    expect(pages).toBe(3);
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => `L-${String(i + 1).padStart(3, '0')}`));
  });

  it('an exact final page has no next', async () => {
    const p = await carriers.list('tl', { custodianId: 'ou_k1' }, { limit: 10 });
    expect(p.items).toHaveLength(10);
    expect(p.next).toBeUndefined();
  });

  it('filters by level, status, type, custodian and text', async () => {
    const nums = async (f: Parameters<CarrierStore['list']>[1]) => (await carriers.list('tl', f, { limit: 100 })).items.map((c) => c.number);
    expect(await nums({ level: 'TOP_SECRET' })).toEqual(['L-005', 'L-010', 'L-015', 'L-020', 'L-025']);
    expect(await nums({ status: 'PENDING_DESTRUCTION' })).toEqual(['L-007', 'L-014', 'L-021']);
    expect(await nums({ carrierType: 'U盘', custodianId: 'ou_k1' })).toEqual(['L-002', 'L-004', 'L-006', 'L-008', 'L-010']);
    expect(await nums({ text: 'l-02' })).toEqual(['L-020', 'L-021', 'L-022', 'L-023', 'L-024', 'L-025']);
    expect(await nums({ text: 'budget' })).toEqual(['L-013']);
    expect(await nums({ text: '.*' })).toEqual([]);
    const after = await carriers.list('tl', { level: 'TOP_SECRET' }, { limit: 2, after: 'l-010' });
    expect(after.items.map((c) => c.number)).toEqual(['L-015', 'L-020']);
    expect(after.next).toBe('L-020');
  });

  it('is tenant-scoped and bounds the page size', async () => {
    expect((await carriers.list('tl-other', {}, { limit: 100 })).items.map((c) => c.tenantKey)).toEqual(['tl-other']);
    await expect(carriers.list('tl', {}, { limit: 101 })).rejects.toThrow(RangeError);
    await expect(carriers.list('tl', {}, { limit: 0 })).rejects.toThrow(RangeError);
  });
});

describe('setStatus', () => {
  beforeAll(async () => {
    await carriers.create('ts', input('S-1'));
    await carriers.create('ts', input('S-2'));
  });

  it('changed, then unchanged on a replay, bumping the version once', async () => {
    expect(await carriers.setStatus('ts', 'S-1', 'CHECKED_OUT', { expect: ['IN_STOCK'], requestId: 'CO-2026-0001' })).toBe('changed');
    expect(await carriers.setStatus('ts', 's-1', 'CHECKED_OUT', { expect: ['IN_STOCK'], requestId: 'CO-2026-0001' })).toBe('unchanged');
    const c = await carriers.get('ts', 'S-1');
    expect(c).toMatchObject({ status: 'CHECKED_OUT', statusRequestId: 'CO-2026-0001', version: 1 });
  });

  it('conflict from an unexpected status, or when another request holds the status', async () => {
    expect(await carriers.setStatus('ts', 'S-1', 'PENDING_DESTRUCTION', { expect: ['IN_STOCK'], requestId: 'DS-2026-0001' })).toBe('conflict');
    // A second approved carry-out of the same carrier does not get to believe it checked it out.
    expect(await carriers.setStatus('ts', 'S-1', 'CHECKED_OUT', { expect: ['IN_STOCK'], requestId: 'CO-2026-0002' })).toBe('conflict');
    expect((await carriers.get('ts', 'S-1'))?.status).toBe('CHECKED_OUT');
  });

  it('expectRequestId: a stale release cannot undo another request’s check-out', async () => {
    expect(await carriers.setStatus('ts', 'S-1', 'IN_STOCK', { expect: ['CHECKED_OUT'], requestId: 'CO-2026-0001', expectRequestId: 'CO-2026-0001' })).toBe('changed');
    expect(await carriers.setStatus('ts', 'S-1', 'CHECKED_OUT', { expect: ['IN_STOCK'], requestId: 'CO-2026-0002' })).toBe('changed');
    // CO-2026-0001's return effect replayed after a crash:
    expect(await carriers.setStatus('ts', 'S-1', 'IN_STOCK', { expect: ['CHECKED_OUT'], requestId: 'CO-2026-0001', expectRequestId: 'CO-2026-0001' })).toBe('conflict');
    expect(await carriers.get('ts', 'S-1')).toMatchObject({ status: 'CHECKED_OUT', statusRequestId: 'CO-2026-0002', version: 3 });
  });

  it('without expect, any other status moves; a manual change clears the request', async () => {
    expect(await carriers.setStatus('ts', 'S-2', 'MISSING')).toBe('changed');
    expect(await carriers.setStatus('ts', 'S-2', 'MISSING')).toBe('unchanged');
    expect(await carriers.setStatus('ts', 'S-1', 'IN_STOCK')).toBe('changed');
    expect(await carriers.get('ts', 'S-1')).not.toHaveProperty('statusRequestId');
  });

  it('missing carrier, tenant-scoped, unknown status refused', async () => {
    expect(await carriers.setStatus('ts', 'NOPE', 'IN_STOCK')).toBe('missing');
    expect(await carriers.setStatus('t-other', 'S-2', 'IN_STOCK')).toBe('missing');
    await expect(carriers.setStatus('ts', 'S-2', 'GONE' as never)).rejects.toThrow(/status/);
  });
});

describe('nextCopyIndex', () => {
  it('1 + the highest existing <parent>-C<n>, ignoring other shapes and tenants', async () => {
    expect(await carriers.nextCopyIndex('tc', 'P-1')).toBe(1);
    await carriers.create('tc', input('P-1'));
    await carriers.create('tc', input('P-1-C1', { parentNumber: 'P-1' }));
    await carriers.create('tc', input('p-1-c3', { parentNumber: 'P-1' }));
    await carriers.create('tc', input('P-1-C10', { parentNumber: 'P-1' }));
    await carriers.create('tc', input('P-1-C2-C1', { parentNumber: 'P-1-C2' }));
    await carriers.create('tc', input('P-10-C99'));
    await carriers.create('tc', input('P-1-CX'));
    await carriers.create('tc2', input('P-1-C50'));
    expect(await carriers.nextCopyIndex('tc', 'P-1')).toBe(11);
    expect(await carriers.nextCopyIndex('tc', 'p-1')).toBe(11);
    expect(await carriers.nextCopyIndex('tc', 'P-1-C2')).toBe(2);
    expect(await carriers.nextCopyIndex('tc', 'P.1')).toBe(1);
  });
});
