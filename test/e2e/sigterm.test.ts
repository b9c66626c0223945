/**
 * A graceful stop (issue 11 item 6). On SIGTERM the bot stops its intake — webhooks are answered
 * 503 (Lark delivers them again), the long connection is closed — lets the events being handled
 * and their effects finish within a bound (BAOMI_STOP_TIMEOUT_MS), closes the store and exits 0.
 *
 * First the pieces in process (the webhook gate, the app's in-flight dispatches); then a real
 * process (`node --import tsx bot/main.ts`, webhook transport) against the stand-in and the
 * embedded store served on loopback, sent SIGTERM in the middle of a burst of 30 check-outs (clicks
 * on the officers' cards, every fifth typed as `/checkout <id>`) while Lark is slow. Every one is
 * answered, or refused before it was read and left no trace. Lark treats the refused ones as it
 * does in production: a message is delivered again (the same event, twice at once) to the
 * restarted bot and handled once; a card click is never redelivered — the person sees Lark's
 * failure toast and clicks again, a new click that is handled once. Every request's ledger
 * entries, audit records, reminders and notifications exist exactly once.
 */
import type { AddressInfo } from 'node:net';
import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App } from '../../bot/core/app.js';
import { silentLogger } from '../../bot/core/logger.js';
import { Metrics } from '../../bot/core/metrics.js';
import type { Ack, Middleware } from '../../bot/core/types.js';
import { IntakeGate, startHttpServer } from '../../bot/transports/lark/http-server.js';
import type { ApprovalRepos } from '../../handlers/approvals/ports.js';
import { CarrierStore } from '../../models/carrier.model.js';
import { LedgerStore } from '../../models/ledger.model.js';
import { RoleStore } from '../../models/role.model.js';
import { seedDemo } from '../../sandbox/demo.js';
import { startLarkStandIn, type ClickResult, type LarkStandIn, type SendTextResult } from '../../sandbox/lark/server.js';
import { startEmbeddedMongo, type EmbeddedMongo } from '../../sandbox/mongo/server.js';
import { fakeServices, textEvent } from '../helpers/fake-services.js';
import { clickAction, replyTo, waitCard } from './approval-helpers.js';
import { spawnBot, type BotProcess } from './bot-process.js';
import { APP, ENCRYPT_KEY, USERS, VERIFICATION_TOKEN } from './harness.js';

/** A promise and its resolver. */
function gate() {
  let open!: () => void;
  const p = new Promise<void>((r) => (open = r));
  return { p, open };
}
const settled = async (p: Promise<unknown>, ms = 50) => Promise.race([p.then(() => true), new Promise((r) => setTimeout(() => r(false), ms))]);

