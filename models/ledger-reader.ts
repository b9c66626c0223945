/**
 * Reading the registers (台账) for the security office: filtered pages, counts, export cursors,
 * verification of every chain and statistics. Read-only: the chains are written only through
 * `LedgerStore.append` / `AuditLogStore.record`.
 *
 * Every query names `tenantKey` and the ledger first and is served by an index of
 * `ledger.model.ts` / `audit.model.ts` (each index comment names the query it serves);
 * `test/models/ledger-reader.explain.test.ts` checks that with `explain()` on a real MongoDB.
 */
import { FanoutStore } from './fanout.model.js';
import type { Connection, Model } from 'mongoose';
import { AuditLogStore, type AuditRecord } from './audit.model.js';
import type { VerifyResult } from './chain.js';
import { LedgerStore, type LedgerEntry } from './ledger.model.js';

/** The four registers of the approvals, the incidents' register (handlers/incidents), and the audit log. */
export const LEDGER_KINDS = ['MASTER', 'COPY', 'CARRY', 'DESTROY', 'INCIDENT', 'AUDIT'] as const;
export type LedgerKind = (typeof LEDGER_KINDS)[number];
export type ChainKind = LedgerKind;

/** The field of each register that names "the person" of an entry (`user=`). */
export const PERSON_FIELD: Record<Exclude<LedgerKind, 'MASTER'>, string> = {
  COPY: 'data.requesterId',
  CARRY: 'data.carrierPersonId',
  DESTROY: 'data.custodianId',
  /** Every step of an incident carries who reported it (handlers/incidents/service.ts). */
  INCIDENT: 'data.reporterId',
  AUDIT: 'actorId',
};

/** A resolved filter, ready for MongoDB (the handler resolved names, departments and statuses). */
export interface ReaderFilter {
  kind: LedgerKind;
  /** occurredAt (audit: at) ≥ from */
  from?: Date;
  /** occurredAt (audit: at) < to */
  to?: Date;
  deptIds?: string[];
  level?: string;
  /** The person field of the kind (PERSON_FIELD); MASTER: pass `carriers` instead. */
  user?: string;
  /** Ledger events (audit: outcomes). */
  events?: string[];
  /** Carrier numbers (audit: object ids). */
  carriers?: string[];
}

export type ReaderRow = (LedgerEntry & { kind: Exclude<LedgerKind, 'AUDIT'> }) | (AuditRecord & { kind: 'AUDIT' });

export interface ReaderPage {
  rows: ReaderRow[];
  /** A newer / older entry exists beyond this page. */
  newer: boolean;
  older: boolean;
}

/** A chain's head as anchored: the last seq and its hash. */
export interface ChainHead {
  ledger: ChainKind;
  seq: number;
  hash: string;
}

export interface ChainReport {
  ledger: ChainKind;
  result: VerifyResult;
  /** When the first broken link was recorded (if it still exists). */
  brokenTime?: Date;
}

export interface LedgerStats {
  /** Entries by register × level × department (the register's main event only). */
  counts: { kind: LedgerKind; level: string; deptId: string; n: number }[];
  openCarryOuts: number;
  overdueCarryOuts: number;
  pendingDestruction: number;
  waitingOver48h: number;
  deadLetters: number;
  /** Incidents open now (OPEN or REPORTED: not yet closed, not a draft). */
  openIncidents: number;
}

/** The event of each register that counts as "one of them" in statistics. */
export const MAIN_EVENT: Record<Exclude<LedgerKind, 'AUDIT'>, string> = {
  MASTER: 'REGISTERED',
  COPY: 'COPIED',
  CARRY: 'CHECKED_OUT',
  DESTROY: 'DESTROYED',
  /** An incident opened (reported, or a draft confirmed); drafts are not counted until confirmed. */
  INCIDENT: 'OPENED',
};

const CHAINS: readonly ChainKind[] = LEDGER_KINDS;

export class LedgerReader {
  readonly ledgers: LedgerStore;
  readonly audit: AuditLogStore;
  private readonly entries: Model<LedgerEntry>;
  private readonly records: Model<AuditRecord>;

  constructor(private readonly conn: Connection) {
    this.ledgers = new LedgerStore(conn);
    this.audit = new AuditLogStore(conn);
    this.entries = conn.models.LedgerEntry as Model<LedgerEntry>;
    this.records = conn.models.AuditRecord as Model<AuditRecord>;
  }

  async init(): Promise<void> {
    await Promise.all([this.ledgers.init(), this.audit.init()]);
  }

