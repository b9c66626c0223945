/**
 * Drafts from the approvals' failed supervision checks through the whole bot (real SDK, the Lark
 * stand-in, the embedded store, the bootstrap's `setIncidentSink` wiring) on a fake clock: a copy
 * completed with originals_returned=no makes one draft incident, whose card reaches each security
 * officer once (a replay of the same effect makes nothing new); an officer confirms it on the card
 * and it becomes an open incident — the alert to the head (with the buttons) and the principal
 * (without them), its 24-hour clock from the discovery, its OPENED entry in the INCIDENT ledger
 * naming the copy request — and the other officer's draft card can no longer confirm it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INCIDENT_ACTION } from '../../cards/incident.card.js';
import type { IncidentApi } from '../../handlers/features.js';
import type { StoredMessage } from '../../sandbox/lark/store.js';
import { requireButtonWhere } from '../helpers/cards.js';
import { replyTo } from './approval-helpers.js';
import { effectsIdle, startHarness, USERS, type Harness, botP2p } from './harness.js';

let h: Harness;
let clock = new Date('2026-12-01T02:00:00Z'); // 10:00 in Beijing
const HOUR = 3_600_000;
const T = () => h.standIn.directory.tenantKey;
const OFFICER = USERS.securityOfficer; // 李娜
const OFFICER2 = USERS.securityOfficer2; // 黄敏
const HEAD = USERS.securityHead; // 张伟
const PRINCIPAL = USERS.principal; // 刘洋, principal and committee chair

beforeAll(async () => {
  h = await startHarness('webhook', { now: () => clock });
}, 60_000);
afterAll(() => h.stop());

async function say(user: string, text: string): Promise<string> {
  return replyTo(h.standIn, await h.standIn.sendText(user, null, text));
}
const req = async (id: string) => (await h.bot.approvals.repos.requests.get(T(), id))!.request;
const incidentsOf = (requestId: string) => h.db.connection.collection('incidents').find({ tenantKey: T(), 'draft.requestId': requestId }).toArray();
const p2p = (user: string): StoredMessage[] => botP2p(h.standIn, user);
/** The cards about `id` a user got, optionally only those containing `marker`. */
const cards = (user: string, id: string, marker?: string) =>
  p2p(user).filter((m) => m.msg_type === 'interactive' && m.body.content.includes(id) && (!marker || m.body.content.includes(marker)));

/** The value of a draft card's Confirm button (`x.s` names the step). */
function confirmValue(m: StoredMessage): Record<string, unknown> {
  return requireButtonWhere(
    JSON.parse(m.body.content),
    (v) => v.a === INCIDENT_ACTION && (v.x as { s?: string } | undefined)?.s === 'confirm',
    `no confirm button on ${m.message_id}`,
  ).value;
}

/** Waits until `user` has `n` such cards, then checks there are exactly `n` once the fan-out is idle. */
async function expectCards(user: string, id: string, n: number, marker?: string): Promise<StoredMessage[]> {
  await h.standIn.waitFor(() => cards(user, id, marker).length >= n || undefined, 8000, `${n} card(s) of ${id} for ${user} (${marker ?? ''})`);
  await h.bot.fanout.kick();
  expect(cards(user, id, marker)).toHaveLength(n);
  return cards(user, id, marker);
}

