// Lark's documented card limits, one rule per test, each with the open.feishu.cn page that states it,
// and every card builder at its worst case (50 carriers, 40-character numbers, long aliases,
// 500-character comments, each reader language) checked against them.
import { describe, expect, it } from 'vitest';
import type { Bi } from '../../cards/builder.js';
import { button, card, form, header, input, md, table } from '../../cards/builder.js';
import { CARD_LIMITS, isColumnWidth, sentCardBytes, validateCard } from '../../cards/card.schema.js';
import type { Card, CardElement } from '../../cards/card.types.js';
import { carrierCard, carrierListCard, type CarrierView } from '../../cards/carrier.card.js';
import { deadLettersCard } from '../../cards/deadletters.card.js';
import { helpCard, helpDetailCard } from '../../cards/help.card.js';
import { myRequestsCard, pendingCard } from '../../cards/lists.card.js';
import { carryFormCard, copyFormCard, destroyFormCard, formSubmittedCard, type FormCarrier } from '../../cards/request-forms.card.js';
import { approvalCard, executionCard, statusCard, witnessCard } from '../../cards/request.card.js';
import { forReader } from '../../cards/reader.js';
import { welcomeCard } from '../../cards/welcome.card.js';
import { bilingual } from '../../locales/index.js';
import type { CarrierRef, Kind, Level, Request } from '../../domain/index.js';
import { P, carrier, currentApprover, days, hours, step, submitted } from '../domain/helpers.js';

const bi = (s: string): Bi => ({ zh: s, en: s });
const cardOf = (...elements: CardElement[]): Card => card({ elements });
const errorsOf = (c: unknown): string[] => {
  const r = validateCard(c);
  return r.ok ? [] : r.errors;
};

// ---- the rules ------------------------------------------------------------------------------------

