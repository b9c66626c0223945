import { describe, expect, it } from 'vitest';
import {
  carrierAddSpec,
  carrierListSpec,
  carrySpec,
  COMMAND_SPECS,
  completeSpec,
  copySpec,
  destroySpec,
  formatInputError,
  INPUT_ERROR_CODES,
  inspectSpec,
  keyTableOf,
  parseCommandInput,
  parseFormInput,
  type CommandSpec,
  type InputResult,
} from '../../../handlers/input/index.js';
import { validateDetails } from '../../../domain/index.js';
import { randomText, rng } from './fuzz.js';

function value<T>(r: InputResult<T>): T {
  if (!r.ok) throw new Error(`expected ok, got ${r.error.code} ${JSON.stringify(r.error.params)}`);
  return r.value;
}

function error<T>(r: InputResult<T>) {
  if (r.ok) throw new Error(`expected an error, got ${JSON.stringify(r.value)}`);
  return r.error;
}

/** Text of `pairs` without the named key (for "each required field missing"). */
const without = (pairs: Record<string, string>, drop: string) =>
  Object.entries(pairs)
    .filter(([k]) => k !== drop)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');

describe('specs', () => {
  it('every spec builds its alias table (no spelling maps to two keys) and names itself', () => {
    for (const [name, spec] of Object.entries(COMMAND_SPECS)) {
      expect(spec.name).toBe(name);
      expect(() => keyTableOf(spec as CommandSpec)).not.toThrow();
      for (const k of spec.keys) {
        expect(
          k.aliases.some((a) => /\p{Script=Han}/u.test(a)),
          `${name}.${k.canonical} has a Chinese alias`,
        ).toBe(true);
        if (k.kind === 'enum') expect(k.enum).toEqual(k.choices?.map((c) => c.value));
      }
    }
  });

  it('the required keys are the ones the brief lists', () => {
    const req = (s: CommandSpec) => s.keys.filter((k) => k.required).map((k) => k.canonical);
    expect(req(carrierAddSpec)).toEqual(['no', 'level', 'type', 'alias']);
    expect(req(copySpec)).toEqual(['carrier', 'copies', 'purpose']);
    expect(req(carrySpec)).toEqual(['carrier', 'destination', 'due', 'purpose']);
    expect(req(destroySpec)).toEqual(['carrier', 'reason', 'method', 'site']);
    expect(req(completeSpec)).toEqual([]);
    expect(req(carrierListSpec)).toEqual([]);
    expect(req(inspectSpec)).toEqual(['ok']);
  });
});

