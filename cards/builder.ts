// Small pure helpers that build bilingual Card JSON 2.0 components.
//
// Every text is given as a Bi pair and rendered as `content` (the fallback, shown by clients
// whose language has no entry) plus `i18n_content: {zh_cn, en_us}` (what the Feishu client
// actually shows to a zh or en reader). `content` is the zh text unless the helper's optional
// last parameter `fallback` is 'en'. There is no global default locale on purpose.
//
// Table headers (`display_name`) are plain strings with no i18n in Feishu, so a table shows both
// languages to everyone: "编号 No." (zh, a space, en; just one of them when both are equal).
// Pass `headers: 'fallback'` to table() to show only the fallback language instead.
import type {
  ButtonElement,
  ButtonType,
  Card,
  CardElement,
  CardHeader,
  CardText,
  ColumnElement,
  ColumnSetElement,
  CollapsiblePanelElement,
  DatePickerElement,
  DivElement,
  FormElement,
  HeaderTemplate,
  HrElement,
  I18nMap,
  InputElement,
  MarkdownElement,
  MultiSelectPersonElement,
  MultiSelectStaticElement,
  SelectPersonElement,
  SelectOption,
  SelectStaticElement,
  TableDataType,
  TableElement,
  TagColor,
  TextAlign,
  VerticalAlign,
} from './card.types.js';

/** A text in both languages. */
export type Bi = { zh: string; en: string };
/** Which language goes into `content`, the fallback for readers without an i18n entry. */
export type Fallback = 'zh' | 'en';

export const bi = (zh: string, en: string): Bi => ({ zh, en });

export function i18n(text: Bi): I18nMap {
  return { zh_cn: text.zh, en_us: text.en };
}

export function pick(text: Bi, fallback: Fallback = 'zh'): string {
  return fallback === 'en' ? text.en : text.zh;
}

/** Both languages in one string, for places without i18n (table headers): "编号 No.". */
export function both(text: Bi): string {
  return text.zh === text.en ? text.zh : `${text.zh} ${text.en}`;
}

export function plain(text: Bi, fallback: Fallback = 'zh'): CardText {
  return { tag: 'plain_text', content: pick(text, fallback), i18n_content: i18n(text) };
}

/** A lark_md text object (for div text); use md() for a markdown element. */
export function mdText(text: Bi, fallback: Fallback = 'zh'): CardText {
  return { tag: 'lark_md', content: pick(text, fallback), i18n_content: i18n(text) };
}

export function md(text: Bi, fallback: Fallback = 'zh'): MarkdownElement {
  return { tag: 'markdown', content: pick(text, fallback), i18n_content: i18n(text) };
}

export function div(text: Bi, fallback: Fallback = 'zh'): DivElement {
  return { tag: 'div', text: plain(text, fallback) };
}

export function hr(): HrElement {
  return { tag: 'hr' };
}

export interface HeaderOptions {
  title: Bi;
  subtitle?: Bi;
  template: HeaderTemplate;
  tags?: { text: Bi; color: TagColor }[];
}

export function header(opts: HeaderOptions, fallback: Fallback = 'zh'): CardHeader {
  const h: CardHeader = { title: plain(opts.title, fallback), template: opts.template };
  if (opts.subtitle) h.subtitle = plain(opts.subtitle, fallback);
  if (opts.tags?.length) {
    h.text_tag_list = opts.tags.map((t) => ({ tag: 'text_tag', text: plain(t.text, fallback), color: t.color }));
  }
  return h;
}

export interface ButtonOptions {
  name?: string;
  text: Bi;
  type?: ButtonType;
  /** Callback value, echoed back as `action.value`; normally the result of encodeAction(). */
  value?: Record<string, unknown>;
  /** Opens a link instead of (or as well as) calling back. */
  url?: string;
  confirm?: { title: Bi; text: Bi };
  /** Makes this the submit button of its form. */
  submit?: boolean;
  /** Makes this the reset button of its form. */
  reset?: boolean;
  disabled?: boolean;
  disabledTips?: Bi;
  width?: 'default' | 'fill';
  elementId?: string;
}

