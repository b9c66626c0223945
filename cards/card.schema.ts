// Zod schema for our Card JSON 2.0 subset (card.types.ts) plus the platform limits that a schema
// cannot express. Objects are strict because Feishu 2.0 rejects unknown properties.
//
// Lark's documented limits encoded here, each with the page that states it (open.feishu.cn):
// - card-json-v2-structure (https://open.feishu.cn/document/feishu-cards/card-json-v2-structure):
//   at most 200 elements, text objects (plain_text / lark_md inside components) included; nesting
//   at most 5 levels; element_id ≤ 20 characters `[A-Za-z][A-Za-z0-9_]*`.
// - im-v1 message create / patch (https://open.feishu.cn/document/server-docs/im-v1/message/create,
//   https://open.feishu.cn/document/server-docs/im-v1/message-card/patch): a card's request body is
//   at most 30 KB (error 230025), measured as sent: the card JSON escaped inside `content`.
// - table (https://open.feishu.cn/document/feishu-cards/card-json-v2-components/content-components/table):
//   column width `auto`, `[80,600]px` or a percentage; page_size 1–10; at most 5 tables per card;
//   a table only at the root of the body.
// - title / header (https://open.feishu.cn/document/feishu-cards/card-json-v2-components/content-components/title):
//   at most 3 header tags (`text_tag_list`).
// - input (https://open.feishu.cn/document/feishu-cards/card-json-v2-components/interactive-components/input):
//   placeholder plain_text of at most 100 characters; max_length 1–1000.
// - form container (https://open.feishu.cn/document/feishu-cards/card-json-v2-components/containers/form-container):
//   the form and every field inside it need a `name` unique in the card; a form needs a submit
//   button (`form_action_type: "submit"`); forms only at the root, no table or form inside.
//
// Definitions used by validateCard:
// - Component count: every element node in body, recursively, including each `column` of a
//   column_set. Header, text objects, options and behaviors are not components.
// - Depth: elements directly in body.elements are at depth 1. An element inside a container
//   (form, collapsible_panel, or a column of a column_set) is one deeper than the container; the
//   column itself is part of its column_set and adds no level. The deepest element may be at 5.
// - Names: forms and every form field (input, selects, date_picker, button inside a form) need a
//   `name`; such a name may occur only once in the card. Buttons outside forms may share names.
import { z } from 'zod';
import { BUTTON_TYPES, HEADER_TEMPLATES, LOCALES, TABLE_DATA_TYPES, TAG_COLORS, type Card, type CardElement } from './card.types.js';

export const CARD_LIMITS = {
  /** Request body as sent (card-json-v2-structure; im-v1 message create / patch, error 230025). */
  maxBytes: 30 * 1024,
  /** Elements: components and the text objects inside them (card-json-v2-structure). */
  maxComponents: 200,
  maxDepth: 5,
  /** Tables per card (table component page). */
  maxTables: 5,
  maxElementIdLength: 20,
  /** Header tags, `text_tag_list` (title component page). */
  maxHeaderTags: 3,
  /** Input placeholder characters (input component page). */
  maxPlaceholderChars: 100,
  /** Table column width in px: `[80,600]px` (table component page). */
  minColumnPx: 80,
  maxColumnPx: 600,
} as const;

/**
 * What the message body around a card adds when it is sent (`receive_id`, `msg_type`, `uuid`):
 * generous, so a card that passes here also fits in Lark's 30 KB once wrapped.
 */
export const SEND_ENVELOPE_BYTES = 256;

/** The card's size as Lark counts it: its JSON escaped as the `content` string of a message. */
export function sentCardBytes(card: unknown): number {
  return new TextEncoder().encode(JSON.stringify(JSON.stringify(card))).length;
}

