// Cards of issue 7 item 10 and issue 8 item 6: the approval centre (worst cases), the transfer form,
// the read-only copy (抄送), the edit-and-resubmit form, and form examples naming real carriers.
import { describe, expect, it } from 'vitest';
import { decodeAction } from '../../cards/action-value.js';
import type { Bi } from '../../cards/builder.js';
import { CARD_LIMITS, sentCardBytes, validateCard } from '../../cards/card.schema.js';
import type { Card } from '../../cards/card.types.js';
import { CENTRE_ACTION, CENTRE_PAGE_SIZE, centreCard, type CentreView, type WatchItem } from '../../cards/lists.card.js';
import { EDIT_FORM_ACTION, carryFormCard, copyFormCard, destroyFormCard, requestFormCard, type FormCarrier } from '../../cards/request-forms.card.js';
import { REQUEST_ACTIONS, approvalCard, statusCard } from '../../cards/request.card.js';
import { bilingual, getI18n } from '../../locales/index.js';
import { transition, type Request } from '../../domain/index.js';
import { P, approved, carrier, ctx, days, hours, ok, step, submitted } from '../domain/helpers.js';

const missing = new Set<string>();
const i18n = getI18n();
const tb = (key: string, params?: Record<string, unknown>): Bi => {
  const [ns, path] = key.split(':') as [string, string];
  for (const lng of ['zh-CN', 'en-US']) if (typeof i18n.getResource(lng, ns, path) !== 'string') missing.add(`${lng}/${key}`);
  return bilingual(key, params);
};
const LONG_NAME = { zh: '欧阳'.repeat(16), en: 'Wolfeschlegelsteinhausen'.repeat(3) };
const names = (id: string): Bi => (id.startsWith('ou_long') ? LONG_NAME : { zh: id, en: id });
const opts = { tb, names, now: days(1) };

function expectValid(c: Card, what: string) {
  const v = validateCard(c);
  expect(v.ok, `${what}: ${v.ok ? '' : v.errors.join('; ')}`).toBe(true);
  expect(sentCardBytes(c)).toBeLessThanOrEqual(CARD_LIMITS.maxBytes);
}

function buttons(c: Card): { action: string; extra: Record<string, unknown>; owner?: string; type: string; text: string }[] {
  const out: { action: string; extra: Record<string, unknown>; owner?: string; type: string; text: string }[] = [];
  const walk = (n: unknown): void => {
    if (!n || typeof n !== 'object') return;
    if (Array.isArray(n)) return n.forEach(walk);
    const o = n as Record<string, unknown>;
    if (o.tag === 'button') {
      for (const b of (o.behaviors ?? []) as { value?: unknown }[]) {
        const d = decodeAction(b.value);
        if (d.ok) out.push({ action: d.action, extra: d.extra, ...(d.owner ? { owner: d.owner } : {}), type: o.type as string, text: (o.text as { content: string }).content });
      }
    }
    Object.values(o).forEach(walk);
  };
  walk(c);
  return out;
}

/** 8 requests at their longest: every kind, long ids, steps with long role names. */
function manyRequests(n = CENTRE_PAGE_SIZE): Request[] {
  const kinds = ['COPY', 'CARRY_OUT', 'DESTROY'] as const;
  return Array.from({ length: n }, (_, i) => {
    const r = submitted(kinds[i % 3]!, 'TOP_SECRET', kinds[i % 3] === 'CARRY_OUT' ? { details: { companions: ['ou_comp'], due: '2026-03-30' } } : {});
    return { ...r, id: `${r.id.slice(0, 3)}2026-${String(9000 + i)}` } as Request;
  });
}

