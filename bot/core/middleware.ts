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

/** Set by the error boundary when handling failed unexpectedly (not a refusal that was answered). */
export const HANDLING_FAILED = 'dedupe.handlingFailed';

/**
 * At-least-once delivery in, exactly-once handling out. The first delivery of a key claims it —
 * a lease, not a mark (DedupeStore) — and is handled; every other delivery is acknowledged and
 * dropped. Then:
 *
 * - handled (success, or a refusal that was answered to the user): the claim becomes `done`, and
 *   only then is a message or system event acknowledged;
 * - failed unexpectedly (the error boundary said "something went wrong", or an answer could not
 *   be delivered — unless Lark refused it for good, see `permanent` on LarkApiError, which
 *   counts as handled): the claim is released and a message or system event is refused for
 *   redelivery (webhook 503, long connection 500), so Lark's redelivery 15 s later is handled
 *   afresh; request creation is idempotent by this key (`sourceKey`), and decisions are guarded
 *   by the request version, so a second run does not double anything;
 * - the process died: the lease runs out (DEDUPE_LEASE_MS, shorter than Lark's first redelivery)
 *   and the redelivery takes it over. While the handler runs, the lease is renewed every half
 *   lease (heartbeat), so a slow handler is not taken over.
 *
 * When a message is acknowledged: after handling, not after the claim, so that a crash before the
 * answer leaves the event unacknowledged and Lark delivers it again. The transport still answers
 * Lark by its deadline (bot/transports/lark/intake.ts: 2.5 s of Lark's 3 s) when handling takes
 * longer; such a slow handler that then crashes is not redelivered — what it committed is
 * finished by the recovery sweep, what it had not committed is lost and the user asks again.
 * Card clicks answer from the handler (the toast), as before: Lark never redelivers a click.
 */
export const dedupe: Middleware = async (ctx, next) => {
  const store = ctx.services.dedupe;
  const key = dedupeKey(ctx.event);
  let first: boolean;
  try {
    first = await store.claim(key);
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
  const stopHeartbeat = heartbeat(ctx, key);
  let thrown: { err: unknown } | undefined;
  try {
    await next();
  } catch (err) {
    thrown = { err };
  } finally {
    stopHeartbeat();
  }
  if (thrown || ctx.state[HANDLING_FAILED] === true) {
    try {
      await store.release(key);
    } catch (err) {
      // The lease then runs out by itself and the redelivery takes it over.
      ctx.log.warn('could not release the delivery claim; it expires with its lease', { key, err });
    }
    if (thrown) throw thrown.err instanceof RetryLater ? thrown.err : new RetryLater(thrown.err);
    if (ctx.event.kind !== 'card_action') ctx.ack(undefined, { retry: true });
    return;
  }
  try {
    await store.done(key);
  } catch (err) {
    // Handled and answered: acknowledge anyway. A duplicate arriving after the lease ran out
    // would be handled again; asking Lark for a redelivery now would certainly be.
    ctx.log.warn('could not mark the delivery handled', { key, err });
  }
  ctx.ack();
};

/** Renews the claim every half lease while the handler runs; returns the stop function. */
function heartbeat(ctx: Context, key: string): () => void {
  const store = ctx.services.dedupe;
  let stopped = false;
  const timer = setInterval(
    () => {
      store.renew(key).then(
        (held) => {
          // A renewal that crossed `done` finds nothing to renew: not a lost lease.
          if (!held && !stopped) ctx.log.warn('delivery lease lost while handling; another delivery may take over', { key });
        },
        (err: unknown) => ctx.log.warn('could not renew the delivery lease', { key, err }),
      );
    },
    Math.max(1, Math.floor(store.leaseMs / 2)),
  );
  timer.unref();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}

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
      failedUnlessPermanent(ctx, await answerErrorText(ctx, ctx.locale === 'en-US' ? both.en : both.zh, both));
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
      // Not a refusal: the delivery is released and redelivered (see dedupe).
      failedUnlessPermanent(ctx, err);
    }
    failedUnlessPermanent(ctx, await answerErrorText(ctx, text, ctx.tb(toastKey, params)));
  }
};

/**
 * Marks the handling failed (release the claim, ask for redelivery) — unless there was no error,
 * or Lark refused a call for good (`permanent`, e.g. the user blocked the bot): handling the
 * delivery again cannot help then, so it counts as handled.
 */
function failedUnlessPermanent(ctx: Context, err: unknown): void {
  if (err === undefined) return;
  if ((err as { permanent?: unknown } | null)?.permanent === true) return;
  ctx.state[HANDLING_FAILED] = true;
}

/** Answers an error in the conversation (a toast for a click not yet answered); the error when that failed. */
async function answerErrorText(ctx: Context, text: string, both: { zh: string; en: string }): Promise<unknown> {
  try {
    if (ctx.event.kind === 'card_action') {
      const toast = { type: 'error' as const, content: text, i18n: { zh_cn: both.zh, en_us: both.en } };
      if (!ctx.acked) {
        ctx.ack({ toast });
        return undefined;
      }
    }
    if (ctx.event.kind === 'system' && !ctx.chatId) return undefined;
    await ctx.reply({ type: 'text', text });
    return undefined;
  } catch (err) {
    ctx.log.error('could not deliver the error answer', { err });
    return err ?? new Error('error answer failed');
  }
}