describe('a copy completed with originals_returned=no', () => {
  let copyId = '';
  let incidentId = '';

  it('makes one draft incident; each security officer gets its draft card once, a replayed effect adds nothing', async () => {
    const created = await say(USERS.staffGeneral, '/copy carrier=MM-2026-001 copies=1 purpose=草稿测试');
    copyId = /CP-\d{4}-\d{4}/.exec(created)?.[0] ?? '';
    expect(copyId, created).toBeTruthy();
    for (const who of (await req(copyId)).steps.map((s) => s.assignees[0]!)) expect(await say(who, `/approve ${copyId}`)).toContain(copyId);
    expect((await req(copyId)).state).toBe('APPROVED');
    expect(await incidentsOf(copyId)).toHaveLength(0);

    expect(await say(OFFICER, `/complete ${copyId} copies_made=1 originals_returned=no waste_recovered=yes device_wiped=yes`)).toContain(copyId);
    expect((await req(copyId)).state).toBe('CLOSED');
    await effectsIdle(h);
    await h.standIn.waitFor(async () => ((await incidentsOf(copyId)).length > 0 ? true : undefined), 5000, 'the draft incident');
    const [draft, ...more] = await incidentsOf(copyId);
    expect(more).toHaveLength(0);
    expect(draft).toMatchObject({ status: 'DRAFT', kind: 'POSSIBLE_LEAK', carriers: ['MM-2026-001'], draft: { requestId: copyId, reason: 'COPY_SUPERVISION_FAILED' } });
    expect(draft!.discoveredAt).toEqual(clock);
    incidentId = draft!.id as string;

    for (const officer of [OFFICER, OFFICER2]) {
      const [card] = await expectCards(officer, incidentId, 1);
      expect(card!.body.content).toContain(`事件草稿 ${incidentId}`);
      expect(card!.body.content).toContain('复制监督检查未通过');
      expect(card!.body.content).toContain(copyId);
      expect(confirmValue(card!)).toBeDefined();
    }
    // Nobody else hears of a draft.
    for (const other of [HEAD, PRINCIPAL, USERS.staffGeneral]) expect(cards(other, incidentId)).toHaveLength(0);

    // The same effect handed over again (a retried effect after a crash): the same draft, no second card.
    const api = h.bot.features.find((f) => f.name === 'incident')!.api as IncidentApi;
    const again = await api.draft!(T(), {
      requestId: copyId,
      reason: 'COPY_SUPERVISION_FAILED',
      carrierNumbers: ['MM-2026-001'],
      effectKey: (draft!.draft as { effectKey: string }).effectKey,
      actorId: OFFICER,
      at: clock,
    });
    expect(again).toEqual({ incidentId, created: false });
    await h.bot.fanout.kick();
    expect(await incidentsOf(copyId)).toHaveLength(1);
    for (const officer of [OFFICER, OFFICER2]) expect(cards(officer, incidentId)).toHaveLength(1);
  });

  it('confirmed on the card, it opens: the alert once, its 24-hour clock from the discovery, the ledger; the other officer’s card cannot confirm it again', async () => {
    const discovered = clock.getTime();
    clock = new Date(discovered + 2 * HOUR);
    const card = cards(OFFICER, incidentId)[0]!;
    const ok = await h.standIn.click(OFFICER, card.message_id, { tag: 'button', name: 'confirm', value: confirmValue(card), form_value: { reason: '' } });
    expect(ok.ok, ok.error).toBe(true);
    expect(ok.toast?.type, JSON.stringify(ok.toast)).toBe('success');
    expect(ok.toast?.content).toBe(`${incidentId} 已确认为事件，24 小时报告计时开始。`);
    const inc = (await incidentsOf(copyId))[0]!;
    expect(inc.status).toBe('OPEN');
    expect(inc.clockStart).toEqual(new Date(discovered));
    expect(inc.confirmed).toMatchObject({ by: OFFICER });

    const head = (await expectCards(HEAD, incidentId, 1, '新报告的事件'))[0]!;
    expect(head.body.content).toContain(INCIDENT_ACTION);
    const principal = (await expectCards(PRINCIPAL, incidentId, 1, '新报告的事件'))[0]!;
    expect(principal.body.content).not.toContain(INCIDENT_ACTION);
    const h12 = await h.db.connection.collection<{ _id: string; dueAt: Date }>('alarms').findOne({ _id: `${T()}:incident:${incidentId}:h12` });
    expect(h12?.dueAt).toEqual(new Date(discovered + 12 * HOUR));

    const entries = await h.db.connection.collection('ledger_entries').find({ tenantKey: T(), ledger: 'INCIDENT', requestId: incidentId }).toArray();
    expect(entries.map((e) => e.event)).toEqual(['OPENED']);
    expect(entries[0]!.data).toMatchObject({ incidentId, sourceRequestId: copyId, kind: 'POSSIBLE_LEAK' });

    const other = cards(OFFICER2, incidentId)[0]!;
    const late = await h.standIn.click(OFFICER2, other.message_id, {
      tag: 'button',
      name: 'confirm',
      value: confirmValue(other),
      form_value: { reason: '' },
    });
    expect(late.toast?.type).toBe('error');
    expect(late.toast?.content).toContain(`${incidentId} 不是待确认的草稿`);
    await h.bot.fanout.kick();
    expect(cards(HEAD, incidentId, '新报告的事件')).toHaveLength(1);
    expect(await incidentsOf(copyId)).toHaveLength(1);
  });
});