describe('the approval centre card', () => {
  const base: CentreView = { tab: 'todo', page: 0, total: 0, rows: [], viewer: 'ou_viewer', officer: false };

  it('four tabs (five for the security office), the open one highlighted, every button for the reader only', () => {
    const staff = centreCard({ ...base, counts: { todo: 3, done: 1, mine: 12, cc: 0 } }, opts);
    const tabs = buttons(staff).filter((b) => b.action === CENTRE_ACTION);
    expect(tabs.map((b) => b.extra.t)).toEqual(['todo', 'done', 'mine', 'cc']);
    expect(tabs.every((b) => b.owner === 'ou_viewer')).toBe(true);
    expect(tabs.find((b) => b.extra.t === 'todo')!.type).toBe('primary');
    expect(tabs.find((b) => b.extra.t === 'mine')!.text).toBe('我发起的 12');
    const officer = centreCard({ ...base, officer: true }, opts);
    expect(buttons(officer).map((b) => b.extra.t)).toContain('watch');
    expectValid(staff, 'staff');
    expect(JSON.stringify(staff)).toContain('当前没有待您处理的申请');
  });

  it('a page of rows: id, kind, status, next step; page buttons when there is more', () => {
    const rows = manyRequests();
    const c = centreCard({ ...base, tab: 'mine', page: 1, total: 30, rows, viewer: P.req.id }, opts);
    expectValid(c, 'mine page 2');
    const table = c.body.elements.find((e) => e.tag === 'table') as { rows: Record<string, string>[]; columns: { width?: string }[] };
    expect(table.rows).toHaveLength(CENTRE_PAGE_SIZE);
    expect(Object.keys(table.rows[0]!)).toEqual(['id', 'kind', 'state', 'next']);
    // Widths add up to 100 %: the table fits a 600 px card.
    expect(table.columns.reduce((s, col) => s + Number.parseFloat(col.width ?? '0'), 0)).toBe(100);
    expect(table.rows[0]!.next).toContain('可催办');
    const nav = buttons(c).filter((b) => b.extra.t === 'mine');
    expect(nav.map((b) => b.extra.p)).toEqual([0, 0, 2]);
    expect(JSON.stringify(c)).toContain('第 2/4 页');
  });

  it('what to do next, per state and reader', () => {
    const r = submitted('COPY');
    const forApprover = centreCard({ ...base, tab: 'todo', total: 1, rows: [r], viewer: P.dh.id }, opts);
    expect(JSON.stringify(forApprover)).toContain(`/同意 ${r.id}`);
    const returned = step(r, { type: 'return', reason: '补充' }, P.dh);
    expect(JSON.stringify(centreCard({ ...base, tab: 'mine', total: 1, rows: [returned], viewer: P.req.id }, opts))).toContain('修改后重新提交');
    const ok = approved('CARRY_OUT');
    expect(JSON.stringify(centreCard({ ...base, tab: 'todo', total: 1, rows: [ok], viewer: P.so3.id, officer: true }, opts))).toContain('请登记外出');
    expect(JSON.stringify(centreCard({ ...base, tab: 'cc', total: 1, rows: [ok], viewer: 'ou_cc' }, opts))).toContain('等待保密员办理');
  });

  it('the watch list: overdue days and waiting hours, who acts, since when; worst case valid', () => {
    const watch: WatchItem[] = manyRequests().map((request, i) =>
      i % 2
        ? { request, problem: 'overdue', since: hours(-i).toISOString(), amount: 120 + i, who: [`ou_long${i}`] }
        : { request, problem: 'pending', since: hours(-i).toISOString(), amount: 1000 + i, who: ['ou_long1', 'ou_long2', 'ou_long3', 'ou_long4'] },
    );
    for (const tbx of [tb]) {
      const c = centreCard(
        { ...base, tab: 'watch', officer: true, page: 0, total: 200, rows: [], watch, counts: { todo: 9999, done: 9999, mine: 9999, cc: 9999 } },
        { ...opts, tb: tbx },
      );
      expectValid(c, 'watch');
      const s = JSON.stringify(c);
      expect(s).toContain('超期 121 天未还');
      expect(s).toContain('已等 1000 小时');
      expect(s).toContain(' …');
      expect(c.header?.template).toBe('red');
    }
  });

  it('uses only texts that exist in both languages', () => {
    centreCard({ ...base, tab: 'watch', officer: true, total: 0, rows: [] }, opts);
    for (const t of ['todo', 'done', 'mine', 'cc'] as const) centreCard({ ...base, tab: t, total: 0, rows: [] }, opts);
    centreCard({ ...base, tab: 'mine', total: 20, page: 1, rows: manyRequests() }, opts);
    expect([...missing]).toEqual([]);
  });
});

