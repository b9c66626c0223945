// `/my` (the reader's requests) and `/pending` (requests awaiting the reader's decision) as tables,
// and the approval centre (审批中心) that `/my` and `/pending` open since issue 7 item 10.
// Table cells have no i18n in Feishu, so translated cells show both languages ("审批中 In approval").
import { encodeAction } from './action-value.js';
import { both, button, card, columns, header, md, table, type Bi } from './builder.js';
import type { Card, CardElement } from './card.types.js';
import { cat, fitRows, fmtTime, joinBi, kindName, levelName, roleName, stateName, tr, type Names, type Tb } from './request.card.js';
import { DEFAULT_TIMEZONE, type Request } from '../domain/index.js';

export interface ListCardOptions {
  tb: Tb;
  names: Names;
  /** IANA zone for displayed times; default Asia/Shanghai. */
  timeZone?: string;
}

function stepCell(tb: Tb, r: Request): string {
  const k = r.currentStep;
  const s = k === null ? undefined : r.steps[k];
  if (r.state !== 'IN_APPROVAL' || k === null || !s) return '—';
  return both(tb('cards:list.step', { step: k + 1, total: r.steps.length, role: both(roleName(tb, s.role)) }));
}

/** When the current step started waiting: the previous step's decision, else the submission. */
function waitingSince(r: Request): string | undefined {
  const k = r.currentStep;
  if (k === null) return undefined;
  return (k > 0 ? r.steps[k - 1]?.decidedAt : undefined) ?? r.submittedAt;
}

function listCard(title: Bi, summary: Bi, empty: Bi, intro: Bi | undefined, build: (rows: number) => CardElement[], count: number): Card {
  return fitRows((fit) =>
    card({
      header: header({ title, template: 'blue' }),
      summary,
      elements: count === 0 ? [md(empty)] : [...(intro ? [md(intro)] : []), ...build(fit.rows)],
    }),
  );
}

/**
 * `/my`: a table that fits a 600 px card — the key columns only (id, kind, state with the next
 * step), widths adding up to 100 % — and the secondary fields (level, last update in the unit's
 * zone as `YYYY-MM-DD HH:mm`) in a detail line per request under the table.
 */
export function myRequestsCard(reqs: readonly Request[], opts: ListCardOptions): Card {
  const { tb } = opts;
  const tz = opts.timeZone ?? DEFAULT_TIMEZONE;
  const colon: Bi = { zh: '：', en: ': ' };
  const kv = (label: Bi, value: string | Bi): Bi => cat('**', label, '**', colon, value);
  return listCard(
    tb('cards:title.my'),
    tb('cards:summary.my', { count: reqs.length }),
    tb('cards:list.my_empty'),
    undefined,
    (max) => {
      const shown = reqs.slice(0, max);
      const out: CardElement[] = [
        table({
          pageSize: 10,
          columns: [
            { name: 'id', display: tb('cards:field.id'), type: 'text', width: '30%' },
            { name: 'kind', display: tb('cards:field.kind'), type: 'text', width: '20%' },
            { name: 'state', display: tb('cards:field.state_next'), type: 'text', width: '50%' },
          ],
          rows: shown.map((r) => {
            const step = stepCell(tb, r);
            return {
              id: r.id,
              kind: both(kindName(tb, r.kind)),
              state: step === '—' ? both(stateName(tb, r)) : `${both(stateName(tb, r))} · ${step}`,
            };
          }),
        }),
      ];
      // The secondary fields, one line per request (a column for them would be cut off).
      const details = shown.map((r) =>
        cat('- ', r.id, colon, kv(tb('cards:field.level'), levelName(tb, r.maxLevel)), ' · ', kv(tb('cards:field.updated'), fmtTime(r.updatedAt, tz) || '—')),
      );
      if (details.length) out.push(md(joinBi(details, '\n')));
      if (reqs.length > shown.length) out.push(md(tb('cards:hint.more_rows', { count: reqs.length - shown.length })));
      return out;
    },
    reqs.length,
  );
}

