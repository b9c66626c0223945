/**
 * The incidents' register (INCIDENT) through the ledger handlers' normal path, without a bot: the
 * filters resolve for it (user= is the reporter, dept= does not apply), `/export all` makes a sheet
 * for it, and `/ledger stats` counts the incidents opened and those open now on a valid card.
 */
import mongoose from 'mongoose';
import { afterAll, describe, expect, it } from 'vitest';
import type { Context } from '../../../bot/core/types.js';
import { CARD_LIMITS, validateCard } from '../../../cards/card.schema.js';
import { COLUMNS } from '../../../handlers/ledger/columns.js';
import { sheetsFor } from '../../../handlers/ledger/export.js';
import { parseLedgerArgs } from '../../../handlers/ledger/filters.js';
import { resolveFilter, type LedgerDeps } from '../../../handlers/ledger/index.js';
import { statsCard } from '../../../handlers/ledger/stats.js';
import { bilingual } from '../../../locales/index.js';
import { LedgerReader, type LedgerStats, type ReaderFilter } from '../../../models/ledger-reader.js';

const TZ = 'Asia/Shanghai';
// Queries are built without a server: the connection is never opened.
const conn = mongoose.createConnection();
const reader = new LedgerReader(conn);
afterAll(() => conn.close());

const ctx = { tenantKey: 't', tb: bilingual, locale: 'zh-CN' } as unknown as Context;
const deps = { reader } as unknown as LedgerDeps;
const query = (args: string, many = false) => {
  const r = parseLedgerArgs(args, { tz: TZ, many, allowFormat: many });
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value;
};

describe('filters on the incidents’ register', () => {
  it('user= reads the reporter, status= an incident step, level= the level', async () => {
    const f = await resolveFilter(ctx, deps, query('incident 2026 user=ou_rep1 status=报告 level=机密'), 'INCIDENT');
    expect(f).toMatchObject({ kind: 'INCIDENT', user: 'ou_rep1', events: ['OPENED'], level: 'SECRET' });
    expect(reader.query('t', f)).toMatchObject({ tenantKey: 't', ledger: 'INCIDENT', 'data.reporterId': 'ou_rep1', event: 'OPENED', 'data.level': 'SECRET' });
  });

  it('refuses dept= (an incident names no department), naming the register', async () => {
    const refused = await resolveFilter(ctx, deps, query('incident dept=综合处'), 'INCIDENT').then(
      () => undefined,
      (e: unknown) => e as { key: string; text?: { zh: string } },
    );
    expect(refused?.key).toBe('ledger:bad.not_applicable');
    expect(refused?.text?.zh).toBe('筛选条件“dept”不适用于泄密事件登记。');
  });
});

describe('/export all', () => {
  it('has one sheet per register, the incidents’ included, with its headers', async () => {
    const q = query('all 2026', true);
    const filters: ReaderFilter[] = [];
    for (const kind of q.kinds) filters.push(await resolveFilter(ctx, deps, q, kind));
    const sheets = sheetsFor(ctx, deps, filters);
    expect(sheets.map((s) => s.title)).toEqual(['涉密载体总台账', '复制登记', '携带外出登记', '销毁登记', '泄密事件登记', '审计日志']);
    const incident = sheets.find((s) => s.kind === 'INCIDENT')!;
    expect(incident.columns).toBe(COLUMNS.INCIDENT);
    expect(incident.headers).toEqual(expect.arrayContaining(['事件编号', '事件类型', '报告人', '报告时间', '报告对象']));
  });
});

describe('/ledger stats', () => {
  it('counts the incidents opened (by level) and those open now, on a valid card', async () => {
    const stats: LedgerStats = {
      counts: [
        { kind: 'INCIDENT', level: 'SECRET', deptId: '', n: 2 },
        { kind: 'COPY', level: 'SECRET', deptId: 'od-1', n: 5 },
        { kind: 'INCIDENT', level: 'TOP_SECRET', deptId: '', n: 1 },
      ],
      openCarryOuts: 0,
      overdueCarryOuts: 0,
      pendingDestruction: 0,
      waitingOver48h: 0,
      deadLetters: 0,
      openIncidents: 3,
    };
    const statsDeps = {
      reader: { stats: async () => stats },
      directory: { department: async () => ({ id: 'od-1', name: '综合处', enName: 'General Affairs' }) },
    } as unknown as LedgerDeps;
    for (const locale of ['zh-CN', 'en-US'] as const) {
      const c = { ...ctx, locale, services: { timezone: TZ, now: () => new Date('2026-06-01T00:00:00Z') } } as unknown as Context;
      const card = await statsCard(c, statsDeps, 2026);
      expect(validateCard(card)).toEqual({ ok: true });
      expect(Buffer.byteLength(JSON.stringify(card))).toBeLessThan(CARD_LIMITS.maxBytes);
      const text = JSON.stringify(card);
      if (locale === 'zh-CN') {
        expect(text).toContain('泄密事件登记 · 机密：**2**');
        expect(text).toContain('泄密事件登记 · 绝密：**1**');
        expect(text).toContain('处理中的泄密事件（未关闭，不含待确认）：**3**');
        expect(text).not.toContain('泄密事件登记 · 机密 · （无部门）');
        // The registers in their order: copies before incidents.
        expect(text.indexOf('复制登记 · 机密 · 综合处：**5**')).toBeLessThan(text.indexOf('泄密事件登记 · 机密'));
      } else {
        expect(text).toContain('Incident register · Secret: **2**');
        expect(text).toContain('Incidents open (not yet closed; drafts to confirm not counted): **3**');
      }
    }
  });
});