/** `auto`, `[80,600]px` or a percentage (table component page). */
export function isColumnWidth(w: string): boolean {
  if (w === 'auto') return true;
  const px = /^(\d{1,4})px$/.exec(w);
  if (px) {
    const n = Number(px[1]);
    return n >= CARD_LIMITS.minColumnPx && n <= CARD_LIMITS.maxColumnPx;
  }
  const pct = /^(\d{1,3}(?:\.\d+)?)%$/.exec(w);
  return pct !== null && Number(pct[1]) > 0 && Number(pct[1]) <= 100;
}

export const ELEMENT_ID_PATTERN = /^[A-Za-z][A-Za-z0-9_]*$/;

const elementId = z
  .string()
  .max(CARD_LIMITS.maxElementIdLength, {
    error: `element_id must be at most ${CARD_LIMITS.maxElementIdLength} characters`,
  })
  .regex(ELEMENT_ID_PATTERN, {
    error: 'element_id must start with a letter and contain only letters, digits and _',
  });
const spacing = z.string().regex(/^-?\d+(px)?( -?\d+(px)?){0,3}$/, {
  error: 'expected a spacing such as "0", "12px" or "4px 12px 4px 12px"',
});
const textAlign = z.enum(['left', 'center', 'right']);
const verticalAlign = z.enum(['top', 'center', 'bottom']);
const direction = z.enum(['vertical', 'horizontal']);

export const i18nMapSchema = z.partialRecord(z.enum(LOCALES), z.string());

export const textSchema = z.strictObject({
  tag: z.enum(['plain_text', 'lark_md']),
  content: z.string(),
  i18n_content: i18nMapSchema.optional(),
  text_size: z.string().min(1).optional(),
  text_color: z.string().min(1).optional(),
  text_align: textAlign.optional(),
  lines: z.int().positive().optional(),
});

export const iconSchema = z.discriminatedUnion('tag', [
  z.strictObject({ tag: z.literal('standard_icon'), token: z.string().min(1), color: z.string().optional() }),
  z.strictObject({ tag: z.literal('custom_icon'), img_key: z.string().min(1) }),
]);

export const textTagSchema = z.strictObject({
  tag: z.literal('text_tag'),
  element_id: elementId.optional(),
  text: textSchema,
  color: z.enum(TAG_COLORS),
});

export const headerSchema = z.strictObject({
  title: textSchema,
  subtitle: textSchema.optional(),
  text_tag_list: z
    .array(textTagSchema)
    .max(CARD_LIMITS.maxHeaderTags, { error: `header.text_tag_list holds at most ${CARD_LIMITS.maxHeaderTags} tags` })
    .optional(),
  template: z.enum(HEADER_TEMPLATES, { error: `header template must be one of: ${HEADER_TEMPLATES.join(' ')}` }).optional(),
  icon: iconSchema.optional(),
  padding: spacing.optional(),
});

const textSizeSetting = z.strictObject({
  default: z.string().optional(),
  pc: z.string().optional(),
  mobile: z.string().optional(),
});

export const configSchema = z.strictObject({
  update_multi: z.literal(true, { error: 'config.update_multi must be true: JSON 2.0 cards are always shared' }).optional(),
  locales: z.array(z.enum(LOCALES)).optional(),
  width_mode: z.enum(['default', 'compact', 'fill']).optional(),
  summary: z.strictObject({ content: z.string(), i18n_content: i18nMapSchema.optional() }).optional(),
  enable_forward: z.boolean().optional(),
  enable_forward_interaction: z.boolean().optional(),
  streaming_mode: z.boolean().optional(),
  use_custom_translation: z.boolean().optional(),
  style: z
    .strictObject({
      text_size: z.record(z.string(), textSizeSetting).optional(),
      color: z.record(z.string(), z.strictObject({ light_mode: z.string(), dark_mode: z.string() })).optional(),
    })
    .optional(),
});

const urls = {
  android_url: z.string().optional(),
  ios_url: z.string().optional(),
  pc_url: z.string().optional(),
};