describe('carrier.add', () => {
  const en = {
    no: 'JM-2026-001',
    level: 'secret',
    type: 'paper',
    alias: '"Annual plan"',
    period: '10y',
    issuer: '"Ministry X"',
    copy_restricted: 'yes',
    return_to_issuer: 'no',
    pages: '12',
    count: '3',
    custodian: 'ou_abc123',
  };
  const want = {
    no: 'JM-2026-001',
    level: 'SECRET',
    type: '纸质',
    alias: 'Annual plan',
    period: '10年',
    issuer: 'Ministry X',
    copy_restricted: true,
    return_to_issuer: false,
    pages: 12,
    count: 3,
    custodian: 'ou_abc123',
  };

  it('parses English keys and values', () => {
    expect(value(parseCommandInput(carrierAddSpec, without(en, '')))).toEqual(want);
  });

  it('parses Chinese keys and values', () => {
    const text = '编号=JM-2026-001 密级=机密 类别=纸质 名称=年度计划 期限=10年 制发单位=某部 限制复制=是 清退=否 页数=12 份数=3 保管人=ou_abc123';
    expect(value(parseCommandInput(carrierAddSpec, text))).toEqual({ ...want, alias: '年度计划', issuer: '某部' });
  });

  it('fills the defaults and leaves absent optional fields out', () => {
    const v = value(parseCommandInput(carrierAddSpec, '保密编号=A1 密级=绝密 载体类别=U盘 别名=x'));
    expect(v).toEqual({ no: 'A1', level: 'TOP_SECRET', type: 'U盘', alias: 'x', copy_restricted: false, return_to_issuer: false, count: 1 });
    expect('period' in v).toBe(false);
  });

  it.each([
    ['usb', 'U盘'],
    ['USB', 'U盘'],
    ['u盘', 'U盘'],
    ['portable_disk', '移动硬盘'],
    ['portable-disk', '移动硬盘'],
    ['optical', '光盘'],
    ['disk', '硬盘'],
    ['laptop', '笔记本'],
    ['other', '其他'],
    ['其它', '其他'],
    ['移动硬盘', '移动硬盘'],
  ])('normalises type=%s to %s', (raw, want) => {
    expect(value(parseCommandInput(carrierAddSpec, `no=A1 level=secret alias=x type=${raw}`)).type).toBe(want);
  });

  it.each([
    ['绝密', 'TOP_SECRET'],
    ['top_secret', 'TOP_SECRET'],
    ['机密级', 'SECRET'],
    ['confidential', 'CONFIDENTIAL'],
    ['核心商密', 'CORE'],
    ['ordinary', 'ORDINARY'],
  ])('level=%s → %s', (raw, want) => {
    expect(value(parseCommandInput(carrierAddSpec, `no=A1 type=paper alias=x level=${raw}`)).level).toBe(want);
  });

  it.each(['no', 'level', 'type', 'alias'])('refuses a missing %s', (field) => {
    expect(error(parseCommandInput(carrierAddSpec, without(en, field)))).toMatchObject({
      code: 'input.missing_field',
      params: { field },
      command: 'carrier.add',
    });
  });

  it.each([
    ['level', 'huge', 'input.invalid_level'],
    ['type', 'floppy', 'input.invalid_enum'],
    ['no', '-bad', 'input.invalid_number_format'],
    ['no', '机密001', 'input.invalid_number_format'],
    ['period', 'forever', 'input.invalid_period'],
    ['count', '0', 'input.invalid_int'],
    ['pages', 'many', 'input.invalid_int'],
    ['custodian', '@张三', 'input.invalid_open_id'],
    ['copy_restricted', 'maybe', 'input.invalid_bool'],
    ['alias', 'x'.repeat(101), 'input.too_long'],
  ])('refuses %s=%s with %s', (field, bad, code) => {
    const e = error(parseCommandInput(carrierAddSpec, without({ ...en, [field]: bad }, '')));
    expect(e.code).toBe(code);
    expect(e.params.field).toBe(field);
  });

  it('reports the limit of a too-long free-text field', () => {
    expect(error(parseCommandInput(carrierAddSpec, without({ ...en, issuer: 'y'.repeat(101) }, ''))).params).toMatchObject({ field: 'issuer', max: 100 });
    expect(value(parseCommandInput(carrierAddSpec, without({ ...en, issuer: 'y'.repeat(100) }, ''))).issuer).toHaveLength(100);
  });
});

