import { describe, expect, it } from 'vitest';
import {
  buildKeyTable,
  cleanText,
  INPUT_ERROR_CODES,
  MAX_TEXT,
  parseArgs,
  parseBool,
  parseCarrierNo,
  parseDate,
  parseIntIn,
  parseOpenId,
  parsePeriod,
  splitList,
  type ArgsResult,
} from '../../../handlers/input/index.js';
import { randomText, rng } from './fuzz.js';

const table = buildKeyTable([
  { canonical: 'carrier', aliases: ['载体'] },
  { canonical: 'copies', aliases: ['份数'] },
  { canonical: 'purpose', aliases: ['用途', '事由'], continues: true },
  { canonical: 'witnesses', aliases: ['监销人'], continues: true },
  { canonical: 'copy_restricted', aliases: ['限制复制'] },
]);

function pairs(r: ArgsResult): Record<string, string> {
  if (!r.ok) throw new Error(`expected ok, got ${r.error.code}`);
  return Object.fromEntries(r.pairs);
}

function errorOf(r: ArgsResult) {
  if (r.ok) throw new Error(`expected an error, got ${JSON.stringify([...r.pairs])}`);
  return r.error;
}

describe('parseArgs: tokens and quotes', () => {
  it('splits key=value pairs on whitespace, including the ideographic space and line breaks', () => {
    expect(pairs(parseArgs('carrier=JM-1  copies=2\u3000purpose=x\ncopy_restricted=yes', table))).toEqual({
      carrier: 'JM-1',
      copies: '2',
      purpose: 'x',
      copy_restricted: 'yes',
    });
  });

  it('accepts the full-width ＝ and spaces around =', () => {
    expect(pairs(parseArgs('份数＝2 carrier = JM-1 purpose= 会议', table))).toEqual({ copies: '2', carrier: 'JM-1', purpose: '会议' });
  });

  it('treats `key=` followed by another key as an empty value', () => {
    expect(pairs(parseArgs('purpose= copies=2', table))).toEqual({ purpose: '', copies: '2' });
    expect(pairs(parseArgs('copies=2 purpose=', table))).toEqual({ copies: '2', purpose: '' });
  });

  it.each([
    ['"', '"'],
    ["'", "'"],
    ['“', '”'],
    ['‘', '’'],
    ['「', '」'],
    ['『', '』'],
  ])('removes %s…%s quotes and keeps the whitespace inside', (open, close) => {
    const r = parseArgs(`purpose=${open}季度会议  材料${close} copies=2`, table);
    expect(pairs(r)).toEqual({ purpose: '季度会议  材料', copies: '2' });
  });

  it('keeps = and quote characters inside values literally', () => {
    expect(pairs(parseArgs(`purpose=a=b carrier=it's`, table))).toEqual({ purpose: 'a=b', carrier: "it's" });
    expect(pairs(parseArgs(`purpose="x = y"`, table))).toEqual({ purpose: 'x = y' });
  });

  it.each(['purpose="季度会议', 'purpose=“季度会议', 'purpose=「季度会议', "purpose='abc", 'copies=2 "loose'])('refuses the unterminated quote in %s', (text) => {
    expect(errorOf(parseArgs(text, table)).code).toBe('input.unterminated_quote');
  });

  it('names the field of an unterminated quote', () => {
    expect(errorOf(parseArgs('copies=2 用途="x', table)).params.field).toBe('用途');
    expect(errorOf(parseArgs('"x', table)).params.field).toBe('text');
  });

  it('a mismatched closing quote does not close (“ is closed by ” only)', () => {
    expect(errorOf(parseArgs('purpose=“abc“', table)).code).toBe('input.unterminated_quote');
  });
});

