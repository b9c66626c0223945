// Public surface of the pure approval policy and request state machine (see README.md).
export * from './types.js';
export { ERROR_CODES, type ErrorCode } from './errors.js';
export { parseLevel, isLevel, regimeOf, levelRank, maxLevel } from './levels.js';
export { formatRequestId, parseRequestId, ID_PREFIX, type ParsedRequestId } from './request-id.js';
export {
  policySchema,
  loadPolicy,
  chainFor,
  ccRolesFor,
  planSteps,
  type Policy,
  type PolicyStep,
  type ResolvedStep,
  type LoadPolicyResult,
} from './policy.js';
export { defaultPolicy, DEFAULT_POLICY_JSON } from './default-policy.js';
export {
  checkLegalFloor,
  checkDestructionWitnesses,
  destructionComplete,
  distinctIds,
  MIN_DESTRUCTION_WITNESSES,
} from './floor.js';
export { validateCarriers, validateDetails, validateContent, carrierSchema, detailsInputSchemas } from './content.js';
export {
  transition,
  createDraft,
  keyEffects,
  ccOf,
  MAX_CC,
  COMMAND_RULES,
  DEFAULT_TIMEZONE,
  type TransitionContext,
  type DraftInput,
  type DraftResult,
} from './machine.js';
export { localDate, startOfLocalDay, endOfLocalDay, addDays, isIsoDate, isValidTimeZone } from './time.js';
export * from './carrier.js';
