/**
 * The bot's scheduled work, on one Scheduler:
 *
 * | task | when | what |
 * |---|---|---|
 * | `effects.sweep` | every 5 s, each instance | effects due after a crash, a restart or a back-off (handlers/approvals/effects.ts); each request's outbox is leased, so instances share the work |
 * | `reminders.sweep` | every minute (BAOMI_REMINDER_SWEEP), one instance per slot | reminder records due: sent once each (handlers/approvals/reminders.ts); the latest slot missed while down runs at start-up |
 * | `fanout.worker` | every 5 s, each instance (one sends at a time: a lease) | fan-out deliveries still pending, e.g. after a crash (scheduler/fanout.ts) |
 * | `committee.sweep` | every minute, one instance per slot | motions due to close (each claimed, its result posted once) and vote reminders 24 h / 2 h before the close (handlers/committee/motions.ts); meeting notices, reminders and the minutes reminder, and the meetings' calendar events still to create, update or delete (handlers/committee/meetings.ts) |
 * | `alarms.sweep` | every minute, one instance per slot | the features' alarms due (training reminders, incident clocks, the register's calendar …): each handled once (scheduler/alarms.ts) |
 * | `<feature>.<task>` | the feature's cron, one instance per slot | the features' calendar tasks (quarterly training shortfall, inventory, monthly destruction list …; handlers/features.ts) |
 * | `committee.plan` | monthly, the 1st at 09:00, one instance per slot (the latest missed slot runs at start-up) | in a planning month (BAOMI_COMMITTEE_MONTHS, default 1,7) each tenant's committee chair is reminded to schedule the regular meeting (in January also the annual summary meeting) when none is scheduled that month; once per tenant and month (handlers/committee/meetings.ts) |
 *
 * Further tasks (the fan-out worker, the committee's cadences) are added by their features.
 */
import type { Logger } from '../bot/core/logger.js';
import type { ReminderSender } from '../handlers/approvals/reminders.js';
import type { ApprovalService } from '../handlers/approvals/service.js';
import type { ScheduleRunStore } from '../models/schedule.model.js';
import type { Clock } from './clock.js';
import type { FanoutService } from './fanout.js';
import type { Cadence } from '../handlers/features.js';
import { Scheduler } from './scheduler.js';

export interface BotTasksOptions {
  runs: ScheduleRunStore;
  timezone: string;
  logger: Logger;
  clock?: Clock;
  service: Pick<ApprovalService, 'recover'>;
  reminders: Pick<ReminderSender, 'sweep'>;
  fanout?: Pick<FanoutService, 'kick'>;
  /** The committee's sweep (motions closing, vote reminders). */
  committee?: { sweep(): Promise<{ closed: number; reminded: number }> };
  /** The committee's half-yearly planning reminder (monthly; it checks the month itself). */
  committeePlan?: { run(slot: Date): Promise<{ reminded: number; planned: number }> };
  /** The features' alarm sweep (scheduler/alarms.ts). */
  alarms?: { sweep(): Promise<{ done: number; skipped: number; failed: number }> };
  /** The features' calendar tasks (handlers/features.ts). */
  cadences?: readonly Cadence[];
  /** Its cadence (default the 1st of every month at 09:00). */
  committeePlanCron?: string;
  /** Effects sweep period (default 5 s). */
  effectsEveryMs?: number;
  /** Reminder sweep cadence (default every minute). */
  reminderCron?: string;
}

export function botScheduler(o: BotTasksOptions): Scheduler {
  const s = new Scheduler({ runs: o.runs, timezone: o.timezone, logger: o.logger, ...(o.clock ? { clock: o.clock } : {}) });
  s.interval({
    name: 'effects.sweep',
    everyMs: o.effectsEveryMs ?? 5_000,
    run: async () => `${await o.service.recover()} requests`,
  });
  s.cadence({
    name: 'reminders.sweep',
    cron: o.reminderCron ?? '* * * * *',
    leaseMs: 5 * 60_000,
    run: async () => {
      const r = await o.reminders.sweep();
      return `sent ${r.sent}, acted ${r.acted}, skipped ${r.skipped}, failed ${r.failed}`;
    },
  });
  if (o.fanout) {
    const fanout = o.fanout;
    s.interval({ name: 'fanout.worker', everyMs: 5_000, run: async () => void (await fanout.kick()) });
  }
  if (o.committee) {
    const committee = o.committee;
    s.cadence({
      name: 'committee.sweep',
      cron: '* * * * *',
      leaseMs: 5 * 60_000,
      run: async () => {
        const r = await committee.sweep();
        return `closed ${r.closed}, reminded ${r.reminded}`;
      },
    });
  }
  if (o.alarms) {
    const alarms = o.alarms;
    s.cadence({
      name: 'alarms.sweep',
      cron: o.reminderCron ?? '* * * * *',
      leaseMs: 5 * 60_000,
      run: async () => {
        const r = await alarms.sweep();
        return `done ${r.done}, skipped ${r.skipped}, failed ${r.failed}`;
      },
    });
  }
  for (const c of o.cadences ?? [])
    s.cadence({
      name: c.name,
      cron: c.cron,
      leaseMs: 10 * 60_000,
      ...(c.catchUpWithinMs !== undefined ? { catchUpWithinMs: c.catchUpWithinMs } : {}),
      run: ({ slot }) => c.run(slot),
    });
  if (o.committeePlan) {
    const plan = o.committeePlan;
    s.cadence({
      name: 'committee.plan',
      cron: o.committeePlanCron ?? '0 9 1 * *',
      leaseMs: 10 * 60_000,
      run: async ({ slot }) => {
        const r = await plan.run(slot);
        return `reminded ${r.reminded}, already planned ${r.planned}`;
      },
    });
  }
  return s;
}
