// The incident cards (docs/domain.md §5): the report form of `/incident`, the incident card (the
// alert, its reminders and updates, `/incident show`) with buttons for the security office's
// common steps, the draft card an approval's failed supervision check opens, and the receipt.
// Metadata only: kinds, dates, places, people, carrier numbers, levels, counts — never content;
// every free-text field warns against it. Built in both languages; the handler keeps the reader's
// language (cards/reader.ts).
import type { IncidentKind, IncidentStatus } from '../models/incident.model.js';
import { INCIDENT_KINDS } from '../models/incident.model.js';
import { LEVELS, type Level } from '../domain/index.js';
import { encodeAction } from './action-value.js';
import { button, card, columns, datePicker, form, header, input, md, personPicker, select, type Bi } from './builder.js';
import type { Card, CardElement, HeaderTemplate, TagColor } from './card.types.js';
import { cat, clip, esc, fmtTime, joinBi, levelTag, tr, type Tb } from './request.card.js';

/** The form's submit button. */
export const INCIDENT_FORM_ACTION = 'incident.form';
/** The incident and draft cards' buttons; `x.s` names the step. */
export const INCIDENT_ACTION = 'incident.act';
export const INCIDENT_STEPS = ['reported', 'result', 'status', 'found', 'close', 'confirm', 'dismiss'] as const;
export type IncidentStepName = (typeof INCIDENT_STEPS)[number];

/** Form and field names (what `action.form_value` holds). */
export const INCIDENT_FORMS = {
  report: { form: 'incident_form', fields: ['kind', 'date', 'time', 'place', 'found_by', 'carriers', 'level', 'quantity', 'measures'] },
  reported: { form: 'incident_reported', fields: ['rep_date', 'rep_time', 'rep_to'] },
  result: { form: 'incident_result', fields: ['res_date'] },
  status: { form: 'incident_status', fields: ['text'] },
  draft: { form: 'incident_draft', fields: ['reason'] },
} as const;

export interface IncidentView {
  id: string;
  kind: IncidentKind;
  status: IncidentStatus;
  discoveredAt: Date;
  place?: string;
  foundBy?: Bi;
  reporter: Bi;
  carriers: readonly string[];
  level?: Level;
  quantity?: number;
  measures?: string;
  clockStart?: Date;
  external?: { reportedAt: Date; to: string };
  resultDueAt?: Date;
  result?: { on: string };
  missing?: { since: Date; deadline: Date; days: number; outcome?: 'found' | 'leak' };
  draft?: { requestId: string; reason: string; note?: string };
  dismissed?: { reason: string };
  /** The latest status updates, oldest first. */
  updates: readonly { at: Date; by: Bi; text: string }[];
}

export interface IncidentCardOptions {
  tb: Tb;
  timeZone: string;
  /** The line that says why this card came (opened, a reminder, an update). */
  lead?: Bi;
  /**
   * Buttons for the security office's steps (the alert, `/incident show`): only for the security
   * office, who may use them. The draft card shows Confirm / Dismiss unless this is `false`.
   */
  actions?: boolean;
  nonce?: () => string;
}

const STATUS_TEMPLATE: Record<IncidentStatus, HeaderTemplate> = { DRAFT: 'yellow', OPEN: 'red', REPORTED: 'orange', CLOSED: 'green', DISMISSED: 'grey' };
const STATUS_COLOR: Record<IncidentStatus, TagColor> = { DRAFT: 'yellow', OPEN: 'red', REPORTED: 'orange', CLOSED: 'green', DISMISSED: 'neutral' };
/** The result report is due 3 months after the clock started; the 24-hour report a day after. */
export const EXTERNAL_REPORT_MS = 24 * 3_600_000;