export const cardLinkSchema = z.strictObject({ url: z.string().min(1), ...urls });

const callbackValue = z.custom<Record<string, unknown>>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), {
  error: 'a callback value must be an object (not a string, array or null)',
});

export const behaviorSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('callback'), value: callbackValue }),
  z.strictObject({ type: z.literal('open_url'), default_url: z.string().min(1), ...urls }),
]);

export const confirmSchema = z.strictObject({ title: textSchema, text: textSchema });

const base = { element_id: elementId.optional(), margin: spacing.optional() };
const fieldName = z.string().min(1);

export const divSchema = z.strictObject({
  tag: z.literal('div'),
  ...base,
  text: textSchema.optional(),
  icon: iconSchema.optional(),
  fields: z.array(z.strictObject({ is_short: z.boolean(), text: textSchema })).optional(),
  width: z.string().optional(),
});

export const markdownSchema = z.strictObject({
  tag: z.literal('markdown'),
  ...base,
  content: z.string(),
  i18n_content: i18nMapSchema.optional(),
  text_align: textAlign.optional(),
  text_size: z.string().min(1).optional(),
  icon: iconSchema.optional(),
});

export const hrSchema = z.strictObject({ tag: z.literal('hr'), ...base });

export const imgSchema = z.strictObject({
  tag: z.literal('img'),
  ...base,
  img_key: z.string().min(1),
  alt: textSchema.optional(),
  title: textSchema.optional(),
  corner_radius: z.string().optional(),
  scale_type: z.enum(['crop_center', 'crop_top', 'fit_horizontal']).optional(),
  size: z.string().optional(),
  transparent: z.boolean().optional(),
  preview: z.boolean().optional(),
});

export const personSchema = z.strictObject({
  tag: z.literal('person'),
  ...base,
  user_id: z.string().min(1),
  size: z.enum(['extra_small', 'small', 'medium', 'large']).optional(),
  show_avatar: z.boolean().optional(),
  show_name: z.boolean().optional(),
  style: z.enum(['normal', 'capsule']).optional(),
});

export const buttonSchema = z.strictObject({
  tag: z.literal('button'),
  ...base,
  name: fieldName.optional(),
  text: textSchema,
  type: z.enum(BUTTON_TYPES).optional(),
  size: z.enum(['tiny', 'small', 'medium', 'large']).optional(),
  width: z.string().optional(),
  icon: iconSchema.optional(),
  hover_tips: textSchema.optional(),
  disabled: z.boolean().optional(),
  disabled_tips: textSchema.optional(),
  confirm: confirmSchema.optional(),
  behaviors: z.array(behaviorSchema).optional(),
  form_action_type: z.enum(['submit', 'reset']).optional(),
});

const interactive = {
  placeholder: textSchema.optional(),
  required: z.boolean().optional(),
  disabled: z.boolean().optional(),
  width: z.string().optional(),
  behaviors: z.array(behaviorSchema).optional(),
  confirm: confirmSchema.optional(),
};

// https://open.feishu.cn/document/feishu-cards/card-json-v2-components/interactive-components/input
const inputPlaceholder = textSchema
  .refine((t) => t.tag === 'plain_text', { error: 'an input placeholder must be plain_text' })
  .refine((t) => [t.content, ...Object.values(t.i18n_content ?? {})].every((c) => [...(c ?? '')].length <= CARD_LIMITS.maxPlaceholderChars), {
    error: `an input placeholder has at most ${CARD_LIMITS.maxPlaceholderChars} characters (in every language)`,
  });

export const inputSchema = z.strictObject({
  tag: z.literal('input'),
  ...base,
  name: fieldName,
  ...interactive,
  placeholder: inputPlaceholder.optional(),
  default_value: z.string().optional(),
  max_length: z.int().min(1).max(1000).optional(),
  label: textSchema.optional(),
  label_position: z.enum(['top', 'left']).optional(),
  input_type: z.enum(['text', 'multiline_text', 'password']).optional(),
  show_icon: z.boolean().optional(),
  rows: z.int().positive().optional(),
  auto_resize: z.boolean().optional(),
  max_rows: z.int().positive().optional(),
});

