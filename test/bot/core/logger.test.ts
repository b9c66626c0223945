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