describe('copy', () => {
  it('parses the English example from the brief', () => {
    const text = 'carrier=JM-2026-001 copies=2 purpose="季度会议 材料" method=复印';
    expect(value(parseCommandInput(copySpec, text))).toEqual({ carrier: 'JM-2026-001', copies: 2, purpose: '季度会议 材料', method: '复印' });
  });

  it('parses the Chinese example from the brief', () => {
    expect(value(parseCommandInput(copySpec, '载体=JM-2026-001 份数=2 用途=季度会议'))).toEqual({ carrier: 'JM-2026-001', copies: 2, purpose: '季度会议' });
  });

  it('parses every key in Chinese', () => {
    const text = '载体=JM-1 份数=3 事由=审计 复制地点=保密室 页数=20 复制方式=打印 批准文号=「保密〔2026〕12号」';
    expect(value(parseCommandInput(copySpec, text))).toEqual({
      carrier: 'JM-1',
      copies: 3,
      purpose: '审计',
      place: '保密室',
      pages: 20,
      method: '打印',
      ref: '保密〔2026〕12号',
    });
  });

  it.each([
    ['photocopy', '复印'],
    ['print', '打印'],
    ['burn', '刻录'],
    ['copy', '拷贝'],
    ['PRINT', '打印'],
    ['拷贝', '拷贝'],
  ])('method=%s → %s', (raw, want) => {
    expect(value(parseCommandInput(copySpec, `carrier=A copies=1 purpose=x method=${raw}`)).method).toBe(want);
  });

  it('refuses an unknown method and lists the choices', () => {
    const e = error(parseCommandInput(copySpec, 'carrier=A copies=1 purpose=x method=fax'));
    expect(e).toMatchObject({ code: 'input.invalid_enum', params: { field: 'method', value: 'fax' } });
    expect(formatInputError(e, 'zh-CN')).toBe('「方式」的值「fax」无效。可选：复印、打印、刻录、拷贝。');
    expect(formatInputError(e, 'en-US')).toBe('"fax" is not accepted for "method". Choose one of: photocopy, print, burn, copy.');
  });

  it.each(['carrier', 'copies', 'purpose'])('refuses a missing %s', (field) => {
    const all = { carrier: 'JM-1', copies: '2', purpose: 'x' };
    expect(error(parseCommandInput(copySpec, without(all, field)))).toMatchObject({ code: 'input.missing_field', params: { field } });
  });

  it('treats an empty value of a required field as missing', () => {
    expect(error(parseCommandInput(copySpec, 'carrier=JM-1 copies=2 purpose=""'))).toMatchObject({ code: 'input.missing_field', params: { field: 'purpose' } });
  });

  it.each([
    ['0', false],
    ['1', true],
    ['100', true],
    ['101', false],
    ['1000', false],
    ['-2', false],
    ['2.5', false],
  ])('copies=%s accepted: %s', (raw, ok) => {
    const r = parseCommandInput(copySpec, `carrier=A purpose=x copies=${raw}`);
    expect(r.ok).toBe(ok);
    if (!r.ok) expect(r.error).toMatchObject({ code: 'input.invalid_int', params: { field: 'copies', min: 1, max: 100 } });
  });

  it('refuses a purpose longer than 200 characters (pasted content) and keeps one of 200', () => {
    const e = error(parseCommandInput(copySpec, `carrier=A copies=1 purpose="${'文'.repeat(201)}"`));
    expect(e).toMatchObject({ code: 'input.too_long', params: { field: 'purpose', max: 200 } });
    expect(value(parseCommandInput(copySpec, `carrier=A copies=1 purpose="${'文'.repeat(200)}"`)).purpose).toHaveLength(200);
  });

  it('strips control characters from free text and turns line breaks into spaces', () => {
    expect(value(parseCommandInput(copySpec, 'carrier=A copies=1 purpose="line1\nline2\u0007\u202e"')).purpose).toBe('line1 line2');
  });

  it('refuses a list where one carrier is expected', () => {
    expect(error(parseCommandInput(copySpec, 'carrier=JM-1,JM-2 copies=1 purpose=x'))).toMatchObject({ code: 'input.invalid_number_format', params: { field: 'carrier' } });
  });

  it('refuses stray words that are not key=value', () => {
    expect(error(parseCommandInput(copySpec, 'JM-1 copies=1 purpose=x'))).toMatchObject({ code: 'input.unexpected_text', params: { value: 'JM-1' } });
    expect(error(parseCommandInput(copySpec, 'carrier=JM-1 copies=1 2 purpose=x'))).toMatchObject({ code: 'input.unexpected_text', params: { value: '2' } });
  });

  it('refuses keys of another command', () => {
    const e = error(parseCommandInput(copySpec, 'carrier=A copies=1 purpose=x due=2026-12-01'));
    expect(e).toMatchObject({ code: 'input.unknown_key', params: { key: 'due' }, command: 'copy' });
  });

  it('passes the workflow details validation with what it accepts', () => {
    const { carrier: _c, ...details } = value(
      parseCommandInput(copySpec, `carrier=A copies=100 purpose="${'x'.repeat(200)}" place="${'p'.repeat(100)}" pages=100000 method=print ref="${'r'.repeat(100)}"`),
    );
    expect(validateDetails('COPY', details)).toMatchObject({ ok: true });
  });
});