const optionSchema = z.strictObject({ text: textSchema, value: z.string(), icon: iconSchema.optional() });
const selectType = z.enum(['default', 'text']).optional();

export const selectStaticSchema = z.strictObject({
  tag: z.literal('select_static'),
  ...base,
  name: fieldName,
  type: selectType,
  ...interactive,
  options: z.array(optionSchema),
  initial_option: z.string().optional(),
});

export const multiSelectStaticSchema = z.strictObject({
  tag: z.literal('multi_select_static'),
  ...base,
  name: fieldName,
  type: selectType,
  ...interactive,
  options: z.array(optionSchema),
  selected_values: z.array(z.string()).optional(),
});

// Person pickers (人员选择-单选 / -多选), Card JSON 2.0:
// https://open.feishu.cn/document/feishu-cards/card-json-v2-components/interactive-components/single-select-user-picker
// https://open.feishu.cn/document/feishu-cards/card-json-v2-components/interactive-components/multi-select-user-picker
// Encoded here: options are `{value: open_id}` only; the placeholder is plain_text of at most 100
// characters; width is default | fill | [100,∞)px. In validateCard: initial_option / selected_values
// must be among the options (else Lark ignores them); multi_select_person only inside a form; inside
// a form both need a unique name; `required` only inside a form.
export const PERSON_PICKER_LIMITS = { placeholderMaxChars: 100, minWidthPx: 100 } as const;
export const OPEN_ID_PATTERN = /^ou_[A-Za-z0-9]{1,64}$/;

const openId = z.string().regex(OPEN_ID_PATTERN, { error: 'a person picker option must be a user open_id ("ou_…")' });
const personOption = z.strictObject({ value: openId });
const personPlaceholder = textSchema
  .refine((t) => t.tag === 'plain_text', { error: 'a person picker placeholder must be plain_text' })
  .refine((t) => [t.content, ...Object.values(t.i18n_content ?? {})].every((c) => [...(c ?? '')].length <= PERSON_PICKER_LIMITS.placeholderMaxChars), {
    error: `a person picker placeholder has at most ${PERSON_PICKER_LIMITS.placeholderMaxChars} characters (in every language)`,
  });
const personWidth = z.string().refine((w) => w === 'default' || w === 'fill' || (/^\d{1,5}px$/.test(w) && Number.parseInt(w, 10) >= PERSON_PICKER_LIMITS.minWidthPx), {
  error: `a person picker width is default, fill or at least ${PERSON_PICKER_LIMITS.minWidthPx}px`,
});
const personPicker = {
  ...base,
  name: fieldName,
  type: selectType,
  ...interactive,
  placeholder: personPlaceholder.optional(),
  width: personWidth.optional(),
  options: z.array(personOption).optional(),
};

export const selectPersonSchema = z.strictObject({
  tag: z.literal('select_person'),
  ...personPicker,
  initial_option: openId.optional(),
});

export const multiSelectPersonSchema = z.strictObject({
  tag: z.literal('multi_select_person'),
  ...personPicker,
  selected_values: z.array(openId).optional(),
});

export const datePickerSchema = z.strictObject({
  tag: z.literal('date_picker'),
  ...base,
  name: fieldName,
  ...interactive,
  initial_date: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'initial_date must be YYYY-MM-DD' })
    .optional(),
});

