import { describe, expect, it } from 'vitest';
import {
  both,
  button,
  card,
  columns,
  datePicker,
  div,
  form,
  header,
  hr,
  input,
  md,
  mdText,
  multiSelect,
  panel,
  plain,
  select,
  table,
  validateCard,
  type Bi,
  type CardText,
} from '../../cards/index.js';
import { approvalCard, helpCard, requestFormCard } from './sample-cards.js';

const ok: Bi = { zh: '确定', en: 'OK' };

/** Every text object in a card (anything with tag plain_text / lark_md). */
function textsIn(node: unknown, out: CardText[] = []): CardText[] {
  if (Array.isArray(node)) node.forEach((n) => textsIn(n, out));
  else if (typeof node === 'object' && node !== null) {
    const o = node as Record<string, unknown>;
    if (o.tag === 'plain_text' || o.tag === 'lark_md') out.push(o as unknown as CardText);
    Object.values(o).forEach((v) => textsIn(v, out));
  }
  return out;
}

describe('text helpers', () => {
  it('plain() carries both languages and falls back to zh', () => {
    expect(plain(ok)).toEqual({ tag: 'plain_text', content: '确定', i18n_content: { zh_cn: '确定', en_us: 'OK' } });
  });

  it('the fallback parameter picks the content language only', () => {
    expect(plain(ok, 'en')).toEqual({ tag: 'plain_text', content: 'OK', i18n_content: { zh_cn: '确定', en_us: 'OK' } });
    expect(md(ok, 'en')).toEqual({ tag: 'markdown', content: 'OK', i18n_content: { zh_cn: '确定', en_us: 'OK' } });
    expect(mdText(ok).tag).toBe('lark_md');
    expect(div(ok, 'en').text?.content).toBe('OK');
  });

  it('both() joins zh and en for strings without i18n', () => {
    expect(both({ zh: '编号', en: 'No.' })).toBe('编号 No.');
    expect(both({ zh: 'ID', en: 'ID' })).toBe('ID');
  });
});

