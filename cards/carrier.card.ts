// Cards of the carrier register (载体台账): one carrier, and a page of carriers. Metadata only:
// number, level, type, alias, period, issuer, flags, counts, custodian, status, origin.
import { both, card, header, md, table, type Bi } from './builder.js';
import type { Card, CardElement, TagColor } from './card.types.js';
import { cat, clip, esc, escBi, fitRows, joinBi, levelName, levelTag, tr, type Names, type Tb } from './request.card.js';
import type { CarrierStatus, Level } from '../domain/index.js';

/** Register statuses (the workflow's plus the register's own). */
export type CarrierViewStatus = CarrierStatus | 'RETURNED_TO_ISSUER' | 'MISSING' | 'DECLASSIFIED';
export type CarrierViewOrigin = 'registered' | 'copied' | 'received' | 'produced';

/** What the carrier cards show of a carrier (the caller maps the stored document to this). */
export interface CarrierView {
  /** 保密编号 */
  number: string;
  level: Level;
  carrierType: string;
  alias: string;
  /** Period or decryption condition as marked, e.g. '10年'. */
  period?: string;
  issuer?: string;
  copyRestricted: boolean;
  mustReturnToIssuer: boolean;
  /** Pages (paper) or a capacity label. */
  pages?: number | string;
  /** 份数 */
  count: number;
  custodianId?: string;
  status: CarrierViewStatus;
  origin: CarrierViewOrigin;
  /** The original, for a copy. */
  parentNumber?: string;
}

/** A copy's supervision record, from the copy request that made it (docs/domain.md §6.5, 复制登记). */
export interface CopySupervision {
  requestId: string;
  originalsReturned: boolean;
  wasteRecovered: boolean;
  /** Absent only on records made before it was asked. */
  deviceWiped?: boolean;
}

export interface CarrierCardOptions {
  tb: Tb;
  names: Names;
  /** For a copy: what the security officer attested when registering it; a "no" is shown in red. */
  supervision?: CopySupervision;
}

export interface CarrierListOptions extends CarrierCardOptions {
  /** The list is the reader's own carriers (held or asked for), not the whole register. */
  mineOnly?: boolean;
  /** The filter the list answers, shown above the table (e.g. "密级：机密"). */
  filterText?: Bi;
  /** Cursor of the next page, if there is one. */
  nextCursor?: string;
}

export const CARRIER_STATUS_COLORS: Record<CarrierViewStatus, TagColor> = {
  IN_STOCK: 'green',
  CHECKED_OUT: 'wathet',
  PENDING_DESTRUCTION: 'orange',
  DESTROYED: 'neutral',
  RETURNED_TO_ISSUER: 'neutral',
  MISSING: 'red',
  DECLASSIFIED: 'turquoise',
};

const statusName = (tb: Tb, s: string): Bi => (s in CARRIER_STATUS_COLORS ? tb(`cards:carrier_status.${s}`) : { zh: s, en: s });
const originName = (tb: Tb, s: string): Bi => (['registered', 'copied', 'received', 'produced'].includes(s) ? tb(`cards:carrier_origin.${s}`) : { zh: s, en: s });

function kv(label: Bi, value: string | Bi): Bi {
  return cat({ zh: `**${label.zh}**：`, en: `**${label.en}**: ` }, value);
}