describe('transfer on the approval card', () => {
  const r = step(submitted('CARRY_OUT'), { type: 'approve' }, P.dh);

  it('the approver who can decide sees Transfer; others and finished steps do not', () => {
    const mine = approvalCard(r, { ...opts, viewer: P.so1.id });
    expect(buttons(mine).map((b) => b.action)).toContain(REQUEST_ACTIONS.transferOpen);
    expect(buttons(mine).find((b) => b.action === REQUEST_ACTIONS.transferOpen)!.extra).toEqual({ s: 1 });
    expect(buttons(approvalCard(r, { ...opts, viewer: P.dh.id })).map((b) => b.action)).not.toContain(REQUEST_ACTIONS.transferOpen);
    expectValid(mine, 'approval');
  });

  it('the open form: a select_person over the candidates, reason, Transfer and Cancel; 50 long candidates still valid', () => {
    const candidates = Array.from({ length: 50 }, (_, i) => `ou_long${String(i).padStart(40, '0')}`);
    const c = approvalCard(r, { ...opts, viewer: P.so1.id, transfer: { candidates } });
    expectValid(c, 'transfer form');
    const s = JSON.stringify(c);
    expect(s).toContain('"tag":"select_person"');
    expect(s).toContain(candidates[49]);
    const acts = buttons(c).map((b) => b.action);
    expect(acts).toContain(REQUEST_ACTIONS.transfer);
    expect(acts).toContain(REQUEST_ACTIONS.transferCancel);
    // The decision form is closed while the transfer form is open.
    expect(acts).not.toContain(REQUEST_ACTIONS.approve);
    const none = approvalCard(r, { ...opts, viewer: P.so1.id, transfer: { candidates: [] } });
    expectValid(none, 'nobody');
    expect(JSON.stringify(none)).toContain('无法转交');
    expect(buttons(none).map((b) => b.action)).toEqual([REQUEST_ACTIONS.transferCancel]);
  });

  it('the timeline shows who handed the step to whom, when and why', () => {
    const t = ok(transition(r, { type: 'transfer', to: 'ou_so4', reason: '出差一周' }, P.so1, ctx(hours(30)))).request;
    const s = JSON.stringify(statusCard(t, opts));
    expect(s).toContain('第 2 步 转交：ou_so1 → ou_so4 · 2026-03-03 16:00');
    expect(s).toContain('出差一周');
    expect(JSON.stringify(statusCard(t, { ...opts, tb: (k, p) => ({ zh: bilingual(k, p).en, en: bilingual(k, p).en }) }))).toContain('Step 2 transferred: ou_so1 → ou_so4');
  });
});

