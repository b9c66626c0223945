// The value a button carries in `behaviors[0].value`, echoed back by Feishu as `action.value`
// when it is clicked. Keys are one letter to keep cards small:
//   a  action id, e.g. 'approval.approve'
//   r  request id, e.g. 'CP-2026-0001'
//   v  request version the card was rendered for (a stale card must not act)
//   n  nonce, unique per rendered button, to dedupe repeated clicks
//   x  small extra fields (string or number values)
//   u  the open_id of the person the card was made for (a form card): anyone else is refused
// A click payload is untrusted input: decodeAction validates strictly and never throws.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';

export const ACTION_LIMITS = {
  maxActionLength: 64,
  maxRequestIdLength: 64,
  maxNonceLength: 64,
  maxExtraKeys: 16,
  maxExtraKeyLength: 32,
  maxExtraStringLength: 256,
  maxBytes: 1024,
} as const;

export const ACTION_ID_PATTERN = /^[a-z][a-z0-9_.-]*$/;
const TOKEN_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;
const EXTRA_KEY_PATTERN = /^[A-Za-z][A-Za-z0-9_]*$/;
/** A Lark user open_id. */
const OWNER_PATTERN = /^ou_[A-Za-z0-9]{1,64}$/;

export type ActionExtra = Record<string, string | number>;

/** The wire shape inside the button value. */
/** A type alias, not an interface, so it fits `Record<string, unknown>` (a button's value). */
export type ActionValue = {
  a: string;
  r?: string;
  v?: number;
  n: string;
  x?: ActionExtra;
  u?: string;
};

export interface ActionInput {
  action: string;
  requestId?: string;
  version?: number;
  extra?: ActionExtra;
  /** The open_id of the only person who may use this button (the one the card was made for). */
  owner?: string;
}

export type DecodedAction = { ok: true; action: string; requestId?: string; version?: number; nonce: string; extra: ActionExtra; owner?: string } | { ok: false; reason: string };

const extraSchema = z
  .record(z.string().max(ACTION_LIMITS.maxExtraKeyLength).regex(EXTRA_KEY_PATTERN), z.union([z.string().max(ACTION_LIMITS.maxExtraStringLength), z.number().finite()]))
  .refine((x) => Object.keys(x).length <= ACTION_LIMITS.maxExtraKeys, {
    error: `at most ${ACTION_LIMITS.maxExtraKeys} extra fields`,
  });

export const actionValueSchema = z.strictObject({
  a: z.string().min(1).max(ACTION_LIMITS.maxActionLength).regex(ACTION_ID_PATTERN),
  r: z.string().min(1).max(ACTION_LIMITS.maxRequestIdLength).regex(TOKEN_PATTERN).optional(),
  v: z.int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  n: z.string().min(1).max(ACTION_LIMITS.maxNonceLength).regex(TOKEN_PATTERN),
  x: extraSchema.optional(),
  u: z.string().regex(OWNER_PATTERN).optional(),
});

/** 16 hex characters (64 random bits) from a v4 UUID, skipping its fixed version digit. */
export function newNonce(): string {
  const hex = randomUUID().replace(/-/g, '');
  return (hex.slice(0, 12) + hex.slice(13)).slice(0, 16);
}

function byteLength(value: unknown): number {
  return new TextEncoder().encode(JSON.stringify(value)).length;
}

function describe(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join('.') : 'value'}: ${i.message}`)
    .join('; ');
}

/**
 * Builds a button value. Throws on invalid input: that is a programming error in our own code,
 * unlike decodeAction's input. Pass `nonce` for deterministic output in tests.
 */
export function encodeAction(input: ActionInput, nonce: string = newNonce()): ActionValue {
  // Build key by key so absent fields are absent, not `undefined`, in the card JSON.
  const value: ActionValue = { a: input.action, n: nonce };
  if (input.requestId !== undefined) value.r = input.requestId;
  if (input.version !== undefined) value.v = input.version;
  if (input.extra !== undefined && Object.keys(input.extra).length > 0) value.x = { ...input.extra };
  if (input.owner !== undefined) value.u = input.owner;
  const parsed = actionValueSchema.safeParse(value);
  if (!parsed.success) throw new Error(`encodeAction: invalid action value: ${describe(parsed.error.issues)}`);
  const bytes = byteLength(value);
  if (bytes > ACTION_LIMITS.maxBytes) {
    throw new Error(`encodeAction: action value is ${bytes} bytes; the limit is ${ACTION_LIMITS.maxBytes}`);
  }
  return value;
}

/** Validates an untrusted click `action.value`. Never throws. */
export function decodeAction(value: unknown): DecodedAction {
  try {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return { ok: false, reason: 'action value is not an object' };
    }
    // Cheap guard before zod walks an arbitrarily large object.
    const keys = Object.keys(value);
    if (keys.length > 6) return { ok: false, reason: 'action value has unexpected fields' };
    const x = (value as Record<string, unknown>).x;
    if (typeof x === 'object' && x !== null) {
      const extraKeys = Object.keys(x);
      if (extraKeys.length > ACTION_LIMITS.maxExtraKeys) {
        return { ok: false, reason: `at most ${ACTION_LIMITS.maxExtraKeys} extra fields` };
      }
      // zod's record silently drops a "__proto__" key; reject it instead of accepting a trimmed value.
      if (extraKeys.some((k) => !EXTRA_KEY_PATTERN.test(k))) {
        return { ok: false, reason: 'extra field names must be identifiers' };
      }
    }
    const parsed = actionValueSchema.safeParse(value);
    if (!parsed.success) return { ok: false, reason: describe(parsed.error.issues) };
    const v = parsed.data;
    const bytes = byteLength(v);
    if (bytes > ACTION_LIMITS.maxBytes) {
      return { ok: false, reason: `action value is ${bytes} bytes; the limit is ${ACTION_LIMITS.maxBytes}` };
    }
    const extra: ActionExtra = {};
    for (const [k, val] of Object.entries(v.x ?? {})) extra[k] = val;
    const out: DecodedAction = { ok: true, action: v.a, nonce: v.n, extra };
    if (v.r !== undefined) out.requestId = v.r;
    if (v.v !== undefined) out.version = v.v;
    if (v.u !== undefined) out.owner = v.u;
    return out;
  } catch {
    return { ok: false, reason: 'action value could not be read' };
  }
}
