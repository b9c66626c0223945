// The register's calendar (issue 10, item 4; docs/domain.md §1.2, §1.6, §6.6):
//
// - classification periods: reminders 90, 30 and 7 days before a carrier's period ends and on the
//   day, to its custodian and the classification officers (periods.ts; alarms set by the daily
//   cadence `register.periods`);
// - the quarterly inventory: one card per custodian, confirmations, missing reports handed to the
//   incidents feature, the 7-day reminder, `/inventory` for the security office (inventory.ts,
//   commands.ts; cadence `register.inventory`);
// - the monthly list of carriers pending destruction to the security office (destruction.ts;
//   cadence `register.destruction`).
//
// Everything is built when first used: the factory only names the feature's parts (the router is
// also built without a database, to list the commands).
import type { Alarm } from '../../models/alarm.model.js';
import { InventoryStore } from '../../models/inventory.model.js';
import type { AlarmOutcome } from '../../scheduler/alarms.js';
import type { FeatureContext, FeatureModule, IncidentApi } from '../features.js';
import { registerCommands } from './commands.js';
import type { RegisterDeps } from './deps.js';
import { DestructionList } from './destruction.js';
import { Inventory } from './inventory.js';
import { isPeriodKind, PeriodClocks } from './periods.js';

/** The calendar tasks, in the unit's time zone. */
export const REGISTER_CADENCES = {
  periods: '0 9 * * *',
  inventory: '0 9 1 1,4,7,10 *',
  destruction: '0 9 1 * *',
} as const;

/** The feature's dependencies from the bot's context. */
export function registerDeps(ctx: FeatureContext): RegisterDeps {
  return {
    carriers: ctx.repos.carriers,
    roles: ctx.repos.roles,
    requests: ctx.repos.requests,
    people: ctx.people,
    audit: ctx.repos.audit,
    notify: ctx.notify,
    alarms: ctx.alarms,
    inventory: new InventoryStore(ctx.connection),
    tenants: async () => ((await ctx.connection.collection('carriers').distinct('tenantKey')) as string[]).sort(),
    incidents: () => ctx.api<IncidentApi>('incident'),
    logger: ctx.services.logger,
    timezone: ctx.timezone,
    defaultLocale: ctx.defaultLocale,
    now: ctx.now,
  };
}

/** The feature's parts on given dependencies (tests build it on fakes). */
export function registerModule(deps: () => RegisterDeps): FeatureModule {
  let periods: PeriodClocks | undefined;
  let inventory: Inventory | undefined;
  let destruction: DestructionList | undefined;
  const p = () => (periods ??= new PeriodClocks(deps()));
  const inv = () => (inventory ??= new Inventory(deps()));
  const dl = () => (destruction ??= new DestructionList(deps()));
  return {
    name: 'register',
    init: () => deps().inventory.init(),
    register: (router) => registerCommands(router, deps, inv),
    alarm: async (a: Alarm): Promise<AlarmOutcome> => {
      if (isPeriodKind(a.kind)) return p().handle(a);
      if (a.kind === 'remind') return inv().remind(a);
      if (a.kind === 'missing') return inv().missingAlarm(a);
      throw new Error(`register: unknown alarm kind ${a.kind}`);
    },
    cadences: [
      { name: 'register.periods', cron: REGISTER_CADENCES.periods, run: () => p().run() },
      // A round or a monthly list missed by more than a week is not started late (the bot first
      // started, or came back, long after it); the next slot runs as scheduled.
      { name: 'register.inventory', cron: REGISTER_CADENCES.inventory, catchUpWithinMs: 7 * 86_400_000, run: (slot) => inv().run(slot) },
      { name: 'register.destruction', cron: REGISTER_CADENCES.destruction, catchUpWithinMs: 7 * 86_400_000, run: (slot) => dl().run(slot) },
    ],
  };
}

export function registerFeature(ctx: FeatureContext): FeatureModule {
  let deps: RegisterDeps | undefined;
  return registerModule(() => (deps ??= registerDeps(ctx)));
}
