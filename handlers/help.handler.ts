import { helpCard, helpDetailCard } from '../cards/help.card.js';
import type { Router } from '../bot/core/router.js';
import type { Context } from '../bot/core/types.js';

function entries(router: Router) {
  return router
    .listCommands()
    .filter((c) => c.listed !== false)
    .map((c) => ({ name: c.name, aliases: c.aliases }));
}

/** `/help` lists the commands; `/help <command>` shows one command's arguments in both languages. */
export function registerHelp(router: Router): void {
  router.command({
    name: 'help',
    aliases: ['帮助', 'h', '?'],
    handler: async (ctx: Context) => {
      const asked = ctx.command?.args.split(/\s+/)[0] ?? '';
      if (!asked) {
        await ctx.reply({ type: 'card', card: helpCard(entries(router), ctx.tb) });
        return;
      }
      const spec = router.findCommand(asked);
      if (!spec || spec.listed === false) {
        await ctx.reply({ type: 'text', text: ctx.t('help:unknown', { command: asked }) });
        return;
      }
      await ctx.reply({ type: 'card', card: helpDetailCard({ name: spec.name, aliases: spec.aliases }, ctx.tb) });
    },
  });

  // "Show help" on the welcome card sends the list; "All commands" on a detail card replaces it.
  router.action('help.show', async (ctx) => {
    const card = helpCard(entries(router), ctx.tb);
    const e = ctx.event;
    if (e.kind === 'card_action' && e.action.name === 'help_all') {
      ctx.ack({ card: { type: 'raw', data: card } });
      return;
    }
    ctx.ack();
    await ctx.reply({ type: 'card', card });
  });
}
