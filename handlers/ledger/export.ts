// `/export`: the registers as an XLSX workbook (exceljs's streaming writer: one sheet per register,
// headers in the asker's language, frozen header row, widths that fit, dates as dates) or CSV
// (UTF-8 with BOM, one file per register). Rows stream from a MongoDB cursor in batches, are
// written to a temporary file, and the file is uploaded (`im.v1.file.create`, ≤ 30 MB) and sent
// to the asker privately. One status card shows the progress, patched at most once a second.
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { BotError } from '../../bot/core/errors.js';
import type { Context } from '../../bot/core/types.js';
import { linesCard } from '../../cards/ledger.card.js';
import { fmtTime, tr } from '../../cards/request.card.js';
import { translator } from '../../locales/index.js';
import type { LedgerKind, ReaderFilter, ReaderRow } from '../../models/ledger-reader.js';
import { COLUMNS, type CellValue, type Column, type Resolver } from './columns.js';
import type { LedgerQuery } from './filters.js';
import { formatCell, resolverFor, type LedgerDeps } from './resolve.js';

/** Lark's limit for an uploaded file. */
export const MAX_FILE_BYTES = 30 * 1024 * 1024;
/** Rows read from the cursor and resolved (names, carriers) at a time. */
const BATCH = 100;
/** Rows looked at to size the columns before the first one is written. */
const MEASURE_ROWS = 200;
/** The status card is patched at most this often (Lark allows 5 patches a second per message). */
const PATCH_EVERY_MS = 1000;

export interface Sheet {
  kind: LedgerKind;
  /** The sheet's (or CSV file's) name. */
  title: string;
  columns: Column[];
  /** Header texts, in the asker's language. */
  headers: string[];
  rows: AsyncIterable<ReaderRow>;
}

export interface WriteOptions {
  timeZone: string;
  /** Names, departments, carriers for one batch of rows. */
  resolve(batch: readonly ReaderRow[]): Promise<Resolver>;
  /** Called after each batch with the rows written so far (all sheets). */
  progress?(rows: number): Promise<void> | void;
}

/** Batches of rows with their resolver. */
async function* batches(rows: AsyncIterable<ReaderRow>, resolve: WriteOptions['resolve']): AsyncGenerator<{ rows: ReaderRow[]; x: Resolver }> {
  let batch: ReaderRow[] = [];
  for await (const r of rows) {
    batch.push(r);
    if (batch.length >= BATCH) {
      yield { rows: batch, x: await resolve(batch) };
      batch = [];
    }
  }
  if (batch.length) yield { rows: batch, x: await resolve(batch) };
}

/** Display width: CJK and full-width characters count two. */
function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += (ch.codePointAt(0) ?? 0) >= 0x2e80 ? 2 : 1;
  return w;
}

const LOCAL = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2})$/;
const MINUTE = 60_000;
const DAY = 86_400_000;

/**
 * The unit's wall-clock time of an instant as a Date whose UTC fields show it (what Excel needs;
 * it has no zones). A zone's offset changes at most once a day, so it is looked up once per UTC day
 * — the day's first and last minute agreeing — and per minute only on a day when it changes (not
 * every change falls on a quarter hour: St John's once changed at 00:01), instead of formatting
 * every value with Intl (100,000 rows spread over two years would each be a lookup).
 */
export function wallClock(timeZone: string): (d: Date) => Date | undefined {
  const minutes = new Map<number, number | undefined>();
  const days = new Map<number, number | undefined | null>();
  const offsetAt = (minute: number): number | undefined => {
    if (minutes.has(minute)) return minutes.get(minute);
    const start = minute * MINUTE;
    const m = LOCAL.exec(fmtTime(new Date(start).toISOString(), timeZone));
    const off = m ? Date.parse(`${m[1]}T${m[2]}:00Z`) - start : undefined;
    if (minutes.size > 10_000) minutes.clear();
    minutes.set(minute, off);
    return off;
  };
  return (d) => {
    const t = d.getTime();
    if (Number.isNaN(t)) return undefined;
    const day = Math.floor(t / DAY);
    let off = days.get(day);
    if (off === undefined && !days.has(day)) {
      const first = offsetAt((day * DAY) / MINUTE);
      const last = offsetAt(((day + 1) * DAY) / MINUTE - 1);
      // null: the offset changes during this day, so look at the minute.
      off = first === last ? first : null;
      if (days.size > 10_000) days.clear();
      days.set(day, off);
    }
    if (off === null) off = offsetAt(Math.floor(t / MINUTE));
    // Minutes, as people are shown (YYYY-MM-DD HH:mm).
    return off === undefined ? undefined : new Date(Math.floor((t + off) / MINUTE) * MINUTE);
  };
}

