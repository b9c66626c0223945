// The register's unit tests: the real stores (carriers, alarms, inventory) on the embedded store,
// a fake clock, a recording fan-out that keeps each notice once by id (as the real outbox does),
// and fakes for roles, names, audit and the incidents feature.
import type { Locale } from '../../../bot/core/config.js';
import { silentLogger } from '../../../bot/core/logger.js';
import type { Card } from '../../../cards/card.types.js';
import type { Role } from '../../../domain/index.js';
import type { IncidentApi } from '../../../handlers/features.js';
import type { RegisterDeps } from '../../../handlers/register/deps.js';
import { registerModule } from '../../../handlers/register/index.js';
import { AlarmStore } from '../../../models/alarm.model.js';
import { CarrierStore, type CarrierInput } from '../../../models/carrier.model.js';
import { InventoryStore } from '../../../models/inventory.model.js';
import { AlarmSweeper } from '../../../scheduler/alarms.js';
import { FakeClock } from '../../../scheduler/clock.js';
import type { FanoutInput } from '../../../scheduler/fanout.js';
import type { TestDb } from '../../helpers/mongo.js';

export const T = 'tenant1';
export const TZ = 'Asia/Shanghai';

export interface Notice {
  id: string;
  to: string[];
  card: Card;
  text: string;
}

export class Recorder {
  /** Every call of fanout.send, in order (a notice handed over again is here twice). */
  readonly calls: FanoutInput[] = [];
  /** Each notice once, by id (what the outbox keeps and sends). */
  readonly notices = new Map<string, Notice>();
  send = async (i: FanoutInput) => {
    this.calls.push(i);
    const created = !this.notices.has(i.id);
    if (created && i.message.type === 'card')
      this.notices.set(i.id, {
        id: i.id,
        to: i.recipients.map((r) => ('openId' in r.to ? r.to.openId : r.to.chatId)),
        card: i.message.card as Card,
        text: JSON.stringify(i.message.card),
      });
    return { noticeId: i.id, total: i.recipients.length, created, done: Promise.resolve() };
  };
  list(filter: (n: Notice) => boolean = () => true): Notice[] {
    return [...this.notices.values()].filter(filter);
  }
  clear(): void {
    this.calls.length = 0;
    this.notices.clear();
  }
}

export class FakeIncidents implements IncidentApi {
  readonly calls: Parameters<IncidentApi['reportMissing']>[] = [];
  fail = 0;
  private readonly bySource = new Map<string, string>();
  async reportMissing(tenantKey: string, input: Parameters<IncidentApi['reportMissing']>[1]) {
    this.calls.push([tenantKey, input]);
    if (this.fail > 0) {
      this.fail--;
      throw new Error('incidents store down');
    }
    const had = this.bySource.get(input.sourceKey);
    if (had) return { incidentId: had, created: false };
    const id = `INC-2027-${String(this.bySource.size + 1).padStart(4, '0')}`;
    this.bySource.set(input.sourceKey, id);
    return { incidentId: id, created: true };
  }
}

export interface World {
  clock: FakeClock;
  carriers: CarrierStore;
  alarms: AlarmStore;
  inventory: InventoryStore;
  fan: Recorder;
  incidents: FakeIncidents;
  roles: Map<Role, string[]>;
  locales: Map<string, Locale>;
  audits: { action: string; outcome: string; effectKey?: string; actorId: string }[];
  deps: RegisterDeps;
  feature: ReturnType<typeof registerModule>;
  sweeper: AlarmSweeper;
  /** Without the incidents feature. */
  noIncidents: boolean;
  add(input: Partial<CarrierInput> & { number: string }): Promise<void>;
}

export async function world(db: TestDb, start: string): Promise<World> {
  for (const c of ['carriers', 'alarms', 'inventory_rounds', 'inventory_checks']) await db.connection.collection(c).deleteMany({});
  const clock = new FakeClock(start);
  const carriers = new CarrierStore(db.connection, () => clock.now());
  const alarms = new AlarmStore(db.connection);
  const inventory = new InventoryStore(db.connection);
  await Promise.all([carriers.init(), alarms.init(), inventory.init()]);
  const fan = new Recorder();
  const incidents = new FakeIncidents();
  const roles = new Map<Role, string[]>([
    ['classification_officer', ['ou_cls']],
    ['security_officer', ['ou_so1', 'ou_so2']],
    ['security_head', ['ou_head']],
  ]);
  const locales = new Map<string, Locale>();
  const audits: World['audits'] = [];
  const w = { noIncidents: false } as World;
  const deps: RegisterDeps = {
    carriers,
    roles: { holders: async (_t, r) => roles.get(r) ?? [] },
    people: {
      hasRole: async (_t, id, r) => (roles.get(r) ?? []).includes(id),
      names: async () => (id: string) => ({ zh: `名${id}`, en: `N${id}` }),
    },
    audit: {
      record: async (_t, i) => {
        const dup = i.effectKey !== undefined && audits.some((a) => a.effectKey === i.effectKey);
        if (!dup) audits.push({ action: i.action, outcome: i.outcome, actorId: i.actorId, ...(i.effectKey ? { effectKey: i.effectKey } : {}) });
        return { created: !dup };
      },
    },
    notify: { fanout: fan, prefs: { getLocale: async (_t, id) => locales.get(id) }, defaultLocale: 'zh-CN' },
    alarms,
    inventory,
    tenants: async () => ((await db.connection.collection('carriers').distinct('tenantKey')) as string[]).sort(),
    incidents: () => (w.noIncidents ? undefined : incidents),
    logger: silentLogger,
    timezone: TZ,
    defaultLocale: 'zh-CN',
    now: () => clock.now(),
  };
  const feature = registerModule(() => deps);
  await feature.init?.();
  const sweeper = new AlarmSweeper({ store: alarms, handlers: new Map([['register', (a) => feature.alarm!(a)]]), logger: silentLogger, now: () => clock.now() });
  Object.assign(w, {
    clock,
    carriers,
    alarms,
    inventory,
    fan,
    incidents,
    roles,
    locales,
    audits,
    deps,
    feature,
    sweeper,
    async add(input: Partial<CarrierInput> & { number: string }) {
      const r = await carriers.create(T, { level: 'SECRET', carrierType: '纸质', alias: `别名${input.number}`, createdBy: 'ou_so1', ...input });
      if (!r.ok) throw new Error(`duplicate ${input.number}`);
    },
  });
  return w;
}

/** A cadence of the feature by name. */
export function cadence(w: World, name: string) {
  const c = w.feature.cadences?.find((x) => x.name === name);
  if (!c) throw new Error(`no cadence ${name}`);
  return c;
}
