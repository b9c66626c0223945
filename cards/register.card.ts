// The register's calendar cards (docs/domain.md §1.2, §1.6, §6.6): the classification-period
// reminder, the quarterly inventory card (one per custodian, paginated), its progress for the
// security office, and the monthly list of carriers pending destruction. Metadata only: numbers,
// aliases (never real titles), levels, statuses, people and dates. Built in both languages; the
// caller keeps the reader's (cards/reader.ts) and passes it for the table cells, which have no i18n.
import { encodeAction } from './action-value.js';
import { button, card, columns, form, header, md, multiSelect, table, type Bi } from './builder.js';
import { sentCardBytes } from './card.schema.js';
import type { Card, CardElement, TagColor } from './card.types.js';
import type { ReaderLocale } from './reader.js';
import { CARD_BUDGET_BYTES, cat, clip, esc, escBi, fmtTime, joinBi, levelName, tr, type Names, type Tb } from './request.card.js';
import type { Level } from '../domain/index.js';

export const INVENTORY_ACTION = 'register.inv.';
export const INVENTORY_HELD = 'register.inv.held';
export const INVENTORY_MISSING = 'register.inv.missing';
export const INVENTORY_PAGE = 'register.inv.page';
export const INVENTORY_FORM = 'inventory';
export const INVENTORY_MISSING_FIELD = 'missing';
/** Carriers per page of an inventory card (one table page; the multi-select lists the same ones). */
export const INVENTORY_PAGE_SIZE = 10;

const cell = (b: Bi, lang: ReaderLocale): string => (lang === 'en-US' ? b.en : b.zh);
const statusName = (tb: Tb, s: string): Bi =>
  ['IN_STOCK', 'CHECKED_OUT', 'PENDING_DESTRUCTION', 'DESTROYED', 'RETURNED_TO_ISSUER', 'MISSING', 'DECLASSIFIED'].includes(s) ? tb(`cards:carrier_status.${s}`) : { zh: s, en: s };
const level = (tb: Tb, l: string): Bi => levelName(tb, l as Level);
const kv = (label: Bi, value: string | Bi): Bi => cat({ zh: `**${label.zh}**：`, en: `**${label.en}**: ` }, value);

// ---- classification period ---------------------------------------------------------------------

export interface PeriodNoticeView {
  number: string;
  alias: string;
  level: string;
  /** As marked ('10年'); absent = the level's longest period. */
  period?: string;
  /** The day the period runs from, and whether it is the issue date or the registration date. */
  start: string;
  startIsIssue: boolean;
  end: string;
  /** Days left (0 on the day). */
  days: number;
}

/** The reminder 90, 30 and 7 days before a carrier's period ends, and on the day. */
export function periodNoticeCard(v: PeriodNoticeView, o: { tb: Tb }): Card {
  const { tb } = o;
  const today = v.days <= 0;
  const lines: Bi[] = [
    kv(tb('register:field.number'), esc(v.number)),
    kv(tb('register:field.alias'), esc(clip(v.alias, 60))),
    kv(tb('register:field.level'), level(tb, v.level)),
    kv(tb('register:field.period'), v.period ? esc(clip(v.period, 32)) : tb('register:period.level_max')),
    kv(tb(v.startIsIssue ? 'register:field.issued' : 'register:field.registered'), v.start),
    kv(tb('register:field.end'), v.end),
  ];
  const head = today ? tb('register:period.title_today', { number: v.number }) : tb('register:period.title', { number: v.number, days: v.days });
  return card({
    header: header({ title: head, template: today ? 'red' : 'orange', tags: [{ text: level(tb, v.level), color: 'neutral' }] }),
    summary: head,
    elements: [md(joinBi(lines, '\n')), md(today ? tb('register:period.expired') : tb('register:period.extend_before', { end: v.end }))],
  });
}

// ---- quarterly inventory -----------------------------------------------------------------------

export interface InventoryCardView {
  roundId: string;
  custodianId: string;
  items: readonly { number: string; alias: string; level: string; status: string }[];
  state: 'pending' | 'confirmed';
  confirmedAt?: Date;
  /** Numbers reported missing, and the incidents opened for them. */
  missing: readonly string[];
  incidents: readonly string[];
}