/** One carrier's register entry. */
export function carrierCard(c: CarrierView, opts: CarrierCardOptions): Card {
  const { tb, names } = opts;
  const f = (k: string) => tb(`cards:field.${k}`);
  const text = (s: string) => esc(clip(s, 200));
  const flags: Bi[] = [];
  if (c.copyRestricted) flags.push(tb('cards:flag.copy_restricted'));
  if (c.mustReturnToIssuer) flags.push(tb('cards:flag.must_return'));
  const lines: Bi[] = [kv(f('number'), esc(c.number)), kv(f('level'), levelName(tb, c.level)), kv(f('type'), text(c.carrierType)), kv(f('alias'), text(c.alias))];
  if (c.period) lines.push(kv(f('period'), text(c.period)));
  if (c.issuer) lines.push(kv(f('issuer'), text(c.issuer)));
  lines.push(kv(f('flags'), flags.length ? joinBi(flags, ' · ') : tb('cards:none')));
  if (c.pages !== undefined) lines.push(kv(f('pages'), text(String(c.pages))));
  lines.push(kv(f('count'), String(c.count)));
  lines.push(kv(f('custodian'), c.custodianId ? escBi(names(c.custodianId)) : tb('cards:none')));
  lines.push(kv(f('status'), statusName(tb, c.status)));
  lines.push(kv(f('origin'), originName(tb, c.origin)));
  if (c.parentNumber) lines.push(kv(f('parent'), esc(c.parentNumber)));
  const s = opts.supervision;
  if (s) {
    const yn = (b: boolean | undefined): Bi => (b === undefined ? { zh: '—', en: '—' } : b ? tb('cards:yes') : cat("<font color='red'>", tb('cards:no'), '</font>'));
    lines.push(
      kv(
        tb('cards:supervision.title', { id: s.requestId }),
        joinBi(
          [cat(f('originals_returned'), ' ', yn(s.originalsReturned)), cat(f('waste_recovered'), ' ', yn(s.wasteRecovered)), cat(f('device_wiped'), ' ', yn(s.deviceWiped))],
          ' · ',
        ),
      ),
    );
  }
  return card({
    header: header({
      title: tb('cards:title.carrier', { number: c.number }),
      template: 'blue',
      tags: [levelTag(tb, c.level), { text: statusName(tb, c.status), color: CARRIER_STATUS_COLORS[c.status as CarrierViewStatus] ?? 'neutral' }],
    }),
    summary: tb('cards:summary.carrier', { number: c.number }),
    elements: [md(joinBi(lines, '\n'))],
  });
}

/** A page of carriers as a table (10 rows per table page), with the next-page command. */
export function carrierListCard(items: readonly CarrierView[], opts: CarrierListOptions): Card {
  const { tb, names } = opts;
  return fitRows((fit) => {
    const elements: CardElement[] = [];
    if (opts.mineOnly) elements.push(md(tb('cards:list.mine_only')));
    if (opts.filterText) elements.push(md(tr(tb, 'cards:list.filter', { filter: escBi(opts.filterText) })));
    if (items.length === 0) {
      elements.push(md(tb('cards:list.carrier_empty')));
    } else {
      const shown = items.slice(0, fit.rows);
      const withAlias = fit.alias > 0;
      const columns: Parameters<typeof table>[0]['columns'] = [
        { name: 'number', display: tb('cards:field.number'), type: 'text' },
        { name: 'level', display: tb('cards:field.level'), type: 'text' },
        { name: 'type', display: tb('cards:field.type'), type: 'text' },
      ];
      if (withAlias) columns.push({ name: 'alias', display: tb('cards:field.alias'), type: 'text' });
      columns.push({ name: 'status', display: tb('cards:field.status'), type: 'text' });
      columns.push({ name: 'custodian', display: tb('cards:field.custodian'), type: 'text' });
      const rows = shown.map((c) => {
        const row: Record<string, unknown> = {
          number: c.number,
          level: both(levelName(tb, c.level)),
          type: clip(c.carrierType, 16),
        };
        if (withAlias) row.alias = clip(c.alias, fit.alias);
        row.status = both(statusName(tb, c.status));
        row.custodian = c.custodianId ? both(names(c.custodianId)) : '';
        return row;
      });
      elements.push(table({ pageSize: 10, columns, rows }));
      if (items.length > shown.length) elements.push(md(tb('cards:hint.more_rows', { count: items.length - shown.length })));
    }
    if (opts.nextCursor) {
      elements.push(md(tb('cards:list.next_page', { cursor: opts.nextCursor.replace(/[`\s]/g, '') })));
    }
    return card({
      header: header({ title: tb('cards:title.carrier_list'), template: 'blue' }),
      summary: tb('cards:summary.carrier_list'),
      elements,
    });
  });
}
