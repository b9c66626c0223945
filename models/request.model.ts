/**
 * Approval requests and their outbox (docs/design.md §5).
 *
 * The workflow's `Request` is stored as is under `request`; a few copies of its fields sit at the
 * top level for the indexes. Every change is ONE `findOneAndUpdate` guarded by
 * `{_id, request.version, request.state}` that writes the new request together with the effects
 * it produced (`pending`, the outbox). No transaction is needed: the effects are in the same
 * document as the state change, so a crash after the write loses nothing (the recovery sweep finds
 * them through `withPending`) and a crash before it changes nothing. Effects leave `pending` only
 * once executed (`completeEffects`), and every executor is idempotent by the effect's `key`.
 *
 * This module only persists: it never calls the workflow's `transition`.
 */
import { Schema, type Connection, type Model } from 'mongoose';
import type { Effect, Request } from '../domain/index.js';
import { nonEmpty } from './chain.js';

export const MAX_REQUEST_PAGE = 50;

export type CardKind = 'approval' | 'status' | 'execution' | 'witness';

/** A card sent about the request, so later versions can update it in place. */
export interface RequestCard {
  messageId: string;
  kind: CardKind;
  /** Whose chat it went to (approval cards: the assignee). */
  holder?: string;
  sentForVersion: number;
  /** The newest version this message is known to show (patched or redrawn); never goes down. */
  shownVersion?: number;
  /** While one instance patches this message, others wait (cards/refresher: never older over newer). */
  patchLockUntil?: Date;
}

export interface StoredRequest {
  /** `${tenantKey}:${request.id}` */
  _id: string;
  tenantKey: string;
  request: Request;
  /** Outbox: effects committed with the state change and not yet executed (see models/outbox.model.ts). */
  pending: (Effect & { nextAt?: Date; attempts?: number; lastError?: string })[];
  /** Effects that failed for good (dead letters), kept for the officer to see and retry. */
  dead?: (Effect & { attempts: number; lastError: string; diedAt: Date })[];
  /** The earliest `nextAt` among `pending` (null when none): what the recovery sweep orders by. */
  nextEffectAt?: Date | null;
  /** Who runs the outbox right now, until when (one runner per request across instances). */
  effectsLease?: { owner: string; until: Date };
  cards: RequestCard[];
  /** open_ids who can decide the current step while IN_APPROVAL, else []. */
  currentAssignees: string[];
  /** Copy of request.state (for the indexes). */
  state: string;
  requesterId: string;
  kind: string;
  updatedAt: Date;
  /**
   * The delivery that created the request (its dedupe key, e.g. `msg:om_…`), when known: the same
   * delivery handled again after a crash finds this request instead of creating a second one.
   */
  sourceKey?: string;
  /** When the requester last nudged (催办) the approvers; at most once per gap (claimNudge). */
  nudgedAt?: Date;
}

/** A second insert of the same request id (a counter or caller bug: ids are never reused). */
export class DuplicateRequestError extends Error {
  constructor(tenantKey: string, id: string) {
    super(`request ${id} already exists in tenant ${tenantKey}`);
    this.name = 'DuplicateRequestError';
  }
}

/** A second insert for the same delivery (`sourceKey`): the caller reads the first with getBySourceKey. */
export class DuplicateSourceKeyError extends Error {
  constructor(
    readonly tenantKey: string,
    readonly sourceKey: string,
  ) {
    super(`a request from delivery ${sourceKey} already exists in tenant ${tenantKey}`);
    this.name = 'DuplicateSourceKeyError';
  }
}

const CARD_KINDS: readonly CardKind[] = ['approval', 'status', 'execution', 'witness'];

