import { encodeAction } from './action-value.js';
import { button, card, header, md } from './builder.js';
import type { Card } from './card.types.js';
import type { Tb } from './help.card.js';

/** Shown when a user opens the chat with the bot, or when the bot joins a group. */
export function welcomeCard(where: 'p2p' | 'group', tb: Tb, name?: { zh: string; en: string }): Card {
  const text =
    where === 'group'
      ? tb('common:welcome.body_group')
      : {
          zh: tb('common:welcome.body_p2p', { name: name ? `，${name.zh}` : '' }).zh,
          en: tb('common:welcome.body_p2p', { name: name ? ` ${name.en}` : '' }).en,
        };
  return card({
    header: header({ title: tb('common:welcome.title'), subtitle: tb('common:welcome.subtitle'), template: 'turquoise' }),
    summary: tb('common:welcome.title'),
    elements: [
      md(text),
      md(tb('common:welcome.rule')),
      md(tb('common:welcome.start')),
      button({ name: 'welcome_help', text: tb('common:welcome.help_button'), type: 'primary', value: encodeAction({ action: 'help.show' }) }),
    ],
  });
}
