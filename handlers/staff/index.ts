// The staff feature (issue 10 item 2): people joining and leaving. `/staff` (`/人员`) and Lark's
// contact events record who joins (onboarding training and the confidentiality pledge due, with
// weekly reminders until both are done; the pledge re-signed every BAOMI_PLEDGE_MONTHS months) and
// who leaves (a checklist card built from the register; the decontamination period and its end).
// See service.ts for the clocks and commands.ts for the commands, the card's buttons and the events.
import { StaffStore } from '../../models/staff.model.js';
import type { FeatureContext, FeatureModule, TrainingApi } from '../features.js';
import { registerStaffCommands } from './commands.js';
import { loadStaffConfig } from './config.js';
import { StaffService, TOPIC } from './service.js';

export function staffFeature(ctx: FeatureContext): FeatureModule {
  // Validated when the bot starts: a bad value stops it with a ConfigError naming the variable.
  const config = loadStaffConfig(ctx.env);
  let store: StaffStore | undefined;
  let service: StaffService | undefined;
  // Built on first use: nothing of the context is touched while the bot is being assembled.
  const storeOf = () => (store ??= new StaffStore(ctx.connection, ctx.now));
  const serviceOf = () =>
    (service ??= new StaffService({
      store: storeOf(),
      alarms: ctx.alarms,
      carriers: ctx.repos.carriers,
      roles: ctx.repos.roles,
      people: ctx.people,
      directory: ctx.services.directory,
      audit: ctx.repos.audit,
      notify: ctx.notify,
      training: () => ctx.api<TrainingApi>('training'),
      config,
      timezone: ctx.timezone,
      logger: ctx.services.logger,
      now: ctx.now,
    }));
  return {
    name: TOPIC,
    init: () => storeOf().init(),
    register: (router) =>
      registerStaffCommands(router, {
        service: serviceOf,
        people: () => ctx.people,
        audit: () => ctx.repos.audit,
        directory: () => ctx.services.directory,
      }),
    alarm: (a) => serviceOf().alarm(a),
  };
}
