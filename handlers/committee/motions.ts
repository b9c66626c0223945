// Motions and votes of the confidentiality committee (docs/domain.md §4; issue 9 item 5).
//
// `/motion /议题 <title> [kind=policy|personnel|classification|other] [closes=<YYYY-MM-DD [HH:mm]>]
// [secret=yes]` (the committee chair or a security officer) fixes the members entitled to vote
// (委员 and 主任) and sends each of them a vote card through the fan-out (scheduler/fanout.ts), in
// their own language. A click records the member's vote under a unique key per (motion, member);
// a member may change it until the close, the card redrawn with their current choice (and the
// running tally, unless the motion is secret). A vote at or after the close is refused and audited.
// The committee sweep (every minute, scheduler/tasks.ts) closes due motions — claimed one by one,
// the result decided by the vote rules (rules.ts), posted to the members and kept on the motion
// and in the audit log, exactly once — and reminds members who have not voted 24 h and 2 h before
// the close. `/motion list`, `/motion show <id>` for the committee and the security office.
import { BotError } from '../../bot/core/errors.js';
import type { Logger } from '../../bot/core/logger.js';
import { actionOf, type Router } from '../../bot/core/router.js';
import type { Context, UserPrefsStore } from '../../bot/core/types.js';
import type { Locale } from '../../bot/core/config.js';
import { MOTION_VOTE_ACTION, motionResultCard, motionVoteCard, type MotionView } from '../../cards/committee.card.js';
import { forReader } from '../../cards/reader.js';
import { fmtTime } from '../../cards/request.card.js';
import type { Card } from '../../cards/card.types.js';
import { isIsoDate, localDate, type Role } from '../../domain/index.js';
import { bilingual } from '../../locales/index.js';
import { MOTION_REMINDERS, type Motion, type MotionReminder, type MotionStore } from '../../models/motion.model.js';
import type { CounterStore } from '../../models/counter.model.js';
import type { FanoutService } from '../../scheduler/fanout.js';
import type { People } from '../approvals/people.js';
import type { AuditRepo, RoleRepo } from '../approvals/ports.js';
import { checkRules, DEFAULT_VOTE_RULES, decide, isOpen, MOTION_KINDS, tally, VOTE_CHOICES, type MotionKind, type VoteChoice, type VoteRules } from './rules.js';

/** Who may make motions, and who may list and read them. */
export const MOTION_MAKERS: readonly Role[] = ['committee_chair', 'security_officer'];
export const MOTION_READERS: readonly Role[] = ['committee_member', 'committee_chair', 'security_officer', 'security_head', 'admin'];
/** A motion without `closes=` closes this long after it is made. */
export const DEFAULT_MOTION_DAYS = 7;

export interface MotionDeps {
  motions: MotionStore;
  counters: Pick<CounterStore, 'nextSeq'>;
  roles: Pick<RoleRepo, 'holders'>;
  people: Pick<People, 'hasRole' | 'names'>;
  audit: AuditRepo;
  prefs: Pick<UserPrefsStore, 'getLocale'>;
  fanout: Pick<FanoutService, 'send'>;
  logger: Logger;
  timezone: string;
  defaultLocale: Locale;
  rules?: VoteRules;
  now?: () => Date;
  /** How long a close is claimed for (default 2 min). */
  lockMs?: number;
}

const KIND_NAMES: Record<string, MotionKind> = {
  policy: 'policy',
  政策: 'policy',
  制度: 'policy',
  personnel: 'personnel',
  人事: 'personnel',
  classification: 'classification',
  定密: 'classification',
  other: 'other',
  其他: 'other',
};
const YES = new Set(['yes', 'y', 'true', '是', '1']);
const NO = new Set(['no', 'n', 'false', '否', '0']);

export interface MotionArgs {
  title: string;
  kind: MotionKind;
  secret: boolean;
  closesAt?: Date;
}

