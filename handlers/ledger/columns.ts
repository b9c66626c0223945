// The columns of each register (docs/domain.md §6.5), for the card (the most telling ones) and the
// export (all of them). A column reads one stored entry; people, departments and the carrier
// register's current state come from a `Resolver` filled for a batch of rows beforehand.
import type { Carrier } from '../../domain/index.js';
import type { LedgerKind, ReaderRow } from '../../models/ledger-reader.js';

export type CellType = 'text' | 'number' | 'datetime' | 'date';
/** A datetime column gives an instant (Date); a date column a local day 'YYYY-MM-DD'. */
export type CellValue = string | number | Date | undefined;

export interface Resolver {
  /** A person's name in the reader's language (the open_id when unknown). */
  name(openId: string): string;
  /** A department's name in the reader's language. */
  dept(deptId: string): string;
  level(level: string): string;
  event(event: string): string;
  carrierStatus(status: string): string;
  /** An incident's kind (INCIDENT register); the kind's code when absent. */
  incidentKind?(kind: string): string;
  outcome(outcome: string): string;
  yesNo(b: boolean): string;
  /** The carrier register's record now (master ledger: status, custodian). */
  carrier(number: string): Carrier | undefined;
  /** "、" or ", " */
  sep: string;
}

export interface Column {
  id: string;
  /** `ledger:col.<label>` */
  label: string;
  type: CellType;
  /** Shown on the card (the rest only in exports). */
  card?: boolean;
  /** Card column width (Lark: auto, 80px–600px or a percentage). */
  cardWidth?: string;
  /** Export width in characters (a guess that fits the usual content). */
  width: number;
  value(row: ReaderRow, x: Resolver): CellValue;
}

type Json = Record<string, unknown>;
const dataOf = (r: ReaderRow): Json => ((r as { data?: Json }).data ?? {}) as Json;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const bool = (v: unknown, x: Resolver): string | undefined => (typeof v === 'boolean' ? x.yesNo(v) : undefined);
const when = (v: unknown): Date | undefined => {
  if (v instanceof Date) return v;
  if (typeof v !== 'string') return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d;
};
const day = (v: unknown): string | undefined => (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}/.test(v) ? v.slice(0, 10) : undefined);
const person = (v: unknown, x: Resolver): string | undefined => (str(v) ? x.name(v as string) : undefined);
const people = (v: unknown, x: Resolver): string | undefined =>
  Array.isArray(v) && v.length
    ? v
        .filter((p): p is string => typeof p === 'string')
        .map((p) => x.name(p))
        .join(x.sep)
    : undefined;
const approvers = (v: unknown, x: Resolver): string | undefined =>
  Array.isArray(v) && v.length
    ? v
        .map((a) => (a && typeof a === 'object' ? str((a as Json).by) : undefined))
        .filter((p): p is string => !!p)
        .map((p) => x.name(p))
        .join(x.sep)
    : undefined;
const list = (v: unknown, x: Resolver): string | undefined => (Array.isArray(v) && v.length ? v.map(String).join(x.sep) : undefined);

const entry = (r: ReaderRow) => r as Extract<ReaderRow, { kind: Exclude<LedgerKind, 'AUDIT'> }>;
const audit = (r: ReaderRow) => r as Extract<ReaderRow, { kind: 'AUDIT' }>;

const seq: Column = { id: 'seq', label: 'seq', type: 'number', card: true, cardWidth: '80px', width: 8, value: (r) => r.seq };
const occurred = (label: string, card = true): Column => ({ id: 'occurredAt', label, type: 'datetime', card, cardWidth: '140px', width: 17, value: (r) => entry(r).occurredAt });
const request: Column = { id: 'request', label: 'request', type: 'text', card: true, cardWidth: '120px', width: 15, value: (r) => entry(r).requestId ?? str(dataOf(r).requestId) };
const number = (label: string): Column => ({ id: 'number', label, type: 'text', card: true, cardWidth: '130px', width: 18, value: (r) => entry(r).carrierNumber });
const level: Column = { id: 'level', label: 'level', type: 'text', card: true, width: 8, value: (r, x) => (str(dataOf(r).level) ? x.level(dataOf(r).level as string) : undefined) };
const dept = (card: boolean): Column => ({
  id: 'dept',
  label: 'dept',
  type: 'text',
  card,
  width: 14,
  value: (r, x) => (str(dataOf(r).deptId) ? x.dept(dataOf(r).deptId as string) : undefined),
});
const event: Column = { id: 'event', label: 'event', type: 'text', card: true, width: 10, value: (r, x) => x.event(entry(r).event) };
const handler: Column = { id: 'handler', label: 'handler', type: 'text', width: 10, value: (r, x) => x.name(entry(r).actorId) };
const field = (id: string, label: string, type: CellType, width: number, get: (d: Json, x: Resolver) => CellValue, card?: boolean): Column => ({
  id,
  label,
  type,
  width,
  ...(card ? { card } : {}),
  value: (r, x) => get(dataOf(r), x),
});

