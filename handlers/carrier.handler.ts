import { BotError } from '../bot/core/errors.js';
import type { Router } from '../bot/core/router.js';
import type { Context } from '../bot/core/types.js';
import type { People } from './approvals/people.js';
import type { AuditRepo, CarrierRepo, LedgerRepo, RequestRepo } from './approvals/ports.js';
import type { ApprovalCards, CopySupervision } from './approvals/render.js';
import { inputRefusal, parseInput } from './approvals/input.js';
import { parseDate } from './input/index.js';
import { maySee, ownCarriers, seesWholeRegister } from './need-to-know.js';
import { localDate, regimeOf } from '../domain/index.js';

export interface CarrierDeps {
  carriers: CarrierRepo;
  ledger: LedgerRepo;
  audit: AuditRepo;
  people: People;
  cards: ApprovalCards;
  requests: RequestRepo;
}

/**
 * The master register: `/carrier add|show|list` (adding is the security officer's job). Need to
 * know: the whole register is for the security office and administrators; everybody else sees the
 * carriers they hold or asked for. Every answer goes to the asker's private chat.
 */
export function registerCarriers(router: Router, deps: CarrierDeps): void {
  router.command({
    name: 'carrier',
    aliases: ['载体'],
    private: true,
    handler: async (ctx: Context) => {
      const m = /^(\S*)\s*([\s\S]*)$/.exec(ctx.command?.args ?? '')!;
      const verb = m[1]!.toLowerCase();
      const rest = m[2]!.trim();
      if (verb === 'add' || verb === '登记' || verb === '添加') return add(ctx, deps, rest);
      if (verb === 'show' || verb === '查看') return show(ctx, deps, rest);
      if (verb === 'list' || verb === '列表' || verb === '') return list(ctx, deps, rest);
      throw new BotError('request:carrier.usage');
    },
  });
}

async function add(ctx: Context, deps: CarrierDeps, args: string): Promise<void> {
  const actor = ctx.actorId!;
  const allowed = (await deps.people.hasRole(ctx.tenantKey, actor, 'security_officer')) || (await deps.people.hasRole(ctx.tenantKey, actor, 'security_head'));
  if (!allowed) throw new BotError('request:carrier.officer_only');
  const { issuedOn, rest } = takeIssued(args, ctx.services.timezone, ctx.services.now());
  const parsed = parseInput('carrier.add', rest);
  if (!parsed.ok) throw inputRefusal(parsed.error);
  const v = parsed.value;
  // The custodian named (typed or @-mentioned) must be an active directory user.
  if (v.custodian) await deps.people.requireReal(ctx.tenantKey, [v.custodian], 'custodian');
  const result = await deps.carriers.create(ctx.tenantKey, {
    number: v.no,
    regime: regimeOf(v.level),
    level: v.level,
    carrierType: v.type,
    alias: v.alias,
    ...(v.period ? { period: v.period } : {}),
    ...(issuedOn ? { issuedOn } : {}),
    ...(v.issuer ? { issuer: v.issuer } : {}),
    copyRestricted: v.copyRestricted,
    mustReturnToIssuer: v.returnToIssuer,
    ...(v.pages !== undefined ? { pages: v.pages } : {}),
    count: v.count,
    custodianId: v.custodian ?? actor,
    origin: 'registered',
    createdBy: actor,
  });
  if (!result.ok) throw new BotError('request:carrier.duplicate', { number: v.no });
  const c = result.carrier;
  await deps.ledger.append(ctx.tenantKey, 'MASTER', {
    effectKey: `carrier:${c.number}:registered`,
    event: 'REGISTERED',
    carrierNumber: c.number,
    actorId: actor,
    quantity: c.count,
    occurredAt: c.createdAt,
    data: {
      number: c.number,
      alias: c.alias,
      carrierType: c.carrierType,
      level: c.level,
      period: c.period ?? null,
      ...(c.issuedOn ? { issuedOn: c.issuedOn } : {}),
      issuer: c.issuer ?? null,
      pages: c.pages ?? null,
      count: c.count,
      custodianId: c.custodianId ?? null,
      copyRestricted: c.copyRestricted,
      mustReturnToIssuer: c.mustReturnToIssuer,
      status: c.status,
    },
  });
  await deps.audit.record(ctx.tenantKey, {
    actorId: actor,
    action: 'carrier.register',
    objectType: 'carrier',
    objectId: c.number,
    channel: 'command',
    outcome: 'ok',
    effectKey: `carrier:${c.number}:registered:audit`,
  });
  await ctx.reply({ type: 'card', card: await deps.cards.carrier(ctx.tenantKey, c, undefined, ctx.locale) });
}