describe('carry', () => {
  const want = {
    carrier: ['JM-1', 'JM-2'],
    destination: 'Beijing',
    due: '2026-12-01',
    purpose: 'audit',
    companions: ['ou_abc', 'ou_def'],
    abroad: false,
  };

  it('parses English keys', () => {
    const text = 'carrier=JM-1,JM-2 destination=Beijing due=2026-12-01 purpose=audit companions=ou_abc,ou_def abroad=no';
    expect(value(parseCommandInput(carrySpec, text))).toEqual(want);
  });

  it('parses Chinese keys, Chinese separators, mentions separated by spaces and a Chinese date', () => {
    const text = '载体=JM-1、JM-2 目的地=北京 归还日期=2026年12月1日 用途=审计 同行人=ou_abc ou_def 出境=否';
    expect(value(parseCommandInput(carrySpec, text))).toEqual({ ...want, destination: '北京', purpose: '审计' });
  });

  it('defaults companions to [] and abroad to false', () => {
    const v = value(parseCommandInput(carrySpec, 'carrier=A destination=x due=2026/12/01 purpose=y'));
    expect(v.companions).toEqual([]);
    expect(v.abroad).toBe(false);
    expect(v.due).toBe('2026-12-01');
  });

  it.each(['carrier', 'destination', 'due', 'purpose'])('refuses a missing %s', (field) => {
    const all = { carrier: 'A', destination: 'x', due: '2026-12-01', purpose: 'y' };
    expect(error(parseCommandInput(carrySpec, without(all, field)))).toMatchObject({ code: 'input.missing_field', params: { field } });
  });

  it.each(['2026-02-30', '2026-13-01', 'tomorrow', '12/01/2026'])('refuses due=%s', (bad) => {
    expect(error(parseCommandInput(carrySpec, `carrier=A destination=x purpose=y due=${bad}`))).toMatchObject({
      code: 'input.invalid_date',
      params: { field: 'due', value: bad },
    });
  });

  it('refuses more than 20 carriers and accepts 20', () => {
    const ids = (n: number) => Array.from({ length: n }, (_, i) => `JM-${i + 1}`).join(',');
    expect(error(parseCommandInput(carrySpec, `carrier=${ids(21)} destination=x due=2026-12-01 purpose=y`))).toMatchObject({
      code: 'input.too_many',
      params: { field: 'carrier', max: 20 },
    });
    expect(value(parseCommandInput(carrySpec, `carrier=${ids(20)} destination=x due=2026-12-01 purpose=y`)).carrier).toHaveLength(20);
  });

  it('refuses a carrier listed twice', () => {
    expect(error(parseCommandInput(carrySpec, 'carrier=JM-1,JM-2,JM-1 destination=x due=2026-12-01 purpose=y'))).toMatchObject({
      code: 'input.duplicate_in_list',
      params: { field: 'carrier', value: 'JM-1' },
    });
  });

  it('refuses a list of only separators', () => {
    expect(error(parseCommandInput(carrySpec, 'carrier=,， destination=x due=2026-12-01 purpose=y'))).toMatchObject({ code: 'input.empty_list', params: { field: 'carrier' } });
  });

  it('refuses a companion that is not an open_id, and a companion named twice', () => {
    expect(error(parseCommandInput(carrySpec, 'carrier=A destination=x due=2026-12-01 purpose=y companions=ou_abc,张三'))).toMatchObject({
      code: 'input.invalid_open_id',
      params: { field: 'companions', value: '张三' },
    });
    expect(error(parseCommandInput(carrySpec, 'carrier=A destination=x due=2026-12-01 purpose=y 同行人=ou_abc ou_abc'))).toMatchObject({
      code: 'input.duplicate_in_list',
      params: { field: 'companions', value: 'ou_abc' },
    });
  });

  it('reads abroad as a boolean and refuses other words', () => {
    expect(value(parseCommandInput(carrySpec, 'carrier=A destination=x due=2026-12-01 purpose=y 境外=是')).abroad).toBe(true);
    expect(error(parseCommandInput(carrySpec, 'carrier=A destination=x due=2026-12-01 purpose=y abroad=perhaps'))).toMatchObject({
      code: 'input.invalid_bool',
      params: { field: 'abroad' },
    });
  });

  it('passes the workflow details validation with what it accepts', () => {
    const { carrier: _c, ...details } = value(
      parseCommandInput(carrySpec, `carrier=A destination="${'d'.repeat(100)}" due=2026-12-01 purpose=y companions=${Array.from({ length: 10 }, (_, i) => `ou_${i}`).join(',')}`),
    );
    expect(validateDetails('CARRY_OUT', details)).toMatchObject({ ok: true });
  });
});

