/**
 * A notice's failed deliveries sent again from /deadletters (FanoutService.retryFailed): only the
 * failed recipients get it, once; the notice is opened again so its sender's progress card shows
 * the outcome — and when Lark will no longer take a patch of that card (past its 14-day update
 * window), the sender gets a new card and the notice is closed, instead of being patched in vain
 * on every pass.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../bot/core/logger.js';
import type { Recipient } from '../../bot/core/types.js';
import { LarkApiError } from '../../bot/transports/lark/sender.js';
import { FanoutStore } from '../../models/fanout.model.js';
import { FanoutService } from '../../scheduler/fanout.js';
import { useTestDb, type TestDb } from '../helpers/mongo.js';

let db: TestDb;
beforeAll(async () => {
  db = await useTestDb();
  await new FanoutStore(db.connection).init();
});
afterAll(() => db?.close());

const permanent = (op: string, code: number) => Object.assign(new LarkApiError(op, code, 400, 'refused'), { permanent: true });

describe('retrying a notice’s failed deliveries', () => {
  it('reaches the failed recipients once; an old progress card is replaced, not patched forever', async () => {
    const refused = new Set(['ou_b']);
    let patchRefused = false;
    const sent: { to: string; text: string }[] = [];
    let patches = 0;
    let n = 0;
    const sender = {
      async send(to: Recipient, m: { type: string; text?: string }) {
        const id = 'openId' in to ? to.openId : to.chatId;
        if (refused.has(id)) throw permanent('im.message.create', 230013);
        sent.push({ to: id, text: m.type === 'text' ? m.text! : 'card' });
        return { messageId: `om_${++n}` };
      },
      async patchCard() {
        patches++;
        if (patchRefused) throw permanent('im.message.patch', 230031);
      },
    };
    const store = new FanoutStore(db.connection);
    const fanout = new FanoutService({ store, sender: sender as never, logger: silentLogger, rate: 50 });
    const started = await fanout.send({
      id: 'notice-retry',
      tenantKey: 't1',
      senderId: 'ou_officer',
      title: 'notice',
      message: { type: 'text', text: '保密提醒' },
      recipients: ['ou_a', 'ou_b', 'ou_c'].map((id) => ({ to: { openId: id } })),
    });
    await started.done;
    const texts = (to: string) => sent.filter((s) => s.to === to && s.text === '保密提醒').length;
    expect([texts('ou_a'), texts('ou_b'), texts('ou_c')]).toEqual([1, 0, 1]);
    expect(await store.countFailed()).toBe(1);
    expect(await store.failedNotices('t1')).toMatchObject([{ noticeId: 'notice-retry', count: 1, missed: [{ to: { openId: 'ou_b' } }] }]);
    expect(await store.failedNotices('t2')).toEqual([]); // another tenant sees none of it
    expect(await store.open()).toEqual([]);
    const cardsBefore = sent.filter((s) => s.to === 'ou_officer').length;
    expect(cardsBefore).toBe(1);

    // Fixed: the person is reachable again, but the progress card is too old to patch.
    refused.clear();
    patchRefused = true;
    expect((await fanout.retryFailed('t2')).revived).toBe(0);
    const retried = await fanout.retryFailed('t1', 'notice-retry');
    expect(retried.revived).toBe(1);
    await retried.done;
    expect([texts('ou_a'), texts('ou_b'), texts('ou_c')]).toEqual([1, 1, 1]);
    expect(await store.countFailed()).toBe(0);
    // One new card for the sender, and the notice closed: later passes patch nothing.
    expect(sent.filter((s) => s.to === 'ou_officer')).toHaveLength(cardsBefore + 1);
    expect(await store.open()).toEqual([]);
    const patchesNow = patches;
    await fanout.kick();
    await fanout.kick();
    expect(patches).toBe(patchesNow);
    expect((await store.get('notice-retry'))?.shown).toEqual({ sent: 3, failed: 0, done: true });
  });
});
