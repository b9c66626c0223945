/**
 * What the approval feature needs of storage, as interfaces (the mongoose repositories in models/
 * implement them; handlers never import mongoose).
 */
import type { CarrierStatus, Effect, Kind, Level, ReminderKind, Request, Role, Target } from '../workflow/index.js';

export type CardKind = 'approval' | 'status' | 'execution' | 'witness';

export interface CardRef {
  messageId: string;
  kind: CardKind;
  holder?: string;
  sentForVersion: number;
}

/** An effect as committed: the workflow's effect plus who caused it and when. */
export type PendingEffect = Effect & { actorId?: string; at?: string; channel?: string };

export interface StoredRequest {
  tenantKey: string;
  request: Request;
  pending: PendingEffect[];
  cards: CardRef[];
}

export interface RequestRepo {
  insert(tenantKey: string, request: Request, effects: PendingEffect[]): Promise<void>;
  get(tenantKey: string, id: string): Promise<StoredRequest | null>;
  commit(tenantKey: string, before: Request, after: Request, effects: PendingEffect[]): Promise<boolean>;
  completeEffects(tenantKey: string, id: string, keys: string[]): Promise<void>;
  withPending(limit: number, olderThan?: Date): Promise<StoredRequest[]>;
  addCard(tenantKey: string, id: string, card: CardRef): Promise<void>;
  listByRequester(tenantKey: string, openId: string, opts: { states?: string[]; limit: number }): Promise<StoredRequest[]>;
  listAwaiting(tenantKey: string, openId: string, opts: { limit: number }): Promise<StoredRequest[]>;
  listByState(tenantKey: string, states: string[], opts: { limit: number }): Promise<StoredRequest[]>;
}

export interface CarrierRecord {
  tenantKey: string;
  number: string;
  regime: 'STATE_SECRET' | 'TRADE_SECRET';
  level: Level;
  carrierType: string;
  alias: string;
  period?: string;
  issuer?: string;
  copyRestricted: boolean;
  mustReturnToIssuer: boolean;
  pages?: number;
  count: number;
  custodianId?: string;
  location?: string;
  status: string;
  origin: 'registered' | 'copied';
  parentNumber?: string;
  sourceRequestId?: string;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
  version: number;
}

export type CarrierInput = Omit<CarrierRecord, 'tenantKey' | 'createdAt' | 'updatedAt' | 'version' | 'status'> & { status?: string };

export interface CarrierRepo {
  create(tenantKey: string, input: CarrierInput): Promise<{ ok: true; carrier: CarrierRecord } | { ok: false; code: 'carrier.duplicate' }>;
  createIfAbsent(tenantKey: string, input: CarrierInput): Promise<{ carrier: CarrierRecord; created: boolean }>;
  get(tenantKey: string, number: string): Promise<CarrierRecord | null>;
  getMany(tenantKey: string, numbers: string[]): Promise<CarrierRecord[]>;
  list(
    tenantKey: string,
    filter: { level?: Level; status?: string; carrierType?: string; custodianId?: string; text?: string },
    page: { limit: number; after?: string },
  ): Promise<{ items: CarrierRecord[]; next?: string }>;
  setStatus(
    tenantKey: string,
    number: string,
    status: CarrierStatus | string,
    opts: { expect?: string[]; requestId?: string; expectRequestId?: string },
  ): Promise<'changed' | 'unchanged' | 'conflict' | 'missing'>;
  nextCopyIndex(tenantKey: string, parentNumber: string): Promise<number>;
}

export interface ReminderRepo {
  create(
    tenantKey: string,
    r: { key: string; requestId: string; version: number; kind: ReminderKind; dueAt: Date; target: Target; params?: Record<string, string | number> },
  ): Promise<boolean>;
  cancel(tenantKey: string, requestId: string, opts: { kinds?: ReminderKind[]; target?: Target; beforeVersion: number }): Promise<number>;
  claimDue(now: Date, limit: number, lockMs: number, kinds?: readonly ReminderKind[]): Promise<{ tenantKey: string; key: string; requestId: string; kind: ReminderKind }[]>;
  markSent(tenantKey: string, key: string): Promise<boolean>;
}

export interface NotificationRepo {
  sendOnce(tenantKey: string, key: string, send: () => Promise<{ messageId: string }>): Promise<{ messageId: string; sent: boolean }>;
}

export interface LedgerRepo {
  append(
    tenantKey: string,
    ledger: 'MASTER' | 'COPY' | 'CARRY' | 'DESTROY',
    input: {
      effectKey: string;
      event: string;
      carrierNumber?: string;
      requestId?: string;
      actorId: string;
      counterpartIds?: string[];
      quantity?: number;
      occurredAt: Date;
      data: Record<string, unknown>;
    },
  ): Promise<{ created: boolean }>;
}

export interface AuditRepo {
  record(
    tenantKey: string,
    input: {
      at?: Date;
      actorId: string;
      action: string;
      objectType: string;
      objectId: string;
      channel: 'card' | 'command' | 'system' | 'admin';
      outcome: 'ok' | 'refused';
      reason?: string;
      effectKey?: string;
      details?: Record<string, unknown>;
    },
  ): Promise<{ created: boolean }>;
}

export interface CounterRepo {
  nextSeq(tenantKey: string, name: string): Promise<number>;
}

export interface RoleRepo {
  rolesOf(tenantKey: string, openId: string): Promise<Role[]>;
  holders(tenantKey: string, role: Role): Promise<string[]>;
  deptHeadOverride(tenantKey: string, deptId: string): Promise<string | undefined>;
  grant(tenantKey: string, openId: string, role: Role, by: string, opts?: { deptId?: string }): Promise<boolean>;
  revoke(tenantKey: string, openId: string, role: Role, by: string): Promise<boolean>;
  list(tenantKey: string): Promise<{ openId: string; roles: Role[]; deptId?: string }[]>;
}

export interface ApprovalRepos {
  requests: RequestRepo;
  carriers: CarrierRepo;
  reminders: ReminderRepo;
  notifications: NotificationRepo;
  ledger: LedgerRepo;
  audit: AuditRepo;
  counters: CounterRepo;
  roles: RoleRepo;
}

export type { Kind };
