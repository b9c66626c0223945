import { z } from 'zod';
import { err } from './errors.js';
import { checkLegalFloor, distinctIds } from './floor.js';
import { maxLevel } from './levels.js';
import { isIsoDate } from './time.js';
import { DESTROY_METHODS, LEVELS, type AnyDetails, type CarrierRef, type Kind, type Level, type Regime, type WorkflowError } from './types.js';

// Shape validation of what a requester may write (carriers and kind-specific details). Free text
// is short on purpose: metadata only, never content (docs/design.md §1.1).

const text = (max: number) => z.string().trim().min(1).max(max);
const optText = (max: number) => z.string().trim().max(max).optional();
const openId = z.string().trim().min(1).max(128);
const isoDate = z.string().refine(isIsoDate, { error: 'date' });

export const carrierSchema = z.strictObject({
  number: z.string().trim().min(1).max(64),
  level: z.enum(LEVELS),
  copyRestricted: z.boolean(),
  mustReturnToIssuer: z.boolean(),
  alias: optText(100),
  carrierType: optText(32),
  period: optText(32),
  pagesOrCapacity: optText(32),
});

/** The fields a requester sets, per kind; the machine owns every other details field. */
export const detailsInputSchemas = {
  COPY: z.strictObject({
    copies: z.int().min(1).max(100),
    purpose: text(200),
    place: optText(100),
    pages: z.int().min(1).max(100_000).optional(),
    method: optText(32),
    ref: optText(100),
  }),
  CARRY_OUT: z.strictObject({
    destination: text(100),
    due: isoDate,
    purpose: text(200),
    companions: z.array(openId).max(10).default([]),
    abroad: z.boolean().default(false),
  }),
  DESTROY: z.strictObject({
    reason: text(200),
    method: z.enum(DESTROY_METHODS),
    site: text(100),
    date: isoDate.optional(),
    witnesses: z.array(openId).max(10).default([]),
  }),
} as const;

export const INPUT_KEYS: Record<Kind, readonly string[]> = {
  COPY: Object.keys(detailsInputSchemas.COPY.shape),
  CARRY_OUT: Object.keys(detailsInputSchemas.CARRY_OUT.shape),
  DESTROY: Object.keys(detailsInputSchemas.DESTROY.shape),
};

function issueToError(iss: z.core.$ZodIssue | undefined, prefix: string): WorkflowError {
  const field = [prefix, ...(iss?.path ?? []).map(String)].filter(Boolean).join('.');
  let problem: string = iss?.code ?? 'invalid';
  if (iss?.code === 'unrecognized_keys') problem = `unknown:${iss.keys.join(',')}`;
  else if (iss?.code === 'custom') problem = iss.message;
  return err('workflow.invalid_details', { field, problem });
}

export type CarriersResult = { ok: true; carriers: CarrierRef[]; maxLevel: Level; regime: Regime } | { ok: false; error: WorkflowError };

export function validateCarriers(input: unknown): CarriersResult {
  if (!Array.isArray(input) || input.length === 0) return { ok: false, error: err('workflow.no_carriers') };
  if (input.length > 50) return { ok: false, error: err('workflow.invalid_details', { field: 'carriers', problem: 'too_big' }) };
  const carriers: CarrierRef[] = [];
  for (const [i, c] of input.entries()) {
    const r = carrierSchema.safeParse(c);
    if (!r.success) return { ok: false, error: issueToError(r.error.issues[0], `carriers[${i}]`) };
    const clean = Object.fromEntries(Object.entries(r.data).filter(([, v]) => v !== undefined)) as unknown as CarrierRef;
    if (carriers.some((x) => x.number === clean.number)) return { ok: false, error: err('workflow.duplicate_carrier', { number: clean.number }) };
    carriers.push(clean);
  }
  const m = maxLevel(carriers.map((c) => c.level));
  if (!m.ok) return m;
  return { ok: true, carriers, maxLevel: m.level, regime: m.regime };
}

/** Validates the requester's details for a kind; returns them normalised with machine defaults. */
export function validateDetails(kind: Kind, input: unknown): { ok: true; details: AnyDetails } | { ok: false; error: WorkflowError } {
  const r = detailsInputSchemas[kind].safeParse(input);
  if (!r.success) return { ok: false, error: issueToError(r.error.issues[0], 'details') };
  const clean = Object.fromEntries(Object.entries(r.data).filter(([, v]) => v !== undefined && v !== '')) as Record<string, unknown>;
  if (kind === 'CARRY_OUT') clean.companions = distinctIds(clean.companions as string[]);
  if (kind === 'DESTROY') {
    clean.witnesses = distinctIds(clean.witnesses as string[]);
    clean.confirmedWitnesses = [];
  }
  return { ok: true, details: clean as unknown as AnyDetails };
}

/** Just the requester-owned fields of stored details (for merging a resubmit patch). */
export function inputFields(kind: Kind, details: AnyDetails): Record<string, unknown> {
  const src = details as unknown as Record<string, unknown>;
  return Object.fromEntries(INPUT_KEYS[kind].filter((k) => src[k] !== undefined).map((k) => [k, src[k]]));
}

export type ContentResult = { ok: true; carriers: CarrierRef[]; details: AnyDetails; maxLevel: Level; regime: Regime } | { ok: false; error: WorkflowError };

/**
 * Everything a request's content must satisfy before it can be created or (re)submitted: shapes,
 * one regime, the legal floor, and for CARRY_OUT a due date not before `today` (local date).
 */
export function validateContent(kind: Kind, carriersInput: unknown, detailsInput: unknown, requesterId: string, today?: string): ContentResult {
  const c = validateCarriers(carriersInput);
  if (!c.ok) return c;
  const d = validateDetails(kind, detailsInput);
  if (!d.ok) return d;
  const floor = checkLegalFloor(kind, c.carriers, d.details, requesterId);
  if (floor[0]) return { ok: false, error: floor[0] };
  if (kind === 'CARRY_OUT' && today) {
    const due = (d.details as { due: string }).due;
    if (due < today) return { ok: false, error: err('workflow.due_in_past', { due, today }) };
  }
  return { ok: true, carriers: c.carriers, details: d.details, maxLevel: c.maxLevel, regime: c.regime };
}
