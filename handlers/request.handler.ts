import { BotError } from '../bot/core/errors.js';
import { dedupeKey } from '../bot/core/middleware.js';
import { actionOf, type Router } from '../bot/core/router.js';
import type { Bi, CardResponse, Context } from '../bot/core/types.js';
import { parseRequestId, type Command, type Kind, type Request, type WorkflowError } from '../domain/index.js';
import { NUDGE_GAP_MS, type ApprovalService } from './approvals/service.js';
import type { People } from './approvals/people.js';
import type { CardKind, CarrierRepo, RequestRepo } from './approvals/ports.js';
import { inputRefusal, parseCreate, parseForm, parseInput, type CompleteValue, type InputName } from './approvals/input.js';
import type { CentreQueries } from './approvals/centre.js';
import { CENTRE_ACTION, CENTRE_PAGE_SIZE, CENTRE_TABS, type CentreTab, type CentreView } from '../cards/lists.card.js';
import { EDIT_FORM_ACTION } from '../cards/request-forms.card.js';
import { canDecideNow, REQUEST_ACTIONS } from '../cards/request.card.js';
import { copyAttestationsError } from './input/index.js';
import { tbFor, type ApprovalCards } from './approvals/render.js';
import { formSubmittedCard } from '../cards/request-forms.card.js';
import { readableParams } from '../cards/readable.js';
import { forReader } from '../cards/reader.js';
import { fmtTime } from '../cards/request.card.js';
import { seesWholeRegister } from './need-to-know.js';

export interface RequestDeps {
  service: ApprovalService;
  people: People;
  requests: RequestRepo;
  carriers: CarrierRepo;
  cards: ApprovalCards;
  /** The approval centre's lists (handlers/approvals/centre.ts CentreStore on the requests collection). */
  centre?: CentreQueries;
}

const KIND_OF: Record<'copy' | 'carry' | 'destroy', Kind> = { copy: 'COPY', carry: 'CARRY_OUT', destroy: 'DESTROY' };
const OPEN_ID = /^ou_[0-9A-Za-z_]+$/;

/**
 * Approval requests in chat: `/copy`, `/carry`, `/destroy` (a form card without arguments), the
 * decisions (`/approve`, `/reject`, `/revise`, `/withdraw`, `/resubmit`), the after-approval steps
 * (`/complete`, `/checkout`, `/return`, `/inspect`, `/witness`), `/my`, `/pending`, and the same
 * actions as card buttons.
 */
