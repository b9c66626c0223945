import { Router } from '../bot/core/router.js';
import { registerHelp } from './help.handler.js';
import { registerLang } from './lang.handler.js';
import { registerWelcome } from './welcome.handler.js';
import { registerRoles, type RoleDeps } from './role.handler.js';
import { registerCarriers, type CarrierDeps } from './carrier.handler.js';
import { registerRequests, type RequestDeps } from './request.handler.js';
import { registerDeadLetters, type DeadLetterDeps } from './deadletters.handler.js';
import { registerSchedule, type ScheduleDeps } from './schedule.handler.js';
import { registerLedgers, type LedgerDeps } from './ledger/index.js';
import { registerMotions, type MotionDeps, type MotionService } from './committee/motions.js';
import type { FeatureModule } from './features.js';
import { registerMeetings, type MeetingDeps, type MeetingService } from './committee/meetings.js';

export type FeatureDeps = RoleDeps &
  CarrierDeps &
  RequestDeps &
  Partial<Pick<ScheduleDeps, 'scheduler'>> &
  Pick<DeadLetterDeps, 'undelivered'> & {
    ledgers?: LedgerDeps;
    committee?: { deps: MotionDeps; motions: MotionService; meetingDeps: MeetingDeps; meetings: MeetingService };
    /** Training, staff, incidents, the register's calendar (handlers/features.ts). */
    features?: readonly FeatureModule[];
  };

/** Every feature, mounted on one router. Order matters only for /help's listing. */
export function buildRouter(deps?: FeatureDeps): Router {
  const router = new Router();
  registerHelp(router);
  if (deps) {
    registerRequests(router, deps);
    registerCarriers(router, deps);
    registerRoles(router, deps);
    registerDeadLetters(router, deps);
    if (deps.ledgers) registerLedgers(router, deps.ledgers);
    if (deps.committee) {
      registerMeetings(router, deps.committee.meetingDeps, deps.committee.meetings);
      registerMotions(router, deps.committee.deps, deps.committee.motions);
    }
    for (const f of deps.features ?? []) f.register?.(router);
    if (deps.scheduler) registerSchedule(router, { scheduler: deps.scheduler, people: deps.people });
  }
  registerLang(router);
  registerWelcome(router);
  router.text(async (ctx) => {
    if (ctx.event.kind === 'message' && ctx.event.chatType === 'p2p') {
      await ctx.reply({ type: 'text', text: ctx.t('common:not_a_command') });
    }
  });
  return router;
}