const searching = (v: IncidentView) => v.kind === 'LOST_CARRIER' && !!v.missing && !v.missing.outcome && (v.status === 'OPEN' || v.status === 'REPORTED');
/** Whether the incident may be closed now: no clock, or both reports recorded; a carrier still searched for is found or becomes a leak. */
export const closable = (v: Pick<IncidentView, 'status' | 'clockStart' | 'external' | 'result' | 'kind' | 'missing'>): boolean =>
  (v.status === 'OPEN' || v.status === 'REPORTED') && !(v.kind === 'LOST_CARRIER' && v.missing && !v.missing.outcome) && (!v.clockStart || (!!v.external && !!v.result));

export function statusName(tb: Tb, v: Pick<IncidentView, 'status' | 'kind' | 'missing'>): Bi {
  if (v.kind === 'LOST_CARRIER' && v.missing && !v.missing.outcome && v.status === 'OPEN') return tb('incident:status.SEARCHING');
  return tb(`incident:status.${v.status}`);
}

function facts(v: IncidentView, tb: Tb, tz: string): CardElement[] {
  const t = (d: Date) => fmtTime(d.toISOString(), tz);
  const lines: Bi[] = [
    tr(tb, 'incident:card.kind', { kind: tb(`incident:kind.${v.kind}`), status: statusName(tb, v) }),
    tr(tb, 'incident:card.discovered', { at: t(v.discoveredAt), place: v.place ? esc(clip(v.place, 100)) : '—' }),
    tr(tb, 'incident:card.people', { found: v.foundBy ?? { zh: '—', en: '—' }, reporter: v.reporter }),
  ];
  if (v.carriers.length) lines.push(tr(tb, 'incident:card.carriers', { carriers: esc(clip(v.carriers.join(', '), 300)) }));
  if (v.level || v.quantity !== undefined)
    lines.push(tr(tb, 'incident:card.level', { level: v.level ? tb(`cards:level.${v.level}`) : '—', quantity: v.quantity !== undefined ? String(v.quantity) : '—' }));
  if (v.measures) lines.push(tr(tb, 'incident:card.measures', { measures: esc(clip(v.measures, 300)) }));
  if (v.draft)
    lines.push(
      tr(tb, 'incident:card.draft', { request: v.draft.requestId, reason: tb(`incident:draft_reason.${v.draft.reason}`), note: v.draft.note ? esc(clip(v.draft.note, 100)) : '—' }),
    );
  if (v.missing) {
    const m = v.missing;
    const state = m.outcome === 'found' ? tb('incident:card.found') : m.outcome === 'leak' ? tb('incident:card.leak') : tb('incident:card.searching');
    lines.push(tr(tb, 'incident:card.missing', { since: t(m.since), deadline: t(m.deadline), days: m.days, state }));
  }
  if (v.clockStart) {
    lines.push(
      v.external
        ? tr(tb, 'incident:card.external_done', { at: t(v.external.reportedAt), to: esc(clip(v.external.to, 100)) })
        : tb('incident:card.external_due', { due: t(new Date(v.clockStart.getTime() + EXTERNAL_REPORT_MS)) }),
    );
    if (v.resultDueAt) lines.push(v.result ? tb('incident:card.result_done', { on: v.result.on }) : tb('incident:card.result_due', { due: t(v.resultDueAt) }));
  }
  if (v.dismissed) lines.push(tb('incident:card.dismissed', { reason: esc(clip(v.dismissed.reason, 200)) }));
  const out: CardElement[] = [md(joinBi(lines, '\n'))];
  if (v.updates.length) {
    const recent = v.updates.slice(-3).map((u) => tr(tb, 'incident:card.update_line', { at: t(u.at), by: u.by, text: esc(clip(u.text, 200)) }));
    out.push(md(cat(tb('incident:card.updates'), '\n', joinBi(recent, '\n'))));
  }
  return out;
}

function act(v: IncidentView, step: IncidentStepName, o: { nonce?: () => string }) {
  return encodeAction({ action: INCIDENT_ACTION, requestId: v.id, extra: { s: step } }, o.nonce?.());
}

