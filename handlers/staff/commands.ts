// `/staff` (`/人员`): people joining and leaving, for the security officers, the security office's
// head and administrators, answered in private (need to know). Lark's contact events do the same:
// `contact.user.created_v3` joins, `contact.user.deleted_v3` leaves (the checklist then goes to the
// security officers). The checklist card's buttons are for the same roles and redraw the card.
import { BotError, DirectoryUnavailable } from '../../bot/core/errors.js';
import { inactiveReason } from '../../bot/core/person.js';
import { actionOf, type Router } from '../../bot/core/router.js';
import type { Context, Mention } from '../../bot/core/types.js';
import { forReader } from '../../cards/reader.js';
import { CHECKLIST_TICKS, checklistCard, STAFF_TICK_ACTION, type ChecklistTick } from '../../cards/staff.card.js';
import { addDays, isIsoDate, type Role } from '../../domain/index.js';
import { bilingual } from '../../locales/index.js';
import type { StaffRecord } from '../../models/staff.model.js';
import type { People } from '../approvals/people.js';
import type { AuditRepo } from '../approvals/ports.js';
import { CLEARANCE_NAMES, MAX_MONTHS, type ClearanceClass } from './config.js';
import { effectiveState, type StaffService } from './service.js';

/** Who may use `/staff` and the checklist's buttons. */
export const STAFF_ROLES: readonly Role[] = ['security_officer', 'security_head', 'admin'];
/** How far ahead a departure may be recorded (days). */
const MAX_LEAVE_AHEAD_DAYS = 366;

export interface StaffCommandDeps {
  service: () => StaffService;
  people: () => Pick<People, 'hasRole' | 'names' | 'requireReal'>;
  audit: () => AuditRepo;
  directory: () => Context['services']['directory'];
}

export interface StaffArgs {
  person?: string;
  date?: string;
  clearance?: ClearanceClass;
  months?: number;
}

const OPEN_ID = /^ou_[0-9A-Za-z_]+$/;
const MENTION = /^@_user_\d+$/;
const DATE_LIKE = /^\d{4}-\d{1,2}-\d{1,2}$/;
const CLEARANCE_KEYS = new Set(['clearance', 'class', '类别', '涉密类别', '等级']);
const MONTH_KEYS = new Set(['months', 'month', '月数', '脱密期']);

/**
 * The person (an open_id, as a resolved @-mention arrives, or a mention placeholder `@_user_N`
 * resolved through the message's mentions), a date (YYYY-MM-DD), `clearance=` and `months=`.
 */
export function parseStaffArgs(tokens: readonly string[], mentions: readonly Mention[] = []): StaffArgs {
  const out: StaffArgs = {};
  const person = (id: string) => {
    if (out.person && out.person !== id) throw new BotError('staff:one_person');
    out.person = id;
  };
  for (const raw of tokens) {
    // `@ou_…` (an open_id typed with the @ people write before a name) is the open_id.
    const t = /^@ou_/.test(raw) ? raw.slice(1) : raw;
    if (OPEN_ID.test(t)) person(t);
    else if (MENTION.test(t)) {
      const m = mentions.find((x) => x.key === t);
      if (!m?.openId) throw new BotError('staff:bad_mention', { value: t });
      person(m.openId);
    } else if (DATE_LIKE.test(t)) {
      if (!isIsoDate(t)) throw new BotError('staff:bad_date', { value: t });
      if (out.date) throw new BotError('staff:one_date');
      out.date = t;
    } else {
      const kv = /^([^=＝]+)[=＝](.*)$/.exec(t);
      if (!kv) throw new BotError('staff:unknown_word', { value: t });
      const key = kv[1]!.toLowerCase();
      const value = kv[2]!;
      if (CLEARANCE_KEYS.has(key)) {
        const c = CLEARANCE_NAMES[value.toLowerCase()];
        if (!c) throw new BotError('staff:bad_clearance', { value });
        out.clearance = c;
      } else if (MONTH_KEYS.has(key)) {
        if (!/^\d{1,3}$/.test(value) || Number(value) < 1 || Number(value) > MAX_MONTHS) throw new BotError('staff:bad_months', { value, max: MAX_MONTHS });
        out.months = Number(value);
      } else throw new BotError('staff:unknown_word', { value: t });
    }
  }
  return out;
}

