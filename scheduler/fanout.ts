/**
 * Fan-out: one notice to many people (a meeting notice to every committee member, an
 * announcement to a department) through a persisted outbox (models/fanout.model.ts).
 *
 * - **Persisted first**: the notice and one delivery per recipient are stored before anything is
 *   sent; a crash loses nothing — the next worker (this process after a restart, or another
 *   instance) carries on with what is still pending.
 * - **Rate limits**: sends are spaced to the app-wide rate (BAOMI_FANOUT_RATE, default 40/s, under
 *   Lark's 50/s; one instance sends at a time — a lease in the store — so the limit holds for the
 *   whole app), and at most BAOMI_FANOUT_PER_CHAT (5) per second to one user or group (Lark's
 *   per-recipient limit), across notices. A 429 from Lark is waited out by the sender
 *   (`x-ogw-ratelimit-reset`).
 * - **Exactly once**: each send carries a deterministic Lark `uuid` per (notice, recipient); a
 *   delivery is claimed before it is sent (a dead worker's claim runs out) and marked sent after.
 *   A worker killed between Lark's answer and the mark leaves the delivery pending: it is sent
 *   again with the same uuid, which Lark de-duplicates (within an hour), so the recipient sees one
 *   message. That window — a crash after the send, the retry more than an hour later — is the one
 *   this cannot close, as for every notification (models/notification.model.ts).
 * - **Retries with back-off** (2 s × 4ⁿ⁻¹, at most 10 min) for failures that may pass; a
 *   permanent refusal (not in the app's availability, bot not in the group…) fails that recipient
 *   at once; after `maxAttempts` it fails for good. Failures are listed by name on the card.
 * - **Progress**: the sender gets one card, patched at most about once a second ("sent 1,200 /
 *   5,000"), and a last time when the notice is done, with the failures by name.
 */
import { randomBytes } from 'node:crypto';
import { sendUuid } from '../bot/core/app.js';
import type { Logger } from '../bot/core/logger.js';
import type { Recipient, Sender } from '../bot/core/types.js';
import { fanoutProgressCard } from '../cards/fanout.card.js';
import type { FanoutDelivery, FanoutMessage, FanoutStore } from '../models/fanout.model.js';
import { systemClock, type Clock } from './clock.js';

export interface FanoutOptions {
  store: FanoutStore;
  /** One attempt per call (LarkSender `attempts: 1`): a rate-limited send goes back behind the pacer. */
  sender: Pick<Sender, 'send' | 'patchCard'>;
  logger: Logger;
  clock?: Clock;
  /** App-wide sends per second (default 40). */
  rate?: number;
  /** Sends per second to one user or group (default 5). */
  perChat?: number;
  /** Margin for arrival jitter: `rate` sends are spread over 1000 + jitterMs ms (default 20). */
  jitterMs?: number;
  /** Sends in flight at once (default 64). */
  concurrency?: number;
  /** The single-sender lease (default 15 s) and a delivery's claim (default 60 s). */
  leaseMs?: number;
  lockMs?: number;
  maxAttempts?: number;
  backoffMs?: (attempts: number) => number;
  /** Progress card patches at most this often per notice (default 1 s). */
  progressEveryMs?: number;
  owner?: string;
  /** TEST ONLY: called after Lark accepted a send, before it is marked sent (a throw = a crash there). */
  afterSend?: (d: FanoutDelivery) => void;
}

