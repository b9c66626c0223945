// `/training /培训` and the training cards' buttons (issue 10 item 1).
//
//   schedule <title> <YYYY-MM-DD HH:mm> <hours> [audience=all|dept=…|role=…] [form=…] [kind=…]
//            (security officer) notice at once through the fan-out, reminders 3 d and 1 h before
//   cancel <id>           (security officer) the reminders stop, the invited are told
//   list                  the officers: every session; anyone else: the sessions they are invited to
//   attendance <id>       (security officer) the attendance list card again
//   log <YYYY-MM-DD> <hours> <title>   hours earned elsewhere (not unit-organised)
//   mine [year]           this year's hours, the unit's share, the target, what is still to do
//   report [year] [dept=…]  (security officer/head) per person, below target first; per department
//   export [year]         (security officer/head) XLSX
// Every answer goes to the asker's private chat (need to know: personal and register data).
import type { Locale } from '../../bot/core/config.js';
import { BotError } from '../../bot/core/errors.js';
import { actionOf, type Router } from '../../bot/core/router.js';
import type { Context } from '../../bot/core/types.js';
import { forReader } from '../../cards/reader.js';
import { fmtTime } from '../../cards/request.card.js';
import { TRAINING_CLOSE_ACTION, TRAINING_CONFIRM_ACTION, TRAINING_SHEET_FIELD, trainingNoticeCard, trainingReportCard, type DeptRow } from '../../cards/training.card.js';
import { localDate } from '../../domain/index.js';
import { oneName, trainingWorkbook } from './export.js';
import { parseLog, parseReport, parseSchedule } from './rules.js';
import { sessionView, TRAINING_MANAGERS, TRAINING_READERS, type TrainingService } from './service.js';

const VERBS: Record<string, string> = {
  schedule: 'schedule',
  安排: 'schedule',
  新建: 'schedule',
  cancel: 'cancel',
  取消: 'cancel',
  list: 'list',
  列表: 'list',
  attendance: 'attendance',
  sheet: 'attendance',
  签到: 'attendance',
  考勤: 'attendance',
  log: 'log',
  登记: 'log',
  补录: 'log',
  mine: 'mine',
  我的: 'mine',
  report: 'report',
  统计: 'report',
  报告: 'report',
  export: 'export',
  导出: 'export',
};

const lang = (ctx: Context): Locale => (ctx.locale === 'en-US' ? 'en-US' : 'zh-CN');