const VERBS: Record<string, 'join' | 'trained' | 'pledge' | 'leave' | 'cancel' | 'status'> = {
  join: 'join',
  入职: 'join',
  trained: 'trained',
  training: 'trained',
  培训: 'trained',
  pledge: 'pledge',
  承诺书: 'pledge',
  leave: 'leave',
  离岗: 'leave',
  离职: 'leave',
  cancel: 'cancel',
  撤销: 'cancel',
  取消: 'cancel',
  status: 'status',
  pending: 'status',
  概况: 'status',
  待办: 'status',
};

export function registerStaffCommands(router: Router, deps: StaffCommandDeps): void {
  const may = async (tenantKey: string, openId: string | undefined): Promise<boolean> => {
    if (!openId) return false;
    for (const r of STAFF_ROLES) if (await deps.people().hasRole(tenantKey, openId, r)) return true;
    return false;
  };
  const refuse = async (ctx: Context, action: string, objectId: string, channel: 'command' | 'card', key: string): Promise<never> => {
    await deps.audit().record(ctx.tenantKey, { actorId: ctx.actorId ?? 'unknown', action, objectType: 'person', objectId, channel, outcome: 'refused', reason: 'not_allowed' });
    throw new BotError(key);
  };
  const nameIn = async (ctx: Context, openId: string): Promise<string> => {
    const n = (await deps.people().names(ctx.tenantKey, [openId]))(openId);
    return ctx.locale === 'en-US' ? n.en : n.zh;
  };
  const dueText = (ctx: Context, r: StaffRecord): string =>
    deps
      .service()
      .missing(r)
      .map((b) => (ctx.locale === 'en-US' ? b.en : b.zh))
      .join(ctx.t('staff:list_sep'));
  // design §8, people are resolved: someone the bot has no record of must be a real, active person
  // in Lark now (refused by name otherwise); someone with a record was resolved when it was made
  // and may since have left Lark (a departure pledge, a cancelled departure).
  const resolved = async (ctx: Context, openId: string): Promise<void> => {
    if (await deps.service().get(ctx.tenantKey, openId)) return;
    await deps.people().requireReal(ctx.tenantKey, [openId], 'person');
  };
  const notFuture = (date: string) => {
    const today = deps.service().today();
    if (date > today) throw new BotError('staff:future_date', { date, today });
  };

  router.command({
    name: 'staff',
    aliases: ['人员'],
    private: true,
    helpNs: 'staff',
    handler: async (ctx) => {
      const [first = '', ...tokens] = (ctx.command?.args ?? '').split(/\s+/).filter(Boolean);
      const verb = first === '' ? 'status' : VERBS[first.toLowerCase()];
      if (!verb) throw new BotError('staff:usage');
      if (!(await may(ctx.tenantKey, ctx.actorId))) await refuse(ctx, `staff.${verb}`, tokens.find((t) => OPEN_ID.test(t)) ?? 'ALL', 'command', 'staff:not_allowed');
      const mentions = ctx.event.kind === 'message' ? ctx.event.mentions : [];
      const args = parseStaffArgs(tokens, mentions);
      const svc = deps.service();
      const by = { id: ctx.actorId!, channel: 'command' as const };
      if (verb === 'status') return void (await ctx.reply({ type: 'text', text: await statusText(ctx, deps) }));
      if (!args.person) throw new BotError(`staff:usage_${verb}`);
      const person = args.person;

      if (verb === 'join') {
        if (args.date || args.months) throw new BotError('staff:usage_join');
        await deps.people().requireReal(ctx.tenantKey, [person], 'person');
        const r = await svc.join(ctx.tenantKey, person, args.clearance ? { clearance: args.clearance } : {}, by, ctx.event.id);
        const name = await nameIn(ctx, person);
        const clearance = ctx.t(`staff:clearance.${r.record.clearance}`);
        const text = r.already
          ? ctx.t('staff:already_joined', { name, state: ctx.t(`staff:state.${effectiveState(r.record, svc.today())}`), clearance })
          : ctx.t('staff:joined', { name, clearance, due: dueText(ctx, r.record) });
        return void (await ctx.reply({ type: 'text', text }));
      }

      if (verb === 'trained' || verb === 'pledge') {
        if (!args.date || args.months || args.clearance) throw new BotError(`staff:usage_${verb}`);
        notFuture(args.date);
        await resolved(ctx, person);
        const name = await nameIn(ctx, person);
        if (verb === 'trained') {
          const r = await svc.recordTraining(ctx.tenantKey, person, args.date, by);
          const text = r.cleared
            ? ctx.t('staff:cleared', { name })
            : r.record.state === 'joining'
              ? ctx.t('staff:trained_still_due', { name, on: args.date, due: dueText(ctx, r.record) })
              : ctx.t('staff:trained', { name, on: args.date });
          return void (await ctx.reply({ type: 'text', text }));
        }
        const r = await svc.recordPledge(ctx.tenantKey, person, args.date, by);
        const text =
          r.kind === 'departure'
            ? ctx.t('staff:pledge_departure', { name, on: args.date })
            : r.cleared
              ? ctx.t('staff:cleared_pledge', { name, due: r.due ?? '' })
              : r.record.state === 'joining'
                ? ctx.t('staff:pledge_still_due', { name, on: args.date, due: dueText(ctx, r.record), next: r.due ?? '' })
                : ctx.t('staff:pledge_recorded', { name, on: args.date, next: r.due ?? '' });
        return void (await ctx.reply({ type: 'text', text }));
      }

      if (verb === 'leave') {
        if (args.date && args.date > addDays(svc.today(), MAX_LEAVE_AHEAD_DAYS)) throw new BotError('staff:leave_too_far', { days: MAX_LEAVE_AHEAD_DAYS });
        // Someone leaving may already be resigned in Lark: known to Lark (any status) or to us is enough.
        if (!(await svc.get(ctx.tenantKey, person)) && !(await svc.known(ctx.tenantKey, person))) throw new BotError('staff:unknown_person', { id: person });
        const r = await svc.leave(
          ctx.tenantKey,
          person,
          { ...(args.date ? { on: args.date } : {}), ...(args.months ? { months: args.months } : {}), ...(args.clearance ? { clearance: args.clearance } : {}) },
          by,
          ctx.event.id,
        );
        const view = await svc.checklistView(r.record);
        if (r.already) await ctx.reply({ type: 'text', text: ctx.t('staff:already_leaving', { name: await nameIn(ctx, person), on: r.record.leave.on }) });
        return void (await ctx.reply({ type: 'card', card: forReader(checklistCard(view, { tb: ctx.tb }), ctx.locale === 'en-US' ? 'en-US' : 'zh-CN') }));
      }

      // cancel
      if (args.date || args.months || args.clearance) throw new BotError('staff:usage_cancel');
      await resolved(ctx, person);
      const r = await svc.cancelLeave(ctx.tenantKey, person, by);
      await ctx.reply({ type: 'text', text: ctx.t('staff:leave_cancelled', { name: await nameIn(ctx, person), state: ctx.t(`staff:state.${r.state}`) }) });
    },
  });

  router.action(STAFF_TICK_ACTION, async (ctx) => {
    const a = actionOf(ctx);
    const k = String(a.extra?.k ?? '') as ChecklistTick;
    if (!a.requestId || !OPEN_ID.test(a.requestId) || a.version === undefined || !CHECKLIST_TICKS.includes(k)) throw new BotError('errors:bad_action');
    if (!(await may(ctx.tenantKey, ctx.actorId))) await refuse(ctx, `staff.leave_${k}`, a.requestId, 'card', 'staff:card_not_allowed');
    const svc = deps.service();
    const r = await svc.tick(ctx.tenantKey, a.requestId, a.version, k, ctx.actorId!);
    const view = await svc.checklistView(r.record, r.carriers);
    const lang = ctx.locale === 'en-US' ? 'en-US' : 'zh-CN';
    const toastKey = view.cancelled ? 'staff:toast.cancelled' : view.carriers.length > 0 && k === 'check' ? 'staff:toast.carriers_left' : `staff:toast.${k}`;
    const text = ctx.tb(toastKey, { n: view.carriers.length });
    ctx.ack({
      toast: { type: view.cancelled ? 'info' : 'success', content: lang === 'en-US' ? text.en : text.zh, i18n: { zh_cn: text.zh, en_us: text.en } },
      card: { type: 'raw', data: forReader(checklistCard(view, { tb: ctx.tb }), lang) },
    });
  });

  // Lark's contact events (when the app is subscribed and has the contact scope). The source key
  // is the event id: a redelivered event finds the record it made.
  const objectOf = (ctx: Context): { openId?: string } => {
    if (ctx.event.kind !== 'system') return {};
    const d = ctx.event.data as { object?: { open_id?: unknown }; old_object?: { open_id?: unknown } };
    const id = typeof d.object?.open_id === 'string' ? d.object.open_id : typeof d.old_object?.open_id === 'string' ? d.old_object.open_id : undefined;
    return id && OPEN_ID.test(id) ? { openId: id } : {};
  };
  const system = { id: 'system', channel: 'system' as const };
  const sourceOf = (ctx: Context) => `lark:${ctx.event.eventId ?? ctx.event.id}`;

  router.system('contact.user.created_v3', async (ctx) => {
    const { openId } = objectOf(ctx);
    if (!openId) return void ctx.log.warn('staff: contact.user.created_v3 without an open_id');
    // Lark just announced the person; they are looked up all the same (a lookup that fails is retried
    // by redelivery). A new account that is not activated yet is accepted; a resigned or frozen one is not.
    let person: Awaited<ReturnType<Context['services']['directory']['lookup']>>;
    try {
      person = await deps.directory().lookup(ctx.tenantKey, openId);
    } catch (err) {
      if (err instanceof DirectoryUnavailable) throw new Error(`staff: contact lookup failed for ${openId}; redelivery will retry`);
      throw err;
    }
    const why = person ? inactiveReason(person) : 'unknown';
    if (why === 'unknown' || why === 'resigned' || why === 'deactivated') {
      await deps.audit().record(ctx.tenantKey, {
        actorId: 'system',
        action: 'staff.join',
        objectType: 'person',
        objectId: openId,
        channel: 'system',
        outcome: 'refused',
        reason: why,
        effectKey: `staff:${sourceOf(ctx)}:refused`,
      });
      return;
    }
    await deps.service().join(ctx.tenantKey, openId, {}, system, sourceOf(ctx));
  });

  router.system('contact.user.deleted_v3', async (ctx) => {
    const { openId } = objectOf(ctx);
    if (!openId) return void ctx.log.warn('staff: contact.user.deleted_v3 without an open_id');
    const svc = deps.service();
    const r = await svc.leave(ctx.tenantKey, openId, {}, system, sourceOf(ctx));
    // The checklist to the officers, once per departure (its notice id is the departure's).
    if (!r.already) await svc.checklistToOfficers(ctx.tenantKey, r.record, (v) => checklistCard(v, { tb: bilingual }));
  });
}

