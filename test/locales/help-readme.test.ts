// `/help <command>` matches the README (issue 7, item 6): every command of the README's command
// table has a help entry, and the `/help <command>` card shows every `key=` argument the README
// names for it, to a Chinese and to an English reader alike ("a command's arguments in both languages").
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { helpDetailCard } from '../../cards/help.card.js';
import { bilingual } from '../../locales/index.js';

const root = join(import.meta.dirname, '../..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const help = (lng: string) => JSON.parse(readFileSync(join(root, `locales/${lng}/help.json`), 'utf8')) as { commands: Record<string, { usage: string }> };

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

  for (const lng of ['zh-CN', 'en-US'] as const) {
    it(`every README command has help; its card (${lng} reader) names the README's arguments`, () => {
      const h = help(lng).commands;
      const problems: string[] = [];
      for (const c of commands) {
        if (!h[c.name]?.usage) {
          problems.push(`/${c.name}: no help entry`);
          continue;
        }
        const card = JSON.stringify(helpDetailCard({ name: c.name, aliases: [] }, bilingual));
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
