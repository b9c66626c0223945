// Types for the subset of Feishu Card JSON 2.0 this bot renders.
// There is no official schema: these types, the zod schema in card.schema.ts and its tests are
// ours. Feishu rejects unknown properties in 2.0, so the types stay closed (no index signatures)
// and every property here is an official one.

/** The 16 locales Feishu accepts in i18n maps; we render zh_cn and en_us. */
export const LOCALES = ['zh_cn', 'en_us', 'ja_jp', 'zh_hk', 'zh_tw', 'id_id', 'vi_vn', 'th_th', 'pt_br', 'es_es', 'ko_kr', 'de_de', 'fr_fr', 'it_it', 'ru_ru', 'ms_my'] as const;
export type Locale = (typeof LOCALES)[number];
export type I18nMap = Partial<Record<Locale, string>>;

export const HEADER_TEMPLATES = ['blue', 'wathet', 'turquoise', 'green', 'yellow', 'orange', 'red', 'carmine', 'violet', 'purple', 'indigo', 'grey', 'default'] as const;
export type HeaderTemplate = (typeof HEADER_TEMPLATES)[number];

export const TAG_COLORS = ['neutral', 'blue', 'turquoise', 'lime', 'orange', 'violet', 'indigo', 'wathet', 'green', 'yellow', 'red', 'purple', 'carmine'] as const;
export type TagColor = (typeof TAG_COLORS)[number];

export const BUTTON_TYPES = ['default', 'primary', 'danger', 'text', 'primary_filled', 'danger_filled', 'laser', 'primary_text', 'danger_text'] as const;
export type ButtonType = (typeof BUTTON_TYPES)[number];

export const TABLE_DATA_TYPES = ['text', 'lark_md', 'markdown', 'number', 'date', 'options', 'persons'] as const;
export type TableDataType = (typeof TABLE_DATA_TYPES)[number];

export type TextAlign = 'left' | 'center' | 'right';
export type VerticalAlign = 'top' | 'center' | 'bottom';
export type Direction = 'vertical' | 'horizontal';
/**
 * Built-in sizes (heading-0…4, heading, normal, notation, xxxx-large … x-small) or a custom size
 * declared in `config.style.text_size` (e.g. `normal_v2`), hence a string.
 */
export type TextSize = string;
/** CSS-like spacing, e.g. `"0"`, `"12px"`, `"4px 12px"`, `"0px 0px 0px 0px"`. */
export type Spacing = string;

export interface CardText {
  tag: 'plain_text' | 'lark_md';
  content: string;
  i18n_content?: I18nMap;
  text_size?: TextSize;
  text_color?: string;
  text_align?: TextAlign;
  lines?: number;
}

export type CardIcon = { tag: 'standard_icon'; token: string; color?: string } | { tag: 'custom_icon'; img_key: string };

export interface TextTag {
  tag: 'text_tag';
  element_id?: string;
  text: CardText;
  color: TagColor;
}

export interface CardHeader {
  title: CardText;
  subtitle?: CardText;
  text_tag_list?: TextTag[];
  template?: HeaderTemplate;
  icon?: CardIcon;
  padding?: Spacing;
}

export interface TextSizeSetting {
  default?: string;
  pc?: string;
  mobile?: string;
}

export interface CardConfig {
  /** JSON 2.0 cards are always shared: only `true` is accepted. */
  update_multi?: true;
  locales?: Locale[];
  width_mode?: 'default' | 'compact' | 'fill';
  summary?: { content: string; i18n_content?: I18nMap };
  enable_forward?: boolean;
  enable_forward_interaction?: boolean;
  streaming_mode?: boolean;
  use_custom_translation?: boolean;
  style?: {
    text_size?: Record<string, TextSizeSetting>;
    color?: Record<string, { light_mode: string; dark_mode: string }>;
  };
}

export interface CardLink {
  url: string;
  android_url?: string;
  ios_url?: string;
  pc_url?: string;
}

export interface CallbackBehavior {
  type: 'callback';
  /** Must be an object: Feishu echoes it back as `action.value` on click. */
  value: Record<string, unknown>;
}
export interface OpenUrlBehavior {
  type: 'open_url';
  default_url: string;
  android_url?: string;
  ios_url?: string;
  pc_url?: string;
}
export type Behavior = CallbackBehavior | OpenUrlBehavior;

