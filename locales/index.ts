import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import i18next, { type i18n } from 'i18next';
import type { Bi, TFn } from '../bot/core/types.js';
import type { Locale } from '../bot/core/config.js';

export const LOCALES: readonly Locale[] = ['zh-CN', 'en-US'];
const here = dirname(fileURLToPath(import.meta.url));

type Resources = Record<string, Record<string, Record<string, unknown>>>;

/** Reads every `locales/<lng>/<namespace>.json` file. */
export function loadResources(dir = here): Resources {
  const out: Resources = {};
  for (const lng of LOCALES) {
    out[lng] = {};
    for (const file of readdirSync(join(dir, lng))
      .filter((f) => f.endsWith('.json'))
      .sort()) {
      out[lng]![file.slice(0, -5)] = JSON.parse(readFileSync(join(dir, lng, file), 'utf8')) as Record<string, unknown>;
    }
  }
  return out;
}

let shared: i18n | undefined;

/** One i18next instance for the process, initialised synchronously from the JSON files. */
export function getI18n(): i18n {
  if (shared) return shared;
  const resources = loadResources();
  const inst = i18next.createInstance();
  void inst.init({
    resources,
    lng: 'zh-CN',
    fallbackLng: 'zh-CN',
    supportedLngs: [...LOCALES],
    ns: Object.keys(resources['zh-CN'] ?? {}),
    defaultNS: 'common',
    interpolation: { escapeValue: false },
    returnNull: false,
    initAsync: false,
  } as Parameters<i18n['init']>[0]);
  shared = inst;
  return inst;
}

export function translator(locale: Locale): TFn {
  return fixedT(locale);
}

const fixed = new Map<Locale, TFn>();
const constant = new Map<string, Bi>();

function fixedT(locale: Locale): TFn {
  let t = fixed.get(locale);
  if (!t) {
    const inner = getI18n().getFixedT(locale);
    t = (key, params) => inner(key, params ?? {}) as string;
    fixed.set(locale, t);
  }
  return t;
}

const withParams = new Map<string, Bi>();
const WITH_PARAMS_MAX = 5000;

/** Both languages at once, for Lark cards (each component carries zh_cn and en_us). */
export function bilingual(key: string, params?: Record<string, unknown>): Bi {
  // Translations are pure: a text without parameters is translated once, one with parameters is
  // remembered for a while (cards repeat the same labels, roles and states on every render).
  if (!params) {
    const hit = constant.get(key);
    if (hit) return hit;
    const bi = { zh: fixedT('zh-CN')(key), en: fixedT('en-US')(key) };
    constant.set(key, bi);
    return bi;
  }
  const cacheKey = `${key}\u0000${JSON.stringify(params)}`;
  const hit = withParams.get(cacheKey);
  if (hit) return hit;
  const bi = { zh: fixedT('zh-CN')(key, params), en: fixedT('en-US')(key, params) };
  if (withParams.size >= WITH_PARAMS_MAX) withParams.delete(withParams.keys().next().value!);
  withParams.set(cacheKey, bi);
  return bi;
}

/** Normalises what a user types for a language: zh, zh-CN, 中文, en, English… */
export function parseLocale(input: string): Locale | undefined {
  const s = input.trim().toLowerCase();
  if (['zh', 'zh-cn', 'zh_cn', 'cn', '中文', '简体中文', '汉语'].includes(s)) return 'zh-CN';
  if (['en', 'en-us', 'en_us', 'english', '英文', '英语'].includes(s)) return 'en-US';
  return undefined;
}