describe('destroy', () => {
  it('parses English keys; burn means 焚烧 here (and 刻录 for copy)', () => {
    expect(value(parseCommandInput(destroySpec, 'carrier=JM-1 JM-2 reason=expired method=burn site="Room 3" date=2026-12-01'))).toEqual({
      carrier: ['JM-1', 'JM-2'],
      reason: 'expired',
      method: '焚烧',
      site: 'Room 3',
      date: '2026-12-01',
    });
  });

  it('parses Chinese keys', () => {
    expect(value(parseCommandInput(destroySpec, '载体=JM-1 原因=到期 销毁方式=化浆 销毁地点=销毁中心'))).toEqual({
      carrier: ['JM-1'],
      reason: '到期',
      method: '化浆',
      site: '销毁中心',
    });
  });

  it.each([
    ['shred', '粉碎'],
    ['burn', '焚烧'],
    ['pulp', '化浆'],
    ['degauss', '消磁'],
    ['physical', '物理损毁'],
    ['物理损毁', '物理损毁'],
  ])('method=%s → %s', (raw, want) => {
    expect(value(parseCommandInput(destroySpec, `carrier=A reason=x site=y method=${raw}`)).method).toBe(want);
  });

  it.each(['carrier', 'reason', 'method', 'site'])('refuses a missing %s', (field) => {
    const all = { carrier: 'A', reason: 'x', method: 'shred', site: 'y' };
    expect(error(parseCommandInput(destroySpec, without(all, field)))).toMatchObject({ code: 'input.missing_field', params: { field } });
  });

  it('refuses an unknown method, a bad date and a duplicate carrier', () => {
    expect(error(parseCommandInput(destroySpec, 'carrier=A reason=x site=y method=烧掉'))).toMatchObject({ code: 'input.invalid_enum', params: { field: 'method' } });
    expect(error(parseCommandInput(destroySpec, 'carrier=A reason=x site=y method=shred 日期=2026-02-30'))).toMatchObject({
      code: 'input.invalid_date',
      params: { field: 'date' },
    });
    expect(error(parseCommandInput(destroySpec, 'carrier=A;A reason=x site=y method=shred'))).toMatchObject({ code: 'input.duplicate_in_list' });
  });

  it('passes the workflow details validation with what it accepts', () => {
    const { carrier: _c, ...details } = value(parseCommandInput(destroySpec, 'carrier=A reason=x site=y method=degauss date=2026-12-01'));
    expect(validateDetails('DESTROY', details)).toMatchObject({ ok: true });
  });
});

describe('complete', () => {
  it('accepts nothing at all (the handler decides what the kind needs)', () => {
    expect(value(parseCommandInput(completeSpec, ''))).toEqual({});
  });

  it('parses every key in Chinese', () => {
    expect(value(parseCommandInput(completeSpec, '实际份数=2 原件收回=是 废页回收=有 设备清除=否 监销人=ou_a ou_b 日期=2026.12.01'))).toEqual({
      copies_made: 2,
      originals_returned: true,
      waste_recovered: true,
      device_wiped: false,
      witnesses: ['ou_a', 'ou_b'],
      date: '2026-12-01',
    });
  });

  it('refuses a bad witness, a repeated witness and copies_made=0', () => {
    expect(error(parseCommandInput(completeSpec, 'witnesses=ou_a,@李四'))).toMatchObject({ code: 'input.invalid_open_id', params: { field: 'witnesses', value: '@李四' } });
    expect(error(parseCommandInput(completeSpec, 'witnesses=ou_a,ou_a'))).toMatchObject({ code: 'input.duplicate_in_list', params: { field: 'witnesses' } });
    expect(error(parseCommandInput(completeSpec, 'copies_made=0'))).toMatchObject({ code: 'input.invalid_int', params: { field: 'copies_made' } });
  });
});

describe('carrier.list and inspect', () => {
  it('parses filters in Chinese and English', () => {
    expect(value(parseCommandInput(carrierListSpec, '状态=在库 密级=绝密 类别=光盘 保管人=ou_x'))).toEqual({
      status: 'IN_STOCK',
      level: 'TOP_SECRET',
      type: '光盘',
      custodian: 'ou_x',
    });
    expect(value(parseCommandInput(carrierListSpec, 'status=pending_destruction'))).toEqual({ status: 'PENDING_DESTRUCTION' });
    expect(value(parseCommandInput(carrierListSpec, 'status=CHECKED_OUT'))).toEqual({ status: 'CHECKED_OUT' });
    expect(value(parseCommandInput(carrierListSpec, 'status=已销毁'))).toEqual({ status: 'DESTROYED' });
    expect(value(parseCommandInput(carrierListSpec, ''))).toEqual({});
  });

  it('refuses an unknown status and level', () => {
    expect(error(parseCommandInput(carrierListSpec, 'status=lost'))).toMatchObject({ code: 'input.invalid_enum', params: { field: 'status' } });
    expect(error(parseCommandInput(carrierListSpec, '密级=内部'))).toMatchObject({ code: 'input.invalid_level', params: { field: 'level', value: '内部' } });
  });

  it('inspect: ok is required and boolean; note is optional free text', () => {
    expect(value(parseCommandInput(inspectSpec, 'ok=yes'))).toEqual({ ok: true });
    expect(value(parseCommandInput(inspectSpec, '合格=否 备注=封条破损'))).toEqual({ ok: false, note: '封条破损' });
    expect(error(parseCommandInput(inspectSpec, '备注=x'))).toMatchObject({ code: 'input.missing_field', params: { field: 'ok' } });
    expect(error(parseCommandInput(inspectSpec, 'ok=maybe'))).toMatchObject({ code: 'input.invalid_bool', params: { field: 'ok', value: 'maybe' } });
  });
});

