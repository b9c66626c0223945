/**
 * The doctor: checks a deployment before the first user finds what is wrong, and names the fix for
 * each problem. `npm run doctor` (bot/doctor-cli.ts) runs it from the environment and exits non-zero
 * when anything failed; `/doctor` (handlers/doctor.handler.ts) runs it inside the bot for an
 * administrator and answers with a card.
 *
 * Checks: the credentials (a tenant token), the bot capability (bot/v3/info), every Open API the
 * bot calls (each probed harmlessly, see bot/transports/lark/scopes.ts; Lark's "no permission"
 * answers 99991672 / 99991679 are mapped to the scope to add), the transport (the webhook URL
 * answers Lark's URL check, or the running bot holds its long connection), MongoDB (reachable,
 * replica set or standalone, every index the models declare present), the policy file and the
 * time zone. Nothing is written anywhere: probes are reads or writes aimed at ids that cannot exist.
 */
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import type { Connection } from 'mongoose';
import type { LarkConfig } from './core/config.js';
import { readPolicyFile } from './core/config.js';
import { DEFAULT_POLICY_JSON, isValidTimeZone, loadPolicy } from '../domain/index.js';
import { LARK_APIS, NO_SCOPE_CODES, type ProbeClient } from './transports/lark/scopes.js';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

/** A text of the doctor's namespace (locales/<lng>/doctor.json) and its parameters. */
export interface DoctorText {
  key: string;
  params?: Record<string, string | number>;
}

export interface CheckResult {
  /** 'credentials', 'bot', 'scope:<op>', 'transport', 'mongo', 'mongo.topology', 'mongo.indexes', 'policy', 'timezone'. */
  id: string;
  status: CheckStatus;
  /** What the check is about (`doctor:check.*`). */
  title: DoctorText;
  /** What was found (`doctor:found.*`). */
  found: DoctorText;
  /** What to do (`doctor:fix.*`), when the check did not pass. */
  fix?: DoctorText;
  /** Scope checks: the scope to add when refused. */
  scope?: string;
}

export interface DoctorReport {
  /** No check failed (warnings and skipped checks do not count). */
  ok: boolean;
  checks: CheckResult[];
}

/** The Lark SDK client, as far as the doctor uses it. */
export interface DoctorLarkClient extends ProbeClient {
  auth: { v3: { tenantAccessToken: { internal(p: { data: { app_id: string; app_secret: string } }): Promise<unknown> } } };
}

export interface DoctorInput {
  lark: Pick<LarkConfig, 'appId' | 'appSecret' | 'domain' | 'transport' | 'encryptKey' | 'verificationToken'>;
  client: DoctorLarkClient;
  /** The bot's database, with the models registered whose indexes must exist; absent: `mongoError`. */
  connection?: Connection;
  /** Why there is no connection (no MONGODB_URI, connection refused…). */
  mongoError?: DoctorText;
  /** BAOMI_POLICY, or undefined for config/policy.default.json. */
  policyFile?: string;
  timezone: string;
  /** Where the running bot answers on this machine (`http://127.0.0.1:PORT`). */
  localUrl: string;
  /** The public base URL Lark posts events to (BAOMI_PUBLIC_URL); default `localUrl`. */
  publicUrl?: string;
  /** HTTP timeout for the transport checks (default 5 s). */
  timeoutMs?: number;
  now?: () => Date;
}

/** Lark's answers that mean the token (not the scope) is wrong. */
const TOKEN_CODES = new Set([99991661, 99991663, 99991664, 99991668]);

type Answer =
  | { kind: 'ok'; body: Record<string, unknown> }
  | { kind: 'lark'; status?: number; code: number; msg: string; body: Record<string, unknown> }
  | { kind: 'network'; error: string };