export const tableSchema = z.strictObject({
  tag: z.literal('table'),
  ...base,
  page_size: z.int().min(1).max(10, { error: 'table page_size must be 1–10' }).optional(),
  row_height: z.string().optional(),
  row_max_height: z.string().optional(),
  freeze_first_column: z.boolean().optional(),
  header_style: z
    .strictObject({
      text_align: textAlign.optional(),
      text_size: z.string().min(1).optional(),
      background_style: z.enum(['grey', 'none']).optional(),
      text_color: z.string().optional(),
      bold: z.boolean().optional(),
      lines: z.int().positive().optional(),
    })
    .optional(),
  columns: z.array(
    z.strictObject({
      name: z.string().min(1),
      display_name: z.string(),
      data_type: z.enum(TABLE_DATA_TYPES),
      // auto | [80,600]px | %: https://open.feishu.cn/document/feishu-cards/card-json-v2-components/content-components/table
      width: z
        .string()
        .refine(isColumnWidth, { error: `a table column width is auto, ${CARD_LIMITS.minColumnPx}px–${CARD_LIMITS.maxColumnPx}px or a percentage` })
        .optional(),
      horizontal_align: textAlign.optional(),
      vertical_align: verticalAlign.optional(),
      format: z
        .strictObject({
          precision: z.int().min(0).optional(),
          symbol: z.string().optional(),
          separator: z.boolean().optional(),
        })
        .optional(),
      date_format: z.string().optional(),
    }),
  ),
  rows: z.array(z.record(z.string(), z.unknown())),
});

// Recursive: containers hold elements. The annotation ties the union to the hand-written type.
export const elementSchema: z.ZodType<CardElement> = z.lazy(() =>
  z.discriminatedUnion('tag', [
    divSchema,
    markdownSchema,
    hrSchema,
    imgSchema,
    personSchema,
    buttonSchema,
    inputSchema,
    selectStaticSchema,
    multiSelectStaticSchema,
    selectPersonSchema,
    multiSelectPersonSchema,
    datePickerSchema,
    tableSchema,
    columnSetSchema,
    formSchema,
    collapsiblePanelSchema,
  ]),
);

const elements = z.array(elementSchema);

export const columnSchema = z.strictObject({
  tag: z.literal('column'),
  ...base,
  width: z.string().optional(),
  weight: z.int().min(1).max(5).optional(),
  vertical_align: verticalAlign.optional(),
  horizontal_align: textAlign.optional(),
  vertical_spacing: z.string().optional(),
  direction: direction.optional(),
  padding: spacing.optional(),
  background_style: z.string().optional(),
  elements,
});

export const columnSetSchema = z.strictObject({
  tag: z.literal('column_set'),
  ...base,
  flex_mode: z.enum(['none', 'stretch', 'flow', 'bisect', 'trisect']).optional(),
  horizontal_spacing: z.string().optional(),
  horizontal_align: textAlign.optional(),
  background_style: z.string().optional(),
  columns: z.array(columnSchema),
});

export const formSchema = z.strictObject({
  tag: z.literal('form'),
  ...base,
  name: fieldName,
  direction: direction.optional(),
  vertical_spacing: z.string().optional(),
  horizontal_spacing: z.string().optional(),
  padding: spacing.optional(),
  elements,
});

export const collapsiblePanelSchema = z.strictObject({
  tag: z.literal('collapsible_panel'),
  ...base,
  expanded: z.boolean().optional(),
  direction: direction.optional(),
  vertical_spacing: z.string().optional(),
  padding: spacing.optional(),
  background_color: z.string().optional(),
  header: z.strictObject({
    title: textSchema,
    background_color: z.string().optional(),
    vertical_align: verticalAlign.optional(),
    padding: spacing.optional(),
    icon: iconSchema.optional(),
    icon_position: z.enum(['left', 'right', 'follow_text']).optional(),
    icon_expanded_angle: z.number().optional(),
  }),
  border: z.strictObject({ color: z.string().optional(), corner_radius: z.string().optional() }).optional(),
  elements,
});

export const bodySchema = z.strictObject({
  direction: direction.optional(),
  padding: spacing.optional(),
  horizontal_spacing: z.string().optional(),
  vertical_spacing: z.string().optional(),
  horizontal_align: textAlign.optional(),
  vertical_align: verticalAlign.optional(),
  elements,
});

