/** The copy supervision attestations: register keys in both languages, and none may be left out. */
import { describe, expect, it } from 'vitest';
import { COPY_ATTESTATIONS, completeSpec, copyAttestationsError, formatInputError, helpLines, parseCommandInput, parseFormInput } from '../../../handlers/input/index.js';

const value = <T>(r: { ok: true; value: T } | { ok: false }) => {
  if (!r.ok) throw new Error(`expected ok, got ${JSON.stringify(r)}`);
  return r.value;
};

describe('complete: the copy register’s supervision columns', () => {
  it('accepts the register’s Chinese keys (原稿收回, 废页清点回收, 设备数据清除) and the English ones', () => {
    expect(value(parseCommandInput(completeSpec, '实际份数=3 原稿收回=是 废页清点回收=否 设备数据清除=否'))).toEqual({
      copies_made: 3,
      originals_returned: true,
      waste_recovered: false,
      device_wiped: false,
    });
    expect(value(parseCommandInput(completeSpec, 'copies_made=3 originals_returned=yes waste_recovered=yes device_wiped=no'))).toEqual({
      copies_made: 3,
      originals_returned: true,
      waste_recovered: true,
      device_wiped: false,
    });
    // The card form's yes/no selects.
    expect(value(parseFormInput(completeSpec, { copies_made: '2', originals_returned: 'yes', waste_recovered: 'no', device_wiped: 'no' }))).toEqual({
      copies_made: 2,
      originals_returned: true,
      waste_recovered: false,
      device_wiped: false,
    });
  });

  it('names every attestation that is missing, and none when all are given (a "no" counts as given)', () => {
    expect(COPY_ATTESTATIONS).toEqual(['originals_returned', 'waste_recovered', 'device_wiped']);
    expect(copyAttestationsError({})).toMatchObject({
      code: 'input.missing_attestations',
      command: 'complete',
      params: { fields: 'originals_returned,waste_recovered,device_wiped' },
    });
    expect(copyAttestationsError({ originals_returned: true, waste_recovered: false })).toMatchObject({ params: { field: 'device_wiped', fields: 'device_wiped' } });
    expect(copyAttestationsError({ waste_recovered: true })).toMatchObject({ params: { fields: 'originals_returned,device_wiped' } });
    expect(copyAttestationsError({ originals_returned: false, waste_recovered: false, device_wiped: false })).toBeUndefined();
  });

  it('says which are missing as each reader types them', () => {
    const e = copyAttestationsError({ originals_returned: true })!;
    const zh = formatInputError(e, 'zh-CN');
    const en = formatInputError(e, 'en-US');
    expect(zh).toContain('废页清点回收=是|否');
    expect(zh).toContain('设备数据清除=是|否');
    expect(zh).not.toContain('原稿收回');
    expect(en).toContain('waste_recovered=yes|no');
    expect(en).toContain('device_wiped=yes|no');
    expect(en).not.toContain('originals_returned');
  });

  it('/help complete shows the register’s Chinese keys', () => {
    const zh = helpLines(completeSpec, 'zh-CN').join('\n');
    for (const key of ['`原稿收回=`', '`废页清点回收=`', '`设备数据清除=`']) expect(zh).toContain(key);
  });
});
