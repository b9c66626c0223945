/**
 * The alarm sweep (models/alarm.model.ts): every minute, one instance per slot (scheduler/tasks.ts
 * `alarms.sweep`), due alarms are claimed and handed to the feature that owns their topic.
 *
 * A handler answers `done` (its messages are on their way: it sent them through the fan-out under
 * ids derived from the alarm, so a crash before `done` and a second hand-over reach nobody twice),
 * `skip` (the thing is no longer due: the report was made, the person confirmed) or throws: the
 * alarm is tried again after a back-off (1, 2, 4 … minutes, at most an hour) and marked failed
 * after MAX_ALARM_ATTEMPTS. An alarm of a topic nobody handles is failed at once, loudly.
 *
 * `notifyByLanguage` is how a feature sends a notice: one fan-out notice per language of the
 * recipients, each card in its reader's language (docs/design.md: reader language).
 */
import type { Locale } from '../bot/core/config.js';
import type { Logger } from '../bot/core/logger.js';
import type { UserPrefsStore } from '../bot/core/types.js';
import type { Card } from '../cards/card.types.js';
import { forReader } from '../cards/reader.js';
import type { Alarm, AlarmStore } from '../models/alarm.model.js';
import type { FanoutService } from './fanout.js';

export type AlarmOutcome = 'done' | 'skip';
export type AlarmHandler = (alarm: Alarm) => Promise<AlarmOutcome>;

export interface AlarmSweepOptions {
  store: Pick<AlarmStore, 'claimDue' | 'done' | 'retry' | 'fail' | 'revive'>;
  handlers: ReadonlyMap<string, AlarmHandler>;
  logger: Logger;
  now?: () => Date;
  /** How long a claim holds (default 2 min): a crashed instance's alarms are handled after it. */
  lockMs?: number;
  /** Back-off before the n-th retry (default 1, 2, 4 … minutes, at most an hour). */
  backoffMs?: (attempts: number) => number;
  /** TEST ONLY: called after the handler, before `done` (a throw = a crash there). */
  afterHandle?: (a: Alarm) => void;
}

export class AlarmSweeper {
  private readonly now: () => Date;
  constructor(private readonly o: AlarmSweepOptions) {
    this.now = o.now ?? (() => new Date());
  }

  /**
   * Arms a tenant's failed alarm (or all of them) again, due now, with a fresh count of attempts,
   * and sweeps (`/deadletters retry`). `done` settles when that sweep is over.
   */
  async retryFailed(tenantKey: string, id?: string): Promise<{ revived: number; done: Promise<void> }> {
    const revived = await this.o.store.revive(tenantKey, this.now(), id);
    return { revived, done: revived > 0 ? this.sweep().then(() => undefined) : Promise.resolve() };
  }

  async sweep(max = 500): Promise<{ done: number; skipped: number; failed: number }> {
    const out = { done: 0, skipped: 0, failed: 0 };
    let seen = 0;
    while (seen < max) {
      const batch = await this.o.store.claimDue(this.now(), Math.min(50, max - seen), this.o.lockMs ?? 120_000);
      if (batch.length === 0) break;
      seen += batch.length;
      for (const a of batch) {
        const handler = this.o.handlers.get(a.topic);
        try {
          if (!handler) throw new Error(`no handler for alarm topic ${a.topic}`);
          const r = await handler(a);
          this.o.afterHandle?.(a);
          await this.o.store.done(a._id, this.now());
          if (r === 'done') out.done++;
          else out.skipped++;
        } catch (err) {
          const msg = (err as Error).message;
          const attempts = a.attempts + 1;
          const wait = (this.o.backoffMs ?? ((n) => Math.min(60, 2 ** Math.max(0, n - 1)) * 60_000))(attempts);
          let r: 'retry' | 'failed' = 'failed';
          if (handler) r = await this.o.store.retry(a._id, new Date(this.now().getTime() + wait), msg, this.now());
          else await this.o.store.fail(a._id, msg, this.now());
          this.o.logger.warn('alarm failed', { id: a._id, attempts, err: msg, outcome: r });
          out.failed++;
        }
      }
    }
    return out;
  }
}

export interface NotifyDeps {
  fanout: Pick<FanoutService, 'send'>;
  prefs: Pick<UserPrefsStore, 'getLocale'>;
  defaultLocale: Locale;
  /** Display names for the fan-out's failure list. */
  names?: (tenantKey: string, ids: readonly string[]) => Promise<(id: string) => { zh: string }>;
}

export interface NotifyInput {
  /** Stable id of the notice (from the alarm or the command): each language's notice is `${id}:${lang}`. */
  id: string;
  tenantKey: string;
  title: string;
  recipients: readonly string[];
  draw: (lang: Locale) => Card;
  /** Who follows the progress card (the person who asked), if anyone. */
  senderId?: string;
}

/** One fan-out notice per language of the recipients; returns how many recipients it reaches. */
export async function notifyByLanguage(d: NotifyDeps, n: NotifyInput): Promise<number> {
  const ids = [...new Set(n.recipients)];
  if (ids.length === 0) return 0;
  const byLang = new Map<Locale, string[]>();
  for (const id of ids) {
    const lang = (await d.prefs.getLocale(n.tenantKey, id)) ?? d.defaultLocale;
    byLang.set(lang, [...(byLang.get(lang) ?? []), id]);
  }
  const names = d.names ? await d.names(n.tenantKey, ids) : undefined;
  const groups = [...byLang.entries()].sort((a, b) => a[0].localeCompare(b[0]));
  const biggest = groups.reduce((a, b) => (b[1].length > a[1].length ? b : a), groups[0]!)[0];
  for (const [lang, group] of groups) {
    await d.fanout.send({
      id: `${n.id}:${lang}`,
      tenantKey: n.tenantKey,
      ...(n.senderId && lang === biggest ? { senderId: n.senderId } : {}),
      title: n.title,
      message: { type: 'card', card: forReader(n.draw(lang), lang) },
      recipients: group.map((id) => ({ to: { openId: id }, ...(names ? { name: names(id).zh } : {}) })),
    });
  }
  return ids.length;
}