const label = (text: Bi): CardElement => md(cat('**', text, '**'));

function actions(v: IncidentView, o: IncidentCardOptions): CardElement[] {
  const { tb } = o;
  if (v.status !== 'OPEN' && v.status !== 'REPORTED') return [];
  const out: CardElement[] = [];
  if (v.clockStart && !v.external) {
    const F = INCIDENT_FORMS.reported;
    out.push(
      form(F.form, [
        label(tb('incident:form.reported_title')),
        datePicker({ name: 'rep_date', placeholder: tb('incident:form.pick_date'), required: true }),
        input({ name: 'rep_time', label: tb('incident:form.time'), placeholder: tb('incident:form.ph_time'), required: true, maxLength: 5 }),
        input({ name: 'rep_to', label: tb('incident:form.to'), placeholder: tb('incident:form.ph_to'), required: true, maxLength: 100 }),
        button({ name: 'reported', text: tb('incident:button.reported'), type: 'primary', submit: true, value: act(v, 'reported', o) }),
      ]),
    );
  } else if (v.external && !v.result) {
    out.push(
      form(INCIDENT_FORMS.result.form, [
        label(tb('incident:form.result_title')),
        datePicker({ name: 'res_date', placeholder: tb('incident:form.pick_date'), required: true }),
        button({ name: 'result', text: tb('incident:button.result'), type: 'primary', submit: true, value: act(v, 'result', o) }),
      ]),
    );
  }
  out.push(
    form(INCIDENT_FORMS.status.form, [
      input({ name: 'text', label: tb('incident:form.status'), placeholder: tb('incident:form.ph_status'), required: true, maxLength: 200 }),
      button({ name: 'status', text: tb('incident:button.status'), type: 'default', submit: true, value: act(v, 'status', o) }),
    ]),
  );
  const buttons: CardElement[][] = [];
  if (searching(v))
    buttons.push([
      button({
        text: tb('incident:button.found'),
        type: 'primary',
        value: act(v, 'found', o),
        confirm: { title: tb('incident:button.found'), text: tb('incident:confirm.found', { id: v.id }) },
      }),
    ]);
  if (closable(v))
    buttons.push([
      button({
        text: tb('incident:button.close'),
        type: 'default',
        value: act(v, 'close', o),
        confirm: { title: tb('incident:button.close'), text: tb('incident:confirm.close', { id: v.id }) },
      }),
    ]);
  if (buttons.length) out.push(columns(buttons, { flexMode: 'flow' }));
  return out;
}

/** The incident: the alert, its reminders and updates, `/incident show`. */
export function incidentCard(v: IncidentView, o: IncidentCardOptions): Card {
  const { tb } = o;
  const elements: CardElement[] = [];
  if (o.lead) elements.push(md(o.lead));
  elements.push(...facts(v, tb, o.timeZone));
  if (o.actions) elements.push(...actions(v, o));
  const head = tr(tb, 'incident:card.title', { id: v.id, kind: tb(`incident:kind.${v.kind}`) });
  const tags: { text: Bi; color: TagColor }[] = [{ text: statusName(tb, v), color: STATUS_COLOR[v.status] }];
  if (v.level) tags.push(levelTag(tb, v.level));
  return card({ header: header({ title: head, template: STATUS_TEMPLATE[v.status], tags }), summary: head, elements });
}