/** A local `YYYY-MM-DD` and `HH:mm` as an instant in `tz`; undefined when that wall time does not exist. */
export function localInstant(date: string, time: string, tz: string): Date | undefined {
  const m = /^(\d{1,2}):(\d{2})$/.exec(time);
  if (!isIsoDate(date) || !m || Number(m[1]) > 23 || Number(m[2]) > 59) return undefined;
  const [y, mo, d] = date.split('-').map(Number) as [number, number, number];
  const wanted = Date.UTC(y, mo - 1, d, Number(m[1]), Number(m[2]));
  // The wall time read back as if it were UTC, minus the instant: the zone's offset there.
  const offset = (t: number) => Date.parse(`${fmtTime(new Date(t).toISOString(), tz).replace(' ', 'T')}:00Z`) - t;
  let at = wanted - offset(wanted);
  at = wanted - offset(at);
  const text = `${date} ${m[1]!.padStart(2, '0')}:${m[2]}`;
  return fmtTime(new Date(at).toISOString(), tz) === text ? new Date(at) : undefined;
}

/** Parses `/motion` arguments; throws a BotError naming what is wrong. */
export function parseMotionArgs(args: string, tz: string): MotionArgs {
  let rest = ` ${args} `;
  let kind: MotionKind = 'other';
  let secret = false;
  let closesAt: Date | undefined;
  const closes = /\s(?:closes|截止)[=＝](\S+)(?:\s(\d{1,2}:\d{2}))?(?=\s)/i.exec(rest);
  if (closes) {
    closesAt = localInstant(closes[1]!, closes[2] ?? '18:00', tz);
    if (!closesAt) throw new BotError('committee:motion.bad_closes', { value: `${closes[1]}${closes[2] ? ` ${closes[2]}` : ''}` });
    rest = rest.replace(closes[0], ' ');
  }
  const k = /\s(?:kind|类别|类型)[=＝](\S+)(?=\s)/i.exec(rest);
  if (k) {
    const v = KIND_NAMES[k[1]!.toLowerCase()];
    if (!v) throw new BotError('committee:motion.bad_kind', { value: k[1]! });
    kind = v;
    rest = rest.replace(k[0], ' ');
  }
  const s = /\s(?:secret|无记名|保密)[=＝](\S+)(?=\s)/i.exec(rest);
  if (s) {
    const v = s[1]!.toLowerCase();
    if (!YES.has(v) && !NO.has(v)) throw new BotError('committee:motion.bad_secret', { value: s[1]! });
    secret = YES.has(v);
    rest = rest.replace(s[0], ' ');
  }
  const title = rest.replace(/\s+/g, ' ').trim();
  if (!title) throw new BotError('committee:motion.usage');
  const unknownKey = /(?:^|\s)([A-Za-z_]+)[=＝]/.exec(title);
  if (unknownKey) throw new BotError('committee:motion.bad_key', { value: unknownKey[1]! });
  if ([...title].length > 100) throw new BotError('committee:motion.too_long', { max: 100 });
  return { title, kind, secret, ...(closesAt ? { closesAt } : {}) };
}

export const viewOf = (m: Motion): MotionView => ({ id: m.id, title: m.title, kind: m.kind, secret: m.secret, closesAt: m.closesAt, members: m.members.length });

const tbOf = (key: string, params?: Record<string, unknown>) => bilingual(key, params);

export class MotionService {
  private readonly rules: VoteRules;
  private readonly now: () => Date;

  constructor(private readonly d: MotionDeps) {
    this.rules = d.rules ?? DEFAULT_VOTE_RULES;
    const problems = checkRules(this.rules);
    if (problems.length > 0) throw new RangeError(`vote rules: ${problems.join('; ')}`);
    this.now = d.now ?? (() => new Date());
  }

  /** The members entitled to vote now: committee members and the chair. */
  async members(tenantKey: string): Promise<string[]> {
    const [m, c] = await Promise.all([this.d.roles.holders(tenantKey, 'committee_member'), this.d.roles.holders(tenantKey, 'committee_chair')]);
    return [...new Set([...c, ...m])];
  }

  async mayRole(tenantKey: string, openId: string, roles: readonly Role[]): Promise<boolean> {
    for (const r of roles) if (await this.d.people.hasRole(tenantKey, openId, r)) return true;
    return false;
  }

