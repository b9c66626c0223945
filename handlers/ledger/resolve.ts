// What the ledger feature needs, and how a batch of rows gets its names: people by name (never an
// open_id to a person), departments by name, the carrier register's current status and custodian.
import type { Context, Directory, Sender } from '../../bot/core/types.js';
import { fmtTime } from '../../cards/request.card.js';
import { translator } from '../../locales/index.js';
import type { Carrier } from '../../domain/index.js';
import type { AnchorStore } from '../../models/anchor.model.js';
import type { LedgerReader, ReaderRow } from '../../models/ledger-reader.js';
import type { People } from '../approvals/people.js';
import type { AuditRepo, CarrierRepo, RoleRepo } from '../approvals/ports.js';
import { idsOf, type CellType, type CellValue, type Resolver } from './columns.js';

export interface LedgerDeps {
  reader: LedgerReader;
  anchors: AnchorStore;
  people: People;
  directory: Directory;
  carriers: CarrierRepo;
  audit: AuditRepo;
  roles: Pick<RoleRepo, 'holders'>;
}

/** What the daily anchor needs besides the stores (it runs without a chat event). */
export interface AnchorJobDeps extends LedgerDeps {
  sender: Sender;
  timezone: string;
}

type Lang = 'zh-CN' | 'en-US';

/** Names, departments and carriers for a batch of rows, in the reader's language. */
/**
 * Labels (levels, events, statuses …) by language and key: the translations are fixed once loaded,
 * and an export asks for the same few hundred times per batch. Bounded, since keys come from data.
 */
const LABELS = new Map<string, string>();

export async function resolverFor(
  ctx: Pick<Context, 'tenantKey' | 'locale'>,
  deps: Pick<LedgerDeps, 'people' | 'directory' | 'carriers'>,
  rows: readonly ReaderRow[],
  cache?: { names: Map<string, string>; depts: Map<string, string> },
): Promise<Resolver> {
  const lang: Lang = ctx.locale === 'en-US' ? 'en-US' : 'zh-CN';
  const en = lang === 'en-US';
  const t = translator(lang);
  const ids = { people: new Set<string>(), depts: new Set<string>(), carriers: new Set<string>() };
  for (const r of rows) idsOf(r, ids);
  const names = cache?.names ?? new Map<string, string>();
  const depts = cache?.depts ?? new Map<string, string>();
  const unknownPeople = [...ids.people].filter((id) => !names.has(id));
  if (unknownPeople.length) {
    const got = await deps.people.names(ctx.tenantKey, unknownPeople);
    for (const id of unknownPeople) names.set(id, en ? got(id).en : got(id).zh);
  }
  await Promise.all(
    [...ids.depts]
      .filter((id) => !depts.has(id))
      .map(async (id) => {
        const d = await deps.directory.department(ctx.tenantKey, id);
        depts.set(id, d ? (en ? (d.enName ?? d.name) : d.name) : id);
      }),
  );
  const carriers = new Map<string, Carrier>();
  if (ids.carriers.size) for (const c of await deps.carriers.getMany(ctx.tenantKey, [...ids.carriers])) carriers.set(c.number.toUpperCase(), c);
  // Custodians of the carriers shown are people too.
  const custodians = [...carriers.values()].map((c) => c.custodianId).filter((id): id is string => !!id && !names.has(id));
  if (custodians.length) {
    const got = await deps.people.names(ctx.tenantKey, custodians);
    for (const id of custodians) names.set(id, en ? got(id).en : got(id).zh);
  }
  const label = (key: string, fallback: string) => {
    const k = `${lang}\u0000${key}`;
    let s = LABELS.get(k);
    if (s === undefined) {
      s = t(key);
      if (s === key || s.endsWith(`.${fallback}`)) s = fallback;
      if (LABELS.size >= 2000) LABELS.clear();
      LABELS.set(k, s);
    }
    return s;
  };
  const yes = t('ledger:export.yes');
  const no = t('ledger:export.no');
  return {
    name: (id) => names.get(id) ?? id,
    dept: (id) => depts.get(id) ?? id,
    level: (l) => label(`cards:level.${l}`, l),
    event: (e) => label(`ledger:event.${e}`, e),
    carrierStatus: (s) => label(`cards:carrier_status.${s}`, s),
    incidentKind: (k) => label(`incident:kind.${k}`, k),
    outcome: (o) => label(`ledger:outcome.${o}`, o),
    yesNo: (b) => (b ? yes : no),
    carrier: (n) => carriers.get(n.toUpperCase()),
    sep: en ? ', ' : '、',
  };
}

/** A cell as text for a person: dates in the unit's timezone `YYYY-MM-DD HH:mm`. */
export function formatCell(v: CellValue, type: CellType, timeZone: string): string {
  if (v === undefined) return '';
  if (v instanceof Date) return type === 'date' ? fmtTime(v.toISOString(), timeZone).slice(0, 10) : fmtTime(v.toISOString(), timeZone);
  return String(v);
}
