// Issue 7 item 9: tables fit a 600 px card — the key columns only (carrier number, level, type,
// alias), widths that add up to at most 100 %, secondary fields (pages, flags) in a detail line.
import { describe, expect, it } from 'vitest';
import type { Bi } from '../../cards/builder.js';
import { validateCard } from '../../cards/card.schema.js';
import type { Card } from '../../cards/card.types.js';
import { myRequestsCard, pendingCard } from '../../cards/lists.card.js';
import { approvalCard, statusCard } from '../../cards/request.card.js';
import { bilingual } from '../../locales/index.js';
import { tbFor } from '../../handlers/approvals/render.js';
import { forReader } from '../../cards/reader.js';
import { approved, carrier, hours, submitted } from '../domain/helpers.js';

const names = (id: string): Bi => ({ zh: `人${id}`, en: `P_${id}` });
const opts = { tb: bilingual, names, now: hours(2) };
type Table = { columns: { name: string; width?: string }[]; rows: Record<string, unknown>[] };
const tables = (c: Card) => c.body.elements.filter((e) => e.tag === 'table') as unknown as Table[];

function expectFits(t: Table): void {
  expect(t.columns.length).toBeLessThanOrEqual(5);
  const widths = t.columns.map((c) => /^(\d+)%$/.exec(c.width ?? '')?.[1]);
  expect(
    widths.every((w) => w !== undefined),
    JSON.stringify(t.columns),
  ).toBe(true);
  expect(widths.reduce((a, w) => a + Number(w), 0)).toBeLessThanOrEqual(100);
}

describe('the carriers table fits a 600 px card', () => {
  const carriers = [
    carrier('JM-2026-001', 'SECRET', { alias: '年度计划', carrierType: '纸质', pagesOrCapacity: '30', copyRestricted: true }),
    carrier('JM-2026-002', 'SECRET', { alias: '项目盘', carrierType: 'U盘' }),
  ];
  const req = submitted('COPY', 'SECRET', { carriers, details: { ref: '批字1号' } });
  for (const [name, c] of [
    ['approval', approvalCard(req, opts)],
    ['status', statusCard(req, opts)],
  ] as const) {
    it(`${name} card: key columns with percentage widths; pages and flags in the detail line (zh and en)`, () => {
      expect(validateCard(c)).toEqual({ ok: true });
      const [t] = tables(c);
      expectFits(t!);
      expect(t!.columns.map((x) => x.name)).toEqual(['number', 'level', 'type', 'alias']);
      const s = JSON.stringify(c);
      expect(s).toMatch(/JM-2026-001：\*\*页数\/容量\*\*：30 · 限制复制/);
      expect(s).toMatch(/JM-2026-001: \*\*Pages\/capacity\*\*: 30 · Copy-restricted/);
      expect(s).not.toMatch(/JM-2026-002[：:] /);
    });
  }
});

describe('/pending keeps its commands out of the table', () => {
  it('the table has no command column; every command is on a line under it', () => {
    const c = pendingCard([submitted('COPY', 'SECRET')], { tb: bilingual, names });
    expect(validateCard(c)).toEqual({ ok: true });
    const [t] = tables(c);
    expect(t!.columns.map((x) => x.name)).not.toContain('commands');
    expect(JSON.stringify(c)).toContain('/approve CP-2026-0001');
  });
});

describe('/my fits a 600 px card', () => {
  const sum = (t: Table) => t.columns.reduce((a, c) => a + Number(/^(\d+)%$/.exec(c.width ?? '')?.[1]), 0);
  const reqs = [submitted('COPY', 'SECRET'), approved('CARRY_OUT', 'TOP_SECRET')];
  for (const [lang, re] of [
    ['zh-CN', { head: '状态 / 下一步', level: /- CP-2026-0001：\*\*密级\*\*：机密 · \*\*更新时间\*\*：(\d{4}-\d{2}-\d{2} \d{2}:\d{2})/ }],
    ['en-US', { head: 'State / next step', level: /- CP-2026-0001: \*\*Level\*\*: Secret · \*\*Updated\*\*: (\d{4}-\d{2}-\d{2} \d{2}:\d{2})/ }],
  ] as const) {
    it(`key columns (id, kind, state / next step) at 100 %; level and local update time in a detail line (${lang})`, () => {
      const c = forReader(myRequestsCard(reqs, { tb: tbFor(lang), names, timeZone: 'Asia/Shanghai' }), lang);
      expect(validateCard(c)).toEqual({ ok: true });
      const [t] = tables(c);
      expectFits(t!);
      expect(sum(t!)).toBe(100);
      expect(t!.columns.map((x) => x.name)).toEqual(['id', 'kind', 'state']);
      const s = JSON.stringify(c);
      expect(s).toContain(re.head);
      expect(t!.rows[0]!.state).toMatch(/1\/3/);
      expect(JSON.stringify(t!.rows)).not.toMatch(/\d{4}-\d{2}-\d{2}/);
      const m = re.level.exec(s);
      expect(m, s).not.toBeNull();
      // Local time (Asia/Shanghai is UTC+8), never ISO.
      const local = new Date(new Date(reqs[0]!.updatedAt).getTime() + 8 * 3600_000).toISOString().slice(0, 16).replace('T', ' ');
      expect(m![1]).toBe(local);
      expect(s).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:/);
    });
  }
});