export const cardSchema = z.strictObject({
  schema: z.literal('2.0', { error: 'schema must be "2.0"' }),
  config: configSchema.optional(),
  card_link: cardLinkSchema.optional(),
  header: headerSchema.optional(),
  body: bodySchema,
});

// ---------------------------------------------------------------------------------------------
// validateCard

export type CardValidation = { ok: true } | { ok: false; errors: string[] };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const CONTAINER_TAGS = new Set(['column_set', 'form', 'collapsible_panel']);
const FORM_FIELD_TAGS = new Set(['input', 'select_static', 'multi_select_static', 'select_person', 'multi_select_person', 'date_picker', 'button']);
const REQUIRED_CAPABLE = new Set(['input', 'select_static', 'multi_select_static', 'select_person', 'multi_select_person', 'date_picker']);

/** The person pickers' rules a schema cannot express (see the doc pages above selectPersonSchema). */
function checkPersonPicker(node: Obj, at: string, inForm: boolean, st: WalkState): void {
  const tag = node.tag;
  if (tag === 'multi_select_person' && !inForm) st.errors.push(`${at}: multi_select_person must sit inside a form`);
  const values = new Set(Array.isArray(node.options) ? node.options.filter(isObj).map((o) => o.value) : []);
  const chosen = tag === 'select_person' ? (node.initial_option === undefined ? [] : [node.initial_option]) : Array.isArray(node.selected_values) ? node.selected_values : [];
  const field = tag === 'select_person' ? 'initial_option' : 'selected_values';
  for (const v of chosen) {
    if (!values.has(v)) st.errors.push(`${at}: ${field} ${JSON.stringify(v)} is not one of the options (Lark ignores it)`);
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out || '(card)';
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = root;
  for (const seg of path) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[seg];
  }
  return cur;
}

function formatIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const where = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => `"${k}"`).join(', ');
    return `${where}: unknown propert${issue.keys.length > 1 ? 'ies' : 'y'} ${keys} (JSON 2.0 rejects unknown properties)`;
  }
  if (issue.code === 'invalid_union' && 'discriminator' in issue && issue.discriminator) {
    const got = valueAt(input, issue.path);
    const shown = typeof got === 'string' ? `"${got}"` : String(got);
    return `${where}: unsupported ${String(issue.discriminator)} ${shown}`;
  }
  return `${where}: ${issue.message}`;
}

interface WalkState {
  errors: string[];
  components: number;
  /** Text objects (plain_text / lark_md) inside components: they count toward the 200 elements. */
  texts: number;
  tables: number;
  elementIds: Map<string, string>;
  /** name → paths where it occurs, and whether the name must be unique. */
  names: Map<string, { paths: string[]; strict: boolean }>;
}

const TEXT_TAGS = new Set(['plain_text', 'lark_md']);
/** Properties holding child components (walked on their own), not text objects of this one. */
const CHILD_KEYS = new Set(['elements', 'columns']);

/** Text objects in a component's own properties (labels, placeholders, option texts, confirm…). */
function countTexts(v: unknown, top = true): number {
  if (Array.isArray(v)) return v.reduce<number>((n, x) => n + countTexts(x, false), 0);
  if (!isObj(v)) return 0;
  let n = !top && typeof v.tag === 'string' && TEXT_TAGS.has(v.tag) ? 1 : 0;
  for (const [k, x] of Object.entries(v)) {
    if (top && CHILD_KEYS.has(k)) continue;
    n += countTexts(x, false);
  }
  return n;
}

function noteElementId(node: Obj, path: string, st: WalkState): void {
  const id = node.element_id;
  if (typeof id !== 'string') return;
  const first = st.elementIds.get(id);
  if (first !== undefined) st.errors.push(`${path}: duplicate element_id "${id}" (first used at ${first})`);
  else st.elementIds.set(id, path);
}

