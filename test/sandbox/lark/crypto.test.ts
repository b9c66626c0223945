import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decryptPayload, encryptPayload, signBody } from '../../../sandbox/lark/crypto.js';

describe('Lark event crypto', () => {
  it('decrypts the official test vector', () => {
    expect(decryptPayload('test key', 'P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=')).toBe('hello world');
  });

  it('round-trips with a random IV', () => {
    const text = JSON.stringify({ schema: '2.0', 中文: '保密', n: 1 });
    const a = encryptPayload('k1', text);
    const b = encryptPayload('k1', text);
    expect(a).not.toBe(b);
    expect(decryptPayload('k1', a)).toBe(text);
    expect(() => decryptPayload('k2', a)).toThrow();
  });

  it('signs hex(sha256(timestamp + nonce + key + body))', () => {
    const body = '{"encrypt":"abc"}';
    const expected = createHash('sha256').update(`1700000000nonce1key${body}`).digest('hex');
    expect(signBody('1700000000', 'nonce1', 'key', body)).toBe(expected);
  });
});
