// Types for markdown.js (plain browser JavaScript, also imported by node tests).
export interface MarkdownOptions {
  /** Display name for an `<at id=…>` mention; `'all'` for @all. */
  mention?: (id: string) => string | undefined;
}
export declare const NAMED_COLORS: readonly string[];
export declare function escapeHtml(s: unknown): string;
export declare function safeUrl(raw: unknown): string | null;
export declare function colorSpec(raw: unknown): { cls: string; style?: undefined } | { style: string; cls?: undefined } | null;
export declare function renderInline(s: string, opts?: MarkdownOptions, depth?: number): string;
export declare function renderMarkdown(src: string | null | undefined, opts?: MarkdownOptions): string;
export declare function markdownToText(src: string | null | undefined): string;