  /** The MongoDB query of a filter (without paging). */
  query(tenantKey: string, f: ReaderFilter): Record<string, unknown> {
    const q: Record<string, unknown> = { tenantKey };
    const audit = f.kind === 'AUDIT';
    if (!audit) q.ledger = f.kind;
    if (f.from || f.to) {
      const range: Record<string, Date> = {};
      if (f.from) range.$gte = f.from;
      if (f.to) range.$lt = f.to;
      q[audit ? 'at' : 'occurredAt'] = range;
    }
    if (f.deptIds) q['data.deptId'] = f.deptIds.length === 1 ? f.deptIds[0] : { $in: f.deptIds };
    if (f.level) q['data.level'] = f.level;
    if (f.user && f.kind !== 'MASTER') q[PERSON_FIELD[f.kind]] = f.user;
    if (f.events) q[audit ? 'outcome' : 'event'] = f.events.length === 1 ? f.events[0] : { $in: f.events };
    if (f.carriers) q[audit ? 'objectId' : 'carrierNumber'] = f.carriers.length === 1 ? f.carriers[0] : { $in: f.carriers };
    return q;
  }

  private model(kind: LedgerKind): Model<LedgerEntry> | Model<AuditRecord> {
    return kind === 'AUDIT' ? this.records : this.entries;
  }

  async count(tenantKey: string, f: ReaderFilter): Promise<number> {
    return (this.model(f.kind) as Model<LedgerEntry>).countDocuments(this.query(tenantKey, f));
  }

  /**
   * One page, newest first, by keyset on `seq`: `before` = the oldest seq shown (next page),
   * `after` = the newest seq shown (previous page); neither: the newest entries.
   */
  async page(tenantKey: string, f: ReaderFilter, limit: number, at: { before?: number; after?: number } = {}): Promise<ReaderPage> {
    const q = this.query(tenantKey, f);
    const model = this.model(f.kind) as Model<LedgerEntry>;
    const backwards = at.after !== undefined;
    if (at.before !== undefined) q.seq = { $lt: at.before };
    if (backwards) q.seq = { $gt: at.after };
    const docs = (await model
      .find(q, { _id: 0 })
      .sort({ seq: backwards ? 1 : -1 })
      .limit(limit + 1)
      .lean()) as unknown as (LedgerEntry | AuditRecord)[];
    const more = docs.length > limit;
    const shown = docs.slice(0, limit);
    if (backwards) shown.reverse();
    const rows = shown.map((d) => ({ ...d, kind: f.kind }) as ReaderRow);
    return backwards ? { rows, newer: more, older: true } : { rows, newer: at.before !== undefined, older: more };
  }

  /** Every matching entry in register order (seq ascending), streamed in batches. */
  async *stream(tenantKey: string, f: ReaderFilter, batchSize = 200): AsyncGenerator<ReaderRow> {
    const model = this.model(f.kind) as Model<LedgerEntry>;
    const cursor = model.find(this.query(tenantKey, f), { _id: 0 }).sort({ seq: 1 }).lean().cursor({ batchSize });
    try {
      for await (const d of cursor) {
        (d as { kind?: string }).kind = f.kind; // a lean document of our own: no copy
        yield d as unknown as ReaderRow;
      }
    } finally {
      await cursor.close();
    }
  }

  /** Department ids that occur in a register (for resolving `dept=` by name). */
  async departments(tenantKey: string, kind: LedgerKind): Promise<string[]> {
    if (kind === 'AUDIT') return [];
    const ids = (await this.entries.distinct('data.deptId', { tenantKey, ledger: kind })) as unknown[];
    return ids.filter((x): x is string => typeof x === 'string');
  }

  /** Carrier numbers in the register with this status / custodian (the master ledger's filters). */
  async carrierNumbers(tenantKey: string, by: { status?: string; custodianId?: string }): Promise<string[]> {
    const q: Record<string, unknown> = { tenantKey };
    if (by.status) q.status = by.status;
    if (by.custodianId) q.custodianId = by.custodianId;
    const docs = await this.conn
      .collection('carriers')
      .find(q, { projection: { _id: 0, number: 1 } })
      .toArray();
    return docs.map((d) => String(d.number));
  }

  /** Tenants that have a chain. */
  async tenants(): Promise<string[]> {
    const [a, b] = await Promise.all([this.entries.distinct('tenantKey'), this.records.distinct('tenantKey')]);
    return [...new Set([...(a as string[]), ...(b as string[])])].sort();
  }