export const requestSchema = new Schema(
  {
    _id: { type: String, required: true },
    tenantKey: { type: String, required: true },
    // The workflow object, stored verbatim (the workflow validates it; mongoose must not cast it).
    request: { type: Schema.Types.Mixed, required: true },
    pending: { type: [Schema.Types.Mixed], default: [] },
    dead: { type: [Schema.Types.Mixed], default: undefined },
    nextEffectAt: { type: Date },
    effectsLease: { type: Schema.Types.Mixed },
    cards: {
      type: [
        new Schema(
          {
            messageId: { type: String, required: true },
            kind: { type: String, enum: CARD_KINDS, required: true },
            holder: { type: String },
            sentForVersion: { type: Number, required: true },
          },
          { _id: false },
        ),
      ],
      default: [],
    },
    currentAssignees: { type: [String], default: [] },
    state: { type: String, required: true },
    requesterId: { type: String, required: true },
    kind: { type: String, required: true },
    updatedAt: { type: Date, required: true },
    sourceKey: { type: String },
    nudgedAt: { type: Date },
  },
  // minimize: false keeps empty objects inside the request and the effects (e.g. `params: {}`).
  { versionKey: false, collection: 'requests', minimize: false },
);
// getBySourceKey and insert (idempotent creation: one request per delivery and tenant); partial,
// so requests created without a source key are not indexed and never collide.
requestSchema.index({ tenantKey: 1, sourceKey: 1 }, { name: 'source_key', unique: true, partialFilterExpression: { sourceKey: { $type: 'string' } } });
// listByRequester (/my): a requester's requests, newest first.
requestSchema.index({ tenantKey: 1, requesterId: 1, updatedAt: -1 });
// listAwaiting (/pending): requests whose current step waits for this person (multikey), oldest first.
requestSchema.index({ tenantKey: 1, currentAssignees: 1, updatedAt: 1 });
// The approval centre's 抄送我 tab (handlers/approvals/centre.ts): requests copying this person, newest first.
requestSchema.index({ tenantKey: 1, 'request.cc': 1, updatedAt: -1 }, { name: 'centre_cc', partialFilterExpression: { 'request.cc': { $exists: true } } });
// The approval centre's 我已审批 tab: requests where this person decided a step, newest first (multikey).
requestSchema.index({ tenantKey: 1, 'request.history.actorId': 1, updatedAt: -1 }, { name: 'centre_decided' });
// listByState: e.g. APPROVED requests waiting for the security officer, oldest first.
requestSchema.index({ tenantKey: 1, state: 1, updatedAt: 1 });
// withPending (recovery sweep after a crash, across tenants): partial, so it holds only the few
// requests with unexecuted effects instead of every request ever made; the query repeats the
// partial filter so the planner can use it.
requestSchema.index({ updatedAt: 1 }, { name: 'pending_sweep', partialFilterExpression: { 'pending.key': { $exists: true } } });
// OutboxStore.due (the effect sweep, across tenants): requests whose next effect attempt is due,
// earliest first; partial, so it holds only requests with effects to run.
requestSchema.index({ nextEffectAt: 1 }, { name: 'effects_due', partialFilterExpression: { nextEffectAt: { $type: 'date' } } });
// OutboxStore.listDead (/deadletters): a tenant's requests holding dead letters.
requestSchema.index({ tenantKey: 1, updatedAt: 1 }, { name: 'dead_letters', partialFilterExpression: { 'dead.key': { $exists: true } } });

/**
 * Who can act on the current step: its assignees minus the requester and anyone who decided
 * another step of this round — the same people the workflow asks (machine.ts, askStep).
 */
export function currentAssigneesOf(r: Request): string[] {
  if (r.state !== 'IN_APPROVAL' || r.currentStep === null) return [];
  const step = r.steps[r.currentStep];
  if (!step) return [];
  const decided = new Set(r.steps.map((s) => s.decidedBy).filter(Boolean));
  return [...new Set(step.assignees.filter((id) => id !== r.requesterId && !decided.has(id)))];
}

/**
 * A copy without `undefined` members: the driver would store them as null, and the workflow
 * reads a null `comment` differently from an absent one.
 */
function stripUndefined<T>(v: T): T {
  if (Array.isArray(v)) return v.map((x) => stripUndefined(x)) as T;
  if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = stripUndefined(x);
    return out as T;
  }
  return v;
}

function checkRequest(name: string, r: Request): void {
  if (typeof r !== 'object' || r === null) throw new TypeError(`${name} must be a request`);
  nonEmpty(`${name}.id`, r.id);
  nonEmpty(`${name}.state`, r.state);
  nonEmpty(`${name}.requesterId`, r.requesterId);
  if (!Number.isInteger(r.version) || r.version < 0) throw new TypeError(`${name}.version must be a non-negative integer`);
}

/**
 * Effects must belong to this request; a commit's to the version it writes, an insert's to any
 * version up to the one inserted (a request is created and submitted in one write: v0 and v1).
 */
function checkEffects(requestId: string, version: number, effects: readonly Effect[], upTo = false): Effect[] {
  if (!Array.isArray(effects)) throw new TypeError('effects must be an array');
  for (const e of effects) {
    nonEmpty('effect.key', e?.key);
    if (e.requestId !== requestId || (upTo ? e.version > version || e.version < 0 : e.version !== version)) {
      throw new TypeError(`effect ${e.key} belongs to ${e.requestId} v${e.version}, not ${requestId} v${version}`);
    }
  }
  return effects.map((e) => stripUndefined(e));
}

function limitOf(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_REQUEST_PAGE) throw new RangeError(`limit must be an integer in 1…${MAX_REQUEST_PAGE}`);
  return limit;
}

