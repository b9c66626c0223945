import { describe, expect, it } from 'vitest';
import { decodeAction } from '../../cards/action-value.js';
import type { Bi } from '../../cards/builder.js';
import { CARD_LIMITS, validateCard } from '../../cards/card.schema.js';
import type { Card } from '../../cards/card.types.js';
import { carrierCard, carrierListCard, type CarrierView } from '../../cards/carrier.card.js';
import { myRequestsCard, pendingCard } from '../../cards/lists.card.js';
import { FORM_ACTIONS, FORM_FIELDS, carryFormCard, copyFormCard, destroyFormCard, type FormCarrier } from '../../cards/request-forms.card.js';
import { LEVEL_COLORS, REQUEST_ACTIONS, approvalCard, esc, executionCard, fmtTime, statusCard, witnessCard, type ExecutionCardOptions } from '../../cards/request.card.js';
import { bilingual, getI18n, loadResources } from '../../locales/index.js';
import { COMMAND_RULES, LEVELS, type CarrierRef, type CommandType, type Kind, type Level, type Request } from '../../domain/index.js';
import { P, T0, approved, carrier, currentApprover, days, draft, hours, policy, step, submitted } from '../domain/helpers.js';

// ---- fixtures -----------------------------------------------------------------------------------

const KNOWN: Record<string, Bi> = {
  ou_req: { zh: '张三', en: 'Zhang San' },
  ou_dh: { zh: '李四', en: 'Li Si' },
  ou_so1: { zh: '王五', en: 'Wang Wu' },
  ou_ld: { zh: '赵六', en: 'Zhao Liu' },
};
const names = (id: string): Bi => KNOWN[id] ?? { zh: id, en: id };

/** The real translator, recording every key a card asks for so a missing text fails a test. */
const missing = new Set<string>();
const i18n = getI18n();
const tb = (key: string, params?: Record<string, unknown>): Bi => {
  const [ns, path] = key.split(':') as [string, string];
  // Read the resources directly: exists() would answer from the fallback language.
  for (const lng of ['zh-CN', 'en-US']) if (typeof i18n.getResource(lng, ns, path) !== 'string') missing.add(`${lng}/${key}`);
  return bilingual(key, params);
};

const NOW = days(1);
const opts = { tb, names, now: NOW };

const long = (n: number, unit = '密') => unit.repeat(n);
const OPEN_IDS = Array.from({ length: 10 }, (_, i) => `ou_${'0123456789abcdef'.repeat(2)}${i}`);

/** 20 carriers with every field at its legal maximum. */
function bigCarriers(level: Level, count = 20): CarrierRef[] {
  return Array.from({ length: count }, (_, i) =>
    carrier(`JM-${String(i).padStart(3, '0')}-${'X'.repeat(56)}`, level, {
      alias: `别名<at id=all></at>**${long(90)}`.slice(0, 100),
      carrierType: long(32, '纸'),
      period: long(32, '年'),
      pagesOrCapacity: long(32, '页'),
      copyRestricted: i % 2 === 0,
      mustReturnToIssuer: false,
    }),
  );
}

function bigDetails(kind: Kind): Record<string, unknown> {
  switch (kind) {
    case 'COPY':
      return { copies: 100, purpose: long(200, '用'), place: long(100, '地'), pages: 100_000, method: '复印', ref: long(100, '号') };
    case 'CARRY_OUT':
      return { destination: long(100, '地'), purpose: long(200, '用'), companions: OPEN_IDS };
    case 'DESTROY':
      return { reason: long(200, '因'), site: long(100, '地'), witnesses: OPEN_IDS };
  }
}

const C500 = long(500, '意');

interface Case {
  name: string;
  req: Request;
}

/** Realistic requests of a kind and level through the machine: one per interesting state. */
function lifecycle(kind: Kind, level: Level, big = false): Case[] {
  const over = big ? { carriers: bigCarriers(level), details: bigDetails(kind) } : {};
  const comment = big ? C500 : '同意，请按规定登记';
  const out: Case[] = [];
  const sub = submitted(kind, level, over);
  out.push({ name: 'IN_APPROVAL step 1', req: sub });
  const one = step(sub, { type: 'approve', comment }, currentApprover(sub), hours(1));
  if (one.state === 'IN_APPROVAL') out.push({ name: 'IN_APPROVAL step 2', req: one });
  let all = sub;
  while (all.state === 'IN_APPROVAL') all = step(all, { type: 'approve', comment }, currentApprover(all), hours(2));
  out.push({ name: 'APPROVED', req: all });
  out.push({
    name: 'REJECTED',
    req: step(one.state === 'IN_APPROVAL' ? one : sub, { type: 'reject', reason: big ? C500 : '用途不明确' }, currentApprover(one.state === 'IN_APPROVAL' ? one : sub), hours(3)),
  });
  out.push({ name: 'DRAFT (returned)', req: step(sub, { type: 'return', reason: big ? C500 : '请补充页数' }, currentApprover(sub), hours(3)) });
  out.push({ name: 'WITHDRAWN', req: step(sub, { type: 'withdraw', reason: big ? C500 : '不再需要' }, P.req, hours(3)) });
  out.push({ name: 'EXPIRED', req: step(all, { type: 'expire' }, P.system, days(30)) });
  if (kind === 'COPY') {
    out.push({
      name: 'CLOSED',
      req: step(all, { type: 'complete_copy', copiesMade: big ? 100 : 2, originalsReturned: true, wasteRecovered: !big, deviceWiped: true }, P.so3, hours(4)),
    });
  }
  if (kind === 'CARRY_OUT') {
    const out1 = step(all, { type: 'check_out' }, P.so3, hours(3));
    out.push({ name: 'OUT', req: out1 });
    const overdue = step(out1, { type: 'mark_overdue' }, P.system, days(3));
    out.push({ name: 'OVERDUE', req: overdue });
    const announced = step(overdue, { type: 'announce_return' }, P.req, days(4));
    out.push({ name: 'OVERDUE (return announced)', req: announced });
    const back = step(announced, { type: 'return_carrier' }, P.so1, days(4));
    out.push({ name: 'RETURNED', req: back });
    out.push({ name: 'CLOSED (ok)', req: step(back, { type: 'inspect', ok: true }, P.so3, days(4)) });
    out.push({ name: 'CLOSED (failed)', req: step(back, { type: 'inspect', ok: false, note: big ? C500 : '封条破损' }, P.so3, days(4)) });
  }
  if (kind === 'DESTROY') {
    const exec = step(all, { type: 'record_destruction', witnesses: [P.w1.id, P.w2.id] }, P.so3, hours(3));
    out.push({ name: 'EXECUTED_PENDING_WITNESS', req: exec });
    const half = step(exec, { type: 'confirm_witness' }, P.w1, hours(4));
    out.push({ name: 'EXECUTED_PENDING_WITNESS (1/2)', req: half });
    out.push({ name: 'CLOSED', req: step(half, { type: 'confirm_witness' }, P.w2, hours(5)) });
  }
  return out;
}