export interface Confirm {
  title: CardText;
  text: CardText;
}

/** Properties every element accepts. */
export interface ElementBase {
  element_id?: string;
  margin?: Spacing;
}

export interface DivField {
  is_short: boolean;
  text: CardText;
}

export interface DivElement extends ElementBase {
  tag: 'div';
  text?: CardText;
  icon?: CardIcon;
  fields?: DivField[];
  width?: string;
}

export interface MarkdownElement extends ElementBase {
  tag: 'markdown';
  content: string;
  i18n_content?: I18nMap;
  text_align?: TextAlign;
  text_size?: TextSize;
  icon?: CardIcon;
}

export interface HrElement extends ElementBase {
  tag: 'hr';
}

export interface ImgElement extends ElementBase {
  tag: 'img';
  img_key: string;
  alt?: CardText;
  title?: CardText;
  corner_radius?: string;
  scale_type?: 'crop_center' | 'crop_top' | 'fit_horizontal';
  size?: string;
  transparent?: boolean;
  preview?: boolean;
}

export interface PersonElement extends ElementBase {
  tag: 'person';
  user_id: string;
  size?: 'extra_small' | 'small' | 'medium' | 'large';
  show_avatar?: boolean;
  show_name?: boolean;
  style?: 'normal' | 'capsule';
}

export interface ButtonElement extends ElementBase {
  tag: 'button';
  name?: string;
  text: CardText;
  type?: ButtonType;
  size?: 'tiny' | 'small' | 'medium' | 'large';
  width?: string;
  icon?: CardIcon;
  hover_tips?: CardText;
  disabled?: boolean;
  disabled_tips?: CardText;
  confirm?: Confirm;
  behaviors?: Behavior[];
  form_action_type?: 'submit' | 'reset';
}

export interface InputElement extends ElementBase {
  tag: 'input';
  name: string;
  placeholder?: CardText;
  default_value?: string;
  required?: boolean;
  disabled?: boolean;
  width?: string;
  max_length?: number;
  label?: CardText;
  label_position?: 'top' | 'left';
  input_type?: 'text' | 'multiline_text' | 'password';
  show_icon?: boolean;
  rows?: number;
  auto_resize?: boolean;
  max_rows?: number;
  behaviors?: Behavior[];
  confirm?: Confirm;
}

export interface SelectOption {
  text: CardText;
  value: string;
  icon?: CardIcon;
}

interface SelectBase extends ElementBase {
  name: string;
  type?: 'default' | 'text';
  placeholder?: CardText;
  required?: boolean;
  disabled?: boolean;
  width?: string;
  behaviors?: Behavior[];
  confirm?: Confirm;
}

export interface SelectStaticElement extends SelectBase {
  tag: 'select_static';
  options: SelectOption[];
  initial_option?: string;
}

export interface MultiSelectStaticElement extends SelectBase {
  tag: 'multi_select_static';
  options: SelectOption[];
  selected_values?: string[];
}

/**
 * One candidate of a person picker: only a user's open_id (Lark shows the name and avatar itself).
 * https://open.feishu.cn/document/feishu-cards/card-json-v2-components/interactive-components/single-select-user-picker
 */
export interface PersonOption {
  value: string;
}

/**
 * 人员选择-单选 (Card JSON 2.0):
 * https://open.feishu.cn/document/feishu-cards/card-json-v2-components/interactive-components/single-select-user-picker
 * - `options`: `[{value: open_id}]`; empty (or every value invalid) means every member of the chat
 *   the card is in;
 * - `initial_option`: an open_id that must be one of the options, else it has no effect;
 * - `name`: required and unique in the card inside a form; `required` only inside a form;
 * - `placeholder`: plain_text, at most 100 characters; `width`: default | fill | `[100,∞)px`;
 * - in a form, the submit's `form_value[name]` is the chosen open_id; outside a form the click
 *   carries it as `action.option`.
 */
export interface SelectPersonElement extends SelectBase {
  tag: 'select_person';
  /** Candidate open_ids; omitted or empty means everyone in the chat. */
  options?: PersonOption[];
  initial_option?: string;
}