  /** Makes a motion (idempotent by `sourceKey`: a redelivered command finds it) and sends the vote cards. */
  async create(tenantKey: string, by: string, a: MotionArgs, sourceKey: string): Promise<{ motion: Motion; created: boolean }> {
    const now = this.now();
    let motion = await this.d.motions.bySource(tenantKey, sourceKey);
    let created = false;
    if (!motion) {
      const closesAt = a.closesAt ?? new Date(now.getTime() + DEFAULT_MOTION_DAYS * 86_400_000);
      if (!isOpen(closesAt, now)) throw new BotError('committee:motion.closes_past');
      const members = await this.members(tenantKey);
      if (members.length === 0) throw new BotError('committee:motion.no_members');
      const year = localDate(now, this.d.timezone).slice(0, 4);
      const seq = await this.d.counters.nextSeq(tenantKey, `MO-${year}`);
      const id = `MO-${year}-${String(seq).padStart(4, '0')}`;
      const r = await this.d.motions.create({ tenantKey, id, title: a.title, kind: a.kind, secret: a.secret, createdBy: by, createdAt: now, closesAt, members, sourceKey });
      motion = r.motion;
      created = r.created;
      if (created)
        await this.d.audit.record(tenantKey, {
          actorId: by,
          action: 'motion.create',
          objectType: 'motion',
          objectId: id,
          channel: 'command',
          outcome: 'ok',
          effectKey: `motion:${id}:create`,
          details: { kind: a.kind, secret: a.secret, closesAt: closesAt.toISOString(), members: members.length },
        });
    }
    // Sent again on a redelivery: the fan-out notices are idempotent by id.
    await this.fan(motion, 'vote', motion.members, () => motionVoteCard(viewOf(motion!), { tb: tbOf, timeZone: this.d.timezone }), by);
    return { motion, created };
  }

  /** A member's vote (or a change of it); refused after the close or for anyone not entitled. */
  async vote(tenantKey: string, motionId: string, voterId: string, choice: VoteChoice): Promise<{ motion: Motion; changed: boolean; previous?: VoteChoice }> {
    const motion = await this.d.motions.get(tenantKey, motionId);
    if (!motion) throw new BotError('committee:motion.not_found', { id: motionId });
    const refuse = async (reason: string, key: string) => {
      await this.d.audit.record(tenantKey, { actorId: voterId, action: 'motion.vote', objectType: 'motion', objectId: motionId, channel: 'card', outcome: 'refused', reason });
      throw new BotError(key, { id: motionId, closes: fmtTime(motion.closesAt.toISOString(), this.d.timezone) });
    };
    if (!motion.members.includes(voterId)) return refuse('not_entitled', 'committee:vote.not_member');
    const now = this.now();
    if (motion.state !== 'open' || !isOpen(motion.closesAt, now)) return refuse('closed', 'committee:vote.closed');
    const r = await this.d.motions.vote(tenantKey, motionId, voterId, choice, now);
    // Who voted is recorded; how, only on the vote itself (a secret motion's choices stay out of the log).
    await this.d.audit.record(tenantKey, {
      actorId: voterId,
      action: 'motion.vote',
      objectType: 'motion',
      objectId: motionId,
      channel: 'card',
      outcome: 'ok',
      ...(r.previous ? { details: { changed: r.changed } } : {}),
    });
    return { motion, ...r };
  }

  /** The running count for `motion` as `reader` may see it. */
  async counts(m: Motion): Promise<{ tally?: ReturnType<typeof tally>; voted: number }> {
    const votes = await this.d.motions.votesOf(m.tenantKey, m.id);
    const t = tally(votes, m.members);
    const voted = t.yes + t.no + t.abstain;
    return m.secret && m.state === 'open' ? { voted } : { tally: t, voted };
  }

