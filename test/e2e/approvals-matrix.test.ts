/**
 * Every kind at every level, over the long connection: the chain the policy prescribes, every
 * step decided by its assignee, then the whole after-approval path to CLOSED.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainFor, defaultPolicy, regimeOf, type Kind, type Level } from '../../domain/index.js';
import { startHarness, USERS, type Harness } from './harness.js';
import { replyTo } from './approval-helpers.js';

let h: Harness;
const T = () => h.standIn.directory.tenantKey;
const policy = defaultPolicy();

beforeAll(async () => {
  h = await startHarness('ws');
});
afterAll(() => h.stop());

async function say(user: string, text: string): Promise<string> {
  return replyTo(h.standIn, await h.standIn.sendText(user, null, text));
}
const req = async (id: string) => (await h.bot.approvals.repos.requests.get(T(), id))!.request;

const LEVELS: Level[] = ['TOP_SECRET', 'SECRET', 'CONFIDENTIAL', 'CORE', 'ORDINARY'];
const KINDS: Kind[] = ['COPY', 'CARRY_OUT', 'DESTROY'];
const requester = USERS.staffRd;

describe.each(KINDS)('%s', (kind) => {
  it.each(LEVELS)('at %s: the policy chain, then executed and closed', async (level) => {
    const number = `MX-${kind}-${level}`.replace(/_/g, '');
    await h.bot.approvals.repos.carriers.createIfAbsent(T(), {
      number,
      regime: regimeOf(level),
      level,
      carrierType: '纸质',
      alias: '矩阵测试',
      copyRestricted: false,
      mustReturnToIssuer: false,
      count: 1,
      custodianId: USERS.securityOfficer,
      origin: 'registered',
      createdBy: USERS.securityOfficer,
    });
    const ts = level === 'TOP_SECRET';
    const command =
      kind === 'COPY'
        ? `/copy carrier=${number} copies=1 purpose=矩阵${ts ? ' ref=国保批〔2026〕1号' : ''}`
        : kind === 'CARRY_OUT'
          ? `/carry carrier=${number} destination=市局 due=2099-12-31 purpose=矩阵${ts ? ` companions=${USERS.staffRd2}` : ''}`
          : `/destroy carrier=${number} reason=到期 method=粉碎 site=本单位`;
    const created = await say(requester, command);
    const id = /(CP|CO|DS)-\d{4}-\d{4}/.exec(created)?.[0];
    expect(id, created).toBeTruthy();

    const r0 = await req(id!);
    expect(r0.steps.map((s) => s.role)).toEqual(chainFor(policy, kind, level).map((s) => s.role));
    for (let i = 0; i < r0.steps.length; i++) {
      const who = (await req(id!)).steps[i]!.assignees[0]!;
      expect(who).not.toBe(requester);
      expect(await say(who, `/approve ${id}`)).toContain(id!);
    }
    expect((await req(id!)).state).toBe('APPROVED');

    if (kind === 'COPY') {
      expect(await say(USERS.securityOfficer, `/complete ${id} copies_made=1 originals_returned=yes waste_recovered=yes device_wiped=yes`)).toContain(id!);
      expect((await h.bot.approvals.repos.carriers.get(T(), `${number}-C1`))?.level).toBe(level);
    } else if (kind === 'CARRY_OUT') {
      expect(await say(USERS.securityOfficer, `/checkout ${id}`)).toContain(id!);
      expect(await say(requester, `/return ${id}`)).toContain(id!);
      expect(await say(USERS.securityOfficer2, `/return ${id}`)).toContain(id!);
      expect(await say(USERS.securityOfficer2, `/inspect ${id} ok=yes`)).toContain(id!);
    } else {
      expect(await say(USERS.securityOfficer, `/complete ${id} witnesses=${USERS.staffGeneral},${USERS.staffFinance}`)).toContain(id!);
      expect(await say(USERS.staffGeneral, `/witness ${id}`)).toContain(id!);
      expect(await say(USERS.staffFinance, `/witness ${id}`)).toContain(id!);
    }
    expect((await req(id!)).state).toBe('CLOSED');
    const ledger = kind === 'COPY' ? 'COPY' : kind === 'CARRY_OUT' ? 'CARRY' : 'DESTROY';
    expect(await h.db.connection.collection('ledger_entries').countDocuments({ tenantKey: T(), ledger, requestId: id })).toBeGreaterThan(0);
  });
});
