/**
 * The doctor (issue 11 item 3): against the stand-in every check is green and `npm run doctor`
 * exits 0; a stand-in that refuses one API's scopes makes it name the scope to add and exit 1;
 * `/doctor` answers an administrator with the same checks on a card and refuses anyone else.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LarkConfig } from '../../bot/core/config.js';
import { runDoctor, type DoctorLarkClient, type DoctorReport } from '../../bot/doctor.js';
import { registerModels } from '../../bot/doctor-cli.js';
import { createLarkClient } from '../../bot/transports/lark/client.js';
import { LARK_APIS } from '../../bot/transports/lark/scopes.js';
import { validateCard } from '../../cards/card.schema.js';
import { doctorCard, doctorFeature, doctorFeatureWith } from '../../handlers/doctor.handler.js';
import { FEATURES } from '../../handlers/features.js';
import { bilingual, translator } from '../../locales/index.js';
import { APP, ENCRYPT_KEY, freePort, startHarness, USERS, VERIFICATION_TOKEN, type Harness } from '../e2e/harness.js';
import { ROOT, scanSources, sourceFiles } from './scan.js';
import { readFileSync } from 'node:fs';

let h: Harness;
let lark: LarkConfig;

/** The harness's database as a URI naming it (the CLI connects on its own). */
const dbUri = () => h.db.uri.replace(/\/(\?|$)/, `/${h.db.dbName}$1`);

function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('LARK_') || k.startsWith('BAOMI_') || k === 'MONGODB_URI' || k === 'NODE_ENV' || k === 'PORT') delete env[k];
  return {
    ...env,
    LARK_APP_ID: APP.appId,
    LARK_APP_SECRET: APP.appSecret,
    LARK_ENCRYPT_KEY: ENCRYPT_KEY,
    LARK_VERIFICATION_TOKEN: VERIFICATION_TOKEN,
    LARK_DOMAIN: h.standIn.url,
    LARK_TRANSPORT: 'webhook',
    PORT: new URL(h.bot.url).port,
    MONGODB_URI: dbUri(),
    BAOMI_LOCALE: 'en-US',
    ...extra,
  };
}

/** `npm run doctor`, as a process of its own. */
function runCli(env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    let out = '';
    const p = spawn(process.execPath, ['--import', 'tsx', 'bot/doctor-cli.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('exit', (code) => resolve({ code, out }));
  });
}

const statuses = (r: DoctorReport) => Object.fromEntries(r.checks.map((c) => [c.id, c.status]));

function inProcess(extra: Partial<Parameters<typeof runDoctor>[0]> = {}): Promise<DoctorReport> {
  const { client } = createLarkClient(lark);
  return runDoctor({ lark, client: client as unknown as DoctorLarkClient, connection: h.db.connection, timezone: 'Asia/Shanghai', localUrl: h.bot.url, ...extra });
}

beforeAll(async () => {
  h = await startHarness('webhook', {
    // /doctor as FEATURES would have it, told the harness's Lark settings and URL (PORT is 0 here).
    features: [...FEATURES.filter((f) => f !== doctorFeature), doctorFeatureWith({ lark: () => lark, localUrl: () => h.bot.url, publicUrl: () => undefined })],
  });
  lark = { appId: APP.appId, appSecret: APP.appSecret, encryptKey: ENCRYPT_KEY, verificationToken: VERIFICATION_TOKEN, domain: h.standIn.url, transport: 'webhook' };
}, 30_000);

afterAll(async () => {
  await h?.stop();
});

