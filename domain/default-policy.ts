import raw from '../config/policy.default.json' with { type: 'json' };
import { loadPolicy, type Policy } from './policy.js';

/** The shipped default (docs/domain.md §6.4), as parsed JSON, for units that start from it. */
export const DEFAULT_POLICY_JSON: unknown = raw;

let cached: Policy | undefined;

/** The default policy, validated. Throws only if the shipped file itself is broken (a build error). */
export function defaultPolicy(): Policy {
  if (cached) return cached;
  const r = loadPolicy(raw);
  if (!r.ok) throw new Error(`config/policy.default.json is invalid:\n${r.errors.join('\n')}`);
  cached = r.policy;
  return cached;
}
