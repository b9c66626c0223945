// The ledger cards of the security office: one page of a register (a table of 10 rows with
// Previous / Next buttons that page in place), `/verify`'s answer, the anchor digest, the export
// status card and `/ledger stats`. Metadata only: numbers, people, dates, counts.
import { encodeAction, type ActionExtra } from './action-value.js';
import { button, card, columns, header, md, table, type Bi, type Fallback } from './builder.js';
import type { Card, CardElement, TableDataType } from './card.types.js';
import { esc, tr, type Tb } from './request.card.js';

/** Rows on one card page (a Lark table shows at most 10 a page). */
export const LEDGER_PAGE_SIZE = 10;
export const LEDGER_PAGE_ACTION = 'ledger.page';

export interface LedgerCardColumn {
  id: string;
  label: Bi;
  type: 'text' | 'number';
  width?: string;
}

export interface LedgerPageView {
  kind: Bi;
  columns: LedgerCardColumn[];
  /** Cells already formatted in the reader's language. */
  rows: Record<string, string | number>[];
  total: number;
  /** 1-based */
  page: number;
  /** Filters in words, or undefined when none. */
  filters?: Bi;
  /** The query as arguments (shown as the export hint). */
  args: string;
  /** Button values' extra fields for the previous / next page (absent: no such page). */
  prev?: ActionExtra;
  next?: ActionExtra;
  /** The person the card was made for: nobody else may page it. */
  owner: string;
  tb: Tb;
  lang: Fallback;
  nonce?: () => string;
}

export function ledgerPageCard(v: LedgerPageView): Card {
  const { tb, lang } = v;
  const pages = Math.max(1, Math.ceil(v.total / LEDGER_PAGE_SIZE));
  const elements: CardElement[] = [];
  elements.push(md(tr(tb, 'ledger:card.filters', { filters: v.filters ?? tb('ledger:card.all') }), lang));
  if (v.rows.length === 0) {
    elements.push(md(tb('ledger:card.empty'), lang));
  } else {
    elements.push(
      table(
        {
          columns: v.columns.map((c) => ({ name: c.id, display: c.label, type: c.type as TableDataType, width: c.width ?? 'auto' })),
          rows: v.rows,
          pageSize: LEDGER_PAGE_SIZE,
          headers: 'fallback',
        },
        lang,
      ),
    );
    const buttons: CardElement[][] = [];
    const nav = (which: 'prev' | 'next', extra?: ActionExtra) =>
      button(
        {
          name: `ledger_${which}`,
          text: tb(`ledger:card.${which}`),
          type: which === 'next' ? 'primary' : 'default',
          ...(extra ? { value: encodeAction({ action: LEDGER_PAGE_ACTION, extra, owner: v.owner }, v.nonce?.()) } : {}),
          disabled: !extra,
        },
        lang,
      );
    if (v.prev || v.next) {
      buttons.push([nav('prev', v.prev)], [nav('next', v.next)]);
      elements.push(columns(buttons));
    }
  }
  elements.push(md(tb('ledger:card.hint', { args: esc(v.args) }), lang));
  const summary = tb('ledger:card.summary', { total: v.total, page: Math.min(v.page, pages), pages });
  return card(
    {
      header: header({ title: tr(tb, 'ledger:card.title', { kind: v.kind }), subtitle: summary, template: 'blue' }, lang),
      summary: { zh: `${v.kind.zh} · ${summary.zh}`, en: `${v.kind.en} · ${summary.en}` },
      elements,
    },
    lang,
  );
}

/** A card of markdown lines under a header (verify, anchor digest, stats, export status). */
export function linesCard(opts: { title: Bi; template: 'blue' | 'green' | 'red' | 'orange' | 'grey'; lines: Bi[]; lang?: Fallback }): Card {
  const lang = opts.lang ?? 'zh';
  return card(
    {
      header: header({ title: opts.title, template: opts.template }, lang),
      summary: opts.title,
      elements: opts.lines.map((l) => md(l, lang)),
    },
    lang,
  );
}
