/**
 * `/deadletters drop <request id>` at the service: only a request's dead messages go; its dead
 * writes (ledger, audit, carrier status, reminders) stay, to be retried — a ledger entry is never
 * given up on. A drop racing a retry takes effect once or not at all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeadEffect } from '../../../handlers/approvals/ports.js';
import { useTestDb, type TestDb } from '../../helpers/mongo.js';
import { approveAll, registerCarrier, serviceHarness, TENANT, type ServiceHarness } from '../../helpers/approval-service.js';

let db: TestDb;
let h: ServiceHarness;
beforeAll(async () => {
  db = await useTestDb();
  h = await serviceHarness(db);
});
afterAll(() => db?.close());

const STAFF = 'ou_29eacd7ebd92f24f7e1a5dba6b277743';
const died = { attempts: 8, lastError: 'refused', diedAt: new Date().toISOString() };

async function requestWith(carrier: string, dead: DeadEffect[]): Promise<string> {
  await registerCarrier(h.repos, carrier);
  const s = await h.service.create(TENANT, { kind: 'COPY', requesterId: STAFF, carrierNumbers: [carrier], details: { copies: 1, purpose: '会议' }, channel: 'command' });
  await approveAll(h.service, h.repos, s.request.id);
  await h.service.recover();
  for (const e of dead) {
    // Put each effect in the outbox, then make it a dead letter as the runner does.
    await db.connection.collection('requests').updateOne({ tenantKey: TENANT, 'request.id': s.request.id }, { $push: { pending: { ...e, attempts: 0 } } } as never);
    expect(await h.repos.outbox.deadLetter(TENANT, s.request.id, e)).toBe(true);
  }
  return s.request.id;
}

describe('dropping a request’s dead letters', () => {
  it('drops the messages and keeps the writes', async () => {
    const id = await requestWith('JM-DROP-001', [
      { key: 'x:notify', type: 'notify', to: STAFF, template: 'notify.approved', ...died } as unknown as DeadEffect,
      { key: 'x:ledger', type: 'ledger', ledger: 'COPY', ...died } as unknown as DeadEffect,
    ]);
    const r = await h.service.dropDeadMessages(TENANT, id);
    expect(r.dropped.map((e) => e.key)).toEqual(['x:notify']);
    expect(r.storageLeft).toBe(1);
    expect((await h.repos.requests.get(TENANT, id))!.dead!.map((e) => e.key)).toEqual(['x:ledger']);
    // Nothing left to drop; the ledger letter still retries.
    expect(await h.service.dropDeadMessages(TENANT, id)).toEqual({ dropped: [], storageLeft: 1 });
    expect((await h.service.retryDead(TENANT, id)).revived).toBe(1);
  });

  it('a drop guarded by the letters still being dead: after a retry took them back, nothing is dropped', async () => {
    const id = await requestWith('JM-DROP-002', [{ key: 'y:notify', type: 'notify', to: STAFF, template: 'notify.approved', ...died } as unknown as DeadEffect]);
    expect(await h.repos.outbox.dropDead(TENANT, id, ['y:notify', 'y:other'])).toBe(0);
    expect((await h.repos.requests.get(TENANT, id))!.dead).toHaveLength(1);
    expect(await h.repos.outbox.dropDead(TENANT, id, ['y:notify'])).toBe(1);
    expect((await h.repos.requests.get(TENANT, id))!.dead ?? []).toEqual([]);
  });
});
