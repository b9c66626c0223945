// The vocabulary of the approval workflow: plain data types only (no behaviour, no I/O).

export const KINDS = ['COPY', 'CARRY_OUT', 'DESTROY'] as const;
export type Kind = (typeof KINDS)[number];

export const STATE_LEVELS = ['TOP_SECRET', 'SECRET', 'CONFIDENTIAL'] as const;
export const TRADE_LEVELS = ['CORE', 'ORDINARY'] as const;
export const LEVELS = [...STATE_LEVELS, ...TRADE_LEVELS] as const;
export type Level = (typeof LEVELS)[number];
export type Regime = 'STATE_SECRET' | 'TRADE_SECRET';

export const ROLES = [
  'staff',
  'dept_head',
  'security_officer',
  'security_head',
  'leader',
  'principal',
  'classification_officer',
  'committee_member',
  'committee_chair',
  'admin',
] as const;
export type Role = (typeof ROLES)[number];

export const STATES = ['DRAFT', 'IN_APPROVAL', 'APPROVED', 'REJECTED', 'WITHDRAWN', 'EXPIRED', 'OUT', 'OVERDUE', 'RETURNED', 'EXECUTED_PENDING_WITNESS', 'CLOSED'] as const;
export type State = (typeof STATES)[number];

/** States from which no command leads anywhere. */
export const TERMINAL_STATES: readonly State[] = ['REJECTED', 'WITHDRAWN', 'EXPIRED', 'CLOSED'];

export const STEP_MODES = ['ONE', 'ANY_OF'] as const;
export type StepMode = (typeof STEP_MODES)[number];
/** `register` = the 保密办 checks and registers (核对/登记/备案) rather than authorising; same mechanics. */
export const STEP_PURPOSES = ['approve', 'register'] as const;
export type StepPurpose = (typeof STEP_PURPOSES)[number];
export type Decision = 'PENDING' | 'APPROVED' | 'REJECTED' | 'RETURNED';

export const DESTROY_METHODS = ['粉碎', '焚烧', '化浆', '消磁', '物理损毁'] as const;
export type DestroyMethod = (typeof DESTROY_METHODS)[number];

/** Snapshot of a carrier's metadata as it was when the request was made (never content). */
export interface CarrierRef {
  /** 保密编号 */
  number: string;
  level: Level;
  /** The issuer restricted copying ("此件未经…批准不得复制"). */
  copyRestricted: boolean;
  /** The issuer wants it back (清退): it may not be destroyed. */
  mustReturnToIssuer: boolean;
  alias?: string;
  carrierType?: string;
  /** Period or decryption condition as marked, e.g. "10年" (copied to copies unchanged). */
  period?: string;
  pagesOrCapacity?: string;
}

/** The copy register's supervision record (复制登记: 原稿收回、废页清点回收、设备数据清除). */
export interface CopyExecution {
  copiesMade: number;
  originalsReturned: boolean;
  wasteRecovered: boolean;
  /** Required since the three attestations are all asked; absent only on older records. */
  deviceWiped?: boolean;
  newNumbers: string[];
  by: string;
  at: string;
}

export interface CopyDetails {
  copies: number;
  purpose: string;
  place?: string;
  pages?: number;
  method?: string;
  /** Issuing authority's approval reference (批准文号); required by the legal floor for 绝密/restricted. */
  ref?: string;
  execution?: CopyExecution;
}

export interface Inspection {
  ok: boolean;
  note?: string;
  by: string;
  at: string;
}

export interface CarryDetails {
  destination: string;
  /** Due back, local date YYYY-MM-DD in the unit's timezone. */
  due: string;
  purpose: string;
  companions: string[];
  abroad: boolean;
  checkedOutAt?: string;
  checkedOutBy?: string;
  overdueAt?: string;
  /** When the carrier person announced the return (the officer has not confirmed receipt yet). */
  returnAnnouncedAt?: string;
  returnedAt?: string;
  returnedTo?: string;
  inspection?: Inspection;
}