export interface InventoryCardOptions {
  tb: Tb;
  lang: ReaderLocale;
  timeZone: string;
  /** 0-based page. */
  page?: number;
  /** The 7-day reminder. */
  reminder?: boolean;
  nonce?: () => string;
}

/** Pages of an inventory card. */
export const inventoryPages = (count: number): number => Math.max(1, Math.ceil(count / INVENTORY_PAGE_SIZE));

/**
 * A custodian's inventory card: their carriers a page at a time (Lark's card limits: a table page
 * and a multi-select of at most INVENTORY_PAGE_SIZE carriers, so any custody fits), "All held" and
 * "Report missing" (the carriers picked in the multi-select). Every button names the custodian
 * and answers only them.
 */
export function inventoryCard(v: InventoryCardView, o: InventoryCardOptions): Card {
  const { tb, lang } = o;
  const pages = inventoryPages(v.items.length);
  const page = Math.min(Math.max(0, Math.trunc(o.page ?? 0)), pages - 1);
  const from = page * INVENTORY_PAGE_SIZE;
  const shown = v.items.slice(from, from + INVENTORY_PAGE_SIZE);
  const missing = new Set(v.missing);
  // The custodian rides in the value: the handler answers only them (and audits anyone else).
  const act = (action: string, p: number) => encodeAction({ action, requestId: v.roundId, extra: { c: v.custodianId, p } }, o.nonce?.());
  const elements: CardElement[] = [];
  if (o.reminder && v.state === 'pending') elements.push(md(tb('register:inventory.reminder')));
  elements.push(md(tb(v.state === 'pending' ? 'register:inventory.intro' : 'register:inventory.intro_done', { count: v.items.length, round: v.roundId })));
  if (shown.length) {
    elements.push(
      table(
        {
          headers: 'fallback',
          pageSize: INVENTORY_PAGE_SIZE,
          columns: [
            { name: 'number', display: tb('register:field.number'), type: 'text' },
            { name: 'alias', display: tb('register:field.alias'), type: 'text' },
            { name: 'level', display: tb('register:field.level'), type: 'text' },
            { name: 'status', display: tb('register:field.status'), type: 'text' },
          ],
          rows: shown.map((c) => ({
            number: c.number,
            alias: clip(c.alias, 24),
            level: cell(level(tb, c.level), lang),
            status: cell(missing.has(c.number) ? tb('register:inventory.reported_missing') : statusName(tb, c.status), lang),
          })),
        },
        lang === 'en-US' ? 'en' : 'zh',
      ),
    );
  }
  if (pages > 1) {
    elements.push(md(tb('register:inventory.page', { from: from + 1, to: from + shown.length, total: v.items.length, page: page + 1, pages })));
    const nav: CardElement[][] = [];
    if (page > 0) nav.push([button({ text: tb('register:inventory.prev'), value: act(INVENTORY_PAGE, page - 1) })]);
    if (page < pages - 1) nav.push([button({ text: tb('register:inventory.next'), value: act(INVENTORY_PAGE, page + 1) })]);
    elements.push(columns(nav, { flexMode: 'flow' }));
  }
  if (v.missing.length) {
    const list = v.missing.slice(0, 30).map(esc).join(', ') + (v.missing.length > 30 ? ' …' : '');
    elements.push(md(tb('register:inventory.missing_list', { count: v.missing.length, list })));
    if (v.incidents.length) elements.push(md(tb('register:inventory.incidents', { list: v.incidents.slice(0, 10).map(esc).join(', ') })));
  }
  if (v.state === 'confirmed') {
    elements.push(md(tb('register:inventory.confirmed', { at: fmtTime(v.confirmedAt?.toISOString(), o.timeZone) })));
  } else {
    const candidates = shown.filter((c) => !missing.has(c.number));
    const fields: CardElement[] = [];
    if (candidates.length)
      fields.push(
        multiSelect({
          name: INVENTORY_MISSING_FIELD,
          placeholder: tb('register:inventory.pick_missing'),
          options: candidates.map((c) => ({ text: { zh: `${c.number} ${clip(c.alias, 12)}`, en: `${c.number} ${clip(c.alias, 12)}` }, value: c.number })),
        }),
      );
    const buttons: CardElement[][] = [
      [
        button({
          name: 'held',
          text: tb(v.missing.length ? 'register:inventory.rest_held' : 'register:inventory.all_held', { count: v.items.length - v.missing.length }),
          type: 'primary',
          submit: true,
          value: act(INVENTORY_HELD, page),
        }),
      ],
    ];
    if (candidates.length)
      buttons.push([button({ name: 'report', text: tb('register:inventory.report_missing'), type: 'danger', submit: true, value: act(INVENTORY_MISSING, page) })]);
    fields.push(columns(buttons, { flexMode: 'flow' }));
    elements.push(form(INVENTORY_FORM, fields));
    elements.push(md(tb('register:inventory.hint')));
  }
  const head = tr(tb, 'register:inventory.title', { round: v.roundId });
  const tag: { text: Bi; color: TagColor } =
    v.state === 'confirmed' ? { text: tb('register:inventory.state_confirmed'), color: 'green' } : { text: tb('register:inventory.state_pending'), color: 'orange' };
  return card({ header: header({ title: head, template: v.state === 'confirmed' ? 'green' : o.reminder ? 'orange' : 'blue', tags: [tag] }), summary: head, elements });
}

