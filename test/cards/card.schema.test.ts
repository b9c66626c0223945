import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  assertValidCard,
  button,
  card,
  CARD_LIMITS,
  columns,
  form,
  hr,
  input,
  md,
  multiPersonPicker,
  panel,
  personPicker,
  table,
  validateCard,
  type Card,
  type CardElement,
} from '../../cards/index.js';
import { approvalCard, helpCard, requestFormCard } from './sample-cards.js';
import { withinElementLimits } from '../../cards/card.schema.js';

const bi = (s: string) => ({ zh: s, en: s });
const text = (s: string) => md(bi(s));
const submit = () => button({ name: 'go', text: bi('Submit'), submit: true });
const smallTable = () => table({ pageSize: 5, columns: [{ name: 'a', display: bi('A'), type: 'text' }], rows: [{ a: 'x' }] });
const cardOf = (...elements: CardElement[]): Card => card({ elements });

/** Errors of a card that must be invalid; fails the test if it is valid. */
function errorsOf(c: unknown): string[] {
  const r = validateCard(c);
  if (r.ok) throw new Error('expected the card to be invalid');
  return r.errors;
}

function expectValid(c: unknown): void {
  const r = validateCard(c);
  expect(r.ok ? [] : r.errors).toEqual([]);
}

/** `el` wrapped in `levels` nested column_sets: el ends up at depth levels + 1. */
function nested(el: CardElement, levels: number): CardElement {
  let cur = el;
  for (let i = 0; i < levels; i++) cur = columns([[cur]]);
  return cur;
}

describe('validateCard accepts', () => {
  it('a help card with a table', () => expectValid(helpCard()));
  it('an approval card with header tags, column_set, panel and confirm buttons', () => expectValid(approvalCard()));
  it('a form with input, selects, date_picker and submit', () => expectValid(requestFormCard()));

  it("Feishu's documented raw card response (card.data)", () => {
    const payload = JSON.parse(readFileSync(new URL('./fixtures/card.action.trigger.response.raw.json', import.meta.url), 'utf8')) as { card: { data: unknown } };
    expectValid(payload.card.data);
  });

  it('a minimal card without header or config', () => {
    expectValid({ schema: '2.0', body: { elements: [] } });
  });

  it('exactly at the limits: 200 components, 5 tables, depth 5, 20-char element_id', () => {
    expectValid(cardOf(...Array.from({ length: 200 }, hr)));
    expectValid(cardOf(...Array.from({ length: 5 }, smallTable)));
    expectValid(cardOf(nested(text('deep'), 4)));
    expectValid(cardOf({ tag: 'hr', element_id: 'a'.repeat(20) }));
  });

  it('buttons outside forms sharing a name', () => {
    const b = () => button({ name: 'view', text: bi('View'), value: { a: 'x.view' } });
    expectValid(cardOf(b(), b()));
  });

  it('a submit button nested in a column_set inside the form', () => {
    expectValid(cardOf(form('f', [input({ name: 'q', label: bi('Q') }), columns([[submit()]])])));
  });
});