export interface DestroyDetails {
  reason: string;
  method: DestroyMethod;
  site: string;
  /** Destruction date, YYYY-MM-DD (planned at request time; actual once recorded). */
  date?: string;
  executorId?: string;
  executedAt?: string;
  witnesses: string[];
  confirmedWitnesses: string[];
}

export interface DetailsByKind {
  COPY: CopyDetails;
  CARRY_OUT: CarryDetails;
  DESTROY: DestroyDetails;
}
export type AnyDetails = DetailsByKind[Kind];

export interface ApprovalStep {
  role: Role;
  mode: StepMode;
  purpose: StepPurpose;
  /** Resolved open_ids; filled by the caller before submit. */
  assignees: string[];
  decision: Decision;
  decidedBy?: string;
  decidedAt?: string;
  comment?: string;
}

export interface HistoryEntry {
  at: string;
  actorId: string;
  action: CommandType | 'create';
  fromState: State | null;
  toState: State;
  stepIndex?: number;
  comment?: string;
  /** `transfer`: the person the step was handed to (the actor handed it over). */
  to?: string;
}

export interface IncidentFlag {
  at: string;
  reason: 'CARRY_INSPECTION_FAILED' | 'COPY_SUPERVISION_FAILED';
  note?: string;
  by: string;
}

interface RequestBase {
  /** e.g. 'CP-2026-0001' */
  id: string;
  state: State;
  /** Integer, +1 on every successful transition. */
  version: number;
  requesterId: string;
  deptId?: string;
  carriers: CarrierRef[];
  maxLevel: Level;
  regime: Regime;
  steps: ApprovalStep[];
  /** Index into `steps` while IN_APPROVAL, otherwise null. */
  currentStep: number | null;
  history: HistoryEntry[];
  createdAt: string;
  updatedAt: string;
  policyVersion: string;
  /** Number of times the request was submitted (0 = never; > 1 after return + resubmit). */
  round: number;
  submittedAt?: string;
  approvedAt?: string;
  closedAt?: string;
  incident?: IncidentFlag;
  /**
   * People who receive a read-only copy (抄送) of the request's card, which follows it to its end:
   * named by the requester or by the unit policy's `cc` roles, resolved when the request is made.
   */
  cc?: string[];
}

export type CopyRequest = RequestBase & { kind: 'COPY'; details: CopyDetails };
export type CarryRequest = RequestBase & { kind: 'CARRY_OUT'; details: CarryDetails };
export type DestroyRequest = RequestBase & { kind: 'DESTROY'; details: DestroyDetails };
export type Request = CopyRequest | CarryRequest | DestroyRequest;

// ---- commands ----------------------------------------------------------------------------------

export type RequestPatch = {
  carriers?: CarrierRef[];
  details?: Partial<CopyDetails> | Partial<CarryDetails> | Partial<DestroyDetails>;
  deptId?: string;
};

/**
 * `assignees` (submit/resubmit): resolved open_ids per step of the policy chain, aligned with
 * `chainFor(policy, kind, maxLevel)`. Without it the steps already on the request are used.
 * `stepIndex` and `version` (decisions): the step and request version the card showed, so a
 * stale card gets `already_decided` / `stale_card` instead of deciding something its reader did
 * not see (e.g. a request edited and resubmitted since).
 */
export type Command =
  | { type: 'submit'; assignees?: string[][] }
  | { type: 'approve'; comment?: string; stepIndex?: number; version?: number }
  | { type: 'reject'; reason: string; stepIndex?: number; version?: number }
  | { type: 'return'; reason: string; stepIndex?: number; version?: number }
  | { type: 'resubmit'; patch?: RequestPatch; assignees?: string[][] }
  | { type: 'withdraw'; reason?: string }
  /**
   * 转交: the current step's assignee hands the step to `to`, another person eligible for the
   * step's role (the caller checks the role and that the person is real; the machine checks
   * everything else: who may hand over, the requester, distinct approvers).
   */
  | { type: 'transfer'; to: string; reason?: string; stepIndex?: number; version?: number }
  | { type: 'expire' }
  | {
      type: 'complete_copy';
      copiesMade: number;
      /** The three supervision attestations: each stated, none assumed. */
      originalsReturned: boolean;
      wasteRecovered: boolean;
      deviceWiped: boolean;
      /** First copy suffix per original number (default 1), when earlier copies exist. */
      firstCopyIndex?: Record<string, number>;
    }
  | { type: 'check_out' }
  /** The carrier person says the carriers are back; the security officer then confirms receipt. */
  | { type: 'announce_return' }
  | { type: 'return_carrier' }
  | { type: 'inspect'; ok: boolean; note?: string }
  | { type: 'mark_overdue' }
  | { type: 'record_destruction'; witnesses: string[]; date?: string }
  | { type: 'confirm_witness' };

