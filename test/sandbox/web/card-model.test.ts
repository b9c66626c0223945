import { describe, expect, it } from 'vitest';
import {
  buttonBehavior,
  cardElements,
  collectForm,
  columnFlex,
  fieldDefault,
  formParts,
  formatDate,
  formatNumber,
  headerTemplate,
  normalizeLocale,
  pageRows,
  personCandidates,
  pickField,
  pickText,
  safeHref,
  tableCell,
  tablePageSize,
  tagColor,
  toastText,
  wireValue,
} from '../../../sandbox/lark/web/card-model.js';

describe('i18n text', () => {
  const title = { tag: 'plain_text', content: '载体复制申请', i18n_content: { en_us: 'Copy request' } };

  it('picks i18n_content[locale], else content', () => {
    expect(pickText(title, 'en_us')).toBe('Copy request');
    expect(pickText(title, 'zh_cn')).toBe('载体复制申请');
    expect(pickText({ content: 'only' }, 'en_us')).toBe('only');
    expect(pickText({ content: 'x', i18n_content: { en_us: '' } }, 'en_us')).toBe('x');
    expect(pickText('raw', 'en_us')).toBe('raw');
    expect(pickText(undefined, 'en_us')).toBe('');
  });

  it('localises component fields: i18n_placeholder, then placeholder.i18n_content, then placeholder', () => {
    expect(pickField({ i18n_placeholder: { en_us: 'Reason' }, placeholder: { content: '事由' } }, 'placeholder', 'en_us')).toBe('Reason');
    expect(pickField({ placeholder: { content: '事由', i18n_content: { en_us: 'Why' } } }, 'placeholder', 'en_us')).toBe('Why');
    expect(pickField({ placeholder: { content: '事由' } }, 'placeholder', 'en_us')).toBe('事由');
    expect(pickField({ label: '标签' }, 'label', 'zh_cn')).toBe('标签');
    expect(pickField(null, 'label', 'zh_cn')).toBe('');
  });

  it('localises toasts', () => {
    const toast = { type: 'success', content: '已同意', i18n: { zh_cn: '已同意', en_us: 'Approved' } };
    expect(toastText(toast, 'en_us')).toBe('Approved');
    expect(toastText({ content: '好' }, 'en_us')).toBe('好');
    expect(toastText(undefined, 'en_us')).toBe('');
  });

  it('normalises locale names and colours', () => {
    expect(normalizeLocale('en')).toBe('en_us');
    expect(normalizeLocale('en-US')).toBe('en_us');
    expect(normalizeLocale('zh-CN')).toBe('zh_cn');
    expect(normalizeLocale('fr')).toBe('zh_cn');
    expect(headerTemplate('Orange')).toBe('orange');
    expect(headerTemplate('hotpink')).toBe('default');
    expect(tagColor('gray')).toBe('grey');
    expect(tagColor(undefined)).toBe('neutral');
  });
});

describe('buttons', () => {
  it('reads the callback value and URL from behaviors', () => {
    expect(buttonBehavior({ behaviors: [{ type: 'callback', value: { a: 1 } }] })).toEqual({ callback: { a: 1 }, url: undefined });
    expect(buttonBehavior({ behaviors: [{ type: 'open_url', default_url: 'https://x', pc_url: 'https://pc' }] })).toEqual({ callback: undefined, url: 'https://pc' });
    expect(buttonBehavior({ value: { legacy: true } }).callback).toEqual({ legacy: true });
    expect(buttonBehavior(undefined)).toEqual({ callback: undefined, url: undefined });
  });

  it('allows only web and mail links', () => {
    expect(safeHref('https://open.feishu.cn')).toBe('https://open.feishu.cn');
    expect(safeHref('javascript:alert(1)')).toBeUndefined();
    expect(safeHref(' data:text/html,x')).toBeUndefined();
  });
});