describe('validateCard rejects', () => {
  it('an unknown property', () => {
    const c = cardOf({ ...text('x'), foo: 1 } as CardElement);
    expect(errorsOf(c)).toContainEqual(expect.stringMatching(/^body\.elements\[0\]: unknown property "foo"/));
  });

  it('an unknown property at the root and in config', () => {
    const c = { ...cardOf(), i18n_elements: {}, config: { update_multi: true, wide_screen_mode: true } };
    const errors = errorsOf(c);
    expect(errors).toContainEqual(expect.stringMatching(/^\(card\): unknown property "i18n_elements"/));
    expect(errors).toContainEqual(expect.stringMatching(/^config: unknown property "wide_screen_mode"/));
  });

  it('components removed in 2.0 (action module, note)', () => {
    const errors = errorsOf(cardOf({ tag: 'action', actions: [] } as unknown as CardElement));
    expect(errors).toContainEqual('body.elements[0].tag: unsupported tag "action"');
  });

  it('a card over 30 KB, counting UTF-8 bytes', () => {
    expect(errorsOf(cardOf(text('x'.repeat(31 * 1024))))).toContainEqual(expect.stringMatching(/^card JSON is \d+ bytes; the limit is 30720/));
    // 10,500 CJK characters: ~10 K UTF-16 units but ~31.5 K bytes.
    expect(errorsOf(cardOf(text('密'.repeat(10_500))))).toContainEqual(expect.stringMatching(/^card JSON is \d+ bytes/));
  });

  it('more than 200 components', () => {
    expect(errorsOf(cardOf(...Array.from({ length: 201 }, hr)))).toContain('card has 201 components; the limit is 200');
  });

  it('more than 200 components when columns are counted', () => {
    // 1 column_set + 100 columns + 100 hr = 201
    const set = columns(Array.from({ length: 100 }, () => [hr()]));
    expect(errorsOf(cardOf(set))).toContain('card has 201 components; the limit is 200');
  });

  it('nesting depth 6', () => {
    const errors = errorsOf(cardOf(nested(text('too deep'), 5)));
    expect(errors).toEqual([
      'body.elements[0].columns[0].elements[0].columns[0].elements[0].columns[0].elements[0]' + '.columns[0].elements[0].columns[0].elements[0]: nesting depth 6 exceeds 5',
    ]);
  });

  it('nesting depth 6 through a collapsible_panel and a form', () => {
    const deepInPanel = panel({ title: bi('p'), elements: [nested(text('x'), 4)] });
    expect(errorsOf(cardOf(deepInPanel))).toContainEqual(expect.stringMatching(/nesting depth 6 exceeds 5$/));
    const deepInForm = form('f', [submit(), nested(text('x'), 4)]);
    expect(errorsOf(cardOf(deepInForm))).toContainEqual(expect.stringMatching(/nesting depth 6 exceeds 5$/));
  });

  it('a bad element_id', () => {
    expect(errorsOf(cardOf({ tag: 'hr', element_id: 'bad-id' }))).toContain(
      'body.elements[0].element_id: element_id must start with a letter and contain only letters, digits and _',
    );
    expect(errorsOf(cardOf({ tag: 'hr', element_id: '1abc' }))).toHaveLength(1);
    expect(errorsOf(cardOf({ tag: 'hr', element_id: 'a'.repeat(21) }))).toContain('body.elements[0].element_id: element_id must be at most 20 characters');
  });

  it('a duplicate element_id, also across columns and header tags', () => {
    expect(errorsOf(cardOf({ tag: 'hr', element_id: 'x1' }, columns([[{ tag: 'hr', element_id: 'x1' }]])))).toContain(
      'body.elements[1].columns[0].elements[0]: duplicate element_id "x1" (first used at body.elements[0])',
    );
    const c = cardOf({ tag: 'hr', element_id: 'tag1' });
    c.header = {
      title: { tag: 'plain_text', content: 't' },
      text_tag_list: [{ tag: 'text_tag', element_id: 'tag1', text: { tag: 'plain_text', content: 'x' }, color: 'red' }],
    };
    expect(errorsOf(c)).toContainEqual(expect.stringMatching(/duplicate element_id "tag1"/));
  });

  it('6 tables', () => {
    expect(errorsOf(cardOf(...Array.from({ length: 6 }, smallTable)))).toContain('card has 6 tables; the limit is 5');
  });

  it('a table inside a column_set or a collapsible_panel', () => {
    expect(errorsOf(cardOf(columns([[smallTable()]])))).toContain('body.elements[0].columns[0].elements[0]: a table must sit at the root of body.elements, not inside column_set');
    expect(errorsOf(cardOf(panel({ title: bi('p'), elements: [smallTable()] })))).toContain(
      'body.elements[0].elements[0]: a table must sit at the root of body.elements, not inside collapsible_panel',
    );
  });

  it('a form inside a column_set', () => {
    expect(errorsOf(cardOf(columns([[form('f', [submit()])]])))).toContain(
      'body.elements[0].columns[0].elements[0]: a form must sit at the root of body.elements, not inside column_set',
    );
  });

  it('a form inside a form, and a table inside a form', () => {
    const inner = form('inner', [button({ name: 'go2', text: bi('Go'), submit: true })]);
    expect(errorsOf(cardOf(form('outer', [inner, submit()])))).toContain('body.elements[0].elements[0]: a form cannot contain another form');
    expect(errorsOf(cardOf(form('f', [smallTable(), submit()])))).toContain('body.elements[0].elements[0]: a form cannot contain a table');
  });

  it('duplicate form field names', () => {
    const c = cardOf(form('f', [input({ name: 'reason', label: bi('R') }), input({ name: 'reason', label: bi('R2') }), submit()]));
    expect(errorsOf(c)).toContain(
      'duplicate name "reason" at body.elements[0].elements[0], body.elements[0].elements[1]; ' + 'form and form field names must be unique in the card',
    );
  });

  it('a form field name reused outside the form, and a form field without a name', () => {
    const c = cardOf(form('f', [input({ name: 'go', label: bi('R') }), submit()]));
    expect(errorsOf(c)).toContainEqual(expect.stringMatching(/^duplicate name "go"/));
    const unnamed = cardOf(form('f', [button({ text: bi('Send'), submit: true })]));
    expect(errorsOf(unnamed)).toContain('body.elements[0].elements[0]: button inside a form needs a name');
  });

  it('a form without a submit button', () => {
    const c = cardOf(form('f', [input({ name: 'q', label: bi('Q') }), button({ name: 'r', text: bi('Reset'), reset: true })]));
    expect(errorsOf(c)).toEqual(['body.elements[0]: a form needs a button with form_action_type "submit"']);
  });

  it('form-only properties outside a form', () => {
    expect(errorsOf(cardOf(submit()))).toContain('body.elements[0]: form_action_type is only valid on a button inside a form');
    expect(errorsOf(cardOf(input({ name: 'q', label: bi('Q'), required: true })))).toContain('body.elements[0]: required is only valid inside a form');
  });

  it('a string or array button value', () => {
    const withValue = (value: unknown) => cardOf({ tag: 'button', text: { tag: 'plain_text', content: 'b' }, behaviors: [{ type: 'callback', value }] } as CardElement);
    const msg = 'body.elements[0].behaviors[0].value: a callback value must be an object (not a string, array or null)';
    expect(errorsOf(withValue('approve'))).toEqual([msg]);
    expect(errorsOf(withValue(['approve']))).toEqual([msg]);
    expect(errorsOf(withValue(null))).toEqual([msg]);
  });

  it('a bad header template colour', () => {
    const c = cardOf();
    c.header = { title: { tag: 'plain_text', content: 't' }, template: 'pink' as 'red' };
    expect(errorsOf(c)).toEqual(['header.template: header template must be one of: blue wathet turquoise green yellow orange red carmine violet purple indigo grey default']);
  });

  it('update_multi false', () => {
    const c = { ...cardOf(), config: { update_multi: false } };
    expect(errorsOf(c)).toEqual(['config.update_multi: config.update_multi must be true: JSON 2.0 cards are always shared']);
  });

  it('a 1.0 card and a table page_size out of range', () => {
    expect(errorsOf({ ...cardOf(), schema: '1.0' })).toContain('schema: schema must be "2.0"');
    expect(errorsOf(cardOf({ ...smallTable(), page_size: 11 }))).toContain('body.elements[0].page_size: table page_size must be 1–10');
  });

  it('garbage without throwing', () => {
    for (const g of [null, undefined, 1, 'card', [], {}, { schema: '2.0' }, { schema: '2.0', body: { elements: 'x' } }]) {
      expect(validateCard(g).ok).toBe(false);
    }
    const cyclic: Record<string, unknown> = { schema: '2.0', body: { elements: [] } };
    cyclic.self = cyclic;
    expect(errorsOf(cyclic)).toContainEqual(expect.stringMatching(/not JSON-serialisable/));
    expect(validateCard({ schema: '2.0', body: { elements: [{ tag: 'hr', n: 10n }] } }).ok).toBe(false);
  });
});