function noteName(name: unknown, path: string, strict: boolean, st: WalkState): void {
  if (typeof name !== 'string' || name === '') return;
  const entry = st.names.get(name) ?? { paths: [], strict: false };
  entry.paths.push(path);
  entry.strict ||= strict;
  st.names.set(name, entry);
}

function hasSubmitButton(elements: unknown): boolean {
  if (!Array.isArray(elements)) return false;
  return elements.some((el) => {
    if (!isObj(el)) return false;
    if (el.tag === 'button' && el.form_action_type === 'submit') return true;
    if (el.tag === 'column_set' && Array.isArray(el.columns)) {
      return el.columns.some((col) => isObj(col) && hasSubmitButton(col.elements));
    }
    return el.tag === 'collapsible_panel' ? hasSubmitButton(el.elements) : false;
  });
}

/** `ancestors` holds the tags of the enclosing containers, outermost first. */
function walkElements(list: unknown, path: string, depth: number, ancestors: string[], st: WalkState): void {
  if (!Array.isArray(list)) return;
  list.forEach((node, i) => {
    const at = `${path}[${i}]`;
    if (!isObj(node)) return;
    st.components += 1;
    if (node.tag !== 'table') st.texts += countTexts(node);
    noteElementId(node, at, st);
    const tag = typeof node.tag === 'string' ? node.tag : '';
    const inForm = ancestors.includes('form');
    const parent = ancestors[ancestors.length - 1];

    if (depth === CARD_LIMITS.maxDepth + 1) {
      st.errors.push(`${at}: nesting depth ${depth} exceeds ${CARD_LIMITS.maxDepth}`);
    }

    if (tag === 'select_person' || tag === 'multi_select_person') checkPersonPicker(node, at, inForm, st);
    if (tag === 'table') {
      st.tables += 1;
      if (inForm) st.errors.push(`${at}: a form cannot contain a table`);
      else if (parent) st.errors.push(`${at}: a table must sit at the root of body.elements, not inside ${parent}`);
    }
    if (tag === 'form') {
      if (inForm) st.errors.push(`${at}: a form cannot contain another form`);
      else if (parent) st.errors.push(`${at}: a form must sit at the root of body.elements, not inside ${parent}`);
      if (typeof node.name !== 'string' || node.name === '') st.errors.push(`${at}: a form needs a name`);
      noteName(node.name, at, true, st);
      if (!hasSubmitButton(node.elements)) {
        st.errors.push(`${at}: a form needs a button with form_action_type "submit"`);
      }
    }
    if (FORM_FIELD_TAGS.has(tag)) {
      if (inForm) {
        if (typeof node.name !== 'string' || node.name === '') {
          st.errors.push(`${at}: ${tag} inside a form needs a name`);
        }
        noteName(node.name, at, true, st);
      } else {
        noteName(node.name, at, false, st);
        if (tag === 'button' && node.form_action_type !== undefined) {
          st.errors.push(`${at}: form_action_type is only valid on a button inside a form`);
        }
        if (REQUIRED_CAPABLE.has(tag) && node.required !== undefined) {
          st.errors.push(`${at}: required is only valid inside a form`);
        }
      }
    }

    if (!CONTAINER_TAGS.has(tag)) return;
    const inner = [...ancestors, tag];
    if (tag === 'column_set') {
      if (!Array.isArray(node.columns)) return;
      node.columns.forEach((col, j) => {
        const colAt = `${at}.columns[${j}]`;
        if (!isObj(col)) return;
        st.components += 1;
        noteElementId(col, colAt, st);
        walkElements(col.elements, `${colAt}.elements`, depth + 1, inner, st);
      });
    } else {
      walkElements(node.elements, `${at}.elements`, depth + 1, inner, st);
    }
  });
}