describe('parseArgs: keys', () => {
  it('maps Chinese and English keys, case-insensitively, to canonical keys', () => {
    expect(pairs(parseArgs('载体=JM-1 COPIES=3 事由=x', table))).toEqual({ carrier: 'JM-1', copies: '3', purpose: 'x' });
    expect(pairs(parseArgs('Copy-Restricted=1', table))).toEqual({ copy_restricted: '1' });
    expect(pairs(parseArgs('copyRestricted=1', table))).toEqual({ copy_restricted: '1' });
    expect(pairs(parseArgs('限制复制=是', table))).toEqual({ copy_restricted: '是' });
  });

  it('accepts full-width letters in keys (NFKC)', () => {
    expect(pairs(parseArgs('ｃｏｐｉｅｓ=2', table))).toEqual({ copies: '2' });
  });

  it('refuses a key given twice, also as an alias of the same key', () => {
    const e1 = errorOf(parseArgs('copies=2 copies=3', table));
    expect(e1).toMatchObject({ code: 'input.duplicate_key', params: { field: 'copies', key: 'copies' } });
    const e2 = errorOf(parseArgs('份数=2 copies=3', table));
    expect(e2).toMatchObject({ code: 'input.duplicate_key', params: { field: 'copies', key: 'copies' } });
    const e3 = errorOf(parseArgs('用途=a 事由=b', table));
    expect(e3).toMatchObject({ code: 'input.duplicate_key', params: { field: 'purpose', key: '事由' } });
  });

  it('refuses an unknown key and lists the allowed ones', () => {
    const e = errorOf(parseArgs('carrier=JM-1 colour=red', table));
    expect(e.code).toBe('input.unknown_key');
    expect(e.params.key).toBe('colour');
    expect(e.params.allowed).toBe('carrier, copies, purpose, witnesses, copy_restricted');
    expect(errorOf(parseArgs('颜色=红', table)).params.key).toBe('颜色');
  });

  it('without a table only normalises keys', () => {
    expect(pairs(parseArgs('Copy_Restricted=1 颜色=红'))).toEqual({ copyrestricted: '1', 颜色: '红' });
  });

  it('returns bare words before any key as positional', () => {
    const r = parseArgs('add JM-1 "two words" copies=2', table);
    expect(r.ok && r.positional).toEqual(['add', 'JM-1', 'two words']);
    expect(pairs(r)).toEqual({ copies: '2' });
  });

  it('lets bare words continue a list or free-text value, and not other values', () => {
    expect(pairs(parseArgs('witnesses=ou_1 ou_2 copies=2', table))).toEqual({ witnesses: 'ou_1 ou_2', copies: '2' });
    expect(pairs(parseArgs('purpose=季度 会议 材料 copies=2', table))).toEqual({ purpose: '季度 会议 材料', copies: '2' });
    const r = parseArgs('copies=2 extra', table);
    expect(r.ok && r.positional).toEqual(['extra']);
  });

  it('refuses text longer than MAX_TEXT and accepts exactly MAX_TEXT', () => {
    expect(MAX_TEXT).toBe(2000);
    const ok = `purpose=${'x'.repeat(MAX_TEXT - 'purpose='.length)}`;
    expect(parseArgs(ok, table).ok).toBe(true);
    expect(errorOf(parseArgs(`${ok}y`, table))).toMatchObject({ code: 'input.too_long', params: { field: 'text', max: 2000 } });
  });

  it('drops control and invisible characters', () => {
    expect(pairs(parseArgs('co\u200bpies=2\u0007 purpose=a\u202eb', table))).toEqual({ copies: '2', purpose: 'ab' });
  });

  it('answers a non-string with an error instead of throwing', () => {
    expect(errorOf(parseArgs(undefined as unknown as string, table)).code).toBe('input.invalid_type');
  });

  it('refuses a table where one spelling maps to two keys', () => {
    expect(() =>
      buildKeyTable([
        { canonical: 'a', aliases: ['地点'] },
        { canonical: 'b', aliases: ['地点'] },
      ]),
    ).toThrow(/地点/);
  });
});

