/**
 * The Lark stand-in for the benchmarks, in a process of its own (as Lark's servers are in
 * production), driven over IPC. The store runs in another (bench/mongo-peer.ts).
 */
import { randomBytes } from 'node:crypto';
import { encryptPayload, signBody, startLarkStandIn } from '../sandbox/lark/server.js';
import { envelope, messageReceiveEvent } from '../sandbox/lark/events.js';
import { decodeAction } from '../cards/action-value.js';
import { clickOrg } from './click-org.js';

const [appId, appSecret, encryptKey, token, orgSize] = process.argv.slice(2) as [string, string, string, string, string | undefined];
const standIn = await startLarkStandIn({ appId, appSecret, encryptKey, verificationToken: token, ...(orgSize ? { directory: clickOrg(Number(orgSize)).org } : {}) });
const users = standIn.directory.org.users.map((u) => u.open_id);
const ctx = { appId, verificationToken: token, dir: standIn.directory };

function seal(obj: unknown) {
  const body = JSON.stringify({ encrypt: encryptPayload(encryptKey, JSON.stringify(obj)) });
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = randomBytes(8).toString('hex');
  return { body, headers: { 'x-lark-request-timestamp': timestamp, 'x-lark-request-nonce': nonce, 'x-lark-signature': signBody(timestamp, nonce, encryptKey, body) } };
}

type Msg =
  | { op: 'prepare'; count: number }
  | { op: 'replies' }
  | { op: 'stop' }
  | { op: 'cards'; users: string[]; action: string }
  | { op: 'click'; clicks: { user: string; messageId: string; value: unknown }[] };

/** The callback value of the first button with action id `action` in a card. */
function buttonValue(card: unknown, action: string): unknown {
  let found: unknown;
  const walk = (n: unknown): void => {
    if (found || !n || typeof n !== 'object') return;
    if (Array.isArray(n)) return n.forEach(walk);
    const o = n as Record<string, unknown>;
    if (o.tag === 'button' && Array.isArray(o.behaviors)) {
      for (const b of o.behaviors as { value?: unknown }[]) {
        const d = decodeAction(b.value);
        if (d.ok && d.action === action) found = b.value;
      }
    }
    Object.values(o).forEach(walk);
  };
  walk(card);
  return found;
}
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
    process.send!({
      op: 'replies',
      cpuMs: process.cpuUsage().user / 1000 + process.cpuUsage().system / 1000,
      count: standIn.messages((x) => x.sender.sender_type === 'app' && x.parent_id !== undefined).length,
    });
  } else if (m.op === 'cards') {
    const cards = m.users.map((user) => {
      const chat = standIn.p2pChatId(user);
      const msg = chat
        ? standIn
            .chatMessages(chat)
            .filter((x) => x.msg_type === 'interactive')
            .find((x) => buttonValue(JSON.parse(x.body.content), m.action))
        : undefined;
      return msg ? { user, messageId: msg.message_id, value: buttonValue(JSON.parse(msg.body.content), m.action) } : null;
    });
    process.send!({ op: 'cards', cards });
  } else if (m.op === 'click') {
    // All at once, as Lark would deliver 100 people's clicks; the latency is what Lark measures:
    // from sending the callback to receiving the bot's answer.
    void Promise.all(
      m.clicks.map(async (c) => {
        const r = await standIn.click(c.user, c.messageId, { tag: 'button', value: c.value, form_value: {} });
        return { ms: r.delivery?.durationMs ?? -1, toast: r.toast?.type ?? r.error ?? 'none' };
      }),
    ).then((results) => process.send!({ op: 'clicked', results }));
  } else if (m.op === 'stop') {
    void standIn.stop().then(() => process.exit(0));
  }
});
process.send!({ op: 'ready', standInUrl: standIn.url });
