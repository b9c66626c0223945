/**
 * What the approval feature needs of storage, as interfaces (the mongoose repositories in models/
 * implement them; handlers never import mongoose).
 */
import type {
  Carrier as CarrierRecord,
  CarrierInput,
  CarrierStatus,
  ClaimOptions,
  ClaimResult,
  Effect,
  Kind,
  Level,
  ReminderKind,
  Request,
  Role,
  Target,
} from '../../domain/index.js';

export type CardKind = 'approval' | 'status' | 'execution' | 'witness';

export interface CardRef {
  messageId: string;
  kind: CardKind;
  holder?: string;
  sentForVersion: number;
  /** The newest version the message is known to show (a patch never goes below it). */
  shownVersion?: number;
}

/**
 * An effect as committed: the workflow's effect plus who caused it and when, and the outbox's
 * bookkeeping once it has been tried (attempts so far, when it may run next, the last error).
 */
export type PendingEffect = Effect & { actorId?: string; at?: string; channel?: string; attempts?: number; nextAt?: Date; lastError?: string };

/** An effect that failed for good: kept, counted, listed and retried on demand, never dropped. */
export type DeadEffect = PendingEffect & { attempts: number; lastError: string; diedAt: Date };

export interface StoredRequest {
  tenantKey: string;
  request: Request;
  pending: PendingEffect[];
  dead?: DeadEffect[];
  cards: CardRef[];
}

export interface RequestRepo {
  /** `sourceKey`: the delivery that creates it; a second insert with the same key throws. */
  insert(tenantKey: string, request: Request, effects: PendingEffect[], opts?: { sourceKey?: string }): Promise<void>;
  get(tenantKey: string, id: string): Promise<StoredRequest | null>;
  /** The request a delivery (its dedupe key) created, if any. */
  getBySourceKey(tenantKey: string, sourceKey: string): Promise<StoredRequest | null>;
  commit(tenantKey: string, before: Request, after: Request, effects: PendingEffect[]): Promise<boolean>;
  completeEffects(tenantKey: string, id: string, keys: string[]): Promise<void>;
  withPending(limit: number, olderThan?: Date): Promise<StoredRequest[]>;
  addCard(tenantKey: string, id: string, card: CardRef): Promise<void>;
  listByRequester(tenantKey: string, openId: string, opts: { states?: string[]; limit: number }): Promise<StoredRequest[]>;
  listAwaiting(tenantKey: string, openId: string, opts: { limit: number }): Promise<StoredRequest[]>;
  listByState(tenantKey: string, states: string[], opts: { limit: number }): Promise<StoredRequest[]>;
}

/** The outbox as a work queue (models/outbox.model.ts). */
export interface OutboxRepo {
  lease(tenantKey: string, id: string, owner: string, ms: number): Promise<StoredRequest | null>;
  release(tenantKey: string, id: string, owner: string): Promise<void>;
  complete(tenantKey: string, id: string, keys: string[]): Promise<void>;
  retryLater(tenantKey: string, id: string, effect: PendingEffect): Promise<void>;
  deadLetter(tenantKey: string, id: string, effect: DeadEffect): Promise<boolean>;
  due(limit: number, now?: Date): Promise<StoredRequest[]>;
  listDead(tenantKey: string, limit?: number): Promise<{ requestId: string; effect: DeadEffect }[]>;
  countDead(): Promise<number>;
  revive(tenantKey: string, id: string, key?: string): Promise<number>;
  /** Removes these dead letters for good (the security office's `drop`); how many went. */
  dropDead(tenantKey: string, id: string, keys: readonly string[]): Promise<number>;
}

/** Cards sent about a request, as a patch queue that never shows an older version over a newer one. */
export interface CardStateRepo {
  /** Takes the right to patch `messageId` up to `version` as `owner`; 'shown' when it already shows it, 'busy' when another patcher holds it. */
  claimPatch(tenantKey: string, id: string, messageId: string, version: number, ms: number, owner: string): Promise<'ok' | 'shown' | 'busy'>;
  /** Records that the message shows `version` and frees `owner`'s claim; 'lost' when the claim had expired (the next refresh patches again). */
  markShown(tenantKey: string, id: string, messageId: string, version: number, owner: string): Promise<'ok' | 'lost'>;
  /** Frees `owner`'s claim after a failed patch, leaving the shown version as it was. */
  releasePatch(tenantKey: string, id: string, messageId: string, owner: string): Promise<void>;
  /** Records that the message shows `version` by other means (a callback answer redrew it). */
  markRedrawn(tenantKey: string, id: string, messageId: string, version: number): Promise<void>;
  /** A message Lark will never update again: left out of later refreshes. */
  markGone(tenantKey: string, id: string, messageId: string): Promise<void>;
}

/** The register's record and its input: one type, from the domain (domain/carrier.ts). */
export type { Carrier as CarrierRecord, CarrierInput, ClaimResult } from '../../domain/index.js';

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
  claim(tenantKey: string, number: string, to: CarrierStatus, requestId: string, opts?: ClaimOptions): Promise<ClaimResult>;
  release(tenantKey: string, number: string, from: CarrierStatus, requestId: string, token?: string): Promise<boolean>;
  reserveCopyNumbers(tenantKey: string, parentNumber: string, requestId: string, count: number): Promise<number>;
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
  outbox: OutboxRepo;
  cardState: CardStateRepo;
  carriers: CarrierRepo;
  reminders: ReminderRepo;
  notifications: NotificationRepo;
  ledger: LedgerRepo;
  audit: AuditRepo;
  counters: CounterRepo;
  roles: RoleRepo;
}

export type { Kind };