export function registerRequests(router: Router, deps: RequestDeps): void {
  const create = (name: 'copy' | 'carry' | 'destroy', aliases: string[]) =>
    router.command({
      name,
      aliases,
      handler: async (ctx) => {
        const args = ctx.command?.args ?? '';
        if (!args) {
          // The form lists carriers to pick (need to know): the security office picks from the
          // whole stock, anybody else from the carriers they hold; the card goes only to them.
          const whole = await seesWholeRegister(deps.people, ctx.tenantKey, ctx.actorId!);
          const inStock = await deps.carriers.list(ctx.tenantKey, { status: 'IN_STOCK', ...(whole ? {} : { custodianId: ctx.actorId! }) }, { limit: 50 });
          // The form is made for the asker (only they may submit it); companions and the people
          // to copy (抄送) are picked from the directory.
          const people = await companionCandidates(ctx, deps);
          const form = deps.cards.form(KIND_OF[name], inStock.items, { owner: ctx.actorId!, people }, ctx.locale);
          await ctx.replyPrivately({ type: 'card', card: form });
          return;
        }
        const parsed = parseCreate(name, args);
        if (!parsed.ok) throw inputRefusal(parsed.error);
        await requireRealPeople(ctx, deps, parsed.value.details, parsed.value.cc);
        // sourceKey: this delivery, so a redelivery after a crash answers with the same request.
        const stored = await deps.service.create(ctx.tenantKey, {
          kind: KIND_OF[name],
          requesterId: ctx.actorId!,
          ...parsed.value,
          channel: 'command',
          sourceKey: dedupeKey(ctx.event),
        });
        await ctx.reply({ type: 'text', text: ctx.t('request:created', { id: stored.request.id }) });
      },
    });
  create('copy', ['复制', '复印']);
  create('carry', ['外携', '携带外出']);
  create('destroy', ['销毁']);

  for (const name of ['copy', 'carry', 'destroy'] as const) {
    router.action(`form.${name}`, async (ctx) => {
      const e = ctx.event;
      if (e.kind !== 'card_action') return;
      // The router refuses anybody but the form's owner; a form without one is from before owners.
      if (!actionOf(ctx).owner) throw new BotError('people:stale_form');
      // One submission per form: the form's nonce (one per rendered form, in the submit button's
      // value) is the request's idempotency key, so submitting the same form again — a second click,
      // another device — answers with the request it already created.
      const a = actionOf(ctx);
      const sourceKey = `form:${a.owner}:${a.nonce}`;
      const kind = KIND_OF[name];
      const existing = await deps.requests.getBySourceKey(ctx.tenantKey, sourceKey);
      if (existing) {
        const id = existing.request.id;
        ctx.ack({
          toast: toast('info', ctx.tb('request:already_submitted', { id })),
          card: { type: 'raw', data: forReader(formSubmittedCard(kind, id, tbFor(ctx.locale)), ctx.locale) },
        });
        return;
      }
      const parsed = parseCreate(name, e.action.formValue ?? {});
      if (!parsed.ok) throw inputRefusal(parsed.error);
      await requireRealPeople(ctx, deps, parsed.value.details, parsed.value.cc);
      const stored = await deps.service.create(ctx.tenantKey, {
        kind,
        requesterId: ctx.actorId!,
        ...parsed.value,
        channel: 'card',
        sourceKey,
      });
      // The answer replaces the form by a read-only "submitted as …" card.
      const id = stored.request.id;
      ctx.ack({ toast: toast('success', ctx.tb('request:created', { id })), card: { type: 'raw', data: forReader(formSubmittedCard(kind, id, tbFor(ctx.locale)), ctx.locale) } });
    });
  }

  // Edit and resubmit: the pre-filled form of a returned request resubmits it with the changes.
  router.action(EDIT_FORM_ACTION, async (ctx) => {
    const e = ctx.event;
    const a = actionOf(ctx);
    if (e.kind !== 'card_action' || !a.owner || !a.requestId) throw new BotError('errors:bad_action');
    const id = normaliseId(a.requestId);
    const stored = await load(ctx, deps, id);
    const r = stored.request;
    const done = { type: 'raw' as const, data: forReader(formSubmittedCard(r.kind, id, tbFor(ctx.locale)), ctx.locale) };
    // The same form submitted again (a second click, another device): already resubmitted.
    if (a.version !== undefined && r.version > a.version) {
      const mine = r.history.slice(a.version + 1).some((h) => h.actorId === ctx.actorId && h.action === 'resubmit');
      ctx.ack(
        mine
          ? { toast: toast('info', ctx.tb('request:already_done', { id })), card: done }
          : { toast: toast('warning', ctx.tb('workflow:workflow.stale_card', { version: r.version })) },
      );
      return;
    }
    const name = r.kind === 'COPY' ? 'copy' : r.kind === 'CARRY_OUT' ? 'carry' : 'destroy';
    const parsed = parseForm(name, e.action.formValue ?? {});
    if (!parsed.ok) throw inputRefusal(parsed.error);
    await requireRealPeople(ctx, deps, parsed.value.details);
    const result = await deps.service.resubmitEdited(ctx.tenantKey, id, ctx.actorId!, parsed.value, 'card');
    if (!result.ok) {
      ctx.ack({ toast: toast('warning', await explain(ctx, deps, result.error)) });
      await result.done;
      return;
    }
    ctx.ack({ toast: toast('success', ctx.tb('request:done.resubmit', { id })), card: done });
    await result.done;
  });

  // ---- decisions by text ---------------------------------------------------------------------
  const decide = (name: string, aliases: string[], build: (rest: string) => Command, needsText?: string) =>
    router.command({
      name,
      aliases,
      handler: async (ctx) => {
        const { id, rest } = splitId(ctx.command?.args ?? '');
        if (needsText && !rest) throw new BotError('request:needs_reason', { command: `/${name}` });
        await act(ctx, deps, id, build(rest));
      },
    });
  decide('approve', ['同意', '批准'], (rest) => ({ type: 'approve', ...(rest ? { comment: rest } : {}) }));
  decide('reject', ['驳回', '拒绝'], (rest) => ({ type: 'reject', reason: rest }), 'reason');
  decide('revise', ['退回', '退回修改'], (rest) => ({ type: 'return', reason: rest }), 'reason');
  decide('withdraw', ['撤回'], (rest) => ({ type: 'withdraw', ...(rest ? { reason: rest } : {}) }));

  // `/transfer <id> <@person> [reason]` (转交): the current step's assignee hands it over.
  router.command({
    name: 'transfer',
    aliases: ['转交'],
    handler: async (ctx) => {
      const { id, rest } = splitId(ctx.command?.args ?? '');
      const m = /^@?(ou_[A-Za-z0-9_]+)\s*([\s\S]*)$/.exec(rest);
      if (!m) throw new BotError('request:transfer.usage');
      await deps.people.requireReal(ctx.tenantKey, [m[1]!], 'transferee');
      await act(ctx, deps, id, { type: 'transfer', to: m[1]!, ...(m[2]!.trim() ? { reason: m[2]!.trim() } : {}) });
    },
  });
  decide('checkout', ['外出登记', '取出'], () => ({ type: 'check_out' }));
  decide('witness', ['监销确认', '确认监销'], () => ({ type: 'confirm_witness' }));

  // `/return`: the carrier person announces that the carriers are back; a security officer
  // confirms receiving them (the same command, or the Confirm-receipt button on their card).
  router.command({
    name: 'return',
    aliases: ['归还'],
    handler: async (ctx) => {
      const { id } = splitId(ctx.command?.args ?? '');
      const stored = await load(ctx, deps, id);
      const announce = stored.request.requesterId === ctx.actorId;
      await act(ctx, deps, id, { type: announce ? 'announce_return' : 'return_carrier' });
    },
  });

  router.command({
    name: 'resubmit',
    aliases: ['重新提交'],
    handler: async (ctx) => {
      const { id, rest } = splitId(ctx.command?.args ?? '');
      const stored = await load(ctx, deps, id);
      const kind = stored.request.kind;
      let patch: Record<string, unknown> | undefined;
      if (rest) {
        const parsed = parseInput(kind === 'COPY' ? 'copy' : kind === 'CARRY_OUT' ? 'carry' : 'destroy', rest, { partial: true });
        if (!parsed.ok) throw inputRefusal(parsed.error);
        await requireRealPeople(ctx, deps, parsed.value.details);
        patch = { details: parsed.value.details };
      }
      await act(ctx, deps, id, { type: 'resubmit', ...(patch ? { patch } : {}) });
    },
  });

  router.command({
    name: 'inspect',
    aliases: ['检查'],
    handler: async (ctx) => {
      const { id, rest } = splitId(ctx.command?.args ?? '');
      const parsed = parseInput('inspect', rest);
      if (!parsed.ok) throw inputRefusal(parsed.error);
      await act(ctx, deps, id, { type: 'inspect', ok: parsed.value.ok, ...(parsed.value.note ? { note: parsed.value.note } : {}) });
    },
  });

  router.command({
    name: 'complete',
    aliases: ['完成', '登记执行'],
    handler: async (ctx) => {
      const { id, rest } = splitId(ctx.command?.args ?? '');
      const stored = await load(ctx, deps, id);
      const parsed = parseInput('complete', rest);
      if (!parsed.ok) throw inputRefusal(parsed.error);
      const v = parsed.value;
      let command: Command;
      switch (stored.request.kind) {
        case 'COPY':
          command = copyCompletion(ctx, v);
          break;
        case 'DESTROY':
          if (!v.witnesses?.length) throw new BotError('input:input.missing_field', { field: ctx.t('input:field.witnesses') });
          await deps.people.requireReal(ctx.tenantKey, v.witnesses, 'witnesses');
          command = { type: 'record_destruction', witnesses: v.witnesses, ...(v.date ? { date: v.date } : {}) };
          break;
        case 'CARRY_OUT':
          command = { type: 'inspect', ok: true };
          break;
      }
      await act(ctx, deps, id, command);
    },
  });

  // `/nudge <id>` (催办): the requester reminds the current approvers, once every 4 hours.
  router.command({
    name: 'nudge',
    aliases: ['催办'],
    handler: async (ctx) => {
      const { id } = splitId(ctx.command?.args ?? '');
      const done = await nudge(ctx, deps, normaliseId(id));
      await ctx.reply({ type: 'text', text: ctx.t('request:nudge.done', { id: normaliseId(id), count: done.to.length }) });
    },
  });

  // ---- the approval centre (审批中心) ----------------------------------------------------------
  // `/pending` opens it on 待我审批, `/my` on 我发起的; its tab and page buttons redraw it in place.
  const centreCommand = (name: string, aliases: string[], tab: CentreTab) =>
    router.command({
      name,
      private: true,
      aliases,
      handler: async (ctx) => {
        await ctx.reply({ type: 'card', card: await centre(ctx, deps, tab, 0) });
      },
    });
  centreCommand('my', ['我的', '我发起的'], 'mine');
  centreCommand('pending', ['待办', '审批中心', '待我审批'], 'todo');

  router.action(CENTRE_ACTION, async (ctx) => {
    const a = actionOf(ctx);
    // Made for one reader (the router refuses anyone else); a card without a reader is not ours.
    if (!a.owner) throw new BotError('errors:bad_action');
    const tab = CENTRE_TABS.find((t) => t === a.extra?.t) ?? 'todo';
    const page = typeof a.extra?.p === 'number' && Number.isInteger(a.extra.p) && a.extra.p >= 0 && a.extra.p < 10_000 ? a.extra.p : 0;
    ctx.ack({ card: { type: 'raw', data: await centre(ctx, deps, tab, page) } });
  });

  // ---- the same actions on cards ---------------------------------------------------------------
  router.action('req.', async (ctx) => {
    const a = actionOf(ctx);
    const e = ctx.event;
    if (e.kind !== 'card_action' || !a.requestId) throw new BotError('errors:bad_action');
    if (a.action === 'req.nudge') {
      const id = normaliseId(a.requestId);
      const done = await nudge(ctx, deps, id);
      // The clicked status card is redrawn saying when the next nudge is possible.
      const stored = await deps.requests.get(ctx.tenantKey, id);
      const holder = stored?.cards.find((c) => c.messageId === e.messageId);
      const card = stored && holder ? await deps.cards.statusAfterNudge(ctx.tenantKey, stored.request, ctx.actorId!, done.nextAt) : undefined;
      ctx.ack({ toast: toast('success', ctx.tb('request:nudge.done', { id, count: done.to.length })), ...(card ? { card: { type: 'raw', data: card } } : {}) });
      return;
    }
    const form = e.action.formValue ?? {};
    const text = (k: string) => (typeof form[k] === 'string' ? (form[k] as string).trim() : '');
    const step = typeof a.extra?.s === 'number' ? a.extra.s : undefined;
    const guard = { ...(a.version !== undefined ? { version: a.version } : {}), ...(step !== undefined ? { stepIndex: step } : {}) };
    if (a.action === REQUEST_ACTIONS.transferOpen || a.action === REQUEST_ACTIONS.transferCancel) {
      await transferForm(ctx, deps, normaliseId(a.requestId), a.action === REQUEST_ACTIONS.transferOpen, a.version);
      return;
    }
    if (a.action === REQUEST_ACTIONS.edit) {
      await sendEditForm(ctx, deps, normaliseId(a.requestId));
      return;
    }
    let command: Command;
    switch (a.action) {
      case REQUEST_ACTIONS.transfer: {
        const to = Array.isArray(form.to) ? form.to[0] : form.to;
        if (typeof to !== 'string' || !to.trim()) throw new BotError('request:transfer.pick');
        await deps.people.requireReal(ctx.tenantKey, [to.trim()], 'transferee');
        command = { type: 'transfer', to: to.trim(), ...(text('reason') ? { reason: text('reason') } : {}), ...guard };
        break;
      }
      case 'req.approve':
        command = { type: 'approve', ...(text('comment') ? { comment: text('comment') } : {}), ...guard };
        break;
      case 'req.reject':
      case 'req.return':
        if (!text('comment')) throw new BotError('request:needs_reason_card');
        command = { type: a.action === 'req.reject' ? 'reject' : 'return', reason: text('comment'), ...guard };
        break;
      case 'req.withdraw':
        command = { type: 'withdraw' };
        break;
      case 'req.resubmit':
        command = { type: 'resubmit' };
        break;
      case 'req.check_out':
        command = { type: 'check_out' };
        break;
      case 'req.receive':
        command = { type: 'return_carrier' };
        break;
      case 'req.confirm_witness':
        command = { type: 'confirm_witness' };
        break;
      case 'req.inspect_ok':
      case 'req.inspect_fail':
        command = { type: 'inspect', ok: a.action === 'req.inspect_ok', ...(text('note') ? { note: text('note') } : {}) };
        break;
      case 'req.complete_copy': {
        const parsed = parseForm('complete', form);
        if (!parsed.ok) throw inputRefusal(parsed.error);
        command = copyCompletion(ctx, parsed.value);
        break;
      }
      case 'req.record_destruction': {
        const parsed = parseForm('complete', form);
        if (!parsed.ok) throw inputRefusal(parsed.error);
        if (!parsed.value.witnesses?.length) throw new BotError('input:input.missing_field', { field: ctx.t('input:field.witnesses') });
        await deps.people.requireReal(ctx.tenantKey, parsed.value.witnesses, 'witnesses');
        command = { type: 'record_destruction', witnesses: parsed.value.witnesses, ...(parsed.value.date ? { date: parsed.value.date } : {}) };
        break;
      }
      default:
        throw new BotError('errors:bad_action');
    }
    await act(ctx, deps, a.requestId, command, e.messageId, a.version);
  });
}