describe('form_value input', () => {
  it('parses a copy form (strings from inputs and selects)', () => {
    expect(value(parseFormInput(copySpec, { carrier: 'JM-1', copies: '2', purpose: '季度会议', method: 'photocopy', place: '' }))).toEqual({
      carrier: 'JM-1',
      copies: 2,
      purpose: '季度会议',
      method: '复印',
    });
  });

  it('parses a carry form: multi-selects as arrays, the date picker format, a checker boolean', () => {
    const form = { carrier: ['JM-1', 'JM-2'], destination: '北京', due: '2026-12-01 +0800', purpose: '审计', companions: ['ou_a', 'ou_b'], abroad: true };
    expect(value(parseFormInput(carrySpec, form))).toEqual({ ...form, due: '2026-12-01' });
  });

  it('refuses an invalid date from the picker', () => {
    expect(error(parseFormInput(carrySpec, { carrier: ['A'], destination: 'x', due: '2026-02-30 +0800', purpose: 'y' }))).toMatchObject({
      code: 'input.invalid_date',
      params: { field: 'due' },
    });
  });

  it('refuses duplicates and bad items in multi-select arrays', () => {
    expect(error(parseFormInput(destroySpec, { carrier: ['A', 'A'], reason: 'x', method: '粉碎', site: 'y' }))).toMatchObject({ code: 'input.duplicate_in_list' });
    expect(error(parseFormInput(completeSpec, { witnesses: ['ou_a', 'nobody'] }))).toMatchObject({ code: 'input.invalid_open_id', params: { value: 'nobody' } });
    expect(error(parseFormInput(completeSpec, { witnesses: ['ou_a', 3] }))).toMatchObject({ code: 'input.invalid_type', params: { field: 'witnesses' } });
  });

  it('takes numbers and booleans as such', () => {
    expect(value(parseFormInput(copySpec, { carrier: 'A', copies: 5, purpose: 'x' })).copies).toBe(5);
    expect(error(parseFormInput(copySpec, { carrier: 'A', copies: 2.5, purpose: 'x' }))).toMatchObject({ code: 'input.invalid_int', params: { field: 'copies' } });
    expect(error(parseFormInput(copySpec, { carrier: 'A', copies: 0, purpose: 'x' }))).toMatchObject({ code: 'input.invalid_int' });
    expect(value(parseFormInput(inspectSpec, { ok: false })).ok).toBe(false);
    expect(value(parseFormInput(inspectSpec, { ok: 'true' })).ok).toBe(true);
  });

  it('treats empty strings, null and [] as absent', () => {
    expect(error(parseFormInput(copySpec, { carrier: 'A', copies: '', purpose: 'x' }))).toMatchObject({ code: 'input.missing_field', params: { field: 'copies' } });
    expect(error(parseFormInput(carrySpec, { carrier: [], destination: 'x', due: '2026-12-01', purpose: 'y' }))).toMatchObject({
      code: 'input.missing_field',
      params: { field: 'carrier' },
    });
    expect(value(parseFormInput(copySpec, { carrier: 'A', copies: '1', purpose: 'x', ref: null })).ref).toBeUndefined();
  });

  it('takes a one-item array for a single-valued select and refuses two items', () => {
    expect(value(parseFormInput(copySpec, { carrier: 'A', copies: '1', purpose: 'x', method: ['print'] })).method).toBe('打印');
    expect(error(parseFormInput(copySpec, { carrier: 'A', copies: '1', purpose: 'x', method: ['print', 'burn'] }))).toMatchObject({
      code: 'input.invalid_type',
      params: { field: 'method' },
    });
  });

  it('refuses values of the wrong type', () => {
    expect(error(parseFormInput(copySpec, { carrier: 'A', copies: '1', purpose: { text: 'x' } }))).toMatchObject({ code: 'input.invalid_type', params: { field: 'purpose' } });
    expect(error(parseFormInput(copySpec, null as unknown as Record<string, unknown>))).toMatchObject({ code: 'input.invalid_type' });
    expect(error(parseFormInput(copySpec, ['a'] as unknown as Record<string, unknown>))).toMatchObject({ code: 'input.invalid_type' });
  });

  it('refuses unknown fields unless told to ignore them; accepts aliases as names', () => {
    expect(error(parseFormInput(copySpec, { carrier: 'A', copies: '1', purpose: 'x', colour: 'red' }))).toMatchObject({ code: 'input.unknown_key', params: { key: 'colour' } });
    expect(value(parseFormInput(copySpec, { carrier: 'A', copies: '1', purpose: 'x', colour: 'red' }, { ignoreUnknown: true }))).toEqual({ carrier: 'A', copies: 1, purpose: 'x' });
    expect(value(parseFormInput(copySpec, { 载体: 'A', 份数: '1', 用途: 'x' }))).toEqual({ carrier: 'A', copies: 1, purpose: 'x' });
    expect(error(parseFormInput(copySpec, { carrier: 'A', copies: '1', 份数: '2', purpose: 'x' }))).toMatchObject({ code: 'input.duplicate_key', params: { field: 'copies' } });
  });

  it('refuses pasted content in a form field', () => {
    expect(error(parseFormInput(copySpec, { carrier: 'A', copies: '1', purpose: 'x'.repeat(5000) }))).toMatchObject({
      code: 'input.too_long',
      params: { field: 'purpose', max: 200 },
    });
    expect(error(parseFormInput(carrierAddSpec, { no: 'A', level: 'secret', type: 'paper', alias: '名'.repeat(150) }))).toMatchObject({
      code: 'input.too_long',
      params: { field: 'alias', max: 100 },
    });
    expect(error(parseFormInput(carrierAddSpec, { no: 'A'.repeat(5000), level: 'secret', type: 'paper', alias: 'x' }))).toMatchObject({
      code: 'input.too_long',
      params: { field: 'no', max: 64 },
    });
    expect(error(parseFormInput(copySpec, { carrier: 'A', copies: '1'.repeat(5000), purpose: 'x' }))).toMatchObject({
      code: 'input.invalid_int',
      params: { field: 'copies', max: 100 },
    });
  });

  it('parses a carrier.add form with booleans from checkers and a level select', () => {
    expect(value(parseFormInput(carrierAddSpec, { no: 'JM-9', level: 'TOP_SECRET', type: 'optical', alias: 'x', copy_restricted: true, count: '2', custodian: 'ou_k' }))).toEqual({
      no: 'JM-9',
      level: 'TOP_SECRET',
      type: '光盘',
      alias: 'x',
      copy_restricted: true,
      return_to_issuer: false,
      count: 2,
      custodian: 'ou_k',
    });
  });
});

