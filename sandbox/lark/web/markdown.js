// Lark markdown subset → safe HTML string. Pure: no DOM, no network; runs in the browser and in node.
//
// Supported (the subset Feishu cards use): **bold**, *italic*, ~~strike~~, `code`, ```fenced code```,
// [text](url) (http, https, mailto, tel only), bare http(s) URLs, <font color='red'>…</font>,
// <text_tag color='blue'>…</text_tag>, <at id=…></at> / <at user_id="…"></at>, <br>, headings
// (# … ######), unordered (- * +) and ordered (1.) lists, > quotes, --- rules, line breaks.
// Everything else is escaped: no raw HTML ever reaches the output, and no attribute value is built
// from input except a checked URL or a colour name/hex code.

/** Named colours Feishu accepts for <font color> / <text_tag color> (plus a few aliases). */
export const NAMED_COLORS = [
  'default',
  'neutral',
  'grey',
  'gray',
  'red',
  'orange',
  'yellow',
  'green',
  'lime',
  'turquoise',
  'wathet',
  'blue',
  'indigo',
  'purple',
  'violet',
  'carmine',
];

const SAFE_URL = /^(https?:\/\/|mailto:|tel:)/i;
const HEX_COLOR = /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i;
const ENTITY = /^&(?:#[0-9]{1,7}|#x[0-9a-f]{1,6}|[a-z][a-z0-9]{1,15});/i;
const MAX_DEPTH = 12;
const LINK_RE = /\[((?:\\.|[^\]\\])*)\]\(([^()\s]*(?:\([^()\s]*\)[^()\s]*)*)\)/y;
const BARE_URL_RE = /https?:\/\/[^\s<>"'`()[\]{}]+/iy;
const BR_RE = /<br\s*\/?>/iy;
const TAG_RE = /<(font|text_tag|at)\b([^<>]*)>/iy;

function sticky(re, s, i) {
  re.lastIndex = i;
  return re.exec(s);
}

/** Escape text for an HTML text node or a double-quoted attribute. */
export function escapeHtml(s) {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Escape text but keep well-formed character references (`&#60;`, `&lt;`): Lark's documented way
 * of writing a literal `<`. A decoded reference is text, never markup, so this stays safe. */
function escapeText(s) {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '&') {
      const m = ENTITY.exec(s.slice(i, i + 20));
      if (m) {
        out += m[0];
        i += m[0].length - 1;
        continue;
      }
      out += '&amp;';
    } else if (c === '<') out += '&lt;';
    else if (c === '>') out += '&gt;';
    else if (c === '"') out += '&quot;';
    else if (c === "'") out += '&#39;';
    else out += c;
  }
  return out;
}

/** A URL that may become an href, or null. Rejects javascript:, data:, vbscript:, protocol-relative
 * and anything with control characters or whitespace tricks. */
