/**
 * Keeps every card sent about a request showing its newest state (Lark shows a patch to everyone
 * who holds the message).
 *
 * - Coalesced per request in this process: while one refresh runs, later ones collapse into a
 *   single rerun that renders whatever is newest then.
 * - Paced per message: Lark allows 5 patches per second per message (220 ms apart here).
 * - Never older over newer, across instances: each message is claimed for the version about to be
 *   patched (models/card-state.model.ts); a message that already shows that version (or a newer
 *   one) is left alone, and one being patched by another instance is waited for.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../bot/core/logger.js';
import type { Bi, CardJson, Sender } from '../../bot/core/types.js';
import type { Request } from '../../domain/index.js';
import type { CardKind, CardStateRepo, RequestRepo } from './ports.js';

const PATCH_GAP_MS = 220;
/**
 * How long a patcher holds a message: longer than the sender's worst case for one patch (4
 * attempts × 10 s timeout plus rate-limit waits), so a slow patch never loses its claim to a
 * newer one and lands after it.
 */
const PATCH_CLAIM_MS = 90_000;
/** How long to wait for another instance's patch of the same message before the effect is retried. */
const PATCH_WAIT_MS = 10_000;

export interface RefresherOptions {
  requests: Pick<RequestRepo, 'get'>;
  cardState: CardStateRepo;
  sender: Pick<Sender, 'patchCard'>;
  logger: Logger;
  names(tenantKey: string, r: Request): Promise<(openId: string) => Bi>;
  render(tenantKey: string, kind: CardKind, request: Request, names: (openId: string) => Bi, holder?: string): CardJson;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class CardRefresher {
  private readonly refreshing = new Map<string, { again: boolean; done: Promise<void> }>();
  private readonly nextPatch = new Map<string, number>();

  constructor(private readonly o: RefresherOptions) {}

  /** Patches every holder's card of the request with its newest state; throws when a patch failed (the effect is retried). */
  async refresh(tenantKey: string, id: string): Promise<void> {
    const key = `${tenantKey}:${id}`;
    const running = this.refreshing.get(key);
    if (running) {
      running.again = true;
      return running.done;
    }
    const entry = { again: false, done: Promise.resolve() };
    entry.done = (async () => {
      try {
        do {
          entry.again = false;
          await this.patchAll(tenantKey, id);
        } while (entry.again);
      } finally {
        this.refreshing.delete(key);
      }
    })();
    this.refreshing.set(key, entry);
    return entry.done;
  }

  private async patchAll(tenantKey: string, id: string): Promise<void> {
    const stored = await this.o.requests.get(tenantKey, id);
    if (!stored) return;
    const request = stored.request;
    const names = await this.o.names(tenantKey, request);
    const failures: unknown[] = [];
    await Promise.all(
      stored.cards.map(async (c) => {
        try {
          await this.patchOne(tenantKey, id, c.messageId, request.version, () => this.o.render(tenantKey, c.kind, request, names, c.holder));
        } catch (err) {
          failures.push(err);
          this.o.logger.warn('card refresh failed', { id, messageId: c.messageId, err: (err as Error).message });
        }
      }),
    );
    if (failures.length > 0) {
      const err = new Error(`${failures.length} of ${stored.cards.length} card patches failed: ${(failures[0] as Error).message}`);
      // Only when every failure was Lark's final word is there nothing to retry.
      (err as Error & { permanent?: boolean }).permanent = failures.every((f) => (f as { permanent?: unknown }).permanent === true);
      throw err;
    }
  }

  private async patchOne(tenantKey: string, id: string, messageId: string, version: number, card: () => CardJson): Promise<void> {
    const owner = randomUUID();
    const deadline = Date.now() + PATCH_WAIT_MS;
    for (;;) {
      const claim = await this.o.cardState.claimPatch(tenantKey, id, messageId, version, PATCH_CLAIM_MS, owner);
      if (claim === 'shown') return;
      if (claim === 'ok') break;
      if (Date.now() > deadline) throw new Error(`card ${messageId} is being patched by another instance`);
      await sleep(100);
    }
    try {
      await this.pace(messageId);
      await this.o.sender.patchCard(messageId, card());
    } catch (err) {
      if ((err as { permanent?: unknown }).permanent === true) {
        // Lark will never update this message (recalled, past the 14-day window): stop trying it,
        // and do not let it fail every later refresh of the request.
        await this.o.cardState.markGone(tenantKey, id, messageId);
        this.o.logger.warn('card can no longer be updated; left out of later refreshes', { id, messageId, err: (err as Error).message });
        return;
      }
      await this.o.cardState.releasePatch(tenantKey, id, messageId, owner).catch(() => undefined);
      throw err;
    }
    if ((await this.o.cardState.markShown(tenantKey, id, messageId, version, owner)) === 'lost') {
      throw new Error(`card ${messageId}: the patch claim expired during the patch; patching again with the newest version`);
    }
  }

  /** Lark allows 5 patches per second per message: keep 220 ms between two patches of one card. */
  private async pace(messageId: string): Promise<void> {
    const now = Date.now();
    const next = Math.max(now, this.nextPatch.get(messageId) ?? 0);
    this.nextPatch.set(messageId, next + PATCH_GAP_MS);
    if (this.nextPatch.size > 5000) for (const [k, t] of this.nextPatch) if (t < now) this.nextPatch.delete(k);
    if (next > now) await sleep(next - now);
  }
}
