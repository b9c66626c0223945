/**
 * The approval centre's lists (审批中心: `/pending`, `/my`): per tab one query on the requests
 * collection, newest first (待我审批 oldest first: the longest waiting on top), paged by skip/limit,
 * and the security office's watch list (督办, issue 8 item 6): carry-outs past their due day and
 * steps waiting more than 24 h, newest problem first.
 *
 * Need to know: every query names the tenant and the viewer (their own requests, the steps waiting
 * for them, what they decided, what was copied to them); the watch list is asked for only after
 * the caller checked the viewer's role.
 */
import type { Model } from 'mongoose';
import { endOfLocalDay, type Request } from '../../domain/index.js';
import { CENTRE_PAGE_SIZE, type CentreTab, type WatchItem } from '../../cards/lists.card.js';
import type { StoredRequest as StoredDoc } from '../../models/request.model.js';

/** A step waits this long before the watch list shows it (the SLA's first reminder, docs/domain.md §6.6). */
export const WATCH_PENDING_MS = 24 * 3_600_000;
/** The watch list looks at most at this many candidate requests (the oldest problems beyond are counted, not shown). */
const WATCH_SCAN = 500;

export interface CentrePage {
  items: Request[];
  total: number;
}

export interface CentreQueries {
  /** One page of a tab (not `watch`) for `viewer`; `officer`: the security office's to-dos count too. */
  page(tenantKey: string, tab: Exclude<CentreTab, 'watch'>, viewer: string, opts: { officer: boolean; page: number; size?: number }): Promise<CentrePage>;
  /** How many rows each tab has (for the tab buttons). */
  counts(tenantKey: string, viewer: string, officer: boolean): Promise<Record<Exclude<CentreTab, 'watch'>, number>>;
  /** The watch list (security office only): newest problem first. */
  watch(tenantKey: string, now: Date, timeZone: string, opts: { page: number; size?: number }): Promise<{ items: WatchItem[]; total: number }>;
}

/** Decisions that put a request on "我已审批" (a transfer is a decision to hand over). */
const DECISIONS = ['approve', 'reject', 'return', 'transfer'];

function filterOf(tab: Exclude<CentreTab, 'watch'>, viewer: string, officer: boolean): Record<string, unknown> {
  switch (tab) {
    case 'todo': {
      const or: Record<string, unknown>[] = [
        { state: 'IN_APPROVAL', currentAssignees: viewer },
        // A destruction witness who has not confirmed yet.
        { state: 'EXECUTED_PENDING_WITNESS', 'request.details.witnesses': viewer, 'request.details.confirmedWitnesses': { $ne: viewer } },
      ];
      // The security office carries approved requests out, receives carriers back and inspects them.
      if (officer) or.push({ state: { $in: ['APPROVED', 'RETURNED'] } }, { state: { $in: ['OUT', 'OVERDUE'] }, 'request.details.returnAnnouncedAt': { $exists: true } });
      return { $or: or };
    }
    case 'done':
      return { 'request.history': { $elemMatch: { actorId: viewer, action: { $in: DECISIONS } } } };
    case 'mine':
      return { requesterId: viewer };
    case 'cc':
      return { 'request.cc': viewer };
  }
}

/** The centre's queries on the requests collection (models/request.model.ts). */
export class CentreStore implements CentreQueries {
  constructor(private readonly model: Model<StoredDoc>) {}

  async page(tenantKey: string, tab: Exclude<CentreTab, 'watch'>, viewer: string, opts: { officer: boolean; page: number; size?: number }): Promise<CentrePage> {
    const size = opts.size ?? CENTRE_PAGE_SIZE;
    const filter = { tenantKey, ...filterOf(tab, viewer, opts.officer) };
    const order = tab === 'todo' ? 1 : -1;
    const [docs, total] = await Promise.all([
      this.model
        .find(filter)
        .sort({ updatedAt: order, _id: order })
        .skip(Math.max(0, opts.page) * size)
        .limit(size)
        .lean<StoredDoc[]>(),
      this.model.countDocuments(filter),
    ]);
    return { items: docs.map((d) => d.request), total };
  }

  async counts(tenantKey: string, viewer: string, officer: boolean): Promise<Record<Exclude<CentreTab, 'watch'>, number>> {
    const tabs = ['todo', 'done', 'mine', 'cc'] as const;
    const n = await Promise.all(tabs.map((t) => this.model.countDocuments({ tenantKey, ...filterOf(t, viewer, officer) })));
    return { todo: n[0]!, done: n[1]!, mine: n[2]!, cc: n[3]! };
  }

  async watch(tenantKey: string, now: Date, timeZone: string, opts: { page: number; size?: number }): Promise<{ items: WatchItem[]; total: number }> {
    const size = opts.size ?? CENTRE_PAGE_SIZE;
    const cutoff = new Date(now.getTime() - WATCH_PENDING_MS).toISOString();
    const today = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
    const docs = await this.model
      .find({
        tenantKey,
        $or: [
          { state: 'OVERDUE' },
          // Past its due day but not marked yet (the overdue sweep runs every minute).
          { state: 'OUT', 'request.details.due': { $lt: today } },
          // A step cannot have waited longer than the request has been submitted.
          { state: 'IN_APPROVAL', 'request.submittedAt': { $lt: cutoff } },
        ],
      })
      .sort({ updatedAt: 1, _id: 1 })
      .limit(WATCH_SCAN)
      .lean<StoredDoc[]>();
    const items = docs.flatMap((d) => watchItem(d.request, now, timeZone, today));
    items.sort((a, b) => (a.since < b.since ? 1 : a.since > b.since ? -1 : a.request.id.localeCompare(b.request.id)));
    const start = Math.max(0, opts.page) * size;
    return { items: items.slice(start, start + size), total: items.length };
  }
}

/** When the current step began waiting: the previous decision, else the submission. */
export function waitingSince(r: Request): string | undefined {
  const k = r.currentStep;
  if (k === null) return undefined;
  return (k > 0 ? r.steps[k - 1]?.decidedAt : undefined) ?? r.submittedAt;
}

/** The request as a problem of the watch list, if it is one now. */
export function watchItem(r: Request, now: Date, timeZone: string, today: string): WatchItem[] {
  if (r.kind === 'CARRY_OUT' && (r.state === 'OVERDUE' || (r.state === 'OUT' && r.details.due < today))) {
    const since = endOfLocalDay(r.details.due, timeZone).toISOString();
    const days = Math.max(1, Math.round((Date.parse(`${today}T00:00:00Z`) - Date.parse(`${r.details.due}T00:00:00Z`)) / 86_400_000));
    return [{ request: r, problem: 'overdue', since, amount: days, who: [r.requesterId] }];
  }
  if (r.state === 'IN_APPROVAL') {
    const since = waitingSince(r);
    const t = since ? Date.parse(since) : Number.NaN;
    if (!Number.isFinite(t) || now.getTime() - t <= WATCH_PENDING_MS) return [];
    const step = r.steps[r.currentStep ?? 0];
    const decided = new Set(r.steps.map((s) => s.decidedBy).filter(Boolean));
    const who = (step?.assignees ?? []).filter((id) => id !== r.requesterId && !decided.has(id));
    return [{ request: r, problem: 'pending', since: since!, amount: Math.floor((now.getTime() - t) / 3_600_000), who }];
  }
  return [];
}
