// `/help <command>` matches the README (issue 7, item 6): every command of the README's command
// table has a help entry, and the `/help <command>` card shows every `key=` argument the README
// names for it, to a Chinese and to an English reader alike ("a command's arguments in both languages").
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { helpDetailCard, helpKey, type HelpEntry } from '../../cards/help.card.js';
import { FEATURES } from '../../handlers/features.js';
import { buildRouter } from '../../handlers/index.js';
import { bilingual, loadResources } from '../../locales/index.js';

const root = join(import.meta.dirname, '../..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const resources = loadResources();

/** Every registered command (features included), with where its help texts live. */
function registered(): Map<string, HelpEntry> {
  // Building and registering touch none of the dependencies: empty objects stand in for them.
  const fake = new Proxy({}, { get: () => ({}) }) as never;
  const features = FEATURES.map((make) => make(fake));
  const deps = new Proxy({}, { get: (_t, k) => (k === 'features' ? features : {}) }) as never;
  return new Map(
    buildRouter(deps)
      .listCommands()
      .map((c) => [c.name, { name: c.name, aliases: c.aliases, ...(c.helpNs ? { helpNs: c.helpNs } : {}) }]),
  );
}

/** The usage text of a command in one language, wherever its feature keeps it. */
function usageOf(lng: 'zh-CN' | 'en-US', entry: HelpEntry): string | undefined {
  const [ns, ...path] = `${helpKey(entry)}.usage`.split(/[:.]/);
  let node: unknown = resources[lng]?.[ns!];
  for (const k of path) node = (node as Record<string, unknown> | undefined)?.[k];
  return typeof node === 'string' ? node : undefined;
}

/** Rows of the README's command table: the English command name and the `key=` arguments named. */
function readmeCommands(): { name: string; keys: string[] }[] {
  const table = readme.slice(readme.indexOf('| command | who | what it does |'));
  const rows = table.split('\n').slice(2);
  const out: { name: string; keys: string[] }[] = [];
  for (const row of rows) {
    if (!row.startsWith('|')) break;
    const cells = row.split(/(?<!\\)\|/).map((c) => c.trim());
    const names = [...(cells[1] ?? '').matchAll(/`\/([a-z]+)/g)].map((m) => m[1]!);
    const keys = [...new Set([...(cells[3] ?? '').matchAll(/\b([a-z_]+)=/g)].map((m) => m[1]!))];
    for (const name of names) out.push({ name, keys });
  }
  return out;
}

describe('/help <command> and the README', () => {
  const commands = readmeCommands();

  it('the README table was read', () => {
    expect(commands.map((c) => c.name)).toEqual(expect.arrayContaining(['help', 'copy', 'carry', 'destroy', 'approve', 'complete', 'carrier', 'role']));
  });

  const specs = registered();

  it('every README command is a registered command', () => {
    expect(commands.map((c) => c.name).filter((n) => !specs.has(n))).toEqual([]);
  });

  for (const lng of ['zh-CN', 'en-US'] as const) {
    it(`every README command has help; its card (${lng} reader) names the README's arguments`, () => {
      const problems: string[] = [];
      for (const c of commands) {
        const entry = specs.get(c.name) ?? { name: c.name, aliases: [] };
        if (!usageOf(lng, entry)) {
          problems.push(`/${c.name}: no help entry`);
          continue;
        }
        const card = JSON.stringify(helpDetailCard({ ...entry, aliases: [] }, bilingual));
        // What this reader sees: the content (zh) or the en_us texts of the card.
        const seen =
          lng === 'zh-CN'
            ? JSON.stringify(JSON.parse(card, (k, v) => (k === 'i18n_content' ? undefined : v)))
            : [...card.matchAll(/"en_us":"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]).join('\n');
        for (const k of c.keys) if (!seen.includes(`${k}=`)) problems.push(`/${c.name}: README names ${k}= but /help does not show it`);
      }
      expect(problems).toEqual([]);
    });
  }
});