describe('error messages in the reader\u2019s language', () => {
  it('names the missing field in each language', () => {
    const e = error(parseCommandInput(copySpec, '载体=A 用途=x'));
    expect(formatInputError(e, 'zh-CN')).toBe('缺少必填项「份数」。');
    expect(formatInputError(e, 'en-US')).toBe('Missing required field "copies".');
  });

  it('lists the allowed keys in the reader\u2019s language', () => {
    const e = error(parseCommandInput(inspectSpec, 'ok=yes colour=red'));
    expect(formatInputError(e, 'zh-CN')).toBe('不认识参数「colour」。可用的参数：合格、备注。');
    expect(formatInputError(e, 'en-US')).toBe('Unknown argument "colour". Accepted arguments: ok, note.');
  });

  it('lists enum choices of the right command (status in Chinese words, type in English words)', () => {
    expect(formatInputError(error(parseCommandInput(carrierListSpec, 'status=lost')), 'zh-CN')).toContain('在库、外携、待销毁、已销毁');
    expect(formatInputError(error(parseCommandInput(carrierListSpec, 'type=floppy')), 'en-US')).toContain('paper, usb, portable_disk, optical, disk, laptop, other');
    expect(formatInputError(error(parseCommandInput(destroySpec, 'carrier=A reason=x site=y method=x')), 'en-US')).toContain('shred, burn, pulp, degauss, physical');
  });

  it('lists the accepted levels', () => {
    const e = error(parseCommandInput(carrierListSpec, 'level=internal'));
    expect(formatInputError(e, 'zh-CN')).toContain('绝密、机密、秘密、核心商密、普通商密');
    expect(formatInputError(e, 'en-US')).toContain('top_secret');
  });

  it('does not expand placeholders or nesting inside user values', () => {
    const e = error(parseCommandInput(copySpec, 'carrier=A copies={{field}} purpose=x'));
    expect(formatInputError(e, 'en-US')).toContain('(got "{{field}}")');
    const e2 = error(parseCommandInput(copySpec, 'carrier=A copies=1 purpose=x method=$t(input:field.no)'));
    expect(formatInputError(e2, 'zh-CN')).toContain('「$t(input:field.no)」');
  });

  it('cuts long values quoted back to the user', () => {
    const e = error(parseCommandInput(carrySpec, `carrier=A destination=x purpose=y due=${'9'.repeat(100)}`));
    expect(String(e.params.value)).toHaveLength(41);
  });
});