describe('assertValidCard', () => {
  it('returns for a valid card and throws listing every problem otherwise', () => {
    expect(() => assertValidCard(helpCard())).not.toThrow();
    const bad = { ...cardOf({ tag: 'hr', element_id: '9' }), config: { update_multi: false } };
    expect(() => assertValidCard(bad)).toThrowError(/Invalid card \(2 problems\):\n- .*update_multi.*\n- .*element_id/s);
  });

  it('exposes the limits it checks', () => {
    expect(CARD_LIMITS).toMatchObject({ maxBytes: 30720, maxComponents: 200, maxDepth: 5, maxTables: 5 });
  });
});

// The person pickers' documented constraints (cards/card.schema.ts, after selectPersonSchema):
// https://open.feishu.cn/document/feishu-cards/card-json-v2-components/interactive-components/single-select-user-picker
// https://open.feishu.cn/document/feishu-cards/card-json-v2-components/interactive-components/multi-select-user-picker
describe('person pickers', () => {
  const A = 'ou_0123456789abcdef0123456789abcdef';
  const B = 'ou_fedcba9876543210fedcba9876543210';
  const pick = (over: Record<string, unknown> = {}) => ({ ...personPicker({ name: 'who', placeholder: bi('Pick'), candidates: [A, B] }), ...over }) as CardElement;
  const multi = (over: Record<string, unknown> = {}) => ({ ...multiPersonPicker({ name: 'many', placeholder: bi('Pick'), candidates: [A, B] }), ...over }) as CardElement;

  it('accepts both in a form with open_id options, initial choices among them, required and widths', () => {
    expectValid(cardOf(form('f', [pick({ initial_option: A, required: true, width: 'fill' }), multi({ selected_values: [A, B], required: true, width: '100px' }), submit()])));
    // a single picker may stand alone (its click carries action.option); empty options = the chat's members
    expectValid(cardOf(pick({ options: [], width: 'default' })));
    expectValid(cardOf(form('f', [multi({ options: [] }), submit()])));
  });

  it('the builders keep only initial choices that are candidates, and no duplicate options', () => {
    const one = personPicker({ name: 'x', placeholder: bi('P'), candidates: [A, A, B], initial: ['ou_nobody', B] });
    expect(one.options).toEqual([{ value: A }, { value: B }]);
    expect(one.initial_option).toBe(B);
    const many = multiPersonPicker({ name: 'y', placeholder: bi('P'), candidates: [A], initial: [A, B] });
    expect(many.selected_values).toEqual([A]);
    expect(multiPersonPicker({ name: 'z', placeholder: bi('P'), candidates: [] }).selected_values).toBeUndefined();
  });

  it('refuses options that are not open_ids, or carry more than a value', () => {
    expect(errorsOf(cardOf(pick({ options: [{ value: 'zhangsan' }] }))).join('\n')).toMatch(/open_id/);
    expect(errorsOf(cardOf(pick({ options: [{ value: A, text: { tag: 'plain_text', content: 'A' } }] }))).join('\n')).toMatch(/unknown property "text"/);
  });

  it('refuses an initial_option or selected_values that is not one of the options (Lark ignores it)', () => {
    expect(errorsOf(cardOf(pick({ initial_option: 'ou_someoneelse' })))).toContain('body.elements[0]: initial_option "ou_someoneelse" is not one of the options (Lark ignores it)');
    expect(errorsOf(cardOf(pick({ options: [], initial_option: A })))).toContain(`body.elements[0]: initial_option "${A}" is not one of the options (Lark ignores it)`);
    expect(errorsOf(cardOf(form('f', [multi({ selected_values: [A, 'ou_x'] }), submit()])))).toContain(
      'body.elements[0].elements[0]: selected_values "ou_x" is not one of the options (Lark ignores it)',
    );
  });

  it('refuses a multi_select_person outside a form, and either picker without a name in a form', () => {
    expect(errorsOf(cardOf(multi()))).toContain('body.elements[0]: multi_select_person must sit inside a form');
    const nameless = { ...multi() } as Record<string, unknown>;
    delete nameless.name;
    expect(errorsOf(cardOf(form('f', [nameless as unknown as CardElement, submit()])))).toContain('body.elements[0].elements[0]: multi_select_person inside a form needs a name');
    expect(errorsOf(cardOf(form('f', [pick(), multi({ name: 'who' }), submit()]))).join('\n')).toMatch(/duplicate name "who"/);
  });

  it('refuses required outside a form', () => {
    expect(errorsOf(cardOf(pick({ required: true })))).toContain('body.elements[0]: required is only valid inside a form');
  });

  it('refuses a placeholder over 100 characters (in any language) or not plain_text, and a width under 100px', () => {
    const long = 'x'.repeat(101);
    expect(errorsOf(cardOf(pick({ placeholder: { tag: 'plain_text', content: 'ok', i18n_content: { en_us: long } } }))).join('\n')).toMatch(/at most 100 characters/);
    expectValid(cardOf(pick({ placeholder: { tag: 'plain_text', content: '人'.repeat(100) } })));
    expect(errorsOf(cardOf(pick({ placeholder: { tag: 'lark_md', content: '**x**' } }))).join('\n')).toMatch(/plain_text/);
    expect(errorsOf(cardOf(pick({ width: '99px' }))).join('\n')).toMatch(/at least 100px/);
    expect(errorsOf(cardOf(form('f', [multi({ width: 'auto' }), submit()]))).join('\n')).toMatch(/default, fill or at least 100px/);
  });
});

describe('withinElementLimits (the renderers’ cheap check)', () => {
  const cardOf = (n: number, withText: boolean) => ({
    schema: '2.0',
    body: {
      elements: Array.from({ length: n }, (_, i) =>
        withText ? { tag: 'button', text: { tag: 'plain_text', content: `b${i}` }, behaviors: [{ type: 'callback', value: { i } }] } : { tag: 'markdown', content: `m${i}` },
      ),
    },
  });
  it('agrees with validateCard on the element limits: components, and components with their text objects', () => {
    for (const [n, withText] of [
      [150, false],
      [200, false],
      [201, false],
      [100, true],
      [101, true],
    ] as const) {
      const card = cardOf(n, withText);
      const v = validateCard(card);
      const overByValidator = !v.ok && v.errors.some((e) => / elements \(| components;/.test(e));
      expect(withinElementLimits(card), `${n} ${withText ? 'buttons' : 'markdown'}`).toBe(!overByValidator);
    }
    expect(withinElementLimits(cardOf(201, false))).toBe(false);
    expect(withinElementLimits(cardOf(101, true))).toBe(false);
    expect(withinElementLimits(cardOf(100, true))).toBe(true);
  });
});
