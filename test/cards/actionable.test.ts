// Issue 7 items 8 and 11: buttons and command hints only for whoever can act now; every
// irreversible action asks for confirmation (`confirm` on the button).
import { describe, expect, it } from 'vitest';
import { decodeAction } from '../../cards/action-value.js';
import type { Bi } from '../../cards/builder.js';
import { validateCard } from '../../cards/card.schema.js';
import type { Card } from '../../cards/card.types.js';
import { REQUEST_ACTIONS, approvalCard, canDecideNow, executionCard, witnessCard } from '../../cards/request.card.js';
import { bilingual } from '../../locales/index.js';
import { P, approved, currentApprover, hours, step, submitted } from '../domain/helpers.js';

const names = (id: string): Bi => ({ zh: `人${id}`, en: `P_${id}` });
const opts = { tb: bilingual, names, now: hours(10) };

interface Btn {
  action: string;
  confirm?: { title?: { content?: string; i18n_content?: Record<string, string> }; text?: { content?: string; i18n_content?: Record<string, string> } };
}
function buttons(c: Card): Btn[] {
  const out: Btn[] = [];
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (!n || typeof n !== 'object') return;
    const o = n as Record<string, unknown>;
    if (o.tag === 'button') {
      for (const b of (o.behaviors as { type: string; value?: Record<string, unknown> }[]) ?? []) {
        const d = b.type === 'callback' ? decodeAction(b.value) : undefined;
        if (d?.ok) out.push({ action: d.action, confirm: o.confirm as Btn['confirm'] });
      }
    }
    for (const v of Object.values(o)) walk(v);
  };
  walk(c.body);
  return out;
}

describe('irreversible actions ask for confirmation, in both languages', () => {
  const copy = approved('COPY', 'SECRET');
  const carry = approved('CARRY_OUT', 'SECRET');
  const out = step(carry, { type: 'check_out' }, P.so3, hours(3));
  const back = step(out, { type: 'return_carrier' }, P.so1, hours(4));
  const destroy = approved('DESTROY', 'SECRET');
  const executed = step(destroy, { type: 'record_destruction', witnesses: [P.w1.id, P.w2.id] }, P.so3, hours(3));
  const cases: [string, Card, string][] = [
    ['copy registration', executionCard(copy, opts), REQUEST_ACTIONS.completeCopy],
    ['check-out', executionCard(carry, opts), REQUEST_ACTIONS.checkOut],
    ['confirm receipt', executionCard(out, opts), REQUEST_ACTIONS.receive],
    ['inspection ok', executionCard(back, opts), REQUEST_ACTIONS.inspectOk],
    ['inspection failed', executionCard(back, opts), REQUEST_ACTIONS.inspectFail],
    ['destruction record', executionCard(destroy, opts), REQUEST_ACTIONS.recordDestruction],
    ['witness confirmation', witnessCard(executed, P.w1.id, opts), REQUEST_ACTIONS.confirmWitness],
  ];
  for (const [name, card, action] of cases) {
    it(name, () => {
      expect(validateCard(card)).toEqual({ ok: true });
      const b = buttons(card).find((x) => x.action === action);
      expect(b, `${action} on the card`).toBeTruthy();
      for (const part of [b!.confirm?.title, b!.confirm?.text]) {
        expect(part?.i18n_content?.zh_cn ?? part?.content, `${action} confirm zh`).toMatch(/[\u4e00-\u9fff]/);
        expect(part?.i18n_content?.en_us, `${action} confirm en`).toMatch(/[a-z]/);
      }
    });
  }
});

describe('the decision form and the "/approve" hint only for the current step’s approvers', () => {
  const sub = submitted('COPY', 'SECRET');
  const first = currentApprover(sub);
  const one = step(sub, { type: 'approve' }, first, hours(1));
  const second = currentApprover(one);
  const text = (c: Card) => JSON.stringify(c);

  it('canDecideNow: the current assignee only; not the requester, not who decided another step', () => {
    expect(canDecideNow(sub, first.id)).toBe(true);
    expect(canDecideNow(one, first.id)).toBe(false);
    expect(canDecideNow(one, second.id)).toBe(true);
    expect(canDecideNow(sub, second.id)).toBe(false);
    expect(canDecideNow(one, P.req.id)).toBe(false);
  });

  it('an approver whose turn is over sees the timeline, no form, no command hint (zh and en)', () => {
    const c = approvalCard(one, { ...opts, viewer: first.id });
    expect(validateCard(c)).toEqual({ ok: true });
    expect(buttons(c)).toEqual([]);
    expect(text(c)).not.toContain('/approve');
    expect(text(c)).not.toContain('/reject');
  });

  it('an approver whose turn has not come sees no form either', () => {
    const c = approvalCard(sub, { ...opts, viewer: second.id });
    expect(buttons(c)).toEqual([]);
    expect(text(c)).not.toContain('/approve');
  });

  it('the current approver gets the form and the typed fallback', () => {
    const c = approvalCard(one, { ...opts, viewer: second.id });
    expect(buttons(c).map((b) => b.action)).toEqual([REQUEST_ACTIONS.approve, REQUEST_ACTIONS.return, REQUEST_ACTIONS.reject, REQUEST_ACTIONS.transferOpen]);
    expect(text(c)).toContain(`/approve ${one.id}`);
  });
});