const KINDS: Kind[] = ['COPY', 'CARRY_OUT', 'DESTROY'];

type CardFn = 'approval' | 'status' | 'execution' | 'witness';
function render(fn: CardFn, req: Request, extra: Partial<ExecutionCardOptions> = {}): Card {
  switch (fn) {
    case 'approval':
      return approvalCard(req, { ...opts, ...extra });
    case 'status':
      return statusCard(req, { ...opts, ...extra });
    case 'execution':
      return executionCard(req, { ...opts, ...extra });
    case 'witness':
      return witnessCard(req, P.w2.id, { ...opts, ...extra });
  }
}

// ---- card walkers -------------------------------------------------------------------------------

type Node = Record<string, unknown>;
function walk(node: unknown, visit: (n: Node) => void): void {
  if (Array.isArray(node)) node.forEach((x) => walk(x, visit));
  else if (node && typeof node === 'object') {
    visit(node as Node);
    Object.values(node).forEach((v) => walk(v, visit));
  }
}

function buttons(c: Card): Node[] {
  const out: Node[] = [];
  walk(c.body, (n) => {
    if (n.tag === 'button') out.push(n);
  });
  return out;
}

function callbackValue(b: Node): unknown {
  const behaviors = b.behaviors as { type: string; value?: unknown }[] | undefined;
  return behaviors?.find((x) => x.type === 'callback')?.value;
}

function decodedActions(c: Card) {
  return buttons(c).map((b) => {
    const d = decodeAction(callbackValue(b));
    if (!d.ok) throw new Error(`button ${String(b.name)} does not decode: ${d.reason}`);
    return d;
  });
}

function fields(c: Card): Node[] {
  const out: Node[] = [];
  walk(c.body, (n) => {
    if (['input', 'select_static', 'multi_select_static', 'select_person', 'multi_select_person', 'date_picker'].includes(String(n.tag))) out.push(n);
  });
  return out;
}

function i18nMaps(c: Card): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  walk(c, (n) => {
    if (n.i18n_content && typeof n.i18n_content === 'object') out.push(n.i18n_content as Record<string, unknown>);
  });
  return out;
}

/** Markdown contents (fallback + both languages). */
function markdowns(c: Card): string[] {
  const out: string[] = [];
  walk(c.body, (n) => {
    if (n.tag === 'markdown') {
      out.push(String(n.content));
      const m = n.i18n_content as Record<string, string> | undefined;
      if (m) out.push(...Object.values(m));
    }
  });
  return out;
}

const bytes = (c: unknown) => new TextEncoder().encode(JSON.stringify(c)).length;
const json = (c: unknown) => JSON.stringify(c);

function expectValid(c: Card, label: string): void {
  const v = validateCard(c);
  expect(v, `${label}: ${v.ok ? '' : v.errors.join('\n')}`).toEqual({ ok: true });
  expect(bytes(c), `${label}: size`).toBeLessThan(CARD_LIMITS.maxBytes);
}

function expectBilingual(c: Card, label: string): void {
  const maps = i18nMaps(c);
  expect(maps.length, label).toBeGreaterThan(3);
  for (const m of maps) {
    expect(typeof m.zh_cn, `${label}: zh_cn in ${JSON.stringify(m)}`).toBe('string');
    expect(typeof m.en_us, `${label}: en_us in ${JSON.stringify(m)}`).toBe('string');
  }
  expect(c.header?.title.i18n_content?.zh_cn).not.toBe(c.header?.title.i18n_content?.en_us);
}

// What the machine lets happen from each button.
const ACTION_COMMAND: Record<string, CommandType> = {
  [REQUEST_ACTIONS.approve]: 'approve',
  [REQUEST_ACTIONS.return]: 'return',
  [REQUEST_ACTIONS.reject]: 'reject',
  [REQUEST_ACTIONS.withdraw]: 'withdraw',
  [REQUEST_ACTIONS.resubmit]: 'resubmit',
  [REQUEST_ACTIONS.completeCopy]: 'complete_copy',
  [REQUEST_ACTIONS.checkOut]: 'check_out',
  [REQUEST_ACTIONS.receive]: 'return_carrier',
  [REQUEST_ACTIONS.inspectOk]: 'inspect',
  [REQUEST_ACTIONS.inspectFail]: 'inspect',
  [REQUEST_ACTIONS.recordDestruction]: 'record_destruction',
  [REQUEST_ACTIONS.confirmWitness]: 'confirm_witness',
  // Transfer opens a form on the card; its submission is the `transfer` command.
  [REQUEST_ACTIONS.transferOpen]: 'transfer',
  // Edit and resubmit opens the pre-filled form; its submission is the `resubmit` command.
  [REQUEST_ACTIONS.edit]: 'resubmit',
};

