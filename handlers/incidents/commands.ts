// `/incident /报告 /事件`: without arguments the report form (anyone may report); the security
// office's steps as subcommands (`list`, `show`, `reported`, `result`, `status`, `missing`,
// `found`, `close`, `confirm`, `dismiss`) and as buttons on the incident and draft cards. Every
// answer goes to the asker's private chat; a click is answered by redrawing the clicked card.
import { BotError } from '../../bot/core/errors.js';
import { dedupeKey } from '../../bot/core/middleware.js';
import { actionOf, type Router } from '../../bot/core/router.js';
import type { Bi, Context } from '../../bot/core/types.js';
import { INCIDENT_ACTION, INCIDENT_FORM_ACTION, incidentCard, incidentDraftCard, incidentFormCard, incidentReceiptCard, statusName } from '../../cards/incident.card.js';
import { forReader } from '../../cards/reader.js';
import { fmtDate, fmtTime, tr } from '../../cards/request.card.js';
import { isIsoDate, isLevel, parseLevel, type Role } from '../../domain/index.js';
import { INCIDENT_KINDS, type Incident, type IncidentKind, type IncidentStore } from '../../models/incident.model.js';
import { cleanText } from '../input/args.js';
import { localInstant } from '../committee/motions.js';
import type { People } from '../approvals/people.js';
import type { AuditRepo } from '../approvals/ports.js';
import { MANAGER_ROLES, READER_ROLES, splitNumbers, type Actor, type IncidentService, type OpenInput } from './service.js';

export interface IncidentCommandDeps {
  /** Built on first use (building and registering the feature touch no dependency). */
  service: () => IncidentService;
  incidents: () => Pick<IncidentStore, 'list'>;
  people: Pick<People, 'hasRole' | 'requireReal' | 'candidates'>;
  audit: AuditRepo;
  timezone: string;
  /** The feature's clock (tests move it). */
  now: () => Date;
}

const OPEN_ID = /^ou_[A-Za-z0-9_]{1,64}$/;
const MAX_PLACE = 100;
const MAX_TO = 100;
const MAX_MEASURES = 500;

type Values = Record<string, unknown>;
const text = (v: Values, k: string): string => {
  const x = v[k];
  return typeof x === 'string' ? cleanText(x) : '';
};
const limit = (value: string, field: string, max: number): string => {
  if ([...value].length > max) throw new BotError('incident:too_long', { field, max });
  return value;
};

/** `YYYY-MM-DD` (or a date picker's "YYYY-MM-DD +0800") and `HH:mm` in the unit's time zone. */
function instant(date: string, time: string, tz: string): Date {
  const day = fmtDate(date);
  const at = isIsoDate(day) ? localInstant(day, time, tz) : undefined;
  if (!at) throw new BotError('incident:bad_time', { value: `${day} ${time}`.trim().slice(0, 40) || '—' });
  return at;
}

/** The report form's values (Card JSON 2.0 form_value) as an opening, checked. */
export function parseReportForm(v: Values, tz: string): Omit<OpenInput, 'reporterId'> {
  const kind = text(v, 'kind');
  if (!(INCIDENT_KINDS as readonly string[]).includes(kind)) throw new BotError('incident:bad_kind');
  const discoveredAt = instant(text(v, 'date'), text(v, 'time'), tz);
  const place = limit(text(v, 'place'), 'place', MAX_PLACE);
  const picked = Array.isArray(v.found_by) ? v.found_by[0] : v.found_by;
  const foundBy = typeof picked === 'string' ? picked.trim() : '';
  if (foundBy && !OPEN_ID.test(foundBy)) throw new BotError('incident:bad_person');
  const levelText = text(v, 'level');
  const level = levelText ? (isLevel(levelText) ? levelText : parseLevel(levelText)) : undefined;
  if (levelText && !level) throw new BotError('incident:bad_level', { value: levelText.slice(0, 20) });
  const q = text(v, 'quantity');
  if (q && (!/^\d{1,6}$/.test(q) || Number(q) < 1)) throw new BotError('incident:bad_quantity', { value: q.slice(0, 20) });
  const measures = limit(text(v, 'measures'), 'measures', MAX_MEASURES);
  return {
    kind: kind as IncidentKind,
    discoveredAt,
    ...(place ? { place } : {}),
    ...(foundBy ? { foundBy } : {}),
    carriers: splitNumbers(text(v, 'carriers')),
    ...(level ? { level } : {}),
    ...(q ? { quantity: Number(q) } : {}),
    ...(measures ? { measures } : {}),
  };
}

/** `reported <id> <YYYY-MM-DD HH:mm> to=<whom>`. */
export function parseReported(rest: string, tz: string): { id: string; at: Date; to: string } {
  const m = /^(\S+)\s+(\S+)\s+(\d{1,2}:\d{2})\s+(?:to|报告对象|对象|报送)[=＝]\s*([\s\S]+)$/i.exec(rest.trim());
  if (!m) throw new BotError('incident:usage_reported');
  const to = limit(cleanText(m[4]!), 'to', MAX_TO);
  if (!to) throw new BotError('incident:usage_reported');
  return { id: m[1]!, at: instant(m[2]!, m[3]!, tz), to };
}