/**
 * Carriers reported missing when no incident could be opened, to the security office: there is no
 * incidents feature, or it refused (`refused`: why, e.g. a carrier's status changed since).
 */
export function missingOfficeCard(v: { roundId: string; custodian: Bi; numbers: readonly string[]; refused?: Bi }, o: { tb: Tb }): Card {
  const { tb } = o;
  const head = tb(v.refused ? 'register:inventory.office_refused_title' : 'register:inventory.office_missing_title', { round: v.roundId });
  const list = v.numbers.slice(0, 50).map(esc).join(', ') + (v.numbers.length > 50 ? ' …' : '');
  const params = { round: v.roundId, custodian: escBi(v.custodian), list };
  return card({
    header: header({ title: head, template: 'red' }),
    summary: head,
    elements: [
      md(
        v.refused
          ? tr(tb, 'register:inventory.office_refused', { ...params, reason: escBi({ zh: clip(v.refused.zh, 500), en: clip(v.refused.en, 500) }) })
          : tr(tb, 'register:inventory.office_missing', params),
      ),
    ],
  });
}

export interface InventoryProgressView {
  roundId: string;
  startedAt: Date;
  remindAt: Date;
  checks: readonly {
    custodianId: string;
    carriers: number;
    state: 'pending' | 'confirmed';
    confirmedAt?: Date;
    missing: readonly string[];
    incidents: readonly string[];
  }[];
  unassigned: readonly string[];
}

/** Names, at most `max` of them, then "and N more". */
function nameList(tb: Tb, items: readonly Bi[], max: number): Bi {
  if (items.length === 0) return tb('register:none');
  const shown = joinBi(items.slice(0, max), tb('register:list_sep'));
  return items.length > max ? cat(shown, tb('register:and_more', { count: items.length - max })) : shown;
}