/** The buttons each card must show for a request (and no others). */
function expectedActions(fn: CardFn, r: Request, witnessId = P.w2.id): string[] {
  const A = REQUEST_ACTIONS;
  switch (fn) {
    case 'approval':
      return r.state === 'IN_APPROVAL' ? [A.approve, A.return, A.reject, A.transferOpen] : [];
    case 'status':
      // The requester may nudge (催办) the current approvers, or withdraw.
      if (r.state === 'IN_APPROVAL') return [A.nudge, A.withdraw];
      if (r.state === 'DRAFT' && r.round > 0) return [A.edit, A.resubmit, A.withdraw];
      return [];
    case 'execution':
      if (r.state === 'APPROVED') {
        return { COPY: [A.completeCopy], CARRY_OUT: [A.checkOut], DESTROY: [A.recordDestruction] }[r.kind];
      }
      if (r.kind === 'CARRY_OUT' && (r.state === 'OUT' || r.state === 'OVERDUE')) return [A.receive];
      return r.kind === 'CARRY_OUT' && r.state === 'RETURNED' ? [A.inspectOk, A.inspectFail] : [];
    case 'witness':
      return r.kind === 'DESTROY' && r.state === 'EXECUTED_PENDING_WITNESS' && !r.details.confirmedWitnesses.includes(witnessId) ? [A.confirmWitness] : [];
  }
}

// ---- tests --------------------------------------------------------------------------------------

describe('request cards: every kind × state × level', () => {
  const FNS: CardFn[] = ['approval', 'status', 'execution', 'witness'];
  for (const kind of KINDS) {
    for (const level of LEVELS) {
      describe(`${kind} ${level}`, () => {
        const cases = lifecycle(kind, level);
        it('covers the states of the kind', () => {
          const states = new Set(cases.map((c) => c.req.state));
          const want = ['IN_APPROVAL', 'APPROVED', 'REJECTED', 'DRAFT', 'WITHDRAWN', 'EXPIRED', 'CLOSED'];
          if (kind === 'CARRY_OUT') want.push('OUT', 'OVERDUE', 'RETURNED');
          if (kind === 'DESTROY') want.push('EXECUTED_PENDING_WITNESS');
          expect([...states].sort()).toEqual(want.sort());
        });
        for (const { name, req } of cases) {
          for (const fn of FNS) {
            it(`${fn} card, ${name}: valid, bilingual, the right buttons carrying id and version`, () => {
              missing.clear();
              const c = render(fn, req);
              expectValid(c, `${fn}/${name}`);
              expectBilingual(c, `${fn}/${name}`);
              expect(missing, 'untranslated keys').toEqual(new Set());
              const text = json(c);
              expect(text).toContain(req.id);
              // Header: the level tag in its colour, the state tag.
              const tags = c.header?.text_tag_list ?? [];
              expect(tags[0]?.color).toBe(LEVEL_COLORS[req.maxLevel]);
              expect(tags[0]?.text.i18n_content?.zh_cn).toBe(bilingual(`cards:level.${req.maxLevel}`).zh);
              expect(tags).toHaveLength(2);

              const actions = decodedActions(c);
              expect(actions.map((a) => a.action).sort()).toEqual([...expectedActions(fn, req)].sort());
              for (const a of actions) {
                expect(a.requestId).toBe(req.id);
                expect(a.version).toBe(req.version);
                // A nudge is no workflow command: it reminds the approvers of a request in approval.
                if (a.action === REQUEST_ACTIONS.nudge) {
                  expect(req.state).toBe('IN_APPROVAL');
                  continue;
                }
                const cmd = ACTION_COMMAND[a.action];
                expect(cmd, a.action).toBeDefined();
                expect(COMMAND_RULES[cmd!].from, `${a.action} in ${req.state}`).toContain(req.state);
                expect(COMMAND_RULES[cmd!].kinds).toContain(req.kind);
                if (cmd === 'approve' || cmd === 'reject' || cmd === 'return' || cmd === 'transfer') expect(a.extra).toEqual({ s: req.currentStep });
                if (cmd === 'confirm_witness') expect(a.extra).toEqual({ w: P.w2.id });
              }
            });
          }
        }
      });
    }
  }
});

describe('size: 20 carriers and every text at its legal maximum', () => {
  for (const kind of KINDS) {
    for (const level of ['TOP_SECRET', 'ORDINARY'] as Level[]) {
      const cases = lifecycle(kind, level, true);
      for (const { name, req } of cases) {
        it(`${kind} ${level} ${name}: every card < 30 KB, valid, all 20 carrier numbers shown`, () => {
          for (const fn of ['approval', 'status', 'execution', 'witness'] as CardFn[]) {
            // The worst case of the witness picker: 50 candidates (People.candidates' maximum).
            const c = render(fn, req, { witnessCandidates: Array.from({ length: 50 }, (_, i) => `ou_${'0123456789abcdef'.repeat(2)}${String(i).padStart(2, '0')}`) });
            expectValid(c, `${fn}/${name}`);
            expect(bytes(c)).toBeLessThanOrEqual(28 * 1024);
            const text = json(c);
            for (const cr of req.carriers) expect(text, `${fn}: ${cr.number}`).toContain(cr.number);
            expect(
              decodedActions(c)
                .map((a) => a.action)
                .sort(),
            ).toEqual([...expectedActions(fn, req)].sort());
          }
        });
      }
    }
  }

  it('50 carriers (the workflow maximum) still fit', () => {
    const req = submitted('DESTROY', 'SECRET', { carriers: bigCarriers('SECRET', 50), details: bigDetails('DESTROY') });
    for (const fn of ['approval', 'status', 'execution', 'witness'] as CardFn[]) {
      const c = render(fn, req);
      expectValid(c, fn);
      for (const cr of req.carriers) expect(json(c), `${fn}: ${cr.number}`).toContain(cr.number);
    }
  });

  it('a normal request shows its texts in full (compacting only happens when needed)', () => {
    const req = submitted('COPY', 'SECRET', { details: { purpose: '用于第三季度部门保密工作会议传达学习', place: '本单位文印室' } });
    const text = json(approvalCard(req, opts));
    expect(text).toContain('用于第三季度部门保密工作会议传达学习');
    expect(text).toContain('本单位文印室');
  });
});

