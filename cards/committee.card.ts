// The committee's cards (docs/domain.md §4): a motion's vote card (赞成 / 反对 / 弃权, the reader's
// current choice, the running tally unless the vote is secret), its reminder and its result.
// Metadata only: the motion's title (not secret), its kind and the counts. Built in both
// languages; the handler keeps the reader's language (cards/reader.ts).
import type { MotionKind, Tally, VoteChoice, VoteResult } from '../handlers/committee/rules.js';
import { VOTE_CHOICES } from '../handlers/committee/rules.js';
import { encodeAction } from './action-value.js';
import { button, card, columns, form, header, input, md, type Bi } from './builder.js';
import type { Card, CardElement } from './card.types.js';
import { clip, esc, fmtTime, tr, type Tb } from './request.card.js';

export const MOTION_VOTE_ACTION = 'motion.vote';

export interface MotionView {
  id: string;
  title: string;
  kind: MotionKind;
  secret: boolean;
  closesAt: Date;
  members: number;
}

export interface MotionVoteOptions {
  tb: Tb;
  timeZone: string;
  /** The reader's current choice. */
  choice?: VoteChoice;
  /** The running tally (not for a secret motion), and how many have voted. */
  tally?: Tally;
  voted?: number;
  /** A reminder before the close ('24' / '2' hours). */
  reminder?: string;
  nonce?: () => string;
}

const title = (m: MotionView) => esc(clip(m.title, 80));

function facts(m: MotionView, tb: Tb, timeZone: string): CardElement[] {
  const out: CardElement[] = [
    md(tr(tb, 'committee:motion.facts', { id: m.id, kind: tb(`committee:kind.${m.kind}`), closes: fmtTime(m.closesAt.toISOString(), timeZone), members: m.members })),
  ];
  if (m.kind === 'classification') out.push(md(tb('committee:motion.advisory')));
  if (m.secret) out.push(md(tb('committee:motion.secret')));
  return out;
}

/** The vote card every member gets; redrawn for a member after a click. */
export function motionVoteCard(m: MotionView, o: MotionVoteOptions): Card {
  const { tb } = o;
  const elements: CardElement[] = [];
  if (o.reminder) elements.push(md(tb('committee:motion.reminder', { hours: o.reminder })));
  elements.push(...facts(m, tb, o.timeZone));
  elements.push(md(o.choice ? tr(tb, 'committee:motion.your_choice', { choice: tb(`committee:choice.${o.choice}`) }) : tb('committee:motion.not_voted')));
  if (o.tally) elements.push(md(tb('committee:motion.tally', { ...o.tally, voted: o.tally.yes + o.tally.no + o.tally.abstain, members: m.members })));
  else if (o.voted !== undefined) elements.push(md(tb('committee:motion.turnout', { voted: o.voted, members: m.members })));
  elements.push(
    columns(
      VOTE_CHOICES.map((c) => [
        button({
          text: tb(`committee:choice.${c}`),
          type: o.choice === c ? 'primary_filled' : c === 'no' ? 'danger' : 'default',
          value: encodeAction({ action: MOTION_VOTE_ACTION, requestId: m.id, extra: { c } }, o.nonce?.()),
        }),
      ]),
      { flexMode: 'flow' },
    ),
  );
  elements.push(md(tb('committee:motion.change_hint')));
  const head = tr(tb, 'committee:motion.title', { title: title(m) });
  return card({
    header: header({ title: head, template: o.reminder ? 'orange' : 'blue', tags: [{ text: tb(`committee:kind.${m.kind}`), color: 'indigo' }] }),
    summary: head,
    elements,
  });
}

/** The result, posted to every member and shown by /motion show once closed. */
export function motionResultCard(m: MotionView, r: VoteResult, o: { tb: Tb; timeZone: string; choice?: VoteChoice }): Card {
  const { tb } = o;
  const outcome: Bi = r.advisory ? tb(`committee:outcome.advisory_${r.outcome}`) : tb(`committee:outcome.${r.outcome}`);
  const elements: CardElement[] = [
    md(tr(tb, 'committee:result.outcome', { outcome })),
    md(tb('committee:result.counts', { ...r.tally, cast: r.cast, members: r.members })),
    md(
      tr(tb, 'committee:result.rules', {
        quorum: r.quorate ? tb('committee:result.quorate') : tb('committee:result.not_quorate'),
        needed: tb(r.needed.strict ? 'committee:result.more_than' : 'committee:result.at_least', { num: r.needed.num, den: r.needed.den }),
      }),
    ),
    ...facts(m, tb, o.timeZone),
  ];
  if (o.choice) elements.push(md(tr(tb, 'committee:motion.your_choice', { choice: tb(`committee:choice.${o.choice}`) })));
  const head = tr(tb, 'committee:result.title', { title: title(m) });
  const template = r.outcome === 'passed' ? 'green' : r.outcome === 'no_quorum' ? 'grey' : 'red';
  return card({ header: header({ title: head, template, tags: [{ text: outcome, color: r.outcome === 'passed' ? 'green' : 'neutral' }] }), summary: head, elements });
}

