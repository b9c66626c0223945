// `.env.example` documents every variable the bot reads (design §4): each `BAOMI_*` name the
// sources mention is in it, and it names none the sources no longer read.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const SOURCE_DIRS = ['bot', 'handlers', 'models', 'scheduler', 'cards', 'domain', 'sandbox', 'scripts'];

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (/\.(ts|mjs)$/.test(name)) out.push(p);
  }
  return out;
}

describe('.env.example', () => {
  const read = new Set(SOURCE_DIRS.flatMap((d) => sources(join(root, d))).flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/\bBAOMI_[A-Z_]+\b/g)].map((m) => m[0])));
  const documented = new Set([...readFileSync(join(root, '.env.example'), 'utf8').matchAll(/^(BAOMI_[A-Z_]+)=/gm)].map((m) => m[1]!));

  it('the scan found the variables', () => {
    expect(read.has('BAOMI_TIMEZONE')).toBe(true);
    expect(read.size).toBeGreaterThan(10);
  });

  it('documents every BAOMI_ variable the sources read, and no other', () => {
    expect([...read].filter((v) => !documented.has(v)).sort()).toEqual([]);
    expect([...documented].filter((v) => !read.has(v)).sort()).toEqual([]);
  });
});