/**
 * `/pending`: what awaits the reader, each request in approval with its text-command fallback
 * (`/approve <id>`, `/reject <id> <reason>`); others (e.g. approved, awaiting execution) show
 * their state.
 */
export function pendingCard(reqs: readonly Request[], opts: ListCardOptions): Card {
  const { tb, names } = opts;
  const tz = opts.timeZone ?? DEFAULT_TIMEZONE;
  const reason = both(tb('cards:list.reason_placeholder'));
  return listCard(
    tb('cards:title.pending'),
    tb('cards:summary.pending', { count: reqs.length }),
    tb('cards:list.pending_empty'),
    tb('cards:list.pending_hint'),
    (max) => {
      const shown = reqs.slice(0, max);
      const out: CardElement[] = [
        table({
          pageSize: 10,
          columns: [
            { name: 'id', display: tb('cards:field.id'), type: 'text' },
            { name: 'kind', display: tb('cards:field.kind'), type: 'text' },
            { name: 'level', display: tb('cards:field.level'), type: 'text' },
            { name: 'requester', display: tb('cards:field.requester'), type: 'text' },
            { name: 'step', display: tb('cards:field.step'), type: 'text' },
            { name: 'since', display: tb('cards:field.since'), type: 'text' },
          ],
          rows: shown.map((r) => ({
            id: r.id,
            kind: both(kindName(tb, r.kind)),
            level: both(levelName(tb, r.maxLevel)),
            requester: both(names(r.requesterId)),
            // A security officer's list also holds requests to execute: they show their state.
            step: r.state === 'IN_APPROVAL' ? stepCell(tb, r) : both(stateName(tb, r)),
            since: fmtTime(r.state === 'IN_APPROVAL' ? waitingSince(r) : r.updatedAt, tz),
          })),
        }),
      ];
      // The typed fallbacks under the table (a command column would be cut off on a 600 px card).
      const commands = shown.filter((r) => r.state === 'IN_APPROVAL').map((r) => `- \`/approve ${r.id}\`  ·  \`/reject ${r.id} ${reason}\``);
      if (commands.length) out.push(md(cat('**', tb('cards:field.commands'), '**\n', commands.join('\n'))));
      if (reqs.length > shown.length) out.push(md(tb('cards:hint.more_rows', { count: reqs.length - shown.length })));
      return out;
    },
    reqs.length,
  );
}

// ---- the approval centre (审批中心) ---------------------------------------------------------------

/** The centre's tabs: 待我审批, 我已审批, 我发起的, 抄送我, and the security office's watch list (督办). */
export const CENTRE_TABS = ['todo', 'done', 'mine', 'cc', 'watch'] as const;
export type CentreTab = (typeof CENTRE_TABS)[number];

/** Action id of the centre's buttons (tab and page): the click's answer redraws the card. */
export const CENTRE_ACTION = 'centre.tab';

/** Rows per page: a page always fits one table page (page_size ≤ 10) and a 600 px card. */
export const CENTRE_PAGE_SIZE = 8;

/** A problem the security office watches: a carry-out past its due day, or a step waiting > 24 h. */
export interface WatchItem {
  request: Request;
  problem: 'overdue' | 'pending';
  /** When the problem began (ISO): the end of the due day, or when the step started waiting. */
  since: string;
  /** Whole days overdue (overdue) or hours waiting (pending). */
  amount: number;
  /** Who is to act: the carrier person, or the step's assignees. */
  who: string[];
}

