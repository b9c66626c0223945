/**
 * Custody is a claim, not a check (DESIGN §8). Whatever only one request may have — a carrier
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
 * it again (a claim by the same request is a no-op), and `heldBy` names it for anyone else.
 * Copy numbers come from a per-original sequence (`reserveCopyNumbers`), reserved per request.
 */
import type { CarrierStatus, Effect, Request } from '../../domain/index.js';
import type { CarrierRepo } from './ports.js';

/** The statuses that take a carrier out of stock for one request. */
const TAKING: ReadonlySet<CarrierStatus> = new Set<CarrierStatus>(['CHECKED_OUT', 'PENDING_DESTRUCTION']);

export interface Take {
  number: string;
  status: CarrierStatus;
}

export type TakeResult = { ok: true; taken: Take[] } | { ok: false; number: string; status?: string; heldBy?: string };

/** The carriers a transition's effects take (in the order the request lists them). */
export function takesOf(effects: readonly Effect[]): Take[] {
  const out: Take[] = [];
  for (const e of effects) if (e.type === 'carrier.status' && TAKING.has(e.status)) out.push({ number: e.number, status: e.status });
  return out;
}

/** States in which a request holds the carriers its `status` claims name. */
function holds(r: Request, status: CarrierStatus): boolean {
  if (status === 'CHECKED_OUT') return r.kind === 'CARRY_OUT' && ['OUT', 'OVERDUE', 'RETURNED'].includes(r.state);
  if (status === 'PENDING_DESTRUCTION') return r.kind === 'DESTROY' && ['APPROVED', 'EXECUTED_PENDING_WITNESS', 'CLOSED'].includes(r.state);
  return false;
}

export class Custody {
  constructor(private readonly carriers: Pick<CarrierRepo, 'claim' | 'release' | 'reserveCopyNumbers'>) {}

  /** Claims every carrier in `takes` for `requestId`, all or none. */
  async take(tenantKey: string, requestId: string, takes: readonly Take[]): Promise<TakeResult> {
    const taken: Take[] = [];
    for (const t of takes) {
      const r = await this.carriers.claim(tenantKey, t.number, t.status, requestId);
      if (r.ok) {
        taken.push(t);
        continue;
      }
      await this.giveBack(tenantKey, requestId, taken);
      return r.reason === 'held' ? { ok: false, number: t.number, status: r.status, ...(r.heldBy ? { heldBy: r.heldBy } : {}) } : { ok: false, number: t.number };
    }
    return { ok: true, taken };
  }

  /**
   * After a lost commit: gives back what this attempt took unless `current` (the request as the
   * winner left it) holds those carriers — then the claim is the winner's too (same request).
   */
  async undo(tenantKey: string, current: Request | undefined, requestId: string, taken: readonly Take[]): Promise<void> {
    const keep = current ? taken.filter((t) => holds(current, t.status)) : [];
    await this.giveBack(
      tenantKey,
      requestId,
      taken.filter((t) => !keep.includes(t)),
    );
  }

  /** First copy number per original for a copy completion of `count` copies (reserved once per request). */
  async copyNumbers(tenantKey: string, request: Request, count: number): Promise<Record<string, number>> {
    const first: Record<string, number> = {};
    for (const c of request.carriers) first[c.number] = await this.carriers.reserveCopyNumbers(tenantKey, c.number, request.id, count);
    return first;
  }

  private async giveBack(tenantKey: string, requestId: string, taken: readonly Take[]): Promise<void> {
    for (const t of taken) await this.carriers.release(tenantKey, t.number, t.status, requestId);
  }
}
