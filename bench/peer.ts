/**
 * The bot's peers for the webhook benchmark, in a process of their own (as Lark's servers and
 * MongoDB are in production): the Lark stand-in and the embedded store. Driven over IPC.
 */
import { randomBytes } from 'node:crypto';
import { startEmbeddedMongo } from '../sandbox/mongo/server.js';
import { encryptPayload, signBody, startLarkStandIn } from '../sandbox/lark/server.js';
import { envelope, messageReceiveEvent } from '../sandbox/lark/events.js';

const [appId, appSecret, encryptKey, token] = process.argv.slice(2) as [string, string, string, string];
const standIn = await startLarkStandIn({ appId, appSecret, encryptKey, verificationToken: token });
const mongo = await startEmbeddedMongo();
const users = standIn.directory.org.users.map((u) => u.open_id);
const ctx = { appId, verificationToken: token, dir: standIn.directory };

function seal(obj: unknown) {
  const body = JSON.stringify({ encrypt: encryptPayload(encryptKey, JSON.stringify(obj)) });
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = randomBytes(8).toString('hex');
  return { body, headers: { 'x-lark-request-timestamp': timestamp, 'x-lark-request-nonce': nonce, 'x-lark-signature': signBody(timestamp, nonce, encryptKey, body) } };
}

type Msg = { op: 'prepare'; count: number } | { op: 'replies' } | { op: 'stop' };
process.on('message', (m: Msg) => {
  if (m.op === 'prepare') {
    const bodies = Array.from({ length: m.count }, (_, i) => {
      const user = users[i % users.length]!;
      const { chat } = standIn.store.ensureP2p(user);
      const msg = standIn.store.addMessage({
        chat_id: chat.chat_id,
        msg_type: 'text',
        content: JSON.stringify({ text: '/help' }),
        sender: { id: user, id_type: 'open_id', sender_type: 'user', tenant_key: standIn.directory.tenantKey },
      });
      return seal(envelope(ctx, 'im.message.receive_v1', messageReceiveEvent(standIn.directory, chat, msg)));
    });
    process.send!({ op: 'prepared', bodies });
  } else if (m.op === 'replies') {
    process.send!({ op: 'replies', cpuMs: process.cpuUsage().user / 1000 + process.cpuUsage().system / 1000, count: standIn.messages((x) => x.sender.sender_type === 'app' && x.parent_id !== undefined).length });
  } else if (m.op === 'stop') {
    void Promise.all([standIn.stop(), mongo.stop()]).then(() => process.exit(0));
  }
});
process.send!({ op: 'ready', standInUrl: standIn.url, mongoUri: mongo.uri });
