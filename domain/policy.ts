import { z } from 'zod';
import { KINDS, LEVELS, ROLES, STEP_MODES, STEP_PURPOSES, type ApprovalStep, type Kind, type Level, type Role } from './types.js';

// The unit's configuration on top of the legal floor: approver chains, SLAs, deadlines.
// Loading it applies structural checks so that a policy can add steps but never remove the
// authorisations the rules require (see README.md, "Policy checks at load time").

const quoted = (v: unknown) => (typeof v === 'string' ? `'${v}'` : JSON.stringify(v));

const roleSchema = z.enum(ROLES, { error: (iss) => `unknown role ${quoted(iss.input)}` });
/** Roles that may hold an approval step: not everyone (staff) and not the technical admin. */
const APPROVER_ROLES: readonly Role[] = ROLES.filter((r) => r !== 'staff' && r !== 'admin');

const stepSchema = z.strictObject({
  role: roleSchema,
  mode: z.enum(STEP_MODES, { error: (iss) => `unknown mode ${quoted(iss.input)} (ONE or ANY_OF)` }).optional(),
  purpose: z.enum(STEP_PURPOSES, { error: (iss) => `unknown purpose ${quoted(iss.input)} (approve or register)` }).optional(),
});
const chainSchema = z.array(stepSchema).max(8, { error: 'a chain has at most 8 steps' });
const levelChains = z.strictObject(Object.fromEntries(LEVELS.map((l) => [l, chainSchema])) as Record<Level, typeof chainSchema>);
const positiveHours = z
  .number()
  .positive()
  .max(24 * 30);

export const policySchema = z.strictObject({
  version: z.string().min(1).max(64),
  chains: z.strictObject(Object.fromEntries(KINDS.map((k) => [k, levelChains])) as Record<Kind, typeof levelChains>),
  sla: z.strictObject({
    remindHours: positiveHours,
    escalateHours: positiveHours,
    escalateTo: roleSchema,
  }),
  execution: z.strictObject({
    remindDays: z.number().positive().max(90),
    expiryDays: z.int().min(1).max(90),
  }),
  carry: z.strictObject({
    /** Reminders to the carrier person before the due date ends (e.g. [24, 2] = T-1 d, T-2 h). */
    dueSoonHours: z.array(positiveHours).max(4),
    overdueEscalations: z
      .array(
        z.strictObject({
          afterHours: z
            .number()
            .min(0)
            .max(24 * 90),
          role: roleSchema,
        }),
      )
      .max(6),
  }),
  destroy: z.strictObject({
    witnessRemindHours: positiveHours,
  }),
  /**
   * 抄送 by policy: roles whose holders get a read-only copy of every request of a kind (e.g. the
   * security head for every 绝密 carry-out would be `{"CARRY_OUT": ["security_head"]}`). Optional;
   * by default nobody is copied.
   */
  cc: z
    .strictObject(
      Object.fromEntries(KINDS.map((k) => [k, z.array(roleSchema).max(5, { error: 'at most 5 roles are copied' }).optional()])) as Record<
        Kind,
        z.ZodOptional<z.ZodArray<typeof roleSchema>>
      >,
    )
    .optional(),
});

export type PolicyStep = z.infer<typeof stepSchema>;
export type Policy = z.infer<typeof policySchema>;

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out || '(root)';
}

function zodMessage(iss: z.core.$ZodIssue): string {
  if (iss.code === 'invalid_type' && /received undefined/.test(iss.message)) return `missing (${iss.expected} required)`;
  if (iss.code === 'unrecognized_keys') return `unknown key${iss.keys.length > 1 ? 's' : ''} ${iss.keys.map(quoted).join(', ')}`;
  return iss.message;
}

const STATE_LEVELS_SET = new Set<Level>(['TOP_SECRET', 'SECRET', 'CONFIDENTIAL']);