/**
 * `issued=` / `制发日期=` (the issue date the classification period runs from, Reg 19): taken out
 * of the arguments before the rest is parsed; a real date, not in the future.
 */
function takeIssued(args: string, timezone: string, now: Date): { issuedOn?: string; rest: string } {
  const m = /(?:^|\s)(?:issued|issued_on|制发日期|制发日)[=＝](\S*)/iu.exec(args);
  if (!m) return { rest: args };
  const issuedOn = parseDate(m[1]!);
  if (!issuedOn) throw new BotError('register:issued.invalid', { value: m[1]! });
  if (issuedOn > localDate(now, timezone)) throw new BotError('register:issued.future', { value: issuedOn });
  return { issuedOn, rest: args.replace(m[0], ' ') };
}

async function show(ctx: Context, deps: CarrierDeps, args: string): Promise<void> {
  const number = args.split(/\s+/)[0];
  if (!number) throw new BotError('request:carrier.usage');
  const c = await deps.carriers.get(ctx.tenantKey, number);
  if (!(await seesWholeRegister(deps.people, ctx.tenantKey, ctx.actorId!))) {
    // The same answer whether it exists or not: the register's contents are not for guessing.
    if (!c || !(await maySee(deps, ctx.tenantKey, ctx.actorId!, c))) throw new BotError('request:carrier.not_yours', { number });
  }
  if (!c) throw new BotError('request:unknown_carrier', { number });
  await ctx.reply({ type: 'card', card: await deps.cards.carrier(ctx.tenantKey, c, await supervisionOf(deps, ctx.tenantKey, c.sourceRequestId), ctx.locale) });
}

/** A copy's supervision record (原稿收回、废页清点回收、设备数据清除) from the request that made it. */
async function supervisionOf(deps: CarrierDeps, tenantKey: string, requestId: string | undefined): Promise<CopySupervision | undefined> {
  if (!requestId) return undefined;
  const source = await deps.requests.get(tenantKey, requestId);
  const r = source?.request;
  if (r?.kind !== 'COPY' || !r.details.execution) return undefined;
  const e = r.details.execution;
  return { requestId: r.id, originalsReturned: e.originalsReturned, wasteRecovered: e.wasteRecovered, ...(e.deviceWiped !== undefined ? { deviceWiped: e.deviceWiped } : {}) };
}

async function list(ctx: Context, deps: CarrierDeps, args: string): Promise<void> {
  const parsed = parseInput('carrier.list', args);
  if (!parsed.ok) throw inputRefusal(parsed.error);
  const pageOpts = { limit: 20, ...(parsed.value.after ? { after: parsed.value.after } : {}) };
  // Staff get the register filtered to their own carriers (held or asked for), not a refusal.
  const whole = await seesWholeRegister(deps.people, ctx.tenantKey, ctx.actorId!);
  const page = whole ? await deps.carriers.list(ctx.tenantKey, parsed.value.filter, pageOpts) : await ownCarriers(deps, ctx.tenantKey, ctx.actorId!, parsed.value.filter, pageOpts);
  await ctx.reply({ type: 'card', card: await deps.cards.carrierList(ctx.tenantKey, page.items, page.next, { mineOnly: !whole, locale: ctx.locale }) });
}
