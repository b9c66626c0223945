// Pure helpers for rendering Card JSON 2.0: i18n text picking, button behaviours, form values and the
// client-side required check, table paging and cell formatting. No DOM, no network.

export const LOCALES = ['zh_cn', 'en_us'];

/** Header `template` colours Feishu knows; anything else renders as `default`. */
export const HEADER_TEMPLATES = ['blue', 'wathet', 'turquoise', 'green', 'yellow', 'orange', 'red', 'carmine', 'violet', 'purple', 'indigo', 'grey', 'default'];

/** Tag colours for `text_tag` and table `options`. */
export const TAG_COLORS = ['neutral', 'blue', 'turquoise', 'lime', 'orange', 'violet', 'indigo', 'wathet', 'green', 'yellow', 'red', 'purple', 'carmine', 'grey'];

export function headerTemplate(t) {
  const v = typeof t === 'string' ? t.toLowerCase() : '';
  return HEADER_TEMPLATES.includes(v) ? v : 'default';
}

export function tagColor(c) {
  const v = typeof c === 'string' ? c.toLowerCase() : '';
  if (v === 'gray') return 'grey';
  return TAG_COLORS.includes(v) ? v : 'neutral';
}

/** Normalise a locale name: `en`, `en-US`, `en_us` → `en_us`; `zh`, `zh-CN` → `zh_cn`. */
export function normalizeLocale(l) {
  const v = String(l ?? '')
    .toLowerCase()
    .replace('-', '_');
  if (v.startsWith('en')) return 'en_us';
  if (v.startsWith('zh')) return 'zh_cn';
  return 'zh_cn';
}

function pickMap(map, locale) {
  if (!map || typeof map !== 'object') return undefined;
  const v = map[locale];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/**
 * The text a reader with `locale` sees: `i18n_content[locale]`, else `content`. Accepts a text object
 * (`{tag, content, i18n_content}`), a plain string, or nothing.
 */
export function pickText(text, locale) {
  if (text == null) return '';
  if (typeof text === 'string') return text;
  if (typeof text !== 'object') return String(text);
  return pickMap(text.i18n_content, locale) ?? (typeof text.content === 'string' ? text.content : '');
}

/**
 * A localised property of a component, e.g. `pickField(input, 'placeholder', 'en_us')` looks at
 * `input.i18n_placeholder.en_us`, then `input.placeholder` (a text object with its own i18n_content,
 * or a string).
 */
export function pickField(obj, field, locale) {
  if (!obj || typeof obj !== 'object') return '';
  return pickMap(obj[`i18n_${field}`], locale) ?? pickText(obj[field], locale);
}

/** Is this text object markdown (lark_md / markdown) rather than plain text? */
export function isMarkdownText(text) {
  return !!text && typeof text === 'object' && (text.tag === 'lark_md' || text.tag === 'markdown');
}

/** The toast text a reader with `locale` sees. */
export function toastText(toast, locale) {
  if (!toast) return '';
  return pickMap(toast.i18n, locale) ?? (typeof toast.content === 'string' ? toast.content : '');
}

/**
 * What a button does: its callback value (object) if it has one, and the URL it opens.
 * Card 2.0 puts both in `behaviors`; the legacy `value` / `url` / `multi_url` are honoured too.
 */
export function buttonBehavior(btn) {
  let callback;
  let url;
  for (const b of Array.isArray(btn?.behaviors) ? btn.behaviors : []) {
    if (b?.type === 'callback' && callback === undefined) callback = b.value ?? {};
    if (b?.type === 'open_url' && url === undefined) url = b.pc_url || b.default_url || b.url;
  }
  if (callback === undefined && btn?.value !== undefined) callback = btn.value;
  if (url === undefined) url = btn?.multi_url?.pc_url || btn?.multi_url?.url || btn?.url;
  return { callback, url: typeof url === 'string' && url ? url : undefined };
}

export const FIELD_TAGS = ['input', 'select_static', 'multi_select_static', 'select_person', 'multi_select_person', 'date_picker', 'picker_time', 'picker_datetime', 'checker'];

/** Walk a form's children (through column_set/column/collapsible_panel) and list its fields and buttons. */
export function formParts(form) {
  const fields = [];
  const buttons = [];
  const walk = (els, depth) => {
    if (!Array.isArray(els) || depth > 6) return;
    for (const el of els) {
      if (!el || typeof el !== 'object') continue;
      if (FIELD_TAGS.includes(el.tag)) fields.push(el);
      else if (el.tag === 'button') buttons.push(el);
      else if (el.tag === 'column_set') walk(el.columns, depth + 1);
      else if (el.tag === 'column' || el.tag === 'collapsible_panel' || el.tag === 'interactive_container') {
        walk(el.elements, depth + 1);
      }
    }
  };
  walk(form?.elements, 0);
  return { fields, buttons };
}

/** The value a field starts with (what `reset` restores), in the form the page's controls use. */
export function fieldDefault(field) {
  switch (field?.tag) {
    case 'input':
      return typeof field.default_value === 'string' ? field.default_value : '';
    case 'select_static':
    case 'select_person':
      return field.initial_option != null ? String(field.initial_option) : '';
    case 'multi_select_static':
    case 'multi_select_person':
      return Array.isArray(field.selected_values) ? field.selected_values.map(String) : [];
    case 'date_picker':
      return typeof field.initial_date === 'string' ? field.initial_date : '';
    case 'picker_time':
      return typeof field.initial_time === 'string' ? field.initial_time : '';
    case 'picker_datetime':
      return typeof field.initial_datetime === 'string' ? field.initial_datetime.replace(' ', 'T') : '';
    case 'checker':
      return !!field.checked;
    default:
      return '';
  }
}

/**
 * The people a person picker (`select_person` / `multi_select_person`) offers, as Lark does: the
 * options' open_ids that are real people (`isPerson`), in order, without repeats; when the options
 * are empty or none of them is valid, every member of the chat the card is in. Card JSON 2.0:
 * https://open.feishu.cn/document/feishu-cards/card-json-v2-components/interactive-components/single-select-user-picker
 * https://open.feishu.cn/document/feishu-cards/card-json-v2-components/interactive-components/multi-select-user-picker
 * @param {object} field the picker component
 * @param {(openId: string) => boolean} isPerson
 * @param {string[]} [chatMembers] open_ids of the chat's members (the bot excluded)
 * @returns {string[]}
 */
export function personCandidates(field, isPerson, chatMembers = []) {
  const out = [];
  for (const o of Array.isArray(field?.options) ? field.options : []) {
    const v = typeof o?.value === 'string' ? o.value : '';
    if (v && isPerson(v) && !out.includes(v)) out.push(v);
  }
  if (out.length) return out;
  for (const id of Array.isArray(chatMembers) ? chatMembers : []) if (typeof id === 'string' && isPerson(id) && !out.includes(id)) out.push(id);
  return out;
}

/** Is a control value empty (for the required check)? */
export function isEmptyValue(v) {
  if (v == null) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'boolean') return false;
  return String(v).trim() === '';
}

