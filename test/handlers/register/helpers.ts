// The register's unit tests: the real stores (carriers, alarms, inventory) on the embedded store,
// a fake clock, a recording fan-out that keeps each notice once by id, for good (as the real outbox
// does: models/fanout.model.ts), and fakes for roles, names, audit, the approval requests and the
// incidents feature.
import type { Locale } from '../../../bot/core/config.js';
import { BotError } from '../../../bot/core/errors.js';
import { silentLogger } from '../../../bot/core/logger.js';
import type { Card } from '../../../cards/card.types.js';
import type { Request, Role } from '../../../domain/index.js';
import type { StoredRequest } from '../../../handlers/approvals/ports.js';
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
  /**
   * Each notice once, by id (what the outbox keeps and sends). Like the real outbox it never
   * forgets an id: a notice id handed over again is `created: false` and nothing is resent.
   */
  readonly notices = new Map<string, Notice>();
  send = async (i: FanoutInput) => {
    this.calls.push(i);
    const created = !this.notices.has(i.id);
    if (created)
      this.notices.set(i.id, {
        id: i.id,
        to: i.recipients.map((r) => ('openId' in r.to ? r.to.openId : r.to.chatId)),
        card: (i.message.type === 'card' ? i.message.card : {}) as Card,
        text: JSON.stringify(i.message.type === 'card' ? i.message.card : i.message.text),
      });
    return { noticeId: i.id, total: i.recipients.length, created, done: Promise.resolve() };
  };
  list(filter: (n: Notice) => boolean = () => true): Notice[] {
    return [...this.notices.values()].filter(filter);
  }
}

export class FakeIncidents implements IncidentApi {
  readonly calls: Parameters<IncidentApi['reportMissing']>[] = [];
  fail = 0;
  /** Carriers the incidents feature refuses (a BotError, as its not_missable refusal). */
  readonly refuse = new Set<string>();
  private readonly bySource = new Map<string, string>();
  async reportMissing(tenantKey: string, input: Parameters<IncidentApi['reportMissing']>[1]) {
    this.calls.push([tenantKey, input]);
    if (this.fail > 0) {
      this.fail--;
      throw new Error('incidents store down');
    }
    const stuck = input.carrierIds.filter((n) => this.refuse.has(n));
    if (stuck.length) throw new BotError('incident:not_missable', { numbers: stuck.join(', ') });
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
  /** The approval requests the register looks up (by id). */
  requests: Map<string, Pick<Request, 'id' | 'kind' | 'state' | 'approvedAt'>>;
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
  const requests: World['requests'] = new Map();
  const audits: World['audits'] = [];
  const w = { noIncidents: false } as World;
  const deps: RegisterDeps = {
    carriers,
    roles: { holders: async (_t, r) => roles.get(r) ?? [] },
    requests: {
      get: async (t, id) => {
        const r = requests.get(id);
        return r ? ({ tenantKey: t, request: r as Request, pending: [], cards: [] } satisfies StoredRequest) : null;
      },
    },
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
    requests,
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