/** Runs one call and sorts its answer: success, a Lark refusal (with its code), or no answer. */
async function ask(call: () => Promise<unknown>): Promise<Answer> {
  try {
    const body = ((await call()) ?? {}) as Record<string, unknown>;
    const code = typeof body.code === 'number' ? body.code : 0;
    return code === 0 ? { kind: 'ok', body } : { kind: 'lark', code, msg: String(body.msg ?? ''), body };
  } catch (err) {
    const e = err as { response?: { status?: number; data?: unknown }; message?: string; code?: string };
    if (!e.response) return { kind: 'network', error: e.code ?? e.message ?? String(err) };
    const data = (e.response.data && typeof e.response.data === 'object' ? e.response.data : {}) as Record<string, unknown>;
    return {
      kind: 'lark',
      status: e.response.status,
      code: typeof data.code === 'number' ? data.code : (e.response.status ?? -1),
      msg: String(data.msg ?? e.message ?? ''),
      body: data,
    };
  }
}

/** The scopes named in a 99991672 answer: `error.permission_violations[].subject`, else the `[…]` list of its message. */
export function scopesInRefusal(body: Record<string, unknown>, msg: string): string[] {
  const violations = (body.error as { permission_violations?: { subject?: unknown }[] } | undefined)?.permission_violations;
  const subjects = (violations ?? []).map((v) => v.subject).filter((s): s is string => typeof s === 'string' && s.length > 0);
  if (subjects.length) return subjects;
  const list = /\[([^\]]+)\]/.exec(msg)?.[1];
  return list
    ? list
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [];
}

const title = (key: string, params?: Record<string, string | number>): DoctorText => ({ key: `doctor:check.${key}`, ...(params ? { params } : {}) });
const found = (key: string, params?: Record<string, string | number>): DoctorText => ({ key: `doctor:found.${key}`, ...(params ? { params } : {}) });
const fix = (key: string, params?: Record<string, string | number>): DoctorText => ({ key: `doctor:fix.${key}`, ...(params ? { params } : {}) });
const short = (s: string, n = 160): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

async function checkCredentials(input: DoctorInput): Promise<CheckResult> {
  const { appId, appSecret, domain } = input.lark;
  const a = await ask(() => input.client.auth.v3.tenantAccessToken.internal({ data: { app_id: appId, app_secret: appSecret } }));
  const base = { id: 'credentials', title: title('credentials') };
  if (a.kind === 'ok') return { ...base, status: 'ok', found: found('credentials_ok', { appId }) };
  if (a.kind === 'network') return { ...base, status: 'fail', found: found('lark_unreachable', { domain, error: short(a.error) }), fix: fix('lark_unreachable') };
  return { ...base, status: 'fail', found: found('credentials_refused', { code: a.code, msg: short(a.msg) }), fix: fix('credentials') };
}

async function checkBot(input: DoctorInput): Promise<CheckResult> {
  const a = await ask(() => input.client.request({ method: 'GET', url: '/open-apis/bot/v3/info' }));
  const base = { id: 'bot', title: title('bot') };
  if (a.kind === 'network')
    return { ...base, status: 'fail', found: found('lark_unreachable', { domain: input.lark.domain, error: short(a.error) }), fix: fix('lark_unreachable') };
  const bot = (a.body.bot ?? (a.body.data as { bot?: unknown } | undefined)?.bot) as { open_id?: string; app_name?: string } | undefined;
  if (a.kind === 'ok' && bot?.open_id) return { ...base, status: 'ok', found: found('bot_ok', { name: bot.app_name ?? '', openId: bot.open_id }) };
  const code = a.kind === 'lark' ? a.code : 0;
  const msg = a.kind === 'lark' ? a.msg : 'no bot in the answer';
  return { ...base, status: 'fail', found: found('bot_missing', { code, msg: short(msg) }), fix: fix('bot') };
}

