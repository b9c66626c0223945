import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../bot/core/logger.js';

describe('logger', () => {
  const lines: string[] = [];
  const log = createLogger({ level: 'debug', secrets: ['s3cr3t-value'], write: (l) => lines.push(l) });

  it('writes one JSON object per line with level, time and fields', () => {
    lines.length = 0;
    log.child({ component: 'x' }).info('hello', { n: 1 });
    const entry = JSON.parse(lines[0]!);
    expect(entry).toMatchObject({ level: 'info', msg: 'hello', component: 'x', n: 1 });
    expect(Date.parse(entry.time)).not.toBeNaN();
  });

  it('never prints a secret, by field name or by value, however deep', () => {
    lines.length = 0;
    log.warn('token s3cr3t-value leaked?', {
      app_secret: 'abc',
      headers: { authorization: 'Bearer t-123', 'x-lark-signature': 'deadbeef' },
      nested: { deeper: ['ok', 'prefix-s3cr3t-value-suffix'] },
      err: new Error('failed with s3cr3t-value'),
      encryptKey: 'k',
    });
    const text = lines.join('\n');
    expect(text).not.toContain('s3cr3t-value');
    expect(text).not.toContain('Bearer t-123');
    expect(text).not.toContain('deadbeef');
    expect(text).not.toContain('"abc"');
    expect(text).toContain('[redacted]');
  });

  it('respects the level', () => {
    lines.length = 0;
    const quiet = createLogger({ level: 'warn', write: (l) => lines.push(l) });
    quiet.info('no');
    quiet.error('yes');
    expect(lines).toHaveLength(1);
    createLogger({ level: 'silent', write: (l) => lines.push(l) }).error('never');
    expect(lines).toHaveLength(1);
  });
});

describe('logger on pino', () => {
  const SECRET = 'app-secret-9f8e7d';
  const lines: string[] = [];
  const log = createLogger({ level: 'debug', secrets: [SECRET, 'quo"te\\key'], write: (l) => lines.push(l), base: { service: 'baomi-bot' } });
  const last = () => JSON.parse(lines.at(-1)!) as Record<string, unknown>;

  it('writes pino records: readable level, ISO time, pid, hostname, base, bindings, fields, msg', () => {
    lines.length = 0;
    log.child({ event: 'message', id: 'ev-1' }).debug('handled', { ms: 12 });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('\n');
    const entry = last();
    expect(entry).toMatchObject({ level: 'debug', msg: 'handled', pid: process.pid, service: 'baomi-bot', event: 'message', id: 'ev-1', ms: 12 });
    expect(typeof entry.hostname).toBe('string');
    expect(entry.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    for (const level of ['info', 'warn', 'error'] as const) {
      log[level]('x');
      expect(last().level).toBe(level);
    }
  });

  it('masks secret-named keys in child bindings and in the base, and secret values in them', () => {
    lines.length = 0;
    const withBase = createLogger({ secrets: [SECRET], write: (l) => lines.push(l), base: { apiToken: 'base-token-value' } });
    withBase
      .child({ sessionCookie: 'cookie-value', note: `key=${SECRET}` })
      .child({ nested: { password: 'pw-value' } })
      .info('m');
    const text = lines.join('\n');
    for (const leaked of ['base-token-value', 'cookie-value', 'pw-value', SECRET]) expect(text).not.toContain(leaked);
    expect(last()).toMatchObject({ apiToken: '[redacted]', sessionCookie: '[redacted]', note: 'key=[redacted]', nested: { password: '[redacted]' } });
  });

  it('reduces an error to type, message, code and stack — never its other properties (a client error carries request headers)', () => {
    lines.length = 0;
    const err = Object.assign(new Error(`request failed: ${SECRET}`), {
      code: 'ECONNRESET',
      config: { headers: { Authorization: 'Bearer t-live-123' }, data: 'body-with-content' },
    });
    log.error('send failed', { err, attempt: 2 });
    const entry = last();
    expect(entry.err).toMatchObject({ type: 'Error', message: 'request failed: [redacted]', code: 'ECONNRESET' });
    expect(Object.keys(entry.err as object).sort()).toEqual(['code', 'message', 'stack', 'type']);
    expect(String((entry.err as { stack: string }).stack)).toContain('request failed: [redacted]');
    expect(lines[0]).not.toContain('t-live-123');
    expect(lines[0]).not.toContain('body-with-content');
    expect(lines[0]).not.toContain(SECRET);
  });

  it('masks a secret whose JSON form is escaped, in the message and in fields', () => {
    lines.length = 0;
    log.warn('odd key quo"te\\key in the message', { where: 'quo"te\\key' });
    expect(lines[0]).not.toContain('quo\\"te\\\\key');
    expect(last()).toMatchObject({ msg: 'odd key [redacted] in the message', where: '[redacted]' });
  });

  it('masks a secret a serializer would add after the fields were cleaned (the line itself is scrubbed)', () => {
    lines.length = 0;
    // toJSON runs only when pino serializes the record, after formatters.log saw the field.
    const sneaky = {
      toJSON() {
        return { text: `late ${SECRET}` };
      },
    };
    log.info('late', { sneaky });
    expect(lines[0]).not.toContain(SECRET);
    expect(last()).toMatchObject({ sneaky: { text: 'late [redacted]' } });
  });

  it('keeps booleans of secret-named keys (flags, not secrets) and cuts very deep values', () => {
    lines.length = 0;
    let deep: Record<string, unknown> = { leaf: 'bottom' };
    for (let i = 0; i < 10; i++) deep = { d: deep };
    log.info('flags', { hasToken: true, deep });
    expect(last().hasToken).toBe(true);
    expect(lines[0]).toContain('[deep]');
    expect(lines[0]).not.toContain('bottom');
  });
});