/**
 * 人员选择-多选 (Card JSON 2.0), only inside a form:
 * https://open.feishu.cn/document/feishu-cards/card-json-v2-components/interactive-components/multi-select-user-picker
 * - `options` as for select_person; `selected_values`: open_ids that must be among the options;
 * - `name` required (unique in the card); `placeholder` ≤ 100 characters; `width` as above;
 * - the submit's `form_value[name]` is the array of chosen open_ids.
 */
export interface MultiSelectPersonElement extends SelectBase {
  tag: 'multi_select_person';
  options?: PersonOption[];
  selected_values?: string[];
}

export interface DatePickerElement extends ElementBase {
  tag: 'date_picker';
  name: string;
  placeholder?: CardText;
  /** `YYYY-MM-DD`. */
  initial_date?: string;
  required?: boolean;
  disabled?: boolean;
  width?: string;
  behaviors?: Behavior[];
  confirm?: Confirm;
}

export interface TableColumn {
  name: string;
  display_name: string;
  data_type: TableDataType;
  width?: string;
  horizontal_align?: TextAlign;
  vertical_align?: VerticalAlign;
  format?: { precision?: number; symbol?: string; separator?: boolean };
  date_format?: string;
}

export interface TableElement extends ElementBase {
  tag: 'table';
  /** 1–10 rows per page. */
  page_size?: number;
  row_height?: string;
  row_max_height?: string;
  freeze_first_column?: boolean;
  header_style?: {
    text_align?: TextAlign;
    text_size?: TextSize;
    background_style?: 'grey' | 'none';
    text_color?: string;
    bold?: boolean;
    lines?: number;
  };
  columns: TableColumn[];
  rows: Record<string, unknown>[];
}

export interface ColumnElement extends ElementBase {
  tag: 'column';
  /** `auto`, `weighted` or a pixel width such as `120px`. */
  width?: string;
  /** 1–5, used with `width: 'weighted'`. */
  weight?: number;
  vertical_align?: VerticalAlign;
  horizontal_align?: TextAlign;
  vertical_spacing?: string;
  direction?: Direction;
  padding?: Spacing;
  background_style?: string;
  elements: CardElement[];
}

export interface ColumnSetElement extends ElementBase {
  tag: 'column_set';
  flex_mode?: 'none' | 'stretch' | 'flow' | 'bisect' | 'trisect';
  horizontal_spacing?: string;
  horizontal_align?: TextAlign;
  background_style?: string;
  columns: ColumnElement[];
}

export interface FormElement extends ElementBase {
  tag: 'form';
  name: string;
  direction?: Direction;
  vertical_spacing?: string;
  horizontal_spacing?: string;
  padding?: Spacing;
  elements: CardElement[];
}

export interface CollapsiblePanelElement extends ElementBase {
  tag: 'collapsible_panel';
  expanded?: boolean;
  direction?: Direction;
  vertical_spacing?: string;
  padding?: Spacing;
  background_color?: string;
  header: {
    title: CardText;
    background_color?: string;
    vertical_align?: VerticalAlign;
    padding?: Spacing;
    icon?: CardIcon;
    icon_position?: 'left' | 'right' | 'follow_text';
    icon_expanded_angle?: number;
  };
  border?: { color?: string; corner_radius?: string };
  elements: CardElement[];
}

export type CardElement =
  | DivElement
  | MarkdownElement
  | HrElement
  | ImgElement
  | PersonElement
  | ButtonElement
  | InputElement
  | SelectStaticElement
  | MultiSelectStaticElement
  | SelectPersonElement
  | MultiSelectPersonElement
  | DatePickerElement
  | TableElement
  | ColumnSetElement
  | FormElement
  | CollapsiblePanelElement;

export type ElementTag = CardElement['tag'];

export interface CardBody {
  direction?: Direction;
  padding?: Spacing;
  horizontal_spacing?: string;
  vertical_spacing?: string;
  horizontal_align?: TextAlign;
  vertical_align?: VerticalAlign;
  elements: CardElement[];
}

/** A type alias, not an interface, so a Card fits `Record<string, unknown>` (e.g. transport JSON). */
export type Card = {
  schema: '2.0';
  config?: CardConfig;
  card_link?: CardLink;
  header?: CardHeader;
  body: CardBody;
};
