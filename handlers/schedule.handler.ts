/**
 * `/schedule` (`/计划任务`), administrators: every scheduled task with its next runs (in the unit's
 * time zone) and its last run's outcome — for a cadence, across every instance (the coordinator's
 * record), for an interval task, this instance's. Answered privately.
 */
import { BotError } from '../bot/core/errors.js';
import type { Router } from '../bot/core/router.js';
import type { Context } from '../bot/core/types.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import type { People } from './approvals/people.js';
import { formatTime } from './approvals/reminders.js';

export interface ScheduleDeps {
  scheduler: Pick<Scheduler, 'status'>;
  people: Pick<People, 'hasRole'>;
}

export function registerSchedule(router: Router, deps: ScheduleDeps): void {
  router.command({
    name: 'schedule',
    aliases: ['计划任务', '定时任务'],
    private: true,
    handler: async (ctx: Context) => {
      if (!(await deps.people.hasRole(ctx.tenantKey, ctx.actorId!, 'admin'))) throw new BotError('scheduler:schedule.not_allowed');
      await ctx.replyPrivately({ type: 'text', text: await scheduleText(ctx, deps.scheduler) });
    },
  });
}

export async function scheduleText(ctx: Pick<Context, 't' | 'services'>, scheduler: Pick<Scheduler, 'status'>): Promise<string> {
  const tz = ctx.services.timezone;
  const at = (d: Date) => formatTime(d, tz);
  const lines = [ctx.t('scheduler:schedule.title', { tz })];
  for (const task of await scheduler.status(3)) {
    const last = task.last
      ? ctx.t('scheduler:schedule.last', {
          at: at(task.last.at),
          state: ctx.t(`scheduler:schedule.state.${task.last.state}`),
          detail: task.last.error ? ` — ${task.last.error}` : task.last.result ? ` — ${task.last.result}` : '',
        })
      : ctx.t('scheduler:schedule.never');
    lines.push(ctx.t('scheduler:schedule.line', { name: task.name, every: task.every, next: task.next.map(at).join(', '), last }));
  }
  return lines.join('\n');
}
