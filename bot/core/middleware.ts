import { randomBytes } from 'node:crypto';
import { translator } from '../../locales/index.js';
import { isBotError, RetryLater } from './errors.js';
import type { BotEvent, Context, Middleware } from './types.js';

/** Drops the bot's own messages (and other apps' messages) before anything else looks at them. */
export const ignoreSelf: Middleware = async (ctx, next) => {
  const e = ctx.event;
  if (e.kind === 'message') {
    const self = ctx.services.self;
    if (e.sender.type === 'app' || (self.openId && e.sender.openId === self.openId)) {
      ctx.ack();
      return;
    }
  }
  await next();
};

/**
 * What makes a delivery the same delivery: a message's message_id (Lark advises against event_id
 * for messages), a system event's event_id, a click's callback token (`c-…`, one per click). The
 * button's own nonce and request version (in its value) are not a delivery key: two people, or one
 * person twice, may click the same button and each click needs its own answer ("already decided
 * by …"); a stale button is stopped by the version guard instead.
 */
export function dedupeKey(event: BotEvent): string {
  switch (event.kind) {
    case 'message':
      return `msg:${event.messageId}`;
    case 'card_action':
      return `card:${event.token || event.id}`;
    case 'system':
      return `evt:${event.eventId ?? event.id}`;
  }
}

/**
 * At-least-once delivery in, exactly-once handling out: the first delivery claims the key
 * (a unique insert) and is processed; every other delivery is acknowledged and dropped.
 * Events are acknowledged as soon as the claim is stored, before any slow work.
 */
export const dedupe: Middleware = async (ctx, next) => {
  const key = dedupeKey(ctx.event);
  let first: boolean;
  try {
    first = await ctx.services.dedupe.claim(key);
  } catch (err) {
    // Nothing is recorded: better delivered again later than acknowledged and lost.
    throw new RetryLater(err);
  }
  if (!first) {
    ctx.services.metrics.eventsDeduplicated.inc({ kind: ctx.event.kind });
    ctx.log.info('duplicate delivery dropped', { key });
    ctx.ack();
    return;
  }
  if (ctx.event.kind !== 'card_action') ctx.ack();
  await next();
};

/** Serialises events of one chat (messages and system events) while other chats run in parallel. */
export function sequentialize(keyOf: (ctx: Context) => string | undefined = defaultChatKey): Middleware {
  const tails = new Map<string, Promise<void>>();
  return async (ctx, next) => {
    const key = keyOf(ctx);
    if (!key) return next();
    const previous = tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = previous.then(() => mine);
    tails.set(key, tail);
    await previous;
    try {
      await next();
    } finally {
      release();
      if (tails.get(key) === tail) tails.delete(key);
    }
  };
}

function defaultChatKey(ctx: Context): string | undefined {
  if (ctx.event.kind === 'card_action') return undefined;
  return ctx.chatId ? `${ctx.tenantKey}:${ctx.chatId}` : undefined;
}

/** Picks the actor's language (their `/lang` choice, else the unit default). */
export const i18n: Middleware = async (ctx, next) => {
  if (ctx.actorId) {
    try {
      const chosen = await ctx.services.prefs.getLocale(ctx.tenantKey, ctx.actorId);
      if (chosen) {
        ctx.locale = chosen;
        ctx.t = translator(chosen);
      }
    } catch (err) {
      ctx.log.warn('could not read language preference; using the default', { err });
    }
  }
  await next();
};

/**
 * Turns every failure into a localised answer: coded errors say what was wrong; anything else
 * says "something went wrong" with a reference the security officer can find in the logs.
 */
export const errorBoundary: Middleware = async (ctx, next) => {
  try {
    await next();
  } catch (err) {
    ctx.services.metrics.eventsFailed.inc({ kind: ctx.event.kind });
    let text: string;
    let toastKey: string;
    let params: Record<string, unknown>;
    if (isBotError(err) && err.text) {
      ctx.log.info('request refused', { code: err.key });
      const both = err.text;
      await answerErrorText(ctx, ctx.locale === 'en-US' ? both.en : both.zh, both);
      return;
    }
    if (isBotError(err)) {
      toastKey = err.key;
      params = err.params;
      text = ctx.t(err.key, err.params);
      ctx.log.info('request refused', { code: err.key });
    } else {
      const ref = randomBytes(4).toString('hex');
      toastKey = 'errors:internal';
      params = { ref };
      text = ctx.t(toastKey, params);
      ctx.log.error('handler failed', { err, ref, stack: err instanceof Error ? err.stack : undefined });
    }
    await answerError(ctx, text, toastKey, params);
  }
};

async function answerError(ctx: Context, text: string, key: string, params: Record<string, unknown>): Promise<void> {
  await answerErrorText(ctx, text, ctx.tb(key, params));
}

async function answerErrorText(ctx: Context, text: string, both: { zh: string; en: string }): Promise<void> {
  try {
    if (ctx.event.kind === 'card_action') {
      const toast = { type: 'error' as const, content: text, i18n: { zh_cn: both.zh, en_us: both.en } };
      if (!ctx.acked) {
        ctx.ack({ toast });
        return;
      }
    }
    if (ctx.event.kind === 'system' && !ctx.chatId) return;
    await ctx.reply({ type: 'text', text });
  } catch (err) {
    ctx.log.error('could not deliver the error answer', { err });
  }
}