/** Each Open API the bot calls, probed harmlessly: a "no permission" answer names the scope to add. */
async function checkScopes(input: DoctorInput, skip: boolean): Promise<CheckResult[]> {
  const probed = LARK_APIS.filter((a) => a.probe);
  return Promise.all(
    probed.map(async (api): Promise<CheckResult> => {
      const base = { id: `scope:${api.op}`, title: title('scope', { op: api.op, path: `${api.method} ${api.path}` }) };
      if (skip) return { ...base, status: 'skip', found: found('skipped_credentials') };
      const a = await ask(() => api.probe!(input.client));
      if (a.kind === 'network')
        return { ...base, status: 'fail', found: found('lark_unreachable', { domain: input.lark.domain, error: short(a.error) }), fix: fix('lark_unreachable') };
      if (a.kind === 'ok') return { ...base, status: 'ok', found: found('scope_ok') };
      if (NO_SCOPE_CODES.has(a.code)) {
        const named = scopesInRefusal(a.body, a.msg);
        // Ours first (the narrowest that does the job), when Lark lists it among those it accepts.
        const scope = api.scopes.find((s) => named.length === 0 || named.includes(s)) ?? named[0] ?? api.scopes[0] ?? '';
        const accepted = (named.length ? named : api.scopes).join(', ');
        return { ...base, status: 'fail', scope, found: found('scope_refused', { code: a.code, scopes: accepted }), fix: fix('scope', { scope }) };
      }
      if (TOKEN_CODES.has(a.code)) return { ...base, status: 'fail', found: found('scope_token', { code: a.code, msg: short(a.msg) }), fix: fix('credentials') };
      // A gateway answer that is not Lark's (404 page, 5xx): the call did not reach the API.
      if (a.status !== undefined && (a.status === 404 || a.status >= 500) && a.code === a.status) {
        return { ...base, status: 'fail', found: found('scope_error', { status: a.status, msg: short(a.msg) }), fix: fix('lark_unreachable') };
      }
      // Any other refusal is about the probe's made-up ids: the permission check was passed.
      return { ...base, status: 'ok', found: found('scope_ok') };
    }),
  );
}

function timeoutSignal(ms: number): AbortSignal {
  return AbortSignal.timeout(ms);
}

/** AES-256-CBC with key sha256(encryptKey), base64(iv ‖ ciphertext): how Lark encrypts what it posts. */
function encryptForWebhook(key: string, plaintext: string): string {
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-cbc', createHash('sha256').update(key).digest(), iv);
  return Buffer.concat([iv, cipher.update(plaintext, 'utf8'), cipher.final()]).toString('base64');
}

async function checkTransport(input: DoctorInput): Promise<CheckResult> {
  const ms = input.timeoutMs ?? 5000;
  const local = input.localUrl.replace(/\/$/, '');
  if (input.lark.transport === 'webhook') {
    const base = { id: 'transport', title: title('transport_webhook') };
    const url = `${(input.publicUrl ?? input.localUrl).replace(/\/$/, '')}/lark/events`;
    // Lark's URL check, as Lark sends it: encrypted when there is an Encrypt Key, with the token.
    const challenge = randomBytes(12).toString('hex');
    const inner = JSON.stringify({ challenge, token: input.lark.verificationToken ?? '', type: 'url_verification' });
    const body = input.lark.encryptKey ? JSON.stringify({ encrypt: encryptForWebhook(input.lark.encryptKey, inner) }) : inner;
    try {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: timeoutSignal(ms) });
      const answer = (await res.json().catch(() => ({}))) as { challenge?: unknown };
      if (res.ok && answer.challenge === challenge) return { ...base, status: 'ok', found: found('webhook_ok', { url }) };
      return { ...base, status: 'fail', found: found('webhook_refused', { url, status: res.status }), fix: fix('webhook', { url }) };
    } catch (err) {
      return { ...base, status: 'fail', found: found('webhook_unreachable', { url, error: short((err as Error).message) }), fix: fix('webhook', { url }) };
    }
  }
  const base = { id: 'transport', title: title('transport_ws') };
  const healthUrl = `${local}/healthz`;
  try {
    const res = await fetch(healthUrl, { signal: timeoutSignal(ms) });
    const h = (await res.json().catch(() => ({}))) as { lark?: { connected?: boolean; connection?: { state?: string } } };
    if (h.lark?.connected === true) return { ...base, status: 'ok', found: found('ws_ok', { url: healthUrl }) };
    return { ...base, status: 'fail', found: found('ws_down', { url: healthUrl, state: h.lark?.connection?.state ?? 'unknown' }), fix: fix('ws') };
  } catch {
    // No bot running here: ask Lark whether it grants this app a long connection at all.
    const domain = input.lark.domain === 'feishu' ? 'https://open.feishu.cn' : input.lark.domain === 'lark' ? 'https://open.larksuite.com' : input.lark.domain;
    try {
      const res = await fetch(`${domain.replace(/\/$/, '')}/callback/ws/endpoint`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', locale: 'zh' },
        body: JSON.stringify({ AppID: input.lark.appId, AppSecret: input.lark.appSecret }),
        signal: timeoutSignal(ms),
      });
      const b = (await res.json().catch(() => ({}))) as { code?: number; msg?: string; data?: { URL?: string } };
      if (b.code === 0 && b.data?.URL) return { ...base, status: 'warn', found: found('ws_endpoint_only', { url: healthUrl }), fix: fix('ws_start') };
      return { ...base, status: 'fail', found: found('ws_refused', { code: b.code ?? res.status, msg: short(b.msg ?? '') }), fix: fix('ws') };
    } catch (err) {
      return { ...base, status: 'fail', found: found('lark_unreachable', { domain, error: short((err as Error).message) }), fix: fix('lark_unreachable') };
    }
  }
}

