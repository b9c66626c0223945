/**
 * ApprovalService.create with a `sourceKey` (the delivery's dedupe key): the same delivery handled
 * again — after a crash, or by a concurrent twin — gets the request it created, never a second one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDb, type TestDb } from '../../helpers/mongo.js';
import { serviceHarness, TENANT, type ServiceHarness } from '../../helpers/approval-service.js';

const STAFF = 'ou_34bf8052ce3c4a7d967c03c0a763b2b2'; // 孙浩 (综合处)
const HEAD = 'ou_d87f2e0d69549e4af1c7ad4ea914c243'; // 陈静, head of 综合处: the first approver

let db: TestDb;
let h: ServiceHarness;
beforeAll(async () => {
  db = await useTestDb();
  h = await serviceHarness(db);
});
afterAll(() => db.close());

const copy = (purpose: string, sourceKey?: string) => ({
  kind: 'COPY' as const,
  requesterId: STAFF,
  carrierNumbers: ['MM-2026-001'],
  details: { copies: 1, purpose },
  channel: 'command' as const,
  ...(sourceKey ? { sourceKey } : {}),
});
const requestsWith = (purpose: string) => db.connection.collection('requests').countDocuments({ tenantKey: TENANT, 'request.details.purpose': purpose });

describe('create is idempotent by the delivery', () => {
  it('the same delivery handled twice: one request, one id taken, the approver asked once', async () => {
    const first = await h.service.create(TENANT, copy('重投一次', 'msg:om_create_1'));
    const again = await h.service.create(TENANT, copy('重投一次', 'msg:om_create_1'));
    expect(again.request.id).toBe(first.request.id);
    expect(await requestsWith('重投一次')).toBe(1);
    // No number was used up by the second handling: the next request takes the very next one.
    const next = await h.service.create(TENANT, copy('下一个'));
    const seq = (id: string) => Number(id.slice(-4));
    expect(seq(next.request.id)).toBe(seq(first.request.id) + 1);
    await new Promise((r) => setTimeout(r, 200));
    const asked = h.sender.to(HEAD).filter((s) => JSON.stringify(s.message).includes(first.request.id));
    expect(asked).toHaveLength(1);
  });

  it('concurrent twins of one delivery (two instances) all answer with the one request that was stored', async () => {
    const other = await h.another();
    try {
      const results = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? other.service : h.service).create(TENANT, copy('并发孪生', 'msg:om_create_twins'))));
      expect(new Set(results.map((r) => r.request.id)).size).toBe(1);
      expect(await requestsWith('并发孪生')).toBe(1);
    } finally {
      await other.close();
    }
  });
});
