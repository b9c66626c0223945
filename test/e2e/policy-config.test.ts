/** BAOMI_POLICY: the unit's chains come from a file validated at start-up; a bad file stops the bot. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, USERS, type Harness } from './harness.js';
import { replyTo } from './approval-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'baomi-policy-'));
const base = JSON.parse(readFileSync('config/policy.default.json', 'utf8'));

function start(env: Record<string, string>) {
  const clean: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(clean)) if (k.startsWith('LARK_') || k.startsWith('BAOMI_') || k === 'MONGODB_URI' || k === 'NODE_ENV') delete clean[k];
  return spawnSync(process.execPath, ['--import', 'tsx', 'bot/main.ts'], { env: { ...clean, PORT: '0', BAOMI_LOG_LEVEL: 'error', ...env }, encoding: 'utf8', timeout: 20_000 });
}

describe('BAOMI_POLICY', () => {
  it('a policy with an unknown role stops start-up with a message naming the variable and the path', () => {
    const bad = structuredClone(base);
    bad.chains.COPY.SECRET[0].role = 'boss';
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify(bad));
    const r = start({ BAOMI_POLICY: file });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('BAOMI_POLICY');
    expect(r.stderr).toContain('chains.COPY.SECRET[0].role');
  });

  it('a missing file stops start-up too', () => {
    const r = start({ BAOMI_POLICY: join(dir, 'nope.json') });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/BAOMI_POLICY: cannot read/);
  });

  it('a policy cannot switch the legal floor off: a chain without the principal for top secret is refused', () => {
    const weak = structuredClone(base);
    weak.chains.COPY.TOP_SECRET = [{ role: 'dept_head' }, { role: 'security_officer', mode: 'ANY_OF', purpose: 'register' }];
    const file = join(dir, 'weak.json');
    writeFileSync(file, JSON.stringify(weak));
    const r = start({ BAOMI_POLICY: file });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('COPY.TOP_SECRET');
  });
});

describe('a unit chain from the policy file is what requests follow', () => {
  let h: Harness;
  beforeAll(async () => {
    const custom = structuredClone(base);
    custom.version = 'unit-test-1';
    // This unit wants the security-office head on every confidential copy, after the officer.
    custom.chains.COPY.CONFIDENTIAL = [...base.chains.COPY.CONFIDENTIAL, { role: 'security_head' }];
    h = await startHarness('webhook', { policy: custom });
  });
  afterAll(() => h.stop());

  it('adds the step', async () => {
    const text = await replyTo(h.standIn, await h.standIn.sendText(USERS.staffGeneral, null, '/copy carrier=MM-2026-001 copies=1 purpose=单位策略'));
    const id = /CP-\d{4}-\d{4}/.exec(text)![0];
    const r = (await h.bot.approvals.repos.requests.get(h.standIn.directory.tenantKey, id))!.request;
    expect(r.steps.map((s) => s.role)).toEqual([...base.chains.COPY.CONFIDENTIAL.map((s: { role: string }) => s.role), 'security_head']);
    expect(r.policyVersion).toBe('unit-test-1');
  });
});
