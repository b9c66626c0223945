/**
 * Several instances patching one card message: a patch never replaces a newer version of the card
 * with an older one (the version shown per message is kept in MongoDB and claimed before patching).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../bot/core/logger.js';
import type { CardJson } from '../../../bot/core/types.js';
import { CardRefresher } from '../../../handlers/approvals/card-refresher.js';
import type { StoredRequest } from '../../../handlers/approvals/ports.js';
import type { Request } from '../../../domain/index.js';
import { CardStateStore } from '../../../models/card-state.model.js';
import { RequestStore } from '../../../models/request.model.js';
import { useTestDb, type TestDb } from '../../helpers/mongo.js';

let db: TestDb;
beforeAll(async () => {
  db = await useTestDb();
  await new RequestStore(db.connection).init();
});
afterAll(() => db.close());

const T = 'tenant-cards';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A stored request document with one card message, at `version`. */
async function seed(id: string, version: number, sentForVersion: number): Promise<void> {
  await db.connection.collection('requests').insertOne({
    _id: `${T}:${id}`,
    tenantKey: T,
    request: { id, version, state: 'IN_APPROVAL' },
    pending: [],
    cards: [{ messageId: `om_${id}`, kind: 'status', sentForVersion }],
    currentAssignees: [],
    state: 'IN_APPROVAL',
    requesterId: 'ou_x',
    kind: 'COPY',
    updatedAt: new Date(),
  } as never);
}

/** One "instance": reads the request as `sees` says, patches through a slow sender that records the order. */
function instance(log: number[], sees: () => number, patchDelayMs: number, conn = db.connection) {
  return new CardRefresher({
    requests: {
      get: async (tenantKey: string, id: string) => {
        const doc = (await conn.collection('requests').findOne({ _id: `${tenantKey}:${id}` } as never)) as unknown as StoredRequest;
        return { ...doc, request: { ...doc.request, version: sees() } as Request };
      },
    },
    cardState: new CardStateStore(conn),
    sender: {
      patchCard: async (_messageId: string, card: CardJson) => {
        await sleep(patchDelayMs);
        log.push((card as unknown as { v: number }).v);
      },
    },
    logger: silentLogger,
    names: async () => (id: string) => ({ zh: id, en: id }),
    render: (_t, _k, request) => ({ v: request.version }) as unknown as CardJson,
  });
}

describe('card patches across instances', () => {
  it('an instance that read an older version does not patch over a newer one, in either order', async () => {
    // A read v5 and is slow; B read v6 and is fast: B must wait for A's claim, then win.
    await seed('CP-2026-0901', 6, 4);
    const log: number[] = [];
    const a = instance(log, () => 5, 150);
    const b = instance(log, () => 6, 0);
    const first = a.refresh(T, 'CP-2026-0901');
    await sleep(30);
    await Promise.all([first, b.refresh(T, 'CP-2026-0901')]);
    expect(log).toEqual([5, 6]);

    // B patched v6 first; A (stale, v5) comes later and must leave the card alone.
    await seed('CP-2026-0902', 6, 4);
    const log2: number[] = [];
    await instance(log2, () => 6, 0).refresh(T, 'CP-2026-0902');
    await instance(log2, () => 5, 0).refresh(T, 'CP-2026-0902');
    expect(log2).toEqual([6]);
    const doc = await db.connection.collection('requests').findOne({ _id: `${T}:CP-2026-0902` } as never);
    expect(doc?.cards[0].shownVersion).toBe(6);
  });

  it('a card already showing the version (sent for it, or recorded as shown) is not patched again', async () => {
    await seed('CP-2026-0903', 6, 6);
    const log: number[] = [];
    await instance(log, () => 6, 0).refresh(T, 'CP-2026-0903');
    expect(log).toEqual([]);
    await seed('CP-2026-0904', 7, 5);
    await new CardStateStore(db.connection).markRedrawn(T, 'CP-2026-0904', 'om_CP-2026-0904', 7);
    await instance(log, () => 7, 0).refresh(T, 'CP-2026-0904');
    expect(log).toEqual([]);
  });

  it('a failed patch frees the message and leaves the shown version as it was, so a retry patches it', async () => {
    await seed('CP-2026-0905', 6, 4);
    let fail = true;
    const patched: number[] = [];
    const r = new CardRefresher({
      requests: { get: async (t: string, id: string) => (await db.connection.collection('requests').findOne({ _id: `${t}:${id}` } as never)) as unknown as StoredRequest },
      cardState: new CardStateStore(db.connection),
      sender: {
        patchCard: async (_m: string, card: CardJson) => {
          if (fail) throw Object.assign(new Error('card action is lock'), { code: 11310 });
          patched.push((card as unknown as { v: number }).v);
        },
      },
      logger: silentLogger,
      names: async () => (id: string) => ({ zh: id, en: id }),
      render: (_t, _k, request) => ({ v: request.version }) as unknown as CardJson,
    });
    await expect(r.refresh(T, 'CP-2026-0905')).rejects.toThrow(/1 of 1 card patches failed/);
    fail = false;
    await r.refresh(T, 'CP-2026-0905');
    expect(patched).toEqual([6]);
  });
});