/**
 * A copy's execution from a command or the card's form: the copies made and the three supervision
 * attestations (原稿收回、废页清点回收、设备数据清除), each stated yes or no — none is assumed, and
 * the answer names every one that is missing.
 */
function copyCompletion(ctx: Context, v: CompleteValue): Extract<Command, { type: 'complete_copy' }> {
  if (v.copiesMade === undefined) throw new BotError('input:input.missing_field', { field: ctx.t('input:field.copies_made') });
  const { originalsReturned, wasteRecovered, deviceWiped } = v;
  if (typeof originalsReturned !== 'boolean' || typeof wasteRecovered !== 'boolean' || typeof deviceWiped !== 'boolean') {
    throw inputRefusal(copyAttestationsError({ originals_returned: originalsReturned, waste_recovered: wasteRecovered, device_wiped: deviceWiped })!);
  }
  return { type: 'complete_copy', copiesMade: v.copiesMade, originalsReturned, wasteRecovered, deviceWiped };
}

/** Companions and the people copied (typed, @-mentioned or picked) must be active directory users. */
async function requireRealPeople(ctx: Context, deps: RequestDeps, details: Record<string, unknown>, cc?: readonly string[]): Promise<void> {
  const companions = details.companions;
  if (Array.isArray(companions) && companions.length) await deps.people.requireReal(ctx.tenantKey, companions as string[], 'companions');
  if (cc?.length) await deps.people.requireReal(ctx.tenantKey, cc, 'cc');
}

