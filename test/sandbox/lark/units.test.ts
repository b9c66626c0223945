import { describe, expect, it } from 'vitest';
import { checkCardContent } from '../../../sandbox/lark/card-check.js';
import { extractMentions, renderText } from '../../../sandbox/lark/events.js';
import { decodeFrame, encodeFrame } from '../../../sandbox/lark/frame.js';
import { parseMultipart } from '../../../sandbox/lark/http-util.js';
import { org, sampleCard, userByEn } from './helpers.js';

describe('stand-in internals', () => {
  it('converts @mentions of the bot and of users like the Lark client', () => {
    const r = extractMentions(org, '@Baomi Bot 请 @张伟 和 @Li Na 审批，@保密助手 谢谢 a@b.com');
    expect(r.text).toBe('@_user_1 请 @_user_2 和 @_user_3 审批，@_user_1 谢谢 a@b.com');
    expect(r.mentions.map((m) => m.id.open_id)).toEqual([org.org.app.open_id, userByEn('Zhang Wei').open_id, userByEn('Li Na').open_id]);
    expect(renderText(r.text, r.mentions)).toBe('@保密助手 请 @张伟 和 @李娜 审批，@保密助手 谢谢 a@b.com');
    expect(renderText('hi <at user_id="ou_1">Tom</at> <at user_id="all">所有人</at>', undefined)).toBe('hi @Tom @所有人');
  });

  it('encodes and decodes pbbp2 frames', () => {
    const payload = new TextEncoder().encode('{"a":1}');
    const f = decodeFrame(encodeFrame({ SeqID: 7, LogID: 8, service: 123456, method: 1, headers: [{ key: 'type', value: 'event' }], payload }));
    expect(f).toMatchObject({ SeqID: 7, LogID: 8, service: 123456, method: 1, headers: [{ key: 'type', value: 'event' }] });
    expect(Buffer.from(f.payload ?? []).toString()).toBe('{"a":1}');
  });

  it('parses multipart bodies with binary data and UTF-8 names', () => {
    const bin = Buffer.from([0, 1, 2, 13, 10, 45, 45, 255]);
    const body = Buffer.concat([
      Buffer.from('--XyZ\r\nContent-Disposition: form-data; name="file_name"\r\n\r\n台账.pdf\r\n'),
      Buffer.from('--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\nContent-Type: application/octet-stream\r\n\r\n'),
      bin,
      Buffer.from('\r\n--XyZ--\r\n'),
    ]);
    const parts = parseMultipart(body, 'multipart/form-data; boundary=XyZ');
    expect(parts[0]).toMatchObject({ name: 'file_name' });
    expect(parts[0]?.data.toString()).toBe('台账.pdf');
    expect(parts[1]).toMatchObject({ name: 'file', filename: 'a.bin', contentType: 'application/octet-stream' });
    expect(parts[1]?.data.equals(bin)).toBe(true);
  });

  it('checks card limits', () => {
    expect(checkCardContent(JSON.stringify(sampleCard('ok')))).toBeNull();
    expect(checkCardContent(JSON.stringify({ schema: '2.0', body: { elements: [{ tag: 'action', actions: [] }] } }))).toMatchObject({ kind: 'invalid' });
    expect(checkCardContent(JSON.stringify({ schema: '2.0', fallback: {} }))).toMatchObject({ kind: 'invalid' });
    expect(checkCardContent('x'.repeat(31 * 1024))).toMatchObject({ kind: 'too_long' });
  });
});
