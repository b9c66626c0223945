import { parseLocale, translator } from '../locales/index.js';
import type { Router } from '../bot/core/router.js';

/** `/lang zh|en` stores the user's reply language; `/lang` alone shows it. */
export function registerLang(router: Router): void {
  router.command({
    name: 'lang',
    aliases: ['语言', 'language'],
    handler: async (ctx) => {
      const value = ctx.command?.args.trim() ?? '';
      if (!value) {
        await ctx.reply({ type: 'text', text: ctx.t('common:lang.current') });
        return;
      }
      const locale = parseLocale(value);
      if (!locale) {
        await ctx.reply({ type: 'text', text: ctx.t('common:lang.unknown', { value }) });
        return;
      }
      if (ctx.actorId) await ctx.services.prefs.setLocale(ctx.tenantKey, ctx.actorId, locale);
      ctx.locale = locale;
      ctx.t = translator(locale);
      await ctx.reply({ type: 'text', text: ctx.t('common:lang.set') });
    },
  });
}
