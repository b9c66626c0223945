/**
 * Abuse: random, malformed and hostile arguments to every command through the whole bot. Every
 * message gets an answer, and no answer is the "something went wrong" of an unexpected failure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, USERS, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('webhook');
});
afterAll(() => h.stop());

/** A small deterministic generator, so a failure can be replayed. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const COMMANDS = [
  '/copy',
  '/复制',
  '/carry',
  '/外携',
  '/destroy',
  '/销毁',
  '/approve',
  '/reject',
  '/revise',
  '/withdraw',
  '/resubmit',
  '/complete',
  '/checkout',
  '/return',
  '/inspect',
  '/witness',
  '/carrier add',
  '/carrier show',
  '/carrier list',
  '/载体 登记',
  '/role add',
  '/role remove',
  '/help',
  '/lang',
  '/my',
  '/pending',
];
const TOKENS = [
  'carrier=MM-2026-001',
  'carrier=JM-2026-001,JM-2026-002',
  '载体=JUEM-2026-001',
  'copies=2',
  'copies=-1',
  'copies=1e9',
  '份数=三',
  'purpose=会议',
  'purpose="季度 会议"',
  'purpose=“引号',
  'due=2099-12-31',
  'due=2026-02-30',
  'due=tomorrow',
  'destination=市局',
  'method=粉碎',
  'method=钻孔',
  'site=本单位',
  'reason=到期',
  'abroad=yes',
  'abroad=maybe',
  'companions=ou_nobody',
  `companions=${USERS.staffRd2}`,
  'witnesses=ou_a,ou_a',
  'ref=国保〔2026〕1号',
  'no=X-1',
  'level=绝密',
  'level=ultra',
  'type=纸质',
  'type=scroll',
  'alias=别名',
  'CP-2026-0001',
  'CP-2026-9999',
  'DS-1999-0001',
  'XX-2026-0001',
  'ok=yes',
  'ok=perhaps',
  'copies_made=2',
  '=',
  '==',
  'a=b=c',
  '"',
  '「未闭合',
  '＝',
  'key=',
  '=value',
  '💣',
  '<script>alert(1)</script>',
  '{{constructor}}',
  '$t(errors:internal)',
  '%s%s%s',
  '\u202e',
  'x'.repeat(300),
  `载体=${'Y'.repeat(80)}`,
  'security_officer',
  '保密员',
  USERS.staffFinance,
];

describe('random input to every command', () => {
  it('300 random commands: each answered, none with an unexpected failure', async () => {
    const next = rng(20261127);
    const pick = <T>(xs: T[]) => xs[Math.floor(next() * xs.length)]!;
    const failures: string[] = [];
    for (let i = 0; i < 300; i++) {
      const parts = [pick(COMMANDS), ...Array.from({ length: Math.floor(next() * 6) }, () => pick(TOKENS))];
      const text = parts.join(next() < 0.1 ? '\u3000' : ' ');
      const user = pick([USERS.staffGeneral, USERS.securityOfficer, USERS.securityHead, USERS.generalHead]);
      const sent = await h.standIn.sendText(user, null, text);
      const reply = await h.standIn.waitForMessage((m) => m.parent_id === sent.message_id, 3000).catch(() => undefined);
      if (!reply) {
        failures.push(`no answer: ${text}`);
        continue;
      }
      const body = reply.body.content;
      if (/参考号 [0-9a-f]{8}|reference [0-9a-f]{8}/.test(body)) failures.push(`internal error for: ${text} → ${body}`);
      if (/TypeError|ReferenceError|at .*\.ts:\d+/.test(body)) failures.push(`stack trace for: ${text}`);
    }
    expect(failures).toEqual([]);
  }, 120_000);
});