/** Is the reader of the security office (the centre's 督办 tab, the office's to-dos)? */
async function isOffice(deps: RequestDeps, tenantKey: string, openId: string): Promise<boolean> {
  const [officer, head] = await Promise.all([deps.people.hasRole(tenantKey, openId, 'security_officer'), deps.people.hasRole(tenantKey, openId, 'security_head')]);
  return officer || head;
}

/** The approval centre for the asker, on `tab` and `page` (the watch tab only for the security office). */
async function centre(ctx: Context, deps: RequestDeps, wanted: CentreTab, page: number) {
  const viewer = ctx.actorId!;
  const q = deps.centre;
  if (!q) throw new Error('the approval centre is not wired (RequestDeps.centre)');
  const officer = await isOffice(deps, ctx.tenantKey, viewer);
  const executes = await deps.people.hasRole(ctx.tenantKey, viewer, 'security_officer');
  const tab: CentreTab = wanted === 'watch' && !officer ? 'todo' : wanted;
  const counts = await q.counts(ctx.tenantKey, viewer, executes);
  let view: CentreView;
  if (tab === 'watch') {
    const w = await q.watch(ctx.tenantKey, deps.service.clock(), ctx.services.timezone, { page, size: CENTRE_PAGE_SIZE });
    view = { tab, page, total: w.total, rows: [], watch: w.items, counts, viewer, officer };
  } else {
    const p = await q.page(ctx.tenantKey, tab, viewer, { officer: executes, page, size: CENTRE_PAGE_SIZE });
    view = { tab, page, total: p.total, rows: p.items, counts, viewer, officer };
  }
  return deps.cards.centre(ctx.tenantKey, view, ctx.locale);
}

