import { err } from './errors.js';
import type { AnyDetails, CarrierRef, CarryDetails, CopyDetails, DestroyDetails, Kind, WorkflowError } from './types.js';

// The legal floor (docs/design.md §1.2, docs/domain.md §6.1–6.4). Code, not configuration: no policy value
// is read here, so no policy can switch a rule off.

export const MIN_DESTRUCTION_WITNESSES = 2;

/** Trimmed, non-empty, first occurrence kept. */
export function distinctIds(ids: readonly unknown[] | undefined): string[] {
  const out: string[] = [];
  for (const x of ids ?? []) {
    if (typeof x !== 'string') continue;
    const s = x.trim();
    if (s && !out.includes(s)) out.push(s);
  }
  return out;
}

/**
 * Floor violations of a request's content, most specific first (empty = passes). Used on the
 * create path and again on submit/resubmit. `requesterId` lets the 绝密 companion rule ignore the
 * requester listed as their own companion.
 */
export function checkLegalFloor(kind: Kind, carriers: readonly CarrierRef[], details: AnyDetails, requesterId?: string): WorkflowError[] {
  const out: WorkflowError[] = [];
  const top = carriers.find((c) => c.level === 'TOP_SECRET');
  switch (kind) {
    case 'COPY': {
      const d = details as CopyDetails;
      const needsRef = carriers.find((c) => c.level === 'TOP_SECRET' || c.copyRestricted);
      if (needsRef && !(typeof d.ref === 'string' && d.ref.trim())) {
        out.push(err('floor.copy_needs_ref', { number: needsRef.number }));
      }
      break;
    }
    case 'CARRY_OUT': {
      const d = details as CarryDetails;
      if (d.abroad === true) {
        // 绝密 never goes abroad (Reg 29(五)); anything else abroad needs an exit permit, which the
        // bot does not process (docs/domain.md §1.4): both are refused, with different explanations.
        out.push(top ? err('floor.carry_top_secret_abroad', { number: top.number }) : err('floor.carry_abroad_offline'));
      }
      if (top) {
        const companions = distinctIds(d.companions).filter((id) => id !== requesterId);
        if (companions.length < 1) out.push(err('floor.carry_top_secret_companions', { number: top.number }));
      }
      break;
    }
    case 'DESTROY': {
      const back = carriers.find((c) => c.mustReturnToIssuer);
      if (back) out.push(err('floor.destroy_must_return', { number: back.number }));
      break;
    }
  }
  return out;
}

/**
 * Destruction witnessing (监销): at least two distinct named witnesses, and the person who executes
 * the destruction is not one of them — so at least three people are involved (executor + two
 * witnesses), which also makes "the sole approver cannot be the only witness" impossible.
 */
export function checkDestructionWitnesses(executorId: string, witnesses: readonly unknown[]): WorkflowError | null {
  const ids = distinctIds(witnesses);
  if (ids.includes(executorId)) return err('floor.destroy_witness_is_executor');
  if (ids.length < MIN_DESTRUCTION_WITNESSES) {
    return err('floor.destroy_witnesses', { min: MIN_DESTRUCTION_WITNESSES, count: ids.length });
  }
  return null;
}

/** Re-checks the witness rule on a recorded destruction before it may close. */
export function destructionComplete(d: DestroyDetails): boolean {
  const w = distinctIds(d.witnesses);
  return w.length >= MIN_DESTRUCTION_WITNESSES && !w.includes(d.executorId ?? '') && w.every((id) => d.confirmedWitnesses.includes(id));
}