describe('forms', () => {
  const form = {
    tag: 'form',
    name: 'copy_form',
    elements: [
      { tag: 'input', name: 'title', required: true, max_length: 5 },
      { tag: 'select_static', name: 'level', required: true, initial_option: 'secret', options: [] },
      {
        tag: 'column_set',
        columns: [
          { tag: 'column', elements: [{ tag: 'date_picker', name: 'due', initial_date: '2024-04-01' }] },
          { tag: 'column', elements: [{ tag: 'multi_select_static', name: 'tags', options: [] }] },
        ],
      },
      { tag: 'markdown', content: 'note' },
      { tag: 'button', name: 'submit', form_action_type: 'submit' },
      { tag: 'button', name: 'reset', form_action_type: 'reset' },
    ],
  };

  it('finds fields and buttons, also inside columns', () => {
    const { fields, buttons } = formParts(form);
    expect(fields.map((f) => f.name)).toEqual(['title', 'level', 'due', 'tags']);
    expect(buttons.map((b) => b.name)).toEqual(['submit', 'reset']);
  });

  it('knows defaults', () => {
    const { fields } = formParts(form);
    expect(fields.map((f) => fieldDefault(f))).toEqual(['', 'secret', '2024-04-01', []]);
    expect(fieldDefault({ tag: 'input', default_value: 'x' })).toBe('x');
    expect(fieldDefault({ tag: 'picker_datetime', initial_datetime: '2024-04-29 07:07' })).toBe('2024-04-29T07:07');
  });

  it('sends dates, times and datetimes like Feishu', () => {
    expect(wireValue('date_picker', '2024-04-01')).toBe('2024-04-01 +0800');
    expect(wireValue('picker_time', '07:07')).toBe('07:07 +0800');
    expect(wireValue('picker_datetime', '2024-04-29T07:07')).toBe('2024-04-29 07:07 +0800');
    expect(wireValue('date_picker', '')).toBe('');
    expect(wireValue('date_picker', '2024-04-01', '+0000')).toBe('2024-04-01 +0000');
    expect(wireValue('multi_select_static', ['a', 'b'])).toEqual(['a', 'b']);
    expect(wireValue('input', 12)).toBe('12');
  });

  it('blocks a submit with an empty required field and reports every missing one', () => {
    const { fields } = formParts(form);
    const r = collectForm(fields, { title: '  ', level: '', due: '', tags: [] });
    expect(r.missing).toEqual(['title', 'level']);
  });

  it('collects form_value when complete, and checks max_length', () => {
    const { fields } = formParts(form);
    const ok = collectForm(fields, { title: '设计图', level: 'secret', due: '2024-04-01', tags: ['a'] });
    expect(ok.missing).toEqual([]);
    expect(ok.tooLong).toEqual([]);
    expect(ok.form_value).toEqual({ title: '设计图', level: 'secret', due: '2024-04-01 +0800', tags: ['a'] });
    expect(collectForm(fields, { title: '123456', level: 'x', due: '', tags: [] }).tooLong).toEqual(['title']);
  });

  it('does not require a disabled field', () => {
    expect(collectForm([{ tag: 'input', name: 'a', required: true, disabled: true }], { a: '' }).missing).toEqual([]);
  });
});