export type CommandType = Command['type'];
export const COMMAND_TYPES = [
  'submit',
  'approve',
  'reject',
  'return',
  'resubmit',
  'withdraw',
  'transfer',
  'expire',
  'complete_copy',
  'check_out',
  'announce_return',
  'return_carrier',
  'inspect',
  'mark_overdue',
  'record_destruction',
  'confirm_witness',
] as const satisfies readonly CommandType[];

/** `system: true` marks the scheduler; only it may `expire` and `mark_overdue`. */
export interface Actor {
  id: string;
  roles: readonly Role[];
  system?: boolean;
}

// ---- effects -----------------------------------------------------------------------------------

export type LedgerName = 'MASTER' | 'COPY' | 'CARRY' | 'DESTROY';
export type LedgerEvent = 'REGISTERED' | 'COPIED' | 'CHECKED_OUT' | 'OVERDUE' | 'RETURNED' | 'INSPECTED' | 'DESTROYED';

export type ReminderKind =
  | 'approval.remind'
  | 'approval.escalate'
  | 'execution.remind'
  | 'request.expire'
  | 'carry.due_soon'
  | 'carry.overdue'
  | 'carry.overdue_escalate'
  | 'destroy.witness_remind';

/** Who a reminder or notification is for: a person, everyone holding a role, or the scheduler itself. */
export type Target = { openId: string } | { role: Role } | { system: true };

export type CarrierStatus = 'IN_STOCK' | 'CHECKED_OUT' | 'PENDING_DESTRUCTION' | 'DESTROYED';

export type Params = Record<string, string | number>;

export type EffectBody =
  | {
      type: 'ledger';
      ledger: LedgerName;
      event: LedgerEvent;
      carrierNumber?: string;
      data: Record<string, unknown>;
    }
  | {
      type: 'audit';
      action: CommandType | 'create';
      actorId: string;
      fromState: State | null;
      toState: State;
      stepIndex?: number;
      comment?: string;
      /** `transfer`: to whom the step was handed. */
      to?: string;
    }
  | { type: 'notify'; to: string; template: string; params: Params }
  | { type: 'notify'; toRole: Role; template: string; params: Params }
  | { type: 'card.refresh' }
  | { type: 'reminder.create'; kind: ReminderKind; dueAt: string; target: Target; params?: Params }
  /**
   * Cancels this request's pending reminders created by versions < `beforeVersion`: of `kinds`
   * (all kinds if absent), and only those for `target` when given.
   */
  | { type: 'reminder.cancel'; kinds?: ReminderKind[]; target?: Target; beforeVersion: number }
  | { type: 'carrier.status'; number: string; status: CarrierStatus }
  | {
      type: 'carrier.create';
      number: string;
      sourceNumber: string;
      level: Level;
      copyRestricted: boolean;
      mustReturnToIssuer: boolean;
      period?: string;
      carrierType?: string;
      alias?: string;
      custodianId: string;
    }
  | {
      type: 'incident.open';
      reason: IncidentFlag['reason'];
      carrierNumbers: string[];
      note?: string;
    };

/** Every effect names its request and carries a key unique per (request, version, position). */
export type Effect = EffectBody & { key: string; requestId: string; version: number };

// ---- results -----------------------------------------------------------------------------------

export interface WorkflowError {
  code: string;
  params?: Params;
}

export type TransitionResult = { ok: true; request: Request; effects: Effect[] } | { ok: false; error: WorkflowError };