const pad = (n: number) => (n < 10 ? `0${n}` : String(n));
/** `YYYY-MM-DD HH:mm` of a wall-clock Date from `wallClock`. */
const showClock = (w: Date) => `${w.getUTCFullYear()}-${pad(w.getUTCMonth() + 1)}-${pad(w.getUTCDate())} ${pad(w.getUTCHours())}:${pad(w.getUTCMinutes())}`;

/** A value for an Excel cell: instants as the unit's wall-clock time (Excel has no zones). */
function excelValue(v: CellValue, type: Column['type'], clock: (d: Date) => Date | undefined): string | number | Date | null {
  if (v === undefined) return null;
  if (type === 'datetime' && v instanceof Date) return clock(v) ?? null;
  if (type === 'date' && typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v)) return new Date(`${v}T00:00:00Z`);
  return v instanceof Date ? v : v;
}

/** Writes an XLSX workbook, one sheet per register; returns the rows written. */
export async function writeXlsx(path: string, sheets: Sheet[], opts: WriteOptions): Promise<number> {
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: path, useStyles: true, useSharedStrings: false });
  const clock = wallClock(opts.timeZone);
  let written = 0;
  for (const sheet of sheets) {
    const ws = wb.addWorksheet(sheet.title.slice(0, 31), { views: [{ state: 'frozen', ySplit: 1 }] });
    const widths = sheet.headers.map((h, i) => Math.max(displayWidth(h), sheet.columns[i]!.type === 'datetime' ? 16 : sheet.columns[i]!.type === 'date' ? 10 : 4));
    let columnsSet = false;
    const pending: (string | number | Date | null)[][] = [];
    // One style object per column, shared by its cells: exceljs caches a style's id by the
    // object's identity, so each cell no longer makes it work out the style anew.
    const styles: Partial<ExcelJS.Style>[] = sheet.columns.map((c) => (c.type === 'datetime' ? { numFmt: 'yyyy-mm-dd hh:mm' } : c.type === 'date' ? { numFmt: 'yyyy-mm-dd' } : {}));
    const addRow = (values: (string | number | Date | null)[]) => {
      const row = ws.addRow(values);
      for (let i = 0; i < styles.length; i++) row.getCell(i + 1).style = styles[i]!;
      row.commit();
    };
    const setColumns = () => {
      ws.columns = sheet.columns.map((c, i) => ({
        header: sheet.headers[i]!,
        key: c.id,
        width: Math.min(60, widths[i]! + 2),
        style: styles[i]!,
      }));
      const head = ws.getRow(1);
      head.font = { bold: true };
      head.commit();
      columnsSet = true;
      for (const values of pending) addRow(values);
      pending.length = 0;
    };
    for await (const { rows, x } of batches(sheet.rows, opts.resolve)) {
      for (const r of rows) {
        const values = sheet.columns.map((c) => excelValue(c.value(r, x), c.type, clock));
        if (columnsSet) {
          addRow(values);
          continue;
        }
        values.forEach((v, i) => {
          if (typeof v === 'string') widths[i] = Math.max(widths[i]!, displayWidth(v));
          else if (typeof v === 'number') widths[i] = Math.max(widths[i]!, String(v).length);
        });
        pending.push(values);
        if (pending.length >= MEASURE_ROWS) setColumns();
      }
      written += rows.length;
      await opts.progress?.(written);
    }
    if (!columnsSet) setColumns();
    ws.commit();
  }
  await wb.commit();
  return written;
}