  /** Closes due motions and sends due reminders (the committee sweep). */
  async sweep(): Promise<{ closed: number; reminded: number }> {
    let closed = 0;
    let reminded = 0;
    const now = this.now();
    for (let i = 0; i < 1000; i++) {
      const m = await this.d.motions.claimDue(now, this.d.lockMs ?? 120_000);
      if (!m) break;
      try {
        if (await this.close(m, now)) closed++;
      } catch (err) {
        // The claim runs out and the next sweep tries again (the result and its notices are idempotent).
        this.d.logger.error('motion close failed', { id: m.id, err: (err as Error).message });
      }
    }
    for (const k of Object.keys(MOTION_REMINDERS) as MotionReminder[]) {
      for (const m of await this.d.motions.remindersDue(now, k)) {
        try {
          const voted = new Set((await this.d.motions.votesOf(m.tenantKey, m.id)).map((v) => v.voterId));
          const missing = m.members.filter((x) => !voted.has(x));
          const hours = String(MOTION_REMINDERS[k] / 3_600_000);
          if (missing.length) await this.fan(m, `remind-${k}`, missing, () => motionVoteCard(viewOf(m), { tb: tbOf, timeZone: this.d.timezone, reminder: hours }));
          await this.d.motions.reminderDone(m._id, k);
          reminded += missing.length;
        } catch (err) {
          this.d.logger.error('motion reminder failed', { id: m.id, err: (err as Error).message });
        }
      }
    }
    return { closed, reminded };
  }

  private async close(m: Motion, now: Date): Promise<boolean> {
    // Votes are taken only before the close: what is stored now is final.
    const votes = (await this.d.motions.votesOf(m.tenantKey, m.id)).filter((v) => v.at.getTime() < m.closesAt.getTime());
    const result = decide(m.kind, m.members.length, tally(votes, m.members), this.rules);
    const done: Motion = { ...m, state: 'closed', result, closedAt: now };
    await this.fan(done, 'result', m.members, () => motionResultCard(viewOf(done), result, { tb: tbOf, timeZone: this.d.timezone }));
    await this.d.audit.record(m.tenantKey, {
      actorId: m.createdBy,
      action: 'motion.close',
      objectType: 'motion',
      objectId: m.id,
      channel: 'system',
      outcome: 'ok',
      effectKey: `motion:${m.id}:close`,
      details: { outcome: result.outcome, advisory: result.advisory, ...result.tally, members: result.members },
    });
    return this.d.motions.close(m._id, result, now);
  }

  /** One fan-out notice per language of the recipients (each card in its reader's language). */
  private async fan(m: Motion, what: string, recipients: readonly string[], draw: (lang: Locale) => Card, senderId?: string): Promise<void> {
    const byLang = new Map<Locale, string[]>();
    for (const id of recipients) {
      const lang = (await this.d.prefs.getLocale(m.tenantKey, id)) ?? this.d.defaultLocale;
      byLang.set(lang, [...(byLang.get(lang) ?? []), id]);
    }
    const names = await this.d.people.names(m.tenantKey, recipients);
    const groups = [...byLang.entries()].sort();
    // The sender follows the largest group's progress on one card.
    const biggest = groups.reduce((a, b) => (b[1].length > a[1].length ? b : a), groups[0]!)?.[0];
    for (const [lang, ids] of groups) {
      const card = forReader(draw(lang), lang);
      await this.d.fanout.send({
        id: `motion:${m.tenantKey}:${m.id}:${what}:${lang}`,
        tenantKey: m.tenantKey,
        ...(senderId && lang === biggest ? { senderId } : {}),
        title: `${m.id} ${m.title}`,
        message: { type: 'card', card },
        recipients: ids.map((id) => ({ to: { openId: id }, name: names(id).zh })),
      });
    }
  }
}

async function guard(ctx: Context, svc: MotionService, deps: MotionDeps, roles: readonly Role[], action: string, objectId: string): Promise<void> {
  if (await svc.mayRole(ctx.tenantKey, ctx.actorId!, roles)) return;
  await deps.audit.record(ctx.tenantKey, {
    actorId: ctx.actorId!,
    action,
    objectType: 'motion',
    objectId,
    channel: ctx.event.kind === 'card_action' ? 'card' : 'command',
    outcome: 'refused',
    reason: 'not_allowed',
  });
  throw new BotError(roles === MOTION_MAKERS ? 'committee:motion.not_allowed' : 'committee:motion.not_reader');
}

const ID = /^MO-\d{4}-\d{4,}$/i;

