// `/inventory` (`/清查`) for the security office, and the inventory card's buttons.
import type { Locale } from '../../bot/core/config.js';
import { BotError } from '../../bot/core/errors.js';
import { actionOf, type Router } from '../../bot/core/router.js';
import type { Context } from '../../bot/core/types.js';
import { INVENTORY_ACTION, INVENTORY_HELD, INVENTORY_MISSING, INVENTORY_MISSING_FIELD, INVENTORY_PAGE, inventoryCard, inventoryProgressCard } from '../../cards/register.card.js';
import { forReader } from '../../cards/reader.js';
import { tr } from '../../cards/request.card.js';
import { hasAnyRole, OFFICE, type RegisterDeps } from './deps.js';
import { cardView, type Inventory, ROUND_ID } from './inventory.js';

const langOf = (ctx: Context): Locale => (ctx.locale === 'en-US' ? 'en-US' : 'zh-CN');

export function registerCommands(router: Router, deps: () => RegisterDeps, inventory: () => Inventory): void {
  router.command({
    name: 'inventory',
    aliases: ['清查'],
    private: true,
    helpNs: 'register',
    handler: async (ctx) => {
      const d = deps();
      const arg = (ctx.command?.args ?? '').trim();
      if (!(await hasAnyRole(d, ctx.tenantKey, ctx.actorId!, OFFICE))) {
        await d.audit.record(ctx.tenantKey, {
          actorId: ctx.actorId!,
          action: 'inventory.view',
          objectType: 'inventory',
          objectId: arg || 'CURRENT',
          channel: 'command',
          outcome: 'refused',
          reason: 'not_allowed',
        });
        throw new BotError('register:inventory.not_allowed');
      }
      if (arg && !ROUND_ID.test(arg.toUpperCase())) throw new BotError('register:inventory.usage');
      const round = arg ? await d.inventory.getRound(ctx.tenantKey, arg.toUpperCase()) : await d.inventory.latestRound(ctx.tenantKey);
      if (!round)
        return void (await ctx.reply({ type: 'text', text: ctx.t(arg ? 'register:inventory.no_such_round' : 'register:inventory.no_round', { round: arg.toUpperCase() }) }));
      const view = await inventory().progress(round);
      const names = await d.people.names(
        ctx.tenantKey,
        view.checks.map((c) => c.custodianId),
      );
      await ctx.reply({ type: 'card', card: forReader(inventoryProgressCard(view, { tb: ctx.tb, names, timeZone: d.timezone }), langOf(ctx)) });
    },
  });

  router.action(INVENTORY_ACTION, async (ctx) => {
    const d = deps();
    const a = actionOf(ctx);
    const roundId = a.requestId;
    if (!roundId || ![INVENTORY_HELD, INVENTORY_MISSING, INVENTORY_PAGE].includes(a.action)) throw new BotError('errors:bad_action');
    const actor = ctx.actorId!;
    // The card answers only its custodian (named in the button), and only for their check of that round.
    const custodian = String(a.extra?.c ?? '');
    const check = custodian === actor ? await d.inventory.getCheck(ctx.tenantKey, roundId, actor) : null;
    if (!check) {
      await d.audit.record(ctx.tenantKey, {
        actorId: actor,
        action: 'inventory.card',
        objectType: 'inventory',
        objectId: roundId,
        channel: 'card',
        outcome: 'refused',
        reason: 'not_custodian',
      });
      throw new BotError('register:inventory.not_yours');
    }
    const page = Number(a.extra?.p ?? 0);
    const form = ctx.event.kind === 'card_action' ? ctx.event.action.formValue : undefined;
    const picked = form?.[INVENTORY_MISSING_FIELD];
    const selected = (Array.isArray(picked) ? picked : typeof picked === 'string' && picked ? [picked] : []).filter((x): x is string => typeof x === 'string' && x !== '');
    let toast: { zh: string; en: string } | undefined;
    let kind: 'success' | 'info' | 'warning' = 'success';
    if (a.action === INVENTORY_HELD) {
      if (selected.length) throw new BotError('register:inventory.held_with_selection', { count: selected.length });
      const r = await inventory().confirm(ctx.tenantKey, roundId, actor);
      if (r === 'already') kind = 'info';
      toast = ctx.tb(r === 'already' ? 'register:inventory.toast_already' : check.missing.length ? 'register:inventory.toast_rest_held' : 'register:inventory.toast_held');
    } else if (a.action === INVENTORY_MISSING) {
      if (selected.length === 0) throw new BotError('register:inventory.pick_first');
      const r = await inventory().reportMissing(ctx.tenantKey, roundId, actor, selected);
      if (r.outcome === 'not_listed') throw new BotError('register:inventory.not_listed', { list: r.numbers.join(', ') });
      if (r.outcome === 'not_found') throw new BotError('register:inventory.not_yours');
      if (r.outcome === 'confirmed') {
        kind = 'info';
        toast = ctx.tb('register:inventory.toast_already');
      } else if (r.outcome === 'nothing_new') {
        kind = 'info';
        toast = ctx.tb('register:inventory.toast_missing_already');
      } else if (r.refused) {
        // The incidents feature refused (permanent): say so, never "being opened".
        kind = 'warning';
        toast = tr(ctx.tb, 'register:inventory.toast_missing_refused', { count: r.numbers.length, reason: r.refused.reason });
      } else
        toast = ctx.tb(r.incidentId ? 'register:inventory.toast_missing' : 'register:inventory.toast_missing_pending', { count: r.numbers.length, incident: r.incidentId ?? '' });
    }
    const fresh = (await d.inventory.getCheck(ctx.tenantKey, roundId, actor)) ?? check;
    const lang = langOf(ctx);
    const card = forReader(inventoryCard(cardView(fresh), { tb: ctx.tb, lang, timeZone: d.timezone, page: Number.isFinite(page) ? page : 0 }), lang);
    ctx.ack({
      ...(toast ? { toast: { type: kind, content: lang === 'en-US' ? toast.en : toast.zh, i18n: { zh_cn: toast.zh, en_us: toast.en } } } : {}),
      card: { type: 'raw', data: card },
    });
  });
}
