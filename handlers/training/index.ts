// The training feature (issue 10 item 1; DOMAIN §4.3): sessions with a notice through the
// fan-out, reminders 3 days and 1 hour before (alarms), "I'll attend", the security officer's
// attendance list closed once, hours per person and year, `/training mine | report | export`, the
// quarterly reminder (`training.quarterly`) and `TrainingApi.completed` for the other features.
// Wired by handlers/features.ts. Its settings (rules.ts) are read when it is built: a bad value
// stops the start-up with a ConfigError naming the variable.
import type { Cadence, FeatureContext, FeatureModule, TrainingApi } from '../features.js';
import { TrainingStore } from '../../models/training.model.js';
import { registerTraining } from './commands.js';
import { trainingSettings } from './rules.js';
import { TRAINING_TOPIC, TrainingService } from './service.js';

/** 09:00 on the 1st of January, April, July and October, in the unit's time zone. */
export const TRAINING_QUARTERLY_CRON = '0 9 1 1,4,7,10 *';

export function trainingFeature(ctx: FeatureContext): FeatureModule {
  const settings = trainingSettings(ctx.env ?? {});
  // Built on first use: the context's connection and services are touched only once the bot runs.
  let store: TrainingStore | undefined;
  let service: TrainingService | undefined;
  const storeOf = () => (store ??= new TrainingStore(ctx.connection));
  const svc = (): TrainingService =>
    (service ??= new TrainingService({
      store: storeOf(),
      counters: ctx.repos.counters,
      roles: ctx.repos.roles,
      people: ctx.people,
      directory: ctx.services.directory,
      audit: ctx.repos.audit,
      prefs: ctx.services.prefs,
      notify: ctx.notify,
      sender: ctx.services.sender,
      alarms: ctx.alarms,
      logger: ctx.services.logger,
      timezone: ctx.timezone,
      defaultLocale: ctx.defaultLocale,
      settings,
      now: ctx.now,
      tenants: async () => {
        // Tenants with training records, and those with roles granted (every unit in use has some).
        const withRoles = (await ctx.connection.collection('roles').distinct('tenantKey')) as string[];
        return [...new Set([...(await storeOf().tenants()), ...withRoles])].sort();
      },
    }));
  // A quarterly reminder missed by more than a week (the bot first started, or was down, after it)
  // is not sent late: it would tell everyone of a shortfall long past; the next quarter's runs.
  const quarterly: Cadence = { name: 'training.quarterly', cron: TRAINING_QUARTERLY_CRON, catchUpWithinMs: 7 * 86_400_000, run: (slot) => svc().quarterly(slot) };
  const api: TrainingApi = { completed: (tenantKey, openId, kind) => svc().completed(tenantKey, openId, kind) };
  return {
    name: TRAINING_TOPIC,
    init: () => storeOf().init(),
    register: (router) => registerTraining(router, svc, { timezone: () => ctx.timezone, now: () => ctx.now() }),
    alarm: (a) => svc().alarm(a),
    cadences: [quarterly],
    api,
  };
}
