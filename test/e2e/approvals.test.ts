/**
 * The approval feature end to end: chat → cards → ledgers, through the stand-in, the real SDK and
 * signed, encrypted webhooks. One bot for the file; each test uses its own carriers/requests.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { effectsIdle, startHarness, USERS, type Harness } from './harness.js';
import { cardFor, clickAction, replyTo, waitCard } from './approval-helpers.js';

let h: Harness;
const T = () => h.standIn.directory.tenantKey;

beforeAll(async () => {
  h = await startHarness('webhook');
});
afterAll(() => h.stop());

async function say(user: string, text: string): Promise<string> {
  const sent = await h.standIn.sendText(user, null, text);
  return replyTo(h.standIn, sent);
}

async function requestState(id: string) {
  return (await h.bot.approvals.repos.requests.get(T(), id))?.request;
}

async function settle(): Promise<void> {
  // Effects run right after the commit (a click is answered first): wait until they are done.
  await effectsIdle(h);
}

describe('copy: from chat to the ledgers', () => {
  it('runs the whole chain by cards and text, registers the copies and closes', async () => {
    const created = await say(USERS.staffGeneral, '/copy carrier=MM-2026-001 copies=2 purpose=季度会议 method=复印');
    const id = /CP-\d{4}-\d{4}/.exec(created)?.[0];
    expect(id, created).toBeTruthy();

    // Step 1: the department head (Lark's leader of 综合处) approves on her card.
    const headCard = await waitCard(h.standIn, USERS.generalHead, id!, 'req.approve');
    const click1 = await clickAction(h.standIn, USERS.generalHead, headCard.message_id, 'req.approve', { comment: '同意' });
    expect(click1.toast?.type).toBe('success');
    expect(click1.card_updated).toBe(true);
    expect((await requestState(id!))?.currentStep).toBe(1);

    // Step 2: any security officer; one approves by text.
    await waitCard(h.standIn, USERS.securityOfficer2, id!, 'req.approve');
    expect(await say(USERS.securityOfficer2, `/approve ${id}`)).toContain(id!);

    // Step 3: the leader in charge.
    const leaderCard = await waitCard(h.standIn, USERS.leader, id!, 'req.approve');
    await clickAction(h.standIn, USERS.leader, leaderCard.message_id, 'req.approve', {});
    expect((await requestState(id!))?.state).toBe('APPROVED');

    // The other security officer's approval card updated in place: no buttons any more.
    await settle();
    const otherOfficerCard = cardFor(h.standIn, USERS.securityOfficer, id!)!;
    expect(otherOfficerCard).toBeTruthy();

    // Execution: a security officer registers the copies on the execution card.
    const exec = await waitCard(h.standIn, USERS.securityOfficer, id!, 'req.complete_copy');
    const done = await clickAction(h.standIn, USERS.securityOfficer, exec.message_id, 'req.complete_copy', {
      copies_made: '2',
      originals_returned: '是',
      waste_recovered: '是',
      device_wiped: '是',
    });
    expect(done.toast?.type, JSON.stringify(done)).toBe('success');
    const closed = await requestState(id!);
    expect(closed?.state).toBe('CLOSED');

    // New carriers, with the original's level and period (the click is answered first; the
    // effects follow at once).
    await h.standIn.waitFor(() => h.bot.approvals.repos.carriers.get(T(), 'MM-2026-001-C2'), 3000, 'copies registered');
    const c1 = await h.bot.approvals.repos.carriers.get(T(), 'MM-2026-001-C1');
    const c2 = await h.bot.approvals.repos.carriers.get(T(), 'MM-2026-001-C2');
    expect(c1).toMatchObject({ level: 'CONFIDENTIAL', period: '10年', origin: 'copied', parentNumber: 'MM-2026-001' });
    expect(c2).toBeTruthy();

    // Ledgers: the COPY register has the entry; both chains verify.
    await settle();
    const ledger = h.db.connection.collection('ledger_entries');
    expect(await ledger.countDocuments({ tenantKey: T(), ledger: 'COPY', requestId: id })).toBeGreaterThanOrEqual(1);
    expect(await ledger.countDocuments({ tenantKey: T(), ledger: 'MASTER', carrierNumber: 'MM-2026-001-C1' })).toBe(1);
    const { LedgerStore } = await import('../../models/ledger.model.js');
    const store = new LedgerStore(h.db.connection);
    for (const l of ['MASTER', 'COPY'] as const) expect((await store.verify(T(), l)).ok, l).toBe(true);

    // The requester's status card followed the request to its end (the patch follows the storage
    // effects; wait for it rather than for a fixed time).
    await h.standIn.waitFor(() => cardFor(h.standIn, USERS.staffGeneral, id!)?.body.content.includes('已办结'), 5000, 'status card patched to closed');
    const status = cardFor(h.standIn, USERS.staffGeneral, id!)!;
    expect(status.updated).toBe(true);
    expect(status.body.content).toContain('已办结');
  });
});

describe('the legal floor, refused with a clear answer and nothing stored', () => {
  it('a top-secret copy without the issuing authority’s reference is refused', async () => {
    const before = await h.db.connection.collection('counters').find({}).toArray();
    const text = await say(USERS.staffGeneral, '/copy carrier=JUEM-2026-001 copies=1 purpose=学习');
    expect(text).toMatch(/批准文号|ref/);
    expect(await h.db.connection.collection('counters').find({}).toArray()).toEqual(before);
  });

  it('a copy-restricted carrier needs the reference too', async () => {
    expect(await say(USERS.staffGeneral, '/copy carrier=JM-2026-003 copies=1 purpose=学习')).toMatch(/批准文号|ref/);
  });

  it('carrying out top secret alone, or abroad, is refused with the reason', async () => {
    expect(await say(USERS.staffGeneral, '/carry carrier=JUEM-2026-001 destination=上级机关 due=2099-01-10 purpose=汇报')).toMatch(/两人|同行|companion/);
    const abroad = await say(USERS.staffGeneral, `/carry carrier=JM-2026-001 destination=境外会议 due=2099-01-10 purpose=会议 abroad=yes`);
    expect(abroad).toMatch(/出境|境外|abroad/);
  });

  it('destroying a carrier that must go back to its issuer is refused', async () => {
    expect(await say(USERS.staffGeneral, '/destroy carrier=JUEM-2026-001 reason=到期 method=粉碎 site=本单位')).toMatch(/清退|return/);
  });

  it('an unknown carrier or a bad field is named in the answer', async () => {
    expect(await say(USERS.staffGeneral, '/copy carrier=NOPE-1 copies=1 purpose=x')).toContain('NOPE-1');
    expect(await say(USERS.staffGeneral, '/copy carrier=MM-2026-001 copies=0 purpose=x')).toMatch(/份数/);
    expect(await say(USERS.staffGeneral, '/carry carrier=JM-2026-001 destination=x due=2026-02-30 purpose=x')).toMatch(/归还日期|日期/);
  });
});