export interface CentreView {
  tab: CentreTab;
  /** 0-based page of the tab. */
  page: number;
  /** Rows of the tab in total (for the page count and the tab's label). */
  total: number;
  /** The page's requests (every tab but `watch`). */
  rows: readonly Request[];
  /** The page's problems (`watch`). */
  watch?: readonly WatchItem[];
  /** Totals per tab, shown on the tab buttons when known. */
  counts?: Partial<Record<CentreTab, number>>;
  /** The reader (the card answers only them) and whether they are of the security office. */
  viewer: string;
  officer: boolean;
}

export interface CentreCardOptions extends ListCardOptions {
  /** Nonce source for button values (deterministic tests); default random per button. */
  nonce?: () => string;
}

/** What the viewer (or someone) is to do next with a request, in a few words. */
function nextStep(tb: Tb, r: Request, view: Pick<CentreView, 'viewer' | 'officer' | 'tab'>): Bi {
  const mine = r.requesterId === view.viewer;
  const k = r.currentStep;
  const s = k === null ? undefined : r.steps[k];
  switch (r.state) {
    case 'IN_APPROVAL': {
      if (!s) return tb('cards:centre.next.none');
      const decided = new Set(r.steps.map((x) => x.decidedBy).filter(Boolean));
      if (s.assignees.includes(view.viewer) && !mine && !decided.has(view.viewer)) return tb('cards:centre.next.decide', { id: r.id });
      return cat(tr(tb, 'cards:centre.next.waiting', { role: roleName(tb, s.role) }), mine ? tb('cards:centre.next.may_nudge') : '');
    }
    case 'DRAFT':
      return mine ? tb('cards:centre.next.edit', { id: r.id }) : tb('cards:centre.next.requester_edits');
    case 'APPROVED':
      return view.officer && !mine ? tb(`cards:centre.next.execute_${r.kind}`) : tb('cards:centre.next.office_executes');
    case 'OUT':
    case 'OVERDUE':
      if (mine) return tb('cards:centre.next.give_back', { id: r.id });
      return view.officer && r.kind === 'CARRY_OUT' && r.details.returnAnnouncedAt
        ? tb('cards:centre.next.receive', { id: r.id })
        : tb('cards:centre.next.out', { due: r.kind === 'CARRY_OUT' ? fmtDate(r.details.due) : '' });
    case 'RETURNED':
      return view.officer && !mine ? tb('cards:centre.next.inspect', { id: r.id }) : tb('cards:centre.next.office_inspects');
    case 'EXECUTED_PENDING_WITNESS':
      if (r.kind === 'DESTROY' && r.details.witnesses.includes(view.viewer) && !r.details.confirmedWitnesses.includes(view.viewer))
        return tb('cards:centre.next.witness', { id: r.id });
      return tb('cards:centre.next.witnesses');
    default:
      return tb('cards:centre.next.none');
  }
}

function fmtDate(s: string): string {
  return /^\d{4}-\d{2}-\d{2}/.exec(s)?.[0] ?? s;
}

/**
 * `/pending` and `/my`: one card with the tabs 待我审批 / 我已审批 / 我发起的 / 抄送我 (and 督办 for the
 * security office), paged in place — every tab and page button is answered by the card redrawn.
 * Each row: id, kind, status, what to do next. The buttons carry the reader's open_id (only they
 * may use them). Fits a 600 px card: four columns whose widths add up to 100 %.
 */