const lang = (ctx: Context) => (ctx.locale === 'en-US' ? 'en-US' : 'zh-CN');
const toast = (type: 'success' | 'info', t: Bi, ctx: Context) => ({ type, content: ctx.locale === 'en-US' ? t.en : t.zh, i18n: { zh_cn: t.zh, en_us: t.en } });

export function registerIncidents(router: Router, deps: IncidentCommandDeps): void {
  const svc = deps.service;
  const when = (d: Date) => fmtTime(d.toISOString(), deps.timezone);

  /** Refuses (localised) anyone without one of the roles, and writes the attempt to the audit log. */
  const guard = async (ctx: Context, roles: readonly Role[], action: string, objectId: string) => {
    if (await svc().mayRole(ctx.tenantKey, ctx.actorId!, roles)) return;
    await deps.audit.record(ctx.tenantKey, {
      actorId: ctx.actorId!,
      action,
      objectType: 'incident',
      objectId: objectId.slice(0, 40) || '—',
      channel: ctx.event.kind === 'card_action' ? 'card' : 'command',
      outcome: 'refused',
      reason: 'not_allowed',
    });
    throw new BotError(roles === READER_ROLES ? 'incident:not_reader' : 'incident:not_allowed');
  };
  const who = (ctx: Context): Actor => ({ by: ctx.actorId!, key: dedupeKey(ctx.event), channel: ctx.event.kind === 'card_action' ? 'card' : 'command' });
  const cardOf = async (ctx: Context, inc: Incident, lead?: Bi) => {
    const view = await svc().view(inc);
    const draw = inc.status === 'DRAFT' || (inc.draft && !inc.confirmed) ? incidentDraftCard : incidentCard;
    // The buttons only for the security office: anyone else would be refused on every one.
    const actions = await svc().mayRole(ctx.tenantKey, ctx.actorId!, MANAGER_ROLES);
    return forReader(draw(view, { tb: ctx.tb, timeZone: deps.timezone, actions, ...(lead ? { lead } : {}) }), lang(ctx));
  };
  const line = (ctx: Context, i: Incident) =>
    ctx.t('incident:list_line', {
      id: i.id,
      kind: ctx.t(`incident:kind.${i.kind}`),
      status: lang(ctx) === 'en-US' ? statusName(ctx.tb, i).en : statusName(ctx.tb, i).zh,
      at: when(i.discoveredAt),
    });

  router.command({
    name: 'incident',
    aliases: ['报告', '事件'],
    private: true,
    helpNs: 'incident',
    handler: async (ctx) => {
      const args = (ctx.command?.args ?? '').trim();
      if (!args) {
        // Anyone may report: the form is made for the asker; the finder is picked from the directory.
        const people = await deps.people.candidates(ctx.tenantKey);
        await ctx.reply({ type: 'card', card: forReader(incidentFormCard({ tb: ctx.tb, owner: ctx.actorId!, people }), lang(ctx)) });
        return;
      }
      const [first = ''] = args.split(/\s+/);
      const verb = first.toLowerCase();
      const rest = args.slice(first.length).trim();
      const [id = '', ...more] = rest.split(/\s+/);
      const after = rest.slice(id.length).trim();
      const step = async (name: string, run: () => Promise<Incident>, params: (i: Incident) => Record<string, string | number> = (i) => ({ id: i.id }), note?: string) => {
        await guard(ctx, MANAGER_ROLES, `incident.${name}`, id);
        const inc = await run();
        await ctx.reply({ type: 'text', text: [ctx.t(`incident:done.${name}`, params(inc)), ...(note ? [ctx.t(note)] : [])].join('\n') });
      };
      switch (verb) {
        case 'list':
        case '列表': {
          await guard(ctx, READER_ROLES, 'incident.list', 'ALL');
          const all = await deps.incidents().list(ctx.tenantKey, 30);
          await ctx.reply({ type: 'text', text: all.length ? `${ctx.t('incident:list_title')}\n${all.map((i) => line(ctx, i)).join('\n')}` : ctx.t('incident:none') });
          return;
        }
        case 'show':
        case '查看': {
          await guard(ctx, READER_ROLES, 'incident.show', id);
          await ctx.reply({ type: 'card', card: await cardOf(ctx, await svc().get(ctx.tenantKey, id)) });
          return;
        }
        case 'reported':
        case '已报告':
        case '上报': {
          await guard(ctx, MANAGER_ROLES, 'incident.reported', id);
          const r = parseReported(rest, deps.timezone);
          const inc = await svc().reported(ctx.tenantKey, r.id, r.at, r.to, who(ctx));
          await ctx.reply({ type: 'text', text: ctx.t('incident:done.reported', { id: inc.id, at: when(r.at), to: r.to }) });
          return;
        }
        case 'result':
        case '结果':
          if (!id || more.length !== 1) {
            await guard(ctx, MANAGER_ROLES, 'incident.result', id);
            throw new BotError('incident:usage_result');
          }
          return step(
            'result',
            () => svc().result(ctx.tenantKey, id, fmtDate(more[0]!), who(ctx)),
            (i) => ({ id: i.id, on: i.result?.on ?? '' }),
          );
        case 'status':
        case '进展':
          if (!after) {
            await guard(ctx, MANAGER_ROLES, 'incident.status', id);
            throw new BotError('incident:usage_status');
          }
          // Kept in the append-only INCIDENT ledger for good: the reply repeats the form's warning.
          return step(
            'status',
            () => svc().status(ctx.tenantKey, id, cleanText(after), who(ctx)),
            (i) => ({ id: i.id }),
            'incident:status_warning',
          );
        case 'missing':
        case '丢失': {
          await guard(ctx, MANAGER_ROLES, 'incident.missing', rest);
          const numbers = splitNumbers(rest);
          if (numbers.length === 0) throw new BotError('incident:usage_missing');
          const { incident, created } = await svc().open(
            ctx.tenantKey,
            { kind: 'LOST_CARRIER', discoveredAt: deps.now(), reporterId: ctx.actorId!, foundBy: ctx.actorId!, carriers: numbers },
            who(ctx),
          );
          await ctx.reply({
            type: 'text',
            text: ctx.t(created ? 'incident:done.missing' : 'incident:already_opened', {
              id: incident.id,
              days: incident.missing?.days ?? 0,
              deadline: incident.missing ? when(incident.missing.deadline) : '',
            }),
          });
          return;
        }
        case 'found':
        case '找到':
          return step('found', () => svc().found(ctx.tenantKey, id, who(ctx)));
        case 'close':
        case '关闭':
          return step('close', () => svc().close(ctx.tenantKey, id, who(ctx)));
        case 'confirm':
        case '确认':
          return step('confirm', () => svc().confirm(ctx.tenantKey, id, who(ctx)));
        case 'dismiss':
        case '排除':
          return step('dismiss', () => svc().dismiss(ctx.tenantKey, id, after, who(ctx)));
        default:
          throw new BotError('incident:usage');
      }
    },
  });

  router.action(INCIDENT_FORM_ACTION, async (ctx) => {
    const e = ctx.event;
    if (e.kind !== 'card_action') return;
    const a = actionOf(ctx);
    // The router refuses anybody but the form's owner.
    if (!a.owner) throw new BotError('people:stale_form');
    const input = parseReportForm(e.action.formValue ?? {}, deps.timezone);
    if (input.foundBy) await deps.people.requireReal(ctx.tenantKey, [input.foundBy], 'person');
    // One incident per form: the form's nonce is its source key, so a second submission finds it.
    const { incident, created } = await svc().open(ctx.tenantKey, { ...input, reporterId: ctx.actorId! }, { by: ctx.actorId!, key: `form:${a.owner}:${a.nonce}`, channel: 'card' });
    ctx.ack({
      toast: toast(created ? 'success' : 'info', ctx.tb(created ? 'incident:receipt.toast' : 'incident:already_opened', { id: incident.id }), ctx),
      card: { type: 'raw', data: forReader(incidentReceiptCard(incident.id, incident.kind, ctx.tb), lang(ctx)) },
    });
  });

  router.action(INCIDENT_ACTION, async (ctx) => {
    const e = ctx.event;
    if (e.kind !== 'card_action') return;
    const a = actionOf(ctx);
    const s = String(a.extra?.s ?? '');
    const id = a.requestId ?? '';
    if (!id) throw new BotError('errors:bad_action');
    await guard(ctx, MANAGER_ROLES, `incident.${s}`, id);
    const v = e.action.formValue ?? {};
    const t = ctx.tenantKey;
    let inc: Incident;
    switch (s) {
      case 'reported': {
        const to = limit(text(v, 'rep_to'), 'to', MAX_TO);
        if (!to) throw new BotError('incident:usage_reported');
        inc = await svc().reported(t, id, instant(text(v, 'rep_date'), text(v, 'rep_time'), deps.timezone), to, who(ctx));
        break;
      }
      case 'result':
        inc = await svc().result(t, id, fmtDate(text(v, 'res_date')), who(ctx));
        break;
      case 'status':
        inc = await svc().status(t, id, text(v, 'text'), who(ctx));
        break;
      case 'found':
        inc = await svc().found(t, id, who(ctx));
        break;
      case 'close':
        inc = await svc().close(t, id, who(ctx));
        break;
      case 'confirm':
        inc = await svc().confirm(t, id, who(ctx));
        break;
      case 'dismiss':
        inc = await svc().dismiss(t, id, text(v, 'reason'), who(ctx));
        break;
      default:
        throw new BotError('errors:bad_action');
    }
    const done = tr(ctx.tb, `incident:done.${s}`, { id: inc.id, on: inc.result?.on ?? '', at: inc.external ? when(inc.external.reportedAt) : '', to: inc.external?.to ?? '' });
    ctx.ack({ toast: toast('success', done, ctx), card: { type: 'raw', data: await cardOf(ctx, inc, done) } });
  });
}