export function button(opts: ButtonOptions, fallback: Fallback = 'zh'): ButtonElement {
  const b: ButtonElement = { tag: 'button', text: plain(opts.text, fallback), type: opts.type ?? 'default' };
  if (opts.elementId !== undefined) b.element_id = opts.elementId;
  if (opts.name !== undefined) b.name = opts.name;
  if (opts.width !== undefined) b.width = opts.width;
  if (opts.disabled !== undefined) b.disabled = opts.disabled;
  if (opts.disabledTips) b.disabled_tips = plain(opts.disabledTips, fallback);
  if (opts.confirm) {
    b.confirm = { title: plain(opts.confirm.title, fallback), text: plain(opts.confirm.text, fallback) };
  }
  const behaviors: NonNullable<ButtonElement['behaviors']> = [];
  if (opts.value !== undefined) behaviors.push({ type: 'callback', value: opts.value });
  if (opts.url !== undefined) behaviors.push({ type: 'open_url', default_url: opts.url });
  if (behaviors.length) b.behaviors = behaviors;
  if (opts.submit) b.form_action_type = 'submit';
  else if (opts.reset) b.form_action_type = 'reset';
  return b;
}

export interface ColumnOptions {
  elements: CardElement[];
  /** Default 'auto' (fits its content). */
  width?: 'auto' | 'weighted' | `${number}px`;
  /** 1–5; implies width 'weighted'. */
  weight?: number;
  verticalAlign?: VerticalAlign;
}

/** A column_set; each column is a list of elements or ColumnOptions. */
export function columns(
  cols: (CardElement[] | ColumnOptions)[],
  opts: { flexMode?: ColumnSetElement['flex_mode']; spacing?: 'small' | 'medium' | 'large' | 'extra_large' } = {},
): ColumnSetElement {
  const set: ColumnSetElement = {
    tag: 'column_set',
    columns: cols.map((c): ColumnElement => {
      const o: ColumnOptions = Array.isArray(c) ? { elements: c } : c;
      const col: ColumnElement = {
        tag: 'column',
        width: o.weight !== undefined ? 'weighted' : (o.width ?? 'auto'),
        elements: o.elements,
      };
      if (o.weight !== undefined) col.weight = o.weight;
      if (o.verticalAlign !== undefined) col.vertical_align = o.verticalAlign;
      return col;
    }),
  };
  if (opts.flexMode !== undefined) set.flex_mode = opts.flexMode;
  if (opts.spacing !== undefined) set.horizontal_spacing = opts.spacing;
  return set;
}

export function form(name: string, elements: CardElement[]): FormElement {
  return { tag: 'form', name, elements };
}

export interface InputOptions {
  name: string;
  label: Bi;
  placeholder?: Bi;
  required?: boolean;
  multiline?: boolean;
  maxLength?: number;
  defaultValue?: string;
}

export function input(opts: InputOptions, fallback: Fallback = 'zh'): InputElement {
  const el: InputElement = {
    tag: 'input',
    name: opts.name,
    label: plain(opts.label, fallback),
    label_position: 'top',
  };
  if (opts.placeholder) el.placeholder = plain(opts.placeholder, fallback);
  if (opts.required !== undefined) el.required = opts.required;
  if (opts.multiline) el.input_type = 'multiline_text';
  if (opts.maxLength !== undefined) el.max_length = opts.maxLength;
  if (opts.defaultValue !== undefined) el.default_value = opts.defaultValue;
  return el;
}

export interface SelectOptions {
  name: string;
  placeholder: Bi;
  options: { text: Bi; value: string }[];
  initial?: string;
  required?: boolean;
}

function options(list: SelectOptions['options'], fallback: Fallback): SelectOption[] {
  return list.map((o) => ({ text: plain(o.text, fallback), value: o.value }));
}

export function select(opts: SelectOptions, fallback: Fallback = 'zh'): SelectStaticElement {
  const el: SelectStaticElement = {
    tag: 'select_static',
    name: opts.name,
    placeholder: plain(opts.placeholder, fallback),
    options: options(opts.options, fallback),
  };
  if (opts.initial !== undefined) el.initial_option = opts.initial;
  if (opts.required !== undefined) el.required = opts.required;
  return el;
}

export interface MultiSelectOptions extends Omit<SelectOptions, 'initial'> {
  initial?: string[];
}

export function multiSelect(opts: MultiSelectOptions, fallback: Fallback = 'zh'): MultiSelectStaticElement {
  const el: MultiSelectStaticElement = {
    tag: 'multi_select_static',
    name: opts.name,
    placeholder: plain(opts.placeholder, fallback),
    options: options(opts.options, fallback),
  };
  if (opts.initial !== undefined) el.selected_values = opts.initial;
  if (opts.required !== undefined) el.required = opts.required;
  return el;
}

