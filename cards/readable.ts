// Text people can read: no ISO or UTC timestamp reaches a person. Values put into a sentence
// (toasts, replies, notifications) go through readableParams: an instant becomes the unit's local
// `YYYY-MM-DD HH:mm`, and the reader's own open_id becomes "您" / "you".
import type { Bi } from './builder.js';
import { fmtTime } from './request.card.js';

/** An ISO-8601 instant as the machine and the store write them (`2026-11-29T22:59:18.986Z`). */
export const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/;

const OPEN_ID = /^ou_[0-9A-Za-z_]+$/;

export interface ReadableOptions {
  /** IANA zone of the unit. */
  timeZone: string;
  /** The person who reads the text: their own open_id reads as "you". */
  reader?: string;
  /** Display names of the other people named (the open_id itself when unknown). */
  names?: (openId: string) => Bi;
  /** "您" / "you", from locales (common:you). */
  you?: Bi;
}

/**
 * Sentence parameters in both languages, readable: instants in the unit's zone, people by name
 * (the reader as "you"). Numbers and other strings are kept as they are.
 */
export function readableParams(params: Record<string, unknown>, o: ReadableOptions): { zh: Record<string, string | number>; en: Record<string, string | number> } {
  const zh: Record<string, string | number> = {};
  const en: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(params)) {
    if (typeof v === 'string' && ISO_INSTANT.test(v)) {
      zh[k] = en[k] = fmtTime(v, o.timeZone) || v;
    } else if (typeof v === 'string' && OPEN_ID.test(v) && (v === o.reader || o.names)) {
      const n = v === o.reader && o.you ? o.you : o.names ? o.names(v) : { zh: v, en: v };
      zh[k] = n.zh;
      en[k] = n.en;
    } else if (typeof v === 'string' || typeof v === 'number') {
      zh[k] = en[k] = v;
    } else {
      zh[k] = en[k] = String(v);
    }
  }
  return { zh, en };
}
