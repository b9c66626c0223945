import type { Params, WorkflowError } from './types.js';

/**
 * Every code `transition`, `createDraft` and `checkLegalFloor` can answer with. Each one has a
 * message under the same key in `locales/<lng>/workflow.json` (namespace `workflow`).
 */
export const ERROR_CODES = [
  // state machine and input
  'workflow.bad_state',
  'workflow.wrong_kind',
  'workflow.unknown_command',
  'workflow.invalid_request',
  'workflow.invalid_command',
  'workflow.invalid_details',
  'workflow.bad_date',
  'workflow.destruction_before_approval',
  'workflow.bad_timezone',
  'workflow.no_carriers',
  'workflow.duplicate_carrier',
  'workflow.mixed_regimes',
  'workflow.due_in_past',
  'workflow.not_yet_due',
  'workflow.not_returned',
  'workflow.reason_required',
  'workflow.bad_copies_made',
  'workflow.internal',
  // steps and assignees
  'workflow.chain_mismatch',
  'workflow.no_assignee',
  'workflow.one_assignee',
  'workflow.no_distinct_approvers',
  'workflow.stale_step',
  'workflow.stale_card',
  // who may act
  'workflow.already_decided',
  'workflow.already_decided_other_step',
  'workflow.not_assignee',
  'workflow.own_request',
  'workflow.not_requester',
  'workflow.not_security_officer',
  'workflow.not_carrier_person',
  'workflow.self_custody',
  'workflow.system_only',
  'workflow.not_witness',
  'workflow.already_confirmed',
  'workflow.return_already_announced',
  // transfer (转交)
  'workflow.transfer_to_self',
  'workflow.transfer_to_requester',
  'workflow.transfer_to_assignee',
  'workflow.transfer_to_decider',
  'workflow.transfer_breaks_distinct',
  'workflow.transfer_not_eligible',
  // carbon copies (抄送)
  'workflow.bad_cc',
  // legal floor (code, not configuration)
  'floor.copy_needs_ref',
  'floor.carry_top_secret_companions',
  'floor.carry_top_secret_abroad',
  'floor.carry_abroad_offline',
  'floor.destroy_must_return',
  'floor.destroy_witnesses',
  'floor.destroy_witness_is_executor',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export function err(code: ErrorCode, params?: Params): WorkflowError {
  return params ? { code, params } : { code };
}