interface IndexSpec {
  collection: string;
  key: Record<string, unknown>;
}

/** The indexes the registered models declare (their schemas), with `_id`. */
export function declaredIndexes(connection: Connection): IndexSpec[] {
  const out: IndexSpec[] = [];
  for (const model of Object.values(connection.models)) {
    const collection = model.collection.collectionName;
    out.push({ collection, key: { _id: 1 } });
    for (const [key] of model.schema.indexes()) out.push({ collection, key: key as Record<string, unknown> });
  }
  return out;
}

const keyText = (k: Record<string, unknown>): string => JSON.stringify(k);

async function checkMongo(input: DoctorInput): Promise<CheckResult[]> {
  const conn = input.connection;
  if (!conn) {
    const why = input.mongoError ?? found('mongo_no_uri');
    const f = why.key === 'doctor:found.mongo_no_uri' ? fix('mongo_uri') : fix('mongo_unreachable');
    return [
      { id: 'mongo', title: title('mongo'), status: 'fail', found: why, fix: f },
      { id: 'mongo.topology', title: title('mongo_topology'), status: 'skip', found: found('skipped_mongo') },
      { id: 'mongo.indexes', title: title('mongo_indexes'), status: 'skip', found: found('skipped_mongo') },
    ];
  }
  const out: CheckResult[] = [];
  const db = conn.db;
  try {
    if (!db) throw new Error('not connected');
    await db.admin().ping();
    out.push({ id: 'mongo', title: title('mongo'), status: 'ok', found: found('mongo_ok', { db: db.databaseName }) });
  } catch (err) {
    return [
      { id: 'mongo', title: title('mongo'), status: 'fail', found: found('mongo_unreachable', { error: short((err as Error).message) }), fix: fix('mongo_unreachable') },
      { id: 'mongo.topology', title: title('mongo_topology'), status: 'skip', found: found('skipped_mongo') },
      { id: 'mongo.indexes', title: title('mongo_indexes'), status: 'skip', found: found('skipped_mongo') },
    ];
  }
  try {
    const hello = (await db.admin().command({ hello: 1 })) as { setName?: string; hosts?: string[]; primary?: string; msg?: string };
    if (hello.setName) {
      const members = hello.hosts?.length ?? 0;
      out.push({
        id: 'mongo.topology',
        title: title('mongo_topology'),
        status: members >= 3 ? 'ok' : 'warn',
        found: found('mongo_replica_set', { set: hello.setName, members, primary: hello.primary ?? '?' }),
        ...(members >= 3 ? {} : { fix: fix('mongo_members') }),
      });
    } else if (hello.msg === 'isdbgrid') out.push({ id: 'mongo.topology', title: title('mongo_topology'), status: 'ok', found: found('mongo_sharded') });
    else out.push({ id: 'mongo.topology', title: title('mongo_topology'), status: 'ok', found: found('mongo_standalone') });
  } catch (err) {
    out.push({
      id: 'mongo.topology',
      title: title('mongo_topology'),
      status: 'fail',
      found: found('mongo_unreachable', { error: short((err as Error).message) }),
      fix: fix('mongo_unreachable'),
    });
  }
  try {
    const wanted = declaredIndexes(conn);
    const present = new Map<string, Set<string>>();
    for (const c of new Set(wanted.map((w) => w.collection))) {
      const keys = new Set<string>();
      try {
        for (const ix of await db.collection(c).listIndexes().toArray()) keys.add(keyText(ix.key as Record<string, unknown>));
      } catch (err) {
        // NamespaceNotFound: the collection does not exist yet, so none of its indexes do.
        if ((err as { code?: number }).code !== 26) throw err;
      }
      present.set(c, keys);
    }
    const missing = wanted.filter((w) => !present.get(w.collection)?.has(keyText(w.key)));
    if (missing.length === 0) {
      out.push({ id: 'mongo.indexes', title: title('mongo_indexes'), status: 'ok', found: found('indexes_ok', { count: wanted.length, collections: present.size }) });
    } else {
      const list = missing.map((m) => `${m.collection} ${keyText(m.key)}`);
      out.push({
        id: 'mongo.indexes',
        title: title('mongo_indexes'),
        status: 'fail',
        found: found('indexes_missing', { count: missing.length, list: short(list.join('; '), 400) }),
        fix: fix('mongo_indexes'),
      });
    }
  } catch (err) {
    out.push({
      id: 'mongo.indexes',
      title: title('mongo_indexes'),
      status: 'fail',
      found: found('mongo_unreachable', { error: short((err as Error).message) }),
      fix: fix('mongo_unreachable'),
    });
  }
  return out;
}