export const COLUMNS: Record<LedgerKind, Column[]> = {
  MASTER: [
    seq,
    occurred('reg_date'),
    number('number'),
    event,
    field('alias', 'alias', 'text', 16, (d) => str(d.alias)),
    field('type', 'type', 'text', 8, (d) => str(d.carrierType)),
    field('issuer', 'issuer', 'text', 14, (d) => str(d.issuer)),
    level,
    field('period', 'period', 'text', 10, (d) => str(d.period)),
    field('pages', 'pages', 'number', 6, (d) => num(d.pages)),
    { id: 'count', label: 'count', type: 'number', width: 6, value: (r) => entry(r).quantity ?? num(dataOf(r).count) },
    field('origin', 'origin', 'text', 16, (d) => str(d.sourceNumber) ?? str(d.origin)),
    field('registered_custodian', 'registered_custodian', 'text', 12, (d, x) => person(d.custodianId, x)),
    {
      id: 'status',
      label: 'status',
      type: 'text',
      card: true,
      width: 10,
      value: (r, x) => {
        const c = entry(r).carrierNumber ? x.carrier(entry(r).carrierNumber!) : undefined;
        return c ? x.carrierStatus(c.status) : undefined;
      },
    },
    {
      id: 'custodian',
      label: 'custodian',
      type: 'text',
      card: true,
      width: 10,
      value: (r, x) => {
        const c = entry(r).carrierNumber ? x.carrier(entry(r).carrierNumber!) : undefined;
        return c?.custodianId ? x.name(c.custodianId) : undefined;
      },
    },
    { ...request, card: false },
    handler,
  ],
  COPY: [
    seq,
    occurred('date'),
    request,
    field('requester', 'requester', 'text', 10, (d, x) => person(d.requesterId, x), true),
    dept(true),
    number('original'),
    level,
    field('copies_approved', 'copies_approved', 'number', 8, (d) => num(d.copiesApproved)),
    field('copies_made', 'copies_made', 'number', 8, (d) => num(d.copiesMade), true),
    field('pages', 'pages', 'number', 6, (d) => num(d.pages)),
    field('method', 'method', 'text', 8, (d) => str(d.method)),
    field('purpose', 'purpose', 'text', 20, (d) => str(d.purpose)),
    field('place', 'place', 'text', 14, (d) => str(d.place)),
    field('approvers', 'approvers', 'text', 20, (d, x) => approvers(d.approvers, x)),
    field('ext_ref', 'ext_ref', 'text', 14, (d) => str(d.externalApprovalRef)),
    field('new_numbers', 'new_numbers', 'text', 24, (d, x) => list(d.newNumbers, x)),
    field('originals_returned', 'originals_returned', 'text', 8, (d, x) => bool(d.originalsReturned, x)),
    field('waste_recovered', 'waste_recovered', 'text', 8, (d, x) => bool(d.wasteRecovered, x)),
    field('device_wiped', 'device_wiped', 'text', 8, (d, x) => bool(d.deviceWiped, x)),
    field('supervisor', 'supervisor', 'text', 10, (d, x) => person(d.supervisorId, x)),
    handler,
  ],
  CARRY: [
    seq,
    occurred('time'),
    event,
    request,
    number('number'),
    { ...level, card: false },
    dept(false),
    field('carrier_person', 'carrier_person', 'text', 10, (d, x) => person(d.carrierPersonId, x), true),
    field('companions', 'companions', 'text', 14, (d, x) => people(d.companions, x)),
    field('purpose', 'purpose', 'text', 20, (d) => str(d.purpose)),
    field('destination', 'destination', 'text', 14, (d) => str(d.destination)),
    field('out_at', 'out_at', 'datetime', 17, (d) => when(d.outAt)),
    field('due', 'due', 'date', 11, (d) => day(d.due), true),
    field('approvers', 'approvers', 'text', 20, (d, x) => approvers(d.approvers, x)),
    field('returned_at', 'returned_at', 'datetime', 17, (d) => when(d.returnedAt)),
    field('inspection', 'inspection', 'text', 8, (d, x) => bool(d.ok, x)),
    field('checked_by', 'checked_by', 'text', 10, (d, x) => person(d.checkedBy ?? d.receivedBy, x)),
    field('overdue_days', 'overdue_days', 'number', 8, (d) => num(d.overdueDays)),
    handler,
  ],
  DESTROY: [
    seq,
    occurred('date'),
    request,
    dept(false),
    number('number'),
    field('type', 'type', 'text', 8, (d) => str(d.carrierType)),
    level,
    field('capacity', 'capacity', 'text', 10, (d) => str(d.pagesOrCapacity) ?? num(d.pagesOrCapacity)),
    field('custodian', 'custodian', 'text', 10, (d, x) => person(d.custodianId, x)),
    field('reason', 'reason', 'text', 16, (d) => str(d.reason)),
    field('method', 'method', 'text', 8, (d) => str(d.method), true),
    field('site', 'site', 'text', 14, (d) => str(d.site)),
    field('destroy_date', 'destroy_date', 'date', 11, (d) => day(d.date)),
    field('executor', 'executor', 'text', 10, (d, x) => person(d.executorId, x), true),
    field('witnesses', 'witnesses', 'text', 16, (d, x) => people(d.witnesses, x), true),
    field('approvers', 'approvers', 'text', 20, (d, x) => approvers(d.approvers, x)),
  ],
  INCIDENT: [
    seq,
    occurred('time'),
    event,
    { id: 'incident', label: 'incident', type: 'text', card: true, cardWidth: '130px', width: 15, value: (r) => entry(r).requestId ?? str(dataOf(r).incidentId) },
    field('kind', 'incident_kind', 'text', 10, (d, x) => (str(d.kind) ? (x.incidentKind?.(d.kind as string) ?? (d.kind as string)) : undefined), true),
    level,
    field('carriers', 'carriers', 'text', 24, (d, x) => list(d.carriers, x)),
    { id: 'quantity', label: 'quantity', type: 'number', width: 6, value: (r) => entry(r).quantity },
    field('discovered', 'discovered', 'datetime', 17, (d) => when(d.discoveredAt)),
    field('place', 'place', 'text', 14, (d) => str(d.place)),
    field('found_by', 'found_by', 'text', 10, (d, x) => person(d.foundBy, x)),
    field('reporter', 'reporter', 'text', 10, (d, x) => person(d.reporterId, x)),
    field('reported_at', 'reported_at', 'datetime', 17, (d) => when(d.reportedAt)),
    field('reported_to', 'reported_to', 'text', 16, (d) => str(d.to)),
    field('result_on', 'result_on', 'date', 11, (d) => day(d.resultOn)),
    field('deadline', 'deadline', 'datetime', 17, (d) => when(d.deadline)),
    field('note', 'note', 'text', 24, (d) => str(d.text) ?? str(d.reason) ?? str(d.measures)),
    field('source_request', 'source_request', 'text', 15, (d) => str(d.sourceRequestId)),
    handler,
  ],
  AUDIT: [
    seq,
    { id: 'at', label: 'time', type: 'datetime', card: true, cardWidth: '140px', width: 17, value: (r) => audit(r).at },
    { id: 'actor', label: 'actor', type: 'text', card: true, width: 10, value: (r, x) => x.name(audit(r).actorId) },
    { id: 'action', label: 'action', type: 'text', card: true, width: 20, value: (r) => audit(r).action },
    { id: 'object_type', label: 'object_type', type: 'text', width: 10, value: (r) => audit(r).objectType },
    { id: 'object', label: 'object', type: 'text', card: true, width: 16, value: (r) => audit(r).objectId },
    { id: 'channel', label: 'channel', type: 'text', width: 8, value: (r) => audit(r).channel },
    { id: 'outcome', label: 'outcome', type: 'text', card: true, width: 8, value: (r, x) => x.outcome(audit(r).outcome) },
    { id: 'reason', label: 'reason', type: 'text', width: 20, value: (r) => audit(r).reason },
  ],
};

const OPEN_ID = /^ou_[A-Za-z0-9]{1,64}$/;

/** Every open_id and department id a row mentions (to resolve names before rendering). */
export function idsOf(row: ReaderRow, into: { people: Set<string>; depts: Set<string>; carriers: Set<string> }): void {
  const walk = (v: unknown): void => {
    if (typeof v === 'string') {
      if (OPEN_ID.test(v)) into.people.add(v);
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk((row as { actorId?: string }).actorId);
  const data = dataOf(row);
  walk(data);
  if (typeof data.deptId === 'string') into.depts.add(data.deptId);
  if (row.kind === 'MASTER' && row.carrierNumber) into.carriers.add(row.carrierNumber);
}