/** The requests collection's `_id`: request ids repeat across tenants. */
export const requestDocId = (tenantKey: string, requestId: string) => `${tenantKey}:${requestId}`;
const idOf = requestDocId;

/** The one mongoose model of the requests collection, shared by the stores that read and write it. */
export function requestModel(conn: Connection): Model<StoredRequest> {
  return (conn.models.ApprovalRequest as Model<StoredRequest> | undefined) ?? conn.model<StoredRequest>('ApprovalRequest', requestSchema);
}

export class RequestStore {
  private readonly model: Model<StoredRequest>;

  constructor(
    conn: Connection,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.model = requestModel(conn);
  }

  async init(): Promise<void> {
    await this.model.createIndexes();
  }

  /**
   * Stores a new request (e.g. the draft) with its effects; throws DuplicateRequestError if the id
   * is taken, DuplicateSourceKeyError if a request from the same delivery (`sourceKey`) exists.
   */
  async insert(tenantKey: string, request: Request, effects: Effect[], opts: { sourceKey?: string } = {}): Promise<void> {
    nonEmpty('tenantKey', tenantKey);
    checkRequest('request', request);
    if (opts.sourceKey !== undefined) nonEmpty('sourceKey', opts.sourceKey);
    const now = this.now();
    const pending = checkEffects(request.id, request.version, effects, true).map((e) => ({ ...e, nextAt: now }));
    const doc: StoredRequest = {
      _id: idOf(tenantKey, request.id),
      tenantKey,
      request: stripUndefined(request),
      pending,
      ...(pending.length ? { nextEffectAt: now } : {}),
      cards: [],
      currentAssignees: currentAssigneesOf(request),
      state: request.state,
      requesterId: request.requesterId,
      kind: request.kind,
      updatedAt: now,
      ...(opts.sourceKey !== undefined ? { sourceKey: opts.sourceKey } : {}),
    };
    try {
      await this.model.collection.insertOne(doc as never);
    } catch (err) {
      const e = err as { code?: number; keyPattern?: Record<string, unknown> };
      if (e.code === 11000 && opts.sourceKey !== undefined && e.keyPattern && 'sourceKey' in e.keyPattern) throw new DuplicateSourceKeyError(tenantKey, opts.sourceKey);
      if (e.code === 11000) throw new DuplicateRequestError(tenantKey, request.id);
      throw err;
    }
  }

  /** The request created by a delivery (its dedupe key), if any. */
  async getBySourceKey(tenantKey: string, sourceKey: string): Promise<StoredRequest | null> {
    nonEmpty('tenantKey', tenantKey);
    nonEmpty('sourceKey', sourceKey);
    return this.model.findOne({ tenantKey, sourceKey }).lean<StoredRequest>();
  }

  async get(tenantKey: string, id: string): Promise<StoredRequest | null> {
    nonEmpty('tenantKey', tenantKey);
    nonEmpty('id', id);
    return this.model.findOne({ _id: idOf(tenantKey, id), tenantKey }).lean<StoredRequest>();
  }

  /**
   * Writes `after` (the result of a transition from `before`) and queues `effects`, in one
   * guarded findOneAndUpdate. False when the stored request is no longer `before` (another
   * writer won): the caller reloads and retries or reports a stale action.
   */
  async commit(tenantKey: string, before: Request, after: Request, effects: Effect[]): Promise<boolean> {
    nonEmpty('tenantKey', tenantKey);
    checkRequest('before', before);
    checkRequest('after', after);
    if (after.id !== before.id) throw new TypeError(`commit: after.id ${after.id} differs from before.id ${before.id}`);
    if (after.version !== before.version + 1) {
      throw new TypeError(`commit: after.version must be before.version + 1 (${before.version} → ${after.version})`);
    }
    const now = this.now();
    // Every effect is due at once; `nextEffectAt: now` is at most the earliest due attempt among
    // those already waiting (any earlier one is due as well), so the sweep finds this request.
    const pending = checkEffects(after.id, after.version, effects).map((e) => ({ ...e, nextAt: now }));
    const res = await this.model
      .findOneAndUpdate(
        { _id: idOf(tenantKey, before.id), tenantKey, 'request.version': before.version, 'request.state': before.state },
        {
          $set: {
            request: stripUndefined(after),
            state: after.state,
            currentAssignees: currentAssigneesOf(after),
            updatedAt: now,
            ...(pending.length ? { nextEffectAt: now } : {}),
          },
          $push: { pending: { $each: pending } },
        },
        { projection: { _id: 1 } },
      )
      .lean();
    return res !== null;
  }