/**
 * Turn a control's raw value into what Feishu sends in `form_value`:
 * date `2024-04-01` → `"2024-04-01 +0800"`, time `07:07` → `"07:07 +0800"`,
 * datetime `2024-04-29T07:07` → `"2024-04-29 07:07 +0800"`; others unchanged.
 * Empty dates stay `""`.
 */
export function wireValue(tag, raw, tzOffset = '+0800') {
  if (tag === 'date_picker' || tag === 'picker_time' || tag === 'picker_datetime') {
    const v = typeof raw === 'string' ? raw.trim() : '';
    if (!v) return '';
    return `${v.replace('T', ' ').slice(0, tag === 'picker_time' ? 5 : tag === 'date_picker' ? 10 : 16)} ${tzOffset}`;
  }
  if (tag === 'multi_select_static' || tag === 'multi_select_person') return Array.isArray(raw) ? raw.map(String) : [];
  if (tag === 'checker') return !!raw;
  return raw == null ? '' : String(raw);
}

/**
 * Collect a form's values and check `required` (and `max_length`) like the Feishu client does.
 * @param {object[]} fields field components from `formParts`
 * @param {Record<string, unknown>} raw control values by field name
 * @param {string} [tzOffset]
 * @returns {{form_value: Record<string, unknown>, missing: string[], tooLong: string[]}}
 */
export function collectForm(fields, raw, tzOffset = '+0800') {
  const form_value = {};
  const missing = [];
  const tooLong = [];
  for (const f of fields) {
    if (!f?.name) continue;
    const v = raw[f.name];
    if (f.required && !f.disabled && isEmptyValue(v)) missing.push(f.name);
    if (f.tag === 'input' && typeof f.max_length === 'number' && typeof v === 'string' && [...v].length > f.max_length) {
      tooLong.push(f.name);
    }
    form_value[f.name] = wireValue(f.tag, v, tzOffset);
  }
  return { form_value, missing, tooLong };
}

/** Feishu's default page size is 5; the documented range is 1–10. */
export function tablePageSize(table) {
  const n = Number(table?.page_size);
  if (!Number.isFinite(n) || n < 1) return 5;
  return Math.min(10, Math.floor(n));
}

