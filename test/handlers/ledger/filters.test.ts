import { describe, expect, it } from 'vitest';
import { bilingual } from '../../../locales/index.js';
import { encodeAction } from '../../../cards/action-value.js';
import { validateCard, CARD_LIMITS } from '../../../cards/card.schema.js';
import { LEDGER_PAGE_SIZE, ledgerPageCard } from '../../../cards/ledger.card.js';
import { parseLedgerArgs, parseRange, parseYear, queryArgs } from '../../../handlers/ledger/filters.js';
import { LEDGER_KINDS } from '../../../models/ledger-reader.js';

const TZ = 'Asia/Shanghai';
const ok = (args: string, many = false) => {
  const r = parseLedgerArgs(args, { tz: TZ, many, allowFormat: many });
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value;
};
const err = (args: string, many = false) => {
  const r = parseLedgerArgs(args, { tz: TZ, many, allowFormat: many });
  if (r.ok) throw new Error(`accepted ${args}`);
  return r.error;
};

describe('date ranges in the unit’s timezone', () => {
  it.each([
    ['2026', '2026-01-01', '2026-12-31'],
    ['2026-H1', '2026-01-01', '2026-06-30'],
    ['2026-h2', '2026-07-01', '2026-12-31'],
    ['2026-Q1', '2026-01-01', '2026-03-31'],
    ['2026-Q3', '2026-07-01', '2026-09-30'],
    ['2024-02', '2024-02-01', '2024-02-29'],
    ['2026-03-05', '2026-03-05', '2026-03-05'],
    ['2026-01-01..2026-06-30', '2026-01-01', '2026-06-30'],
    ['2026-01-01~2026-01-31', '2026-01-01', '2026-01-31'],
  ])('%s is %s to %s', (token, fromDay, toDay) => {
    const r = parseRange(token, TZ)!;
    expect([r.fromDay, r.toDay]).toEqual([fromDay, toDay]);
    // Local midnight in Shanghai is 16:00 UTC the day before; the end is exclusive (the next day).
    expect(r.from.toISOString()).toBe(new Date(`${fromDay}T00:00:00+08:00`).toISOString());
    const next = new Date(`${toDay}T00:00:00+08:00`);
    next.setUTCDate(next.getUTCDate() + 1);
    expect(r.to.toISOString()).toBe(next.toISOString());
  });

  it.each(['2026-Q5', '2026-H3', '2026-13', '2026-02-30', '2026-06-30..2026-01-01', '26'])('refuses %s', (token) => {
    expect(parseRange(token, TZ)).toBeUndefined();
  });
});

