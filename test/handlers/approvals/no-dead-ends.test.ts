/**
 * No dead ends: every kind × level × requester role of the default policy, through the whole
 * approval service on the real store, with whoever the chain names deciding, to CLOSED. A request
 * that cannot get distinct approvers in this unit is refused when it is made, with a message that
 * says why, never created to wait for ever.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isBotError } from '../../../bot/core/errors.js';
import { KINDS, LEVELS, regimeOf, type Command, type Kind, type Level } from '../../../domain/index.js';
import { useTestDb, type TestDb } from '../../helpers/mongo.js';
import { serviceHarness, TENANT, type ServiceHarness } from '../../helpers/approval-service.js';
import { localDateIn } from '../../helpers/approval-service.js';

const PEOPLE = {
  staff: 'ou_34bf8052ce3c4a7d967c03c0a763b2b2', // 孙浩, 综合处
  dept_head: 'ou_d87f2e0d69549e4af1c7ad4ea914c243', // 陈静, head of 综合处
  security_officer: 'ou_f6e440d0604342760f037796e92f5830', // 李娜, 保密办
  leader: 'ou_8fbd6a6e1c05bbab7f4345207e5d5249', // 王强
  principal: 'ou_43e16629f3e8b23fbf9ef91895bd2327', // 刘洋
} as const;
type RequesterRole = keyof typeof PEOPLE;
const OFFICERS = ['ou_f6e440d0604342760f037796e92f5830', 'ou_3d727b0ca15b4633069e38302d59c830'];
const BYSTANDERS = ['ou_29eacd7ebd92f24f7e1a5dba6b277743', 'ou_bc069cd99b82ad8c509d23d6d056fff6', 'ou_fb58a3b3511402394d52e54c3ef6ad3d']; // 赵磊, 周杰, 徐丽

/**
 * Combinations the demo unit (one leader in charge, one principal) cannot approve with distinct
 * people, so the request is refused when made: a 绝密 chain ends with the leader and the principal,
 * and the principal's, the leader's or a department head's own 绝密 request would need one of them
 * twice (or a principal other than the requester). A unit with several leaders in charge gets them
 * through. Everything else must reach CLOSED.
 */
const REFUSED = new Set(['principal:TOP_SECRET', 'leader:TOP_SECRET', 'dept_head:TOP_SECRET']);

/** How each is refused: no principal but the requester; or not enough distinct superiors. */
const REFUSAL: Record<string, string> = {
  principal: 'refused:request:no_role_holder',
  leader: 'refused:workflow:workflow.no_distinct_approvers',
  dept_head: 'refused:workflow:workflow.no_distinct_approvers',
};

let db: TestDb;
let h: ServiceHarness;

beforeAll(async () => {
  db = await useTestDb();
  h = await serviceHarness(db);
});
afterAll(() => db.close());

const dueIn = (days: number) => localDateIn(days);

function details(kind: Kind, level: Level): Record<string, unknown> {
  switch (kind) {
    case 'COPY':
      return { copies: 1, purpose: '工作需要', ...(level === 'TOP_SECRET' ? { ref: '原定密机关同意〔2026〕1号' } : {}) };
    case 'CARRY_OUT':
      return { destination: '上级机关', due: dueIn(2), purpose: '汇报', ...(level === 'TOP_SECRET' ? { companions: [BYSTANDERS[0]] } : {}) };
    case 'DESTROY':
      return { reason: '失去保存价值', method: '粉碎', site: '本单位保密室' };
  }
}

async function act(id: string, command: Command, actor: string): Promise<void> {
  const r = await h.service.act(TENANT, id, command, actor, 'command');
  if (!r.ok) throw new Error(`${command.type} on ${id} by ${actor}: ${r.error.code} ${JSON.stringify(r.error.params ?? {})}`);
  await r.done;
}

/** Runs one combination to its end; returns the final state, or the refusal's key at creation. */
async function walk(kind: Kind, level: Level, role: RequesterRole): Promise<string> {
  const number = `DE-${kind}-${level}-${role}`;
  await h.repos.carriers.create(TENANT, {
    number,
    regime: regimeOf(level),
    level,
    carrierType: '纸质',
    alias: `别名 ${number}`,
    copyRestricted: false,
    mustReturnToIssuer: false,
    count: 1,
    origin: 'registered',
    createdBy: OFFICERS[0]!,
  });
  const requester = PEOPLE[role];
  let id: string;
  try {
    id = (await h.service.create(TENANT, { kind, requesterId: requester, carrierNumbers: [number], details: details(kind, level), channel: 'command' })).request.id;
  } catch (err) {
    if (isBotError(err)) return `refused:${err.key}`;
    throw err;
  }
  // Whoever the chain names decides, step by step.
  for (let i = 0; i < 10; i++) {
    const r = (await h.repos.requests.get(TENANT, id))!.request;
    if (r.state !== 'IN_APPROVAL') break;
    const decided = new Set(r.steps.map((s) => s.decidedBy));
    const who = r.steps[r.currentStep!]!.assignees.find((a) => a !== requester && !decided.has(a));
    if (!who) throw new Error(`${id}: step ${r.currentStep! + 1} (${r.steps[r.currentStep!]!.role}) has nobody to decide`);
    await act(id, { type: 'approve' }, who);
  }
  const r = (await h.repos.requests.get(TENANT, id))!.request;
  if (r.state !== 'APPROVED') throw new Error(`${id} ended approval in ${r.state}`);
  const companions = r.kind === 'CARRY_OUT' ? r.details.companions : [];
  const officer = OFFICERS.find((o) => o !== requester && !companions.includes(o))!;
  switch (kind) {
    case 'COPY':
      await act(id, { type: 'complete_copy', copiesMade: 1, originalsReturned: true, wasteRecovered: true, deviceWiped: true }, officer);
      break;
    case 'CARRY_OUT':
      await act(id, { type: 'check_out' }, officer);
      await act(id, { type: 'announce_return' }, requester);
      await act(id, { type: 'return_carrier' }, officer);
      await act(id, { type: 'inspect', ok: true }, officer);
      break;
    case 'DESTROY': {
      const witnesses = BYSTANDERS.filter((w) => w !== requester).slice(0, 2);
      await act(id, { type: 'record_destruction', witnesses }, officer);
      for (const w of witnesses) await act(id, { type: 'confirm_witness' }, w);
      break;
    }
  }
  return (await h.repos.requests.get(TENANT, id))!.request.state;
}

describe('every kind × level × requester role of the default policy', () => {
  it('reaches CLOSED, or is refused when made because the unit has no distinct approvers for it', async () => {
    const combos = KINDS.flatMap((kind) => LEVELS.flatMap((level) => (Object.keys(PEOPLE) as RequesterRole[]).map((role) => ({ kind, level, role }))));
    const outcome = new Map<string, string>();
    // A few at a time: each has its own carrier, so they do not compete for custody.
    for (let i = 0; i < combos.length; i += 5) {
      await Promise.all(
        combos.slice(i, i + 5).map(async ({ kind, level, role }) => {
          outcome.set(`${kind}:${level}:${role}`, await walk(kind, level, role).catch((err: Error) => `error:${err.message}`));
        }),
      );
    }
    const expected = new Map(combos.map(({ kind, level, role }) => [`${kind}:${level}:${role}`, REFUSED.has(`${role}:${level}`) ? REFUSAL[role] : 'CLOSED']));
    expect(Object.fromEntries(outcome)).toEqual(Object.fromEntries(expected));
  }, 240_000);
});
