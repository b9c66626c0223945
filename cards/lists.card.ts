// `/my` (the reader's requests) and `/pending` (requests awaiting the reader's decision) as tables.
// Table cells have no i18n in Feishu, so translated cells show both languages ("审批中 In approval").
import { both, card, header, md, table, type Bi } from './builder.js';
import type { Card, CardElement } from './card.types.js';
import { cat, fitRows, fmtTime, kindName, levelName, roleName, stateName, type Names, type Tb } from './request.card.js';
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

/** `/my`: id, kind, level, state (with the current step), last update. */
export function myRequestsCard(reqs: readonly Request[], opts: ListCardOptions): Card {
  const { tb } = opts;
  const tz = opts.timeZone ?? DEFAULT_TIMEZONE;
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
            { name: 'id', display: tb('cards:field.id'), type: 'text' },
            { name: 'kind', display: tb('cards:field.kind'), type: 'text' },
            { name: 'level', display: tb('cards:field.level'), type: 'text' },
            { name: 'state', display: tb('cards:field.state'), type: 'text' },
            { name: 'step', display: tb('cards:field.step'), type: 'text' },
            { name: 'updated', display: tb('cards:field.updated'), type: 'text' },
          ],
          rows: shown.map((r) => ({
            id: r.id,
            kind: both(kindName(tb, r.kind)),
            level: both(levelName(tb, r.maxLevel)),
            state: both(stateName(tb, r)),
            step: stepCell(tb, r),
            updated: fmtTime(r.updatedAt, tz),
          })),
        }),
      ];
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
