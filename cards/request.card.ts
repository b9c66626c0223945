// Cards of the approval feature: what approvers, the requester, the security officer and the
// destruction witnesses hold. Pure: a request (the view model) + a translator → Card JSON 2.0.
//
// Metadata only (docs/design.md §1): numbers, levels, types, aliases, counts, dates, people and status.
// Every button carries the request id and version (encodeAction) so a stale card cannot act.
//
// Size: JSON 2.0 repeats every translated text three times (content + zh_cn + en_us), so text the
// users typed (purpose, comments, aliases) is shown once where it can be (table cells, a markdown
// element without i18n), and fitCard() re-renders with shorter excerpts when a card would exceed
// the budget (e.g. 50 carriers with long aliases), so every card stays under 30 KB.
import { encodeAction, type ActionExtra } from './action-value.js';
import { both, button, card, columns, datePicker, form, header, hr, input, md, multiPersonPicker, panel, personPicker, select, table, type Bi } from './builder.js';
import { sentCardBytes, withinElementLimits } from './card.schema.js';
import type { Card, CardElement, HeaderTemplate, MarkdownElement, TagColor } from './card.types.js';
import type { Tb } from './help.card.js';
import { DEFAULT_TIMEZONE, type ApprovalStep, type CarrierRef, type Decision, type HistoryEntry, type Kind, type Level, type Request, type State } from '../domain/index.js';

export type { Tb } from './help.card.js';
/** Display name of a person, resolved by the caller (the open_id itself when unknown). */
export type Names = (openId: string) => Bi;

export interface RequestCardOptions {
  tb: Tb;
  names: Names;
  /** Render time (waiting hours, overdue days). Cards never read the clock. */
  now: Date;
  /** IANA zone for displayed times; default Asia/Shanghai. */
  timeZone?: string;
  /** Department display name; the department id is shown when absent. */
  dept?: (deptId: string) => Bi;
  /** Nonce source for button values (deterministic tests); default random per button. */
  nonce?: () => string;
  /**
   * The open_id of the person holding this card, when known: buttons and command hints are shown
   * only to whoever can act now (an approver whose turn is over, or not yet, sees neither).
   */
  viewer?: string;
  /**
   * Until when a new nudge (催办) is refused (ISO instant), when the card is drawn right after one:
   * the requester's status card then shows when it is possible again instead of the button.
   */
  nudgeBlockedUntil?: string;
  /**
   * The approval card with the transfer form open (转交): whom the step may be handed to (open_ids
   * of eligible people, People.transferCandidates). Only for a viewer who can decide now.
   */
  transfer?: { candidates: readonly string[] };
  /**
   * A read-only copy (抄送) of the status card: no buttons and no command hints, for a person the
   * request was copied to. It follows the request like the requester's own card.
   */
  readOnly?: boolean;
}

/** May `openId` decide the request's current step now (assignee, not the requester, no other step decided)? */
export function canDecideNow(req: Request, openId: string): boolean {
  const k = req.currentStep;
  const step = req.state === 'IN_APPROVAL' && k !== null ? req.steps[k] : undefined;
  if (!step || openId === req.requesterId || !step.assignees.includes(openId)) return false;
  return !req.steps.some((s, i) => i !== k && s.decidedBy === openId);
}

export interface ExecutionCardOptions extends RequestCardOptions {
  /**
   * Who may be picked as a destruction witness: open_ids of active directory users (at most 50,
   * People.candidates), shown in a person picker. Explicit because the card goes to each security
   * officer's private chat, where Lark's "empty options = the chat's members" would offer only the
   * officer and the bot. Without candidates the picker falls back to the chat's members with a hint.
   */
  witnessCandidates?: readonly string[];
}

/** Action ids the cards of this file put on their buttons (handled by the approval handler). */
export const REQUEST_ACTIONS = {
  approve: 'req.approve',
  return: 'req.return',
  reject: 'req.reject',
  withdraw: 'req.withdraw',
  resubmit: 'req.resubmit',
  completeCopy: 'req.complete_copy',
  checkOut: 'req.check_out',
  receive: 'req.receive',
  inspectOk: 'req.inspect_ok',
  inspectFail: 'req.inspect_fail',
  recordDestruction: 'req.record_destruction',
  confirmWitness: 'req.confirm_witness',
  nudge: 'req.nudge',
  /** Opens the transfer form on the approver's card (the click's answer redraws it). */
  transferOpen: 'req.transfer_open',
  transferCancel: 'req.transfer_cancel',
  transfer: 'req.transfer',
  /** Sends the requester the request form pre-filled with the returned request (edit and resubmit). */
  edit: 'req.edit',
} as const;

/** Values the yes/no selects of the execution forms send. */
export const YES = 'yes';
export const NO = 'no';

/** Form and field names of the forms on these cards (what `action.form_value` holds). */
export const REQUEST_FORM_FIELDS = {
  decision: { form: 'decision', fields: ['comment'] },
  completeCopy: { form: 'copy_exec', fields: ['copies_made', 'originals_returned', 'waste_recovered', 'device_wiped'] },
  inspect: { form: 'inspect', fields: ['note'] },
  recordDestruction: { form: 'destroy_exec', fields: ['witnesses', 'date'] },
  transfer: { form: 'transfer_form', fields: ['to', 'reason'] },
} as const;

// ---- small bilingual helpers ------------------------------------------------------------------

type Val = string | number | Bi;
const isBi = (v: unknown): v is Bi => typeof v === 'object' && v !== null && 'zh' in v && 'en' in v;
const B = (s: string): Bi => ({ zh: s, en: s });

/** tb() with parameters that may differ per language (names, translated words). */
export function tr(tb: Tb, key: string, params?: Record<string, Val>): Bi {
  if (!params) return tb(key);
  const zh: Record<string, unknown> = {};
  const en: Record<string, unknown> = {};
  let split = false;
  for (const [k, v] of Object.entries(params)) {
    if (isBi(v)) {
      zh[k] = v.zh;
      en[k] = v.en;
      split = true;
    } else {
      zh[k] = v;
      en[k] = v;
    }
  }
  return split ? { zh: tb(key, zh).zh, en: tb(key, en).en } : tb(key, zh);
}

/** Concatenates strings (same in both languages) and Bi texts. */
export function cat(...parts: Val[]): Bi {
  let zh = '';
  let en = '';
  for (const p of parts) {
    if (isBi(p)) {
      zh += p.zh;
      en += p.en;
    } else {
      zh += String(p);
      en += String(p);
    }
  }
  return { zh, en };
}

export function joinBi(list: readonly Val[], sep: Val): Bi {
  const parts: Val[] = [];
  list.forEach((x, i) => {
    if (i > 0) parts.push(sep);
    parts.push(x);
  });
  return cat(...parts);
}