describe('approval card', () => {
  it('while IN_APPROVAL: a comment input with the warning and approve / return / reject (reject confirms)', () => {
    const req = submitted('COPY', 'TOP_SECRET');
    const c = approvalCard(req, opts);
    const comment = fields(c).find((f) => f.name === 'comment');
    expect(comment?.tag).toBe('input');
    expect(comment?.required).toBeUndefined();
    const ph = (comment!.placeholder as { i18n_content: Record<string, string> }).i18n_content;
    expect(ph.zh_cn).toContain('请勿填写涉密内容');
    expect(ph.en_us).toContain('o not enter classified content');
    const bs = buttons(c);
    const byAction = (a: string) => bs.find((b) => decodeAction(callbackValue(b)).ok && (callbackValue(b) as { a: string }).a === a);
    expect(byAction('req.approve')?.type).toBe('primary');
    expect(byAction('req.reject')?.type).toBe('danger');
    expect(byAction('req.reject')?.confirm).toBeDefined();
    expect(byAction('req.approve')?.confirm).toBeUndefined();
    // The decision buttons submit the form; Transfer (outside it) opens the transfer form.
    for (const b of bs.filter((x) => (callbackValue(x) as { a: string }).a !== REQUEST_ACTIONS.transferOpen)) expect(b.form_action_type).toBe('submit');
    expect(byAction(REQUEST_ACTIONS.transferOpen)?.form_action_type).toBeUndefined();
    // The typed fallback.
    expect(json(c)).toContain(`/approve ${req.id}`);
  });

  it('shows the chain: roles, assignees, who decided and when (Asia/Shanghai), the comment, the current step highlighted', () => {
    const sub = submitted('COPY', 'SECRET');
    const req = step(sub, { type: 'approve', comment: '同意复制' }, currentApprover(sub), T0);
    const c = approvalCard(req, opts);
    const all = markdowns(c).join('\n');
    expect(all).toContain('部门负责人');
    expect(all).toContain('Department head');
    expect(all).toContain('李四');
    expect(all).toContain('Li Si');
    expect(all).toContain(fmtTime(T0.toISOString()));
    expect(fmtTime(T0.toISOString())).toBe('2026-03-02 10:00');
    expect(all).toContain('同意复制');
    const current = markdowns(c).filter((m) => m.includes("<font color='blue'>"));
    expect(current.some((m) => m.includes('保密员'))).toBe(true);
    expect(current.some((m) => m.includes('部门负责人'))).toBe(false);
    expect(all).toContain('第 2/3 步：保密员审核中');
    expect(all).toContain('Step 2 of 3: Security officer');
  });

  it('honours the timeZone option', () => {
    const sub = submitted('COPY', 'SECRET');
    const req = step(sub, { type: 'approve' }, currentApprover(sub), T0);
    expect(json(approvalCard(req, { ...opts, timeZone: 'UTC' }))).toContain('2026-03-02 02:00');
    expect(json(approvalCard(req, opts))).toContain('2026-03-02 10:00');
  });

  it('after the decision: no buttons, the outcome with who and when', () => {
    const req = approved('COPY', 'SECRET');
    const c = approvalCard(req, opts);
    expect(buttons(c)).toEqual([]);
    expect(fields(c)).toEqual([]);
    const all = markdowns(c).join('\n');
    const last = req.steps[req.steps.length - 1]!;
    expect(all).toContain(`已由 ${names(last.decidedBy!).zh} 于 ${fmtTime(req.approvedAt)} 批准`);
    expect(all).toContain(`Approved by ${names(last.decidedBy!).en}`);
    expect(c.header?.template).toBe('green');
  });

  it('header colours by state', () => {
    const sub = submitted('CARRY_OUT', 'SECRET');
    expect(approvalCard(sub, opts).header?.template).toBe('blue');
    expect(approvalCard(step(sub, { type: 'reject', reason: 'x' }, currentApprover(sub)), opts).header?.template).toBe('red');
    expect(approvalCard(step(sub, { type: 'withdraw' }, P.req), opts).header?.template).toBe('grey');
    expect(approvalCard(step(sub, { type: 'return', reason: 'x' }, currentApprover(sub)), opts).header?.template).toBe('orange');
  });

  it('level tag colours: 绝密 red, 机密 orange, 秘密 yellow, 核心商密 purple, 普通商密 blue', () => {
    const want: Record<Level, string> = { TOP_SECRET: 'red', SECRET: 'orange', CONFIDENTIAL: 'yellow', CORE: 'purple', ORDINARY: 'blue' };
    for (const level of LEVELS) {
      const c = approvalCard(submitted('DESTROY', level), opts);
      expect(c.header?.text_tag_list?.[0]?.color, level).toBe(want[level]);
    }
  });

  it('kind-specific details: copy, carry-out, destruction', () => {
    const copy = json(approvalCard(submitted('COPY', 'TOP_SECRET', { details: { method: '刻录', place: '文印室', pages: 12 } }), opts));
    for (const s of ['复制份数', 'Copies', '刻录', 'Burn to disc', '文印室', '国保〔2026〕12号', '部门会议使用', '12']) expect(copy).toContain(s);
    const carry = json(approvalCard(submitted('CARRY_OUT', 'TOP_SECRET'), opts));
    for (const s of ['市保密局', '2026-03-04', 'ou_comp', '工作汇报', '出境', 'Abroad']) expect(carry).toContain(s);
    const destroy = json(approvalCard(submitted('DESTROY', 'SECRET'), opts));
    for (const s of ['失去保存价值', '粉碎', 'Shred', '本单位保密室']) expect(destroy).toContain(s);
  });

  it('user text cannot inject markdown (mentions, links, bold)', () => {
    const req = submitted('COPY', 'SECRET', { details: { purpose: '<at id=all></at> **粗** [x](http://e.vil)' } });
    const all = markdowns(approvalCard(req, opts)).join('\n');
    expect(all).not.toContain('<at');
    expect(all).not.toContain('[x]');
    expect(all).toContain(esc('<at id=all></at> **粗** [x](http://e.vil)'));
  });
});

