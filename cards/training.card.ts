// The training feature's cards (DOMAIN §4.3): the session notice (and its reminders) with
// "I'll attend", the security officer's attendance list (a form with a multi person picker: the
// invited, those who confirmed ticked; closed once), the report, and the quarterly reminder and
// department summary. Metadata only: titles, dates, hours, people. Built in both languages; the
// handler keeps the reader's language (cards/reader.ts).
import { encodeAction } from './action-value.js';
import { button, card, form, header, md, multiPersonPicker, table, type Bi } from './builder.js';
import type { Card, CardElement } from './card.types.js';
import { clip, esc, fmtTime, tr, type Tb } from './request.card.js';

export const TRAINING_CONFIRM_ACTION = 'training.confirm';
export const TRAINING_CLOSE_ACTION = 'training.close';
export const TRAINING_SHEET_FORM = 'training_sheet';
export const TRAINING_SHEET_FIELD = 'attendees';

export interface SessionView {
  id: string;
  title: string;
  kind: string;
  form: string;
  at: Date;
  hours: number;
  invited: number;
  cancelled?: boolean;
  closed?: boolean;
}

const titleOf = (s: SessionView) => esc(clip(s.title, 80));

function facts(s: SessionView, tb: Tb, timeZone: string): CardElement[] {
  return [
    md(
      tr(tb, 'training:card.facts', {
        id: s.id,
        at: fmtTime(s.at.toISOString(), timeZone),
        hours: s.hours,
        kind: tb(`training:kind.${s.kind}`),
        form: tb(`training:form.${s.form}`),
      }),
    ),
  ];
}

/** The notice every invited person gets (and the reminders 3 days and 1 hour before). */
export function trainingNoticeCard(s: SessionView, o: { tb: Tb; timeZone: string; reminder?: 'd3' | 'h1'; confirmed?: boolean; nonce?: () => string }): Card {
  const { tb } = o;
  const elements: CardElement[] = [];
  if (o.reminder) elements.push(md(tb(`training:card.reminder_${o.reminder}`)));
  elements.push(...facts(s, tb, o.timeZone));
  if (s.cancelled) elements.push(md(tb('training:card.cancelled_note')));
  else if (s.closed) elements.push(md(tb('training:card.closed_note')));
  else if (o.confirmed) elements.push(md(tb('training:card.you_confirmed')));
  else {
    elements.push(md(tb('training:card.confirm_hint')));
    elements.push(button({ text: tb('training:card.confirm'), type: 'primary', value: encodeAction({ action: TRAINING_CONFIRM_ACTION, requestId: s.id }, o.nonce?.()) }));
  }
  const head = tr(tb, s.cancelled ? 'training:card.cancelled_title' : 'training:card.title', { title: titleOf(s) });
  return card({
    header: header({ title: head, template: s.cancelled ? 'grey' : o.reminder ? 'orange' : 'blue', tags: [{ text: tb(`training:kind.${s.kind}`), color: 'indigo' }] }),
    summary: head,
    elements,
  });
}

export interface SheetPartView {
  part: number;
  parts: number;
  /** The invited people of this part (open_ids). */
  people: readonly string[];
  /** Those of them who confirmed (ticked in the picker). */
  confirmed: readonly string[];
  /** When this part was closed: by whom (a name), when, how many were ticked. */
  closed?: { by: Bi; at: Date; attendees: number };
}

/**
 * The security officer's attendance list: everyone invited in one multi person picker, those who
 * confirmed ticked; "Close the list" credits the session's hours to the ticked people, once.
 */
export function trainingSheetCard(s: SessionView, p: SheetPartView, o: { tb: Tb; timeZone: string; nonce?: () => string }): Card {
  const { tb } = o;
  const elements: CardElement[] = [...facts(s, tb, o.timeZone)];
  if (p.parts > 1) elements.push(md(tb('training:sheet.part', { part: p.part + 1, parts: p.parts })));
  const confirmed = p.confirmed.filter((id) => p.people.includes(id));
  elements.push(md(tb('training:sheet.counts', { confirmed: confirmed.length, invited: p.people.length })));
  if (p.closed) {
    elements.push(md(tr(tb, 'training:sheet.closed', { by: p.closed.by, at: fmtTime(p.closed.at.toISOString(), o.timeZone), n: p.closed.attendees, hours: s.hours })));
  } else if (s.cancelled) {
    elements.push(md(tb('training:card.cancelled_note')));
  } else {
    elements.push(md(tb('training:sheet.hint', { hours: s.hours })));
    elements.push(
      form(TRAINING_SHEET_FORM, [
        multiPersonPicker({ name: TRAINING_SHEET_FIELD, placeholder: tb('training:sheet.placeholder'), candidates: p.people, initial: confirmed }),
        button({
          name: 'close',
          text: tb('training:sheet.close'),
          type: 'primary',
          submit: true,
          confirm: { title: tb('training:sheet.confirm_title'), text: tb('training:sheet.confirm_text', { hours: s.hours }) },
          value: encodeAction({ action: TRAINING_CLOSE_ACTION, requestId: s.id, extra: { p: p.part } }, o.nonce?.()),
        }),
      ]),
    );
  }
  const head = tr(tb, 'training:sheet.title', { title: titleOf(s) });
  return card({ header: header({ title: head, template: p.closed ? 'green' : s.cancelled ? 'grey' : 'wathet' }), summary: head, elements });
}