  /** Drops executed effects from the outbox; keys not there (already completed) are ignored. */
  async completeEffects(tenantKey: string, id: string, keys: string[]): Promise<void> {
    nonEmpty('tenantKey', tenantKey);
    nonEmpty('id', id);
    if (keys.length === 0) return;
    await this.model.updateOne({ _id: idOf(tenantKey, id), tenantKey }, { $pull: { pending: { key: { $in: keys } } } });
  }

  /**
   * Requests of every tenant with unexecuted effects, least recently changed first — for the
   * recovery sweep. `olderThan` skips requests changed since (their handler is likely still
   * executing them).
   */
  async withPending(limit: number, olderThan?: Date): Promise<StoredRequest[]> {
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new RangeError('limit must be an integer in 1…1000');
    return this.model
      .find({ 'pending.key': { $exists: true }, ...(olderThan ? { updatedAt: { $lt: olderThan } } : {}) })
      .sort({ updatedAt: 1 })
      .limit(limit)
      .lean<StoredRequest[]>();
  }

  /**
   * Remembers a card sent about the request; a second call with the same messageId is ignored.
   * Never touches the request, its version or updatedAt: cards are presentation.
   */
  async addCard(tenantKey: string, id: string, card: RequestCard): Promise<void> {
    nonEmpty('tenantKey', tenantKey);
    nonEmpty('id', id);
    nonEmpty('card.messageId', card.messageId);
    if (!CARD_KINDS.includes(card.kind)) throw new TypeError(`unknown card kind ${String(card.kind)}`);
    if (!Number.isInteger(card.sentForVersion)) throw new TypeError('card.sentForVersion must be an integer');
    const stored: RequestCard = { messageId: card.messageId, kind: card.kind, sentForVersion: card.sentForVersion };
    if (card.holder !== undefined) stored.holder = nonEmpty('card.holder', card.holder);
    // The guard makes the push a no-op when the messageId is there ($addToSet would compare
    // whole cards, so a retry with another sentForVersion would add a second entry).
    await this.model.updateOne({ _id: idOf(tenantKey, id), tenantKey, 'cards.messageId': { $ne: card.messageId } }, { $push: { cards: stored } });
  }

  /**
   * Claims a nudge (催办) of a request in approval, at `at`: ONE conditional write, so of several
   * nudges within `gapMs` of each other exactly one wins (never a read-then-write). The request as
   * stored after the claim, or null when it is not in approval or was nudged less than `gapMs` ago.
   */
  async claimNudge(tenantKey: string, id: string, at: Date, gapMs: number): Promise<StoredRequest | null> {
    nonEmpty('tenantKey', tenantKey);
    nonEmpty('id', id);
    const before = new Date(at.getTime() - gapMs);
    return this.model
      .findOneAndUpdate(
        { _id: idOf(tenantKey, id), tenantKey, state: 'IN_APPROVAL', $or: [{ nudgedAt: { $exists: false } }, { nudgedAt: { $lte: before } }] },
        { $set: { nudgedAt: at } },
        { returnDocument: 'after' },
      )
      .lean<StoredRequest>();
  }

  /** A requester's requests, newest first (optionally only in `states`). */
  async listByRequester(tenantKey: string, openId: string, opts: { states?: string[]; limit: number }): Promise<StoredRequest[]> {
    nonEmpty('tenantKey', tenantKey);
    nonEmpty('openId', openId);
    return this.model
      .find({ tenantKey, requesterId: openId, ...(opts.states ? { state: { $in: opts.states } } : {}) })
      .sort({ updatedAt: -1, _id: -1 })
      .limit(limitOf(opts.limit))
      .lean<StoredRequest[]>();
  }

  /** Requests in approval whose current step waits for `openId`, oldest first. */
  async listAwaiting(tenantKey: string, openId: string, opts: { limit: number }): Promise<StoredRequest[]> {
    nonEmpty('tenantKey', tenantKey);
    nonEmpty('openId', openId);
    return this.model.find({ tenantKey, currentAssignees: openId, state: 'IN_APPROVAL' }).sort({ updatedAt: 1, _id: 1 }).limit(limitOf(opts.limit)).lean<StoredRequest[]>();
  }

  /** Requests in any of `states`, oldest first (e.g. APPROVED ones waiting for the security officer). */
  async listByState(tenantKey: string, states: string[], opts: { limit: number }): Promise<StoredRequest[]> {
    nonEmpty('tenantKey', tenantKey);
    if (states.length === 0) return [];
    return this.model
      .find({ tenantKey, state: { $in: states } })
      .sort({ updatedAt: 1, _id: 1 })
      .limit(limitOf(opts.limit))
      .lean<StoredRequest[]>();
  }
}