describe('status card', () => {
  it('IN_APPROVAL: progress line and a withdraw button with confirm', () => {
    const req = submitted('DESTROY', 'SECRET');
    const c = statusCard(req, opts);
    expect(markdowns(c).join('\n')).toContain('第 1/3 步：部门负责人审核中');
    const [n, w] = buttons(c);
    expect(w?.confirm).toBeDefined();
    expect(decodeAction(callbackValue(w!))).toMatchObject({ ok: true, action: 'req.withdraw', requestId: req.id, version: req.version });
    expect(decodeAction(callbackValue(n!))).toMatchObject({ ok: true, action: 'req.nudge', requestId: req.id, version: req.version });
    expect(markdowns(c).join('\n')).toContain(`/催办 ${req.id}`);
    expect(markdowns(c).join('\n')).toContain(`/nudge ${req.id}`);
  });

  it('IN_APPROVAL right after a nudge: no Nudge button, the local time it is possible again (zh and en)', () => {
    const req = submitted('DESTROY', 'SECRET');
    const until = new Date(opts.now.getTime() + 4 * 3_600_000).toISOString();
    const c = statusCard(req, { ...opts, nudgeBlockedUntil: until });
    expect(decodedActions(c).map((a) => a.action)).toEqual(['req.withdraw']);
    const all = markdowns(c).join('\n');
    expect(all).toContain(`已催办审批人；${fmtTime(until)} 后可再次催办。`);
    expect(JSON.stringify(c)).toContain(`you can nudge again from ${fmtTime(until)}.`);
    // Once that time has passed, the button is back.
    const later = statusCard(req, { ...opts, now: new Date(opts.now.getTime() + 5 * 3_600_000), nudgeBlockedUntil: until });
    expect(
      decodedActions(later)
        .map((a) => a.action)
        .sort(),
    ).toEqual(['req.nudge', 'req.withdraw']);
  });

  it('returned: the reason, the /resubmit hint and a resubmit button', () => {
    const sub = submitted('COPY', 'SECRET');
    const req = step(sub, { type: 'return', reason: '请补充每份页数' }, currentApprover(sub), hours(2));
    const c = statusCard(req, opts);
    const all = markdowns(c).join('\n');
    expect(all).toContain('请补充每份页数');
    expect(all).toContain(`/resubmit ${req.id}`);
    expect(all).toContain('退回修改');
    expect(c.header?.text_tag_list?.[1]?.text.i18n_content?.en_us).toBe('Returned for changes');
    expect(decodedActions(c).map((a) => a.action)).toContain('req.resubmit');
  });

  it('approved: what happens next, per kind', () => {
    expect(json(statusCard(approved('COPY'), opts))).toContain('登记复制份数');
    const carry = approved('CARRY_OUT');
    expect(json(statusCard(carry, opts))).toContain(`/return ${carry.id}`);
    expect(json(statusCard(approved('DESTROY'), opts))).toContain('监销人逐一确认');
  });

  it('out and overdue: due date, days late and the /return command', () => {
    const out = step(approved('CARRY_OUT'), { type: 'check_out' }, P.so3, T0);
    const c = statusCard(out, { ...opts, now: days(1) });
    expect(json(c)).toContain('2026-03-04');
    expect(json(c)).toContain(`/return ${out.id}`);
    const late = step(out, { type: 'mark_overdue' }, P.system, days(3));
    expect(json(statusCard(late, { ...opts, now: days(3) }))).toContain('已逾期 1 天');
  });
});

