import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  COMMAND_SPECS,
  copySpec,
  FIELD_NAMES,
  formatInputError,
  helpLines,
  INPUT_ERROR_CODES,
  inputErrorBi,
  keyName,
  type CommandSpec,
  type InputError,
} from '../../../handlers/input/index.js';

type Tree = Record<string, unknown>;
const read = (lng: string) => JSON.parse(readFileSync(new URL(`../../../locales/${lng}/input.json`, import.meta.url), 'utf8')) as Tree;
const zh = read('zh-CN');
const en = read('en-US');
const get = (o: Tree, key: string): unknown => key.split('.').reduce<unknown>((a, k) => (a as Tree | undefined)?.[k], o);

function flatten(o: unknown, prefix = ''): string[] {
  if (typeof o !== 'object' || o === null) return [prefix];
  return Object.entries(o).flatMap(([k, v]) => flatten(v, prefix ? `${prefix}.${k}` : k));
}
const placeholders = (s: string) => [...s.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]!).sort();

const sourceDir = new URL('../../../handlers/input/', import.meta.url);
const sources = readdirSync(sourceDir)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => readFileSync(new URL(f, sourceDir), 'utf8'))
  .join('\n');
const codesInSource = [...new Set([...sources.matchAll(/'(input\.[a-z_]+)'/g)].map((m) => m[1]!))];
const keysInSource = [...new Set([...sources.matchAll(/'input:([a-z_.]+)'/g)].map((m) => m[1]!))];

describe('locales/*/input.json', () => {
  it('zh-CN and en-US have exactly the same keys, all non-empty strings', () => {
    const kz = flatten(zh).sort();
    const ke = flatten(en).sort();
    expect(kz).toEqual(ke);
    for (const k of kz) {
      expect(typeof get(zh, k), k).toBe('string');
      expect((get(zh, k) as string).trim(), `zh-CN ${k}`).not.toBe('');
      expect((get(en, k) as string).trim(), `en-US ${k}`).not.toBe('');
    }
  });

  it('uses the same {{placeholders}} in both languages', () => {
    for (const k of flatten(zh)) expect(placeholders(get(en, k) as string), k).toEqual(placeholders(get(zh, k) as string));
  });

  it('has a message for every error code, and every code used in the code is a declared one', () => {
    expect(codesInSource.length).toBeGreaterThan(15);
    for (const code of codesInSource) expect(INPUT_ERROR_CODES, code).toContain(code);
    for (const code of INPUT_ERROR_CODES) {
      expect(typeof get(zh, code), `zh-CN ${code}`).toBe('string');
      expect(typeof get(en, code), `en-US ${code}`).toBe('string');
    }
  });

  it('has every text key the code asks for (input:…)', () => {
    const literal = keysInSource.filter((k) => !k.endsWith('.'));
    expect(literal.length).toBeGreaterThan(5);
    for (const k of literal) {
      expect(typeof get(zh, k), `zh-CN ${k}`).toBe('string');
      expect(typeof get(en, k), `en-US ${k}`).toBe('string');
    }
    for (const kind of ['bool', 'date', 'level']) expect(typeof get(zh, `kind.${kind}`)).toBe('string');
  });

  it('names every field of every command in both languages, with a help hint', () => {
    expect(FIELD_NAMES.length).toBeGreaterThan(25);
    for (const f of [...FIELD_NAMES, 'text']) {
      expect(typeof get(zh, `field.${f}`), `zh-CN field.${f}`).toBe('string');
      expect(typeof get(en, `field.${f}`), `en-US field.${f}`).toBe('string');
      if (f !== 'text') expect(typeof get(zh, `hint.${f}`), `hint.${f}`).toBe('string');
    }
  });

  it('labels a field with what the reader can type: its Chinese key, or the English key', () => {
    for (const spec of Object.values(COMMAND_SPECS) as CommandSpec[]) {
      for (const k of spec.keys) {
        expect(get(zh, `field.${k.canonical}`), `${spec.name}.${k.canonical}`).toBe(keyName(k, 'zh-CN'));
        expect(get(en, `field.${k.canonical}`), `${spec.name}.${k.canonical}`).toBe(k.canonical);
      }
    }
  });

  it('renders every error code in both languages without leftovers', () => {
    const sample = { field: 'copies', key: 'colour', value: 'x', allowed: 'a, b', choices: 'c, d', min: 1, max: 100 };
    for (const code of INPUT_ERROR_CODES) {
      const e: InputError = { code, params: sample, command: 'copy' };
      const bi = inputErrorBi(e);
      for (const text of [bi.zh, bi.en]) {
        expect(text, code).not.toMatch(/\{\{|input[.:]|field\.|undefined/);
        expect(text.length, code).toBeGreaterThan(5);
      }
      expect(bi.zh, code).not.toBe(bi.en);
    }
  });

  it('says the field in the reader\u2019s language', () => {
    const e: InputError = { code: 'input.too_long', params: { field: 'purpose', max: 200 }, command: 'copy' };
    expect(formatInputError(e, 'zh-CN')).toContain('「用途」太长（最多 200 个字符）');
    expect(formatInputError(e, 'en-US')).toContain('"purpose" is too long (at most 200 characters)');
    const whole: InputError = { code: 'input.too_long', params: { field: 'text', max: 2000 } };
    expect(formatInputError(whole, 'zh-CN')).toContain('「参数」');
    expect(formatInputError(whole, 'en-US')).toContain('"arguments"');
  });

  it('keeps an unknown field name as the user typed it', () => {
    const e: InputError = { code: 'input.unterminated_quote', params: { field: '颜色' } };
    expect(formatInputError(e, 'en-US')).toBe('The quote in "颜色" is not closed; add the closing quote.');
  });
});

describe('helpLines', () => {
  it('gives one line per key in each language, with the reader\u2019s key first', () => {
    for (const spec of Object.values(COMMAND_SPECS) as CommandSpec[]) {
      for (const lng of ['zh-CN', 'en-US'] as const) {
        const lines = helpLines(spec, lng);
        expect(lines).toHaveLength(spec.keys.length);
        lines.forEach((line, i) => {
          const k = spec.keys[i]!;
          expect(line.startsWith(`\`${keyName(k, lng)}=\``), line).toBe(true);
          expect(line, line).not.toMatch(/\{\{|input[.:]|hint\.|kind\.|help\.|undefined/);
        });
      }
    }
  });

  it('shows required/optional, bounds, choices and defaults', () => {
    const zhLines = helpLines(copySpec, 'zh-CN');
    expect(zhLines[1]).toBe('`份数=` 必填 · 整数 1–100 — 复制份数（也可写 copies）');
    expect(zhLines[5]).toContain('复印、打印、刻录、拷贝');
    const enLines = helpLines(copySpec, 'en-US');
    expect(enLines[1]).toBe('`copies=` required · whole number 1–100 — how many copies (also 份数)');
    expect(enLines[5]).toContain('photocopy, print, burn, copy');
    expect(helpLines(COMMAND_SPECS.carry, 'en-US')[5]).toContain('default no');
    expect(helpLines(COMMAND_SPECS['carrier.add'], 'zh-CN')[9]).toContain('默认 1');
  });
});
