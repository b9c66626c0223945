import { describe, expect, it } from 'vitest';
import { loadResources, LOCALES } from '../../locales/index.js';

function keys(obj: unknown, prefix = ''): string[] {
  if (typeof obj !== 'object' || obj === null) return [prefix];
  return Object.entries(obj).flatMap(([k, v]) => keys(v, prefix ? `${prefix}.${k}` : k));
}

function placeholders(obj: unknown, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  if (typeof obj === 'string') {
    out.set(
      prefix,
      [...obj.matchAll(/{{\s*(\w+)\s*}}/g)]
        .map((m) => m[1])
        .sort()
        .join(','),
    );
  } else if (obj && typeof obj === 'object') {
    for (const [k, v] of Object.entries(obj)) for (const [kk, vv] of placeholders(v, prefix ? `${prefix}.${k}` : k)) out.set(kk, vv);
  }
  return out;
}

describe('locales', () => {
  const res = loadResources();
  const [zh, en] = LOCALES.map((l) => res[l]!);

  it('has the same namespaces in every language', () => {
    expect(Object.keys(en!).sort()).toEqual(Object.keys(zh!).sort());
    expect(Object.keys(zh!).length).toBeGreaterThan(2);
  });

  for (const ns of Object.keys(res['zh-CN']!)) {
    it(`namespace ${ns}: every key exists in both languages with the same placeholders`, () => {
      const zk = keys(zh![ns]).sort();
      const ek = keys(en![ns]).sort();
      expect(
        zk.filter((k) => !ek.includes(k)),
        'keys only in zh-CN',
      ).toEqual([]);
      expect(
        ek.filter((k) => !zk.includes(k)),
        'keys only in en-US',
      ).toEqual([]);
      const zp = placeholders(zh![ns]);
      const ep = placeholders(en![ns]);
      for (const [k, v] of zp) expect(ep.get(k), `placeholders of ${ns}:${k}`).toBe(v);
    });
  }

  it('no translation is empty', () => {
    for (const lng of LOCALES) {
      for (const [ns, tree] of Object.entries(res[lng]!)) {
        const walk = (o: unknown, path: string): void => {
          if (typeof o === 'string') expect(o.trim(), `${lng}/${ns}:${path}`).not.toBe('');
          else if (o && typeof o === 'object') for (const [kk, vv] of Object.entries(o)) walk(vv, `${path}.${kk}`);
        };
        walk(tree, '');
      }
    }
  });
});