describe('execution card', () => {
  it('COPY approved: copies_made, originals_returned, waste_recovered (yes/no selects) and the submit', () => {
    const req = approved('COPY');
    const c = executionCard(req, opts);
    const f = fields(c);
    expect(f.map((x) => x.name)).toEqual(['copies_made', 'originals_returned', 'waste_recovered', 'device_wiped']);
    expect(f.find((x) => x.name === 'copies_made')?.required).toBe(true);
    expect(f.find((x) => x.name === 'copies_made')?.default_value).toBe('2');
    for (const n of ['originals_returned', 'waste_recovered']) {
      const s = f.find((x) => x.name === n)!;
      expect(s.tag).toBe('select_static');
      expect(s.required).toBe(true);
      expect((s.options as { value: string }[]).map((o) => o.value)).toEqual(['yes', 'no']);
    }
    expect(decodedActions(c)).toMatchObject([{ action: 'req.complete_copy', requestId: req.id, version: req.version }]);
  });

  it('COPY closed: the registered result, no buttons', () => {
    const req = step(approved('COPY'), { type: 'complete_copy', copiesMade: 2, originalsReturned: true, wasteRecovered: false, deviceWiped: true }, P.so3, T0);
    const c = executionCard(req, opts);
    expect(buttons(c)).toEqual([]);
    expect(json(c)).toContain('JM-001-C1');
    expect(json(c)).toContain('复制监督检查未通过');
  });

  it('CARRY: check out when approved; "out since, due" and Confirm receipt when out; an inspection form when returned', () => {
    const app = approved('CARRY_OUT');
    expect(decodedActions(executionCard(app, opts)).map((a) => a.action)).toEqual(['req.check_out']);
    const out = step(app, { type: 'check_out' }, P.so3, T0);
    const outCard = executionCard(out, opts);
    expect(decodedActions(outCard).map((a) => a.action)).toEqual(['req.receive']);
    expect(buttons(outCard)[0]?.confirm).toBeDefined();
    expect(markdowns(outCard).join('\n')).toContain('已于 2026-03-02 10:00 外携，应于 2026-03-04 前归还');
    // The carrier person's announcement shows on the officers' card.
    const announced = step(out, { type: 'announce_return' }, P.req, hours(4));
    expect(markdowns(executionCard(announced, opts)).join('\n')).toContain('携带人已于 2026-03-02 14:00 报告归还');
    const back = step(announced, { type: 'return_carrier' }, P.so1, hours(5));
    const c = executionCard(back, opts);
    expect(fields(c).map((x) => x.name)).toEqual(['note']);
    const fail = buttons(c).find((b) => (callbackValue(b) as { a: string }).a === 'req.inspect_fail');
    expect(fail?.confirm).toBeDefined();
    expect(fail?.type).toBe('danger');
  });

  it('DESTROY approved: a witness person picker over the candidates (never the requester), a date picker', () => {
    const req = approved('DESTROY');
    const withCandidates = executionCard(req, { ...opts, witnessCandidates: ['ou_w1', 'ou_w2', req.requesterId] });
    const w = fields(withCandidates).find((x) => x.name === 'witnesses')!;
    expect(w.tag).toBe('multi_select_person');
    expect(w.required).toBe(true);
    expect((w.options as { value: string }[]).map((o) => o.value)).toEqual(['ou_w1', 'ou_w2']);
    const date = fields(withCandidates).find((x) => x.name === 'date')!;
    expect(date.tag).toBe('date_picker');
    expect(date.initial_date).toBe('2026-03-03');
    expect(decodedActions(withCandidates).map((a) => a.action)).toEqual(['req.record_destruction']);
    expect(markdowns(withCandidates).join('\n')).not.toContain('本会话成员');
    // No candidates (the directory could not be listed): still a picker (Lark then offers the
    // chat's members), never a text box for open_ids, and a hint names the typed command.
    const without = executionCard(req, opts);
    const picker = fields(without).find((x) => x.name === 'witnesses')!;
    expect(picker.tag).toBe('multi_select_person');
    expect(picker.options).toEqual([]);
    expect(markdowns(without).join('\n')).toContain('本会话成员');
    expectValid(without, 'no candidates');
  });

  it('DESTROY executed: which witnesses confirmed', () => {
    const exec = step(approved('DESTROY'), { type: 'record_destruction', witnesses: ['ou_w1', 'ou_w2'] }, P.so3, T0);
    const half = step(exec, { type: 'confirm_witness' }, P.w1, hours(1));
    const all = markdowns(executionCard(half, opts)).join('\n');
    expect(all).toContain('✅ ou_w1');
    expect(all).toContain('⏳ ou_w2');
    expect(all).toContain('1/2');
  });
});

describe('witness card', () => {
  const exec = step(approved('DESTROY'), { type: 'record_destruction', witnesses: ['ou_w1', 'ou_w2'] }, P.so3, T0);
  it('a confirm button carrying the witness until that witness confirmed, then "confirmed"', () => {
    const before = witnessCard(exec, 'ou_w1', opts);
    expect(decodedActions(before)).toMatchObject([{ action: 'req.confirm_witness', requestId: exec.id, version: exec.version, extra: { w: 'ou_w1' } }]);
    const half = step(exec, { type: 'confirm_witness' }, P.w1, hours(1));
    const after = witnessCard(half, 'ou_w1', opts);
    expect(buttons(after)).toEqual([]);
    expect(markdowns(after).join('\n')).toContain('已确认监销');
    expect(markdowns(after).join('\n')).toContain('Confirmed');
    expect(buttons(witnessCard(half, 'ou_w2', opts))).toHaveLength(1);
  });
  it('someone who is not a named witness gets no button', () => {
    expect(buttons(witnessCard(exec, 'ou_x', opts))).toEqual([]);
  });
});