describe('component builders', () => {
  it('header() with subtitle and tags', () => {
    const h = header({
      title: ok,
      subtitle: { zh: '副', en: 'Sub' },
      template: 'red',
      tags: [{ text: { zh: '机密', en: 'Confidential' }, color: 'red' }],
    });
    expect(h).toEqual({
      title: plain(ok),
      subtitle: plain({ zh: '副', en: 'Sub' }),
      template: 'red',
      text_tag_list: [{ tag: 'text_tag', text: plain({ zh: '机密', en: 'Confidential' }), color: 'red' }],
    });
    expect(header({ title: ok, template: 'blue' })).toEqual({ title: plain(ok), template: 'blue' });
  });

  it('button() maps value, url, confirm, submit and disabled', () => {
    expect(
      button({
        name: 'approve',
        text: ok,
        type: 'primary',
        value: { a: 'approval.approve', n: '1' },
        url: 'https://example.com',
        confirm: { title: ok, text: ok },
        disabled: true,
        disabledTips: ok,
      }),
    ).toEqual({
      tag: 'button',
      name: 'approve',
      text: plain(ok),
      type: 'primary',
      disabled: true,
      disabled_tips: plain(ok),
      confirm: { title: plain(ok), text: plain(ok) },
      behaviors: [
        { type: 'callback', value: { a: 'approval.approve', n: '1' } },
        { type: 'open_url', default_url: 'https://example.com' },
      ],
    });
    expect(button({ text: ok })).toEqual({ tag: 'button', text: plain(ok), type: 'default' });
    expect(button({ name: 's', text: ok, submit: true }).form_action_type).toBe('submit');
    expect(button({ name: 'r', text: ok, reset: true }).form_action_type).toBe('reset');
  });

  it('columns() defaults to auto width; weight implies weighted', () => {
    expect(columns([[hr()], { weight: 2, elements: [], verticalAlign: 'center' }], { flexMode: 'none', spacing: 'small' })).toEqual({
      tag: 'column_set',
      flex_mode: 'none',
      horizontal_spacing: 'small',
      columns: [
        { tag: 'column', width: 'auto', elements: [{ tag: 'hr' }] },
        { tag: 'column', width: 'weighted', weight: 2, vertical_align: 'center', elements: [] },
      ],
    });
  });

  it('form fields', () => {
    expect(form('f', [])).toEqual({ tag: 'form', name: 'f', elements: [] });
    expect(input({ name: 'why', label: ok, placeholder: ok, required: true, multiline: true, maxLength: 200 })).toEqual({
      tag: 'input',
      name: 'why',
      label: plain(ok),
      label_position: 'top',
      placeholder: plain(ok),
      required: true,
      input_type: 'multiline_text',
      max_length: 200,
    });
    expect(select({ name: 'l', placeholder: ok, options: [{ text: ok, value: 'v' }], initial: 'v' })).toEqual({
      tag: 'select_static',
      name: 'l',
      placeholder: plain(ok),
      options: [{ text: plain(ok), value: 'v' }],
      initial_option: 'v',
    });
    expect(multiSelect({ name: 'm', placeholder: ok, options: [], initial: ['a'] }).selected_values).toEqual(['a']);
    expect(datePicker({ name: 'd', placeholder: ok, initial: '2026-04-01', required: true })).toEqual({
      tag: 'date_picker',
      name: 'd',
      placeholder: plain(ok),
      initial_date: '2026-04-01',
      required: true,
    });
  });

  it('table() headers show both languages by default, or the fallback one', () => {
    const opts = {
      pageSize: 3,
      columns: [{ name: 'no', display: { zh: '编号', en: 'No.' }, type: 'text' as const, align: 'right' as const }],
      rows: [{ no: 'CP-2026-0001' }],
    };
    expect(table(opts)).toEqual({
      tag: 'table',
      page_size: 3,
      columns: [{ name: 'no', display_name: '编号 No.', data_type: 'text', horizontal_align: 'right' }],
      rows: [{ no: 'CP-2026-0001' }],
    });
    expect(table({ ...opts, headers: 'fallback' }).columns[0]?.display_name).toBe('编号');
    expect(table({ ...opts, headers: 'fallback' }, 'en').columns[0]?.display_name).toBe('No.');
  });

  it('panel() is collapsed by default', () => {
    expect(panel({ title: ok, elements: [hr()] })).toEqual({
      tag: 'collapsible_panel',
      expanded: false,
      header: { title: plain(ok) },
      elements: [{ tag: 'hr' }],
    });
  });

  it('card() produces a shared bilingual 2.0 root', () => {
    expect(card({ elements: [hr()], summary: ok }, 'en')).toEqual({
      schema: '2.0',
      config: { update_multi: true, locales: ['zh_cn', 'en_us'], summary: { content: 'OK', i18n_content: { zh_cn: '确定', en_us: 'OK' } } },
      body: { elements: [{ tag: 'hr' }] },
    });
  });
});

describe('sample cards', () => {
  for (const [name, build] of [
    ['help', helpCard],
    ['approval', approvalCard],
    ['request form', requestFormCard],
  ] as const) {
    it(`${name}: valid, and every text has non-empty zh_cn and en_us`, () => {
      const c = build();
      expect(validateCard(c)).toEqual({ ok: true });
      const texts = textsIn(c);
      expect(texts.length).toBeGreaterThan(0);
      for (const t of texts) {
        expect(t.i18n_content?.zh_cn, JSON.stringify(t)).toBeTruthy();
        expect(t.i18n_content?.en_us, JSON.stringify(t)).toBeTruthy();
        expect(t.content).toBe(t.i18n_content?.zh_cn);
      }
    });
  }

  it('markdown elements carry both languages', () => {
    const mds = approvalCard().body.elements.flatMap(function flat(e): unknown[] {
      if (e.tag === 'column_set') return e.columns.flatMap((c) => c.elements.flatMap(flat));
      if (e.tag === 'collapsible_panel' || e.tag === 'form') return e.elements.flatMap(flat);
      return e.tag === 'markdown' ? [e] : [];
    });
    expect(mds.length).toBe(4);
    for (const m of mds) expect(m).toMatchObject({ i18n_content: { zh_cn: expect.any(String), en_us: expect.any(String) } });
  });
});
