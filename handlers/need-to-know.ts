// Need to know (docs/design.md §8): who may see which carriers of the register. The security office
// (security officers, its head) and administrators see the whole register; everybody else sees the
// carriers they hold (custodian) and those they asked for in their own requests.
import type { People } from './approvals/people.js';
import type { CarrierRecord, CarrierRepo, RequestRepo } from './approvals/ports.js';
import type { Level, Role } from '../domain/index.js';

export const REGISTER_ROLES: readonly Role[] = ['security_officer', 'security_head', 'admin'];

/** Requests of one person looked at for "carriers they asked for" (the newest first). */
const ASKED_LOOKBACK = 50;
/** Carriers one custodian's view reads at most (a person holding more asks the security office). */
const HELD_MAX = 100;

export interface CarrierFilter {
  level?: Level;
  status?: string;
  carrierType?: string;
  custodianId?: string;
}

/** True for the security office and administrators. */
export async function seesWholeRegister(people: People, tenantKey: string, openId: string): Promise<boolean> {
  const held = await Promise.all(REGISTER_ROLES.map((r) => people.hasRole(tenantKey, openId, r)));
  return held.some(Boolean);
}

const keyOf = (number: string) => number.normalize('NFKC').toUpperCase();

/** Numbers (upper-cased) of the carriers named in the person's own requests, any state. */
export async function askedFor(requests: RequestRepo, tenantKey: string, openId: string): Promise<Set<string>> {
  const mine = await requests.listByRequester(tenantKey, openId, { limit: ASKED_LOOKBACK });
  return new Set(mine.flatMap((s) => s.request.carriers.map((c) => keyOf(c.number))));
}

/** Whether a person who is not of the security office may see this carrier. */
export async function maySee(deps: { requests: RequestRepo }, tenantKey: string, openId: string, c: CarrierRecord): Promise<boolean> {
  if (c.custodianId === openId) return true;
  return (await askedFor(deps.requests, tenantKey, openId)).has(keyOf(c.number));
}

function matches(c: CarrierRecord, f: CarrierFilter): boolean {
  return (
    (f.level === undefined || c.level === f.level) &&
    (f.status === undefined || c.status === f.status) &&
    (f.carrierType === undefined || c.carrierType === f.carrierType) &&
    (f.custodianId === undefined || c.custodianId === f.custodianId)
  );
}

/**
 * One page of the carriers a person holds or asked for, with the register's filters and paging
 * (number order; `after` = the previous page's last number).
 */
export async function ownCarriers(
  deps: { carriers: CarrierRepo; requests: RequestRepo },
  tenantKey: string,
  openId: string,
  filter: CarrierFilter,
  page: { limit: number; after?: string },
): Promise<{ items: CarrierRecord[]; next?: string }> {
  const heldQuery = filter.custodianId !== undefined && filter.custodianId !== openId ? undefined : { ...filter, custodianId: openId };
  const [held, asked] = await Promise.all([
    heldQuery ? deps.carriers.list(tenantKey, heldQuery, { limit: HELD_MAX }).then((p) => p.items) : Promise.resolve([]),
    askedFor(deps.requests, tenantKey, openId),
  ]);
  const askedRecords = asked.size ? await deps.carriers.getMany(tenantKey, [...asked]) : [];
  const byKey = new Map<string, CarrierRecord>();
  for (const c of [...held, ...askedRecords]) if (matches(c, filter)) byKey.set(keyOf(c.number), c);
  const after = page.after !== undefined ? keyOf(page.after) : undefined;
  const sorted = [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).filter(([k]) => after === undefined || k > after);
  const items = sorted.slice(0, page.limit).map(([, c]) => c);
  const last = items[items.length - 1];
  return sorted.length > page.limit && last ? { items, next: last.number } : { items };
}
