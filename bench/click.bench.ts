/**
 * Click-to-answer latency for Approve: N approvers click at the same moment, each on a different
 * request. Measured where Lark measures it: from posting the signed, encrypted callback to receiving
 * the answer, by a client in its own process (bench/clicker.ts); the Open API stand-in and the
 * store run in their own processes too, as Lark and MongoDB do in production.
 */
import { randomBytes } from 'node:crypto';
import { encryptPayload, signBody } from '../sandbox/lark/server.js';
import { APP, ENCRYPT_KEY, TOKEN, forkPeer, pct, startBenchBot } from './peers.js';
import { clickOrg } from './click-org.js';
import { startProfile } from './webhook.bench.js';

const N = Number(process.env.BENCH_APPROVERS ?? 100);

export async function runClickBench(): Promise<{ p50: number; p99: number; max: number }> {
  const { bot, lark: peer, stop } = await startBenchBot('clickbench', [String(N)]);
  const clicker = forkPeer('./clicker.ts');
  const ask = peer.ask;
  const { org, heads, staff, officer, leader } = clickOrg(N);
  const tenant = org.tenant_key;
  const repos = bot.approvals.repos;
  await repos.roles.grant(tenant, officer, 'security_officer', 'bench');
  await repos.roles.grant(tenant, leader, 'leader', 'bench');
  for (let i = 0; i < N; i++) {
    await repos.carriers.createIfAbsent(tenant, {
      number: `B-${i + 1}`,
      regime: 'STATE_SECRET',
      level: 'CONFIDENTIAL',
      carrierType: '纸质',
      alias: 'bench',
      copyRestricted: false,
      mustReturnToIssuer: false,
      count: 1,
      origin: 'registered',
      createdBy: officer,
    });
    await bot.approvals.service.create(tenant, {
      kind: 'COPY',
      requesterId: staff[i]!,
      carrierNumbers: [`B-${i + 1}`],
      details: { copies: 1, purpose: 'bench' },
      channel: 'command',
    });
  }
  const { cards } = await ask<{ cards: ({ user: string; messageId: string; value: unknown } | null)[] }>('cards', 'cards', { users: heads, action: 'req.approve' });
  const clicks = cards.filter((c): c is NonNullable<typeof c> => c !== null);
  if (clicks.length !== N) throw new Error(`expected ${N} approval cards, found ${clicks.length}`);
  // Sealed like Lark seals them; the clicker process posts them all at once.
  const now = Math.floor(Date.now() / 1000);
  const bodies = clicks.map((c, i) => {
    const token = `c-${randomBytes(16).toString('hex')}`;
    const envelope = {
      schema: '2.0',
      header: {
        event_id: randomBytes(16).toString('hex'),
        token: TOKEN,
        create_time: `${Date.now()}000`,
        event_type: 'card.action.trigger',
        tenant_key: tenant,
        app_id: APP.appId,
      },
      event: {
        operator: { tenant_key: tenant, open_id: c.user },
        token,
        action: { value: c.value, tag: 'button', timezone: 'Asia/Shanghai', form_value: {} },
        host: 'im_message',
        context: { open_message_id: c.messageId, open_chat_id: `oc_${String(i).padStart(32, '0')}` },
      },
    };
    const body = JSON.stringify({ encrypt: encryptPayload(ENCRYPT_KEY, JSON.stringify(envelope)) });
    const nonce = randomBytes(8).toString('hex');
    return { body, headers: { 'x-lark-request-timestamp': String(now), 'x-lark-request-nonce': nonce, 'x-lark-signature': signBody(String(now), nonce, ENCRYPT_KEY, body) } };
  });
  await clicker.ask('', 'ready');
  // The requests' own submission effects (cards, notices, reminders, audit) finish first: the burst
  // measures the clicks, not the tail of the set-up.
  const requests = bot.db.connection.collection('requests');
  for (let waited = 0; waited < 60_000; waited += 100) {
    if ((await requests.countDocuments({ $or: [{ 'pending.0': { $exists: true } }, { effectsLease: { $exists: true } }] })) === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const profile = process.env.BENCH_PROFILE ? await startProfile('/tmp/click.cpuprofile') : undefined;
  const { results } = await clicker.ask<{ results: { ms: number; status: number; toast: string }[] }>('fire', 'fired', { url: `${bot.url}/lark/events`, bodies });
  if (profile) await profile();
  const ms = results.map((r) => r.ms);
  const ok = results.filter((r) => r.toast === 'success').length;
  const p50 = pct(ms, 50);
  const p99 = pct(ms, 99);
  const max = Math.max(...ms);
  console.log(`approve clicks: ${N} approvers at once on ${N} requests — ${ok}/${N} succeeded`);
  console.log(`click-to-answer p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${max.toFixed(1)} ms (target p99 < 300 ms) — ${p99 < 300 ? 'MET' : 'NOT MET'}`);
  const text = await bot.metrics.render();
  const sum = Number(/baomi_ack_seconds_sum\{kind="card_action"\} ([\d.e-]+)/.exec(text)?.[1] ?? 0);
  const count = Number(/baomi_ack_seconds_count\{kind="card_action"\} (\d+)/.exec(text)?.[1] ?? 0);
  console.log(`  inside the bot: receipt → answer averages ${((sum / Math.max(count, 1)) * 1000).toFixed(1)} ms over ${count} clicks`);
  await stop();
  clicker.stop();
  return { p50, p99, max };
}