describe('the pieces of a graceful stop (in process)', () => {
  it('the webhook gate: a request inside is answered; once closed, new deliveries get 503 unread and /healthz 503', async () => {
    const intake = new IntakeGate();
    const release = gate();
    let handled = 0;
    const server = await startHttpServer({
      port: 0,
      host: '127.0.0.1',
      logger: silentLogger,
      metrics: new Metrics(),
      intake,
      health: async () => ({ ok: true }),
      events: async (_req, res) => {
        handled += 1;
        await release.p;
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      },
    });
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const inside = fetch(`${url}/lark/events`, { method: 'POST', body: '{}' });
      await expect.poll(() => intake.inFlight).toBe(1);
      intake.close();
      const idle = intake.idle();

      const refused = await fetch(`${url}/lark/events`, { method: 'POST', body: '{}' });
      expect(refused.status).toBe(503);
      expect(refused.headers.get('connection')).toBe('close');
      expect(handled).toBe(1);
      const health = await fetch(`${url}/healthz`);
      expect(health.status).toBe(503);
      expect(await health.json()).toEqual({ ok: false, stopping: true });
      expect((await fetch(`${url}/metrics`)).status).toBe(200);

      expect(await settled(idle)).toBe(false);
      release.open();
      expect((await inside).status).toBe(200);
      await idle;
      expect(intake.inFlight).toBe(0);
    } finally {
      release.open();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('the app: idle() waits for every dispatch, also after its acknowledgement and ones started meanwhile', async () => {
    const app = new App(fakeServices());
    const holds = new Map<string, ReturnType<typeof gate>>();
    const work: Middleware = async (ctx) => {
      ctx.ack();
      const h = gate();
      holds.set(ctx.event.id, h);
      await h.p;
    };
    app.use(work);
    const acks: string[] = [];
    const ack =
      (id: string): Ack =>
      () =>
        void acks.push(id);

    const first = app.dispatch(textEvent('/a', { id: 'ev-1' }), ack('ev-1'));
    await expect.poll(() => acks).toEqual(['ev-1']);
    expect(app.running().map((r) => r.id)).toEqual(['ev-1']);
    const idle = app.idle();
    const second = app.dispatch(textEvent('/b', { id: 'ev-2' }), ack('ev-2'));
    await expect.poll(() => holds.size).toBe(2);

    holds.get('ev-1')!.open();
    await first;
    expect(await settled(idle)).toBe(false);
    expect(app.running().map((r) => r.id)).toEqual(['ev-2']);
    holds.get('ev-2')!.open();
    await second;
    await idle;
    expect(app.running()).toEqual([]);
  });
});

const N = 30;
const BOUND_MS = 10_000;
/** One or two bot processes, 30 requests through three steps each, on 2 busy cores: generous. */
const TEST_TIMEOUT_MS = 150_000;

let mongo: EmbeddedMongo;
let conn: mongoose.Connection;
let standIn: LarkStandIn;
let dbUri: string;
const children: BotProcess[] = [];
const T = () => standIn.directory.tenantKey;
const col = (name: string) => conn.collection(name);
const stored = async (id: string) => (await col('requests').findOne({ tenantKey: T(), 'request.id': id }))!;
const carrierNo = (i: number) => `SIGTERM-${String(i + 1).padStart(2, '0')}`;
/** Requesters in three departments (each head approves the first step). */
const REQUESTERS = [USERS.staffGeneral, USERS.staffRd, USERS.staffRd2, USERS.staffFinance];

/** A check-out in the burst: a click on the officer's card, or the command typed. */
type Sent = { kind: 'click'; r: ClickResult } | { kind: 'text'; r: SendTextResult };
/** Every fifth check-out is typed (`/checkout <id>`): a message, which Lark delivers again when refused. */
const byText = (i: number) => i % 5 === 4;
/** The bot's replies to a message. */
const repliesTo = (sent: { message_id: string }) => standIn.messages((m) => m.parent_id === sent.message_id && m.sender.sender_type === 'app');
/** What request `id` (the i-th) told its requester about the check-out. */
const toldOf = (i: number, id: string) =>
  standIn
    .chatMessages(standIn.p2pChatId(REQUESTERS[i % REQUESTERS.length]!)!)
    .filter((m) => m.sender.sender_type === 'app' && m.msg_type === 'text' && m.body.content.includes(id) && m.body.content.includes('登记外出'));

/** The process's log records (one JSON object per line). */
function logOf(child: BotProcess): Record<string, unknown>[] {
  return child
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function startChild(env: Record<string, string> = {}): Promise<BotProcess> {
  const child = await spawnBot({ standIn, dbUri, env: { BAOMI_LOG_LEVEL: 'info', ...env } });
  children.push(child);
  return child;
}

/** Clicks `action` on the newest card of `id` held by whichever of `users` has that button. */
async function clickOn(id: string, users: string[], action: string): Promise<ClickResult> {
  const holder = await standIn.waitFor(
    async () => {
      for (const u of users) {
        const card = await waitCard(standIn, u, id, action, 50).catch(() => undefined);
        if (card) return { u, card };
      }
      return undefined;
    },
    20_000,
    `a ${action} card for ${id}`,
  );
  return clickAction(standIn, holder.u, holder.card.message_id, action);
}

/** An assignee of the current step approves on the card, ten requests at a time. */
async function approveStep(ids: string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 10) {
    const results = await Promise.all(
      ids.slice(i, i + 10).map(async (id) => {
        const r = (await stored(id)).request as { currentStep: number; steps: { assignees: string[] }[] };
        return clickOn(id, r.steps[r.currentStep]!.assignees, 'req.approve');
      }),
    );
    for (const r of results) expect(r.status, r.error).toBe(200);
  }
}

beforeAll(async () => {
  mongo = await startEmbeddedMongo({ port: 0 });
  dbUri = mongo.uri.replace('/?', `/sigterm_${process.pid}?`);
  conn = await mongoose.createConnection(dbUri).asPromise();
  // Clicks and messages wait for their answer longer than Lark's 3 s: on 2 busy cores an answer the
  // bot sent on its 2.5 s deadline can arrive late, and a late answer is not what this file tests.
  standIn = await startLarkStandIn({
    ...APP,
    encryptKey: ENCRYPT_KEY,
    verificationToken: VERIFICATION_TOKEN,
    dedupeUuid: false,
    clickTimeoutMs: 10_000,
    ackTimeoutMs: 10_000,
  });
  const carriers = new CarrierStore(conn);
  const repos = { roles: new RoleStore(conn, { admins: [] }), carriers, ledger: new LedgerStore(conn) } as unknown as ApprovalRepos;
  await seedDemo(repos, standIn.directory.org, T());
  for (let i = 0; i < N; i++) {
    await carriers.createIfAbsent(T(), {
      number: carrierNo(i),
      regime: 'STATE_SECRET',
      level: 'CONFIDENTIAL',
      carrierType: '纸质',
      alias: '平滑停机测试',
      copyRestricted: false,
      mustReturnToIssuer: false,
      count: 1,
      custodianId: USERS.securityOfficer,
      origin: 'registered',
      createdBy: USERS.securityOfficer,
    });
  }
}, 60_000);

afterAll(async () => {
  standIn?.setLatency(0);
  for (const c of children) {
    if (c.proc.exitCode === null && c.proc.signalCode === null) {
      c.proc.kill('SIGKILL');
      await c.exited;
    }
  }
  await standIn?.stop();
  await conn?.close();
  await mongo?.stop();
});

describe('SIGTERM in the middle of a burst of clicks (a real process)', () => {
  it(
    'every check-out is answered, or refused unread without a trace: a refused message is redelivered, a refused click is clicked again; every effect exactly once; exit 0 within the bound',
    async () => {
      const first = await startChild({ BAOMI_STOP_TIMEOUT_MS: String(BOUND_MS) });

      // 30 carry-out requests, approved by the department heads and the security office on their cards.
      const ids = await Promise.all(
        Array.from({ length: N }, async (_, i) => {
          const text = await replyTo(
            standIn,
            await standIn.sendText(REQUESTERS[i % REQUESTERS.length]!, null, `/carry carrier=${carrierNo(i)} destination=市保密局 due=2099-12-31 purpose=平滑停机${i + 1}`),
            20_000,
          );
          const id = /CO-\d{4}-\d{4}/.exec(text)?.[0];
          expect(id, text).toBeTruthy();
          return id!;
        }),
      );
      expect(new Set(ids).size).toBe(N);
      for (let step = 0; step < 4; step++) {
        const open = [];
        for (const id of ids) if ((await stored(id)).request.state === 'IN_APPROVAL') open.push(id);
        if (open.length === 0) break;
        await approveStep(open);
      }
      for (const id of ids) expect((await stored(id)).request.state, id).toBe('APPROVED');
      const versionBefore = new Map<string, number>();
      for (const id of ids) versionBefore.set(id, (await stored(id)).request.version as number);

      // /metrics carries prom-client's default metrics and the bot's own.
      const botUrl = new URL((standIn.delivery as { url: string }).url).origin;
      const metrics = await (await fetch(`${botUrl}/metrics`)).text();
      expect(metrics).toMatch(/^process_cpu_user_seconds_total [\d.e+-]+$/m);
      expect(metrics).toMatch(/^nodejs_eventloop_lag_seconds [\d.e+-]+$/m);
      expect(metrics).toMatch(/^# TYPE nodejs_gc_duration_seconds histogram$/m);
      expect(metrics).toMatch(/^baomi_card_actions_total\{action="req\.approve"\} [1-9]\d*$/m);

      // Everything the approvals set off has run before the burst: what changes after it is the
      // check-out's doing, and a request whose check-out was not taken in must show no change at all.
      for (const id of ids) await standIn.waitFor(async () => (await stored(id)).pending.length === 0, 20_000, `the approval effects of ${id}`);
      const allIdx = ids.map((_, i) => i);
      /** What a check-out leaves behind, per request — counted, so "no trace" is "nothing changed". */
      const traces = async (list: number[]) => {
        const notes = await col('notifications').find({ tenantKey: T() }).toArray();
        const out = new Map<number, Record<string, unknown>>();
        for (const i of list) {
          const id = ids[i]!;
          const s = await stored(id);
          out.set(i, {
            state: s.request.state,
            version: s.request.version,
            history: s.request.history.length,
            pending: s.pending.length,
            audit: await col('audit_log').countDocuments({ tenantKey: T(), objectId: id }),
            ledger: await col('ledger_entries').countDocuments({ tenantKey: T(), requestId: id }),
            reminders: await col('reminders').countDocuments({ tenantKey: T(), requestId: id }),
            notifications: notes.filter((n) => String(n.key).includes(id)).length,
            carrier: (await col('carriers').findOne({ tenantKey: T(), number: carrierNo(i) }))?.status,
            messages: standIn.messages((m) => m.sender.sender_type === 'app' && m.body.content.includes(id)).length,
          });
        }
        return out;
      };
      const before = await traces(allIdx);

      // The burst: Lark is slow (every Open API call takes 300 ms), so each check-out's effects — the
      // requester's message, the cards' refresh — are still running when SIGTERM arrives. Most
      // check-outs are clicks on an officer's card; every fifth is typed (`/checkout <id>`), a message.
      const officers = [USERS.securityOfficer, USERS.securityOfficer2];
      const cards = await Promise.all(
        ids.map((id) =>
          standIn.waitFor(
            async () => {
              for (const u of officers) {
                const card = await waitCard(standIn, u, id, 'req.check_out', 50).catch(() => undefined);
                if (card) return { u, card };
              }
              return undefined;
            },
            20_000,
            `the check-out card of ${id}`,
          ),
        ),
      );
      standIn.setLatency(300);
      const burstFrom = standIn.deliveries.at(-1)?.seq ?? 0;
      const half = N / 2;
      const checkOut = (i: number): Promise<Sent> => {
        const { u, card } = cards[i]!;
        return byText(i)
          ? standIn.sendText(u, null, `/checkout ${ids[i]}`).then((r) => ({ kind: 'text' as const, r }))
          : clickAction(standIn, u, card.message_id, 'req.check_out').then((r) => ({ kind: 'click' as const, r }));
      };
      const burst = allIdx.slice(0, half).map(checkOut);
      // SIGTERM once the first click has been answered (the others are being handled).
      await standIn.waitFor(() => standIn.deliveries.some((d) => d.seq > burstFrom && d.kind === 'card.action.trigger' && d.status === 200), 20_000, 'a first answer');
      const termAt = Date.now();
      first.proc.kill('SIGTERM');
      await standIn.waitFor(() => first.output().includes('"msg":"shutting down"'), 5_000, 'the bot to start stopping');
      // The rest of the burst arrives while it stops.
      burst.push(...allIdx.slice(half).map(checkOut));
      const results = await Promise.all(burst);

      const exit = await Promise.race([first.exited, new Promise<'alive'>((r) => setTimeout(() => r('alive'), BOUND_MS + 5_000))]);
      expect(exit, first.output()).toEqual({ code: 0, signal: null });
      expect(Date.now() - termAt).toBeLessThan(BOUND_MS);
      expect(
        logOf(first).find((l) => l.msg === 'stopped'),
        first.output(),
      ).toMatchObject({ level: 'info', clean: true });
      standIn.setLatency(0);

      // Each check-out was answered (a click with a toast, no error), or not taken in at all: refused
      // unread (503 from the closed intake) or not connected (the server had closed) — never cut off
      // inside, which would leave its delivery claimed or its request changed without an answer.
      const clickOf = (i: number) => results[i]!.r as ClickResult;
      const textOf = (i: number) => results[i]!.r as SendTextResult;
      const taken = (i: number) => results[i]!.r.status === 200;
      const clicks = allIdx.filter((i) => results[i]!.kind === 'click');
      const texts = allIdx.filter((i) => results[i]!.kind === 'text');
      const clicksAnswered = clicks.filter(taken);
      const clicksRefused = clicks.filter((i) => !taken(i));
      const textsAnswered = texts.filter(taken);
      const textsRefused = texts.filter((i) => !taken(i));
      for (const i of clicksAnswered) {
        expect(clickOf(i).ok, clickOf(i).error).toBe(true);
        expect(['success', 'info'], JSON.stringify(clickOf(i).toast)).toContain(clickOf(i).toast?.type);
      }
      // The burst straddled the stop: some clicks were handled by the stopping bot, some refused;
      // the typed check-outs sent while it stopped were refused too.
      expect(clicksAnswered.length).toBeGreaterThan(0);
      expect(clicksRefused.length).toBeGreaterThan(0);
      expect(clicksRefused.filter((i) => clickOf(i).status === 503).length).toBeGreaterThan(0);
      expect(textsRefused.length).toBeGreaterThan(0);
      for (const i of textsRefused) expect(textOf(i).delivered, ids[i]).toBe(true);

      // Before any restart: what the stopping bot answered, it finished — effects included, a typed
      // check-out's reply too; what it did not take in left no trace at all.
      for (const i of [...clicksAnswered, ...textsAnswered]) {
        const s = await stored(ids[i]!);
        expect(s.request.state, ids[i]).toBe('OUT');
        expect(s.pending, ids[i]).toEqual([]);
      }
      for (const i of textsAnswered) expect(repliesTo(textOf(i)), ids[i]).toHaveLength(1);
      // (The trace sees a check-out: every one taken in changed it.)
      const after = await traces([...clicksAnswered, ...textsAnswered]);
      for (const [i, t] of after) expect(t, ids[i]).not.toEqual(before.get(i));
      const untouched = async (list: number[], when: string) => {
        const now = await traces(list);
        for (const i of list) expect(now.get(i), `${ids[i]} ${when}: ${results[i]!.kind} answered ${results[i]!.r.status}`).toEqual(before.get(i));
        for (const i of list) {
          const key = results[i]!.kind === 'click' ? `card:${clickOf(i).token}` : `msg:${textOf(i).message_id}`;
          expect(await col('dedupe').findOne({ _id: key as never }), `${ids[i]} ${when}`).toBeNull();
        }
        for (const i of textsRefused.filter((x) => list.includes(x))) expect(repliesTo(textOf(i)), `${ids[i]} ${when}`).toEqual([]);
      };
      await untouched([...clicksRefused, ...textsRefused], 'after the stop');
      expect(await col('dedupe').countDocuments({ state: 'processing' })).toBe(0);

      await startChild();

      // Messages refused while stopping Lark delivers again: the same event (same event_id and
      // message_id), and perhaps twice at once. Each is handled once.
      for (const i of textsRefused) {
        const env = textOf(i).envelope!;
        const again = await standIn.redeliver(env, 2);
        for (const a of again) expect(a.status, `${ids[i]}: ${a.error}`).toBe(200);
        expect(
          standIn.deliveries.filter((d) => d.event_id === env.header.event_id).map((d) => d.status),
          ids[i],
        ).toEqual([textOf(i).status, 200, 200]);
      }
      // A refused click is not: Lark never redelivers a card callback. Nothing was recorded for it —
      // still nothing after the restart — and the person, shown Lark's failure toast, clicks again.
      await untouched(clicksRefused, 'after the restart');
      for (const i of clicksRefused) {
        const refusedClick = clickOf(i);
        expect(
          standIn.deliveries.filter((d) => d.event_id === refusedClick.envelope?.header.event_id),
          ids[i],
        ).toHaveLength(1);
        const again = await clickAction(standIn, cards[i]!.u, cards[i]!.card.message_id, 'req.check_out');
        expect(again.status, again.error).toBe(200);
        expect(again.toast?.type, JSON.stringify(again.toast)).toBe('success');
        // A new click: its own callback token and event.
        expect(again.token).not.toBe(refusedClick.token);
        expect(again.envelope?.header.event_id).toBeTruthy();
        expect(again.envelope?.header.event_id).not.toBe(refusedClick.envelope?.header.event_id);
      }

      // Everything settled: no outbox left, every requester told, every typed check-out answered,
      // no delivery being handled.
      await standIn.waitFor(
        async () => {
          for (const [i, id] of ids.entries()) {
            if ((await stored(id)).pending.length > 0 || toldOf(i, id).length === 0) return false;
          }
          if (texts.some((i) => repliesTo(textOf(i)).length === 0)) return false;
          return (await col('dedupe').countDocuments({ state: 'processing' })) === 0;
        },
        30_000,
        'every check-out and its effects',
      );

      // Exactly once, per request.
      for (const [i, id] of ids.entries()) {
        const s = await stored(id);
        expect(s.request.state, id).toBe('OUT');
        expect(s.request.version, id).toBe(versionBefore.get(id)! + 1);
        expect(
          s.request.history.filter((h: { action: string }) => h.action === 'check_out'),
          id,
        ).toHaveLength(1);
        expect(await col('audit_log').countDocuments({ tenantKey: T(), objectId: id, action: 'request.check_out' }), id).toBe(1);
        expect(await col('ledger_entries').countDocuments({ tenantKey: T(), ledger: 'CARRY', event: 'CHECKED_OUT', requestId: id, carrierNumber: carrierNo(i) }), id).toBe(1);
        const entries = await col('ledger_entries').find({ tenantKey: T(), requestId: id }).toArray();
        expect(new Set(entries.map((e) => e.effectKey)).size, id).toBe(entries.length);
        expect((await col('carriers').findOne({ tenantKey: T(), number: carrierNo(i) }))?.status, id).toBe('CHECKED_OUT');
        expect(await col('reminders').countDocuments({ tenantKey: T(), requestId: id, kind: 'carry.overdue' }), id).toBe(1);
        expect(toldOf(i, id), id).toHaveLength(1);
        if (byText(i)) {
          const replies = repliesTo(textOf(i));
          expect(replies, id).toHaveLength(1);
          expect(replies[0]!.body.content, id).toContain(id);
        }
      }
      // No logical send (Lark uuid) became two messages.
      const byUuid = new Map<string, number>();
      for (const m of standIn.messages((x) => x.sender.sender_type === 'app')) if (m.uuid) byUuid.set(m.uuid, (byUuid.get(m.uuid) ?? 0) + 1);
      expect([...byUuid.entries()].filter(([, n]) => n > 1)).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it('a second SIGTERM exits at once', async () => {
    const last = children.at(-1);
    const child = last && last.proc.exitCode === null && last.proc.signalCode === null ? last : await startChild();
    // Keep it busy stopping: Lark answers after 5 s, and a command is being handled (its delivery
    // is answered on the 2.5 s deadline while its reply still waits for Lark).
    standIn.setLatency(5_000);
    const sent = await standIn.sendText(USERS.staffGeneral, null, '/help');
    expect(sent.status).toBe(200);
    child.proc.kill('SIGTERM');
    await standIn.waitFor(() => child.output().includes('"msg":"shutting down"'), 5_000, 'the bot to start stopping');
    const t0 = Date.now();
    child.proc.kill('SIGTERM');
    const exit = await Promise.race([child.exited, new Promise<'alive'>((r) => setTimeout(() => r('alive'), 3_000))]);
    expect(exit, child.output()).toEqual({ code: 1, signal: null });
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect(child.output()).toContain('second signal; exiting now');
    standIn.setLatency(0);
  }, 60_000);
});
