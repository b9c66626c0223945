// `/my` (the reader's requests) and `/pending` (requests awaiting the reader's decision) as tables.
// Table cells have no i18n in Feishu, so translated cells show both languages ("审批中 In approval").
import { both, card, header, md, table, type Bi } from './builder.js';
import type { Card, CardElement } from './card.types.js';
import { cat, fitRows, fmtTime, joinBi, kindName, levelName, roleName, stateName, type Names, type Tb } from './request.card.js';
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