/** A CSV field: quoted when needed; a leading = + - @ is defused so a spreadsheet never runs it. */
function csvField(s: string): string {
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** Writes one register as CSV (UTF-8 with BOM, CRLF); returns the rows written. */
export async function writeCsv(path: string, sheet: Sheet, opts: WriteOptions, before = 0): Promise<number> {
  const out = createWriteStream(path);
  const write = async (s: string) => {
    if (!out.write(s)) await once(out, 'drain');
  };
  let written = 0;
  const clock = wallClock(opts.timeZone);
  const text = (v: CellValue, type: Column['type']): string => {
    if (v instanceof Date && type !== 'date') {
      const w = clock(v);
      return w ? showClock(w) : '';
    }
    return formatCell(v, type, opts.timeZone);
  };
  try {
    await write(`\ufeff${sheet.headers.map(csvField).join(',')}\r\n`);
    for await (const { rows, x } of batches(sheet.rows, opts.resolve)) {
      let chunk = '';
      for (const r of rows) chunk += `${sheet.columns.map((c) => csvField(text(c.value(r, x), c.type))).join(',')}\r\n`;
      await write(chunk);
      written += rows.length;
      await opts.progress?.(before + written);
    }
  } finally {
    out.end();
    await once(out, 'close');
  }
  return written;
}

/** The sheets of an export, in the asker's language. */
export function sheetsFor(ctx: Pick<Context, 'locale' | 'tenantKey'>, deps: Pick<LedgerDeps, 'reader'>, filters: ReaderFilter[]): Sheet[] {
  const t = translator(ctx.locale);
  return filters.map((f) => ({
    kind: f.kind,
    title: t(`ledger:kind.${f.kind}`),
    columns: COLUMNS[f.kind],
    headers: COLUMNS[f.kind].map((c) => t(`ledger:col.${c.label}`)),
    rows: deps.reader.stream(ctx.tenantKey, f),
  }));
}

function stamp(d: Date, timeZone: string): string {
  return fmtTime(d.toISOString(), timeZone)
    .replace(/[-: ]/g, '')
    .replace(/^(\d{8})/, '$1-');
}

/** Runs `/export` for a resolved query: status card, file(s), upload, file message. */
export async function runExport(ctx: Context, deps: LedgerDeps, q: LedgerQuery, filters: ReaderFilter[]): Promise<number> {
  const tz = ctx.services.timezone;
  const tb = ctx.tb;
  const lang = ctx.locale === 'en-US' ? 'en' : 'zh';
  const kinds = { zh: filters.map((f) => tb(`ledger:kind.${f.kind}`).zh).join('、'), en: filters.map((f) => tb(`ledger:kind.${f.kind}`).en).join(', ') };
  const totals = await Promise.all(filters.map((f) => deps.reader.count(ctx.tenantKey, f)));
  const total = totals.reduce((a, b) => a + b, 0);
  if (total === 0) {
    await ctx.reply({ type: 'text', text: ctx.t('ledger:export.empty') });
    return 0;
  }
  const status = (line: ReturnType<typeof tb>, template: 'blue' | 'green' | 'red' = 'blue') => linesCard({ title: tb('ledger:export.title'), template, lines: [line], lang });
  const progressLine = (rows: number) => tr(tb, 'ledger:export.progress', { kinds, percent: Math.floor((rows * 100) / total), rows, total });
  const sent = await ctx.reply({ type: 'card', card: status(progressLine(0)) });
  const messageId = sent?.messageId;
  let lastPatch = Date.now();
  const patch = async (line: ReturnType<typeof tb>, template?: 'blue' | 'green' | 'red') => {
    if (!messageId) return;
    try {
      await ctx.services.sender.patchCard(messageId, status(line, template));
    } catch (err) {
      ctx.log.warn('export status card not updated', { err: (err as Error).message });
    }
    lastPatch = Date.now();
  };
  const cache = { names: new Map<string, string>(), depts: new Map<string, string>() };
  const opts: WriteOptions = {
    timeZone: tz,
    resolve: (batch) => resolverFor(ctx, deps, batch, cache),
    progress: async (rows) => {
      if (Date.now() - lastPatch >= PATCH_EVERY_MS && rows < total) await patch(progressLine(rows));
    },
  };
  const dir = await mkdtemp(join(tmpdir(), 'baomi-export-'));
  try {
    const sheets = sheetsFor(ctx, deps, filters);
    const base = `${ctx.t('ledger:export.file')}-${stamp(ctx.services.now(), tz)}`;
    const files: { name: string; path: string; type: string }[] = [];
    let rows = 0;
    if ((q.format ?? 'xlsx') === 'xlsx') {
      const path = join(dir, 'export.xlsx');
      rows = await writeXlsx(path, sheets, opts);
      files.push({ name: `${base}.xlsx`, path, type: 'xls' });
    } else {
      for (const [i, sheet] of sheets.entries()) {
        const path = join(dir, `export-${i}.csv`);
        rows += await writeCsv(path, sheet, opts, rows);
        files.push({ name: sheets.length > 1 ? `${base}-${sheet.title}.csv` : `${base}.csv`, path, type: 'stream' });
      }
    }
    for (const f of files) {
      if ((await stat(f.path)).size > MAX_FILE_BYTES) {
        await patch(tb('ledger:export.too_large'), 'red');
        throw new BotError('ledger:export.too_large');
      }
    }
    await patch(tb('ledger:export.uploading'));
    for (const f of files) {
      const { fileKey } = await ctx.services.sender.uploadFile(f.name, await readFile(f.path), f.type);
      await ctx.reply({ type: 'file', fileKey });
    }
    await patch(tb('ledger:export.done', { rows }), 'green');
    return rows;
  } catch (err) {
    if (!(err instanceof BotError)) await patch(tb('ledger:export.failed'), 'red');
    throw err;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
