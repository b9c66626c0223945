// `/training export [year]`: the year's training as an XLSX workbook (exceljs, like the ledgers'
// export in handlers/ledger/export.ts: headers in the asker's language, frozen and bold header
// row, widths that fit, dates as dates): one sheet per person (hours, unit share, target,
// shortfall; below target first), one per entry (date, person, title, kind, hours, organised by the
// unit or self-reported). The file is uploaded and sent to the asker privately.
import ExcelJS from 'exceljs';
import type { Bi } from '../../bot/core/types.js';
import type { TrainingHours } from '../../models/training.model.js';
import type { PersonStanding } from './service.js';

export interface ExportInput {
  year: number;
  t: (key: string, params?: Record<string, unknown>) => string;
  standings: readonly PersonStanding[];
  entries: readonly TrainingHours[];
  name: (openId: string) => string;
  dept: (deptId: string | undefined) => string;
}

/** Display width: CJK and full-width characters count two. */
function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += (ch.codePointAt(0) ?? 0) >= 0x2e80 ? 2 : 1;
  return w;
}

type Cell = string | number | Date | null;

function sheet(wb: ExcelJS.Workbook, title: string, headers: string[], rows: Cell[][], dateColumns: readonly number[] = []): void {
  const ws = wb.addWorksheet(title.slice(0, 31), { views: [{ state: 'frozen', ySplit: 1 }] });
  const widths = headers.map((h) => displayWidth(h));
  for (const r of rows)
    r.forEach((v, i) => {
      const w = v instanceof Date ? 10 : v === null ? 0 : displayWidth(String(v));
      widths[i] = Math.max(widths[i] ?? 0, w);
    });
  ws.columns = headers.map((h, i) => ({
    header: h,
    key: `c${i}`,
    width: Math.min(60, (widths[i] ?? 4) + 2),
    ...(dateColumns.includes(i) ? { style: { numFmt: 'yyyy-mm-dd' } } : {}),
  }));
  ws.getRow(1).font = { bold: true };
  for (const r of rows) ws.addRow(r);
}

/** The workbook as bytes. */
export async function trainingWorkbook(x: ExportInput): Promise<Buffer> {
  const { t } = x;
  const wb = new ExcelJS.Workbook();
  const yes = t('training:export.yes');
  const no = t('training:export.no');
  sheet(
    wb,
    t('training:export.sheet_people', { year: x.year }),
    ['name', 'dept', 'hours', 'unit', 'target', 'unit_target', 'short', 'below'].map((k) => t(`training:export.col.${k}`)),
    x.standings.map((s) => [
      x.name(s.openId),
      x.dept(s.deptId),
      s.tally.hours,
      s.tally.unit,
      s.standing.needHours,
      s.standing.needUnit,
      s.standing.short,
      s.standing.below ? yes : no,
    ]),
  );
  sheet(
    wb,
    t('training:export.sheet_entries', { year: x.year }),
    ['date', 'name', 'title', 'kind', 'hours', 'unit_organised', 'session'].map((k) => t(`training:export.col.${k}`)),
    x.entries.map((e) => [
      new Date(`${e.date}T00:00:00Z`),
      x.name(e.openId),
      e.title,
      t(`training:kind.${e.kind}`),
      e.hours,
      e.unitOrganised ? yes : no,
      e.sessionId ?? t('training:export.self_reported'),
    ]),
    [0],
  );
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** A name in one language. */
export const oneName = (b: Bi, lang: 'zh-CN' | 'en-US') => (lang === 'en-US' ? b.en : b.zh);
