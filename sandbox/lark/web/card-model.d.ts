// Types for card-model.js (plain browser JavaScript, also imported by node tests).
export type Locale = 'zh_cn' | 'en_us';
export interface TextObject {
  tag?: string;
  content?: string;
  i18n_content?: Partial<Record<string, string>>;
  [k: string]: unknown;
}
// biome-ignore lint/suspicious/noExplicitAny: card components are free-form JSON from the bot
export type CardComponent = { tag?: string; name?: string; [k: string]: any };
export interface Toast {
  type?: string;
  content?: string;
  i18n?: Partial<Record<string, string>>;
}
export type TableCell =
  | { kind: 'text'; text: string; align?: 'right' }
  | { kind: 'markdown'; text: string }
  | { kind: 'tags'; tags: { text: string; color: string }[] }
  | { kind: 'persons'; ids: string[] };

export declare const LOCALES: readonly Locale[];
export declare const HEADER_TEMPLATES: readonly string[];
export declare const TAG_COLORS: readonly string[];
export declare const FIELD_TAGS: readonly string[];
export declare function headerTemplate(t: unknown): string;
export declare function tagColor(c: unknown): string;
export declare function normalizeLocale(l: unknown): Locale;
export declare function pickText(text: TextObject | string | null | undefined, locale: string): string;
export declare function pickField(obj: CardComponent | null | undefined, field: string, locale: string): string;
export declare function isMarkdownText(text: unknown): boolean;
export declare function toastText(toast: Toast | null | undefined, locale: string): string;
export declare function buttonBehavior(btn: CardComponent | null | undefined): { callback: unknown; url: string | undefined };
export declare function formParts(form: CardComponent | null | undefined): { fields: CardComponent[]; buttons: CardComponent[] };
export declare function fieldDefault(field: CardComponent | null | undefined): string | string[] | boolean;
export declare function personCandidates(field: CardComponent | null | undefined, isPerson: (openId: string) => boolean, chatMembers?: string[]): string[];
export declare function isEmptyValue(v: unknown): boolean;
export declare function wireValue(tag: string | undefined, raw: unknown, tzOffset?: string): string | string[] | boolean;
export declare function collectForm(
  fields: CardComponent[],
  raw: Record<string, unknown>,
  tzOffset?: string,
): { form_value: Record<string, string | string[] | boolean>; missing: string[]; tooLong: string[] };
export declare function tablePageSize(table: CardComponent | null | undefined): number;
export declare function pageRows<T>(rows: T[] | null | undefined, pageSize: number, page: number): { rows: T[]; page: number; pageCount: number; total: number };
export declare function formatDate(value: unknown, fmt?: string): string;
export declare function formatNumber(value: unknown, format?: { precision?: number; symbol?: string; separator?: boolean }): string;
export declare function tableCell(column: CardComponent | null | undefined, value: unknown, locale: string): TableCell;
export declare function columnFlex(col: CardComponent | null | undefined): { flex: string; width?: string };
export declare function safeHref(url: unknown): string | undefined;
export declare function cardElements(card: unknown): CardComponent[];
