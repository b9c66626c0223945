/**
 * People are resolved through Lark's contact API: LarkDirectory against the stand-in (the real SDK,
 * real HTTP), then People.requireReal on top of it. Unknown → Lark's "no user authority" (41050);
 * resigned and deactivated users are returned with their `status`; a lookup Lark could not answer
 * is an error ("try again"), never "unknown".
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BotError, DirectoryUnavailable } from '../../../../bot/core/errors.js';
import { silentLogger } from '../../../../bot/core/logger.js';
import { Metrics } from '../../../../bot/core/metrics.js';
import { inactiveReason } from '../../../../bot/core/person.js';
import { createLarkClient } from '../../../../bot/transports/lark/client.js';
import { LarkDirectory } from '../../../../bot/transports/lark/directory.js';
import { LarkSender } from '../../../../bot/transports/lark/sender.js';
import { People, type RoleSource } from '../../../../handlers/approvals/people.js';
import { startLarkStandIn, type LarkStandIn } from '../../../../sandbox/lark/server.js';

const APP = { appId: 'cli_0123456789abcdef', appSecret: 'directory-test-secret' };
const T = '736588c9260f175e';
/** From sandbox/lark/seed/demo-org.json. */
const ZHAO = 'ou_29eacd7ebd92f24f7e1a5dba6b277743'; // 赵磊, active
const ZHOU = 'ou_bc069cd99b82ad8c509d23d6d056fff6'; // 周杰, active
const QIAN = 'ou_6c02aaeabeb115eca4f6654f4c5fed24'; // 钱明, resigned
const FENG = 'ou_f2cca89356bf714d251882dfe296086e'; // 冯婷, deactivated (frozen)
const NOBODY = 'ou_00000000000000000000000000000000';

let standIn: LarkStandIn;
let sender: LarkSender;
const noRoles: RoleSource = { rolesOf: async () => [], holders: async () => [], deptHeadOverride: async () => undefined };

beforeAll(async () => {
  standIn = await startLarkStandIn(APP);
  sender = new LarkSender(createLarkClient({ ...APP, domain: standIn.url }, { timeoutMs: 2000 }), { logger: silentLogger, metrics: new Metrics(), sleep: async () => undefined });
});
afterAll(() => standIn.stop());
beforeEach(() => standIn.clearFaults());

describe('LarkDirectory.lookup (contact.v3.user.get)', () => {
  it('maps the user and their status', async () => {
    const dir = new LarkDirectory(sender, silentLogger);
    const zhao = await dir.lookup(T, ZHAO);
    expect(zhao).toMatchObject({ openId: ZHAO, name: '赵磊', enName: 'Zhao Lei', status: { activated: true, resigned: false, frozen: false, exited: false, unjoined: false } });
    expect(inactiveReason(zhao!)).toBeUndefined();
    const qian = await dir.lookup(T, QIAN);
    expect(qian?.status).toMatchObject({ resigned: true, activated: false });
    expect(inactiveReason(qian!)).toBe('resigned');
    const feng = await dir.lookup(T, FENG);
    expect(feng?.status).toMatchObject({ frozen: true, activated: true });
    expect(inactiveReason(feng!)).toBe('deactivated');
  });

  it("an unknown user is Lark's 41050: undefined", async () => {
    const dir = new LarkDirectory(sender, silentLogger);
    expect(await dir.lookup(T, NOBODY)).toBeUndefined();
    const call = standIn.calls.filter((c) => c.path.includes(NOBODY)).at(-1);
    expect(call?.response).toMatchObject({ code: 41050 });
  });

  it('a lookup Lark could not answer throws DirectoryUnavailable, and asks Lark again next time (no stale answer)', async () => {
    const dir = new LarkDirectory(sender, silentLogger);
    expect(await dir.lookup(T, ZHOU)).toMatchObject({ name: '周杰' });
    // Every attempt of the sender's retries fails (HTTP 500 / 503).
    standIn.failNext(`/open-apis/contact/v3/users/${ZHOU}`, { status: 503 }, 10);
    await expect(dir.lookup(T, ZHOU)).rejects.toBeInstanceOf(DirectoryUnavailable);
    standIn.clearFaults();
    expect(await dir.lookup(T, ZHOU)).toMatchObject({ name: '周杰' });
  });
});