  /** The head (last seq and hash) of every chain of a tenant; empty chains are left out. */
  async heads(tenantKey: string): Promise<ChainHead[]> {
    const out: ChainHead[] = [];
    for (const ledger of CHAINS) {
      const head =
        ledger === 'AUDIT'
          ? ((await this.records.findOne({ tenantKey }, { _id: 0, seq: 1, hash: 1 }).sort({ seq: -1 }).lean()) as { seq: number; hash: string } | null)
          : await this.ledgers.head(tenantKey, ledger);
      if (head) out.push({ ledger, seq: head.seq, hash: head.hash });
    }
    return out;
  }

  /** Walks every chain of a tenant. */
  async verifyAll(tenantKey: string): Promise<ChainReport[]> {
    const out: ChainReport[] = [];
    for (const ledger of CHAINS) {
      const result = ledger === 'AUDIT' ? await this.audit.verify(tenantKey) : await this.ledgers.verify(tenantKey, ledger);
      const report: ChainReport = { ledger, result };
      if (!result.ok) {
        const at = await this.linkTime(tenantKey, ledger, result.reason === 'seq_gap' ? result.count : result.brokenAt);
        if (at) report.brokenTime = at;
      }
      out.push(report);
    }
    return out;
  }

  /** A link's stored hash (for checking an anchored head still holds), or null when gone. */
  async linkHash(tenantKey: string, ledger: ChainKind, seq: number): Promise<string | null> {
    const q = ledger === 'AUDIT' ? { tenantKey, seq } : { tenantKey, ledger, seq };
    const doc = (await (this.model(ledger) as Model<LedgerEntry>).findOne(q, { _id: 0, hash: 1 }).lean()) as { hash?: string } | null;
    return doc?.hash ?? null;
  }

  /** When a link happened (for a gap: the last intact link before it). */
  private async linkTime(tenantKey: string, ledger: ChainKind, seq: number): Promise<Date | undefined> {
    if (seq < 1) return undefined;
    const q = ledger === 'AUDIT' ? { tenantKey, seq } : { tenantKey, ledger, seq };
    const doc = (await (this.model(ledger) as Model<LedgerEntry>).findOne(q, { _id: 0, occurredAt: 1, at: 1 }).lean()) as { occurredAt?: Date; at?: Date } | null;
    return doc?.occurredAt ?? doc?.at ?? undefined;
  }

  /** `/ledger stats`: the year's counts and what is open now. */
  async stats(tenantKey: string, range: { from: Date; to: Date }, now: Date): Promise<LedgerStats> {
    const counts: LedgerStats['counts'] = [];
    for (const kind of LEDGER_KINDS) {
      if (kind === 'AUDIT') continue;
      const rows = await this.entries
        .aggregate<{ _id: { level?: string; deptId?: string }; n: number }>([
          { $match: { tenantKey, ledger: kind, event: MAIN_EVENT[kind], occurredAt: { $gte: range.from, $lt: range.to } } },
          { $group: { _id: { level: '$data.level', deptId: '$data.deptId' }, n: { $sum: 1 } } },
        ])
        .exec();
      for (const r of rows) counts.push({ kind, level: r._id.level ?? '', deptId: r._id.deptId ?? '', n: r.n });
    }
    const requests = this.conn.collection('requests');
    const [openCarryOuts, overdueCarryOuts, pendingDestruction, waitingOver48h, dead, openIncidents, deadNotices, deadAlarms] = await Promise.all([
      requests.countDocuments({ tenantKey, state: { $in: ['OUT', 'OVERDUE', 'RETURNED'] } }),
      requests.countDocuments({ tenantKey, state: 'OVERDUE' }),
      this.conn.collection('carriers').countDocuments({ tenantKey, status: 'PENDING_DESTRUCTION' }),
      requests.countDocuments({ tenantKey, state: 'IN_APPROVAL', updatedAt: { $lt: new Date(now.getTime() - 48 * 3_600_000) } }),
      requests
        .aggregate<{ n: number }>([{ $match: { tenantKey, 'dead.key': { $exists: true } } }, { $project: { n: { $size: '$dead' } } }, { $group: { _id: null, n: { $sum: '$n' } } }])
        .toArray(),
      // The incidents' own collection (models/incident.model.ts; its tenant index serves it).
      this.conn.collection('incidents').countDocuments({ tenantKey, status: { $in: ['OPEN', 'REPORTED'] } }),
      // Notices (one per notice, as /deadletters lists them) and alarms given up on (their tenant indexes serve these).
      new FanoutStore(this.conn).countFailed(tenantKey),
      this.conn.collection('alarms').countDocuments({ tenantKey, state: 'failed' }),
    ]);
    return { counts, openCarryOuts, overdueCarryOuts, pendingDestruction, waitingOver48h, deadLetters: (dead[0]?.n ?? 0) + deadNotices + deadAlarms, openIncidents };
  }
}
