import { createHash } from 'node:crypto';
import { bilingual, translator } from '../../locales/index.js';
import { RetryLater } from './errors.js';
import type { Ack, BotEvent, CardResponse, Context, Middleware, OutMessage, Services } from './types.js';

/** A stable Lark `uuid` (≤ 50 chars) for one logical send, so a redelivery never sends twice. */
export function sendUuid(logicalKey: string): string {
  return createHash('sha256').update(logicalKey).digest('base64url').slice(0, 40);
}

export function actorOf(event: BotEvent): string | undefined {
  switch (event.kind) {
    case 'message':
      return event.sender.openId;
    case 'card_action':
      return event.operator.openId;
    case 'system':
      return event.operator?.openId;
  }
}

export function chatOf(event: BotEvent): string | undefined {
  return event.chatId;
}

/**
 * The bot: a middleware chain over normalised events. Transports call `dispatch(event, ack)`;
 * nothing here knows about HTTP or WebSockets.
 */
export class App {
  private readonly chain: Middleware[] = [];
  /** Dispatches under way (a handler still working after its acknowledgement included), for a graceful stop. */
  private readonly inFlight = new Map<Promise<void>, { kind: BotEvent['kind']; id: string; since: number }>();

  constructor(readonly services: Services) {}

  /** The events being handled now, oldest first, with how long each has run (logged when a stop runs out of time). */
  running(): { kind: BotEvent['kind']; id: string; ms: number }[] {
    const now = performance.now();
    return [...this.inFlight.values()].map((d) => ({ kind: d.kind, id: d.id, ms: Math.round(now - d.since) }));
  }

  /** Settles when no dispatch is under way (ones started meanwhile are waited for too). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight.keys()]);
  }

  use(...mw: Middleware[]): this {
    this.chain.push(...mw);
    return this;
  }

  /** Runs the chain for one event. Never rejects: the last-resort catch logs and answers. */
  dispatch(event: BotEvent, ack: Ack): Promise<void> {
    const run = this.handle(event, ack);
    this.inFlight.set(run, { kind: event.kind, id: event.id, since: performance.now() });
    const done = () => void this.inFlight.delete(run);
    run.then(done, done);
    return run;
  }

  private async handle(event: BotEvent, ack: Ack): Promise<void> {
    const started = performance.now();
    const ctx = this.createContext(event, ack);
    const { metrics } = this.services;
    metrics.eventsReceived.inc({ kind: event.kind });
    try {
      await this.run(ctx, 0);
    } catch (err) {
      metrics.eventsFailed.inc({ kind: event.kind });
      if (err instanceof RetryLater) {
        ctx.log.warn('event not recorded; asking for redelivery', { err: err.message });
        // Lark never redelivers a click: tell the person to try again instead.
        if (event.kind === 'card_action') ctx.ack({ toast: busyToast() });
        else ctx.ack(undefined, { retry: true });
      } else {
        ctx.log.error('unhandled error in dispatch', { err });
        ctx.ack(event.kind === 'card_action' ? { toast: fallbackErrorToast() } : undefined);
      }
    } finally {
      if (!ctx.acked) ctx.ack();
      metrics.handlerLatency.observe((performance.now() - started) / 1000, { kind: event.kind });
    }
  }

  private async run(ctx: Context, i: number): Promise<void> {
    const mw = this.chain[i];
    if (!mw) return;
    await mw(ctx, () => this.run(ctx, i + 1));
  }

  createContext(event: BotEvent, ack: Ack): Context {
    const services = this.services;
    const locale = services.defaultLocale;
    let acked = false;
    let replies = 0;
    let privates = 0;
    let noted = false;
    const log = services.logger.child({ event: event.kind, id: event.id });
    const replyHere = async (message: OutMessage) => {
      // The content is part of the key: a handling that runs again after a crash sends the same
      // answer under the same uuid (Lark keeps one), while a different answer — the real one after
      // an earlier attempt said "something went wrong" — is not swallowed as its duplicate.
      const uuid = sendUuid(`reply:${event.tenantKey}:${event.id}:${replies++}:${JSON.stringify(message)}`);
      if (event.kind === 'message') return services.sender.reply(event.messageId, message, { uuid });
      if (event.chatId) return services.sender.send({ chatId: event.chatId }, message, { uuid });
      if (ctx.actorId) return services.sender.send({ openId: ctx.actorId }, message, { uuid });
      log.warn('reply dropped: event has no chat and no actor');
      return undefined;
    };
    /** The group's short note after (or instead of) a private answer: once per event, never the content. */
    const noteInChat = async (key: string) => {
      if (event.kind !== 'message' || noted) return;
      noted = true;
      try {
        await replyHere({ type: 'text', text: ctx.t(key) });
      } catch (err) {
        log.warn('note in the chat not delivered', { err });
      }
    };
    const ctx: Context = {
      event,
      services,
      log,
      tenantKey: event.tenantKey,
      actorId: actorOf(event),
      chatId: chatOf(event),
      locale,
      t: translator(locale),
      tb: (key, params) => bilingual(key, params),
      ack: (response?: CardResponse, opts?: { retry?: boolean }) => {
        if (acked) return;
        acked = true;
        try {
          ack(response, opts);
        } catch (err) {
          log.warn('ack failed', { err });
        }
      },
      get acked() {
        return acked;
      },
      reply: replyHere,
      replyPrivately: async (message: OutMessage) => {
        // A p2p chat is already private; a handler may have swapped `ctx.reply` for this very
        // function, so the conversation is answered through `replyHere`, never `ctx.reply`.
        if (event.kind === 'message' && event.chatType === 'p2p') return replyHere(message);
        if (!ctx.actorId) {
          log.warn('private answer dropped: event has no actor');
          return undefined;
        }
        const uuid = sendUuid(`private:${event.tenantKey}:${event.id}:${privates++}:${JSON.stringify(message)}`);
        let sent: { messageId: string };
        try {
          sent = await services.sender.send({ openId: ctx.actorId }, message, { uuid });
        } catch (err) {
          // Never fall back to the group: tell the asker (only that) and keep the content back.
          log.warn('private answer not delivered', { err });
          await noteInChat('common:private.failed');
          return undefined;
        }
        await noteInChat('common:private.sent');
        return sent;
      },
      state: {},
    };
    return ctx;
  }
}

function busyToast() {
  const text = bilingual('errors:busy');
  return { type: 'error' as const, content: text.zh, i18n: { zh_cn: text.zh, en_us: text.en } };
}

export function fallbackErrorToast() {
  const text = bilingual('errors:internal', { ref: '' });
  return { type: 'error' as const, content: text.zh, i18n: { zh_cn: text.zh, en_us: text.en } };
}
