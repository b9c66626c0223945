// The progress of a notice sent to many people (scheduler/fanout.ts): one card for the sender,
// patched as it goes ("sent 1,200 / 5,000"), then the people it could not reach, by name.
import { bilingual } from '../locales/index.js';
import { card, header, md, type Bi } from './builder.js';
import type { Card } from './card.types.js';

export interface FanoutProgressView {
  title: string;
  total: number;
  sent: number;
  failed: number;
  done: boolean;
  /** Names of the recipients it failed for (at most a few dozen are shown). */
  failures: string[];
}

const SHOWN = 50;
const num = (n: number, en: boolean) => n.toLocaleString(en ? 'en-US' : 'zh-CN');

export function fanoutProgressCard(v: FanoutProgressView): Card {
  const tb = (key: string, params?: Record<string, unknown>): Bi => bilingual(key, params);
  const both = (key: string, p: (en: boolean) => Record<string, unknown>): Bi => ({ zh: tb(key, p(false)).zh, en: tb(key, p(true)).en });
  const elements = [md(both('scheduler:fanout.progress', (en) => ({ sent: num(v.sent, en), total: num(v.total, en), failed: num(v.failed, en) })))];
  if (v.failures.length > 0) {
    const names = v.failures.slice(0, SHOWN).join('、');
    const more = v.failures.length > SHOWN || v.failed > SHOWN ? Math.max(v.failed, v.failures.length) - SHOWN : 0;
    elements.push(md(tb('scheduler:fanout.failures', { names, more })));
  }
  const status = v.done ? (v.failed > 0 ? 'done_with_failures' : 'done') : 'sending';
  return card({
    header: header({ title: tb(`scheduler:fanout.title.${status}`, { title: v.title }), template: v.done ? (v.failed > 0 ? 'orange' : 'green') : 'blue' }),
    summary: tb(`scheduler:fanout.title.${status}`, { title: v.title }),
    elements,
  });
}
