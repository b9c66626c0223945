import type { App } from '../../core/app.js';
import type { Logger } from '../../core/logger.js';
import type { Metrics } from '../../core/metrics.js';
import type { BotEvent, CardResponse } from '../../core/types.js';
import { bilingual } from '../../../locales/index.js';
import { normalise } from './normalise.js';

/**
 * Hands a verified, decrypted body to the app and resolves with what the transport must answer:
 * for events, as soon as the app acknowledged — after handling (the dedupe middleware marks the
 * claim done, then acknowledges; a crash before that leaves the event unanswered, so Lark delivers
 * it again) — or the deadline passed (work continues; Lark is answered 200 in time);
 * for card clicks, the app's answer or, past the deadline, a "processing" toast.
 */
export interface IntakeDeps {
  app: App;
  logger: Logger;
  metrics: Metrics;
  selfOpenId?: () => string | undefined;
  /**
   * Answer Lark before its 3 s deadline even if the app has not acknowledged yet (default 2.5 s).
   * Past it an event is answered 200, so a handler slower than this that then crashes is not
   * redelivered (what it committed is finished by the recovery sweep).
   */
  ackDeadlineMs?: number;
}

/** Thrown to the transport when the event must be delivered again (webhook: 503; WS: code 500). */
export class RedeliveryNeeded extends Error {
  constructor() {
    super('event not recorded; redeliver');
    this.name = 'RedeliveryNeeded';
  }
}

export async function intake(deps: IntakeDeps, body: unknown, transport: 'webhook' | 'ws'): Promise<CardResponse | Record<string, never>> {
  const started = performance.now();
  const result = normalise(body, { selfOpenId: deps.selfOpenId?.() });
  if (!result.ok) {
    deps.logger.warn('unrecognised event ignored', { reason: result.reason, transport });
    return {};
  }
  const event: BotEvent = result.event;
  let resolveAck!: (r: CardResponse | undefined | 'retry') => void;
  const acked = new Promise<CardResponse | undefined | 'retry'>((r) => (resolveAck = r));
  const done = deps.app.dispatch(event, (response, opts) => resolveAck(opts?.retry ? 'retry' : response));
  done.then(() => resolveAck(undefined)).catch(() => resolveAck(undefined));

  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((r) => {
    timer = setTimeout(() => r('timeout'), deps.ackDeadlineMs ?? 2500);
  });
  const answer = await Promise.race([acked, deadline]);
  clearTimeout(timer);
  deps.metrics.ackLatency.observe((performance.now() - started) / 1000, { kind: event.kind });
  if (answer === 'retry') throw new RedeliveryNeeded();
  if (answer === 'timeout') {
    deps.logger.warn('acknowledged on deadline; work continues', { kind: event.kind, id: event.id });
    if (event.kind === 'card_action') {
      const text = bilingual('common:processing');
      return { toast: { type: 'info', content: text.zh, i18n: { zh_cn: text.zh, en_us: text.en } } };
    }
    return {};
  }
  return answer ?? {};
}
