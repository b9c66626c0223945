// The staff feature's cards (DOMAIN §1.6, §4.3, §6.6; issue 10 item 2): the departure checklist
// the security officers work through (carriers still in the person's custody from the register,
// the reminder talk, the departure pledge, the decontamination period), and the notices of joining
// and leaving (what is due, reminders, the end of the decontamination period). Metadata only:
// carrier numbers, aliases and statuses, dates, names. Built in both languages; the handler keeps
// the reader's language (cards/reader.ts).
import { encodeAction } from './action-value.js';
import { button, card, columns, header, hr, md, type Bi } from './builder.js';
import type { Card, CardElement, HeaderTemplate } from './card.types.js';
import { clip, esc, tr, type Tb } from './request.card.js';

export const STAFF_TICK_ACTION = 'staff.tick';
/** What a checklist button does: tick the talk, tick the departure pledge, re-check the register. */
export const CHECKLIST_TICKS = ['talk', 'pledge', 'check'] as const;
export type ChecklistTick = (typeof CHECKLIST_TICKS)[number];
/** Carriers listed one by one on the card; the rest are counted. */
export const CHECKLIST_MAX_CARRIERS = 30;

export interface ChecklistCarrier {
  number: string;
  alias: string;
  /** A register status (cards:carrier_status.*). */
  status: string;
}

export interface ChecklistView {
  openId: string;
  person: Bi;
  /** The departure's number (the card acts on this departure only). */
  seq: number;
  clearance: 'core' | 'important' | 'general';
  leaveOn: string;
  months: number;
  deconEnd: string;
  /** Carriers the register still shows in the person's custody (as read for this card). */
  carriers: readonly ChecklistCarrier[];
  talk?: { on: string; by: Bi };
  pledge?: { on: string; by: Bi };
  cancelled?: boolean;
}

const mark = (done: boolean): string => (done ? '✅' : '⬜');

/** The security officers' departure checklist; redrawn in place when a button is used. */
export function checklistCard(v: ChecklistView, o: { tb: Tb; nonce?: () => string }): Card {
  const { tb } = o;
  const name = { zh: esc(v.person.zh), en: esc(v.person.en) };
  const elements: CardElement[] = [
    md(
      tr(tb, 'staff:card.facts', {
        name,
        id: v.openId,
        clearance: tb(`staff:clearance.${v.clearance}`),
        on: v.leaveOn,
      }),
    ),
    md(tb('staff:card.decon', { months: v.months, end: v.deconEnd })),
    hr(),
  ];
  const n = v.carriers.length;
  elements.push(md(n === 0 ? tb('staff:card.carriers_clear', { mark: mark(true) }) : tb('staff:card.carriers_left', { mark: mark(false), n })));
  if (n > 0) {
    const lines = v.carriers
      .slice(0, CHECKLIST_MAX_CARRIERS)
      .map((c) => tr(tb, 'staff:card.carrier_line', { number: esc(clip(c.number, 40)), alias: esc(clip(c.alias, 40)), status: tb(`cards:carrier_status.${c.status}`) }));
    const more = n > CHECKLIST_MAX_CARRIERS ? [tb('staff:card.carriers_more', { n: n - CHECKLIST_MAX_CARRIERS })] : [];
    const all = [...lines, ...more];
    elements.push(md({ zh: all.map((l) => l.zh).join('\n'), en: all.map((l) => l.en).join('\n') }));
  }
  elements.push(
    md(
      v.talk
        ? tr(tb, 'staff:card.talk_done', { mark: mark(true), on: v.talk.on, by: { zh: esc(v.talk.by.zh), en: esc(v.talk.by.en) } })
        : tb('staff:card.talk_open', { mark: mark(false) }),
    ),
    md(
      v.pledge
        ? tr(tb, 'staff:card.pledge_done', { mark: mark(true), on: v.pledge.on, by: { zh: esc(v.pledge.by.zh), en: esc(v.pledge.by.en) } })
        : tb('staff:card.pledge_open', { mark: mark(false) }),
    ),
  );
  if (v.cancelled) elements.push(md(tb('staff:card.cancelled_note')));
  else {
    const act = (k: ChecklistTick) => encodeAction({ action: STAFF_TICK_ACTION, requestId: v.openId, version: v.seq, extra: { k } }, o.nonce?.());
    const buttons: CardElement[][] = [];
    if (!v.talk) buttons.push([button({ name: 'staff_talk', text: tb('staff:card.button_talk'), type: 'primary', value: act('talk') })]);
    if (!v.pledge) buttons.push([button({ name: 'staff_pledge', text: tb('staff:card.button_pledge'), type: 'primary', value: act('pledge') })]);
    buttons.push([button({ name: 'staff_check', text: tb('staff:card.button_check'), type: 'default', value: act('check') })]);
    elements.push(columns(buttons, { flexMode: 'flow' }));
    elements.push(md(tb('staff:card.officers_only')));
  }
  const done = n === 0 && !!v.talk && !!v.pledge;
  const head = tr(tb, v.cancelled ? 'staff:card.title_cancelled' : 'staff:card.title', { name });
  const template: HeaderTemplate = v.cancelled ? 'grey' : done ? 'green' : 'orange';
  return card({
    header: header({
      title: head,
      template,
      tags: [
        { text: tb(v.cancelled ? 'staff:card.tag_cancelled' : done ? 'staff:card.tag_done' : 'staff:card.tag_open'), color: v.cancelled ? 'neutral' : done ? 'green' : 'orange' },
      ],
    }),
    summary: head,
    elements,
  });
}

/** A notice (welcome, reminder, pledge due, end of the decontamination period): a title and lines. */
export function staffNoticeCard(n: { title: Bi; lines: readonly Bi[]; template: HeaderTemplate }): Card {
  return card({ header: header({ title: n.title, template: n.template }), summary: n.title, elements: n.lines.map((l) => md(l)) });
}
