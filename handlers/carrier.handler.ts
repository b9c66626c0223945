import { BotError } from '../bot/core/errors.js';
import type { Router } from '../bot/core/router.js';
import type { Context } from '../bot/core/types.js';
import type { People } from './approvals/people.js';
import type { AuditRepo, CarrierRepo, LedgerRepo } from './approvals/ports.js';
import type { ApprovalCards } from './approvals/render.js';
import { inputRefusal, parseInput } from './approvals/input.js';
import { regimeOf } from './workflow/index.js';

export interface CarrierDeps {
  carriers: CarrierRepo;
  ledger: LedgerRepo;
  audit: AuditRepo;
  people: People;
  cards: ApprovalCards;
}

/** The master register: `/carrier add|show|list` (adding is the security officer's job). */
export function registerCarriers(router: Router, deps: CarrierDeps): void {
  router.command({
    name: 'carrier',
    aliases: ['载体'],
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
  const parsed = parseInput('carrier.add', args);
  if (!parsed.ok) throw inputRefusal(parsed.error);
  const v = parsed.value;
  const result = await deps.carriers.create(ctx.tenantKey, {
    number: v.no,
    regime: regimeOf(v.level),
    level: v.level,
    carrierType: v.type,
    alias: v.alias,
    ...(v.period ? { period: v.period } : {}),
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
      issuer: c.issuer ?? null,
      pages: c.pages ?? null,
      count: c.count,
      custodianId: c.custodianId ?? null,
      copyRestricted: c.copyRestricted,
      mustReturnToIssuer: c.mustReturnToIssuer,
      status: c.status,
    },
  });
  await deps.audit.record(ctx.tenantKey, { actorId: actor, action: 'carrier.register', objectType: 'carrier', objectId: c.number, channel: 'command', outcome: 'ok', effectKey: `carrier:${c.number}:registered:audit` });
  await ctx.reply({ type: 'card', card: await deps.cards.carrier(ctx.tenantKey, c) });
}

async function show(ctx: Context, deps: CarrierDeps, args: string): Promise<void> {
  const number = args.split(/\s+/)[0];
  if (!number) throw new BotError('request:carrier.usage');
  const c = await deps.carriers.get(ctx.tenantKey, number);
  if (!c) throw new BotError('request:unknown_carrier', { number });
  await ctx.reply({ type: 'card', card: await deps.cards.carrier(ctx.tenantKey, c) });
}

async function list(ctx: Context, deps: CarrierDeps, args: string): Promise<void> {
  const parsed = parseInput('carrier.list', args);
  if (!parsed.ok) throw inputRefusal(parsed.error);
  const page = await deps.carriers.list(ctx.tenantKey, parsed.value.filter, { limit: 20, ...(parsed.value.after ? { after: parsed.value.after } : {}) });
  await ctx.reply({ type: 'card', card: await deps.cards.carrierList(ctx.tenantKey, page.items, page.next) });
}