describe('form cards', () => {
  const CANONICAL: Record<Kind, Record<string, boolean>> = {
    COPY: { carrier: true, copies: true, purpose: true, place: false, pages: false, method: false, ref: false, cc: false },
    CARRY_OUT: { carrier: true, destination: true, due: true, purpose: true, companions: false, abroad: false, cc: false },
    DESTROY: { carrier: true, reason: true, method: true, site: true, date: false, cc: false },
  };
  const make = { COPY: copyFormCard, CARRY_OUT: carryFormCard, DESTROY: destroyFormCard };
  const mine: FormCarrier[] = [
    { number: 'JM-001', level: 'SECRET', alias: '季度报告' },
    { number: 'JM-002', level: 'TOP_SECRET' },
  ];

  for (const kind of KINDS) {
    for (const carriers of [undefined, mine]) {
      it(`${kind} ${carriers ? 'with' : 'without'} the user's carriers: canonical names, required flags, warning, submit`, () => {
        missing.clear();
        const c = make[kind]({ tb, carriers });
        expectValid(c, kind);
        expectBilingual(c, kind);
        expect(missing).toEqual(new Set());
        const f = fields(c);
        expect(f.map((x) => x.name).sort()).toEqual(Object.keys(CANONICAL[kind]).sort());
        expect(FORM_FIELDS[kind].fields.map((x) => x.name).sort()).toEqual(Object.keys(CANONICAL[kind]).sort());
        for (const x of f) expect(x.required === true, `${String(x.name)} required`).toBe(CANONICAL[kind][String(x.name)]);
        // The red warning line, in both languages.
        const all = markdowns(c).join('\n');
        expect(all).toContain('请勿填写涉密内容');
        expect(all).toContain('Do not enter classified content');
        expect(all).toContain("<font color='red'>");
        // Every free-text input warns in its placeholder.
        for (const x of f.filter((x) => x.tag === 'input' && !['copies', 'pages'].includes(String(x.name)))) {
          const ph = (x.placeholder as { i18n_content: Record<string, string> }).i18n_content;
          expect(ph.zh_cn, String(x.name)).toContain('请勿填写涉密内容');
          expect(ph.en_us, String(x.name)).toContain('do not enter classified content');
        }
        // The carrier field.
        const carrier = f.find((x) => x.name === 'carrier')!;
        if (!carriers) expect(carrier.tag).toBe('input');
        else {
          expect(carrier.tag).toBe(kind === 'COPY' ? 'select_static' : 'multi_select_static');
          expect((carrier.options as { value: string }[]).map((o) => o.value)).toEqual(['JM-001', 'JM-002']);
        }
        // Submit.
        const acts = decodedActions(c);
        expect(acts.map((a) => a.action)).toEqual([FORM_ACTIONS[kind]]);
        expect(buttons(c)[0]?.form_action_type).toBe('submit');
        expect(acts[0]?.requestId).toBeUndefined();
      });
    }
  }

  it('the legal floor note of each kind', () => {
    expect(json(copyFormCard({ tb }))).toContain('批准文号');
    expect(json(carryFormCard({ tb }))).toContain('不得携带出境');
    expect(json(carryFormCard({ tb }))).toContain('两人以上');
    expect(json(destroyFormCard({ tb }))).toContain('至少两名监销人');
    expect(json(destroyFormCard({ tb }))).toContain('须清退的载体不得销毁');
  });

  it('enum selects: copy method, destroy method, abroad (default no), a date picker for dates', () => {
    const opt = (c: Card, name: string) => fields(c).find((x) => x.name === name)!;
    const values = (n: Node) => (n.options as { value: string }[]).map((o) => o.value);
    expect(values(opt(copyFormCard({ tb }), 'method'))).toEqual(['复印', '打印', '刻录', '拷贝']);
    expect(values(opt(destroyFormCard({ tb }), 'method'))).toEqual(['粉碎', '焚烧', '化浆', '消磁', '物理损毁']);
    const abroad = opt(carryFormCard({ tb }), 'abroad');
    expect(values(abroad)).toEqual(['no', 'yes']);
    expect(abroad.initial_option).toBe('no');
    expect(opt(carryFormCard({ tb }), 'due').tag).toBe('date_picker');
    expect(opt(destroyFormCard({ tb }), 'date').tag).toBe('date_picker');
  });

  it('too many carriers for a select fall back to a text input', () => {
    const lots: FormCarrier[] = Array.from({ length: 80 }, (_, i) => ({ number: `JM-${i}`, level: 'SECRET', alias: long(100) }));
    const c = destroyFormCard({ tb, carriers: lots });
    expectValid(c, 'many');
    expect(fields(c).find((x) => x.name === 'carrier')?.tag).toBe('input');
  });
});

describe('carrier cards', () => {
  const view = (i: number, over: Partial<CarrierView> = {}): CarrierView => ({
    number: `JM-2026-${String(i).padStart(3, '0')}`,
    level: 'SECRET',
    carrierType: '纸质',
    alias: '季度报告',
    period: '10年',
    issuer: '办公室',
    copyRestricted: true,
    mustReturnToIssuer: false,
    pages: 12,
    count: 1,
    custodianId: 'ou_req',
    status: 'IN_STOCK',
    origin: 'registered',
    ...over,
  });

  it('one carrier: every register field, level and status tags', () => {
    missing.clear();
    const c = carrierCard(view(1, { origin: 'copied', parentNumber: 'JM-2026-000', mustReturnToIssuer: true }), { tb, names });
    expectValid(c, 'carrier');
    expectBilingual(c, 'carrier');
    expect(missing).toEqual(new Set());
    const all = markdowns(c).join('\n');
    for (const s of ['JM-2026-001', '纸质', '季度报告', '10年', '办公室', '限制复制', '须清退', '12', '张三', '在库', '复制产生', 'JM-2026-000']) expect(all).toContain(s);
    expect(c.header?.text_tag_list?.map((t) => t.color)).toEqual(['orange', 'green']);
  });

  it('a list: a table of 10 rows per page, the next-page command, the filter', () => {
    missing.clear();
    const items = Array.from({ length: 30 }, (_, i) => view(i, { alias: long(100) }));
    const c = carrierListCard(items, { tb, names, filterText: { zh: '密级：机密', en: 'level: secret' }, nextCursor: 'JM-2026-029' });
    expectValid(c, 'list');
    expect(missing).toEqual(new Set());
    const t = c.body.elements.find((e) => e.tag === 'table') as { page_size: number; rows: unknown[]; columns: { name: string }[] };
    expect(t.page_size).toBe(10);
    expect(t.rows).toHaveLength(30);
    expect(t.columns.map((x) => x.name)).toEqual(['number', 'level', 'type', 'alias', 'status', 'custodian']);
    expect(json(c)).toContain('after=JM-2026-029');
    expect(json(c)).toContain('密级：机密');
    expect(json(carrierListCard(items, { tb, names }))).not.toContain('after=');
  });

  it('an empty list says so', () => {
    const c = carrierListCard([], { tb, names });
    expectValid(c, 'empty');
    expect(markdowns(c).join('\n')).toContain('没有符合条件的载体');
    expect(c.body.elements.some((e) => e.tag === 'table')).toBe(false);
  });

  it('100 long rows stay under the limit', () => {
    const items = Array.from({ length: 100 }, (_, i) => view(i, { alias: long(100), carrierType: long(32), number: `N-${i}-${'X'.repeat(58)}`.slice(0, 64) }));
    expectValid(carrierListCard(items, { tb, names }), 'long list');
  });
});