/** The draft an approval's failed supervision check opened: Confirm, or Dismiss with a reason. */
export function incidentDraftCard(v: IncidentView, o: IncidentCardOptions): Card {
  const { tb } = o;
  const elements: CardElement[] = [md(tb('incident:draft.lead')), ...facts(v, tb, o.timeZone)];
  if (v.status === 'DRAFT' && o.actions !== false)
    elements.push(
      form(INCIDENT_FORMS.draft.form, [
        input({ name: 'reason', label: tb('incident:form.dismiss_reason'), placeholder: tb('incident:form.ph_reason'), maxLength: 200 }),
        columns(
          [
            [button({ name: 'confirm', text: tb('incident:button.confirm'), type: 'primary', submit: true, value: act(v, 'confirm', o) })],
            [button({ name: 'dismiss', text: tb('incident:button.dismiss'), type: 'default', submit: true, value: act(v, 'dismiss', o) })],
          ],
          { flexMode: 'flow' },
        ),
      ]),
    );
  const head = tr(tb, 'incident:draft.title', { id: v.id });
  return card({
    header: header({ title: head, template: STATUS_TEMPLATE[v.status], tags: [{ text: statusName(tb, v), color: STATUS_COLOR[v.status] }] }),
    summary: head,
    elements,
  });
}

export interface IncidentFormOptions {
  tb: Tb;
  /** The person the form is made for: only they may submit it. */
  owner?: string;
  /** Who may be picked as the finder: active directory users (People.candidates). */
  people?: readonly string[];
  nonce?: () => string;
}

/** `/incident` without arguments: the report form. */
export function incidentFormCard(o: IncidentFormOptions): Card {
  const { tb } = o;
  const value = encodeAction({ action: INCIDENT_FORM_ACTION, ...(o.owner ? { owner: o.owner } : {}) }, o.nonce?.());
  const req = (text: Bi) => md(cat('**', text, '** ', "<font color='red'>*</font>"));
  const candidates = o.people ?? [];
  const title = tb('incident:form.title');
  return card({
    header: header({ title, subtitle: tb('incident:form.subtitle'), template: 'red' }),
    summary: title,
    elements: [
      md(tb('incident:form.warning')),
      form(INCIDENT_FORMS.report.form, [
        req(tb('incident:form.kind')),
        select({ name: 'kind', placeholder: tb('incident:form.pick_one'), options: INCIDENT_KINDS.map((k) => ({ text: tb(`incident:kind.${k}`), value: k })), required: true }),
        req(tb('incident:form.date')),
        datePicker({ name: 'date', placeholder: tb('incident:form.pick_date'), required: true }),
        input({ name: 'time', label: tb('incident:form.time'), placeholder: tb('incident:form.ph_time'), required: true, maxLength: 5 }),
        input({ name: 'place', label: tb('incident:form.place'), placeholder: tb('incident:form.ph_place'), maxLength: 100 }),
        label(tb('incident:form.found_by')),
        personPicker({ name: 'found_by', placeholder: tb('incident:form.pick_person'), candidates }),
        ...(candidates.length ? [] : [md(tb('people:picker.chat_members'))]),
        input({ name: 'carriers', label: tb('incident:form.carriers'), placeholder: tb('incident:form.ph_carriers'), maxLength: 1000 }),
        label(tb('incident:form.level')),
        select({ name: 'level', placeholder: tb('incident:form.pick_one'), options: LEVELS.map((l) => ({ text: tb(`cards:level.${l}`), value: l })) }),
        input({ name: 'quantity', label: tb('incident:form.quantity'), placeholder: tb('incident:form.ph_quantity'), maxLength: 6 }),
        input({ name: 'measures', label: tb('incident:form.measures'), placeholder: tb('incident:form.ph_measures'), maxLength: 500, multiline: true }),
        button({ name: 'submit', text: tb('incident:button.submit'), type: 'primary', submit: true, value }),
      ]),
      md(tb('incident:form.typed')),
    ],
  });
}

/** What a submitted form becomes (through the callback answer): the receipt, read-only. */
export function incidentReceiptCard(id: string, kind: IncidentKind, tb: Tb): Card {
  const title = tr(tb, 'incident:receipt.title', { id });
  return card({
    header: header({ title, subtitle: tb(`incident:kind.${kind}`), template: 'green' }),
    summary: title,
    elements: [md(tb('incident:receipt.body', { id }))],
  });
}
