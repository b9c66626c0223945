import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, secretsOf } from '../../../bot/core/config.js';

const creds = { LARK_APP_ID: 'cli_0123456789abcdef', LARK_APP_SECRET: 'sekrit-app-secret', LARK_ENCRYPT_KEY: 'enc-key-1234' };

function refusal(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected loadConfig to refuse');
}

describe('config', () => {
  it('no Lark credentials means sandbox mode with documented defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ sandbox: true, port: 3000, timezone: 'Asia/Shanghai', locale: 'zh-CN', admins: [] });
    expect(c.lark).toBeUndefined();
  });

  it('reads credentials, defaults to the long connection and the feishu domain', () => {
    const c = loadConfig({ ...creds, BAOMI_ADMINS: 'ou_a1, ou_b2' });
    expect(c.sandbox).toBe(false);
    expect(c.lark).toMatchObject({ appId: creds.LARK_APP_ID, transport: 'ws', domain: 'feishu' });
    expect(c.admins).toEqual(['ou_a1', 'ou_b2']);
  });

  it('accepts a base URL as domain and strips the trailing slash', () => {
    expect(loadConfig({ ...creds, LARK_DOMAIN: 'http://127.0.0.1:4010/' }).lark?.domain).toBe('http://127.0.0.1:4010');
  });

  it.each([
    ['PORT', { PORT: 'eighty' }],
    ['PORT', { PORT: '70000' }],
    ['LARK_TRANSPORT', { ...creds, LARK_TRANSPORT: 'smoke-signals' }],
    ['LARK_DOMAIN', { ...creds, LARK_DOMAIN: 'ftp://x' }],
    ['LARK_APP_ID', { ...creds, LARK_APP_ID: 'app123' }],
    ['BAOMI_TIMEZONE', { BAOMI_TIMEZONE: 'Mars/Olympus' }],
    ['BAOMI_LOCALE', { BAOMI_LOCALE: 'fr-FR' }],
    ['BAOMI_ADMINS', { BAOMI_ADMINS: 'alice,bob' }],
    ['MONGODB_URI', { MONGODB_URI: 'postgres://x' }],
    ['LARK_APP_SECRET', { LARK_APP_ID: creds.LARK_APP_ID }],
    ['LARK_ENCRYPT_KEY', { LARK_APP_ID: creds.LARK_APP_ID, LARK_APP_SECRET: 'x', LARK_TRANSPORT: 'webhook' }],
  ])('a bad %s stops start-up with a message naming it', (variable, env) => {
    const err = refusal(env as NodeJS.ProcessEnv);
    expect(err.variable).toBe(variable);
    expect(err.message).toContain(variable);
  });

  it('refuses production without MONGODB_URI', () => {
    const err = refusal({ ...creds, NODE_ENV: 'production' });
    expect(err.variable).toBe('MONGODB_URI');
    expect(() => loadConfig({ ...creds, NODE_ENV: 'production', MONGODB_URI: 'mongodb://db:27017/baomi' })).not.toThrow();
  });

  it('lists secrets for the logger to mask, including a MongoDB password', () => {
    const c = loadConfig({ ...creds, LARK_VERIFICATION_TOKEN: 'vtok-5678', MONGODB_URI: 'mongodb://u:pa55word@h/db' });
    expect(secretsOf(c)).toEqual(expect.arrayContaining(['sekrit-app-secret', 'enc-key-1234', 'vtok-5678', 'pa55word']));
  });
});