describe('抄送: the read-only copy', () => {
  it('has no buttons and no commands, says it is a copy, in every state', () => {
    for (const r of [submitted('COPY'), step(submitted('COPY'), { type: 'return', reason: 'x' }, P.dh), approved('DESTROY')]) {
      const c = statusCard(r, { ...opts, readOnly: true });
      expectValid(c, r.state);
      expect(buttons(c)).toEqual([]);
      const s = JSON.stringify(c);
      expect(s).toContain('仅供知悉');
      expect(s).not.toMatch(/`\/(withdraw|nudge|resubmit|撤回|催办)/);
    }
  });
});

describe('edit and resubmit', () => {
  it('the requester’s returned card offers Edit and resubmit', () => {
    const back = step(submitted('COPY'), { type: 'return', reason: '补充' }, P.dh);
    expect(buttons(statusCard(back, opts)).map((b) => b.action)).toContain(REQUEST_ACTIONS.edit);
    expect(buttons(statusCard(submitted('COPY'), opts)).map((b) => b.action)).not.toContain(REQUEST_ACTIONS.edit);
  });

  it('the form is pre-filled with the request and resubmits it (id and version in the button)', () => {
    const carriers: FormCarrier[] = [
      { number: 'JX-001', level: 'SECRET' },
      { number: 'JX-002', level: 'SECRET' },
    ];
    const prefill = {
      requestId: 'CO-2026-0007',
      version: 3,
      carriers: ['JX-002'],
      details: { destination: '市保密局', due: '2026-03-30', purpose: '汇报', companions: ['ou_comp'], abroad: false },
    };
    const c = carryFormCard({ tb, carriers, people: ['ou_comp', 'ou_x'], owner: 'ou_req', prefill });
    expectValid(c, 'edit form');
    const s = JSON.stringify(c);
    expect(s).toContain('"selected_values":["JX-002"]');
    expect(s).toContain('"default_value":"市保密局"');
    expect(s).toContain('"initial_date":"2026-03-30"');
    expect(s).toMatch(/"name":"companions".*"selected_values":\["ou_comp"\]/);
    // A resubmission keeps its copies: no cc picker on the edit form.
    expect(s).not.toContain('"name":"cc"');
    const submit = buttons(c).find((b) => b.action === EDIT_FORM_ACTION);
    expect(submit).toBeDefined();
    expect(JSON.stringify(c)).toContain('"r":"CO-2026-0007"');
    expect(JSON.stringify(c)).toContain('"v":3');
    const copy = copyFormCard({
      tb,
      carriers: [{ number: 'JM-9', level: 'SECRET' }],
      prefill: { requestId: 'CP-2026-0001', version: 1, carriers: ['JM-9'], details: { copies: 2, purpose: 'p', method: '打印' } },
    });
    expect(JSON.stringify(copy)).toContain('"initial_option":"打印"');
    expect(JSON.stringify(copy)).toContain('"default_value":"2"');
  });

  it('50 carriers and 50 people at their longest still fit, edit form and new form alike', () => {
    const carriers: FormCarrier[] = Array.from({ length: 50 }, (_, i) => ({ number: `JM-${'9'.repeat(50)}-${i}`, level: 'TOP_SECRET', alias: '密'.repeat(100) }));
    const people = Array.from({ length: 50 }, (_, i) => `ou_${'a'.repeat(40)}${i}`);
    for (const kind of ['COPY', 'CARRY_OUT', 'DESTROY'] as const) {
      expectValid(requestFormCard(kind, { tb, carriers, people, owner: 'ou_req' }), `${kind} new`);
      const prefill = { requestId: 'CP-2026-0001', version: 5, carriers: carriers.map((c) => c.number), details: { purpose: '密'.repeat(200), reason: '密'.repeat(200) } };
      expectValid(requestFormCard(kind, { tb, carriers, people, owner: 'ou_req', prefill }), `${kind} edit`);
    }
  });
});

describe('form examples name real carriers or plain placeholders', () => {
  it('the typed example uses the reader’s own carrier numbers', () => {
    const c = JSON.stringify(copyFormCard({ tb, carriers: [{ number: 'MM-2026-001', level: 'CONFIDENTIAL' }] }));
    expect(c).toContain('/copy carrier=MM-2026-001');
    const d = JSON.stringify(destroyFormCard({ tb, carriers: [carrierOf('JM-2026-001'), carrierOf('JM-2026-002')] }));
    expect(d).toContain('/destroy carrier=JM-2026-001,JM-2026-002');
  });

  it('without carriers the number is a placeholder, never an invented number', () => {
    for (const c of [copyFormCard({ tb }), carryFormCard({ tb }), destroyFormCard({ tb })]) {
      const s = JSON.stringify(c);
      expect(s).toContain('carrier=…');
      expect(s).not.toMatch(/JM-001|JM-002/);
    }
    expect(JSON.stringify(carryFormCard({ tb }))).toContain('due=YYYY-MM-DD');
  });
});

function carrierOf(number: string): FormCarrier {
  const c = carrier(number, 'SECRET');
  return { number: c.number, level: c.level };
}