/** One page of rows: page numbers are 0-based and clamped. */
export function pageRows(rows, pageSize, page) {
  const all = Array.isArray(rows) ? rows : [];
  const size = Math.max(1, Math.floor(pageSize) || 5);
  const pageCount = Math.max(1, Math.ceil(all.length / size));
  const p = Math.min(Math.max(0, Math.floor(page) || 0), pageCount - 1);
  return { rows: all.slice(p * size, p * size + size), page: p, pageCount, total: all.length };
}

function pad(n) {
  return String(n).padStart(2, '0');
}

/** Format a date cell: milliseconds/seconds number or a parseable string; `date_format` like `YYYY/MM/DD HH:mm`. */
export function formatDate(value, fmt = 'YYYY/MM/DD') {
  let d;
  if (typeof value === 'number') d = new Date(value < 1e12 ? value * 1000 : value);
  else if (typeof value === 'string' && /^\d+$/.test(value)) {
    const n = Number(value);
    d = new Date(n < 1e12 ? n * 1000 : n);
  } else d = new Date(String(value ?? ''));
  if (Number.isNaN(d.getTime())) return String(value ?? '');
  return String(fmt)
    .replace(/YYYY/g, String(d.getFullYear()))
    .replace(/MM/g, pad(d.getMonth() + 1))
    .replace(/DD/g, pad(d.getDate()))
    .replace(/HH/g, pad(d.getHours()))
    .replace(/mm/g, pad(d.getMinutes()))
    .replace(/ss/g, pad(d.getSeconds()));
}

/** Format a number cell: `format: {precision, symbol, separator}`. */
export function formatNumber(value, format) {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n)) return String(value ?? '');
  const precision = Number.isInteger(format?.precision) ? Math.min(10, Math.max(0, format.precision)) : undefined;
  let s = precision === undefined ? String(n) : n.toFixed(precision);
  if (format?.separator) {
    const [int, frac] = s.split('.');
    s = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',') + (frac !== undefined ? `.${frac}` : '');
  }
  return (typeof format?.symbol === 'string' ? format.symbol : '') + s;
}

/**
 * What a table cell shows, as a small view model the DOM layer renders:
 * `{kind: 'text', text}` | `{kind: 'markdown', text}` | `{kind: 'tags', tags: [{text, color}]}` |
 * `{kind: 'persons', ids: string[]}`.
 */
export function tableCell(column, value, locale) {
  const type = column?.data_type ?? 'text';
  if (value == null) return { kind: 'text', text: '' };
  switch (type) {
    case 'lark_md':
    case 'markdown':
      return { kind: 'markdown', text: typeof value === 'string' ? value : pickText(value, locale) };
    case 'number':
      return { kind: 'text', text: formatNumber(value, column.format), align: 'right' };
    case 'date':
      return { kind: 'text', text: formatDate(value, column.date_format) };
    case 'options': {
      const arr = Array.isArray(value) ? value : [value];
      return {
        kind: 'tags',
        tags: arr.map((o) => (o && typeof o === 'object' ? { text: pickText(o.text ?? o.name ?? '', locale), color: tagColor(o.color) } : { text: String(o), color: 'neutral' })),
      };
    }
    case 'persons': {
      const arr = Array.isArray(value) ? value : [value];
      return { kind: 'persons', ids: arr.map((p) => (p && typeof p === 'object' ? (p.id ?? p.open_id ?? '') : String(p))) };
    }
    default:
      return { kind: 'text', text: typeof value === 'object' ? pickText(value, locale) : String(value) };
  }
}

/** CSS flex for a `column`: `weighted` (weight 1–5), `auto`, or a pixel width like `120px`. */
export function columnFlex(col) {
  const w = col?.width;
  if (typeof w === 'string' && /^\d{1,4}px$/.test(w)) return { flex: `0 0 ${w}`, width: w };
  if (w === 'auto') return { flex: '0 0 auto' };
  const weight = Number.isFinite(col?.weight) ? Math.min(5, Math.max(1, col.weight)) : 1;
  return { flex: `${weight} 1 0` };
}

/** A safe link target (http, https, mailto, tel) or undefined. */
export function safeHref(url) {
  if (typeof url !== 'string') return undefined;
  const u = url.trim();
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\s<>"'`]/.test(u)) return undefined;
  return /^(https?:\/\/|mailto:|tel:)/i.test(u) ? u : undefined;
}

/** The elements of a card's body (2.0) or of a legacy card (`elements` at the root). */
export function cardElements(card) {
  if (!card || typeof card !== 'object') return [];
  if (Array.isArray(card.body?.elements)) return card.body.elements;
  if (Array.isArray(card.elements)) return card.elements;
  return [];
}
