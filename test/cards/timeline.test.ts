// Issue 7 item 7: the timeline tells the truth — every decision, return, withdrawal and
// resubmission with who, when (unit time, YYYY-MM-DD HH:mm) and why; a resubmission starts a new
// round and keeps the earlier ones; unreached steps read "not reached"; each reason shown once.
import { describe, expect, it } from 'vitest';
import type { Bi } from '../../cards/builder.js';
import { validateCard } from '../../cards/card.schema.js';
import type { Card } from '../../cards/card.types.js';
import { approvalCard, fmtTime, roundsOf, statusCard } from '../../cards/request.card.js';
import { bilingual } from '../../locales/index.js';
import type { Request } from '../../domain/index.js';
import { P, T0, currentApprover, hours, step, submitted } from '../domain/helpers.js';

const NAMES: Record<string, Bi> = {};
const names = (id: string): Bi => NAMES[id] ?? { zh: `人${id}`, en: `P_${id}` };
const opts = { tb: bilingual, names, now: hours(48) };

/** Markdown texts of one language (`zh` | `en`), in card order. */
function texts(c: Card, lang: 'zh' | 'en'): string[] {
  const out: string[] = [];
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (!n || typeof n !== 'object') return;
    const o = n as Record<string, unknown>;
    if (o.tag === 'markdown') {
      const i18n = o.i18n_content as Record<string, string> | undefined;
      out.push(i18n ? (i18n[lang === 'zh' ? 'zh_cn' : 'en_us'] ?? String(o.content)) : String(o.content));
      return;
    }
    for (const v of Object.values(o)) walk(v);
  };
  walk(c.body);
  return out;
}
const all = (c: Card, lang: 'zh' | 'en') => texts(c, lang).join('\n');
const count = (hay: string, needle: string) => hay.split(needle).length - 1;

function valid(c: Card): Card {
  expect(validateCard(c)).toEqual({ ok: true });
  return c;
}

/** Submitted, step 1 approved, step 2 returns, resubmitted, step 1 approved again. */
function returnedAndResubmitted(): { returned: Request; again: Request; r2: Request } {
  const sub = submitted('COPY', 'SECRET');
  const one = step(sub, { type: 'approve', comment: '第一轮同意' }, currentApprover(sub), hours(1));
  const returned = step(one, { type: 'return', reason: '请补充页数' }, currentApprover(one), hours(2));
  const again = step(returned, { type: 'resubmit', patch: { details: { pages: 3 } } }, P.req, hours(3));
  const r2 = step(again, { type: 'approve', comment: '第二轮同意' }, currentApprover(again), hours(4));
  return { returned, again, r2 };
}