/** `/inventory`: who confirmed, who has not, what was reported missing (security office). */
export function inventoryProgressCard(v: InventoryProgressView, o: { tb: Tb; names: Names; timeZone: string }): Card {
  const { tb, names } = o;
  const confirmed = v.checks.filter((c) => c.state === 'confirmed');
  const pending = v.checks.filter((c) => c.state === 'pending');
  const withMissing = v.checks.filter((c) => c.missing.length > 0);
  const build = (max: number): Card => {
    const elements: CardElement[] = [
      md(
        tb('register:progress.facts', {
          round: v.roundId,
          started: fmtTime(v.startedAt.toISOString(), o.timeZone),
          remind: fmtTime(v.remindAt.toISOString(), o.timeZone),
          confirmed: confirmed.length,
          total: v.checks.length,
        }),
      ),
      md(
        tr(tb, 'register:progress.pending', {
          count: pending.length,
          names: nameList(
            tb,
            pending.map((c) => cat(escBi(names(c.custodianId)), tb('register:progress.carriers', { count: c.carriers }))),
            max,
          ),
        }),
      ),
      md(
        tr(tb, 'register:progress.confirmed', {
          count: confirmed.length,
          names: nameList(
            tb,
            confirmed.map((c) => escBi(names(c.custodianId))),
            max,
          ),
        }),
      ),
      md(
        tr(tb, 'register:progress.missing', {
          count: withMissing.reduce((n, c) => n + c.missing.length, 0),
          names: nameList(
            tb,
            withMissing.map((c) =>
              cat(
                escBi(names(c.custodianId)),
                tb('register:progress.missing_one', { list: c.missing.slice(0, 10).map(esc).join(', ') + (c.missing.length > 10 ? ' …' : '') }),
                c.incidents.length ? tb('register:progress.incident', { list: c.incidents.slice(0, 5).map(esc).join(', ') }) : '',
              ),
            ),
            max,
          ),
        }),
      ),
    ];
    if (v.unassigned.length)
      elements.push(
        md(tb('register:progress.unassigned', { count: v.unassigned.length, list: v.unassigned.slice(0, 20).map(esc).join(', ') + (v.unassigned.length > 20 ? ' …' : '') })),
      );
    const head = tr(tb, 'register:progress.title', { round: v.roundId });
    return card({
      header: header({
        title: head,
        template: pending.length ? 'orange' : 'green',
        tags: [{ text: tb('register:progress.tag', { confirmed: confirmed.length, total: v.checks.length }), color: 'neutral' }],
      }),
      summary: head,
      elements,
    });
  };
  return largestFitting([100, 40, 15, 5], build);
}

// ---- monthly destruction list ------------------------------------------------------------------

export interface DestructionRow {
  number: string;
  alias: string;
  level: string;
  custodianId?: string;
  /**
   * The day it became pending destruction (its destruction request's approval), and the days since;
   * with `sinceLastChange`, no approval is known and `since` is only the carrier's last status change.
   */
  since: string;
  sinceLastChange?: boolean;
  days: number;
}

/** The monthly list of carriers pending destruction, for the security office. */
export function destructionListCard(v: { month: string; rows: readonly DestructionRow[] }, o: { tb: Tb; names: Names; lang: ReaderLocale }): Card {
  const { tb, names, lang } = o;
  const build = (max: number): Card => {
    const shown = v.rows.slice(0, max);
    const elements: CardElement[] = [
      md(tb('register:destruction.intro', { count: v.rows.length, month: v.month })),
      table(
        {
          headers: 'fallback',
          pageSize: 10,
          columns: [
            { name: 'number', display: tb('register:field.number'), type: 'text' },
            { name: 'alias', display: tb('register:field.alias'), type: 'text' },
            { name: 'level', display: tb('register:field.level'), type: 'text' },
            { name: 'custodian', display: tb('register:field.custodian'), type: 'text' },
            { name: 'since', display: tb('register:field.since'), type: 'text' },
            { name: 'days', display: tb('register:field.days'), type: 'number' },
          ],
          rows: shown.map((r) => ({
            number: r.number,
            alias: clip(r.alias, 24),
            level: cell(level(tb, r.level), lang),
            custodian: r.custodianId ? clip(cell(names(r.custodianId), lang), 24) : '',
            since: r.sinceLastChange ? cell(tb('register:destruction.since_last_change', { date: r.since }), lang) : r.since,
            days: r.days,
          })),
        },
        lang === 'en-US' ? 'en' : 'zh',
      ),
    ];
    if (v.rows.length > shown.length) elements.push(md(tb('register:destruction.more', { count: v.rows.length - shown.length })));
    if (shown.some((r) => r.sinceLastChange)) elements.push(md(tb('register:destruction.last_change_note')));
    elements.push(md(tb('register:destruction.hint')));
    const head = tb('register:destruction.title', { month: v.month, count: v.rows.length });
    return card({ header: header({ title: head, template: 'orange' }), summary: head, elements });
  };
  return largestFitting([100, 50, 20, 10], build);
}

/** The fullest rendering that fits Lark's 30 KB (as sent), else the most compact one. */
function largestFitting(sizes: readonly number[], build: (max: number) => Card): Card {
  let last: Card | undefined;
  for (const n of sizes) {
    last = build(n);
    if (sentCardBytes(last) <= CARD_BUDGET_BYTES) return last;
  }
  return last!;
}