export function safeUrl(raw) {
  if (typeof raw !== 'string') return null;
  const url = raw.trim();
  // eslint-disable-next-line no-control-regex
  if (!url || /[\u0000-\u001f\u007f\s<>"'`]/.test(url)) return null;
  return SAFE_URL.test(url) ? url : null;
}

/** `red` → `{cls: 'md-c-red'}`, `#f00` → `{style: 'color:#f00'}`, anything else → null. */
export function colorSpec(raw) {
  if (typeof raw !== 'string') return null;
  const c = raw.trim().toLowerCase();
  if (NAMED_COLORS.includes(c)) return { cls: `md-c-${c === 'gray' ? 'grey' : c}` };
  if (HEX_COLOR.test(c)) return { style: `color:${c}` };
  return null;
}

function attr(tagSrc, name) {
  const re = new RegExp(`\\b${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>"']+))`, 'i');
  const m = re.exec(tagSrc);
  return m ? (m[1] ?? m[2] ?? m[3] ?? '') : null;
}

/** Find the `</name>` closing `open` at `from`, honouring nesting of the same tag. */
function findClose(s, from, name) {
  const openRe = new RegExp(`<${name}\\b[^>]*>`, 'ig');
  const closeRe = new RegExp(`</${name}\\s*>`, 'ig');
  let depth = 1;
  let pos = from;
  for (;;) {
    closeRe.lastIndex = pos;
    const close = closeRe.exec(s);
    if (!close) return null;
    openRe.lastIndex = pos;
    const open = openRe.exec(s);
    if (open && open.index < close.index) {
      depth++;
      pos = open.index + open[0].length;
      continue;
    }
    depth--;
    if (depth === 0) return { start: close.index, end: close.index + close[0].length };
    pos = close.index + close[0].length;
  }
}

/** Find an unescaped closing delimiter that is not immediately at `from`. */
function findDelim(s, from, delim) {
  for (let i = from; i <= s.length - delim.length; i++) {
    if (s[i] === '\\') {
      i++;
      continue;
    }
    if (s.startsWith(delim, i)) {
      if (i === from) return -1; // empty span: not a delimiter pair
      if (delim === '*' && s[i + 1] === '*') {
        i++; // `**` inside `*…*` belongs to bold
        continue;
      }
      return i;
    }
  }
  return -1;
}

/**
 * Inline Lark markdown → HTML.
 * @param {string} s
 * @param {{mention?: (id: string) => string | undefined}} [opts]
 * @param {number} [depth]
 * @returns {string}
 */
export function renderInline(s, opts = {}, depth = 0) {
  if (depth > MAX_DEPTH) return escapeText(s);
  let out = '';
  let i = 0;
  const rec = (t) => renderInline(t, opts, depth + 1);
  while (i < s.length) {
    const c = s[i];
    if (c === '\\' && i + 1 < s.length && /[\\`*_~[\]()#+\-.!<>|{}]/.test(s[i + 1])) {
      out += escapeText(s[i + 1]);
      i += 2;
      continue;
    }
    if (c === '\n') {
      out += '<br>';
      i++;
      continue;
    }
    if (c === '`') {
      const end = s.indexOf('`', i + 1);
      if (end > i + 1) {
        out += `<code class="md-code">${escapeHtml(s.slice(i + 1, end))}</code>`;
        i = end + 1;
        continue;
      }
    }
    if (s.startsWith('**', i)) {
      const end = findDelim(s, i + 2, '**');
      if (end > 0) {
        out += `<strong>${rec(s.slice(i + 2, end))}</strong>`;
        i = end + 2;
        continue;
      }
    }
    if (s.startsWith('~~', i)) {
      const end = findDelim(s, i + 2, '~~');
      if (end > 0) {
        out += `<del>${rec(s.slice(i + 2, end))}</del>`;
        i = end + 2;
        continue;
      }
    }
    if (c === '*' && s[i + 1] !== '*' && s[i + 1] !== ' ') {
      const end = findDelim(s, i + 1, '*');
      if (end > 0 && s[end - 1] !== ' ') {
        out += `<em>${rec(s.slice(i + 1, end))}</em>`;
        i = end + 1;
        continue;
      }
    }
    if (c === '[') {
      const m = sticky(LINK_RE, s, i);
      if (m) {
        const href = safeUrl(m[2]);
        const label = rec(m[1]);
        out += href ? `<a class="md-link" href="${escapeHtml(href)}" target="_blank" rel="noopener noreferrer">${label}</a>` : `<span class="md-link-blocked">${label}</span>`;
        i += m[0].length;
        continue;
      }
    }
    if (c === 'h' || c === 'H') {
      const m = sticky(BARE_URL_RE, s, i);
      if (m) {
        const url = m[0].replace(/[.,;:!?。，；：！？]+$/, '');
        const href = safeUrl(url);
        if (href) {
          out += `<a class="md-link" href="${escapeHtml(href)}" target="_blank" rel="noopener noreferrer">${escapeHtml(url)}</a>`;
          i += url.length;
          continue;
        }
      }
    }
    if (c === '<') {
      const br = sticky(BR_RE, s, i);
      if (br) {
        out += '<br>';
        i += br[0].length;
        continue;
      }
      const tag = sticky(TAG_RE, s, i);
      if (tag) {
        const name = tag[1].toLowerCase();
        const close = findClose(s, i + tag[0].length, name);
        const inner = close ? s.slice(i + tag[0].length, close.start) : null;
        if (name === 'at') {
          const id = attr(tag[2], 'id') ?? attr(tag[2], 'user_id') ?? attr(tag[2], 'open_id') ?? '';
          const label = id === 'all' ? (opts.mention?.('all') ?? '所有人') : inner?.trim() || opts.mention?.(id) || id || '?';
          out += `<span class="md-at">@${escapeHtml(label)}</span>`;
          i = close ? close.end : i + tag[0].length;
          continue;
        }
        if (close) {
          const spec = colorSpec(attr(tag[2], 'color') ?? '');
          if (name === 'font') {
            out += spec?.cls
              ? `<span class="md-font ${spec.cls}">${rec(inner)}</span>`
              : spec?.style
                ? `<span class="md-font" style="${spec.style}">${rec(inner)}</span>`
                : rec(inner);
          } else {
            const cls = spec?.cls ? spec.cls.replace('md-c-', 'tag-') : 'tag-neutral';
            out += `<span class="md-tag text-tag ${cls}">${rec(inner)}</span>`;
          }
          i = close.end;
          continue;
        }
      }
    }
    if (c === '&') {
      const m = ENTITY.exec(s.slice(i, i + 20));
      out += m ? m[0] : '&amp;';
      i += m ? m[0].length : 1;
      continue;
    }
    out += escapeText(c);
    i++;
  }
  return out;
}

/**
 * Block-level Lark markdown → HTML (safe).
 * @param {string} src
 * @param {{mention?: (id: string) => string | undefined}} [opts]
 * @returns {string}
 */
export function renderMarkdown(src, opts = {}) {
  if (src == null) return '';
  const lines = String(src).replace(/\r\n?/g, '\n').split('\n');
  const out = [];
  let para = [];
  let list = null; // {type: 'ul'|'ol', items: string[]}
  let quote = [];

  const flushPara = () => {
    if (para.length) out.push(`<p>${renderInline(para.join('\n'), opts)}</p>`);
    para = [];
  };
  const flushList = () => {
    if (list) {
      out.push(`<${list.type}>${list.items.map((it) => `<li>${renderInline(it, opts)}</li>`).join('')}</${list.type}>`);
    }
    list = null;
  };
  const flushQuote = () => {
    if (quote.length) out.push(`<blockquote>${renderInline(quote.join('\n'), opts)}</blockquote>`);
    quote = [];
  };
  const flushAll = () => {
    flushPara();
    flushList();
    flushQuote();
  };

  for (let n = 0; n < lines.length; n++) {
    const line = lines[n];
    const fence = /^\s*```\s*([\w+-]*)\s*$/.exec(line);
    if (fence) {
      flushAll();
      const body = [];
      n++;
      while (n < lines.length && !/^\s*```\s*$/.test(lines[n])) body.push(lines[n++]);
      out.push(`<pre class="md-pre"><code>${escapeHtml(body.join('\n'))}</code></pre>`);
      continue;
    }
    if (/^\s*$/.test(line)) {
      flushAll();
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      flushAll();
      const level = heading[1].length;
      out.push(`<h${level} class="md-h">${renderInline(heading[2], opts)}</h${level}>`);
      continue;
    }
    if (/^\s*(?:-{3,}|\*{3,}|_{3,})\s*$/.test(line)) {
      flushAll();
      out.push('<hr class="md-hr">');
      continue;
    }
    const ul = /^\s*[-*+]\s+(.*)$/.exec(line);
    const ol = /^\s*\d{1,9}[.)]\s+(.*)$/.exec(line);
    if (ul || ol) {
      const type = ul ? 'ul' : 'ol';
      flushPara();
      flushQuote();
      if (list && list.type !== type) flushList();
      if (!list) list = { type, items: [] };
      list.items.push((ul ?? ol)[1]);
      continue;
    }
    const q = /^\s*>\s?(.*)$/.exec(line);
    if (q) {
      flushPara();
      flushList();
      quote.push(q[1]);
      continue;
    }
    if (list && /^\s{2,}\S/.test(line)) {
      // continuation of the last list item
      list.items[list.items.length - 1] += `\n${line.trim()}`;
      continue;
    }
    flushList();
    flushQuote();
    para.push(line);
  }
  flushAll();
  return out.join('');
}

/** Markdown → plain text (for previews in the chat list and for screen readers). */
export function markdownToText(src) {
  return String(src ?? '')
    .replace(/<at\b[^>]*>(.*?)<\/at>/gi, '@$1')
    .replace(/<\/?(?:font|text_tag)\b[^>]*>/gi, '')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/(\*\*|~~|`)/g, '')
    .replace(/^#{1,6}\s+/gm, '');
}