/**
 * Bytes of the card as sent: escaped inside `content`, plus the rest of the message body (30 KB,
 * error 230025: https://open.feishu.cn/document/server-docs/im-v1/message/create).
 */
function jsonBytes(card: unknown): number | string {
  try {
    const json = JSON.stringify(card);
    if (json === undefined) return 'the card is not JSON-serialisable';
    return new TextEncoder().encode(JSON.stringify(json)).length + SEND_ENVELOPE_BYTES;
  } catch (e) {
    return `the card is not JSON-serialisable: ${e instanceof Error ? e.message : String(e)}`;
  }
}

/**
 * Checks a card against our schema and Feishu's documented limits. Collects every problem it
 * can find rather than stopping at the first. Never throws.
 */
export function validateCard(card: unknown): CardValidation {
  const errors: string[] = [];
  try {
    const parsed = cardSchema.safeParse(card);
    if (!parsed.success) for (const issue of parsed.error.issues) errors.push(formatIssue(issue, card));

    const size = jsonBytes(card);
    if (typeof size === 'string') errors.push(size);
    else if (size > CARD_LIMITS.maxBytes) {
      errors.push(`card JSON is ${size} bytes; the limit is ${CARD_LIMITS.maxBytes} (30 KB, measured as sent: escaped inside the message content, with the message body)`);
    }

    const st: WalkState = { errors, components: 0, texts: 0, tables: 0, elementIds: new Map(), names: new Map() };
    if (isObj(card)) {
      if (isObj(card.header) && Array.isArray(card.header.text_tag_list)) {
        card.header.text_tag_list.forEach((t, i) => {
          if (isObj(t)) noteElementId(t, `header.text_tag_list[${i}]`, st);
        });
      }
      if (isObj(card.body)) walkElements(card.body.elements, 'body.elements', 1, [], st);
    }
    if (st.components > CARD_LIMITS.maxComponents) {
      errors.push(`card has ${st.components} components; the limit is ${CARD_LIMITS.maxComponents}`);
    }
    // 200 elements, text objects included: https://open.feishu.cn/document/feishu-cards/card-json-v2-structure
    if (st.components + st.texts > CARD_LIMITS.maxComponents) {
      errors.push(`card has ${st.components + st.texts} elements (${st.components} components and ${st.texts} text objects); the limit is ${CARD_LIMITS.maxComponents}`);
    }
    if (st.tables > CARD_LIMITS.maxTables) {
      errors.push(`card has ${st.tables} tables; the limit is ${CARD_LIMITS.maxTables}`);
    }
    for (const [name, { paths, strict }] of st.names) {
      if (strict && paths.length > 1) {
        errors.push(`duplicate name "${name}" at ${paths.join(', ')}; form and form field names must be unique in the card`);
      }
    }
  } catch (e) {
    errors.push(`validator failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  return errors.length === 0 ? { ok: true } : { ok: false, errors };
}

/**
 * Does the card stay within the element limits (200 components; 200 elements, text objects
 * included)? The same count as `validateCard` without the schema parse: cheap enough for the
 * renderers' choice of the fullest rendering that fits, on every card they draw.
 */
export function withinElementLimits(card: unknown): boolean {
  const st: WalkState = { errors: [], components: 0, texts: 0, tables: 0, elementIds: new Map(), names: new Map() };
  if (isObj(card) && isObj(card.body)) walkElements(card.body.elements, 'body.elements', 1, [], st);
  return st.components <= CARD_LIMITS.maxComponents && st.components + st.texts <= CARD_LIMITS.maxComponents;
}

/** Throws an Error listing every problem; narrows `card` to Card when it returns. */
export function assertValidCard(card: unknown): asserts card is Card {
  const result = validateCard(card);
  if (!result.ok) {
    throw new Error(`Invalid card (${result.errors.length} problem${result.errors.length > 1 ? 's' : ''}):\n- ${result.errors.join('\n- ')}`);
  }
}