export interface PersonPickerOptions {
  name: string;
  placeholder: Bi;
  /** Candidate open_ids; empty means the members of the chat the card is in (Lark's rule). */
  candidates: readonly string[];
  /** Pre-chosen open_ids; only those among the candidates are kept (Lark ignores the others). */
  initial?: readonly string[];
  required?: boolean;
}

function personOptions(candidates: readonly string[]): { value: string }[] {
  return [...new Set(candidates)].map((value) => ({ value }));
}

/** A single person picker (`select_person`): the click or form submit carries the chosen open_id. */
export function personPicker(opts: PersonPickerOptions, fallback: Fallback = 'zh'): SelectPersonElement {
  const el: SelectPersonElement = { tag: 'select_person', name: opts.name, placeholder: plain(opts.placeholder, fallback), options: personOptions(opts.candidates) };
  const first = opts.initial?.find((id) => opts.candidates.includes(id));
  if (first !== undefined) el.initial_option = first;
  if (opts.required !== undefined) el.required = opts.required;
  return el;
}

/** A multi person picker (`multi_select_person`, inside a form): the submit carries the open_ids. */
export function multiPersonPicker(opts: PersonPickerOptions, fallback: Fallback = 'zh'): MultiSelectPersonElement {
  const el: MultiSelectPersonElement = { tag: 'multi_select_person', name: opts.name, placeholder: plain(opts.placeholder, fallback), options: personOptions(opts.candidates) };
  const chosen = (opts.initial ?? []).filter((id) => opts.candidates.includes(id));
  if (chosen.length) el.selected_values = [...new Set(chosen)];
  if (opts.required !== undefined) el.required = opts.required;
  return el;
}

export interface DatePickerOptions {
  name: string;
  placeholder: Bi;
  /** YYYY-MM-DD. The click sends e.g. "2024-04-01 +0800". */
  initial?: string;
  required?: boolean;
}

export function datePicker(opts: DatePickerOptions, fallback: Fallback = 'zh'): DatePickerElement {
  const el: DatePickerElement = { tag: 'date_picker', name: opts.name, placeholder: plain(opts.placeholder, fallback) };
  if (opts.initial !== undefined) el.initial_date = opts.initial;
  if (opts.required !== undefined) el.required = opts.required;
  return el;
}

export interface TableOptions {
  columns: { name: string; display: Bi; type: TableDataType; width?: string; align?: TextAlign }[];
  rows: Record<string, unknown>[];
  /** 1–10 rows per page. */
  pageSize: number;
  /** 'both' (default): "编号 No."; 'fallback': only the fallback language. */
  headers?: 'both' | 'fallback';
}

export function table(opts: TableOptions, fallback: Fallback = 'zh'): TableElement {
  const label = (t: Bi): string => (opts.headers === 'fallback' ? pick(t, fallback) : both(t));
  return {
    tag: 'table',
    page_size: opts.pageSize,
    columns: opts.columns.map((c) => {
      const col: TableElement['columns'][number] = { name: c.name, display_name: label(c.display), data_type: c.type };
      if (c.width !== undefined) col.width = c.width;
      if (c.align !== undefined) col.horizontal_align = c.align;
      return col;
    }),
    rows: opts.rows,
  };
}

export function panel(opts: { title: Bi; elements: CardElement[]; expanded?: boolean }, fallback: Fallback = 'zh'): CollapsiblePanelElement {
  return {
    tag: 'collapsible_panel',
    expanded: opts.expanded ?? false,
    header: { title: plain(opts.title, fallback) },
    elements: opts.elements,
  };
}

export interface CardOptions {
  header?: CardHeader;
  elements: CardElement[];
  /** Preview text in the chat list. */
  summary?: Bi;
}

export function card(opts: CardOptions, fallback: Fallback = 'zh'): Card {
  const c: Card = {
    schema: '2.0',
    config: { update_multi: true, locales: ['zh_cn', 'en_us'] },
    body: { elements: opts.elements },
  };
  if (opts.summary && c.config) {
    c.config.summary = { content: pick(opts.summary, fallback), i18n_content: i18n(opts.summary) };
  }
  if (opts.header) c.header = opts.header;
  return c;
}
