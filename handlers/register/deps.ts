// What the register's calendar needs (built from the FeatureContext in index.ts; tests pass fakes).
import type { Locale } from '../../bot/core/config.js';
import type { Logger } from '../../bot/core/logger.js';
import type { Carrier } from '../../domain/index.js';
import { localDate, type Role } from '../../domain/index.js';
import type { AlarmStore } from '../../models/alarm.model.js';
import type { InventoryStore } from '../../models/inventory.model.js';
import type { NotifyDeps } from '../../scheduler/alarms.js';
import { localInstant } from '../committee/motions.js';
import type { People } from '../approvals/people.js';
import type { AuditRepo, CarrierRepo, RequestRepo, RoleRepo } from '../approvals/ports.js';
import type { IncidentApi } from '../features.js';

export interface RegisterDeps {
  carriers: Pick<CarrierRepo, 'get' | 'list'>;
  roles: Pick<RoleRepo, 'holders'>;
  /** The approval requests (when a carrier's destruction was approved). */
  requests: Pick<RequestRepo, 'get'>;
  people: Pick<People, 'hasRole' | 'names'>;
  audit: AuditRepo;
  notify: NotifyDeps;
  alarms: Pick<AlarmStore, 'set' | 'list' | 'reschedule' | 'cancel'>;
  inventory: InventoryStore;
  /** The tenants with a register (distinct tenantKey of the carriers). */
  tenants: () => Promise<string[]>;
  /** The incidents feature's API, when it is built (handlers/features.ts). */
  incidents: () => IncidentApi | undefined;
  logger: Logger;
  timezone: string;
  defaultLocale: Locale;
  now: () => Date;
}

/** The alarm topic (the feature's name). */
export const TOPIC = 'register';
/** The time of day the register's notices are due (the unit's zone). */
export const NOTICE_TIME = '09:00';

/** Carriers no longer held: no reminder, no inventory. */
export const GONE: readonly string[] = ['DESTROYED', 'RETURNED_TO_ISSUER', 'DECLASSIFIED'];
/** Who receives the security office's lists. */
export const OFFICE: readonly Role[] = ['security_officer', 'security_head'];

/** `HH:mm` on a local day, as an instant (the wall time exists in every zone at 09:00). */
export function at(date: string, time: string, tz: string): Date {
  const t = localInstant(date, time, tz);
  if (!t) throw new RangeError(`no ${time} on ${date} in ${tz}`);
  return t;
}

export const today = (d: RegisterDeps): string => localDate(d.now(), d.timezone);

/** Every carrier of a tenant, a page at a time (the register's own paging). */
export async function* allCarriers(d: RegisterDeps, tenantKey: string, filter: { status?: string } = {}): AsyncGenerator<Carrier> {
  let after: string | undefined;
  for (;;) {
    const page = await d.carriers.list(tenantKey, filter, { limit: 100, ...(after ? { after } : {}) });
    for (const c of page.items) yield c;
    if (!page.next) return;
    after = page.next;
  }
}

/** The holders of some roles, once each. */
export async function holders(d: RegisterDeps, tenantKey: string, roles: readonly Role[]): Promise<string[]> {
  const out: string[] = [];
  for (const r of roles) for (const id of await d.roles.holders(tenantKey, r)) if (!out.includes(id)) out.push(id);
  return out;
}

export async function hasAnyRole(d: RegisterDeps, tenantKey: string, openId: string, roles: readonly Role[]): Promise<boolean> {
  for (const r of roles) if (await d.people.hasRole(tenantKey, openId, r)) return true;
  return false;
}
