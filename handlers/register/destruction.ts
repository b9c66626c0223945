// The monthly destruction list (docs/domain.md §6.6, 销毁批次): on the 1st of each month at 09:00
// (`register.destruction`) the carriers pending destruction — and how long each has been, counted
// from the approval of the destruction request that set it aside (see approvedAt) — go to
// the security office (security officers and the head), one notice per reader language through
// the fan-out, its id naming the tenant and the month, so a slot run twice sends nothing twice.
// Nothing is sent when there are none.
import type { Locale } from '../../bot/core/config.js';
import { destructionListCard, type DestructionRow } from '../../cards/register.card.js';
import { localDate } from '../../domain/index.js';
import { bilingual } from '../../locales/index.js';
import { notifyByLanguage } from '../../scheduler/alarms.js';
import { allCarriers, holders, OFFICE, type RegisterDeps, TOPIC } from './deps.js';
import { daysBetween } from './period.js';

const tb = (key: string, params?: Record<string, unknown>) => bilingual(key, params);

export const destructionNoticeId = (tenantKey: string, month: string) => `${tenantKey}:${TOPIC}:destruction:${month}`;

export class DestructionList {
  constructor(private readonly d: RegisterDeps) {}

  /** A tenant's carriers pending destruction, longest waiting first. */
  async rows(tenantKey: string, day: string): Promise<DestructionRow[]> {
    const rows: DestructionRow[] = [];
    for await (const c of allCarriers(this.d, tenantKey, { status: 'PENDING_DESTRUCTION' })) {
      const approved = await this.approvedAt(tenantKey, c.statusRequestId);
      // Without the approval that set it aside (marked by hand, or its request gone) the register
      // knows only when the carrier's status last changed: the card says so.
      const since = localDate(approved ?? c.updatedAt, this.d.timezone);
      rows.push({
        number: c.number,
        alias: c.alias,
        level: c.level,
        ...(c.custodianId ? { custodianId: c.custodianId } : {}),
        since,
        ...(approved ? {} : { sinceLastChange: true }),
        days: Math.max(0, daysBetween(since, day)),
      });
    }
    return rows.sort((a, b) => b.days - a.days || a.number.localeCompare(b.number));
  }

  /**
   * When the carrier became pending destruction: the approval of the destruction request that holds
   * it (statusRequestId). A carrier goes PENDING_DESTRUCTION exactly when its DESTROY request is
   * approved (domain/machine.ts), and the approval time never changes afterwards — unlike the
   * carrier's `updatedAt`, which every re-applied claim (a retried effect) moves.
   */
  private async approvedAt(tenantKey: string, requestId: string | undefined): Promise<Date | undefined> {
    if (!requestId) return undefined;
    const r = (await this.d.requests.get(tenantKey, requestId))?.request;
    if (r?.kind !== 'DESTROY' || !r.approvedAt) return undefined;
    const t = new Date(r.approvedAt);
    return Number.isNaN(t.getTime()) ? undefined : t;
  }

  async run(slot: Date): Promise<string> {
    const day = localDate(slot, this.d.timezone);
    const month = day.slice(0, 7);
    let lists = 0;
    let carriers = 0;
    const failed: string[] = [];
    for (const tenantKey of await this.d.tenants()) {
      try {
        const rows = await this.rows(tenantKey, day);
        if (rows.length === 0) continue;
        const office = await holders(this.d, tenantKey, OFFICE);
        if (office.length === 0) {
          this.d.logger.warn('register: nobody in the security office for the destruction list', { tenantKey, month });
          continue;
        }
        const names = await this.d.people.names(
          tenantKey,
          rows.flatMap((r) => (r.custodianId ? [r.custodianId] : [])),
        );
        await notifyByLanguage(this.d.notify, {
          id: destructionNoticeId(tenantKey, month),
          tenantKey,
          title: `pending destruction ${month}`,
          recipients: office,
          draw: (lang: Locale) => destructionListCard({ month, rows }, { tb, names, lang }),
        });
        lists++;
        carriers += rows.length;
      } catch (err) {
        this.d.logger.error('register: destruction list failed', { tenantKey, month, err: (err as Error).message });
        failed.push(tenantKey);
      }
    }
    if (failed.length) throw new Error(`destruction list ${month} failed for ${failed.length} tenant(s); ${lists} sent`);
    return `${month}: ${lists} lists, ${carriers} carriers pending destruction`;
  }
}