export interface ReportRow {
  name: string;
  dept: string;
  hours: number;
  unit: number;
  target: number;
  short: number;
}

export interface DeptRow {
  dept: string;
  people: number;
  below: number;
  hours: number;
  unit: number;
}

/** Rows of the person table shown on a card; the rest is in the export. */
export const REPORT_CARD_ROWS = 100;

/** `/training report`: per person (below target first) and per department, in one language (`lang`). */
export function trainingReportCard(
  r: { year: number; dept?: string; rows: readonly ReportRow[]; depts: readonly DeptRow[]; below: number },
  o: { tb: Tb; lang: 'zh' | 'en' },
): Card {
  const { tb } = o;
  const col = (key: string) => tb(`training:report.col.${key}`);
  const elements: CardElement[] = [md(tb('training:report.summary', { people: r.rows.length, below: r.below, year: r.year }))];
  if (r.rows.length === 0) elements.push(md(tb('training:report.empty')));
  else {
    const shown = r.rows.slice(0, REPORT_CARD_ROWS);
    elements.push(
      table(
        {
          pageSize: 10,
          headers: 'fallback',
          columns: [
            { name: 'name', display: col('name'), type: 'text' },
            { name: 'dept', display: col('dept'), type: 'text' },
            { name: 'hours', display: col('hours'), type: 'number', align: 'right' },
            { name: 'unit', display: col('unit'), type: 'number', align: 'right' },
            { name: 'target', display: col('target'), type: 'number', align: 'right' },
            { name: 'short', display: col('short'), type: 'number', align: 'right' },
          ],
          rows: shown.map((x) => ({ name: x.name, dept: x.dept, hours: x.hours, unit: x.unit, target: x.target, short: x.short })),
        },
        o.lang,
      ),
    );
    if (r.rows.length > shown.length) elements.push(md(tb('training:report.more', { n: r.rows.length - shown.length })));
    elements.push(
      table(
        {
          pageSize: 10,
          headers: 'fallback',
          columns: [
            { name: 'dept', display: col('dept'), type: 'text' },
            { name: 'people', display: col('people'), type: 'number', align: 'right' },
            { name: 'below', display: col('below'), type: 'number', align: 'right' },
            { name: 'hours', display: col('hours'), type: 'number', align: 'right' },
            { name: 'unit', display: col('unit'), type: 'number', align: 'right' },
          ],
          rows: r.depts.map((d) => ({ ...d })),
        },
        o.lang,
      ),
    );
  }
  const head = r.dept ? tb('training:report.title_dept', { year: r.year, dept: r.dept }) : tb('training:report.title', { year: r.year });
  return card({ header: header({ title: head, template: 'blue' }, o.lang), summary: head, elements }, o.lang);
}

/** The quarterly reminder to a person below the year-to-date target (the numbers: /training mine). */
export function trainingShortfallCard(q: { year: number; percent: number; finalCall: boolean; yearEnd: boolean }, o: { tb: Tb }): Card {
  const { tb } = o;
  const key = q.yearEnd ? 'year_end' : q.finalCall ? 'final_call' : 'quarter';
  const head = tb(`training:quarterly.title_${key}`, { year: q.year });
  return card({
    header: header({ title: head, template: q.finalCall || q.yearEnd ? 'red' : 'orange' }),
    summary: head,
    elements: [md(tb(`training:quarterly.body_${key}`, { year: q.year, percent: q.percent })), md(tb('training:quarterly.mine_hint'))],
  });
}

/** The department head's summary of their department's shortfalls. */
export function trainingDeptSummaryCard(
  q: { year: number; percent: number; finalCall: boolean; yearEnd: boolean; dept: Bi; people: number; rows: readonly { name: Bi; hours: number; unit: number; short: number }[] },
  o: { tb: Tb },
): Card {
  const { tb } = o;
  const list = q.rows.slice(0, 50);
  const lines: Bi = {
    zh: list.map((r) => tb('training:quarterly.line', { name: esc(r.name.zh), hours: r.hours, unit: r.unit, short: r.short }).zh).join('\n'),
    en: list.map((r) => tb('training:quarterly.line', { name: esc(r.name.en), hours: r.hours, unit: r.unit, short: r.short }).en).join('\n'),
  };
  const elements: CardElement[] = [
    md(
      tr(tb, q.yearEnd ? 'training:quarterly.head_intro_year_end' : 'training:quarterly.head_intro', {
        dept: q.dept,
        year: q.year,
        percent: q.percent,
        below: q.rows.length,
        people: q.people,
      }),
    ),
    md(lines),
  ];
  if (q.rows.length > list.length) elements.push(md(tb('training:report.more', { n: q.rows.length - list.length })));
  if (q.finalCall) elements.push(md(tb('training:quarterly.head_final_call')));
  const head = tr(tb, 'training:quarterly.head_title', { dept: q.dept, year: q.year });
  return card({ header: header({ title: head, template: q.finalCall || q.yearEnd ? 'red' : 'orange' }), summary: head, elements });
}