// Characters that start Lark markdown syntax (bold/italic, strike, code, links, tags such as
// <at>/<font>), written as character references: Lark's documented way to show them literally.
const MD_ESCAPES: Record<string, string> = {
  '<': '&#60;',
  '>': '&#62;',
  '*': '&#42;',
  '~': '&#126;',
  '`': '&#96;',
  '[': '&#91;',
  ']': '&#93;',
};

/** Text a user or the directory supplied, made inert inside Lark markdown (one line). */
export function esc(s: string): string {
  return s.replace(/[\r\n\t]+/g, ' ').replace(/[<>*~`[\]]/g, (c) => MD_ESCAPES[c] ?? c);
}
export const escBi = (b: Bi): Bi => ({ zh: esc(b.zh), en: esc(b.en) });

/** At most `max` characters (code points), with an ellipsis when cut; 0 = drop. */
export function clip(s: string, max: number): string {
  const chars = Array.from(s);
  if (chars.length <= max) return s;
  return max <= 0 ? '' : `${chars.slice(0, Math.max(1, max - 1)).join('')}…`;
}

/** A markdown element shown as is to every reader: for text the users typed (language-neutral). */
export function mdRaw(content: string): MarkdownElement {
  return { tag: 'markdown', content };
}

// ---- formatting -------------------------------------------------------------------------------

const timeFormatters = new Map<string, Intl.DateTimeFormat>();

/** `YYYY-MM-DD HH:mm` in the zone; '' for a missing or invalid time. */
export function fmtTime(iso: string | undefined, timeZone: string = DEFAULT_TIMEZONE): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  let f = timeFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
    });
    timeFormatters.set(timeZone, f);
  }
  const p: Record<string, string> = {};
  for (const part of f.formatToParts(d)) if (part.type !== 'literal') p[part.type] = part.value;
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

/** A stored YYYY-MM-DD date shown as is; a date picker value ("2026-03-02 +0800") cut to the date. */
export function fmtDate(s: string | undefined): string {
  if (!s) return '';
  const m = /^\d{4}-\d{2}-\d{2}/.exec(s);
  return m ? m[0] : s;
}

/** Level tag colours (text_tag palette). */
export const LEVEL_COLORS: Record<Level, TagColor> = {
  TOP_SECRET: 'red',
  SECRET: 'orange',
  CONFIDENTIAL: 'yellow',
  CORE: 'purple',
  ORDINARY: 'blue',
};

export const STATE_TEMPLATES: Record<State, HeaderTemplate> = {
  DRAFT: 'orange',
  IN_APPROVAL: 'blue',
  APPROVED: 'green',
  REJECTED: 'red',
  WITHDRAWN: 'grey',
  EXPIRED: 'grey',
  OUT: 'wathet',
  OVERDUE: 'red',
  RETURNED: 'orange',
  EXECUTED_PENDING_WITNESS: 'violet',
  CLOSED: 'green',
};

export const STATE_TAG_COLORS: Record<State, TagColor> = {
  DRAFT: 'orange',
  IN_APPROVAL: 'blue',
  APPROVED: 'green',
  REJECTED: 'red',
  WITHDRAWN: 'neutral',
  EXPIRED: 'neutral',
  OUT: 'wathet',
  OVERDUE: 'red',
  RETURNED: 'indigo',
  EXECUTED_PENDING_WITNESS: 'violet',
  CLOSED: 'green',
};

export const levelName = (tb: Tb, level: Level): Bi => tb(`cards:level.${level}`);
export const kindName = (tb: Tb, kind: Kind): Bi => tb(`cards:kind.${kind}`);
export const roleName = (tb: Tb, role: string): Bi => tb(`cards:role.${role}`);

/** Returned for changes: a DRAFT whose last event is a `return`. */
export function returnEntry(req: Request): HistoryEntry | undefined {
  const last = req.history[req.history.length - 1];
  return req.state === 'DRAFT' && last?.action === 'return' ? last : undefined;
}

export function stateName(tb: Tb, req: { state: State; history: readonly HistoryEntry[] }): Bi {
  if (req.state === 'DRAFT' && req.history[req.history.length - 1]?.action === 'return') {
    return tb('cards:state_returned_for_edit');
  }
  return tb(`cards:state.${req.state}`);
}

export function levelTag(tb: Tb, level: Level): { text: Bi; color: TagColor } {
  return { text: levelName(tb, level), color: LEVEL_COLORS[level] ?? 'neutral' };
}

export function stateTag(tb: Tb, req: Request): { text: Bi; color: TagColor } {
  return { text: stateName(tb, req), color: STATE_TAG_COLORS[req.state] ?? 'neutral' };
}

export const COPY_METHOD_KEYS: Record<string, string> = { 复印: 'photocopy', 打印: 'print', 刻录: 'burn', 拷贝: 'copy_files' };
export const DESTROY_METHOD_KEYS: Record<string, string> = {
  粉碎: 'shred',
  焚烧: 'incinerate',
  化浆: 'pulp',
  消磁: 'degauss',
  物理损毁: 'physical',
};

function methodName(tb: Tb, kind: 'copy' | 'destroy', value: string): Bi {
  const key = (kind === 'copy' ? COPY_METHOD_KEYS : DESTROY_METHOD_KEYS)[value];
  return key ? tb(`cards:${kind}_method.${key}`) : B(value);
}

// ---- fitting under the size limit -------------------------------------------------------------

/** How much of the users' free text a rendering shows. */
interface Fit {
  /** Detail values (purpose, destination, reason…). */
  text: number;
  /** Approver comments and reasons. */
  comment: number;
  /** Carrier aliases and types. */
  alias: number;
  /** Carrier (or list) rows shown. */
  rows: number;
}

// Carrier numbers are what approvers act on: rows are cut last.
const FITS: readonly Fit[] = [
  { text: 500, comment: 500, alias: 100, rows: 50 },
  { text: 120, comment: 160, alias: 32, rows: 50 },
  { text: 48, comment: 64, alias: 12, rows: 50 },
  { text: 24, comment: 24, alias: 0, rows: 50 },
  { text: 24, comment: 0, alias: 0, rows: 20 },
  { text: 16, comment: 0, alias: 0, rows: 8 },
];

/**
 * Leaves room under Feishu's 30 KB for the message envelope. Measured as Lark measures it: the card
 * escaped inside the message's `content` (sentCardBytes), which is larger than the card's JSON.
 */
export const CARD_BUDGET_BYTES = 28 * 1024;

/** The card's size as sent (escaped inside `content`): what the budget is compared with. */
export function cardBytes(c: Card): number {
  return sentCardBytes(c);
}

/** Under both of Lark's limits: the size as sent and the 200 elements (text objects included). */
function fits(c: Card): boolean {
  // Size and element count only (the schema is checked by the tests and the stand-in, not on
  // every draw: a full validation per rendering was most of a click's CPU time in a burst).
  return sentCardBytes(c) <= CARD_BUDGET_BYTES && withinElementLimits(c);
}

/** The first rendering (fullest first) that fits the budget, else the most compact one. */
function fitCard(build: (fit: Fit) => Card): Card {
  let last: Card | undefined;
  for (const fit of FITS) {
    last = build(fit);
    if (fits(last)) return last;
  }
  return last!;
}

/** Same idea for list cards (exported for lists.card.ts and carrier.card.ts). */
export function fitRows(build: (fit: { alias: number; rows: number }) => Card): Card {
  return fitCard((f) => build({ alias: f.alias, rows: f.rows }));
}

// ---- shared pieces ----------------------------------------------------------------------------

interface Ctx {
  o: RequestCardOptions;
  tz: string;
  fit: Fit;
}

const who = (c: Ctx, id: string | undefined): Bi => (id ? escBi(c.o.names(id)) : B('—'));
const whoList = (c: Ctx, ids: readonly string[]): Bi =>
  ids.length
    ? joinBi(
        ids.map((id) => who(c, id)),
        c.o.tb('cards:list_sep'),
      )
    : c.o.tb('cards:none');
const at = (c: Ctx, iso: string | undefined): string => fmtTime(iso, c.tz) || '—';

/** `**label**：value` (zh) / `**label**: value` (en). */
function kv(label: Bi, value: Val): Bi {
  return cat({ zh: `**${label.zh}**：`, en: `**${label.en}**: ` }, value);
}

function lines(list: Bi[]): Bi {
  return joinBi(list, '\n');
}

function nonceOf(o: RequestCardOptions): string | undefined {
  return o.nonce?.();
}

function act(o: RequestCardOptions, req: Request, action: string, extra?: ActionExtra) {
  return encodeAction({ action, requestId: req.id, version: req.version, ...(extra ? { extra } : {}) }, nonceOf(o));
}

function requestHeader(c: Ctx, req: Request, subtitle: Bi): ReturnType<typeof header> {
  return header({
    title: tr(c.o.tb, 'cards:title.request', { kind: kindName(c.o.tb, req.kind), id: req.id }),
    subtitle,
    template: STATE_TEMPLATES[req.state] ?? 'default',
    tags: [levelTag(c.o.tb, req.maxLevel), stateTag(c.o.tb, req)],
  });
}

function requestSummary(c: Ctx, req: Request): Bi {
  return tr(c.o.tb, 'cards:summary.request', { kind: kindName(c.o.tb, req.kind), id: req.id, state: stateName(c.o.tb, req) });
}

/** Requester, department, submission time. */
function requesterLine(c: Ctx, req: Request): MarkdownElement {
  const { tb } = c.o;
  const parts: Bi[] = [kv(tb('cards:field.requester'), who(c, req.requesterId))];
  if (req.deptId) parts.push(kv(tb('cards:field.dept'), escBi(c.o.dept?.(req.deptId) ?? B(req.deptId))));
  if (req.submittedAt) {
    const round = req.round > 1 ? cat(' (', tb('cards:field.round', { round: req.round }), ')') : B('');
    parts.push(cat(kv(tb('cards:field.submitted'), at(c, req.submittedAt)), round));
  } else {
    parts.push(kv(tb('cards:field.created'), at(c, req.createdAt)));
  }
  return md(joinBi(parts, ' · '));
}

/**
 * The carriers as a table that fits a 600 px card: the key columns (number, level, type, alias)
 * with widths that add up to 100 %; the secondary fields (pages, flags) in a detail line under
 * the table, only for carriers that have them. Cells are shown as typed (language-neutral).
 */
function carriersBlock(c: Ctx, carriers: readonly CarrierRef[]): CardElement[] {
  const { tb } = c.o;
  const shown = carriers.slice(0, c.fit.rows);
  const withAlias = c.fit.alias > 0;
  const cols: Parameters<typeof table>[0]['columns'] = withAlias
    ? [
        { name: 'number', display: tb('cards:field.number'), type: 'text', width: '34%' },
        { name: 'level', display: tb('cards:field.level'), type: 'text', width: '18%' },
        { name: 'type', display: tb('cards:field.type'), type: 'text', width: '18%' },
        { name: 'alias', display: tb('cards:field.alias'), type: 'text', width: '30%' },
      ]
    : [
        { name: 'number', display: tb('cards:field.number'), type: 'text', width: '46%' },
        { name: 'level', display: tb('cards:field.level'), type: 'text', width: '27%' },
        { name: 'type', display: tb('cards:field.type'), type: 'text', width: '27%' },
      ];
  const rows = shown.map((cr) => {
    const row: Record<string, unknown> = {
      number: cr.number,
      level: both(levelName(tb, cr.level)),
      type: clip(cr.carrierType ?? '', Math.max(c.fit.alias, 8)),
    };
    if (withAlias) row.alias = clip(cr.alias ?? '', c.fit.alias);
    return row;
  });
  // The fuller renderings list each carrier's secondary fields; a compact one (a very large
  // request) names the flagged carriers once per flag.
  const details: Bi[] = [];
  if (!withAlias) {
    for (const [flag, has] of [
      ['copy_restricted', (x: CarrierRef) => x.copyRestricted],
      ['must_return', (x: CarrierRef) => x.mustReturnToIssuer],
    ] as const) {
      const nums = shown.filter(has).map((x) => esc(x.number));
      if (nums.length) details.push(cat('**', tb(`cards:flag.${flag}`), '**', { zh: '：', en: ': ' }, nums.join(', ')));
    }
  }
  for (const cr of withAlias ? shown : []) {
    const parts: Bi[] = [];
    if (cr.pagesOrCapacity) parts.push(kv(tb('cards:field.pages'), esc(clip(cr.pagesOrCapacity, 16))));
    if (cr.copyRestricted) parts.push(tb('cards:flag.copy_restricted'));
    if (cr.mustReturnToIssuer) parts.push(tb('cards:flag.must_return'));
    if (parts.length) details.push(cat('- ', esc(cr.number), { zh: '：', en: ': ' }, joinBi(parts, ' · ')));
  }
  const out: CardElement[] = [md(cat('**', tb('cards:field.carriers', { count: carriers.length }), '**')), table({ pageSize: 10, columns: cols, rows })];
  if (details.length) out.push(md(lines(details)));
  if (carriers.length > shown.length) out.push(md(tb('cards:hint.more_carriers', { count: carriers.length - shown.length })));
  return out;
}

/** The kind-specific fields the requester gave. */
function detailsBlock(c: Ctx, req: Request): MarkdownElement {
  const { tb } = c.o;
  const f = (k: string) => tb(`cards:field.${k}`);
  const t = (s: string) => esc(clip(s, c.fit.text));
  const out: Bi[] = [];
  switch (req.kind) {
    case 'COPY': {
      const d = req.details;
      out.push(kv(f('copies'), d.copies));
      if (d.pages !== undefined) out.push(kv(f('pages_each'), d.pages));
      if (d.method) out.push(kv(f('method'), escBi(methodName(tb, 'copy', d.method))));
      if (d.place) out.push(kv(f('place'), t(d.place)));
      out.push(kv(f('purpose'), t(d.purpose)));
      if (d.ref) out.push(kv(f('ref'), t(d.ref)));
      break;
    }
    case 'CARRY_OUT': {
      const d = req.details;
      out.push(kv(f('destination'), t(d.destination)));
      out.push(kv(f('due'), fmtDate(d.due)));
      out.push(kv(f('companions'), whoList(c, d.companions)));
      out.push(kv(f('abroad'), tb(d.abroad ? 'cards:yes' : 'cards:no')));
      out.push(kv(f('purpose'), t(d.purpose)));
      break;
    }
    case 'DESTROY': {
      const d = req.details;
      out.push(kv(f('reason'), t(d.reason)));
      out.push(kv(f('method'), escBi(methodName(tb, 'destroy', d.method))));
      out.push(kv(f('site'), t(d.site)));
      if (d.date) out.push(kv(f('date'), fmtDate(d.date)));
      if (d.executorId) out.push(kv(f('executor'), who(c, d.executorId)));
      if (d.witnesses.length) {
        // Once the destruction is recorded, each witness shows whether they confirmed.
        const list = d.executorId
          ? joinBi(
              d.witnesses.map((w) => tr(tb, d.confirmedWitnesses.includes(w) ? 'cards:hint.witness_status_done' : 'cards:hint.witness_status_wait', { name: who(c, w) })),
              '  ',
            )
          : whoList(c, d.witnesses);
        out.push(kv(f('witnesses'), list));
      }
      break;
    }
  }
  return md(lines(out));
}

const DECISION_ICON: Record<Decision, string> = { PENDING: '⏳', APPROVED: '✅', REJECTED: '❌', RETURNED: '↩️' };
const NOT_REACHED_ICON = '⚪';
const WITHDRAWN_ICON = '⏹️';
/** Earlier rounds shown in full; older ones are counted. */
const MAX_EARLIER_ROUNDS = 3;

function stepTitle(c: Ctx, s: ApprovalStep, i: number): Bi {
  const { tb } = c.o;
  const notes: Bi[] = [];
  if (s.purpose === 'register') notes.push(tb('cards:chain.register'));
  if (s.mode === 'ANY_OF' && s.assignees.length > 1) notes.push(tb('cards:chain.any_of'));
  const title = tr(tb, 'cards:chain.step', { n: i + 1, role: roleName(tb, s.role) });
  return notes.length ? cat(title, { zh: '（', en: ' (' }, joinBi(notes, { zh: '，', en: ', ' }), { zh: '）', en: ')' }) : title;
}

/** One submission and what happened in it, read from the request's history. */
export interface Round {
  n: number;
  start: HistoryEntry;
  events: HistoryEntry[];
}

/** The history cut into rounds: each `submit` / `resubmit` starts one (a return ends one). */
export function roundsOf(req: Pick<Request, 'history'>): Round[] {
  const out: Round[] = [];
  for (const h of req.history) {
    if (h.action === 'submit' || h.action === 'resubmit') out.push({ n: out.length + 1, start: h, events: [] });
    else if (out.length) out[out.length - 1]!.events.push(h);
  }
  return out;
}

function commentLine(c: Ctx, s: string | undefined): CardElement[] {
  return s && c.fit.comment > 0 ? [mdRaw(`💬 ${esc(clip(s, c.fit.comment))}`)] : [];
}

function roundTitle(c: Ctx, r: Round): MarkdownElement {
  const { tb } = c.o;
  const started = tr(tb, r.start.action === 'resubmit' ? 'cards:chain.resubmitted' : 'cards:chain.submitted', { by: who(c, r.start.actorId), at: at(c, r.start.at) });
  return md(cat('**', tr(tb, 'cards:chain.round', { n: r.n }), '** · ', started));
}

const DECISION_OF: Partial<Record<HistoryEntry['action'], Decision>> = { approve: 'APPROVED', reject: 'REJECTED', return: 'RETURNED' };

/** A round that is over (the steps restarted since): its decisions and withdrawal, from the history. */
function pastRound(c: Ctx, r: Round): CardElement[] {
  const { tb } = c.o;
  const out: CardElement[] = [roundTitle(c, r)];
  for (const h of r.events) {
    const decision = DECISION_OF[h.action];
    if (decision && h.stepIndex !== undefined) {
      const status = tr(tb, 'cards:chain.decided', { decision: tb(`cards:decision.${decision}`), by: who(c, h.actorId), at: at(c, h.at) });
      out.push(md(cat(DECISION_ICON[decision], ' ', tr(tb, 'cards:chain.step_n', { n: h.stepIndex + 1 }), ' — ', status)), ...commentLine(c, h.comment));
    } else if (h.action === 'withdraw') {
      out.push(md(cat(WITHDRAWN_ICON, ' ', tr(tb, 'cards:chain.withdrawn', { by: who(c, h.actorId), at: at(c, h.at) }))), ...commentLine(c, h.comment));
    } else if (h.action === 'transfer') {
      out.push(...transferLine(c, h));
    }
  }
  return out;
}

const TRANSFER_ICON = '↪️';

/** "↪️ 第 2 步 转交：李娜 → 黄敏 · 2026-03-02 10:00" and the reason as typed. */
function transferLine(c: Ctx, h: HistoryEntry): CardElement[] {
  const { tb } = c.o;
  const line = tr(tb, 'cards:chain.transferred', { n: (h.stepIndex ?? 0) + 1, from: who(c, h.actorId), to: who(c, h.to), at: at(c, h.at) });
  return [md(cat(TRANSFER_ICON, ' ', line)), ...commentLine(c, h.comment)];
}

/**
 * The approval timeline: earlier rounds (a return restarts the steps; their decisions come from the
 * history), then the steps of the live round — decided ones with who, when and the comment, the
 * current one highlighted, the others "not reached" — and a withdrawal with who, when and why.
 * Every reason appears here once (the outcome line does not repeat it).
 */
function chainBlock(c: Ctx, req: Request, withTitle = true): CardElement[] {
  const { tb } = c.o;
  const out: CardElement[] = withTitle ? [md(cat('**', tb('cards:chain.title'), '**'))] : [];
  const rounds = roundsOf(req);
  // A return ends its round (the steps restart): then every round so far is over.
  const last = rounds[rounds.length - 1];
  const live = last && !last.events.some((h) => h.action === 'return') ? last : undefined;
  const past = live ? rounds.slice(0, -1) : rounds;
  const hidden = Math.max(0, past.length - MAX_EARLIER_ROUNDS);
  if (hidden) out.push(md(tr(tb, 'cards:chain.earlier_hidden', { count: hidden })));
  for (const r of past.slice(hidden)) out.push(...pastRound(c, r));
  if (!live && past.length) {
    if (req.state === 'DRAFT') out.push(md(tb('cards:chain.restart')));
    return out;
  }
  if (live && rounds.length > 1) out.push(roundTitle(c, live));
  req.steps.forEach((s, i) => {
    const current = req.state === 'IN_APPROVAL' && req.currentStep === i;
    const assignees = s.assignees.length ? whoList(c, s.assignees) : tb('cards:chain.unassigned');
    let status: Bi;
    let icon: string;
    if (s.decision !== 'PENDING') {
      status = tr(tb, 'cards:chain.decided', { decision: tb(`cards:decision.${s.decision}`), by: who(c, s.decidedBy), at: at(c, s.decidedAt) });
      icon = DECISION_ICON[s.decision];
    } else if (current) {
      status = cat(tb('cards:decision.PENDING'), ' · ', tb('cards:chain.current'));
      icon = '▶️';
    } else {
      status = tb('cards:chain.not_reached');
      icon = NOT_REACHED_ICON;
    }
    const line = cat(icon, ' **', stepTitle(c, s, i), '** · ', assignees, ' — ', status);
    out.push(md(current ? cat("<font color='blue'>", line, '</font>') : line));
    out.push(...commentLine(c, s.comment));
    // Handed over in this round (转交): who to whom, when, why — under the step, in order.
    for (const h of live?.events ?? []) if (h.action === 'transfer' && h.stepIndex === i) out.push(...transferLine(c, h));
  });
  const withdrawn = live?.events.find((h) => h.action === 'withdraw') ?? (rounds.length ? undefined : lastHistory(req, 'withdraw'));
  if (withdrawn) {
    out.push(md(cat(WITHDRAWN_ICON, ' ', tr(tb, 'cards:chain.withdrawn', { by: who(c, withdrawn.actorId), at: at(c, withdrawn.at) }))), ...commentLine(c, withdrawn.comment));
  }
  return out;
}

function lastHistory(req: Request, action: HistoryEntry['action']): HistoryEntry | undefined {
  for (let i = req.history.length - 1; i >= 0; i--) if (req.history[i]!.action === action) return req.history[i];
  return undefined;
}

function waitingSince(req: Request): string | undefined {
  const k = req.currentStep;
  if (k === null) return undefined;
  const prev = k > 0 ? req.steps[k - 1]?.decidedAt : undefined;
  return prev ?? req.submittedAt;
}

/** The progress line while IN_APPROVAL: "第 2/3 步：保密员审核中 · 已等待 5 小时". */
function progressLine(c: Ctx, req: Request): Bi | undefined {
  const k = req.currentStep;
  const s = k === null ? undefined : req.steps[k];
  if (req.state !== 'IN_APPROVAL' || k === null || !s) return undefined;
  const { tb } = c.o;
  const line = tr(tb, 'cards:progress.step', { step: k + 1, total: req.steps.length, role: roleName(tb, s.role) });
  const since = Date.parse(waitingSince(req) ?? '');
  if (!Number.isFinite(since)) return line;
  const hours = Math.floor((c.o.now.getTime() - since) / 3_600_000);
  return hours >= 1 ? cat(line, ' · ', tb('cards:progress.waiting', { hours })) : line;
}

function overdueDays(due: string, c: Ctx): number {
  const today = fmtTime(c.o.now.toISOString(), c.tz).slice(0, 10);
  const d = Math.round((Date.parse(`${today}T00:00:00Z`) - Date.parse(`${fmtDate(due)}T00:00:00Z`)) / 86_400_000);
  return Number.isFinite(d) ? Math.max(0, d) : 0;
}

/** What has happened to the request, in one line (plus the reason as typed, shown once). */
function outcomeBlock(c: Ctx, req: Request): CardElement[] {
  const { tb } = c.o;
  const out: CardElement[] = [];
  const comment = (s: string | undefined) => {
    if (s && c.fit.comment > 0) out.push(mdRaw(`💬 ${esc(clip(s, c.fit.comment))}`));
  };
  switch (req.state) {
    case 'DRAFT': {
      const ret = returnEntry(req);
      if (ret) {
        const role = ret.stepIndex !== undefined ? req.steps[ret.stepIndex]?.role : undefined;
        out.push(md(tr(tb, 'cards:outcome.returned', { by: who(c, ret.actorId), role: role ? roleName(tb, role) : B('—'), at: at(c, ret.at) })));
      } else out.push(md(tb('cards:outcome.draft')));
      break;
    }
    case 'IN_APPROVAL': {
      const p = progressLine(c, req);
      if (p) out.push(md(cat('**', p, '**')));
      break;
    }
    case 'APPROVED': {
      const last = [...req.steps].reverse().find((s) => s.decision === 'APPROVED');
      out.push(md(tr(tb, 'cards:outcome.approved', { by: who(c, last?.decidedBy), at: at(c, req.approvedAt ?? last?.decidedAt) })));
      break;
    }
    case 'REJECTED': {
      const s = req.steps.find((x) => x.decision === 'REJECTED');
      out.push(md(tr(tb, 'cards:outcome.rejected', { by: who(c, s?.decidedBy), role: s ? roleName(tb, s.role) : B('—'), at: at(c, s?.decidedAt ?? req.closedAt) })));
      break;
    }
    case 'WITHDRAWN': {
      const h = lastHistory(req, 'withdraw');
      out.push(md(tr(tb, 'cards:outcome.withdrawn', { at: at(c, h?.at ?? req.closedAt) })));
      break;
    }
    case 'EXPIRED':
      out.push(md(tr(tb, 'cards:outcome.expired', { at: at(c, req.closedAt) })));
      break;
    case 'OUT':
      if (req.kind === 'CARRY_OUT') {
        out.push(md(tr(tb, 'cards:outcome.out', { at: at(c, req.details.checkedOutAt), due: fmtDate(req.details.due) })));
      }
      break;
    case 'OVERDUE':
      if (req.kind === 'CARRY_OUT') {
        out.push(md(cat("<font color='red'>", tr(tb, 'cards:outcome.overdue', { due: fmtDate(req.details.due), days: overdueDays(req.details.due, c) }), '</font>')));
      }
      break;
    case 'RETURNED':
      if (req.kind === 'CARRY_OUT') out.push(md(tr(tb, 'cards:outcome.carrier_returned', { at: at(c, req.details.returnedAt) })));
      break;
    case 'EXECUTED_PENDING_WITNESS':
      if (req.kind === 'DESTROY') {
        const d = req.details;
        out.push(
          md(
            tr(tb, 'cards:outcome.executed', {
              executor: who(c, d.executorId),
              date: fmtDate(d.date) || at(c, d.executedAt),
              confirmed: d.confirmedWitnesses.length,
              total: d.witnesses.length,
            }),
          ),
        );
      }
      break;
    case 'CLOSED':
      if (req.kind === 'COPY' && req.details.execution) {
        const e = req.details.execution;
        out.push(md(tr(tb, 'cards:outcome.closed_copy', { by: who(c, e.by), at: at(c, e.at), count: e.newNumbers.length })));
      } else if (req.kind === 'CARRY_OUT' && req.details.inspection) {
        const i = req.details.inspection;
        out.push(md(tr(tb, i.ok ? 'cards:outcome.closed_carry_ok' : 'cards:outcome.closed_carry_fail', { by: who(c, i.by), at: at(c, i.at) })));
        comment(i.note);
      } else if (req.kind === 'DESTROY') {
        out.push(md(tr(tb, 'cards:outcome.closed_destroy', { date: fmtDate(req.details.date) || at(c, req.closedAt) })));
      } else out.push(md(tb('cards:outcome.closed')));
      break;
  }
  if (req.incident) {
    out.push(md(cat("<font color='red'>", tr(tb, 'cards:outcome.incident', { reason: tb(`cards:incident.${req.incident.reason}`) }), '</font>')));
  }
  return out;
}

function ctxOf(o: RequestCardOptions, fit: Fit): Ctx {
  return { o, tz: o.timeZone ?? DEFAULT_TIMEZONE, fit };
}

function body(c: Ctx, req: Request): CardElement[] {
  return [requesterLine(c, req), ...carriersBlock(c, req.carriers), detailsBlock(c, req)];
}

// ---- approvalCard -----------------------------------------------------------------------------

/**
 * What every approver of the request holds (one shared card for all of them): the summary, the
 * chain, and while IN_APPROVAL the decision form (comment + approve / return / reject).
 */
export function approvalCard(req: Request, opts: RequestCardOptions): Card {
  return fitCard((fit) => {
    const c = ctxOf(opts, fit);
    const { tb } = opts;
    const elements: CardElement[] = [...body(c, req), hr(), ...chainBlock(c, req), hr()];
    if (req.state === 'IN_APPROVAL' && req.currentStep !== null && (opts.viewer === undefined || canDecideNow(req, opts.viewer))) {
      const extra = { s: req.currentStep };
      elements.push(...outcomeBlock(c, req));
      if (opts.transfer) elements.push(...transferSection(req, opts, opts.transfer.candidates));
      else
        elements.push(
          form(REQUEST_FORM_FIELDS.decision.form, [
            input({
              name: 'comment',
              label: tb('cards:field.comment'),
              placeholder: tr(tb, 'cards:form.placeholder', { hint: tb('cards:form.ph.comment') }),
              maxLength: 500,
              multiline: true,
            }),
            columns(
              [
                [button({ name: 'approve', text: tb('cards:button.approve'), type: 'primary', submit: true, value: act(opts, req, REQUEST_ACTIONS.approve, extra) })],
                [button({ name: 'return', text: tb('cards:button.return'), type: 'default', submit: true, value: act(opts, req, REQUEST_ACTIONS.return, extra) })],
                [
                  button({
                    name: 'reject',
                    text: tb('cards:button.reject'),
                    type: 'danger',
                    submit: true,
                    value: act(opts, req, REQUEST_ACTIONS.reject, extra),
                    confirm: { title: tb('cards:confirm.reject_title'), text: tb('cards:confirm.reject_text') },
                  }),
                ],
              ],
              { flexMode: 'flow', spacing: 'small' },
            ),
          ]),
        );
      if (!opts.transfer) {
        // 转交: hand the step to another person eligible for it (opens a small form here).
        elements.push(button({ name: 'transfer_open', text: tb('cards:button.transfer'), type: 'default', value: act(opts, req, REQUEST_ACTIONS.transferOpen, extra) }));
        elements.push(md(tb('cards:hint.decide', { id: req.id })));
      }
    } else {
      elements.push(...outcomeBlock(c, req));
    }
    const pending = req.state === 'IN_APPROVAL';
    return card({
      header: requestHeader(c, req, tr(tb, 'cards:subtitle.approval', { name: opts.names(req.requesterId) })),
      summary: pending ? tr(tb, 'cards:summary.approval_pending', { kind: kindName(tb, req.kind), id: req.id }) : requestSummary(c, req),
      elements,
    });
  });
}

/**
 * The transfer form (转交) on the approver's card: a person picker over the people eligible for the
 * step, an optional reason, Transfer and Cancel. Without anyone eligible, it says so.
 */
function transferSection(req: Request, opts: RequestCardOptions, candidates: readonly string[]): CardElement[] {
  const { tb } = opts;
  const extra = { s: req.currentStep ?? 0 };
  const cancel = button({ name: 'transfer_cancel', text: tb('cards:button.cancel'), type: 'default', value: act(opts, req, REQUEST_ACTIONS.transferCancel, extra) });
  const step = req.steps[req.currentStep ?? 0];
  const title = md(cat('**', tr(tb, 'cards:transfer.title', { n: (req.currentStep ?? 0) + 1, role: roleName(tb, step?.role ?? 'staff') }), '**'));
  if (candidates.length === 0) return [title, md(tr(tb, 'cards:transfer.nobody', { role: roleName(tb, step?.role ?? 'staff') })), cancel];
  return [
    title,
    md(tb('cards:transfer.hint')),
    form(REQUEST_FORM_FIELDS.transfer.form, [
      md(cat('**', tb('cards:field.transfer_to'), '** ', "<font color='red'>*</font>")),
      personPicker({ name: 'to', placeholder: tb('cards:transfer.pick'), candidates, required: true }),
      input({
        name: 'reason',
        label: tb('cards:field.transfer_reason'),
        placeholder: tr(tb, 'cards:form.placeholder', { hint: tb('cards:form.ph.transfer_reason') }),
        maxLength: 500,
      }),
      button({
        name: 'transfer_submit',
        text: tb('cards:button.transfer_submit'),
        type: 'primary',
        submit: true,
        value: act(opts, req, REQUEST_ACTIONS.transfer, extra),
        confirm: { title: tb('cards:confirm.transfer_title'), text: tb('cards:confirm.transfer_text') },
      }),
    ]),
    cancel,
    md(tb('cards:hint.transfer', { id: req.id })),
  ];
}

// ---- statusCard -------------------------------------------------------------------------------

/** The requester's own card, following the request to its end. */
export function statusCard(req: Request, opts: RequestCardOptions): Card {
  return fitCard((fit) => {
    const c = ctxOf(opts, fit);
    const { tb } = opts;
    const elements: CardElement[] = [];
    const p = progressLine(c, req);
    if (p) elements.push(md(cat('**', p, '**')));
    elements.push(...body(c, req), hr(), ...chainBlock(c, req), hr());
    if (req.state !== 'IN_APPROVAL') elements.push(...outcomeBlock(c, req));
    // The requester sees what the security officer attested when registering the copies.
    if (req.kind === 'COPY' && req.details.execution) elements.push(md(lines(attestationLines(tb, req.details.execution))));
    if (opts.readOnly) {
      // 抄送: to know, not to act — no buttons, no commands.
      elements.push(md(tb('cards:hint.cc')));
      return card({
        header: requestHeader(c, req, tr(tb, 'cards:subtitle.cc', { name: opts.names(req.requesterId) })),
        summary: requestSummary(c, req),
        elements,
      });
    }
    const withdrawBtn = () =>
      button({
        name: 'withdraw',
        text: tb('cards:button.withdraw'),
        type: 'danger',
        value: act(opts, req, REQUEST_ACTIONS.withdraw),
        confirm: { title: tb('cards:confirm.withdraw_title'), text: tb('cards:confirm.withdraw_text') },
      });
    switch (req.state) {
      case 'IN_APPROVAL': {
        // Nudge (催办) the current approvers, unless the card is drawn right after a nudge.
        const blocked = opts.nudgeBlockedUntil && new Date(opts.nudgeBlockedUntil).getTime() > opts.now.getTime() ? opts.nudgeBlockedUntil : undefined;
        if (blocked) {
          elements.push(withdrawBtn(), md(tb('cards:hint.nudged', { at: fmtTime(blocked, c.tz) })));
        } else {
          const nudgeBtn = button({ name: 'nudge', text: tb('cards:button.nudge'), type: 'primary', value: act(opts, req, REQUEST_ACTIONS.nudge) });
          elements.push(columns([[nudgeBtn], [withdrawBtn()]], { flexMode: 'flow', spacing: 'small' }), md(tb('cards:hint.nudge', { id: req.id })));
        }
        elements.push(md(tb('cards:hint.withdraw', { id: req.id })));
        break;
      }
      case 'DRAFT':
        if (returnEntry(req) || req.round > 0) {
          elements.push(md(tb('cards:hint.resubmit', { id: req.id })));
          // Edit and resubmit: the request form, pre-filled with the request as it is.
          const editBtn = button({ name: 'edit', text: tb('cards:button.edit'), type: 'primary', value: act(opts, req, REQUEST_ACTIONS.edit) });
          const resubmitBtn = button({ name: 'resubmit', text: tb('cards:button.resubmit'), type: 'default', value: act(opts, req, REQUEST_ACTIONS.resubmit) });
          elements.push(columns([[editBtn], [resubmitBtn], [withdrawBtn()]], { flexMode: 'flow', spacing: 'small' }));
        }
        break;
      case 'APPROVED':
        elements.push(md(tb(`cards:next.${req.kind}`, { id: req.id })));
        break;
      case 'OUT':
      case 'OVERDUE':
        elements.push(md(tb('cards:hint.return_carrier', { id: req.id })));
        break;
      default:
        break;
    }
    return card({
      header: requestHeader(c, req, tb('cards:subtitle.status')),
      summary: requestSummary(c, req),
      elements,
    });
  });
}

// ---- copy supervision ---------------------------------------------------------------------------

/** The three attestations of a copy's execution, in form order (the names of the form fields). */
export const COPY_ATTESTATION_FIELDS = ['originals_returned', 'waste_recovered', 'device_wiped'] as const;

/** `原稿收回：是` per attestation; a "no" in red; "—" for a record made before it was asked. */
function attestationLines(tb: Tb, e: { originalsReturned: boolean; wasteRecovered: boolean; deviceWiped?: boolean }): Bi[] {
  const values: Record<(typeof COPY_ATTESTATION_FIELDS)[number], boolean | undefined> = {
    originals_returned: e.originalsReturned,
    waste_recovered: e.wasteRecovered,
    device_wiped: e.deviceWiped,
  };
  return COPY_ATTESTATION_FIELDS.map((name) => {
    const v = values[name];
    const shown = v === undefined ? B('—') : v ? tb('cards:yes') : cat("<font color='red'>", tb('cards:no'), '</font>');
    return kv(tb(`cards:field.${name}`), shown);
  });
}

// ---- executionCard ----------------------------------------------------------------------------

const yesNo = (tb: Tb) => [
  { text: tb('cards:yes'), value: YES },
  { text: tb('cards:no'), value: NO },
];

function executionSection(c: Ctx, req: Request, opts: ExecutionCardOptions): CardElement[] {
  const { tb } = opts;
  const title = (k: string) => md(cat('**', tb(`cards:exec.${k}`), '**'));
  const out: CardElement[] = [];
  if (req.kind === 'COPY') {
    if (req.state === 'APPROVED') {
      const max = req.details.copies;
      out.push(
        title('copy_title'),
        form(REQUEST_FORM_FIELDS.completeCopy.form, [
          input({
            name: 'copies_made',
            label: tb('cards:field.copies_made'),
            placeholder: tb('cards:hint.copies_made', { max }),
            required: true,
            maxLength: 3,
            defaultValue: String(max),
          }),
          // The copy register's supervision columns: each a required yes/no with no default.
          ...COPY_ATTESTATION_FIELDS.flatMap((name) => [
            md(cat('**', tb(`cards:field.${name}`), '** ', "<font color='red'>*</font>")),
            select({ name, placeholder: tb('cards:form.pick_one'), options: yesNo(tb), required: true }),
          ]),
          button({
            name: 'complete_copy',
            text: tb('cards:button.complete_copy'),
            type: 'primary',
            submit: true,
            value: act(opts, req, REQUEST_ACTIONS.completeCopy),
            confirm: { title: tb('cards:confirm.complete_copy_title'), text: tb('cards:confirm.complete_copy_text') },
          }),
        ]),
      );
    } else if (req.details.execution) {
      const e = req.details.execution;
      const nums = e.newNumbers;
      const range = nums.length > 2 ? `${nums[0]} … ${nums[nums.length - 1]}` : nums.join(', ');
      const list: Bi[] = [tr(tb, 'cards:exec.copy_done', { count: nums.length, made: e.copiesMade, by: who(c, e.by), at: at(c, e.at) }), ...attestationLines(tb, e)];
      if (range) list.push(kv(tb('cards:field.new_numbers'), esc(range)));
      out.push(md(lines(list)));
    }
  } else if (req.kind === 'CARRY_OUT') {
    if (req.state === 'APPROVED') {
      out.push(
        title('carry_title'),
        button({
          name: 'check_out',
          text: tb('cards:button.check_out'),
          type: 'primary',
          value: act(opts, req, REQUEST_ACTIONS.checkOut),
          confirm: { title: tb('cards:confirm.check_out_title'), text: tb('cards:confirm.check_out_text') },
        }),
      );
    } else if (req.state === 'OUT' || req.state === 'OVERDUE') {
      // Receiving the carriers back is the officer's act; stock follows only after the inspection.
      if (req.details.returnAnnouncedAt) out.push(md(tr(tb, 'cards:exec.return_announced', { at: at(c, req.details.returnAnnouncedAt) })));
      out.push(
        title('receive_title'),
        button({
          name: 'receive',
          text: tb('cards:button.receive'),
          type: 'primary',
          value: act(opts, req, REQUEST_ACTIONS.receive),
          confirm: { title: tb('cards:confirm.receive_title'), text: tb('cards:confirm.receive_text') },
        }),
      );
    } else if (req.state === 'RETURNED') {
      out.push(
        title('inspect_title'),
        form(REQUEST_FORM_FIELDS.inspect.form, [
          input({
            name: 'note',
            label: tb('cards:field.note'),
            placeholder: tr(tb, 'cards:form.placeholder', { hint: tb('cards:form.ph.note') }),
            maxLength: 500,
            multiline: true,
          }),
          columns(
            [
              [
                button({
                  name: 'inspect_ok',
                  text: tb('cards:button.inspect_ok'),
                  type: 'primary',
                  submit: true,
                  value: act(opts, req, REQUEST_ACTIONS.inspectOk),
                  confirm: { title: tb('cards:confirm.inspect_ok_title'), text: tb('cards:confirm.inspect_ok_text') },
                }),
              ],
              [
                button({
                  name: 'inspect_fail',
                  text: tb('cards:button.inspect_fail'),
                  type: 'danger',
                  submit: true,
                  value: act(opts, req, REQUEST_ACTIONS.inspectFail),
                  confirm: { title: tb('cards:confirm.inspect_fail_title'), text: tb('cards:confirm.inspect_fail_text') },
                }),
              ],
            ],
            { flexMode: 'flow', spacing: 'small' },
          ),
        ]),
      );
    }
    // OUT / OVERDUE / CLOSED: the outcome line says it (out since …, due …; inspection result).
  } else if (req.kind === 'DESTROY') {
    if (req.state === 'APPROVED') {
      // The requester does not witness their own destruction; the executor is refused by the floor.
      const candidates = (opts.witnessCandidates ?? []).filter((id) => id !== req.requesterId);
      const witnessField = multiPersonPicker({ name: 'witnesses', placeholder: tb('people:picker.witnesses'), candidates, required: true });
      // The machine takes a destruction date from the approval day to today: a planned date
      // outside that range starts at today.
      const today = fmtTime(opts.now.toISOString(), c.tz).slice(0, 10);
      const approvedDay = fmtTime(req.approvedAt, c.tz).slice(0, 10);
      const planned = fmtDate(req.details.date);
      const initial = planned && planned <= today && planned >= approvedDay ? planned : today;
      out.push(
        title('destroy_title'),
        form(REQUEST_FORM_FIELDS.recordDestruction.form, [
          md(tb('cards:hint.witnesses')),
          md(cat('**', tb('cards:field.witnesses'), '**', " <font color='red'>*</font>")),
          witnessField,
          ...(candidates.length ? [] : [md(tb('people:picker.chat_members'))]),
          md(cat('**', tb('cards:field.date'), '**')),
          datePicker({ name: 'date', placeholder: tb('cards:form.pick_date'), initial, required: true }),
          button({
            name: 'record_destruction',
            text: tb('cards:button.record_destruction'),
            type: 'primary',
            submit: true,
            value: act(opts, req, REQUEST_ACTIONS.recordDestruction),
            confirm: { title: tb('cards:confirm.record_destruction_title'), text: tb('cards:confirm.record_destruction_text') },
          }),
        ]),
      );
    }
  }
  if (['DRAFT', 'IN_APPROVAL'].includes(req.state)) out.push(md(tb('cards:hint.not_yet_approved')));
  return out;
}

/** For security officers once the request is APPROVED (and later): register the execution. */
export function executionCard(req: Request, opts: ExecutionCardOptions): Card {
  return fitCard((fit) => {
    const c = ctxOf(opts, fit);
    const { tb } = opts;
    const elements: CardElement[] = [
      ...body(c, req),
      panel({ title: tb('cards:chain.title'), elements: chainBlock(c, req, false), expanded: false }),
      hr(),
      ...outcomeBlock(c, req),
      ...executionSection(c, req, opts),
    ];
    return card({
      header: requestHeader(c, req, tb('cards:subtitle.execution')),
      summary: requestSummary(c, req),
      elements,
    });
  });
}

// ---- witnessCard ------------------------------------------------------------------------------

/** For each destruction witness: the details and a Confirm button until this witness confirmed. */
export function witnessCard(req: Request, witnessId: string, opts: RequestCardOptions): Card {
  return fitCard((fit) => {
    const c = ctxOf(opts, fit);
    const { tb } = opts;
    const elements: CardElement[] = [...body(c, req)];
    if (req.kind === 'DESTROY') {
      const d = req.details;
      elements.push(hr(), md(cat('**', tb('cards:exec.witness_title'), '**')));
      const named = d.witnesses.includes(witnessId);
      const confirmed = d.confirmedWitnesses.includes(witnessId);
      if (confirmed) {
        const h = [...req.history].reverse().find((x) => x.action === 'confirm_witness' && x.actorId === witnessId);
        elements.push(md(h ? tb('cards:hint.witness_confirmed', { at: at(c, h.at) }) : tb('cards:hint.witness_confirmed_plain')));
      } else if (req.state === 'EXECUTED_PENDING_WITNESS' && named) {
        elements.push(
          md(tb('cards:hint.witness_ask')),
          button({
            name: 'confirm_witness',
            text: tb('cards:button.confirm_witness'),
            type: 'primary',
            value: act(opts, req, REQUEST_ACTIONS.confirmWitness, { w: witnessId }),
            confirm: { title: tb('cards:confirm.confirm_witness_title'), text: tb('cards:confirm.confirm_witness_text') },
          }),
        );
      } else if (req.state === 'APPROVED' || (req.state === 'EXECUTED_PENDING_WITNESS' && !named && d.witnesses.length === 0)) {
        elements.push(md(tb('cards:hint.witness_waiting')));
      } else if (!named && req.state === 'EXECUTED_PENDING_WITNESS') {
        elements.push(md(tb('cards:hint.not_witness')));
      } else {
        elements.push(...outcomeBlock(c, req));
      }
    } else {
      elements.push(...outcomeBlock(c, req));
    }
    return card({
      header: header({
        title: tb('cards:title.witness', { id: req.id }),
        subtitle: tb('cards:subtitle.witness'),
        template: STATE_TEMPLATES[req.state] ?? 'default',
        tags: [levelTag(tb, req.maxLevel), stateTag(tb, req)],
      }),
      summary:
        req.state === 'EXECUTED_PENDING_WITNESS' && req.kind === 'DESTROY' && !req.details.confirmedWitnesses.includes(witnessId)
          ? tb('cards:summary.witness', { id: req.id })
          : requestSummary(c, req),
      elements,
    });
  });
}