function checkPolicy(input: DoctorInput): CheckResult {
  const file = input.policyFile ?? 'config/policy.default.json';
  const base = { id: 'policy', title: title('policy') };
  let json: unknown;
  try {
    json = input.policyFile ? readPolicyFile(input.policyFile) : DEFAULT_POLICY_JSON;
  } catch (err) {
    return { ...base, status: 'fail', found: found('policy_unreadable', { file, error: short((err as Error).message) }), fix: fix('policy') };
  }
  const loaded = loadPolicy(json);
  if (loaded.ok) return { ...base, status: 'ok', found: found('policy_ok', { file, version: String(loaded.policy.version) }) };
  return { ...base, status: 'fail', found: found('policy_invalid', { file, errors: short(loaded.errors.join('; '), 400) }), fix: fix('policy') };
}

function checkTimezone(input: DoctorInput): CheckResult {
  const base = { id: 'timezone', title: title('timezone') };
  if (!isValidTimeZone(input.timezone)) return { ...base, status: 'fail', found: found('timezone_invalid', { tz: input.timezone }), fix: fix('timezone') };
  const now = (input.now ?? (() => new Date()))();
  const local = new Intl.DateTimeFormat('sv-SE', { timeZone: input.timezone, dateStyle: 'short', timeStyle: 'short', hour12: false }).format(now);
  return { ...base, status: 'ok', found: found('timezone_ok', { tz: input.timezone, now: local }) };
}

/** Every check, in the order they are shown. */
export async function runDoctor(input: DoctorInput): Promise<DoctorReport> {
  const credentials = await checkCredentials(input);
  const lark = credentials.status === 'ok';
  const [bot, scopes, transport, mongo] = await Promise.all([
    lark ? checkBot(input) : Promise.resolve<CheckResult>({ id: 'bot', title: title('bot'), status: 'skip', found: found('skipped_credentials') }),
    checkScopes(input, !lark),
    checkTransport(input),
    checkMongo(input),
  ]);
  const checks = [credentials, bot, ...scopes, transport, ...mongo, checkPolicy(input), checkTimezone(input)];
  return { ok: checks.every((c) => c.status !== 'fail'), checks };
}

export const STATUS_MARK: Record<CheckStatus, string> = { ok: '✔', warn: '!', fail: '✘', skip: '–' };

/** The report as text lines (the CLI's output), in one language. */
export function reportText(report: DoctorReport, t: (key: string, params?: Record<string, unknown>) => string): string {
  const lines = report.checks.map((c) => {
    const head = `${STATUS_MARK[c.status]} ${t(c.title.key, c.title.params)}: ${t(c.found.key, c.found.params)}`;
    return c.fix && c.status !== 'ok' ? `${head}\n    → ${t(c.fix.key, c.fix.params)}` : head;
  });
  const failed = report.checks.filter((c) => c.status === 'fail').length;
  lines.push('', report.ok ? t('doctor:summary_ok') : t('doctor:summary_fail', { count: failed }));
  return `${lines.join('\n')}\n`;
}
