/**
 * Person pickers on the request cards: the carry-out form's companions and the destruction
 * execution card's witnesses are `multi_select_person` over the directory's active users, at the
 * worst case (50 candidates, 50 carriers with the longest aliases, both languages) under Lark's
 * limits; a form card carries the open_id of the person it was made for.
 */
import { describe, expect, it } from 'vitest';
import { decodeAction } from '../../cards/action-value.js';
import type { Bi } from '../../cards/builder.js';
import { CARD_LIMITS, validateCard } from '../../cards/card.schema.js';
import type { Card } from '../../cards/card.types.js';
import { MAX_CARRIER_OPTIONS, carryFormCard, copyFormCard, destroyFormCard, type FormCarrier } from '../../cards/request-forms.card.js';
import { executionCard } from '../../cards/request.card.js';
import { bilingual } from '../../locales/index.js';
import { MAX_PICKER_CANDIDATES } from '../../handlers/approvals/people.js';
import { P, approved, carrier } from '../domain/helpers.js';

const tb = (key: string, params?: Record<string, unknown>): Bi => bilingual(key, params);
const OWNER = 'ou_0a1b2c3d4e5f60718293a4b5c6d7e8f9';
/** 50 realistic open_ids (ou_ + 32 hex). */
const CANDIDATES = Array.from({ length: MAX_PICKER_CANDIDATES }, (_, i) => `ou_${(i + 1).toString(16).padStart(2, '0').repeat(16)}`);

type Node = Record<string, unknown>;
function walk(n: unknown, f: (n: Node) => void): void {
  if (Array.isArray(n)) return n.forEach((x) => walk(x, f));
  if (n && typeof n === 'object') {
    f(n as Node);
    for (const v of Object.values(n)) walk(v, f);
  }
}
const find = (c: Card, name: string): Node | undefined => {
  let hit: Node | undefined;
  walk(c.body, (n) => {
    if (!hit && n.name === name && typeof n.tag === 'string' && n.tag !== 'form') hit = n;
  });
  return hit;
};
const submitValue = (c: Card) => {
  let v: unknown;
  walk(c.body, (n) => {
    if (n.tag === 'button' && n.form_action_type === 'submit') v = (n.behaviors as { value: unknown }[])[0]?.value;
  });
  return decodeAction(v);
};

/** What Lark counts against 200: components and text objects (docs/lark.md, "Checked against the docs"). */
function elementsAndTexts(c: Card): number {
  let n = 0;
  walk(c.body, (x) => {
    if (typeof x.tag === 'string') n += 1;
  });
  return n;
}

/** The request body as sent to im.v1.message.create: the card escaped inside `content`. */
function sentBytes(c: Card): number {
  return Buffer.byteLength(JSON.stringify({ receive_id: OWNER, msg_type: 'interactive', content: JSON.stringify(c), uuid: 'x'.repeat(50) }), 'utf8');
}

function expectUnderLimits(c: Card, label: string): void {
  const v = validateCard(c);
  expect(v, `${label}: ${v.ok ? '' : v.errors.join('\n')}`).toEqual({ ok: true });
  expect(sentBytes(c), `${label}: request body`).toBeLessThan(CARD_LIMITS.maxBytes);
  expect(elementsAndTexts(c), `${label}: components + text objects`).toBeLessThanOrEqual(CARD_LIMITS.maxComponents);
}

/** The longest aliases a form shows (30 characters, 4-byte characters at that). */
const worstCarriers: FormCarrier[] = Array.from({ length: MAX_CARRIER_OPTIONS }, (_, i) => ({
  number: `JUEM-2026-${String(i).padStart(3, '0')}-ABCDEFGHIJKLMNOPQRSTUVWXYZ`,
  level: 'TOP_SECRET',
  alias: '𠀀'.repeat(100),
}));

describe('carry-out form: companions are a person picker', () => {
  it('offers the candidates as open_id options, not a text box for open_ids', () => {
    const c = carryFormCard({ tb, people: CANDIDATES.slice(0, 3), owner: OWNER });
    const companions = find(c, 'companions')!;
    expect(companions.tag).toBe('multi_select_person');
    expect(companions.options).toEqual(CANDIDATES.slice(0, 3).map((value) => ({ value })));
    expect(companions.required).toBe(false);
    expect(JSON.stringify(c)).not.toContain('open_id，逗号分隔');
    expect(JSON.stringify(c)).not.toContain('本会话成员');
    expectUnderLimits(c, 'small');
  });

  it('without candidates it still is a picker (Lark: the chat members) and says how to name others', () => {
    const c = carryFormCard({ tb, owner: OWNER });
    expect(find(c, 'companions')).toMatchObject({ tag: 'multi_select_person', options: [] });
    const text = JSON.stringify(c);
    expect(text).toContain('本会话成员');
    expect(text).toContain("this chat's members");
    expectUnderLimits(c, 'no candidates');
  });

  it('worst case: 50 carriers with the longest aliases and 50 candidates, both languages, under 30 KB and 200 elements', () => {
    const c = carryFormCard({ tb, carriers: worstCarriers, people: CANDIDATES, owner: OWNER });
    expect((find(c, 'companions')!.options as unknown[]).length).toBe(50);
    expect((find(c, 'carrier')!.options as unknown[]).length).toBe(50);
    const text = JSON.stringify(c);
    expect(text).toContain('同行人');
    expect(text).toContain('Companions');
    expectUnderLimits(c, 'worst');
  });
});

describe('a form card carries the open_id of the person it was made for', () => {
  for (const [kind, make] of [
    ['copy', copyFormCard],
    ['carry', carryFormCard],
    ['destroy', destroyFormCard],
  ] as const) {
    it(`${kind}: the submit button's value names the owner`, () => {
      const d = submitValue(make({ tb, owner: OWNER }));
      expect(d).toMatchObject({ ok: true, action: `form.${kind}`, owner: OWNER });
    });
  }
});

describe('destruction execution card: witnesses are a person picker', () => {
  const fifty = Array.from({ length: 50 }, (_, i) => carrier(`XH-2026-${String(i).padStart(3, '0')}-ABCDEFGHIJKLMNOPQRSTUV`, 'SECRET', { alias: '𠀀'.repeat(100) }));
  const opts = { tb, names: (id: string) => ({ zh: `名${id.slice(-4)}`, en: `Name ${id.slice(-4)}` }), now: new Date('2026-03-03T08:00:00Z') };

  it('worst case: 50 carriers and 50 candidates, both languages, under 30 KB and 200 elements', () => {
    const req = approved('DESTROY', 'SECRET', { carriers: fifty });
    const c = executionCard(req, { ...opts, witnessCandidates: CANDIDATES });
    const w = find(c, 'witnesses')!;
    expect(w.tag).toBe('multi_select_person');
    expect(w.required).toBe(true);
    expect((w.options as { value: string }[]).map((o) => o.value)).toEqual(CANDIDATES.filter((id) => id !== P.req.id));
    expectUnderLimits(c, 'execution');
  });
});
