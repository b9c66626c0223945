/**
 * Custody is a claim, not a check (docs/design.md §8). Whatever only one request may have — a carrier
 * handed out, a carrier set aside for destruction, a copy number — is taken by one atomic
 * conditional write on the carrier, before the request moves on:
 *
 * 1. the pure workflow decides (its `carrier.status` effects say which carriers the step takes);
 * 2. `take` claims them (IN_STOCK → CHECKED_OUT / PENDING_DESTRUCTION for this request), all or
 *    none: a loser gets back who holds the carrier, and the ones it had taken are given back;
 * 3. the request is committed; if that write loses a race, `undo` gives back what this attempt
 *    took, unless the request (moved by the winner) holds the carriers itself.
 *
 * A crash between 2 and 3 leaves a claim whose request never moved: the request's own retry takes
 * it again (a claim by the same request is a no-op); a request that ends without taking it gives
 * it back (its terminal transitions carry guarded releases); and after STALE_CLAIM_MS another
 * request may take over a claim whose request does not hold the carrier. Until then `heldBy` names
 * the holder.
 * Copy numbers come from a per-original sequence (`reserveCopyNumbers`), reserved per request.
 */
import { randomUUID } from 'node:crypto';
import type { CarrierStatus, Effect, Request } from '../../domain/index.js';
import type { CarrierRepo, RequestRepo } from './ports.js';

/**
 * A claim older than this whose request does not hold the carrier (it crashed between its claim
 * and its commit, or moved on without giving it back) may be taken over. No attempt of `act`
 * stays between its claim and its commit anywhere near this long.
 */
export const STALE_CLAIM_MS = 2 * 60_000;

/** The statuses that take a carrier out of stock for one request. */
const TAKING: ReadonlySet<CarrierStatus> = new Set<CarrierStatus>(['CHECKED_OUT', 'PENDING_DESTRUCTION']);

export interface Take {
  number: string;
  status: CarrierStatus;
}

export type TakeResult = { ok: true; taken: Take[]; token: string } | { ok: false; number: string; status?: string; heldBy?: string };

/** The carriers a transition's effects take (in the order the request lists them). */
export function takesOf(effects: readonly Effect[]): Take[] {
  const out: Take[] = [];
  for (const e of effects) if (e.type === 'carrier.status' && TAKING.has(e.status)) out.push({ number: e.number, status: e.status });
  return out;
}

/** States in which a request holds the carriers its `status` claims name. */
export function holds(r: Request, status: CarrierStatus): boolean {
  if (status === 'CHECKED_OUT') return r.kind === 'CARRY_OUT' && ['OUT', 'OVERDUE', 'RETURNED'].includes(r.state);
  if (status === 'PENDING_DESTRUCTION') return r.kind === 'DESTROY' && ['APPROVED', 'EXECUTED_PENDING_WITNESS', 'CLOSED'].includes(r.state);
  return false;
}

export class Custody {
  constructor(
    private readonly carriers: Pick<CarrierRepo, 'claim' | 'release' | 'reserveCopyNumbers'>,
    private readonly requests: Pick<RequestRepo, 'get'>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Claims every carrier in `takes` for `requestId`, all or none, under one attempt token (so the
   * give-back of a failed attempt never releases what a later attempt of the same request took).
   * A stale claim — older than STALE_CLAIM_MS, by a request whose state does not hold the
   * carrier — is taken over with a conditional write on exactly that claim.
   */
  async take(tenantKey: string, requestId: string, takes: readonly Take[]): Promise<TakeResult> {
    const token = randomUUID();
    const taken: Take[] = [];
    for (const t of takes) {
      let r = await this.carriers.claim(tenantKey, t.number, t.status, requestId, { token });
      if (!r.ok && r.reason === 'held' && r.heldBy && r.since && (await this.stale(tenantKey, r.heldBy, r.status, r.since))) {
        r = await this.carriers.claim(tenantKey, t.number, t.status, requestId, { token, takeOver: { from: r.heldBy, status: r.status, unchangedSince: r.since } });
      }
      if (r.ok) {
        taken.push(t);
        continue;
      }
      await this.giveBack(tenantKey, requestId, taken, token);
      return r.reason === 'held' ? { ok: false, number: t.number, status: r.status, ...(r.heldBy ? { heldBy: r.heldBy } : {}) } : { ok: false, number: t.number };
    }
    return { ok: true, taken, token };
  }

  /** A claim nobody stands behind: old, and its request (if any) is in no state that holds it. */
  private async stale(tenantKey: string, holder: string, status: string, since: Date): Promise<boolean> {
    if (this.now().getTime() - new Date(since).getTime() < STALE_CLAIM_MS) return false;
    if (status !== 'CHECKED_OUT' && status !== 'PENDING_DESTRUCTION') return false;
    const stored = await this.requests.get(tenantKey, holder);
    return !stored || !holds(stored.request, status);
  }

  /**
   * After a lost commit: gives back what this attempt took unless `current` (the request as the
   * winner left it) holds those carriers — then the claim is the winner's too (same request).
   */
  async undo(tenantKey: string, current: Request | undefined, requestId: string, taken: readonly Take[], token: string): Promise<void> {
    const keep = current ? taken.filter((t) => holds(current, t.status)) : [];
    await this.giveBack(
      tenantKey,
      requestId,
      taken.filter((t) => !keep.includes(t)),
      token,
    );
  }

  /** First copy number per original for a copy completion of `count` copies (reserved once per request). */
  async copyNumbers(tenantKey: string, request: Request, count: number): Promise<Record<string, number>> {
    const first: Record<string, number> = {};
    for (const c of request.carriers) first[c.number] = await this.carriers.reserveCopyNumbers(tenantKey, c.number, request.id, count);
    return first;
  }

  private async giveBack(tenantKey: string, requestId: string, taken: readonly Take[], token: string): Promise<void> {
    for (const t of taken) await this.carriers.release(tenantKey, t.number, t.status, requestId, token);
  }
}