describe('parseLedgerArgs', () => {
  it('takes kinds and keys in English or Chinese', () => {
    expect(ok('复制 2026-H1 部门=综合处 密级=机密 人员=ou_abc 状态=复制 载体=jm-2026-001')).toMatchObject({
      kinds: ['COPY'],
      dept: '综合处',
      level: 'SECRET',
      user: 'ou_abc',
      status: '复制',
      carrier: 'JM-2026-001',
    });
    expect(ok('carry user= ou_x1 status=OVERDUE')).toMatchObject({ kinds: ['CARRY'], user: 'ou_x1', status: 'OVERDUE' });
    for (const [typed, kind] of [
      ['总账', 'MASTER'],
      ['外携', 'CARRY'],
      ['销毁', 'DESTROY'],
      ['审计', 'AUDIT'],
      ['MASTER', 'MASTER'],
      ['incident', 'INCIDENT'],
      ['事件', 'INCIDENT'],
    ] as const) {
      expect(ok(typed).kinds).toEqual([kind]);
    }
    expect(ok('copy dept="General Affairs"').dept).toBe('General Affairs');
  });

  it('names what it cannot read', () => {
    expect(err('')).toEqual({ code: 'kind', value: '' });
    expect(err('ledgers')).toEqual({ code: 'kind', value: 'ledgers' });
    expect(err('copy carry')).toMatchObject({ code: 'kind' });
    expect(err('copy 2026-Q5')).toEqual({ code: 'range', value: '2026-Q5' });
    expect(err('copy level=purple')).toEqual({ code: 'level', value: 'purple' });
    expect(err('copy user=bob')).toEqual({ code: 'user', value: 'bob' });
    expect(err('copy colour=red')).toEqual({ code: 'key', value: 'colour' });
    expect(err('copy level=机密 密级=秘密')).toEqual({ code: 'twice', value: '密级' });
    expect(err('copy 2026 2025')).toEqual({ code: 'twice', value: '2025' });
    expect(err('copy format=csv')).toEqual({ code: 'key', value: 'format' });
    expect(err('copy junk')).toEqual({ code: 'text', value: 'junk' });
    expect(err('copy carrier=<b>')).toEqual({ code: 'carrier', value: '<b>' });
  });

  it('exports several ledgers, all of them, and a format', () => {
    expect(ok('copy carry format=csv', true)).toMatchObject({ kinds: ['COPY', 'CARRY'], format: 'csv' });
    expect(ok('全部 2026', true).kinds).toEqual(['MASTER', 'COPY', 'CARRY', 'DESTROY', 'INCIDENT', 'AUDIT']);
    expect(ok('all', true).kinds).toEqual([...LEDGER_KINDS]);
    expect(err('copy format=pdf', true)).toEqual({ code: 'format', value: 'pdf' });
  });

  it('writes a query back as arguments that parse to the same query', () => {
    const q = ok('复制 2026-Q3 部门=研发部 密级=秘密 人员=ou_abc 状态=COPIED 载体=MM-1');
    expect(queryArgs(q)).toBe('copy 2026-07-01..2026-09-30 dept=研发部 level=CONFIDENTIAL user=ou_abc status=COPIED carrier=MM-1');
    const again = ok(queryArgs(q));
    expect({ ...again, range: again.range?.text }).toEqual({ ...q, range: q.range?.text });
  });

  it('reads the stats year', () => {
    expect(parseYear(undefined, 2026)).toBe(2026);
    expect(parseYear('2025', 2026)).toBe(2025);
    expect(parseYear('twenty', 2026)).toBeUndefined();
  });
});

describe('the ledger page card', () => {
  it('stays within Lark’s limits with 10 long rows and both buttons', () => {
    const long = 'X'.repeat(64);
    const columns = ['seq', 'occurredAt', 'request', 'requester', 'dept', 'number', 'level', 'copies_made'].map((id) => ({
      id,
      label: { zh: '列名', en: 'Column' },
      type: 'text' as const,
      width: 'auto',
    }));
    const rows = Array.from({ length: LEDGER_PAGE_SIZE }, () => Object.fromEntries(columns.map((c) => [c.id, long])));
    const extra = { k: 'copy', r: '2026-01-01..2026-06-30', d: long, l: 'TOP_SECRET', u: `ou_${'a'.repeat(60)}`, s: long, c: long, a: 123456, p: 99 };
    const card = ledgerPageCard({
      kind: bilingual('ledger:kind.COPY'),
      columns,
      rows,
      total: 100_000,
      page: 99,
      filters: { zh: long, en: long },
      args: long.repeat(5),
      prev: extra,
      next: { ...extra, b: 1 },
      owner: 'ou_abc',
      tb: bilingual,
      lang: 'zh',
    });
    expect(validateCard(card)).toEqual({ ok: true });
    expect(Buffer.byteLength(JSON.stringify(card))).toBeLessThan(CARD_LIMITS.maxBytes);
    const text = JSON.stringify(card);
    expect(text).toContain('共 100000 条 · 第 99/10000 页');
    // Every column width is Lark-valid.
    for (const w of [...text.matchAll(/"width":"([^"]+)"/g)].map((m) => m[1]!)) expect(w).toMatch(/^(auto|default|fill|weighted|([89]\d|[1-5]\d\d|600)px|\d{1,3}%)$/);
    expect(() => encodeAction({ action: 'ledger.page', extra: { ...extra, b: 1 }, owner: 'ou_abc' })).not.toThrow();
  });
});