describe('tables', () => {
  const rows = Array.from({ length: 12 }, (_, i) => ({ n: i }));

  it('pages rows and clamps the page number', () => {
    expect(pageRows(rows, 5, 0)).toMatchObject({ page: 0, pageCount: 3, total: 12 });
    expect(pageRows(rows, 5, 2).rows).toEqual([{ n: 10 }, { n: 11 }]);
    expect(pageRows(rows, 5, 9).page).toBe(2);
    expect(pageRows(rows, 5, -1).page).toBe(0);
    expect(pageRows([], 5, 0)).toMatchObject({ rows: [], page: 0, pageCount: 1 });
    expect(pageRows(undefined, 5, 0).rows).toEqual([]);
  });

  it('uses page_size 1–10, default 5', () => {
    expect(tablePageSize({ page_size: 3 })).toBe(3);
    expect(tablePageSize({ page_size: 50 })).toBe(10);
    expect(tablePageSize({})).toBe(5);
    expect(tablePageSize({ page_size: 0 })).toBe(5);
  });

  it('formats cells by data_type', () => {
    expect(tableCell({ data_type: 'text' }, 'a', 'zh_cn')).toEqual({ kind: 'text', text: 'a' });
    expect(tableCell({ data_type: 'lark_md' }, '**a**', 'zh_cn')).toEqual({ kind: 'markdown', text: '**a**' });
    expect(tableCell({ data_type: 'number', format: { precision: 2, symbol: '¥', separator: true } }, 1234.5, 'zh_cn')).toEqual({
      kind: 'text',
      text: '¥1,234.50',
      align: 'right',
    });
    expect(tableCell({ data_type: 'options' }, [{ text: '机密', color: 'red' }, 'x'], 'zh_cn')).toEqual({
      kind: 'tags',
      tags: [
        { text: '机密', color: 'red' },
        { text: 'x', color: 'neutral' },
      ],
    });
    expect(tableCell({ data_type: 'persons' }, ['ou_1', { id: 'ou_2' }], 'zh_cn')).toEqual({ kind: 'persons', ids: ['ou_1', 'ou_2'] });
    expect(tableCell({ data_type: 'text' }, null, 'zh_cn')).toEqual({ kind: 'text', text: '' });
    expect(tableCell({ data_type: 'date', date_format: 'YYYY-MM-DD' }, new Date(2024, 3, 1).getTime(), 'zh_cn')).toEqual({ kind: 'text', text: '2024-04-01' });
  });

  it('formats dates and numbers defensively', () => {
    expect(formatDate('not a date')).toBe('not a date');
    expect(formatDate(new Date(2024, 0, 2, 3, 4).getTime(), 'YYYY/MM/DD HH:mm')).toBe('2024/01/02 03:04');
    expect(formatNumber('abc')).toBe('abc');
    expect(formatNumber(3)).toBe('3');
  });
});

describe('layout helpers', () => {
  it('maps column widths to flex', () => {
    expect(columnFlex({ width: 'weighted', weight: 2 })).toEqual({ flex: '2 1 0' });
    expect(columnFlex({ width: 'auto' })).toEqual({ flex: '0 0 auto' });
    expect(columnFlex({ width: '120px' })).toEqual({ flex: '0 0 120px', width: '120px' });
    expect(columnFlex({ weight: 99 })).toEqual({ flex: '5 1 0' });
  });

  it('finds the elements of 2.0 and legacy cards', () => {
    expect(cardElements({ schema: '2.0', body: { elements: [{ tag: 'hr' }] } })).toEqual([{ tag: 'hr' }]);
    expect(cardElements({ elements: [{ tag: 'div' }] })).toEqual([{ tag: 'div' }]);
    expect(cardElements(null)).toEqual([]);
  });
});

describe('person pickers', () => {
  const known = new Set(['ou_a', 'ou_b', 'ou_c']);
  const isPerson = (id: string) => known.has(id);

  it('offers the options that are real people, in order, once; else the chat members', () => {
    expect(personCandidates({ tag: 'select_person', options: [{ value: 'ou_b' }, { value: 'ou_zz' }, { value: 'ou_a' }, { value: 'ou_b' }] }, isPerson, ['ou_c'])).toEqual([
      'ou_b',
      'ou_a',
    ]);
    // empty options, or none valid: every member of the chat (Lark's rule)
    expect(personCandidates({ tag: 'multi_select_person', options: [] }, isPerson, ['ou_c', 'ou_a', 'ou_zz'])).toEqual(['ou_c', 'ou_a']);
    expect(personCandidates({ tag: 'multi_select_person', options: [{ value: 'ou_zz' }] }, isPerson, ['ou_b'])).toEqual(['ou_b']);
    expect(personCandidates({ tag: 'select_person' }, isPerson)).toEqual([]);
  });
});