describe('value parsers', () => {
  it.each([
    ['yes', true],
    ['Y', true],
    ['true', true],
    ['1', true],
    ['是', true],
    ['有', true],
    ['对', true],
    ['no', false],
    ['N', false],
    ['FALSE', false],
    ['0', false],
    ['否', false],
    ['无', false],
    ['错', false],
    ['maybe', null],
    ['', null],
    ['是的吧', null],
    ['2', null],
  ] as const)('parseBool(%j) = %j', (raw, want) => {
    expect(parseBool(raw)).toBe(want);
  });

  it.each([
    ['2026-12-01', '2026-12-01'],
    ['2026/12/01', '2026-12-01'],
    ['2026.12.01', '2026-12-01'],
    ['2026-3-5', '2026-03-05'],
    ['2026年3月5日', '2026-03-05'],
    ['2026-12-01 +0800', '2026-12-01'],
    ['2026-12-01 10:30 +0800', '2026-12-01'],
    ['2026-12-01T10:30:00Z', '2026-12-01'],
    ['２０２６－１２－０１', '2026-12-01'],
    ['2028-02-29', '2028-02-29'],
    ['2026-02-30', null],
    ['2026-02-29', null],
    ['2026-13-01', null],
    ['2026-00-10', null],
    ['2026-12-01 junk', null],
    ['2026-12/01', null],
    ['26-12-01', null],
    ['1800-01-01', null],
    ['tomorrow', null],
    ['', null],
  ])('parseDate(%j) = %j', (raw, want) => {
    expect(parseDate(raw)).toBe(want);
  });

  it.each([
    ['2', 1, 100, 2],
    ['100', 1, 100, 100],
    ['1', 1, 100, 1],
    ['２', 1, 100, 2],
    ['3份', 1, 100, 3],
    ['+4', 1, 100, 4],
    ['0', 1, 100, null],
    ['101', 1, 100, null],
    ['1000', 1, 100, null],
    ['-1', 1, 100, null],
    ['1.5', 1, 100, null],
    ['1e2', 1, 100, null],
    ['two', 1, 100, null],
    ['99999999999999999999', 1, 100, null],
  ])('parseIntIn(%j, %d, %d) = %j', (raw, min, max, want) => {
    expect(parseIntIn(raw, min, max)).toBe(want);
  });

  it('parseOpenId accepts ou_ + letters and digits only', () => {
    expect(parseOpenId('ou_7d8a6e6df7621556ce0d21922b676706')).toBe('ou_7d8a6e6df7621556ce0d21922b676706');
    expect(parseOpenId('@ou_abc')).toBe('ou_abc');
    expect(parseOpenId('ou_')).toBeNull();
    expect(parseOpenId('on_abc')).toBeNull();
    expect(parseOpenId('ou_ab-c')).toBeNull();
    expect(parseOpenId('@张三')).toBeNull();
    expect(parseOpenId(`ou_${'a'.repeat(65)}`)).toBeNull();
  });

  it('splitList splits on , ， 、 ; ； and whitespace', () => {
    expect(splitList('a,b，c、d;e；f g\u3000h,,')).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']);
    expect(splitList(' , ')).toEqual([]);
  });

  it('parseCarrierNo enforces the number format', () => {
    expect(parseCarrierNo('JM-2026-001')).toBe('JM-2026-001');
    expect(parseCarrierNo('ＪＭ－２０２６')).toBe('JM-2026');
    expect(parseCarrierNo('a/b.c_d')).toBe('a/b.c_d');
    expect(parseCarrierNo('-JM')).toBeNull();
    expect(parseCarrierNo('机密-1')).toBeNull();
    expect(parseCarrierNo('JM 1')).toBeNull();
    expect(parseCarrierNo('J'.repeat(64))).toBe('J'.repeat(64));
    expect(parseCarrierNo('J'.repeat(65))).toBeNull();
  });

  it.each([
    ['10y', '10年'],
    ['10 years', '10年'],
    ['10年', '10年'],
    ['★10年', '10年'],
    ['6m', '6个月'],
    ['6个月', '6个月'],
    ['6 months', '6个月'],
    ['长期', '长期'],
    ['long_term', '长期'],
    ['公布前', '公布前'],
    ['until_published', '公布前'],
    ['2030-12-31', '2030-12-31'],
    ['2030/12/31', '2030-12-31'],
    ['0y', null],
    ['forever', null],
    ['2030-02-30', null],
  ])('parsePeriod(%j) = %j', (raw, want) => {
    expect(parsePeriod(raw)).toBe(want);
  });

  it('cleanText turns line breaks into spaces and drops controls', () => {
    expect(cleanText('  a\r\nb\tc\u0000d\u200be  ')).toBe('a b cde');
  });
});

// ---- fuzz ---------------------------------------------------------------------------------------

describe('parseArgs fuzz', () => {
  it('never throws and always answers with pairs or a known error code', () => {
    const next = rng(20260301);
    for (let i = 0; i < 3000; i++) {
      const text = randomText(next);
      let r: ArgsResult;
      try {
        r = parseArgs(text, i % 2 ? table : undefined);
      } catch (e) {
        throw new Error(`parseArgs threw on ${JSON.stringify(text)}: ${String(e)}`);
      }
      if (r.ok) {
        for (const [k] of r.pairs) if (i % 2) expect(table.allowed).toContain(k);
        expect(r.positional.every((p) => typeof p === 'string')).toBe(true);
      } else {
        expect(INPUT_ERROR_CODES, JSON.stringify(text)).toContain(r.error.code);
        expect(typeof r.error.params.field).toBe('string');
      }
    }
  });

  it('does not let keys like __proto__ reach the pairs without a table entry', () => {
    const r = parseArgs('__proto__=1 constructor=2', table);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.code).toBe('input.unknown_key');
  });
});