describe('the approval timeline', () => {
  it('unreached steps read "not reached", never "waiting" (IN_APPROVAL, rejected, withdrawn)', () => {
    const sub = submitted('COPY', 'SECRET');
    const c1 = valid(approvalCard(sub, opts));
    expect(count(all(c1, 'zh'), '待审批')).toBe(1); // the current step only
    expect(all(c1, 'zh')).toContain('未到达');
    expect(all(c1, 'en')).toContain('not reached');
    const rejected = step(sub, { type: 'reject', reason: '用途不明确' }, currentApprover(sub), hours(1));
    for (const c of [approvalCard(rejected, opts), statusCard(rejected, opts)]) {
      valid(c);
      expect(all(c, 'zh')).not.toContain('待审批');
      expect(all(c, 'zh')).toContain('未到达');
      expect(all(c, 'en')).not.toContain('Pending');
    }
    const withdrawn = step(sub, { type: 'withdraw', reason: '不再需要' }, P.req, hours(1));
    const w = valid(statusCard(withdrawn, opts));
    expect(all(w, 'zh')).not.toContain('待审批');
    expect(all(w, 'zh')).toContain(`撤回 · ${names(P.req.id).zh} · ${fmtTime(hours(1).toISOString())}`);
    expect(all(w, 'en')).toContain(`Withdrawn · ${names(P.req.id).en} · ${fmtTime(hours(1).toISOString())}`);
  });

  it('each reason is shown once: rejection, return, withdrawal', () => {
    const sub = submitted('CARRY_OUT', 'SECRET');
    const rejected = step(sub, { type: 'reject', reason: '理由甲' }, currentApprover(sub), hours(1));
    const returned = step(sub, { type: 'return', reason: '理由乙' }, currentApprover(sub), hours(1));
    const withdrawn = step(sub, { type: 'withdraw', reason: '理由丙' }, P.req, hours(1));
    for (const [req, reason] of [
      [rejected, '理由甲'],
      [returned, '理由乙'],
      [withdrawn, '理由丙'],
    ] as const) {
      for (const c of [approvalCard(req, opts), statusCard(req, opts)]) {
        expect(count(all(valid(c), 'zh'), reason), `${req.state} ${reason}`).toBe(1);
        expect(count(all(c, 'en'), reason), `${req.state} ${reason}`).toBe(1);
      }
    }
  });

  it('a return is shown with who, when and why, and the steps do not pretend to wait', () => {
    const { returned } = returnedAndResubmitted();
    const c = valid(statusCard(returned, opts));
    const zh = all(c, 'zh');
    const en = all(c, 'en');
    const approver = returned.history.find((h) => h.action === 'return')!.actorId;
    expect(zh).toContain(`第 2 步 — 退回修改 · ${names(approver).zh} · ${fmtTime(hours(2).toISOString())}`);
    expect(en).toContain(`Step 2 — Returned for changes · ${names(approver).en} · ${fmtTime(hours(2).toISOString())}`);
    expect(zh).toContain('请补充页数');
    expect(zh).toContain('第一轮同意');
    expect(zh).not.toContain('待审批');
    expect(zh).toContain('重新提交后，审批从第 1 步重新开始');
    expect(en).toContain('approval starts again at step 1');
  });

  it('a resubmission starts round 2 and keeps round 1 (decisions, the return and its reason)', () => {
    const { r2 } = returnedAndResubmitted();
    expect(roundsOf(r2).map((r) => r.n)).toEqual([1, 2]);
    for (const c of [approvalCard(r2, opts), statusCard(r2, opts)]) {
      const zh = all(valid(c), 'zh');
      const en = all(c, 'en');
      expect(zh).toContain('第 1 轮');
      expect(zh).toContain('第 2 轮');
      expect(en).toContain('Round 1');
      expect(en).toContain('Round 2');
      expect(zh).toContain(`修改后重新提交 · ${fmtTime(hours(3).toISOString())}`);
      expect(en).toContain(`resubmitted by ${names(P.req.id).en} · ${fmtTime(hours(3).toISOString())}`);
      // Round 1, from the history: its approval, the return and its reason; round 2 live.
      expect(zh.indexOf('第一轮同意')).toBeLessThan(zh.indexOf('请补充页数'));
      expect(zh.indexOf('请补充页数')).toBeLessThan(zh.indexOf('第 2 轮'));
      expect(zh.indexOf('第 2 轮')).toBeLessThan(zh.indexOf('第二轮同意'));
      expect(count(zh, '请补充页数')).toBe(1);
      expect(count(zh, '第二轮同意')).toBe(1);
      // Times are unit time, never ISO.
      expect(zh).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:/);
      expect(zh).toContain(fmtTime(T0.toISOString()));
    }
  });

  it('only the last three earlier rounds are shown in full', () => {
    let req = submitted('COPY', 'SECRET');
    for (let i = 0; i < 5; i++) {
      req = step(req, { type: 'return', reason: `退回${i}` }, currentApprover(req), hours(i * 2 + 1));
      req = step(req, { type: 'resubmit' }, P.req, hours(i * 2 + 2));
    }
    const zh = all(valid(statusCard(req, opts)), 'zh');
    expect(zh).toContain('更早的 2 轮未显示');
    expect(zh).not.toContain('退回0');
    expect(zh).not.toContain('退回1');
    expect(zh).toContain('退回4');
    expect(zh).toContain('第 6 轮');
  });
});
