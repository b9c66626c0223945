// A card for one known reader shows that reader's language only (`/lang` applies to cards too).
// Builders write every text as `content` (the fallback) plus `i18n_content` (both languages); for a
// known reader the card keeps just the reader's text, so nothing — punctuation, labels, names —
// comes from the other language. Lark's per-text i18n stays only where the reader cannot be known
// (a card in a group chat).
import type { Bi } from './builder.js';
import type { Card } from './card.types.js';

export type ReaderLocale = 'zh-CN' | 'en-US';

const KEY: Record<ReaderLocale, 'zh_cn' | 'en_us'> = { 'zh-CN': 'zh_cn', 'en-US': 'en_us' };

/** The card with every translated text replaced by its `locale` version (i18n maps dropped). */
export function forReader<C extends Card>(card: C, locale: ReaderLocale): C {
  const key = KEY[locale];
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== 'object') return v;
    const o = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) {
      if (k === 'i18n_content') continue;
      // Table rows hold the cells as given (already in one language): copied as they are.
      out[k] = k === 'rows' ? x : walk(x);
    }
    const i18n = o.i18n_content as Record<string, unknown> | undefined;
    if (i18n && typeof i18n[key] === 'string') out.content = i18n[key];
    return out;
  };
  const c = walk(card) as C;
  if (c.config?.locales) c.config = { ...c.config, locales: [key] };
  return c;
}

/** A person's (or department's) name in one language, for cards drawn for one reader. */
export function oneLanguage(name: Bi, locale: ReaderLocale): Bi {
  const one = locale === 'en-US' ? name.en : name.zh;
  return { zh: one, en: one };
}