export function registerMotions(router: Router, deps: MotionDeps, motions?: MotionService): void {
  // Made when first used (the router is also built without dependencies, to list the commands).
  let made = motions;
  const service = (): MotionService => (made ??= new MotionService(deps));
  const lang = (ctx: Context): Locale => (ctx.locale === 'en-US' ? 'en-US' : 'zh-CN');
  router.command({
    name: 'motion',
    aliases: ['议题'],
    private: true,
    handler: async (ctx) => {
      const args = (ctx.command?.args ?? '').trim();
      const [first = '', second] = args.split(/\s+/);
      const verb = first.toLowerCase();
      if (verb === 'list' || verb === '列表') {
        await guard(ctx, service(), deps, MOTION_READERS, 'motion.list', 'ALL');
        const all = await deps.motions.list(ctx.tenantKey);
        if (all.length === 0) return void (await ctx.reply({ type: 'text', text: ctx.t('committee:motion.none') }));
        const lines = all.map((m) =>
          ctx.t('committee:motion.line', {
            id: m.id,
            title: m.title,
            kind: ctx.t(`committee:kind.${m.kind}`),
            state:
              m.state === 'open'
                ? ctx.t('committee:motion.open', { closes: fmtTime(m.closesAt.toISOString(), deps.timezone) })
                : ctx.t(`committee:outcome.${m.result?.advisory ? 'advisory_' : ''}${m.result?.outcome ?? 'rejected'}`),
          }),
        );
        await ctx.reply({ type: 'text', text: `${ctx.t('committee:motion.list_title')}\n${lines.join('\n')}` });
        return;
      }
      if (verb === 'show' || verb === '查看') {
        await guard(ctx, service(), deps, MOTION_READERS, 'motion.show', second ?? '');
        const m = second && ID.test(second) ? await deps.motions.get(ctx.tenantKey, second.toUpperCase()) : null;
        if (!m) throw new BotError('committee:motion.not_found', { id: second ?? '' });
        const mine = await deps.motions.voteOf(ctx.tenantKey, m.id, ctx.actorId!);
        const choice = mine && mine.at.getTime() < m.closesAt.getTime() ? { choice: mine.choice } : {};
        const card =
          m.state === 'closed' && m.result
            ? motionResultCard(viewOf(m), m.result, { tb: ctx.tb, timeZone: deps.timezone, ...choice })
            : motionVoteCard(viewOf(m), { tb: ctx.tb, timeZone: deps.timezone, ...choice, ...(await service().counts(m)) });
        await ctx.reply({ type: 'card', card: forReader(card, lang(ctx)) });
        return;
      }
      await guard(ctx, service(), deps, MOTION_MAKERS, 'motion.create', 'NEW');
      const parsed = parseMotionArgs(args, deps.timezone);
      const { motion, created } = await service().create(ctx.tenantKey, ctx.actorId!, parsed, ctx.event.id);
      if (created)
        await ctx.reply({
          type: 'text',
          text: ctx.t('committee:motion.created', { id: motion.id, members: motion.members.length, closes: fmtTime(motion.closesAt.toISOString(), deps.timezone) }),
        });
    },
  });

  router.action(MOTION_VOTE_ACTION, async (ctx) => {
    const a = actionOf(ctx);
    const choice = String(a.extra?.c ?? '') as VoteChoice;
    if (!a.requestId || !VOTE_CHOICES.includes(choice)) throw new BotError('errors:bad_action');
    const { motion, changed, previous } = await service().vote(ctx.tenantKey, a.requestId, ctx.actorId!, choice);
    const counts = await service().counts(motion);
    const card = motionVoteCard(viewOf(motion), { tb: ctx.tb, timeZone: deps.timezone, choice, ...counts });
    const key = previous === undefined ? 'committee:vote.recorded' : changed ? 'committee:vote.changed' : 'committee:vote.same';
    const text = tbChoice(ctx, key, choice);
    ctx.ack({
      toast: { type: 'success', content: lang(ctx) === 'en-US' ? text.en : text.zh, i18n: { zh_cn: text.zh, en_us: text.en } },
      card: { type: 'raw', data: forReader(card, lang(ctx)) },
    });
  });
}

function tbChoice(ctx: Context, key: string, choice: VoteChoice) {
  const c = ctx.tb(`committee:choice.${choice}`);
  return { zh: ctx.tb(key, { choice: c.zh }).zh, en: ctx.tb(key, { choice: c.en }).en };
}

export { MOTION_KINDS };