async function statusText(ctx: Context, deps: StaffCommandDeps): Promise<string> {
  const svc = deps.service();
  const s = await svc.status(ctx.tenantKey);
  const all = [...s.joining, ...s.pledgeDue, ...s.leaving].map((r) => r.openId);
  const names = await deps.people().names(ctx.tenantKey, all);
  const name = (id: string) => (ctx.locale === 'en-US' ? names(id).en : names(id).zh);
  const sep = ctx.t('staff:list_sep');
  const today = svc.today();
  const lines: string[] = [ctx.t('staff:status.title')];
  lines.push(ctx.t('staff:status.joining', { n: s.joining.length }));
  for (const r of s.joining)
    lines.push(
      ctx.t('staff:status.joining_line', {
        name: name(r.openId),
        id: r.openId,
        clearance: ctx.t(`staff:clearance.${r.clearance}`),
        since: r.joinedAt ? svc.day(r.joinedAt) : '—',
        due: svc
          .missing(r)
          .map((b) => (ctx.locale === 'en-US' ? b.en : b.zh))
          .join(sep),
      }),
    );
  lines.push(ctx.t('staff:status.pledge', { n: s.pledgeDue.length }));
  for (const r of s.pledgeDue) lines.push(ctx.t('staff:status.pledge_line', { name: name(r.openId), id: r.openId, on: r.pledgeOn ?? '', due: svc.pledgeDue(r.pledgeOn!) }));
  lines.push(ctx.t('staff:status.leaving', { n: s.leaving.length }));
  for (const r of s.leaving) {
    const carriers = await svc.carriersOf(ctx.tenantKey, r.openId);
    const yes = ctx.t('staff:status.yes');
    const no = ctx.t('staff:status.no');
    lines.push(
      ctx.t('staff:status.leaving_line', {
        name: name(r.openId),
        id: r.openId,
        state: ctx.t(`staff:state.${effectiveState(r, today)}`),
        on: r.leave.on,
        end: r.leave.deconEnd,
        carriers: carriers.length,
        talk: r.leave.talk ? yes : no,
        pledge: r.leave.pledge ? yes : no,
      }),
    );
  }
  return lines.join('\n');
}
