import { welcomeCard } from '../cards/welcome.card.js';
import type { Router } from '../bot/core/router.js';

/** A welcome card the first time a user opens the chat with the bot, and when the bot joins a group. */
export function registerWelcome(router: Router): void {
  router.system('im.chat.access_event.bot_p2p_chat_entered_v1', async (ctx) => {
    if (!ctx.actorId) return;
    if (!(await ctx.services.prefs.markWelcomed(ctx.tenantKey, ctx.actorId))) return;
    await ctx.reply({ type: 'card', card: welcomeCard('p2p', ctx.tb) });
  });
  // Legacy v1 event some tenants still receive for a new p2p chat.
  router.system('p2p_chat_create', async (ctx) => {
    if (!ctx.actorId) return;
    if (!(await ctx.services.prefs.markWelcomed(ctx.tenantKey, ctx.actorId))) return;
    await ctx.reply({ type: 'card', card: welcomeCard('p2p', ctx.tb) });
  });
  router.system('im.chat.member.bot.added_v1', async (ctx) => {
    if (!ctx.chatId) return;
    await ctx.reply({ type: 'card', card: welcomeCard('group', ctx.tb) });
  });
}