export function registerTraining(router: Router, service: () => TrainingService, o: { timezone: () => string; now: () => Date }): void {
  const when = (d: Date) => fmtTime(d.toISOString(), o.timezone());
  const year = () => Number(localDate(o.now(), o.timezone()).slice(0, 4));

  router.command({
    name: 'training',
    aliases: ['培训'],
    private: true,
    helpNs: 'training',
    handler: async (ctx) => {
      const args = (ctx.command?.args ?? '').trim();
      const [first = ''] = args.split(/\s+/);
      const rest = args.slice(first.length).trim();
      const verb = first === '' ? 'list' : VERBS[first.toLowerCase()];
      const svc = service();
      const t = ctx.tenantKey;
      const me = ctx.actorId!;
      const tz = o.timezone();
      switch (verb) {
        case 'schedule': {
          await svc.guard(t, me, TRAINING_MANAGERS, 'training.schedule', 'NEW');
          const { session, created } = await svc.schedule(t, me, parseSchedule(rest, tz), ctx.event.id);
          if (created)
            await ctx.reply({
              type: 'text',
              text: ctx.t('training:scheduled', { id: session.id, at: when(session.at), hours: session.hours, invited: session.invited.length }),
            });
          return;
        }
        case 'cancel': {
          await svc.guard(t, me, TRAINING_MANAGERS, 'training.cancel', rest || '—');
          const s = await svc.cancel(t, rest, me, ctx.event.id);
          await ctx.reply({ type: 'text', text: ctx.t('training:cancelled', { id: s.id, invited: s.invited.length }) });
          return;
        }
        case 'attendance': {
          await svc.guard(t, me, TRAINING_MANAGERS, 'training.attendance', rest || '—');
          const s = await svc.get(t, rest);
          for (const { part, card } of await svc.sheetCards(s, me)) {
            const sent = await ctx.reply({ type: 'card', card });
            if (sent) await svc.addSheetCard(s._id, { part, openId: me, messageId: sent.messageId });
          }
          return;
        }
        case 'list': {
          const officer = await svc.mayRole(t, me, TRAINING_READERS);
          const all = await svc.list(t, officer ? undefined : me);
          if (all.length === 0) return void (await ctx.reply({ type: 'text', text: ctx.t('training:none') }));
          const lines = all.map((s) =>
            ctx.t('training:line', {
              id: s.id,
              at: when(s.at),
              title: s.title,
              hours: s.hours,
              kind: ctx.t(`training:kind.${s.kind}`),
              invited: s.invited.length,
              state: ctx.t(`training:state.${s.state}`),
            }),
          );
          await ctx.reply({ type: 'text', text: `${ctx.t(officer ? 'training:list_title' : 'training:list_title_mine')}\n${lines.join('\n')}` });
          return;
        }
        case 'log': {
          const a = parseLog(rest, o.now(), tz);
          const { entry } = await svc.log(t, me, a, ctx.event.id);
          await ctx.reply({ type: 'text', text: ctx.t('training:logged', { date: entry.date, hours: entry.hours, title: entry.title, year: entry.year }) });
          return;
        }
        case 'mine': {
          const y = rest ? parseReport(rest, o.now(), tz).year : year();
          const m = await svc.mine(t, me, y);
          const lines = [
            ctx.t('training:mine.head', { year: y, hours: m.tally.hours, unit: m.tally.unit }),
            ctx.t('training:mine.target', { hours: m.target.hours, unit: m.standing.needUnit }),
            m.standing.below ? ctx.t('training:mine.short', { short: m.standing.short, hours: m.standing.shortHours, unit: m.standing.shortUnit }) : ctx.t('training:mine.met'),
            ...m.entries.map((e) =>
              ctx.t('training:mine.entry', { date: e.date, title: e.title, hours: e.hours, how: ctx.t(e.unitOrganised ? 'training:mine.unit' : 'training:mine.self') }),
            ),
          ];
          await ctx.reply({ type: 'text', text: lines.join('\n') });
          return;
        }
        case 'report':
        case 'export': {
          await svc.guard(t, me, TRAINING_READERS, `training.${verb}`, rest || 'ALL');
          const q = parseReport(rest, o.now(), tz);
          const dept = q.dept ? await svc.resolveDept(t, q.dept) : undefined;
          const standings = await svc.standings(t, q.year, dept ? { deptId: dept.id } : {});
          const l = lang(ctx);
          const names = await svc.names(
            t,
            standings.map((s) => s.openId),
          );
          const deptIds = [...new Set(standings.map((s) => s.deptId).filter((x): x is string => !!x))];
          const deptNames = new Map<string, string>();
          for (const id of deptIds) deptNames.set(id, oneName(await svc.deptName(t, id), l));
          const deptOf = (id: string | undefined) => (id ? (deptNames.get(id) ?? id) : '—');
          await svc.audited(t, me, `training.${verb}`, String(q.year));
          if (verb === 'report') {
            const depts = new Map<string, DeptRow>();
            for (const s of standings) {
              const name = deptOf(s.deptId);
              const d = depts.get(name) ?? { dept: name, people: 0, below: 0, hours: 0, unit: 0 };
              d.people++;
              if (s.standing.below) d.below++;
              d.hours = Math.round((d.hours + s.tally.hours) * 10) / 10;
              d.unit = Math.round((d.unit + s.tally.unit) * 10) / 10;
              depts.set(name, d);
            }
            const card = trainingReportCard(
              {
                year: q.year,
                ...(dept ? { dept: oneName(dept.name, l) } : {}),
                below: standings.filter((s) => s.standing.below).length,
                rows: standings.map((s) => ({
                  name: oneName(names(s.openId), l),
                  dept: deptOf(s.deptId),
                  hours: s.tally.hours,
                  unit: s.tally.unit,
                  target: s.target.hours,
                  short: s.standing.short,
                })),
                depts: [...depts.values()].sort((a, b) => b.below - a.below || (a.dept < b.dept ? -1 : 1)),
              },
              { tb: ctx.tb, lang: l === 'en-US' ? 'en' : 'zh' },
            );
            await ctx.reply({ type: 'card', card: forReader(card, l) });
            return;
          }
          const entries = (await svc.entries(t, q.year)).filter((e) => standings.some((s) => s.openId === e.openId));
          const entryNames = await svc.names(
            t,
            entries.map((e) => e.openId),
          );
          const data = await trainingWorkbook({
            year: q.year,
            t: ctx.t,
            standings,
            entries,
            name: (id) => oneName(entryNames(id), l),
            dept: deptOf,
          });
          const { fileKey } = await ctx.services.sender.uploadFile(`${ctx.t('training:export.file')}-${q.year}.xlsx`, data, 'xls');
          await ctx.reply({ type: 'file', fileKey });
          return;
        }
        default:
          throw new BotError('training:usage');
      }
    },
  });

  router.action(TRAINING_CONFIRM_ACTION, async (ctx) => {
    const a = actionOf(ctx);
    if (!a.requestId) throw new BotError('errors:bad_action');
    const s = await service().confirm(ctx.tenantKey, a.requestId, ctx.actorId!);
    const card = trainingNoticeCard(sessionView(s), { tb: ctx.tb, timeZone: o.timezone(), confirmed: true });
    const text = ctx.tb('training:toast_confirmed');
    ctx.ack({
      toast: { type: 'success', content: lang(ctx) === 'en-US' ? text.en : text.zh, i18n: { zh_cn: text.zh, en_us: text.en } },
      card: { type: 'raw', data: forReader(card, lang(ctx)) },
    });
  });

  router.action(TRAINING_CLOSE_ACTION, async (ctx) => {
    const a = actionOf(ctx);
    const part = Number(a.extra?.p);
    if (!a.requestId || !Number.isInteger(part)) throw new BotError('errors:bad_action');
    const svc = service();
    await svc.guard(ctx.tenantKey, ctx.actorId!, TRAINING_MANAGERS, 'training.close', a.requestId, 'card');
    const form = ctx.event.kind === 'card_action' ? ctx.event.action.formValue : undefined;
    const raw = form?.[TRAINING_SHEET_FIELD];
    const ticked = Array.isArray(raw) ? raw.filter((x): x is string => typeof x === 'string') : typeof raw === 'string' && raw ? [raw] : [];
    const r = await svc.close(ctx.tenantKey, a.requestId, part, ctx.actorId!, ticked);
    const mine = (await svc.sheetCards(r.session, ctx.actorId!)).find((c) => c.part === part)?.card;
    const closed = r.session.sheet.closed.find((c) => c.part === part);
    const text = r.won ? ctx.tb('training:toast_closed', { n: closed?.attendees.length ?? 0 }) : ctx.tb('training:toast_already_closed');
    ctx.ack({
      toast: { type: r.won ? 'success' : 'info', content: lang(ctx) === 'en-US' ? text.en : text.zh, i18n: { zh_cn: text.zh, en_us: text.en } },
      ...(mine ? { card: { type: 'raw' as const, data: mine } } : {}),
    });
    // The other copies of this part (another officer's) show it closed too.
    const messageId = ctx.event.kind === 'card_action' ? ctx.event.messageId : undefined;
    await svc.refreshSheets(r.session, { parts: [part], ...(messageId ? { skip: messageId } : {}) });
  });
}
