// The ledgers (台账) for the security office, from chat: `/ledger` (a filtered, paged card),
// `/ledger stats`, `/export` (XLSX or CSV, sent as a file), `/verify` (every chain walked, and
// checked against its last anchored head) and `/verify anchor`. Who may: security officers, the
// security-office head, the committee chair and administrators; anyone else is refused and the
// attempt is written to the audit log. Every answer goes to the asker's private chat.
import { BotError } from '../../bot/core/errors.js';
import { actionOf, type Router } from '../../bot/core/router.js';
import type { Bi, Context } from '../../bot/core/types.js';
import type { ActionExtra } from '../../cards/action-value.js';
import { LEDGER_PAGE_ACTION, LEDGER_PAGE_SIZE, ledgerPageCard, type LedgerCardColumn } from '../../cards/ledger.card.js';
import { tr } from '../../cards/request.card.js';
import { bilingual } from '../../locales/index.js';
import { CARRIER_STATUSES, localDate, type Role } from '../../domain/index.js';
import type { LedgerKind, ReaderFilter, ReaderRow } from '../../models/ledger-reader.js';
import { COLUMNS, idsOf, type Resolver } from './columns.js';
import { parseLedgerArgs, parseYear, queryArgs, type FilterError, type LedgerQuery } from './filters.js';
import { formatCell, resolverFor, type LedgerDeps } from './resolve.js';
import { runExport } from './export.js';
import { anchorNow, verifyCard } from './verify.js';
import { statsCard } from './stats.js';

export type { LedgerDeps } from './resolve.js';
export { anchorDaily } from './verify.js';

/** Who may read, export and verify the ledgers. */
export const LEDGER_ROLES: readonly Role[] = ['security_officer', 'security_head', 'committee_chair', 'admin'];

/** Events each register records (status= for them), and the audit log's outcomes. */
const STATUSES: Record<LedgerKind, readonly string[]> = {
  MASTER: CARRIER_STATUSES,
  COPY: ['COPIED'],
  CARRY: ['CHECKED_OUT', 'OVERDUE', 'RETURNED', 'INSPECTED'],
  DESTROY: ['DESTROYED'],
  INCIDENT: ['OPENED', 'MISSING', 'REPORTED', 'STATUS', 'RESULT', 'FOUND', 'LEAK', 'CLOSED', 'DISMISSED'],
  AUDIT: ['ok', 'refused'],
};
const statusLabelKey = (kind: LedgerKind, s: string) => (kind === 'MASTER' ? `cards:carrier_status.${s}` : kind === 'AUDIT' ? `ledger:outcome.${s}` : `ledger:event.${s}`);

async function mayRead(deps: LedgerDeps, tenantKey: string, openId: string): Promise<boolean> {
  for (const r of LEDGER_ROLES) if (await deps.people.hasRole(tenantKey, openId, r)) return true;
  return false;
}

/** Refuses (localised) and writes the attempt to the audit log. */
async function guard(ctx: Context, deps: LedgerDeps, action: string, objectId: string): Promise<void> {
  if (await mayRead(deps, ctx.tenantKey, ctx.actorId!)) return;
  await deps.audit.record(ctx.tenantKey, {
    actorId: ctx.actorId!,
    action,
    objectType: 'ledger',
    objectId,
    channel: ctx.event.kind === 'card_action' ? 'card' : 'command',
    outcome: 'refused',
    reason: 'not_allowed',
  });
  throw new BotError('ledger:not_allowed');
}

async function recordOk(ctx: Context, deps: LedgerDeps, action: string, objectId: string, details?: Record<string, unknown>): Promise<void> {
  await deps.audit.record(ctx.tenantKey, {
    actorId: ctx.actorId!,
    action,
    objectType: 'ledger',
    objectId,
    channel: ctx.event.kind === 'card_action' ? 'card' : 'command',
    outcome: 'ok',
    ...(details ? { details } : {}),
  });
}