/** Structural floor applied to a schema-valid policy; returns path-named messages. */
function structuralErrors(p: Policy): string[] {
  const errors: string[] = [];
  for (const kind of KINDS) {
    for (const level of LEVELS) {
      const path = `chains.${kind}.${level}`;
      const chain = p.chains[kind][level];
      if (chain.length === 0) {
        errors.push(`${path}: must have at least one step`);
        continue;
      }
      chain.forEach((s, i) => {
        if (!APPROVER_ROLES.includes(s.role)) errors.push(`${path}[${i}].role: '${s.role}' cannot hold an approval step`);
      });
      const roles = new Set(chain.map((s) => s.role));
      if (!roles.has('security_officer') && !roles.has('security_head')) {
        errors.push(`${path}: must include the confidentiality office (security_officer or security_head) to check and register`);
      }
      if (kind !== 'CARRY_OUT' && STATE_LEVELS_SET.has(level) && !roles.has('leader') && !roles.has('principal')) {
        errors.push(`${path}: ${kind === 'COPY' ? 'copying' : 'destroying'} a state secret needs the approval of a unit leader (leader or principal)`);
      }
      if (level === 'TOP_SECRET' && !roles.has('principal')) {
        errors.push(`${path}: a TOP_SECRET chain must include the principal`);
      }
      if (level === 'CORE' && !roles.has('leader') && !roles.has('principal')) {
        errors.push(`${path}: a CORE trade secret chain needs a unit leader (leader or principal)`);
      }
      if (!roles.has('dept_head') && !roles.has('leader') && !roles.has('principal')) {
        errors.push(`${path}: must include a line manager (dept_head, leader or principal)`);
      }
    }
  }
  for (const kind of KINDS) {
    (p.cc?.[kind] ?? []).forEach((r, i) => {
      // Copying "staff" would copy everyone in the unit: need to know forbids it.
      if (r === 'staff') errors.push(`cc.${kind}[${i}]: 'staff' cannot be copied (that is everyone)`);
    });
  }
  if (p.sla.escalateHours <= p.sla.remindHours) {
    errors.push(`sla.escalateHours: must be greater than sla.remindHours (${p.sla.remindHours})`);
  }
  if (p.execution.remindDays >= p.execution.expiryDays) {
    errors.push(`execution.remindDays: must be less than execution.expiryDays (${p.execution.expiryDays})`);
  }
  return errors;
}

export type LoadPolicyResult = { ok: true; policy: Policy } | { ok: false; errors: string[] };

/** Validates a unit policy (parsed JSON). Never throws; every message names its path. */
export function loadPolicy(json: unknown): LoadPolicyResult {
  const parsed = policySchema.safeParse(json);
  if (!parsed.success) {
    return { ok: false, errors: parsed.error.issues.map((iss) => `${formatPath(iss.path)}: ${zodMessage(iss)}`) };
  }
  const errors = structuralErrors(parsed.data);
  return errors.length ? { ok: false, errors } : { ok: true, policy: parsed.data };
}

export interface ResolvedStep {
  role: Role;
  mode: ApprovalStep['mode'];
  purpose: ApprovalStep['purpose'];
}

/** The approver chain for a kind and (maximum) level, with defaults filled in. */
export function chainFor(policy: Policy, kind: Kind, level: Level): ResolvedStep[] {
  return policy.chains[kind][level].map((s) => ({
    role: s.role,
    mode: s.mode ?? 'ONE',
    purpose: s.purpose ?? 'approve',
  }));
}

/** The roles the policy copies (抄送) on every request of `kind`; none by default. */
export function ccRolesFor(policy: Policy, kind: Kind): Role[] {
  return [...new Set(policy.cc?.[kind] ?? [])];
}

/** Pending steps for a chain, with the caller's resolved assignees (aligned by index). */
export function planSteps(policy: Policy, kind: Kind, level: Level, assignees: readonly (readonly string[])[] = []): ApprovalStep[] {
  return chainFor(policy, kind, level).map((s, i) => ({
    role: s.role,
    mode: s.mode,
    purpose: s.purpose,
    assignees: [...(assignees[i] ?? [])],
    decision: 'PENDING',
  }));
}
