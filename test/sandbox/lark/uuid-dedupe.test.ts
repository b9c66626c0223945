/**
 * Lark drops a send whose `uuid` it saw within the hour and returns the first message. The stand-in
 * does the same by default; the end-to-end harness switches it off (`dedupeUuid: false`) so that a
 * doubled send by the bot shows as two messages instead of being merged by the stand-in.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startLarkStandIn, type LarkStandIn } from '../../../sandbox/lark/server.js';
import { APP_ID, APP_SECRET, sdkClient, userByEn } from './helpers.js';

const liNa = userByEn('Li Na');
let s: LarkStandIn | undefined;
afterEach(async () => {
  await s?.stop();
  s = undefined;
});

async function sendTwice(standIn: LarkStandIn, uuid: string) {
  const client = sdkClient(standIn.url);
  const send = () =>
    client.im.v1.message.create({
      params: { receive_id_type: 'open_id' },
      data: { receive_id: liNa.open_id, msg_type: 'text', content: JSON.stringify({ text: 'once?' }), uuid },
    });
  const a = await send();
  const b = await send();
  return { first: a.data?.message_id, second: b.data?.message_id, stored: standIn.messages((m) => m.uuid === uuid) };
}

describe('the stand-in’s de-duplication of sends by uuid', () => {
  it('on (the default, like Lark): a repeated uuid returns the first message and stores nothing new', async () => {
    s = await startLarkStandIn({ appId: APP_ID, appSecret: APP_SECRET });
    const r = await sendTwice(s, 'notice:on:1');
    expect(r.second).toBe(r.first);
    expect(r.stored).toHaveLength(1);
  });

  it('off (`dedupeUuid: false`): every send is a new message, so doubled sends are visible', async () => {
    s = await startLarkStandIn({ appId: APP_ID, appSecret: APP_SECRET, dedupeUuid: false });
    const r = await sendTwice(s, 'notice:off:1');
    expect(r.second).not.toBe(r.first);
    expect(r.stored.map((m) => m.message_id)).toEqual([r.first, r.second]);
  });

  it('can be switched at run time', async () => {
    s = await startLarkStandIn({ appId: APP_ID, appSecret: APP_SECRET, dedupeUuid: false });
    s.setUuidDedupe(true);
    const on = await sendTwice(s, 'notice:switch:1');
    expect(on.second).toBe(on.first);
    s.setUuidDedupe(false);
    const off = await sendTwice(s, 'notice:switch:2');
    expect(off.second).not.toBe(off.first);
  });
});
