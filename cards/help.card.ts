import { encodeAction } from './action-value.js';
import { button, card, header, hr, md, type Bi } from './builder.js';
import type { Card } from './card.types.js';

export type Tb = (key: string, params?: Record<string, unknown>) => Bi;

export interface HelpEntry {
  name: string;
  aliases: string[];
  /** The feature namespace holding `help.<name>.summary/usage` (default `help:commands.<name>`). */
  helpNs?: string;
}

/** Where a command's help texts live. */
export const helpKey = (c: HelpEntry): string => (c.helpNs ? `${c.helpNs}:help.${c.name}` : `help:commands.${c.name}`);

const slashList = (names: string[]): string => names.map((n) => `/${n}`).join(' ');

/** The command list: one markdown line per command, in the reader's language. */
export function helpCard(commands: HelpEntry[], tb: Tb): Card {
  const lines = commands.map((c) => {
    const summary = tb(`${helpKey(c)}.summary`);
    const names = `**/${c.name}**${c.aliases.length ? ` · ${slashList(c.aliases)}` : ''}`;
    return { zh: `${names} — ${summary.zh}`, en: `${names} — ${summary.en}` };
  });
  const list: Bi = { zh: lines.map((l) => `- ${l.zh}`).join('\n'), en: lines.map((l) => `- ${l.en}`).join('\n') };
  return card({
    header: header({ title: tb('help:title'), subtitle: tb('help:subtitle'), template: 'blue' }),
    summary: tb('help:title'),
    elements: [md(tb('help:intro')), hr(), md(list), hr(), md(tb('help:footer'))],
  });
}

/** One command's arguments in both languages, with a button back to the full list. */
export function helpDetailCard(command: HelpEntry, tb: Tb): Card {
  const usage = tb(`${helpKey(command)}.usage`);
  const summary = tb(`${helpKey(command)}.summary`);
  const aliasLabel = tb('help:aliases');
  const aliases: Bi | undefined = command.aliases.length
    ? { zh: `${aliasLabel.zh}：${slashList(command.aliases)}`, en: `${aliasLabel.en}: ${slashList(command.aliases)}` }
    : undefined;
  const usageLabel = tb('help:usage');
  // The README promises a command's arguments in both languages (Chinese and English keys both
  // work): each reader sees theirs first, then the other language's.
  const other = tb('cards:help_other_language');
  return card({
    header: header({ title: tb('help:detail_title', { name: command.name }), subtitle: summary, template: 'blue' }),
    summary: tb('help:detail_title', { name: command.name }),
    elements: [
      md({ zh: `**${usageLabel.zh}**\n${usage.zh}`, en: `**${usageLabel.en}**\n${usage.en}` }),
      ...(usage.zh !== usage.en ? [md({ zh: `**${other.zh}**\n${usage.en}`, en: `**${other.en}**\n${usage.zh}` })] : []),
      ...(aliases ? [md(aliases)] : []),
      hr(),
      button({ name: 'help_all', text: tb('help:back'), value: encodeAction({ action: 'help.show' }) }),
    ],
  });
}