describe('Lark limits encoded in cards/card.schema.ts', () => {
  // https://open.feishu.cn/document/feishu-cards/card-json-v2-components/content-components/table
  // "width: auto | [80,600]px | percentage"
  it('table column width: auto, 80px–600px or a percentage (table page)', () => {
    for (const w of ['auto', '80px', '600px', '25%', '100%', '12.5%']) expect(isColumnWidth(w), w).toBe(true);
    for (const w of ['60px', '79px', '601px', '0%', '101%', '120', 'fill', '']) expect(isColumnWidth(w), w).toBe(false);
    const t = (width: string) => cardOf(table({ pageSize: 5, columns: [{ name: 'n', display: bi('#'), type: 'number', width }], rows: [{ n: 1 }] }));
    expect(errorsOf(t('80px'))).toEqual([]);
    expect(errorsOf(t('60px'))).toContainEqual(expect.stringMatching(/columns\[0\]\.width: a table column width is auto, 80px–600px or a percentage/));
  });

  // Same page: "page_size: [1,10]"; "单张卡片最多支持放置五个表格组件" (at most five tables).
  it('table page_size 1–10 and at most 5 tables (table page)', () => {
    const t = (pageSize: number) => table({ pageSize, columns: [{ name: 'a', display: bi('A'), type: 'text' }], rows: [] });
    expect(errorsOf(cardOf(t(1), t(10)))).toEqual([]);
    expect(errorsOf(cardOf(t(0))).join('\n')).toMatch(/page_size/);
    expect(errorsOf(cardOf(t(11))).join('\n')).toMatch(/page_size must be 1–10/);
    expect(errorsOf(cardOf(...Array.from({ length: 5 }, () => t(5))))).toEqual([]);
    expect(errorsOf(cardOf(...Array.from({ length: 6 }, () => t(5))))).toContain(`card has 6 tables; the limit is ${CARD_LIMITS.maxTables}`);
  });

  // https://open.feishu.cn/document/feishu-cards/card-json-v2-structure: at most 200 elements, the
  // text objects inside components (plain_text / lark_md) counted too.
  it('200 elements, text objects included (card-json-v2-structure)', () => {
    const b = (i: number) => button({ name: `b${i}`, text: bi(`B${i}`) });
    // 100 buttons = 100 components + 100 text objects.
    expect(errorsOf(cardOf(...Array.from({ length: 100 }, (_, i) => b(i))))).toEqual([]);
    expect(errorsOf(cardOf(...Array.from({ length: 101 }, (_, i) => b(i))))).toContain('card has 202 elements (101 components and 101 text objects); the limit is 200');
    // Option texts, labels and placeholders count as well.
    const options = Array.from({ length: 197 }, (_, i) => ({ text: bi(`o${i}`), value: `v${i}` }));
    const sel = { tag: 'select_static', name: 's', options: options.map((o) => ({ text: { tag: 'plain_text', content: o.text.zh }, value: o.value })) } as CardElement;
    expect(errorsOf(cardOf(sel, md(bi('x')), md(bi('y'))))).toEqual([]);
    expect(errorsOf(cardOf(sel, md(bi('x')), md(bi('y')), md(bi('z'))))).toContain('card has 201 elements (4 components and 197 text objects); the limit is 200');
  });

  // https://open.feishu.cn/document/server-docs/im-v1/message/create and …/message-card/patch:
  // a card's request body is at most 30 KB (230025), the card JSON escaped inside `content`.
  it('30 KB measured on the body as sent: the card escaped inside content (im-v1 message create)', () => {
    // 9 K quotes in one markdown: ~18 KB of card JSON (\" each), ~36 KB once escaped again.
    const quotes = cardOf({ tag: 'markdown', content: '"'.repeat(9 * 1024) });
    expect(new TextEncoder().encode(JSON.stringify(quotes)).length).toBeLessThan(CARD_LIMITS.maxBytes);
    expect(sentCardBytes(quotes)).toBeGreaterThan(CARD_LIMITS.maxBytes);
    expect(errorsOf(quotes)).toContainEqual(expect.stringMatching(/^card JSON is \d+ bytes; the limit is 30720 \(30 KB, measured as sent/));
    expect(errorsOf(cardOf({ tag: 'markdown', content: 'x'.repeat(20 * 1024) }))).toEqual([]);
  });

  // https://open.feishu.cn/document/feishu-cards/card-json-v2-components/content-components/title:
  // "text_tag_list … 最多设置 3 个标签" (at most 3 header tags).
  it('at most 3 header tags (title page)', () => {
    const withTags = (n: number) =>
      card({ header: header({ title: bi('T'), template: 'blue', tags: Array.from({ length: n }, (_, i) => ({ text: bi(`t${i}`), color: 'blue' as const })) }), elements: [] });
    expect(errorsOf(withTags(3))).toEqual([]);
    expect(errorsOf(withTags(4))).toContain('header.text_tag_list: header.text_tag_list holds at most 3 tags');
  });

  // https://open.feishu.cn/document/feishu-cards/card-json-v2-components/interactive-components/input:
  // placeholder plain_text ≤ 100 characters; max_length [1,1000].
  it('input placeholder at most 100 characters in every language, max_length 1–1000 (input page)', () => {
    const f = (placeholder: Bi, maxLength = 100) =>
      cardOf(form('f', [input({ name: 'q', label: bi('Q'), placeholder, maxLength }), button({ name: 'go', text: bi('Go'), submit: true })]));
    expect(errorsOf(f({ zh: '密'.repeat(100), en: 'x'.repeat(100) }))).toEqual([]);
    expect(errorsOf(f({ zh: '密'.repeat(100), en: 'x'.repeat(101) })).join('\n')).toMatch(/input placeholder has at most 100 characters/);
    expect(errorsOf(f(bi('ok'), 1001)).join('\n')).toMatch(/max_length/);
  });

  // https://open.feishu.cn/document/feishu-cards/card-json-v2-components/containers/form-container:
  // names unique in the card; a submit button in the form.
  it('form names unique and a submit button present (form container page)', () => {
    expect(errorsOf(cardOf(form('f', [input({ name: 'a', label: bi('A') })])))).toContain('body.elements[0]: a form needs a button with form_action_type "submit"');
    const dup = cardOf(form('f', [input({ name: 'a', label: bi('A') }), input({ name: 'a', label: bi('B') }), button({ name: 'go', text: bi('Go'), submit: true })]));
    expect(errorsOf(dup).join('\n')).toMatch(/duplicate name "a"/);
  });
});

// ---- every builder at its worst case ----------------------------------------------------------------

/** The card texts for one reader language (zh or en), or both (a group card, Lark's per-text i18n). */
type Lang = 'both' | 'zh' | 'en';
const tbOf =
  (lang: Lang) =>
  (key: string, params?: Record<string, unknown>): Bi => {
    const b = bilingual(key, params);
    return lang === 'both' ? b : lang === 'zh' ? { zh: b.zh, en: b.zh } : { zh: b.en, en: b.en };
  };
const LANGS: Lang[] = ['both', 'zh', 'en'];

const LONG_NAME: Bi = { zh: '欧阳'.repeat(10), en: 'Alexandra-Konstantinopoulou '.repeat(3) };
const names = (): Bi => LONG_NAME;
const NUM = (i: number) => `JM-${String(i).padStart(3, '0')}-${'X'.repeat(33)}`; // 40 characters
const ALIAS = `别名<at id=all></at>**${'密'.repeat(120)}`;
const C500 = '意"见'.repeat(167).slice(0, 500);
const OPEN_IDS = Array.from({ length: 50 }, (_, i) => `ou_${'0123456789abcdef'.repeat(2)}${String(i).padStart(2, '0')}`);

function carriers50(level: Level, kind: Kind): CarrierRef[] {
  return Array.from({ length: 50 }, (_, i) =>
    carrier(NUM(i), level, {
      alias: ALIAS.slice(0, 100),
      carrierType: '纸'.repeat(32),
      period: '年'.repeat(32),
      pagesOrCapacity: '页'.repeat(32),
      copyRestricted: true,
      mustReturnToIssuer: kind !== 'DESTROY' && i % 2 === 0,
    }),
  );
}

function details(kind: Kind): Record<string, unknown> {
  const t = (n: number, ch: string) => ch.repeat(n);
  switch (kind) {
    case 'COPY':
      return { copies: 100, purpose: t(200, '用'), place: t(100, '地'), pages: 100_000, method: '复印', ref: t(100, '号') };
    case 'CARRY_OUT':
      return { destination: t(100, '地'), purpose: t(200, '用'), companions: OPEN_IDS.slice(0, 10) };
    case 'DESTROY':
      return { reason: t(200, '因'), site: t(100, '地'), witnesses: OPEN_IDS.slice(0, 10) };
  }
}

/** Worst-case requests in the states where cards are fullest. */
function worst(kind: Kind): { name: string; req: Request }[] {
  const level: Level = kind === 'CARRY_OUT' ? 'SECRET' : 'CONFIDENTIAL';
  const sub = submitted(kind, level, { carriers: carriers50(level, kind), details: details(kind) });
  const one = step(sub, { type: 'approve', comment: C500 }, currentApprover(sub), hours(1));
  let all = one;
  while (all.state === 'IN_APPROVAL') all = step(all, { type: 'approve', comment: C500 }, currentApprover(all), hours(2));
  const out = [
    { name: 'IN_APPROVAL', req: one },
    { name: 'APPROVED', req: all },
    { name: 'REJECTED', req: step(one, { type: 'reject', reason: C500 }, currentApprover(one), hours(3)) },
    { name: 'RETURNED FOR EDIT', req: step(sub, { type: 'return', reason: C500 }, currentApprover(sub), hours(3)) },
  ];
  if (kind === 'CARRY_OUT') {
    const back = step(step(all, { type: 'check_out' }, P.so3, hours(3)), { type: 'return_carrier' }, P.so1, days(4));
    out.push({ name: 'RETURNED', req: back }, { name: 'CLOSED', req: step(back, { type: 'inspect', ok: false, note: C500 }, P.so3, days(4)) });
  }
  if (kind === 'DESTROY') out.push({ name: 'EXECUTED', req: step(all, { type: 'record_destruction', witnesses: [P.w1.id, P.w2.id] }, P.so3, hours(3)) });
  return out;
}

let currentLang: Lang = 'both';

/** Valid and under the size limit; for one reader also once reduced to their language (forReader). */
function expectFits(c: Card, label: string): void {
  const r = validateCard(c);
  expect(r.ok ? [] : r.errors, label).toEqual([]);
  expect(sentCardBytes(c), label).toBeLessThanOrEqual(CARD_LIMITS.maxBytes - 1024);
  if (currentLang === 'both') return;
  const one = forReader(c, currentLang === 'zh' ? 'zh-CN' : 'en-US');
  const r1 = validateCard(one);
  expect(r1.ok ? [] : r1.errors, `${label} (${currentLang} reader)`).toEqual([]);
  expect(JSON.stringify(one), label).not.toContain('i18n_content');
}

describe('every card builder at its worst case passes the validator', () => {
  for (const lang of LANGS) {
    const tb = tbOf(lang);

    const opts = { tb, names, now: days(5) };

    for (const kind of ['COPY', 'CARRY_OUT', 'DESTROY'] as Kind[]) {
      it(`${kind} request cards (${lang}): approval, status, execution, witness in every full state`, () => {
        currentLang = lang;
        for (const { name, req } of worst(kind)) {
          expectFits(approvalCard(req, opts), `${kind} ${name} approval`);
          expectFits(statusCard(req, opts), `${kind} ${name} status`);
          expectFits(executionCard(req, { ...opts, witnessCandidates: OPEN_IDS }), `${kind} ${name} execution`);
          expectFits(witnessCard(req, P.w1.id, opts), `${kind} ${name} witness`);
        }
      });
    }

    it(`form cards (${lang}): 50 carriers with 40-character numbers and long aliases, 50 candidates`, () => {
      currentLang = lang;
      const list: FormCarrier[] = Array.from({ length: 50 }, (_, i) => ({ number: NUM(i), level: 'TOP_SECRET', alias: ALIAS }));
      const o = { tb, carriers: list, owner: OPEN_IDS[0]!, people: OPEN_IDS };
      for (const [n, c] of [
        ['copy', copyFormCard(o)],
        ['carry', carryFormCard(o)],
        ['destroy', destroyFormCard(o)],
      ] as const) {
        expectFits(c, n);
      }
      // However large the register: more carriers than a select holds fall back to a number input.
      const huge: FormCarrier[] = Array.from({ length: 500 }, (_, i) => ({ number: NUM(i), level: 'SECRET', alias: ALIAS }));
      expectFits(copyFormCard({ tb, carriers: huge }), 'copy 500');
      for (const k of ['COPY', 'CARRY_OUT', 'DESTROY'] as Kind[]) expectFits(formSubmittedCard(k, 'CO-2026-9999', tb), `${k} submitted`);
    });

    it(`list, carrier, dead-letter, help and welcome cards (${lang})`, () => {
      currentLang = lang;
      const reqs = (['COPY', 'CARRY_OUT', 'DESTROY'] as Kind[]).flatMap((k) => worst(k).map((w) => w.req));
      const twenty = Array.from({ length: 20 }, (_, i) => reqs[i % reqs.length]!);
      expectFits(myRequestsCard(twenty, { tb, names }), 'my');
      expectFits(pendingCard(twenty, { tb, names }), 'pending');
      const view = (i: number): CarrierView => ({
        number: NUM(i),
        level: 'SECRET',
        carrierType: '纸'.repeat(32),
        alias: ALIAS.slice(0, 100),
        period: '年'.repeat(32),
        issuer: '办'.repeat(64),
        copyRestricted: true,
        mustReturnToIssuer: true,
        pages: '页'.repeat(32),
        count: 99,
        custodianId: OPEN_IDS[0]!,
        status: 'IN_STOCK',
        origin: 'copied',
        parentNumber: NUM(99),
      });
      expectFits(carrierCard(view(1), { tb, names }), 'carrier');
      expectFits(
        carrierListCard(
          Array.from({ length: 100 }, (_, i) => view(i)),
          { tb, names, nextCursor: NUM(99) },
        ),
        'carrier list',
      );
      const letters = Array.from({ length: 50 }, (_, i) => ({ id: `CP-2026-${String(i).padStart(4, '0')}`, what: LONG_NAME, attempts: 12, diedAt: days(1), error: C500 }));
      expectFits(deadLettersCard(letters, { tb, timeZone: 'Asia/Shanghai' }), 'dead letters');
      const cmds = [
        'help',
        'lang',
        'copy',
        'carry',
        'destroy',
        'approve',
        'reject',
        'revise',
        'resubmit',
        'withdraw',
        'complete',
        'checkout',
        'return',
        'inspect',
        'deadletters',
        'witness',
        'my',
        'pending',
        'carrier',
        'role',
      ].map((name) => ({ name, aliases: ['别名一', '别名二'] }));
      expectFits(helpCard(cmds, tb), 'help');
      for (const c of cmds) expectFits(helpDetailCard(c, tb), `help ${c.name}`);
      expectFits(welcomeCard('group', tb, LONG_NAME), 'welcome');
    });
  }
});
