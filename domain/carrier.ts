/**
 * The carrier register's record (载体台账): one carrier, metadata only (never content; the title
 * is an alias). One type for the whole code base: the repository (models/carrier.model.ts) stores
 * it, the approval service (handlers/approvals/ports.ts) and the cards read it.
 */
import type { CarrierStatus, Level, Regime } from './types.js';

export const CARRIER_TYPES = ['纸质', 'U盘', '移动硬盘', '光盘', '硬盘', '笔记本', '其他'] as const;
export const CARRIER_STATUSES = ['IN_STOCK', 'CHECKED_OUT', 'PENDING_DESTRUCTION', 'DESTROYED', 'RETURNED_TO_ISSUER', 'MISSING', 'DECLASSIFIED'] as const satisfies readonly (
  | CarrierStatus
  | 'RETURNED_TO_ISSUER'
  | 'MISSING'
  | 'DECLASSIFIED'
)[];
export type RegisterStatus = (typeof CARRIER_STATUSES)[number];
export type CarrierOrigin = 'registered' | 'copied';

export interface Carrier {
  tenantKey: string;
  /** 保密编号 as entered (trimmed); unique per tenant ignoring case and width (see numberKey). */
  number: string;
  /** NFKC + upper-case form of `number`: the unique key and the sort order of `list`. */
  numberKey: string;
  regime: Regime;
  level: Level;
  /** One of CARRIER_TYPES in the forms; any short label is accepted. */
  carrierType: string;
  alias: string;
  /** e.g. '10年' */
  period?: string;
  /** 制发日期 (YYYY-MM-DD): the period runs from it (Reg 19); absent = from the registration date. */
  issuedOn?: string;
  issuer?: string;
  copyRestricted: boolean;
  mustReturnToIssuer: boolean;
  pages?: number;
  /** 份数 */
  count: number;
  custodianId?: string;
  location?: string;
  status: RegisterStatus;
  /** The request whose effect set the current status (absent after a manual change). */
  statusRequestId?: string;
  origin: CarrierOrigin;
  parentNumber?: string;
  sourceRequestId?: string;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
  /** 0 on creation, +1 on every change. */
  version: number;
}

export interface CarrierInput {
  number: string;
  /** Derived from `level` when absent; must agree with it when given. */
  regime?: Regime;
  level: Level;
  carrierType: string;
  alias: string;
  period?: string;
  /** 制发日期, YYYY-MM-DD. */
  issuedOn?: string;
  issuer?: string;
  copyRestricted?: boolean;
  mustReturnToIssuer?: boolean;
  pages?: number;
  /** Default 1. */
  count?: number;
  custodianId?: string;
  location?: string;
  /** Default IN_STOCK; checked at run time (callers hold statuses as plain strings). */
  status?: RegisterStatus | (string & {});
  /** Default 'copied' when `parentNumber` is given, else 'registered'. */
  origin?: CarrierOrigin;
  parentNumber?: string;
  sourceRequestId?: string;
  createdBy: string;
}

export interface CarrierFilter {
  level?: Level;
  /** Checked at run time (callers hold statuses as plain strings). */
  status?: RegisterStatus | (string & {});
  carrierType?: string;
  custodianId?: string;
  /** Number or alias contains this text (case-insensitive). */
  text?: string;
}

export type SetStatusResult = 'changed' | 'unchanged' | 'conflict' | 'missing';

/** A custody claim's outcome: won, or held (by whom, in which status) or no such carrier. */
export type ClaimResult = { ok: true } | { ok: false; reason: 'missing' } | { ok: false; reason: 'held'; status: string; heldBy?: string; since?: Date };

/**
 * `token`: names this attempt's claim, so its compensation gives back only what it took.
 * `takeOver`: also win from a stale claim — held by `from` in `status`, unchanged since
 * `unchangedSince` (the caller checked that `from` does not hold the carrier any more).
 */
export interface ClaimOptions {
  token?: string;
  takeOver?: { from: string; status: string; unchangedSince: Date };
}