function filterRefusal(tb: Context['tb'], e: FilterError, kind?: LedgerKind): BotError {
  const params: Record<string, unknown> = { value: e.value };
  if (kind) params.kind = tb(`ledger:kind.${kind}`);
  return BotError.localised(`ledger:bad.${e.code}`, tr(tb, `ledger:bad.${e.code}`, params as Record<string, string>));
}

/** The query's filters resolved for one register (names → ids, status → events or carriers). */
export async function resolveFilter(ctx: Pick<Context, 'tenantKey' | 'tb'>, deps: LedgerDeps, q: LedgerQuery, kind: LedgerKind): Promise<ReaderFilter> {
  const tb = ctx.tb;
  const notApplicable = (key: string) => BotError.localised('ledger:bad.not_applicable', tr(tb, 'ledger:bad.not_applicable', { value: key, kind: tb(`ledger:kind.${kind}`) }));
  const f: ReaderFilter = { kind };
  if (q.range) {
    f.from = q.range.from;
    f.to = q.range.to;
  }
  if (q.dept !== undefined) {
    // Incidents carry no department (handlers/incidents: the reporter, finder and carriers only).
    if (kind === 'MASTER' || kind === 'AUDIT' || kind === 'INCIDENT') throw notApplicable('dept');
    const known = await deps.reader.departments(ctx.tenantKey, kind);
    const wanted = q.dept.toLowerCase();
    const ids: string[] = [];
    for (const id of known) {
      if (id.toLowerCase() === wanted) ids.push(id);
      else {
        const d = await deps.directory.department(ctx.tenantKey, id);
        if (d && (d.name.toLowerCase() === wanted || d.enName?.toLowerCase() === wanted)) ids.push(id);
      }
    }
    if (ids.length === 0) throw BotError.localised('ledger:bad.dept', tb('ledger:bad.dept', { value: q.dept }));
    f.deptIds = ids;
  }
  if (q.level !== undefined) {
    if (kind === 'AUDIT') throw notApplicable('level');
    f.level = q.level;
  }
  let masterCarriers: string[] | undefined;
  if (q.status !== undefined) {
    const typed = q.status.toLowerCase();
    const match = STATUSES[kind].find((s) => {
      const label = bilingual(statusLabelKey(kind, s));
      return s.toLowerCase() === typed || label.zh.toLowerCase() === typed || label.en.toLowerCase() === typed;
    });
    if (!match) {
      const choices = { zh: STATUSES[kind].map((s) => bilingual(statusLabelKey(kind, s)).zh).join('、'), en: STATUSES[kind].join(', ') };
      throw BotError.localised('ledger:bad.status', tr(tb, 'ledger:bad.status', { value: q.status, kind: tb(`ledger:kind.${kind}`), choices }));
    }
    if (kind === 'MASTER') masterCarriers = await deps.reader.carrierNumbers(ctx.tenantKey, { status: match });
    else f.events = [match];
  }
  if (q.user !== undefined) {
    if (kind === 'MASTER') {
      const held = await deps.reader.carrierNumbers(ctx.tenantKey, { custodianId: q.user });
      masterCarriers = masterCarriers ? masterCarriers.filter((n) => held.includes(n)) : held;
    } else f.user = q.user;
  }
  if (q.carrier !== undefined) {
    f.carriers = masterCarriers ? masterCarriers.filter((n) => n.toUpperCase() === q.carrier) : [q.carrier];
  } else if (masterCarriers) f.carriers = masterCarriers;
  return f;
}