/**
 * The Transfer button on an approver's card opens the transfer form in the card (the click's
 * answer redraws it); Cancel closes it. Only for the person who can decide the step now.
 */
async function transferForm(ctx: Context, deps: RequestDeps, id: string, open: boolean, version: number | undefined): Promise<void> {
  const e = ctx.event;
  if (e.kind !== 'card_action') return;
  const stored = await load(ctx, deps, id);
  const r = stored.request;
  const holder = stored.cards.find((c) => c.messageId === e.messageId && c.kind === 'approval');
  const fresh = holder ? await deps.cards.renderFresh(ctx.tenantKey, 'approval', r, holder.holder) : undefined;
  if (!canDecideNow(r, ctx.actorId!) || (version !== undefined && version !== r.version) || (holder?.holder !== undefined && holder.holder !== ctx.actorId)) {
    ctx.ack({ toast: toast('warning', ctx.tb('request:transfer.not_now', { id })), ...(fresh ? { card: { type: 'raw', data: fresh } } : {}) });
    return;
  }
  if (!open) {
    ctx.ack(fresh ? { card: { type: 'raw', data: fresh } } : {});
    return;
  }
  const candidates = await deps.people.transferCandidates(ctx.tenantKey, r, r.currentStep!);
  const card = await deps.cards.approvalWithTransfer(ctx.tenantKey, r, ctx.actorId!, candidates);
  ctx.ack({ card: { type: 'raw', data: card } });
}