describe('LarkDirectory.activeUsers (department.children + user.find_by_department)', () => {
  it('lists the active users of the whole tree, never resigned or deactivated ones, bounded', async () => {
    const dir = new LarkDirectory(sender, silentLogger);
    const all = await dir.activeUsers(T, 200);
    const ids = all.map((u) => u.openId);
    expect(ids).toContain(ZHAO);
    expect(ids).toContain(ZHOU);
    expect(ids).not.toContain(QIAN);
    expect(ids).not.toContain(FENG);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(standIn.directory.users.length - 2);
    expect(await dir.activeUsers(T, 3)).toHaveLength(3);
    // Paged as Lark pages (at most 50 a page).
    const pages = standIn.calls.filter((c) => c.path.includes('/find_by_department'));
    expect(pages.length).toBeGreaterThan(0);
    expect(pages.every((c) => c.query?.page_size === '50')).toBe(true);
  });

  it('when Lark cannot list them, no candidates (the picker falls back), not an error', async () => {
    const dir = new LarkDirectory(sender, silentLogger);
    standIn.failNext('/open-apis/contact/v3/departments/0/children', { status: 500 }, 10);
    expect(await dir.activeUsers(T, 50)).toEqual([]);
  });
});

describe('LarkDirectory.allActiveUsers (everyone, for unit-wide notices)', () => {
  it('lists all 260 people of a large unit, where the pickers stop at 200', async () => {
    const { fanoutOrg } = await import('../../../../scheduler/fanout-org.js');
    const big = fanoutOrg(259);
    const large = await startLarkStandIn({ ...APP, directory: big.org });
    try {
      const s = new LarkSender(createLarkClient({ ...APP, domain: large.url }, { timeoutMs: 2000 }), {
        logger: silentLogger,
        metrics: new Metrics(),
        sleep: async () => undefined,
      });
      const dir = new LarkDirectory(s, silentLogger);
      const tenant = big.org.tenant_key;
      expect(await dir.activeUsers(tenant, 1000)).toHaveLength(200);
      const everyone = await dir.allActiveUsers(tenant);
      expect(everyone).toHaveLength(260);
      expect(new Set(everyone.map((p) => p.openId))).toEqual(new Set([big.sender, ...big.recipients.map((r) => r.openId)]));
    } finally {
      await large.stop();
    }
  });
});

describe('People.requireReal', () => {
  const people = () => new People(noRoles, new LarkDirectory(sender, silentLogger));
  const refusal = async (p: Promise<unknown>) => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BotError);
    return err as BotError;
  };

  it('returns active people in the order given', async () => {
    expect((await people().requireReal(T, [ZHOU, ZHAO, ZHOU], 'witnesses')).map((p) => p.name)).toEqual(['周杰', '赵磊']);
  });

  it('refuses an unknown person by the id as typed', async () => {
    const e = await refusal(people().requireReal(T, [ZHAO, NOBODY], 'witnesses'));
    expect(e.key).toBe('people:not_accepted');
    expect(e.text?.zh).toContain(`${NOBODY}（通讯录中没有此人）`);
    expect(e.text?.zh).toContain('监销人');
    expect(e.text?.en).toContain(`${NOBODY} (not in the directory)`);
    expect(e.text?.zh).not.toContain('赵磊');
  });

  it('refuses a resigned and a deactivated person by name, both in one answer', async () => {
    const e = await refusal(people().requireReal(T, [QIAN, FENG], 'companions'));
    expect(e.text?.zh).toContain('同行人');
    expect(e.text?.zh).toContain('钱明（已离职）');
    expect(e.text?.zh).toContain('冯婷（已停用）');
    expect(e.text?.en).toContain('Qian Ming (has left)');
    expect(e.text?.en).toContain('Feng Ting (deactivated)');
  });

  it('a transient failure is "try again", never "unknown"', async () => {
    standIn.failNext(`/open-apis/contact/v3/users/${ZHAO}`, { status: 500 }, 10);
    const e = await refusal(people().requireReal(T, [ZHAO], 'person'));
    expect(e.key).toBe('people:lookup_failed');
    expect(e.text?.zh).toContain('稍后重试');
    expect(e.text?.en).toContain('try again');
    expect(e.text?.zh).not.toContain('通讯录中没有此人');
  });
});
