// `/deadletters`: what the bot gave up on (a message Lark refused for good, a write that kept
// failing, a notice that reached not everyone, an alarm whose handling kept failing), so the
// security office sees what did not happen and can try again. Metadata: ids, what kind of work, whom
// it was for (a notice named by its heading, never its body), when and why it failed.
import { encodeAction } from './action-value.js';
import { button, card, header, md, type Bi } from './builder.js';
import type { Card, CardElement } from './card.types.js';
import { sentCardBytes } from './card.schema.js';
import { CARD_BUDGET_BYTES, clip, esc, fmtTime, tr, type Tb } from './request.card.js';

/** At most this many letters are listed on the card (the rest are counted). */
export const DEAD_LETTERS_SHOWN = 20;

export interface DeadLetterView {
  /** A request id (its effects), or N-… (a notice) / A-… (an alarm): what `retry <id>` takes. */
  id: string;
  /** What the effect was, in both languages (e.g. "message to 孙浩", "CARRY ledger entry"). */
  what: Bi;
  attempts: number;
  diedAt: Date;
  /** The last error, with people's names in place of open_ids; never carrier content. */
  error: string;
}

export interface DeadLettersCardOptions {
  tb: Tb;
  timeZone: string;
  nonce?: () => string;
}

/** How much of each dead letter is shown, fullest first, until the card fits Lark's 30 KB. */
const DEAD_FITS = [
  { rows: DEAD_LETTERS_SHOWN, error: 160 },
  { rows: DEAD_LETTERS_SHOWN, error: 60 },
  { rows: 10, error: 40 },
  { rows: 5, error: 0 },
] as const;

export function deadLettersCard(letters: readonly DeadLetterView[], opts: DeadLettersCardOptions): Card {
  let last: Card | undefined;
  for (const fit of DEAD_FITS) {
    last = drawDeadLetters(letters, opts, fit);
    if (sentCardBytes(last) <= CARD_BUDGET_BYTES) return last;
  }
  return last!;
}

function drawDeadLetters(letters: readonly DeadLetterView[], opts: DeadLettersCardOptions, fit: { rows: number; error: number }): Card {
  const { tb } = opts;
  const elements: CardElement[] = [];
  if (letters.length === 0) {
    elements.push(md(tb('cards:dead.empty')));
  } else {
    elements.push(md(tb('cards:dead.intro')));
    const shown = letters.slice(0, fit.rows);
    for (const l of shown) {
      const at = fmtTime(l.diedAt.toISOString(), opts.timeZone);
      // What it was can carry people's words (a notice's title, a name): cut, then escaped.
      const what = { zh: esc(clip(l.what.zh, 80)), en: esc(clip(l.what.en, 120)) };
      elements.push(md(tr(tb, 'cards:dead.row', { id: l.id, what, attempts: l.attempts, at, error: esc(clip(l.error, fit.error)) })));
    }
    if (letters.length > shown.length) elements.push(md(tb('cards:hint.more_rows', { count: letters.length - shown.length })));
    elements.push(md(tb('cards:dead.hint')));
    elements.push(
      button({
        name: 'dead_retry_all',
        text: tb('cards:dead.retry_all'),
        type: 'primary',
        value: encodeAction({ action: 'dead.retry_all' }, opts.nonce?.()),
        confirm: { title: tb('cards:dead.retry_all'), text: tb('cards:dead.retry_confirm', { count: letters.length }) },
      }),
    );
  }
  return card({
    header: header({ title: tb('cards:dead.title', { count: letters.length }), template: letters.length ? 'red' : 'green' }),
    summary: tb('cards:dead.title', { count: letters.length }),
    elements,
  });
}