/** The filters in words, for the card. */
async function describe(ctx: Context, deps: LedgerDeps, q: LedgerQuery): Promise<Bi | undefined> {
  const parts: Bi[] = [];
  const tb = ctx.tb;
  if (q.range) parts.push(tb('ledger:filter.range', { from: q.range.fromDay, to: q.range.toDay }));
  if (q.dept) parts.push(tb('ledger:filter.dept', { value: q.dept }));
  if (q.level) parts.push(tr(tb, 'ledger:filter.level', { value: tb(`cards:level.${q.level}`) }));
  if (q.user) parts.push(tr(tb, 'ledger:filter.user', { value: (await deps.people.names(ctx.tenantKey, [q.user]))(q.user) }));
  if (q.status) parts.push(tb('ledger:filter.status', { value: q.status }));
  if (q.carrier) parts.push(tb('ledger:filter.carrier', { value: q.carrier }));
  if (parts.length === 0) return undefined;
  return { zh: parts.map((p) => p.zh).join('；'), en: parts.map((p) => p.en).join('; ') };
}

/** The query as the compact extra fields of a paging button (each value ≤ 64 characters). */
function extraOf(q: LedgerQuery): ActionExtra {
  const x: ActionExtra = { k: q.kinds[0]!.toLowerCase() };
  if (q.range) x.r = q.range.text;
  if (q.dept) x.d = q.dept;
  if (q.level) x.l = q.level;
  if (q.user) x.u = q.user;
  if (q.status) x.s = q.status;
  if (q.carrier) x.c = q.carrier;
  return x;
}

function argsOfExtra(x: ActionExtra): string {
  const parts = [String(x.k ?? '')];
  if (x.r) parts.push(String(x.r));
  for (const [k, name] of [
    ['d', 'dept'],
    ['l', 'level'],
    ['u', 'user'],
    ['s', 'status'],
    ['c', 'carrier'],
  ] as const) {
    if (x[k] !== undefined) parts.push(`${name}=${String(x[k])}`);
  }
  return parts.join(' ');
}

/** Renders one page of a register as a card. */
async function pageCard(ctx: Context, deps: LedgerDeps, q: LedgerQuery, at: { before?: number; after?: number; page?: number }) {
  const kind = q.kinds[0]!;
  const filter = await resolveFilter(ctx, deps, q, kind);
  const [total, page] = await Promise.all([deps.reader.count(ctx.tenantKey, filter), deps.reader.page(ctx.tenantKey, filter, LEDGER_PAGE_SIZE, at)]);
  const x = await resolverFor(ctx, deps, page.rows);
  const cols = COLUMNS[kind].filter((c) => c.card);
  const lang = ctx.locale === 'en-US' ? 'en' : 'zh';
  const columns: LedgerCardColumn[] = cols.map((c) => ({ id: c.id, label: ctx.tb(`ledger:col.${c.label}`), type: 'text', ...(c.cardWidth ? { width: c.cardWidth } : {}) }));
  const rows = page.rows.map((r) => {
    const row: Record<string, string> = {};
    for (const c of cols) row[c.id] = formatCell(c.value(r, x), c.type, ctx.services.timezone);
    return row;
  });
  const pageNo = Math.max(1, at.page ?? 1);
  const base = extraOf(q);
  const first = page.rows[0]?.seq;
  const last = page.rows.at(-1)?.seq;
  return ledgerPageCard({
    kind: ctx.tb(`ledger:kind.${kind}`),
    columns,
    rows,
    total,
    page: pageNo,
    ...((await describe(ctx, deps, q)) ? { filters: (await describe(ctx, deps, q))! } : {}),
    args: queryArgs(q),
    ...(page.newer && first !== undefined ? { prev: { ...base, a: first, p: pageNo - 1 } } : {}),
    ...(page.older && last !== undefined ? { next: { ...base, b: last, p: pageNo + 1 } } : {}),
    owner: ctx.actorId!,
    tb: ctx.tb,
    lang,
  });
}