/**
 * Edit and resubmit: the requester of a request returned for edit gets the request form pre-filled
 * with the request as it is; submitting it resubmits with the changes (a new round).
 */
async function sendEditForm(ctx: Context, deps: RequestDeps, id: string): Promise<void> {
  const stored = await load(ctx, deps, id);
  const r = stored.request;
  if (r.requesterId !== ctx.actorId) throw new BotError('workflow:workflow.not_requester');
  if (r.state !== 'DRAFT' || !(r.round > 0)) throw new BotError('request:edit.not_returned', { id });
  const whole = await seesWholeRegister(deps.people, ctx.tenantKey, ctx.actorId!);
  const inStock = await deps.carriers.list(ctx.tenantKey, { status: 'IN_STOCK', ...(whole ? {} : { custodianId: ctx.actorId! }) }, { limit: 50 });
  const own = await deps.carriers.getMany(
    ctx.tenantKey,
    r.carriers.map((c) => c.number),
  );
  const offered = [...own, ...inStock.items.filter((c) => !own.some((o) => o.number === c.number))];
  const companions = r.kind === 'CARRY_OUT' ? r.details.companions : [];
  const people = [...new Set([...companions, ...(await companionCandidates(ctx, deps))])];
  const form = deps.cards.editForm(r, offered, { owner: ctx.actorId!, people }, ctx.locale);
  await ctx.replyPrivately({ type: 'card', card: form });
  ctx.ack({ toast: toast('info', ctx.tb('request:edit.sent', { id })) });
}

/** Who the carry-out form offers as companions: active colleagues, the asker's department first. */
async function companionCandidates(ctx: Context, deps: RequestDeps): Promise<string[]> {
  const dept = await deps.people.deptOf(ctx.tenantKey, ctx.actorId!);
  return deps.people.candidates(ctx.tenantKey, { exclude: [ctx.actorId!], ...(dept ? { preferDept: dept } : {}) });
}

/**
 * Runs a command and answers: a click gets a toast and its card redrawn at once (the other holders'
 * cards follow through the refresh effect); a text command gets a sentence.
 */