export function centreCard(view: CentreView, opts: CentreCardOptions): Card {
  const { tb } = opts;
  const tz = opts.timeZone ?? DEFAULT_TIMEZONE;
  const tabs = CENTRE_TABS.filter((t) => t !== 'watch' || view.officer);
  const value = (tab: CentreTab, page: number) => encodeAction({ action: CENTRE_ACTION, extra: { t: tab, p: page }, owner: view.viewer }, opts.nonce?.());
  const label = (t: CentreTab): Bi => {
    const n = view.counts?.[t];
    const name = tb(`cards:centre.tab.${t}`);
    return n === undefined ? name : cat(name, ` ${n}`);
  };
  const tabButtons = columns(
    tabs.map((t) => [button({ name: `tab_${t}`, text: label(t), type: t === view.tab ? 'primary' : 'default', value: value(t, 0) })]),
    { flexMode: 'flow', spacing: 'small' },
  );
  const pages = Math.max(1, Math.ceil(view.total / CENTRE_PAGE_SIZE));
  const page = Math.min(Math.max(0, view.page), pages - 1);
  const elements: CardElement[] = [tabButtons, md(tb(`cards:centre.intro.${view.tab}`))];
  const shown = view.tab === 'watch' ? (view.watch?.length ?? 0) : view.rows.length;
  if (shown === 0) {
    elements.push(md(tb(`cards:centre.empty.${view.tab}`)));
  } else if (view.tab === 'watch') {
    elements.push(
      table({
        pageSize: CENTRE_PAGE_SIZE,
        columns: [
          { name: 'id', display: tb('cards:field.id'), type: 'text', width: '25%' },
          { name: 'problem', display: tb('cards:centre.col.problem'), type: 'text', width: '29%' },
          { name: 'who', display: tb('cards:centre.col.who'), type: 'text', width: '22%' },
          { name: 'since', display: tb('cards:field.since'), type: 'text', width: '24%' },
        ],
        rows: (view.watch ?? []).slice(0, CENTRE_PAGE_SIZE).map((w) => ({
          id: w.request.id,
          problem:
            w.problem === 'overdue'
              ? both(tb('cards:centre.problem.overdue', { days: w.amount }))
              : both(
                  tr(tb, 'cards:centre.problem.pending', {
                    step: (w.request.currentStep ?? 0) + 1,
                    role: roleName(tb, w.request.steps[w.request.currentStep ?? 0]?.role ?? 'staff'),
                    hours: w.amount,
                  }),
                ),
          who:
            both(
              joinBi(
                w.who.slice(0, 3).map((id) => opts.names(id)),
                tb('cards:list_sep'),
              ),
            ) + (w.who.length > 3 ? ' …' : ''),
          since: fmtTime(w.since, tz),
        })),
      }),
    );
  } else {
    elements.push(
      table({
        pageSize: CENTRE_PAGE_SIZE,
        columns: [
          { name: 'id', display: tb('cards:field.id'), type: 'text', width: '25%' },
          { name: 'kind', display: tb('cards:field.kind'), type: 'text', width: '15%' },
          { name: 'state', display: tb('cards:field.state'), type: 'text', width: '24%' },
          { name: 'next', display: tb('cards:centre.col.next'), type: 'text', width: '36%' },
        ],
        rows: view.rows.slice(0, CENTRE_PAGE_SIZE).map((r) => {
          const step = stepCell(tb, r);
          return {
            id: r.id,
            kind: both(kindName(tb, r.kind)),
            state: step === '—' ? both(stateName(tb, r)) : `${both(stateName(tb, r))} · ${step}`,
            next: both(nextStep(tb, r, view)),
          };
        }),
      }),
    );
  }
  if (pages > 1) {
    const nav: CardElement[][] = [];
    if (page > 0) nav.push([button({ name: 'page_prev', text: tb('cards:centre.prev'), type: 'default', value: value(view.tab, page - 1) })]);
    nav.push([md(tb('cards:centre.page', { page: page + 1, pages, total: view.total }))]);
    if (page + 1 < pages) nav.push([button({ name: 'page_next', text: tb('cards:centre.next_page'), type: 'default', value: value(view.tab, page + 1) })]);
    elements.push(columns(nav, { flexMode: 'flow', spacing: 'small' }));
  }
  return card({
    header: header({ title: tb('cards:centre.title'), subtitle: tb(`cards:centre.tab.${view.tab}`), template: view.tab === 'watch' ? 'red' : 'blue' }),
    summary: cat(tb('cards:centre.title'), ' · ', tb(`cards:centre.tab.${view.tab}`)),
    elements,
  });
}