export function registerLedgers(router: Router, deps: LedgerDeps): void {
  router.command({
    name: 'ledger',
    aliases: ['台账'],
    private: true,
    handler: async (ctx) => {
      const args = (ctx.command?.args ?? '').trim();
      const [first, second, ...more] = args.split(/\s+/);
      if (first && ['stats', '统计'].includes(first.toLowerCase())) {
        await guard(ctx, deps, 'ledger.stats', 'ALL');
        const thisYear = Number(localDate(ctx.services.now(), ctx.services.timezone).slice(0, 4));
        const year = parseYear(second, thisYear);
        if (year === undefined || more.length) throw BotError.localised('ledger:bad.year', ctx.tb('ledger:bad.year', { value: [second, ...more].join(' ') }));
        await recordOk(ctx, deps, 'ledger.stats', String(year));
        await ctx.reply({ type: 'card', card: await statsCard(ctx, deps, year) });
        return;
      }
      if (!first) {
        await guard(ctx, deps, 'ledger.query', 'ALL');
        throw new BotError('ledger:usage');
      }
      const parsed = parseLedgerArgs(args, { tz: ctx.services.timezone });
      const objectId = parsed.ok ? parsed.value.kinds[0]! : 'ALL';
      await guard(ctx, deps, 'ledger.query', objectId);
      if (!parsed.ok) throw filterRefusal(ctx.tb, parsed.error);
      await recordOk(ctx, deps, 'ledger.query', objectId, { args: queryArgs(parsed.value) });
      await ctx.reply({ type: 'card', card: await pageCard(ctx, deps, parsed.value, {}) });
    },
  });

  router.action(LEDGER_PAGE_ACTION, async (ctx) => {
    const a = actionOf(ctx);
    const x = a.extra ?? {};
    await guard(ctx, deps, 'ledger.query', String(x.k ?? 'ALL').toUpperCase());
    const parsed = parseLedgerArgs(argsOfExtra(x), { tz: ctx.services.timezone });
    if (!parsed.ok) throw new BotError('errors:bad_action');
    const at = {
      ...(typeof x.b === 'number' ? { before: x.b } : {}),
      ...(typeof x.a === 'number' ? { after: x.a } : {}),
      ...(typeof x.p === 'number' ? { page: x.p } : {}),
    };
    const card = await pageCard(ctx, deps, parsed.value, at);
    // Answered through the callback: the clicked card is redrawn in place.
    ctx.ack({ card: { type: 'raw', data: card } });
  });

  router.command({
    name: 'export',
    aliases: ['导出'],
    private: true,
    handler: async (ctx) => {
      const args = (ctx.command?.args ?? '').trim();
      const parsed = parseLedgerArgs(args, { tz: ctx.services.timezone, many: true, allowFormat: true });
      const objectId = parsed.ok ? parsed.value.kinds.join(',') : 'ALL';
      await guard(ctx, deps, 'ledger.export', objectId);
      if (!args) throw new BotError('ledger:usage');
      if (!parsed.ok) throw filterRefusal(ctx.tb, parsed.error);
      const q = parsed.value;
      const filters: ReaderFilter[] = [];
      for (const kind of q.kinds) filters.push(await resolveFilter(ctx, deps, q, kind));
      const rows = await runExport(ctx, deps, q, filters);
      await recordOk(ctx, deps, 'ledger.export', objectId, { args: queryArgs(q), rows });
    },
  });

  router.command({
    name: 'verify',
    aliases: ['核验'],
    private: true,
    handler: async (ctx) => {
      const sub = (ctx.command?.args ?? '').trim().toLowerCase();
      if (sub === 'anchor' || sub === '锚定') {
        await guard(ctx, deps, 'ledger.anchor', 'ALL');
        const at = await anchorNow(ctx, deps);
        await recordOk(ctx, deps, 'ledger.anchor', 'ALL');
        await ctx.reply({ type: 'text', text: ctx.t('ledger:verify.anchored', { at }) });
        return;
      }
      await guard(ctx, deps, 'ledger.verify', 'ALL');
      if (sub) throw new BotError('ledger:verify.usage');
      const { card, intact } = await verifyCard(ctx, deps);
      await recordOk(ctx, deps, 'ledger.verify', 'ALL', { intact });
      await ctx.reply({ type: 'card', card });
    },
  });
}

export type { ReaderRow, Resolver };
export { idsOf };
