/**
 * `runExport` without a bot: the status card is patched with the progress at most once a second
 * (by the clock, whatever the batches), ends on "done", and the uploaded workbook reads back.
 */
import ExcelJS from 'exceljs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Context } from '../../../bot/core/types.js';
import { runExport } from '../../../handlers/ledger/export.js';
import type { LedgerDeps } from '../../../handlers/ledger/index.js';
import { bilingual, translator } from '../../../locales/index.js';
import type { ReaderRow } from '../../../models/ledger-reader.js';

afterEach(() => vi.useRealTimers());

function row(seq: number): ReaderRow {
  return {
    kind: 'COPY',
    tenantKey: 't',
    ledger: 'COPY',
    seq,
    effectKey: `k${seq}`,
    event: 'COPIED',
    carrierNumber: 'JM-1',
    requestId: `CP-2026-${seq}`,
    actorId: 'ou_officer',
    occurredAt: new Date(Date.UTC(2026, 2, 1, 1, 30)),
    data: { requesterId: 'ou_staff', deptId: 'od-1', level: 'SECRET', copiesMade: 2, purpose: '=cmd()', deviceWiped: false },
    prevHash: '0',
    hash: '1',
    recordedAt: new Date(),
  } as ReaderRow;
}

describe('runExport', () => {
  it('patches one status card at most once a second, then sends the file', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-11-30T02:00:00Z'));
    const TOTAL = 1000;
    const patches: string[] = [];
    const patchTimes: number[] = [];
    const uploads: { name: string; data: Buffer; type?: string }[] = [];
    const replies: unknown[] = [];
    const deps = {
      reader: {
        count: async () => TOTAL,
        async *stream() {
          for (let i = 1; i <= TOTAL; i++) {
            if (i % 100 === 1) vi.setSystemTime(Date.now() + 400); // each batch takes 0.4 s
            yield row(i);
          }
        },
      },
      people: { names: async () => (id: string) => (id === 'ou_staff' ? { zh: '孙浩', en: 'Sun Hao' } : { zh: '李娜', en: 'Li Na' }) },
      directory: { department: async () => ({ id: 'od-1', name: '综合处', enName: 'General Affairs' }) },
      carriers: { getMany: async () => [] },
    } as unknown as LedgerDeps;
    const ctx = {
      tenantKey: 't',
      locale: 'zh-CN',
      t: translator('zh-CN'),
      tb: bilingual,
      log: { warn: () => undefined },
      services: {
        timezone: 'Asia/Shanghai',
        now: () => new Date(),
        sender: {
          patchCard: async (_id: string, card: unknown) => {
            patches.push(JSON.stringify(card));
            patchTimes.push(Date.now());
          },
          uploadFile: async (name: string, data: Buffer, type?: string) => {
            uploads.push({ name, data, type });
            return { fileKey: 'file_1' };
          },
        },
      },
      reply: async (m: unknown) => {
        replies.push(m);
        return { messageId: 'om_status' };
      },
    } as unknown as Context;

    const rows = await runExport(ctx, deps, { kinds: ['COPY'] }, [{ kind: 'COPY' }]);
    expect(rows).toBe(TOTAL);

    const progress = patches.filter((p) => p.includes('正在导出'));
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress.length).toBeLessThanOrEqual(4); // 4 s of batches, once a second at most
    const percents = progress.map((p) => Number(/(\d+)%/.exec(p)![1]));
    expect([...percents].sort((a, b) => a - b)).toEqual(percents);
    for (let i = 1; i < patchTimes.length; i++) expect(patchTimes[i]! - patchTimes[i - 1]!).toBeGreaterThanOrEqual(0);
    const gaps = patchTimes.slice(0, progress.length).map((t, i, a) => (i ? t - a[i - 1]! : Number.POSITIVE_INFINITY));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(1000);
    expect(patches.at(-1)).toContain('已导出 1000 行');

    expect(replies[0]).toMatchObject({ type: 'card' });
    expect(JSON.stringify(replies[0])).toContain('0%');
    expect(replies[1]).toEqual({ type: 'file', fileKey: 'file_1' });
    expect(uploads).toHaveLength(1);
    expect(uploads[0]!.name).toBe('台账-20261130-1000.xlsx');
    expect(uploads[0]!.type).toBe('xls');

    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(uploads[0]!.data as unknown as ArrayBuffer);
    const ws = wb.getWorksheet('复制登记')!;
    expect(ws.rowCount).toBe(TOTAL + 1);
    const headers = (ws.getRow(1).values as unknown[]).slice(1);
    const cell = (r: number, name: string) => ws.getRow(r).getCell(headers.indexOf(name) + 1).value;
    expect(cell(2, '申请人')).toBe('孙浩');
    expect(cell(2, '部门')).toBe('综合处');
    expect(cell(2, '密级')).toBe('机密');
    expect(cell(2, '设备数据清除')).toBe('否');
    expect(cell(2, '用途')).toBe('=cmd()'); // a string cell, never a formula
    expect((cell(2, '日期') as Date).toISOString()).toBe('2026-03-01T09:30:00.000Z');
    // Dates show as dates (not serial numbers) on every row — those written before the widths were
    // measured and after; text keeps Excel's default; the header is bold.
    const fmt = (r: number, name: string) => ws.getRow(r).getCell(headers.indexOf(name) + 1).numFmt;
    for (const r of [2, 201, 202, TOTAL + 1]) expect(fmt(r, '日期'), `row ${r}`).toBe('yyyy-mm-dd hh:mm');
    expect(fmt(TOTAL + 1, '申请人')).toBeFalsy();
    expect(ws.getRow(1).getCell(1).font?.bold).toBe(true);
  });
});

describe('wallClock', () => {
  it('gives the same local time as the cards, across DST changes', async () => {
    const { wallClock } = await import('../../../handlers/ledger/export.js');
    const { fmtTime } = await import('../../../cards/request.card.js');
    for (const tz of ['Asia/Shanghai', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kathmandu']) {
      const clock = wallClock(tz);
      // Every 37 min 13 s through 2026, DST changes included.
      for (let t = Date.UTC(2026, 0, 1); t < Date.UTC(2027, 0, 1); t += 2_233_000) {
        const d = new Date(t);
        const w = clock(d)!;
        expect(w.toISOString().slice(0, 16).replace('T', ' '), `${tz} ${d.toISOString()}`).toBe(fmtTime(d.toISOString(), tz));
      }
    }
  });

  it('also on a day whose change is not on a quarter hour (St John’s changed at 00:01 until 2011), minute by minute', async () => {
    const { wallClock } = await import('../../../handlers/ledger/export.js');
    const { fmtTime } = await import('../../../cards/request.card.js');
    const clock = wallClock('America/St_Johns');
    for (const day of [Date.UTC(2010, 2, 14), Date.UTC(2010, 10, 7)]) {
      for (let t = day - 6 * 3_600_000; t < day + 30 * 3_600_000; t += 60_000) {
        const d = new Date(t);
        expect(clock(d)!.toISOString().slice(0, 16).replace('T', ' '), d.toISOString()).toBe(fmtTime(d.toISOString(), 'America/St_Johns'));
      }
    }
  });
});