async function act(ctx: Context, deps: RequestDeps, id: string, command: Command, messageId?: string, clickedVersion?: number): Promise<void> {
  const canonical = normaliseId(id);
  const channel = ctx.event.kind === 'card_action' ? 'card' : 'command';
  // The clicked card is redrawn by the callback answer below, not patched (Lark locks it: 11310).
  const opts = messageId ? { redrawnMessageId: messageId } : {};
  const result =
    command.type === 'transfer'
      ? await deps.service.transfer(ctx.tenantKey, canonical, ctx.actorId!, command, channel, opts)
      : await deps.service.act(ctx.tenantKey, canonical, command, ctx.actorId!, channel, opts);
  if (ctx.event.kind === 'card_action') {
    // Answer the click at once with the clicked card redrawn; the other holders' cards, the
    // ledgers and the notifications follow from the effects.
    const holderCard = messageId ? result.stored.cards.find((c) => c.messageId === messageId) : undefined;
    const card = holderCard ? await deps.cards.renderFresh(ctx.tenantKey, holderCard.kind as CardKind, result.stored.request, holderCard.holder) : undefined;
    const response: CardResponse = result.ok
      ? { toast: toast('success', ctx.tb(`request:done.${command.type}`, { id: canonical })) }
      : alreadyDoneByClicker(result.stored.request, command, ctx.actorId, clickedVersion)
        ? { toast: toast('info', ctx.tb('request:already_done', { id: canonical })) }
        : { toast: toast('warning', await explain(ctx, deps, result.error)) };
    if (card) response.card = { type: 'raw', data: card };
    ctx.ack(response);
    await result.done;
    return;
  }
  await result.done;
  if (!result.ok) {
    const both = await explain(ctx, deps, result.error);
    await ctx.reply({ type: 'text', text: ctx.locale === 'en-US' ? both.en : both.zh });
    return;
  }
  await ctx.reply({ type: 'text', text: ctx.t(`request:done.${command.type}`, { id: canonical }) });
}

/**
 * A second click of the same card version whose first click went through (a double click): since
 * the clicked version, this person did this very command.
 */
function alreadyDoneByClicker(request: Request, command: Command, actorId: string | undefined, clickedVersion: number | undefined): boolean {
  if (clickedVersion === undefined || !actorId || request.version <= clickedVersion) return false;
  // A decision clicked twice already answers "decided by you at …" (workflow.already_decided).
  if (command.type === 'approve' || command.type === 'reject' || command.type === 'return') return false;
  // history[v] is the entry that produced version v (the draft is version 0, history[0]).
  return request.history.slice(clickedVersion + 1).some((h) => h.actorId === actorId && h.action === command.type);
}

/** Nudges the approvers of request `id`; a refusal (not yours, not in approval, too soon) is thrown, localised. */
async function nudge(ctx: Context, deps: RequestDeps, id: string): Promise<{ to: string[]; nextAt: string }> {
  const channel = ctx.event.kind === 'card_action' ? 'card' : 'command';
  const r = await deps.service.nudge(ctx.tenantKey, id, ctx.actorId!, channel);
  if (r.ok) return { to: r.to, nextAt: new Date(ctx.services.now().getTime() + NUDGE_GAP_MS).toISOString() };
  if (r.reason === 'too_soon') throw new BotError('request:nudge.too_soon', { id, at: fmtTime(r.nextAt, ctx.services.timezone) });
  throw new BotError(`request:nudge.${r.reason}`, { id });
}

/**
 * A workflow refusal in both languages, readable: people by name (the reader as "you"), times in
 * the unit's zone as `YYYY-MM-DD HH:mm`, never an ISO/UTC timestamp.
 */
async function explain(ctx: Context, deps: RequestDeps, error: WorkflowError): Promise<Bi> {
  const params: Record<string, string | number> = { ...(error.params ?? {}) };
  const ids = Object.values(params).filter((v): v is string => typeof v === 'string' && OPEN_ID.test(v) && v !== ctx.actorId);
  const names = await deps.people.names(ctx.tenantKey, ids);
  const { zh, en } = readableParams(params, { timeZone: ctx.services.timezone, names, you: ctx.tb('common:you'), ...(ctx.actorId ? { reader: ctx.actorId } : {}) });
  return { zh: ctx.tb(`workflow:${error.code}`, zh).zh, en: ctx.tb(`workflow:${error.code}`, en).en };
}

async function load(ctx: Context, deps: RequestDeps, id: string) {
  const stored = await deps.requests.get(ctx.tenantKey, normaliseId(id));
  if (!stored) throw new BotError('request:not_found', { id });
  return stored;
}

function splitId(args: string): { id: string; rest: string } {
  const m = /^(\S+)\s*([\s\S]*)$/.exec(args.trim());
  if (!m) throw new BotError('request:needs_id');
  return { id: m[1]!, rest: m[2]!.trim() };
}

function normaliseId(id: string): string {
  const parsed = parseRequestId(id);
  if (!parsed) throw new BotError('request:bad_id', { id });
  return parsed.id;
}

function toast(type: 'success' | 'warning' | 'error' | 'info', text: Bi) {
  return { type, content: text.zh, i18n: { zh_cn: text.zh, en_us: text.en } };
}

export type { InputName };
