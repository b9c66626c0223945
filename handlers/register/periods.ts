// Classification periods (docs/domain.md §1.2, §6.6): the custodian and the classification officers
// (定密责任人) are reminded 90, 30 and 7 days before a carrier's period ends, and on the day.
//
// The daily cadence `register.periods` (09:00) walks each tenant's register and, for every carrier
// still held whose period ends within 90 days, sets the alarms `register:<carrier>:d90|d30|d7|d0`
// (09:00 on their days; set is idempotent, so a slot run twice sets nothing twice). A reminder whose
// day had already passed when the carrier came into view (registered late) is not set. An alarm
// carries the end it was set for: when the period changed since (re-classified), the alarms are
// moved to the new end. The alarm handler looks at the carrier again: destroyed, returned,
// declassified, gone from the register or its end moved → skip; else one notice per reader
// language through the fan-out, its id derived from the alarm's and the end it reminds of
// (`<alarm id>:<end>`), so a retried alarm reaches nobody twice while a re-armed alarm (the period
// changed) reaches them again for the new end: the fan-out keeps a notice id for good.
import type { Locale } from '../../bot/core/config.js';
import { periodNoticeCard } from '../../cards/register.card.js';
import type { Carrier } from '../../domain/index.js';
import { isIsoDate } from '../../domain/index.js';
import { bilingual } from '../../locales/index.js';
import type { Alarm, AlarmInput } from '../../models/alarm.model.js';
import { type AlarmOutcome, notifyByLanguage } from '../../scheduler/alarms.js';
import { allCarriers, at, GONE, NOTICE_TIME, type RegisterDeps, TOPIC, today } from './deps.js';
import { daysBetween, PERIOD_REMINDER_KINDS, PERIOD_REMINDERS, type PeriodReminder, periodEnd, periodStart, reminderDay } from './period.js';

/** How far ahead the daily run looks (the first reminder). */
export const LOOKAHEAD_DAYS = PERIOD_REMINDERS.d90;

export const periodAlarmKey = (number: string, k: PeriodReminder): string => `${TOPIC}:${number}:${k}`;
/** The notice of one reminder for one end (each language's notice is `<id>:<lang>`). */
export const periodNoticeId = (alarmId: string, end: string): string => `${alarmId}:${end}`;
export const isPeriodKind = (kind: string): kind is PeriodReminder => (PERIOD_REMINDER_KINDS as string[]).includes(kind);

const tb = (key: string, params?: Record<string, unknown>) => bilingual(key, params);

export class PeriodClocks {
  constructor(private readonly d: RegisterDeps) {}

  /** The alarms one carrier should have today (none when it is gone or its end is far or past). */
  plan(c: Carrier, day: string): AlarmInput[] {
    if (GONE.includes(c.status)) return [];
    const end = periodEnd(c, this.d.timezone);
    if (!end || end < day || daysBetween(day, end) > LOOKAHEAD_DAYS) return [];
    return PERIOD_REMINDER_KINDS.filter((k) => reminderDay(end, k) >= day).map((k) => ({
      key: periodAlarmKey(c.number, k),
      topic: TOPIC,
      subject: c.number,
      kind: k,
      dueAt: at(reminderDay(end, k), NOTICE_TIME, this.d.timezone),
      params: { end },
    }));
  }

  /** The daily run: sets (once) the alarms of every carrier whose period ends within 90 days. */
  async run(): Promise<string> {
    const day = today(this.d);
    const now = this.d.now();
    let set = 0;
    let moved = 0;
    let carriers = 0;
    const failed: string[] = [];
    for (const tenantKey of await this.d.tenants()) {
      try {
        for await (const c of allCarriers(this.d, tenantKey)) {
          const wanted = this.plan(c, day);
          if (wanted.length === 0) continue;
          carriers++;
          const existing = new Map((await this.d.alarms.list(tenantKey, TOPIC, c.number)).map((a) => [a.kind, a]));
          for (const a of wanted) {
            const had = existing.get(a.kind);
            if (!had) {
              if (await this.d.alarms.set(tenantKey, a, now)) set++;
            } else if (had.params?.end !== a.params?.end) {
              // The period changed (re-classified): the reminder follows the new end.
              await this.d.alarms.reschedule(tenantKey, a, now);
              moved++;
            }
          }
        }
      } catch (err) {
        this.d.logger.error('register: period alarms failed', { tenantKey, err: (err as Error).message });
        failed.push(tenantKey);
      }
    }
    if (failed.length) throw new Error(`period alarms failed for ${failed.length} tenant(s); ${set} set`);
    return `${carriers} carriers ending within ${LOOKAHEAD_DAYS} days, ${set} alarms set, ${moved} moved`;
  }

  /** A reminder came due: re-check the carrier, then tell its custodian and the classification officers. */
  async handle(a: Alarm): Promise<AlarmOutcome> {
    const k = a.kind as PeriodReminder;
    const c = await this.d.carriers.get(a.tenantKey, a.subject);
    if (!c || GONE.includes(c.status)) return 'skip';
    const end = periodEnd(c, this.d.timezone);
    const setFor = a.params?.end;
    if (!end || (typeof setFor === 'string' && isIsoDate(setFor) && setFor !== end)) return 'skip';
    const officers = await this.d.roles.holders(a.tenantKey, 'classification_officer');
    const recipients = [...new Set([...(c.custodianId ? [c.custodianId] : []), ...officers])];
    if (recipients.length === 0) {
      this.d.logger.warn('register: nobody to remind of a period ending', { tenantKey: a.tenantKey, carrier: c.number, end });
      return 'skip';
    }
    const days = daysBetween(today(this.d), end);
    // A reminder before the end handled after it (the bot was down): the day's notice says it all.
    if (k !== 'd0' && days <= 0) return 'skip';
    const view = {
      number: c.number,
      alias: c.alias,
      level: c.level,
      ...(c.period ? { period: c.period } : {}),
      start: periodStart(c, this.d.timezone),
      startIsIssue: Boolean(c.issuedOn),
      end,
      days: k === 'd0' ? 0 : days,
    };
    await notifyByLanguage(this.d.notify, {
      // The alarm is re-armed under the same key when the period changes; a notice id is taken
      // for good (models/fanout.model.ts), so the end is part of it.
      id: periodNoticeId(a._id, end),
      tenantKey: a.tenantKey,
      title: `${c.number} ${k}`,
      recipients,
      draw: (_lang: Locale) => periodNoticeCard(view, { tb }),
    });
    return 'done';
  }
}