describe('partial input (a patch)', () => {
  it('accepts missing required fields and fills no defaults', () => {
    expect(value(parseCommandInput(carrySpec, 'due=2026-12-31', { partial: true }))).toEqual({ due: '2026-12-31' });
    expect(value(parseCommandInput(carrySpec, '', { partial: true }))).toEqual({});
    expect(value(parseFormInput(copySpec, { copies: '3', purpose: '' }, { partial: true }))).toEqual({ copies: 3 });
  });

  it('still checks what is given', () => {
    expect(error(parseCommandInput(carrySpec, 'due=2026-02-30', { partial: true }))).toMatchObject({ code: 'input.invalid_date', params: { field: 'due' } });
    expect(error(parseCommandInput(copySpec, 'copies=0', { partial: true }))).toMatchObject({ code: 'input.invalid_int' });
    expect(error(parseCommandInput(copySpec, 'colour=red', { partial: true }))).toMatchObject({ code: 'input.unknown_key' });
  });

  it('without partial, the same input is refused', () => {
    expect(error(parseCommandInput(carrySpec, 'due=2026-12-31'))).toMatchObject({ code: 'input.missing_field', params: { field: 'carrier' } });
  });
});

describe('fuzz: every spec, typed and form input', () => {
  const specs = Object.values(COMMAND_SPECS) as CommandSpec[];

  it('never throws; answers a known code, never the catch-all', () => {
    const next = rng(7);
    for (let i = 0; i < 1500; i++) {
      const spec = specs[i % specs.length]!;
      // Random text, and random values under real keys (so value parsers get exercised).
      const keyed = spec.keys.map((k) => `${k.canonical}=${randomText(next, 4).replace(/\s/g, '')}`).join(' ');
      for (const text of [randomText(next), keyed]) {
        let r: InputResult<unknown>;
        try {
          r = parseCommandInput(spec, text);
        } catch (e) {
          throw new Error(`${spec.name} threw on ${JSON.stringify(text)}: ${String(e)}`);
        }
        if (!r.ok) {
          expect(INPUT_ERROR_CODES).toContain(r.error.code);
          expect(r.error.code).not.toBe('input.invalid_input');
          // The message itself is complete (user text in `value`/`key` may contain anything).
          const bare = { ...r.error, params: { ...r.error.params, value: 'V', key: 'K' } };
          for (const lng of ['zh-CN', 'en-US'] as const) expect(formatInputError(bare, lng)).not.toMatch(/\{\{|input[.:]|field\.|hint\./);
        }
      }
      const form: Record<string, unknown> = {};
      for (const k of spec.keys) {
        const pick = next();
        form[k.canonical] =
          pick < 0.3
            ? randomText(next, 3)
            : pick < 0.5
              ? [randomText(next, 2), randomText(next, 2)]
              : pick < 0.6
                ? next() * 200
                : pick < 0.7
                  ? next() < 0.5
                  : pick < 0.8
                    ? null
                    : { a: 1 };
      }
      const r = parseFormInput(spec, form);
      if (!r.ok) expect(r.error.code).not.toBe('input.invalid_input');
    }
  });

  it('only ever returns values within the limits', () => {
    const next = rng(99);
    for (let i = 0; i < 2000; i++) {
      const n = Math.floor(next() * 300) - 50;
      const r = parseCommandInput(copySpec, `carrier=A copies=${n} purpose=x`);
      if (r.ok) expect(r.value.copies >= 1 && r.value.copies <= 100).toBe(true);
      else expect(r.error.code).toBe('input.invalid_int');
      expect(r.ok).toBe(n >= 1 && n <= 100);
    }
  });
});
