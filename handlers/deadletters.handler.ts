import { BotError } from '../bot/core/errors.js';
import { actionOf, type Router } from '../bot/core/router.js';
import type { Bi, Context } from '../bot/core/types.js';
import { deadLettersCard, type DeadLetterView } from '../cards/deadletters.card.js';
import { parseRequestId, type Role } from '../domain/index.js';
import type { People } from './approvals/people.js';
import { createHash } from 'node:crypto';
import type { AlarmStore } from '../models/alarm.model.js';

import { type FailedNotice, type FanoutMessage, type FanoutStore, noticeGroupOf } from '../models/fanout.model.js';
import { clip } from '../cards/request.card.js';
import type { AlarmSweeper } from '../scheduler/alarms.js';
import type { FanoutService } from '../scheduler/fanout.js';
import type { AuditRepo, DeadEffect } from './approvals/ports.js';
import type { ApprovalService } from './approvals/service.js';

export interface DeadLetterDeps {
  service: ApprovalService;
  people: People;
  /**
   * What else the bot gives up on: notices the fan-out could not deliver and alarms (training,
   * staff, incident and register clocks) whose handling kept failing. Listed and retried here too,
   * so nothing is dropped silently wherever it failed.
   */
  undelivered?: {
    fanout: { store: Pick<FanoutStore, 'failedNotices' | 'get' | 'drop'>; service: Pick<FanoutService, 'retryFailed'> };
    alarms: { store: Pick<AlarmStore, 'failed' | 'drop'>; sweeper: Pick<AlarmSweeper, 'retryFailed'> };
    /** `drop` is written to the audit log. */
    audit: Pick<AuditRepo, 'record'>;
    now: () => Date;
  };
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

/** A short, stable id for a notice or an alarm on the card and in `retry <id>`: N-1A2B3C4D, A-5E6F7A8B. */
const shortId = (prefix: 'N' | 'A', id: string) => `${prefix}-${createHash('sha256').update(id).digest('hex').slice(0, 8).toUpperCase()}`;
const SHORT_ID = /^[NA]-[0-9A-F]{8}$/i;

/** How long `retry` waits for the retried work before answering "queued" instead. */
const RETRY_WAIT_MS = 10_000;

/** One line of the list, and how to try it again. */
interface Letter extends DeadLetterView {
  retry(): Promise<{ revived: number; done: Promise<void> }>;
  /** Notices and alarms only: given up on for good, on the security office's word. */
  drop?(): Promise<{ dropped: number; objectType: 'notice' | 'alarm'; objectId: string }>;
}

/** Names shown for a notice's recipients that were not reached. */
const NOTICE_NAMES = 5;

/**
 * `/deadletters` (`/失败投递`): what the bot gave up on — a message Lark refused for good (the
 * person is outside the app's availability, blocked the bot…), a write that kept failing, a notice
 * that could not reach someone, a reminder clock whose handling kept failing — listed privately for
 * the security office and administrators, newest first, with `retry <id>` / `retry all` and a
 * Retry-all button. Nothing is dropped silently: until retried, a dead letter stays here and in
 * `/metrics` (baomi_dead_letters).
 */
export function registerDeadLetters(router: Router, deps: DeadLetterDeps): void {
  const list = async (ctx: Context): Promise<Letter[]> => {
    const u = deps.undelivered;
    const [effects, notices, alarms] = await Promise.all([
      deps.service.deadLetters(ctx.tenantKey, 50),
      u?.fanout.store.failedNotices(ctx.tenantKey, 50, NOTICE_NAMES) ?? [],
      u?.alarms.store.failed(ctx.tenantKey, 50) ?? [],
    ]);
    const ids = new Set<string>();
    const people = (s: string | undefined) => {
      for (const m of s?.match(OPEN_ID_G) ?? []) ids.add(m);
    };
    for (const l of effects) {
      if (l.effect.type === 'notify' && 'to' in l.effect) ids.add(l.effect.to);
      people(l.effect.lastError);
    }
    for (const n of notices) {
      for (const m of n.missed) if (!m.name && 'openId' in m.to) ids.add(m.to.openId);
      people(n.lastError);
    }
    for (const a of alarms) {
      people(a.subject);
      people(a.lastError);
    }
    const names = await deps.people.names(ctx.tenantKey, ids);
    const en = ctx.locale === 'en-US';
    const named = (s: string) => s.replace(OPEN_ID_G, (id) => (en ? names(id).en : names(id).zh));
    const letters: Letter[] = effects.map((l) => ({
      id: l.requestId,
      what: describe(ctx, l.effect, names),
      attempts: l.effect.attempts,
      diedAt: new Date(l.effect.diedAt),
      error: named(l.effect.lastError),
      retry: () => deps.service.retryDead(ctx.tenantKey, l.requestId),
    }));
    if (u) {
      // A notice sent per reader language is one notice to the security office: one line.
      const groups = new Map<string, FailedNotice[]>();
      for (const n of notices) groups.set(noticeGroupOf(n.noticeId), [...(groups.get(noticeGroupOf(n.noticeId)) ?? []), n]);
      for (const [group, parts] of groups) {
        // Named by the part in the reader's language when there is one.
        const first = parts.find((p) => p.noticeId.endsWith(`:${ctx.locale}`)) ?? parts[0]!;
        const notice = await u.fanout.store.get(first.noticeId);
        const count = parts.reduce((n, p) => n + p.count, 0);
        const missed = parts.flatMap((p) => p.missed).slice(0, NOTICE_NAMES);
        const newest = parts.reduce((a, b) => (new Date(b.failedAt) > new Date(a.failedAt) ? b : a));
        // The names are the point of the line: the notice's words are cut short before them.
        const headline = notice ? headlineOf(notice.message) : undefined;
        const title = (lang: 'zh' | 'en') => clip(headline?.[lang] || notice?.title || group, lang === 'zh' ? 15 : 30);
        const who = (lang: 'zh' | 'en') =>
          missed.map((m) => m.name ?? ('openId' in m.to ? names(m.to.openId)[lang] : m.to.chatId)).join(lang === 'en' ? ', ' : '、') + (count > missed.length ? ' …' : '');
        letters.push({
          id: shortId('N', group),
          what: {
            zh: ctx.tb('cards:dead.what.notice', { title: title('zh'), count, who: who('zh') }).zh,
            en: ctx.tb('cards:dead.what.notice', { title: title('en'), count, who: who('en') }).en,
          },
          attempts: Math.max(...parts.map((p) => p.attempts)),
          diedAt: new Date(newest.failedAt),
          error: named(newest.lastError ?? ''),
          retry: async () => {
            const runs = [];
            for (const p of parts) runs.push(await u.fanout.service.retryFailed(ctx.tenantKey, p.noticeId));
            return { revived: runs.reduce((n, r) => n + r.revived, 0), done: Promise.all(runs.map((r) => r.done)).then(() => undefined) };
          },
          drop: async () => {
            let dropped = 0;
            for (const p of parts) dropped += await u.fanout.store.drop(ctx.tenantKey, p.noticeId, u.now());
            return { dropped, objectType: 'notice', objectId: group };
          },
        });
      }
      for (const a of alarms) {
        // A topic without a name of its own (a feature added later) is shown as it is stored.
        const key = `cards:dead.topic.${a.topic}`;
        const topic = ctx.tb(key);
        const known = (s: string) => s !== key && s !== key.slice('cards:'.length);
        const vars = { subject: clip(named(a.subject), 20), kind: a.kind };
        letters.push({
          id: shortId('A', a._id),
          what: {
            zh: ctx.tb('cards:dead.what.alarm', { ...vars, topic: known(topic.zh) ? topic.zh : a.topic }).zh,
            en: ctx.tb('cards:dead.what.alarm', { ...vars, topic: known(topic.en) ? topic.en : a.topic }).en,
          },
          attempts: a.attempts,
          diedAt: new Date(a.failedAt ?? a.dueAt),
          error: named(a.lastError ?? ''),
          retry: () => u.alarms.sweeper.retryFailed(ctx.tenantKey, a._id),
          drop: async () => ({ dropped: (await u.alarms.store.drop(ctx.tenantKey, a._id, u.now())) ? 1 : 0, objectType: 'alarm', objectId: a._id }),
        });
      }
    }
    return letters.sort((a, b) => b.diedAt.getTime() - a.diedAt.getTime());
  };

  /**
   * Everything on the list again: the approvals' effects request by request; the notices and the
   * alarms all at once, also those beyond what the card shows.
   */
  const retryAll = async (ctx: Context, letters: readonly Letter[]) => {
    const u = deps.undelivered;
    const effects = letters.filter((l) => !SHORT_ID.test(l.id));
    const parts = [
      retry(effects).then((r) => ({ revived: r.n, done: r.done })),
      ...(u ? [u.fanout.service.retryFailed(ctx.tenantKey), u.alarms.sweeper.retryFailed(ctx.tenantKey)] : []),
    ];
    const done = await Promise.all(parts);
    return { n: done.reduce((s, r) => s + r.revived, 0), done: Promise.all(done.map((r) => r.done)).then(() => undefined) };
  };

  const card = (ctx: Context, letters: readonly Letter[]) => deadLettersCard(letters, { tb: ctx.tb, timeZone: ctx.services.timezone });

  /** Revives these letters; their runs go on in the background (`done`). */
  const retry = async (letters: readonly Letter[]) => {
    let n = 0;
    const runs: Promise<void>[] = [];
    for (const l of letters) {
      const r = await l.retry();
      n += r.revived;
      runs.push(r.done);
    }
    return { n, done: Promise.all(runs).then(() => undefined) };
  };

  /**
   * `drop <N-…|A-…>`: a notice or an alarm the security office decides not to send or run again
   * (the person has left, the occasion has passed). Off the list and the gauge, never retried,
   * written to the audit log with who and what. Of an approval's effects (`drop <request id>`)
   * only the messages can be dropped; its writes (ledger, audit, carrier status, reminders) are
   * only ever retried.
   */
  const drop = async (ctx: Context, arg: string | undefined) => {
    if (!arg) throw new BotError('request:dead.usage');
    const request = SHORT_ID.test(arg) ? undefined : parseRequestId(arg);
    if (request) {
      // A request's messages nobody can receive any more; its writes are only ever retried.
      const r = await deps.service.dropDeadMessages(ctx.tenantKey, request.id);
      if (r.dropped.length === 0 || !deps.undelivered) throw new BotError(r.storageLeft > 0 ? 'request:dead.drop_effect' : 'request:dead.unknown', { id: request.id });
      await deps.undelivered.audit.record(ctx.tenantKey, {
        actorId: ctx.actorId!,
        action: 'deadletter.drop',
        objectType: 'request',
        objectId: request.id,
        channel: 'command',
        outcome: 'ok',
        details: { effects: r.dropped.map((e) => ({ key: e.key, type: e.type, ...('to' in e ? { to: e.to } : {}), ...('toRole' in e ? { toRole: e.toRole } : {}) })) },
      });
      const text = ctx.t('request:dead.dropped_messages', { id: request.id, count: r.dropped.length });
      await ctx.replyPrivately({ type: 'text', text: r.storageLeft > 0 ? `${text}${ctx.t('request:dead.dropped_messages_left', { left: r.storageLeft })}` : text });
      return;
    }
    if (!SHORT_ID.test(arg)) throw new BotError('request:dead.unknown', { id: arg });
    const letter = (await list(ctx)).find((l) => l.id === arg.toUpperCase());
    if (!letter?.drop || !deps.undelivered) throw new BotError('request:dead.unknown', { id: arg });
    const r = await letter.drop();
    await deps.undelivered.audit.record(ctx.tenantKey, {
      actorId: ctx.actorId!,
      action: 'deadletter.drop',
      objectType: r.objectType,
      objectId: r.objectId,
      channel: 'command',
      outcome: r.dropped > 0 ? 'ok' : 'refused',
      ...(r.dropped > 0 ? {} : { reason: 'no longer failed' }),
    });
    const what = ctx.locale === 'en-US' ? letter.what.en : letter.what.zh;
    // It names the people the notice missed: told privately, also when asked in a group.
    await ctx.replyPrivately({ type: 'text', text: ctx.t('request:dead.dropped', { id: letter.id, what, count: r.dropped }) });
  };

  router.command({
    name: 'deadletters',
    aliases: ['失败投递', '死信'],
    handler: async (ctx) => {
      if (!(await allowed(deps, ctx))) throw new BotError('request:dead.not_allowed');
      const [sub, arg] = (ctx.command?.args ?? '').trim().split(/\s+/);
      if (!sub) {
        await ctx.replyPrivately({ type: 'card', card: card(ctx, await list(ctx)) });
        return;
      }
      if (['drop', '放弃'].includes(sub.toLowerCase())) {
        await drop(ctx, arg);
        return;
      }
      if (!['retry', '重试'].includes(sub.toLowerCase())) throw new BotError('request:dead.usage');
      if (!arg) throw new BotError('request:dead.usage');
      const all = await list(ctx);
      let chosen: Letter[];
      if (['all', '全部'].includes(arg.toLowerCase())) chosen = all;
      else if (SHORT_ID.test(arg)) {
        chosen = all.filter((l) => l.id === arg.toUpperCase());
        if (!chosen.length) throw new BotError('request:dead.unknown', { id: arg });
      } else {
        const parsed = parseRequestId(arg);
        if (!parsed) throw new BotError('request:bad_id', { id: arg });
        // A request's effects are revived together, also when none is listed (nothing happens then).
        chosen = [{ id: parsed.id, what: { zh: '', en: '' }, attempts: 0, diedAt: new Date(0), error: '', retry: () => deps.service.retryDead(ctx.tenantKey, parsed.id) }];
      }
      const { n, done } = all === chosen ? await retryAll(ctx, all) : await retry(chosen);
      // The retried work runs beside everything else due (a notice waits its turn in the fan-out's
      // pace): the answer waits for it a little, then tells what is still failed or still queued.
      const finished = await Promise.race([done.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), RETRY_WAIT_MS).unref())]);
      if (!finished) {
        await ctx.reply({ type: 'text', text: ctx.t('request:dead.requeued', { count: n }) });
        return;
      }
      const ids = new Set(chosen.map((l) => l.id));
      const left = (await list(ctx)).filter((l) => ids.has(l.id)).length;
      await ctx.reply({ type: 'text', text: ctx.t('request:dead.retried', { count: n, left }) });
    },
  });

  router.action('dead.retry_all', async (ctx) => {
    actionOf(ctx);
    if (!(await allowed(deps, ctx))) throw new BotError('request:dead.not_allowed');
    const { n, done } = await retryAll(ctx, await list(ctx));
    // Answer the click at once (Lark waits 3 s at most); the runs go on, and what fails again is
    // back on the list the next time it is asked for.
    const text = ctx.tb('request:dead.requeued', { count: n });
    ctx.ack({ toast: { type: 'success', content: text.zh, i18n: { zh_cn: text.zh, en_us: text.en } } });
    await done;
  });
}

/** A notice's heading (its card's header, in each language it has); a text notice has none to show. */
function headlineOf(m: FanoutMessage): Partial<Bi> | undefined {
  if (m.type === 'text') return undefined;
  const title = (m.card as { header?: { title?: { content?: string; i18n_content?: { zh_cn?: string; en_us?: string } } } }).header?.title;
  if (!title) return undefined;
  const zh = title.i18n_content?.zh_cn ?? title.content;
  const en = title.i18n_content?.en_us ?? title.content;
  return { ...(zh ? { zh } : {}), ...(en ? { en } : {}) };
}
