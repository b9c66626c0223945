// The staff feature's settings (read once when the feature is built; a bad value stops the bot with
// a ConfigError naming the variable, like every other setting: docs/design.md §4).
//
// - BAOMI_PLEDGE_MONTHS: how often the confidentiality pledge (保密承诺书) is re-signed, in months
//   (default 12: yearly, DOMAIN §6.6 "承诺书 yearly re-sign (policy)").
// - BAOMI_DECONTAMINATION_MONTHS: the decontamination period (脱密期) per clearance class, e.g.
//   `core=36,important=24,general=12` (the defaults; any class left out keeps its default).
import { z } from 'zod';
import { ConfigError } from '../../bot/core/config.js';

export const CLEARANCE_CLASSES = ['core', 'important', 'general'] as const;
/** 核心 / 重要 / 一般涉密人员 (Law 43). */
export type ClearanceClass = (typeof CLEARANCE_CLASSES)[number];

/** Class names as users type them (English or Chinese). */
export const CLEARANCE_NAMES: Readonly<Record<string, ClearanceClass>> = {
  core: 'core',
  核心: 'core',
  核心涉密人员: 'core',
  important: 'important',
  重要: 'important',
  重要涉密人员: 'important',
  general: 'general',
  一般: 'general',
  一般涉密人员: 'general',
};

/** The longest period accepted anywhere (months): a typing error, not a policy, beyond it. */
export const MAX_MONTHS = 120;

export const DEFAULT_DECONTAMINATION: Readonly<Record<ClearanceClass, number>> = { core: 36, important: 24, general: 12 };

export interface StaffConfig {
  pledgeMonths: number;
  decontamination: Record<ClearanceClass, number>;
}

const months = (v: string): number | undefined => (/^\d{1,3}$/.test(v) && Number(v) >= 1 && Number(v) <= MAX_MONTHS ? Number(v) : undefined);

/** `core=36,important=24` → the periods (defaults for classes left out); undefined when malformed. */
export function parseDecontamination(text: string): Record<ClearanceClass, number> | undefined {
  const out: Record<ClearanceClass, number> = { ...DEFAULT_DECONTAMINATION };
  const seen = new Set<ClearanceClass>();
  for (const part of text.split(/[,，]/)) {
    const m = /^\s*([^=＝\s]+)\s*[=＝]\s*(\S+)\s*$/.exec(part);
    const cls = m ? CLEARANCE_NAMES[m[1]!.toLowerCase()] : undefined;
    const n = m ? months(m[2]!) : undefined;
    if (!cls || n === undefined || seen.has(cls)) return undefined;
    seen.add(cls);
    out[cls] = n;
  }
  return out;
}

const blankIsUnset = z
  .string()
  .trim()
  .optional()
  .transform((s) => (s === '' ? undefined : s));

const schema = z.object({
  BAOMI_PLEDGE_MONTHS: blankIsUnset.refine((v) => v === undefined || months(v) !== undefined, {
    message: `must be a whole number of months from 1 to ${MAX_MONTHS} (how often the confidentiality pledge is re-signed; default 12)`,
  }),
  BAOMI_DECONTAMINATION_MONTHS: blankIsUnset.refine((v) => v === undefined || parseDecontamination(v) !== undefined, {
    message: `must be a comma-separated list such as core=36,important=24,general=12 (months from 1 to ${MAX_MONTHS} per clearance class)`,
  }),
});

/** Reads and validates the staff settings; throws ConfigError naming the bad variable. */
export function loadStaffConfig(env: NodeJS.ProcessEnv): StaffConfig {
  const picked = { BAOMI_PLEDGE_MONTHS: env.BAOMI_PLEDGE_MONTHS, BAOMI_DECONTAMINATION_MONTHS: env.BAOMI_DECONTAMINATION_MONTHS };
  const parsed = schema.safeParse(picked);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const variable = String(issue.path[0] ?? 'BAOMI_PLEDGE_MONTHS');
    throw new ConfigError(`${variable} ${issue.message} (got ${JSON.stringify(picked[variable as keyof typeof picked] ?? '')})`, variable);
  }
  const e = parsed.data;
  return {
    pledgeMonths: e.BAOMI_PLEDGE_MONTHS === undefined ? 12 : months(e.BAOMI_PLEDGE_MONTHS)!,
    decontamination: e.BAOMI_DECONTAMINATION_MONTHS === undefined ? { ...DEFAULT_DECONTAMINATION } : parseDecontamination(e.BAOMI_DECONTAMINATION_MONTHS)!,
  };
}
