import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoDedupeStore } from '../../models/dedupe.model.js';
import { MongoUserPrefsStore } from '../../models/user-prefs.model.js';
import { useTestDb, type TestDb } from '../helpers/mongo.js';

let db: TestDb;
beforeAll(async () => {
  db = await useTestDb();
});
afterAll(() => db.close());

describe('MongoDedupeStore', () => {
  it('50 concurrent claims of one key: exactly one wins', async () => {
    const store = new MongoDedupeStore(db.connection);
    await store.init();
    const results = await Promise.all(Array.from({ length: 50 }, () => store.claim('msg:om_same')));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await store.claim('msg:om_other')).toBe(true);
  });

  it('release lets a key be claimed again', async () => {
    const store = new MongoDedupeStore(db.connection);
    expect(await store.claim('evt:x')).toBe(true);
    await store.release('evt:x');
    expect(await store.claim('evt:x')).toBe(true);
  });

  it('has a TTL index so processed keys expire', async () => {
    const store = new MongoDedupeStore(db.connection);
    await store.init();
    const indexes = await db.connection.collection('dedupe').indexes();
    expect(indexes.find((i) => i.key.at === 1)?.expireAfterSeconds).toBeGreaterThan(7 * 3600);
  });
});

describe('MongoUserPrefsStore', () => {
  it('stores a user’s language per tenant', async () => {
    const prefs = new MongoUserPrefsStore(db.connection);
    await prefs.init();
    expect(await prefs.getLocale('t1', 'ou_a')).toBeUndefined();
    await prefs.setLocale('t1', 'ou_a', 'en-US');
    expect(await prefs.getLocale('t1', 'ou_a')).toBe('en-US');
    expect(await new MongoUserPrefsStore(db.connection).getLocale('t1', 'ou_a')).toBe('en-US');
    expect(await prefs.getLocale('t2', 'ou_a')).toBeUndefined();
  });

  it('markWelcomed is true exactly once per user, also when raced', async () => {
    const prefs = new MongoUserPrefsStore(db.connection);
    await prefs.init();
    const raced = await Promise.all(Array.from({ length: 20 }, () => prefs.markWelcomed('t1', 'ou_new')));
    expect(raced.filter(Boolean)).toHaveLength(1);
    expect(await prefs.markWelcomed('t1', 'ou_new')).toBe(false);
    await prefs.setLocale('t1', 'ou_lang_first', 'zh-CN');
    expect(await prefs.markWelcomed('t1', 'ou_lang_first')).toBe(true);
  });
});

describe('MongoDedupeStore batching', () => {
  it('claims of one tick share a round trip; duplicates inside and across batches lose', async () => {
    const store = new MongoDedupeStore(db.connection);
    await store.init();
    expect(await store.claim('b:pre')).toBe(true);
    const keys = ['b:1', 'b:2', 'b:1', 'b:pre', 'b:3', 'b:2', 'b:4'];
    const results = await Promise.all(keys.map((k) => store.claim(k)));
    expect(results).toEqual([true, true, false, false, true, false, true]);
    expect(await db.connection.collection('dedupe').countDocuments({ _id: { $in: ['b:1', 'b:2', 'b:3', 'b:4', 'b:pre'] } as never })).toBe(5);
  });

  it('a store failure rejects the claims of the batch instead of answering them', async () => {
    const store = new MongoDedupeStore(db.connection);
    const broken = store as unknown as { model: { collection: { insertMany: () => Promise<never> } } };
    broken.model = {
      collection: {
        insertMany: async () => {
          throw new Error('connection reset');
        },
      },
    };
    await expect(Promise.all([store.claim('x:1'), store.claim('x:2')])).rejects.toThrow('connection reset');
  });
});