describe('list cards', () => {
  const reqs = [submitted('COPY', 'SECRET'), approved('CARRY_OUT', 'TOP_SECRET'), draft('DESTROY', 'CORE')];

  it('/my: id, kind, state with the current step in the table; level and update time under it', () => {
    missing.clear();
    const c = myRequestsCard(reqs, { tb, names });
    expectValid(c, 'my');
    expect(missing).toEqual(new Set());
    const t = c.body.elements.find((e) => e.tag === 'table') as { rows: Record<string, string>[] };
    expect(t.rows.map((r) => r.id)).toEqual(reqs.map((r) => r.id));
    expect(t.rows[0]).toMatchObject({ kind: '复制 Copy' });
    expect(t.rows[0]?.state).toContain('审批中 In approval');
    expect(t.rows[0]?.state).toContain('1/3');
    expect(t.rows[0]?.state).toContain('部门负责人');
    expect(t.rows[1]?.state).toBe('已批准 Approved');
    const detail = markdowns(c).join('\n').split('\n');
    const first = detail.find((l) => l.startsWith(`- ${reqs[0]!.id}`));
    expect(first).toContain('机密');
    expect(first).toContain('2026-03-02 10:00');
  });

  it('/pending: each request with its /approve and /reject commands', () => {
    const pending = [submitted('COPY', 'SECRET'), submitted('DESTROY', 'TOP_SECRET')];
    const c = pendingCard(pending, { tb, names });
    expectValid(c, 'pending');
    const t = c.body.elements.find((e) => e.tag === 'table') as { rows: Record<string, string>[]; columns: { name: string }[] };
    // The commands sit under the table (a command column is cut off on a 600 px card), one line each.
    expect(t.columns.map((x) => x.name)).not.toContain('commands');
    const lines = markdowns(c).join('\n').split('\n');
    for (const [i, r] of pending.entries()) {
      const line = lines.find((l) => l.includes(`/approve ${r.id}`));
      expect(line).toBeTruthy();
      expect(line).toContain(`/reject ${r.id}`);
      expect(t.rows[i]?.requester).toContain('张三');
    }
  });

  it('/pending: a request awaiting execution shows its state, not the decision commands', () => {
    const ready = approved('COPY', 'SECRET');
    const c = pendingCard([ready], { tb, names });
    const t = c.body.elements.find((e) => e.tag === 'table') as { rows: Record<string, string>[] };
    expect(JSON.stringify(c)).not.toContain('/approve');
    expect(t.rows[0]?.step).toBe('已批准 Approved');
  });

  it('empty lists say so', () => {
    const my = myRequestsCard([], { tb, names });
    const pend = pendingCard([], { tb, names });
    expectValid(my, 'my');
    expectValid(pend, 'pending');
    expect(markdowns(my).join('\n')).toContain('你还没有申请');
    expect(markdowns(pend).join('\n')).toContain('没有待你审批');
  });

  it('many requests stay under the limit', () => {
    const many = Array.from({ length: 200 }, () => submitted('COPY', 'SECRET'));
    expectValid(myRequestsCard(many, { tb, names }), 'many my');
    expectValid(pendingCard(many, { tb, names }), 'many pending');
  });
});

describe('locale namespace cards', () => {
  const res = loadResources();
  const keys = (o: unknown, p = ''): string[] => (typeof o === 'object' && o !== null ? Object.entries(o).flatMap(([k, v]) => keys(v, p ? `${p}.${k}` : k)) : [p]);
  const holes = (o: unknown, p = ''): Map<string, string> => {
    const m = new Map<string, string>();
    for (const k of keys(o, p)) {
      const v = k.split('.').reduce<unknown>((x, s) => (x as Record<string, unknown>)[s], o);
      m.set(
        k,
        [...String(v).matchAll(/{{\s*(\w+)\s*}}/g)]
          .map((x) => x[1])
          .sort()
          .join(','),
      );
    }
    return m;
  };

  it('zh-CN and en-US have identical keys and placeholders', () => {
    const zh = res['zh-CN']!.cards;
    const en = res['en-US']!.cards;
    expect(zh).toBeDefined();
    expect(keys(en).sort()).toEqual(keys(zh).sort());
    expect(holes(en)).toEqual(holes(zh));
  });

  it('names every kind, level, state and workflow role', () => {
    const zh = res['zh-CN']!.cards as Record<string, Record<string, string>>;
    expect(Object.keys(zh.kind!).sort()).toEqual(['CARRY_OUT', 'COPY', 'DESTROY']);
    expect(Object.keys(zh.level!).sort()).toEqual([...LEVELS].sort());
    expect(zh.state).toMatchObject({ DRAFT: '草稿', OUT: '已外携', OVERDUE: '逾期未还', RETURNED: '已归还待检查', EXECUTED_PENDING_WITNESS: '待监销确认', CLOSED: '已办结' });
    expect(zh.role).toMatchObject({
      dept_head: '部门负责人',
      security_officer: '保密员',
      security_head: '保密办负责人',
      leader: '分管领导',
      principal: '主要负责人',
      classification_officer: '定密责任人',
    });
    expect(Object.keys(zh.role!).sort()).toEqual(Object.keys((res['zh-CN']!.workflow as Record<string, object>).role!).sort());
  });

  it('the policy chains only use roles the cards can name', () => {
    const roles = new Set(Object.values(policy.chains).flatMap((byLevel) => Object.values(byLevel).flatMap((steps) => (steps as { role: string }[]).map((s) => s.role))));
    const zh = (res['zh-CN']!.cards as Record<string, Record<string, string>>).role!;
    for (const r of roles) expect(zh[r], r).toBeDefined();
  });
});
