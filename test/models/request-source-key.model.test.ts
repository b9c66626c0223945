/**
 * Idempotent creation across a crash: a request remembers the delivery that created it
 * (`sourceKey`, unique per tenant), so handling that delivery again finds it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDraft, type Request } from '../../domain/index.js';
import { DuplicateRequestError, DuplicateSourceKeyError, RequestStore } from '../../models/request.model.js';
import { carrier, ctx, detailsFor, P } from '../domain/helpers.js';
import { useTestDb, type TestDb } from '../helpers/mongo.js';

function draft(id: string): Request {
  const r = createDraft({ id, kind: 'COPY', requesterId: P.req.id, deptId: 'dept_1', carriers: [carrier(`${id}-X`, 'SECRET')], details: detailsFor('COPY', 'SECRET') }, ctx());
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.request;
}

let db: TestDb;
let store: RequestStore;
beforeAll(async () => {
  db = await useTestDb();
  store = new RequestStore(db.connection);
  await store.init();
});
afterAll(() => db.close());

describe('RequestStore sourceKey', () => {
  it('stores the delivery key and finds the request by it, per tenant', async () => {
    await store.insert('t1', draft('CP-2026-0101'), [], { sourceKey: 'msg:om_src_1' });
    expect((await store.getBySourceKey('t1', 'msg:om_src_1'))?.request.id).toBe('CP-2026-0101');
    expect((await store.get('t1', 'CP-2026-0101'))?.sourceKey).toBe('msg:om_src_1');
    expect(await store.getBySourceKey('t2', 'msg:om_src_1')).toBeNull();
    expect(await store.getBySourceKey('t1', 'msg:om_src_other')).toBeNull();
  });

  it('a second request from the same delivery is refused by the unique index; another tenant or no key never collides', async () => {
    await store.insert('t1', draft('CP-2026-0102'), [], { sourceKey: 'msg:om_src_2' });
    const twin = store.insert('t1', draft('CP-2026-0103'), [], { sourceKey: 'msg:om_src_2' });
    await expect(twin).rejects.toBeInstanceOf(DuplicateSourceKeyError);
    expect(await store.get('t1', 'CP-2026-0103')).toBeNull();
    // The same id is still a DuplicateRequestError, not a source-key one.
    await expect(store.insert('t1', draft('CP-2026-0102'), [], { sourceKey: 'msg:om_src_3' })).rejects.toBeInstanceOf(DuplicateRequestError);
    await store.insert('t2', draft('CP-2026-0102'), [], { sourceKey: 'msg:om_src_2' });
    await store.insert('t1', draft('CP-2026-0104'), []);
    await store.insert('t1', draft('CP-2026-0105'), []);
    expect(await db.connection.collection('requests').countDocuments({ sourceKey: 'msg:om_src_2' })).toBe(2);
    const index = (await db.connection.collection('requests').indexes()).find((i) => i.name === 'source_key');
    expect(index).toMatchObject({ unique: true, key: { tenantKey: 1, sourceKey: 1 } });
    expect(index?.partialFilterExpression).toBeTruthy();
  });
});
