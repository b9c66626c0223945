import { BotError } from '../bot/core/errors.js';
import { actionOf, type Router } from '../bot/core/router.js';
import type { Bi, Context } from '../bot/core/types.js';
import { deadLettersCard, type DeadLetterView } from '../cards/deadletters.card.js';
import { parseRequestId, type Role } from '../domain/index.js';
import type { People } from './approvals/people.js';
import type { DeadEffect } from './approvals/ports.js';
import type { ApprovalService } from './approvals/service.js';

export interface DeadLetterDeps {
  service: ApprovalService;
  people: People;
}

/** Who sees and retries dead letters: the security office and administrators. */
const ALLOWED: readonly Role[] = ['security_officer', 'security_head', 'admin'];
const OPEN_ID_G = /ou_[0-9A-Za-z_]+/g;

async function allowed(deps: DeadLetterDeps, ctx: Context): Promise<boolean> {
  for (const r of ALLOWED) if (await deps.people.hasRole(ctx.tenantKey, ctx.actorId!, r)) return true;
  return false;
}

/** What the effect was, for a person: "message to 孙浩", "CARRY ledger entry", … */
function describe(ctx: Context, e: DeadEffect, names: (id: string) => Bi): Bi {
  switch (e.type) {
    case 'notify': {
      const who = 'to' in e ? names(e.to) : ctx.tb(`cards:role.${e.toRole}`);
      return { zh: ctx.tb('cards:dead.what.notify', { who: who.zh }).zh, en: ctx.tb('cards:dead.what.notify', { who: who.en }).en };
    }
    case 'ledger':
      return ctx.tb('cards:dead.what.ledger', { ledger: e.ledger });
    case 'carrier.status':
    case 'carrier.create':
      return ctx.tb(`cards:dead.what.${e.type === 'carrier.status' ? 'carrier_status' : 'carrier_create'}`, { number: e.number });
    default:
      return ctx.tb(`cards:dead.what.${e.type.replace('.', '_')}`);
  }
}

/**
 * `/deadletters` (`/失败投递`): what the bot gave up on — a message Lark refused for good (the
 * person is outside the app's availability, blocked the bot…), a write that kept failing — listed
 * privately for the security office and administrators, with `retry <id>` / `retry all` and a
 * Retry-all button. Nothing is dropped silently: until retried, a dead letter stays here and in
 * `/metrics` (baomi_dead_letters).
 */
export function registerDeadLetters(router: Router, deps: DeadLetterDeps): void {
  const view = async (ctx: Context) => {
    const letters = await deps.service.deadLetters(ctx.tenantKey, 50);
    const ids = new Set<string>();
    for (const l of letters) {
      if (l.effect.type === 'notify' && 'to' in l.effect) ids.add(l.effect.to);
      for (const m of l.effect.lastError.match(OPEN_ID_G) ?? []) ids.add(m);
    }
    const names = await deps.people.names(ctx.tenantKey, ids);
    const views: DeadLetterView[] = letters.map((l) => ({
      requestId: l.requestId,
      what: describe(ctx, l.effect, names),
      attempts: l.effect.attempts,
      diedAt: new Date(l.effect.diedAt),
      error: l.effect.lastError.replace(OPEN_ID_G, (id) => (ctx.locale === 'en-US' ? names(id).en : names(id).zh)),
    }));
    return { card: deadLettersCard(views, { tb: ctx.tb, timeZone: ctx.services.timezone }), requestIds: [...new Set(letters.map((l) => l.requestId))] };
  };

  /** Revives the letters of `ids`; their runs go on in the background (`done`). */
  const retry = async (ctx: Context, ids: string[]) => {
    let n = 0;
    const runs: Promise<void>[] = [];
    for (const id of ids) {
      const r = await deps.service.retryDead(ctx.tenantKey, id);
      n += r.revived;
      runs.push(r.done);
    }
    return { n, done: Promise.all(runs).then(() => undefined) };
  };

  router.command({
    name: 'deadletters',
    aliases: ['失败投递', '死信'],
    handler: async (ctx) => {
      if (!(await allowed(deps, ctx))) throw new BotError('request:dead.not_allowed');
      const [sub, arg] = (ctx.command?.args ?? '').trim().split(/\s+/);
      if (!sub) {
        await ctx.replyPrivately({ type: 'card', card: (await view(ctx)).card });
        return;
      }
      if (!['retry', '重试'].includes(sub.toLowerCase())) throw new BotError('request:dead.usage');
      if (!arg) throw new BotError('request:dead.usage');
      let ids: string[];
      if (['all', '全部'].includes(arg.toLowerCase())) ids = (await view(ctx)).requestIds;
      else {
        const parsed = parseRequestId(arg);
        if (!parsed) throw new BotError('request:bad_id', { id: arg });
        ids = [parsed.id];
      }
      const { n, done } = await retry(ctx, ids);
      await done;
      const left = (await deps.service.deadLetters(ctx.tenantKey, 50)).filter((l) => ids.includes(l.requestId)).length;
      await ctx.reply({ type: 'text', text: ctx.t('request:dead.retried', { count: n, left }) });
    },
  });

  router.action('dead.retry_all', async (ctx) => {
    actionOf(ctx);
    if (!(await allowed(deps, ctx))) throw new BotError('request:dead.not_allowed');
    const { n, done } = await retry(ctx, (await view(ctx)).requestIds);
    // Answer the click at once (Lark waits 3 s at most); the runs go on, and what fails again is
    // back on the list the next time it is asked for.
    const text = ctx.tb('request:dead.requeued', { count: n });
    ctx.ack({ toast: { type: 'success', content: text.zh, i18n: { zh_cn: text.zh, en_us: text.en } } });
    await done;
  });
}
