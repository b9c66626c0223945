import { helpCard, helpDetailCard } from '../cards/help.card.js';
import { bilingual } from '../locales/index.js';
import type { Router } from '../bot/core/router.js';
import type { Context } from '../bot/core/types.js';

function entries(router: Router) {
  return router
    .listCommands()
    .filter((c) => c.listed !== false)
    .map((c) => ({ name: c.name, aliases: c.aliases, ...(c.helpNs ? { helpNs: c.helpNs } : {}) }));
}

/** `/help` lists the commands; `/help <command>` shows one command's arguments in both languages. */
export function registerHelp(router: Router): void {
  // The list depends only on the registered commands and the translations: build it once, on
  // first use (every command is registered by then).
  let list: ReturnType<typeof helpCard> | undefined;
  const listCard = () => (list ??= helpCard(entries(router), bilingual));
  router.command({
    name: 'help',
    aliases: ['帮助', 'h', '?'],
    handler: async (ctx: Context) => {
      const asked = ctx.command?.args.split(/\s+/)[0] ?? '';
      if (!asked) {
        await ctx.reply({ type: 'card', card: listCard() });
        return;
      }
      const spec = router.findCommand(asked);
      if (!spec || spec.listed === false) {
        await ctx.reply({ type: 'text', text: ctx.t('help:unknown', { command: asked }) });
        return;
      }
      await ctx.reply({ type: 'card', card: helpDetailCard({ name: spec.name, aliases: spec.aliases, ...(spec.helpNs ? { helpNs: spec.helpNs } : {}) }, ctx.tb) });
    },
  });

  // "Show help" on the welcome card sends the list; "All commands" on a detail card replaces it.
  router.action('help.show', async (ctx) => {
    const card = listCard();
    const e = ctx.event;
    if (e.kind === 'card_action' && e.action.name === 'help_all') {
      ctx.ack({ card: { type: 'raw', data: card } });
      return;
    }
    ctx.ack();
    await ctx.reply({ type: 'card', card });
  });
}