describe('npm run doctor against the stand-in', () => {
  it('reports every check green and exits 0', async () => {
    const { code, out } = await runCli(cliEnv());
    expect(out).not.toMatch(/✘|^!/m);
    for (const api of LARK_APIS.filter((a) => a.probe)) expect(out).toContain(`✔ Permission for ${api.op}: allowed`);
    expect(out).toMatch(/✔ Credentials: a tenant token was issued/);
    expect(out).toMatch(/✔ Bot capability/);
    expect(out).toMatch(/✔ Webhook: .*\/lark\/events answered Lark's URL check/);
    expect(out).toMatch(/✔ MongoDB: reachable/);
    expect(out).toMatch(/✔ MongoDB topology: standalone/);
    expect(out).toMatch(/✔ MongoDB indexes: all \d+ indexes/);
    expect(out).toMatch(/✔ Approval policy/);
    expect(out).toMatch(/✔ Time zone: Asia\/Shanghai/);
    expect(out).toContain('Every check passed.');
    expect(code).toBe(0);
  }, 60_000);

  it('names the scope to add and exits 1 when the stand-in refuses one permission', async () => {
    h.standIn.denyScope('im:resource', 'im:resource:upload');
    try {
      const { code, out } = await runCli(cliEnv());
      expect(out).toMatch(/✘ Permission for im\.file\.create: refused with 99991672/);
      expect(out).toContain('→ Add the scope im:resource in the developer console');
      // Only that one: the other APIs still pass.
      expect(out.match(/✘/g)).toHaveLength(1);
      expect(code).toBe(1);
    } finally {
      h.standIn.grantScope();
    }
  }, 60_000);

  it('exits 2 with the variable named when the configuration is unusable', async () => {
    const { code, out } = await runCli(cliEnv({ LARK_APP_ID: 'not-an-app-id' }));
    expect(out).toMatch(/configuration error: LARK_APP_ID/);
    expect(code).toBe(2);
  }, 60_000);
});

describe('the checks', () => {
  it('wrong credentials: the credentials fail and the permissions are not checked', async () => {
    const bad = { ...lark, appSecret: 'wrong-secret' };
    const { client } = createLarkClient(bad);
    const r = await runDoctor({ lark: bad, client: client as unknown as DoctorLarkClient, connection: h.db.connection, timezone: 'Asia/Shanghai', localUrl: h.bot.url });
    expect(r.ok).toBe(false);
    expect(statuses(r).credentials).toBe('fail');
    expect(r.checks.find((c) => c.id === 'credentials')!.fix?.key).toBe('doctor:fix.credentials');
    expect(statuses(r)['scope:im.message.create']).toBe('skip');
  });

  it('a refused contact scope names the scope we recommend among those Lark lists', async () => {
    h.standIn.denyScope('contact:contact.base:readonly', 'contact:contact:access_as_app', 'contact:contact:readonly', 'contact:contact:readonly_as_app');
    try {
      const r = await inProcess();
      const refused = r.checks.filter((c) => c.status === 'fail');
      expect(refused.map((c) => c.id).sort()).toEqual([
        'scope:contact.department.children',
        'scope:contact.department.get',
        'scope:contact.user.find_by_department',
        'scope:contact.user.get',
      ]);
      expect(new Set(refused.map((c) => c.scope))).toEqual(new Set(['contact:contact.base:readonly']));
    } finally {
      h.standIn.grantScope();
    }
  });

  it('one accepted scope left is enough (Lark accepts any one of them)', async () => {
    h.standIn.denyScope('im:resource');
    try {
      expect(statuses(await inProcess())['scope:im.file.create']).toBe('ok');
    } finally {
      h.standIn.grantScope();
    }
  });

  it('a missing index fails the index check, naming the collection', async () => {
    const roles = h.db.connection.collection('roles');
    const indexes = await roles.listIndexes().toArray();
    const victim = indexes.find((i) => i.name !== '_id_')!;
    await roles.dropIndex(victim.name as string);
    try {
      const r = await inProcess();
      const c = r.checks.find((x) => x.id === 'mongo.indexes')!;
      expect(c.status).toBe('fail');
      expect(String(c.found.params?.list)).toContain('roles');
      expect(r.ok).toBe(false);
    } finally {
      await roles.createIndex(victim.key as Record<string, 1 | -1>, {
        ...(victim.unique ? { unique: true } : {}),
        ...(victim.partialFilterExpression ? { partialFilterExpression: victim.partialFilterExpression } : {}),
      });
    }
  });

  it('no MONGODB_URI, a bad policy file and a webhook nobody answers: each fails with its fix', async () => {
    const closed = await freePort();
    const r = await inProcess({ connection: undefined, policyFile: '/nonexistent/policy.json', localUrl: `http://127.0.0.1:${closed}`, timeoutMs: 1000 });
    const by = Object.fromEntries(r.checks.map((c) => [c.id, c]));
    expect(by.mongo!.status).toBe('fail');
    expect(by.mongo!.fix?.key).toBe('doctor:fix.mongo_uri');
    expect(by['mongo.indexes']!.status).toBe('skip');
    expect(by.policy!.status).toBe('fail');
    expect(by.transport!.status).toBe('fail');
    expect(by.transport!.fix?.key).toBe('doctor:fix.webhook');
  });

  it('long connection: no bot running here, Lark grants one → a note, not a failure', async () => {
    const closed = await freePort();
    const r = await inProcess({ lark: { ...lark, transport: 'ws' }, localUrl: `http://127.0.0.1:${closed}`, timeoutMs: 1000 });
    expect(statuses(r).transport).toBe('warn');
    expect(r.ok).toBe(true);
  });

  it('long connection: the running bot reports no connection → a failure', async () => {
    // The harness bot is on webhooks: its /healthz says it holds no long connection.
    const r = await inProcess({ lark: { ...lark, transport: 'ws' } });
    expect(statuses(r).transport).toBe('fail');
  });

  it('the CLI registers every model the code declares (found by scanning the sources)', async () => {
    const declared = new Set<string>();
    for (const f of sourceFiles()) for (const m of readFileSync(f, 'utf8').matchAll(/\.model(?:<[^>]*>)?\(\s*'([A-Za-z]+)'/g)) declared.add(m[1]!);
    const mongoose = (await import('mongoose')).default;
    const conn = mongoose.createConnection();
    try {
      const names = await registerModels(conn);
      expect(declared.size).toBeGreaterThan(10);
      expect([...declared].filter((n) => !names.includes(n))).toEqual([]);
    } finally {
      await conn.close();
    }
    expect(scanSources().ops.length).toBeGreaterThan(0);
  });
});

describe('/doctor', () => {
  it('answers an administrator privately with a card, every check green', async () => {
    const since = Date.now();
    await h.standIn.sendText(USERS.securityHead, null, '/doctor');
    const m = await h.standIn.waitForMessage(
      (x) =>
        x.chat_id === h.standIn.p2pChatId(USERS.securityHead) &&
        x.sender.sender_type === 'app' &&
        x.msg_type === 'interactive' &&
        Number(x.create_time) >= since &&
        x.body.content.includes('部署体检'),
      15_000,
    );
    const card = JSON.parse(m.body.content) as { header: { template: string } };
    expect(card.header.template).toBe('green');
    expect(m.body.content).toContain('全部检查通过');
    expect(m.body.content).not.toContain('✘');
  }, 30_000);

  it('refuses anyone else, with an audit record', async () => {
    const sent = await h.standIn.sendText(USERS.staffRd, null, '/doctor');
    const reply = await h.standIn.waitForMessage(
      (x) => x.parent_id === sent.message_id || (x.chat_id === sent.chat_id && x.sender.sender_type === 'app' && x.body.content.includes('/doctor')),
      5000,
    );
    expect(reply.body.content).toContain('只有管理员');
    const audit = await h.db.connection.collection('audit_log').findOne({ actorId: USERS.staffRd, action: 'doctor.run' });
    expect(audit?.outcome).toBe('refused');
  });

  it('the card obeys Lark’s limits in both states', async () => {
    const ok = await inProcess();
    h.standIn.denyScope('im:resource', 'im:resource:upload');
    const bad = await inProcess({ connection: undefined }).finally(() => h.standIn.grantScope());
    for (const r of [ok, bad]) {
      const card = doctorCard(r, bilingual);
      expect(validateCard(card)).toEqual({ ok: true });
    }
    expect(JSON.stringify(doctorCard(bad, bilingual))).toContain('im:resource');
    // The CLI's text uses the same keys: nothing is left untranslated.
    const t = translator('zh-CN');
    for (const c of bad.checks) expect(t(c.found.key, c.found.params)).not.toBe(c.found.key.split(':')[1]);
  });
});