export interface FanoutInput {
  /** Stable id from what asks for it (a command's delivery, a meeting and its notice kind). */
  id: string;
  tenantKey: string;
  senderId?: string;
  title: string;
  message: FanoutMessage;
  recipients: { to: Recipient; name?: string }[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class FanoutService {
  readonly owner: string;
  private readonly clock: Clock;
  private readonly rate: number;
  private readonly perChat: number;
  private readonly jitterMs: number;
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly lockMs: number;
  private readonly maxAttempts: number;
  private readonly backoff: (attempts: number) => number;
  private readonly progressEveryMs: number;
  /** When the next send may start (app-wide spacing), and the sends of the last window (performance.now()). */
  private nextSendAt = 0;
  private sentTimes: number[] = [];
  private progressing: Promise<void> | undefined;
  /** Recent send times per recipient (the per-chat limit). */
  private readonly recent = new Map<string, number[]>();
  private running: Promise<void> | undefined;
  private stopping = false;
  /** TEST ONLY: `afterSend` simulated a crash; this worker does nothing more (its lease is left to expire). */
  private dead = false;
  private readonly progressAt = new Map<string, number>();

  constructor(private readonly o: FanoutOptions) {
    this.clock = o.clock ?? systemClock;
    this.owner = o.owner ?? `${process.pid}-${randomBytes(4).toString('hex')}`;
    this.rate = o.rate ?? 40;
    this.perChat = o.perChat ?? 5;
    this.jitterMs = o.jitterMs ?? 20;
    this.concurrency = o.concurrency ?? 64;
    this.leaseMs = o.leaseMs ?? 15_000;
    this.lockMs = o.lockMs ?? 60_000;
    this.maxAttempts = o.maxAttempts ?? 6;
    this.backoff = o.backoffMs ?? ((n) => Math.min(2_000 * 4 ** Math.max(0, n - 1), 600_000));
    this.progressEveryMs = o.progressEveryMs ?? 1_000;
    if (!(this.rate > 0 && this.rate <= 50)) throw new RangeError('fan-out rate must be in (0, 50] per second');
    if (!(this.perChat > 0 && this.perChat <= 5)) throw new RangeError('fan-out per-chat rate must be in (0, 5] per second');
    if (!(this.jitterMs >= 0 && this.jitterMs <= 500)) throw new RangeError('fan-out jitter margin must be in [0, 500] ms');
  }

  /**
   * Stores the notice (idempotent by `id`), sends the sender's progress card and starts sending
   * in the background. `done` settles when this worker has nothing due left.
   */
  async send(input: FanoutInput): Promise<{ noticeId: string; total: number; created: boolean; done: Promise<void> }> {
    const { created, total } = await this.o.store.create(
      { _id: input.id, tenantKey: input.tenantKey, ...(input.senderId ? { senderId: input.senderId } : {}), title: input.title, message: input.message },
      input.recipients,
      this.clock.now(),
    );
    if (input.senderId)
      await this.progressCard(input.id).catch((err: unknown) => this.o.logger.warn('fan-out: progress card not sent', { id: input.id, err: (err as Error).message }));
    return { noticeId: input.id, total, created, done: this.kick() };
  }

  /**
   * Sends a tenant's failed deliveries again (all, or one notice's): due now, a fresh count of
   * attempts (`/deadletters retry`). `done` settles when this worker has nothing due left.
   */
  async retryFailed(tenantKey: string, noticeId?: string): Promise<{ revived: number; done: Promise<void> }> {
    const revived = await this.o.store.revive(tenantKey, this.clock.now(), noticeId);
    return { revived, done: revived > 0 ? this.kick() : Promise.resolve() };
  }

  /** Starts the worker unless it runs; settles when it has nothing due left (the sweep calls it too). */
  kick(): Promise<void> {
    this.running ??= this.drain().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Stops sending (what is claimed and in flight finishes) and gives the lease back. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.running?.catch(() => undefined);
  }

  /** Sends everything due, paced, while this instance holds the sender lease. */
  private async drain(): Promise<void> {
    const { store } = this.o;
    if (this.stopping || !(await store.leaseWorker(this.owner, this.leaseMs, this.clock.now()))) return;
    const inFlight = new Set<Promise<void>>();
    let leaseAt = Date.now();
    // Claims are made a batch ahead, while the previous batch is being sent, so the store's
    // round trips never hold back the pace.
    const batchSize = Math.max(1, Math.ceil(this.rate / 2));
    let next = this.claimBatch(batchSize);
    try {
      while (!this.stopping && !this.dead) {
        if (Date.now() - leaseAt > this.leaseMs / 3) {
          if (!(await store.leaseWorker(this.owner, this.leaseMs, this.clock.now()))) break;
          leaseAt = Date.now();
        }
        // The progress card is counted and patched beside the sends, never in their way.
        if (!this.progressing) this.progressing = this.progress(false).finally(() => (this.progressing = undefined));
        const batch = await next;
        if (batch.length === 0) {
          if (inFlight.size > 0) {
            await Promise.race(inFlight);
            next = this.claimBatch(batchSize);
            continue;
          }
          next = Promise.resolve([]);
          break;
        }
        next = this.claimBatch(batchSize);
        for (const d of batch) {
          if (this.dead) break;
          while (inFlight.size >= this.concurrency) await Promise.race(inFlight);
          const key = 'openId' in d.to ? d.to.openId : d.to.chatId;
          const chatWait = this.chatWait(key);
          if (chatWait > 0) {
            await store.postpone(d._id, new Date(this.clock.now().getTime() + chatWait));
            continue;
          }
          // The notice is read before pacing, so nothing stands between a paced slot and its send.
          const notice = await this.notice(d.noticeId);
          if (!notice) continue;
          // App-wide spacing with a margin for arrival jitter (pace()).
          await this.pace();
          this.noteSend(key);
          const p: Promise<void> = this.deliver(d, notice)
            .catch((err: unknown) => {
              // A store failure leaves the delivery claimed: it is sent again after its claim runs out.
              if ((err as { crash?: boolean }).crash) this.dead = true;
              else this.o.logger.warn('fan-out: a delivery was not recorded', { id: d._id, err: (err as Error).message });
            })
            .finally(() => inFlight.delete(p));
          inFlight.add(p);
        }
      }
      await Promise.allSettled([...inFlight]);
      await this.progressing;
      if (!this.dead) {
        // Claimed ahead and not sent: due again at once (for the next worker), not after the claim.
        for (const d of await next.catch(() => [])) await store.postpone(d._id, this.clock.now()).catch(() => undefined);
        await this.progress(true);
      }
    } finally {
      if (!this.dead) await store.releaseWorker(this.owner).catch(() => undefined);
    }
  }

  /**
   * App-wide spacing. Lark counts sends as they arrive, and arrivals jitter (timers, sockets, the
   * other end's clock): `rate` sends spread exactly over a second would now and then arrive as
   * `rate + 1` within one of Lark's seconds and be refused. So the sends of a second are spread over
   * `1000 + jitterMs` ms on a fixed grid (a late timer is made up for by one send at most), and never
   * more than `rate` go out in any `1000 + jitterMs` window: arrivals that jitter by less than
   * `jitterMs` stay within the limit.
   */
  private async pace(): Promise<void> {
    const windowMs = 1000 + this.jitterMs;
    const interval = windowMs / this.rate;
    const cap = Math.max(1, Math.floor(this.rate));
    for (;;) {
      const now = performance.now();
      while (this.sentTimes.length > 0 && this.sentTimes[0]! <= now - windowMs) this.sentTimes.shift();
      const wait = Math.max(this.nextSendAt - now, this.sentTimes.length >= cap ? this.sentTimes[0]! + windowMs - now : 0);
      if (wait <= 0) break;
      await sleep(wait);
    }
    const now = performance.now();
    this.nextSendAt = Math.max(this.nextSendAt + interval, now - interval);
    this.sentTimes.push(now);
  }

  private async claimBatch(n: number): Promise<FanoutDelivery[]> {
    const out: FanoutDelivery[] = [];
    while (out.length < n && !this.stopping && !this.dead) {
      const d = await this.o.store.claim(this.clock.now(), this.lockMs);
      if (!d) break;
      out.push(d);
    }
    return out;
  }

  private chatWait(key: string): number {
    const now = Date.now();
    const times = (this.recent.get(key) ?? []).filter((t) => t > now - 1000);
    this.recent.set(key, times);
    if (times.length < this.perChat) return 0;
    return times[0]! + 1000 - now;
  }

  private noteSend(key: string): void {
    const times = this.recent.get(key) ?? [];
    times.push(Date.now());
    this.recent.set(key, times);
    if (this.recent.size > 10_000) for (const [k, v] of this.recent) if (v.every((t) => t <= Date.now() - 1000)) this.recent.delete(k);
  }

  private async deliver(d: FanoutDelivery, notice: NonNullable<Awaited<ReturnType<FanoutStore['get']>>>): Promise<void> {
    const { store, sender } = this.o;
    try {
      const msg = notice.message.type === 'text' ? { type: 'text' as const, text: notice.message.text } : { type: 'card' as const, card: notice.message.card };
      const { messageId } = await sender.send(d.to, msg, { uuid: sendUuid(`${d.tenantKey}:fanout:${d._id}`) });
      this.o.afterSend?.(d);
      await store.markSent(d._id, messageId, this.clock.now());
    } catch (err) {
      if ((err as { crash?: boolean }).crash) throw err;
      const e = err as { httpStatus?: number; code?: number };
      if (e.httpStatus === 429 || e.code === 99991400 || e.code === 230020) {
        // Over Lark's rate limit: back in the queue behind the pacer (not an attempt), and one
        // slot left empty to shed the excess. A sender that retried by itself would add sends on
        // top of the paced ones, so the fan-out's sender makes one attempt per call.
        this.nextSendAt += 1000 / this.rate;
        await store.postpone(d._id, this.clock.now());
        return;
      }
      const attempts = d.attempts + 1;
      const permanent = (err as { permanent?: unknown }).permanent === true;
      const giveUp = permanent || attempts >= this.maxAttempts;
      this.o.logger.warn('fan-out: a send failed', { notice: d.noticeId, attempts, permanent, err: (err as Error).message });
      await store.markFailed(
        d._id,
        attempts,
        (err as Error).message ?? String(err),
        giveUp ? null : new Date(this.clock.now().getTime() + this.backoff(attempts)),
        this.clock.now(),
      );
    }
  }

  /** Notices by id, shared by concurrent deliveries (one read per notice, not one per send in flight). */
  private readonly notices = new Map<string, ReturnType<FanoutStore['get']>>();
  private async notice(id: string) {
    let n = this.notices.get(id);
    if (!n) {
      if (this.notices.size > 100) this.notices.clear();
      n = this.o.store.get(id);
      this.notices.set(id, n);
      n.catch(() => this.notices.delete(id));
    }
    return (await n) ?? null;
  }

  /** Patches the open notices' progress cards (at most once per `progressEveryMs` each). */
  private async progress(final: boolean): Promise<void> {
    const now = Date.now();
    const last = this.progressAt.get('*') ?? 0;
    if (!final && now - last < this.progressEveryMs) return;
    this.progressAt.set('*', now);
    for (const n of await this.o.store.open()) {
      await this.progressCard(n._id).catch((err: unknown) => this.o.logger.warn('fan-out: progress card not updated', { id: n._id, err: (err as Error).message }));
    }
  }

  /** Sends (once) or patches the sender's progress card; marks the notice done when nothing is pending. */
  private async progressCard(id: string): Promise<void> {
    const { store, sender } = this.o;
    const n = await store.get(id);
    if (!n) return;
    const c = await store.counts(id);
    const done = c.pending === 0;
    if (!n.senderId) {
      if (done) await store.setProgress(id, { doneAt: this.clock.now() });
      return;
    }
    if (n.shown && n.shown.sent === c.sent && n.shown.failed === c.failed && n.shown.done === done) return;
    const failures = done && c.failed > 0 ? (await store.failures(id, 50)).map((f) => f.name ?? ('openId' in f.to ? f.to.openId : f.to.chatId)) : [];
    const card = fanoutProgressCard({ title: n.title, total: n.total, sent: c.sent, failed: c.failed, done, failures });
    let messageId = n.progressMessageId;
    if (!messageId) messageId = (await sender.send({ openId: n.senderId }, { type: 'card', card }, { uuid: sendUuid(`${n.tenantKey}:fanout-progress:${id}`) })).messageId;
    else {
      try {
        await sender.patchCard(messageId, card);
      } catch (err) {
        if (!(err as { permanent?: boolean }).permanent) throw err; // tried again on the next pass
        // Lark will never take this patch (the card is past its 14-day update window — a notice
        // retried from /deadletters — or was withdrawn): the sender gets a new card instead, and
        // the notice is recorded as shown either way, so it is not patched in vain forever.
        const fresh = await sender
          .send({ openId: n.senderId }, { type: 'card', card }, { uuid: sendUuid(`${n.tenantKey}:fanout-progress:${id}:${c.sent}:${c.failed}`) })
          .catch((e: unknown) => {
            this.o.logger.warn('fan-out: progress card replaced by nothing', { id, err: (e as Error).message });
            return undefined;
          });
        messageId = fresh?.messageId ?? messageId;
      }
    }
    await store.setProgress(id, { progressMessageId: messageId, shown: { sent: c.sent, failed: c.failed, done }, ...(done ? { doneAt: this.clock.now() } : {}) });
    // A retry from /deadletters may have put deliveries back in the queue since the counts were
    // read: such a notice is open again, so its card shows the outcome of the retry too.
    if (done && (await store.counts(id)).pending > 0) await store.reopen(id);
  }
}