// ---- meetings

export const MEETING_REPLY_ACTION = 'meeting.reply';
export const MEETING_REPLY_FORM = 'meeting_reply';
export type MeetingAnswerView = { answer: 'attend' | 'leave'; reason?: string };

export interface MeetingView {
  id: string;
  at: Date;
  place?: string;
  agenda?: string;
  cancelled?: boolean;
}

function meetingFacts(m: MeetingView, tb: Tb, timeZone: string): CardElement[] {
  const out: CardElement[] = [
    md(tr(tb, 'committee:meeting.facts', { id: m.id, at: fmtTime(m.at.toISOString(), timeZone), place: m.place ? esc(clip(m.place, 60)) : tb('committee:meeting.no_place') })),
  ];
  if (m.agenda) out.push(md(tb('committee:meeting.agenda', { agenda: esc(clip(m.agenda, 300)) })));
  return out;
}

/** The notice (and its reminders) every member gets: Attend, or Request leave with a reason. */
export function meetingNoticeCard(m: MeetingView, o: { tb: Tb; timeZone: string; reminder?: string; mine?: MeetingAnswerView; nonce?: () => string }): Card {
  const { tb } = o;
  const elements: CardElement[] = [];
  if (o.reminder) elements.push(md(tb(`committee:meeting.reminder.${o.reminder}`)));
  elements.push(...meetingFacts(m, tb, o.timeZone));
  if (o.mine)
    elements.push(md(o.mine.answer === 'attend' ? tb('committee:meeting.you_attend') : tb('committee:meeting.you_leave', { reason: esc(clip(o.mine.reason ?? '', 100)) })));
  if (m.cancelled) elements.push(md(tb('committee:meeting.cancelled_note')));
  else {
    const act = (answer: string) => encodeAction({ action: MEETING_REPLY_ACTION, requestId: m.id, extra: { a: answer } }, o.nonce?.());
    elements.push(
      form(MEETING_REPLY_FORM, [
        input({ name: 'reason', label: tb('committee:meeting.reason_label'), placeholder: tb('committee:meeting.reason_placeholder'), maxLength: 200 }),
        columns(
          [
            [button({ name: 'attend', text: tb('committee:meeting.attend'), type: 'primary', submit: true, value: act('attend') })],
            [button({ name: 'leave', text: tb('committee:meeting.leave'), type: 'default', submit: true, value: act('leave') })],
          ],
          { flexMode: 'flow' },
        ),
      ]),
    );
  }
  const head = tr(tb, m.cancelled ? 'committee:meeting.cancelled_title' : 'committee:meeting.title', { at: fmtTime(m.at.toISOString(), o.timeZone) });
  return card({ header: header({ title: head, template: m.cancelled ? 'grey' : o.reminder ? 'orange' : 'blue' }), summary: head, elements });
}

export interface AttendanceRow {
  name: Bi;
  answer?: 'attend' | 'leave';
  reason?: string;
}

/** The chair's attendance card, patched as members answer. */
export function attendanceCard(m: MeetingView, rows: readonly AttendanceRow[], o: { tb: Tb; timeZone: string }): Card {
  const { tb } = o;
  const group = (answer: AttendanceRow['answer']) => rows.filter((r) => r.answer === answer);
  const names = (list: readonly AttendanceRow[]): Bi => ({ zh: list.map((r) => r.name.zh).join('、') || '—', en: list.map((r) => r.name.en).join(', ') || '—' });
  const leave = group('leave');
  const elements: CardElement[] = [
    ...meetingFacts(m, tb, o.timeZone),
    md(tr(tb, 'committee:attendance.attend', { n: group('attend').length, names: names(group('attend')) })),
    md(
      tr(tb, 'committee:attendance.leave', {
        n: leave.length,
        names: {
          zh: leave.map((r) => `${r.name.zh}（${esc(clip(r.reason ?? '', 60))}）`).join('、') || '—',
          en: leave.map((r) => `${r.name.en} (${esc(clip(r.reason ?? '', 60))})`).join(', ') || '—',
        },
      }),
    ),
    md(tr(tb, 'committee:attendance.pending', { n: group(undefined).length, names: names(group(undefined)) })),
  ];
  const head = tr(tb, 'committee:attendance.title', { at: fmtTime(m.at.toISOString(), o.timeZone) });
  return card({ header: header({ title: head, template: m.cancelled ? 'grey' : 'wathet' }), summary: head, elements });
}
