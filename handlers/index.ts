import { Router } from '../bot/core/router.js';
import { registerHelp } from './help.handler.js';
import { registerLang } from './lang.handler.js';
import { registerWelcome } from './welcome.handler.js';

/** Every feature, mounted on one router. Order matters only for /help's listing. */
export function buildRouter(): Router {
  const router = new Router();
  registerHelp(router);
  registerLang(router);
  registerWelcome(router);
  router.text(async (ctx) => {
    if (ctx.event.kind === 'message' && ctx.event.chatType === 'p2p') {
      await ctx.reply({ type: 'text', text: ctx.t('common:not_a_command') });
    }
  });
  return router;
}
