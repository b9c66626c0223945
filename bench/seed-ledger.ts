/**
 * Ledger entries for the ledger benchmarks, as the workflow writes them (MASTER 20 %, COPY 40 %,
 * CARRY 30 %, DESTROY 10 %; spread over 2025-01 … 2026-11; hashes are not checked by the reads
 * and exports measured): `entries` of them for `tenantKey`, naming `people` and `depts`, about
 * `carriers` carrier numbers B-0, B-1, ….
 */
import type { Connection } from 'mongoose';

const KINDS = ['MASTER', 'COPY', 'COPY', 'CARRY', 'CARRY', 'CARRY', 'COPY', 'DESTROY', 'MASTER', 'COPY'] as const;
export const LEVELS = ['TOP_SECRET', 'SECRET', 'CONFIDENTIAL', 'CORE', 'ORDINARY'];

export interface LedgerSeed {
  tenantKey: string;
  entries: number;
  people: readonly string[];
  depts: readonly string[];
  carriers: number;
}

export async function seedLedgerEntries(conn: Connection, o: LedgerSeed): Promise<void> {
  const { tenantKey, people, depts } = o;
  const ENTRIES = o.entries;
  const CARRIERS = o.carriers;
  const seqs: Record<string, number> = {};
  const start = Date.UTC(2025, 0, 1);
  const span = Date.UTC(2026, 10, 30) - start;
  for (let i = 0; i < ENTRIES; i += 5000) {
    const docs = [];
    for (let j = i; j < Math.min(ENTRIES, i + 5000); j++) {
      const ledger = KINDS[j % KINDS.length]!;
      const seq = (seqs[ledger] = (seqs[ledger] ?? 0) + 1);
      const person = people[(j * 7) % people.length]!;
      const deptId = depts[(j * 3) % depts.length]!;
      const level = LEVELS[j % LEVELS.length]!;
      const occurredAt = new Date(start + Math.floor((span * j) / ENTRIES));
      const requestId = `CP-2026-${String(j).padStart(6, '0')}`;
      const carrierNumber = `B-${j % CARRIERS}`;
      const approvers = [{ role: 'dept_head', by: people[1], at: occurredAt.toISOString() }];
      const data: Record<string, unknown> =
        ledger === 'COPY'
          ? {
              requestId,
              date: '2026-01-01',
              requesterId: person,
              deptId,
              level,
              copiesApproved: 3,
              copiesMade: 2,
              purpose: '季度会议',
              approvers,
              newNumbers: [`${carrierNumber}-C1`, `${carrierNumber}-C2`],
              originalsReturned: true,
              wasteRecovered: true,
              deviceWiped: true,
              supervisorId: people[2],
            }
          : ledger === 'CARRY'
            ? {
                requestId,
                deptId,
                level,
                carrierPersonId: person,
                companions: [people[3]],
                purpose: '汇报',
                destination: '市保密局',
                outAt: occurredAt.toISOString(),
                due: '2026-12-31',
                approvers,
                recordedBy: people[2],
              }
            : ledger === 'DESTROY'
              ? {
                  requestId,
                  deptId,
                  level,
                  carrierType: '纸质',
                  custodianId: person,
                  reason: '到期',
                  method: '粉碎',
                  site: '保密室',
                  date: '2026-01-02',
                  executorId: people[2],
                  witnesses: [people[5], people[6]],
                  approvers,
                }
              : { number: carrierNumber, alias: '文件', carrierType: '纸质', level, custodianId: person, status: 'IN_STOCK' };
      docs.push({
        tenantKey,
        ledger,
        seq,
        effectKey: `bench:${j}`,
        event: ledger === 'COPY' ? 'COPIED' : ledger === 'CARRY' ? 'CHECKED_OUT' : ledger === 'DESTROY' ? 'DESTROYED' : 'REGISTERED',
        carrierNumber,
        requestId,
        actorId: people[2],
        occurredAt,
        data,
        prevHash: '0'.repeat(64),
        hash: '0'.repeat(64),
        recordedAt: occurredAt,
      });
    }
    await conn.collection('ledger_entries').insertMany(docs, { ordered: false });
  }
}
