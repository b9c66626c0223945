/** Copy supervision attestations are explicit; a destruction date lies between approval and today. */
import { describe, expect, it } from 'vitest';
import { transition, type Command, type Effect } from '../../domain/index.js';
import { translator } from '../../locales/index.js';
import { P, approved, ctx, days, expectError, ok } from './helpers.js';

type CompleteCopy = Extract<Command, { type: 'complete_copy' }>;
const ofType = <T extends Effect['type']>(effects: Effect[], type: T) => effects.filter((e): e is Extract<Effect, { type: T }> => e.type === type);

const complete = (cmd: Partial<CompleteCopy>) =>
  transition(
    approved('COPY'),
    { type: 'complete_copy', copiesMade: 2, originalsReturned: true, wasteRecovered: true, deviceWiped: true, ...cmd } as CompleteCopy,
    P.so1,
    ctx(days(1)),
  );

describe('complete_copy: every attestation stated, none assumed', () => {
  it('refuses a command without deviceWiped (or with a non-boolean); records all three when stated', () => {
    const { deviceWiped: _d, ...withoutDevice } = { type: 'complete_copy', copiesMade: 2, originalsReturned: true, wasteRecovered: true, deviceWiped: true } as CompleteCopy;
    expectError(transition(approved('COPY'), withoutDevice as CompleteCopy, P.so1, ctx(days(1))), 'workflow.invalid_command', { field: 'deviceWiped' });
    expectError(complete({ deviceWiped: 'no' as never }), 'workflow.invalid_command', { field: 'deviceWiped' });
    expectError(complete({ wasteRecovered: undefined as never }), 'workflow.invalid_command', { field: 'wasteRecovered' });

    // All three stated: recorded in the COPY ledger entry and the execution record.
    const r = ok(complete({ deviceWiped: true }));
    const entry = ofType(r.effects, 'ledger').find((l) => l.ledger === 'COPY')!;
    expect(entry.data).toMatchObject({ originalsReturned: true, wasteRecovered: true, deviceWiped: true });
    expect(r.request.kind === 'COPY' && r.request.details.execution).toMatchObject({ originalsReturned: true, wasteRecovered: true, deviceWiped: true });
    expect(r.request.incident).toBeUndefined();
    expect(ofType(r.effects, 'incident.open')).toEqual([]);
  });

  it('a device not wiped is recorded as "no", opens an incident and alerts the security head naming it', () => {
    const r = ok(complete({ deviceWiped: false }));
    const entry = ofType(r.effects, 'ledger').find((l) => l.ledger === 'COPY')!;
    expect(entry.data).toMatchObject({ originalsReturned: true, wasteRecovered: true, deviceWiped: false });
    expect(r.request.kind === 'COPY' && r.request.details.execution?.deviceWiped).toBe(false);
    expect(r.request.incident).toMatchObject({ reason: 'COPY_SUPERVISION_FAILED', note: 'device' });
    expect(ofType(r.effects, 'incident.open')).toEqual([expect.objectContaining({ reason: 'COPY_SUPERVISION_FAILED', note: 'device' })]);
    const alert = ofType(r.effects, 'notify').find((n) => 'toRole' in n && n.toRole === 'security_head');
    expect(alert).toMatchObject({ template: 'notify.copy_supervision_failed', params: { id: r.request.id, failed: 'device' } });
    expect(translator('zh-CN')(`workflow:${alert!.template}`, alert!.params)).toContain('设备数据未清除');
    expect(translator('en-US')(`workflow:${alert!.template}`, alert!.params)).toContain('device data not wiped');
  });

  it.each([
    [{ originalsReturned: false }, 'originals', ['原稿未收回'], ['originals not returned']],
    [{ wasteRecovered: false }, 'waste', ['废页未清点回收'], ['waste pages not counted and recovered']],
    [{ originalsReturned: false, deviceWiped: false }, 'originals_device', ['原稿未收回', '设备数据未清除'], ['originals not returned', 'device data not wiped']],
    [{ wasteRecovered: false, deviceWiped: false }, 'waste_device', ['废页未清点回收', '设备数据未清除'], ['waste pages', 'device data not wiped']],
    [
      { originalsReturned: false, wasteRecovered: false, deviceWiped: false },
      'originals_waste_device',
      ['原稿未收回', '废页未清点回收', '设备数据未清除'],
      ['originals not returned', 'waste pages', 'device data not wiped'],
    ],
  ] as const)('%o: the alert names exactly the failed checks, in each reader’s language', (cmd, failed, zh, en) => {
    const r = ok(complete(cmd));
    const alert = ofType(r.effects, 'notify').find((n) => 'toRole' in n && n.toRole === 'security_head')!;
    expect(alert.params.failed).toBe(failed);
    const zhText = translator('zh-CN')(`workflow:${alert.template}`, alert.params);
    const enText = translator('en-US')(`workflow:${alert.template}`, alert.params);
    for (const s of zh) expect(zhText).toContain(s);
    for (const s of en) expect(enText).toContain(s);
    expect(zhText).not.toMatch(/copy_failed|\$t\(/);
    expect(enText).not.toMatch(/copy_failed|\$t\(/);
    // Checks that passed are not named.
    if (!failed.includes('device')) expect(zhText).not.toContain('设备数据未清除');
    if (!failed.includes('originals')) expect(enText).not.toContain('originals not returned');
  });
});

describe('record_destruction: the date lies between the approval day and today (unit timezone)', () => {
  // Approved at 01:30 on 2026-03-02 in Shanghai, which is still 2026-03-01 in UTC.
  const APPROVED_AT = new Date('2026-03-01T17:30:00Z');
  const NOW = new Date('2026-03-05T02:00:00Z'); // 2026-03-05 10:00 Shanghai
  const a = () => approved('DESTROY', 'SECRET', { now: APPROVED_AT });
  const rec = (date?: string) => transition(a(), { type: 'record_destruction', witnesses: [P.w1.id, P.w2.id], ...(date ? { date } : {}) }, P.so1, ctx(NOW));

  it('refuses a date before the approval day, by the unit’s calendar, naming the range; accepts the range', () => {
    expect(a().approvedAt).toBe(APPROVED_AT.toISOString());
    expectError(rec('2026-03-01'), 'workflow.destruction_before_approval', { date: '2026-03-01', approved: '2026-03-02', today: '2026-03-05' });
    expectError(rec('2025-12-31'), 'workflow.destruction_before_approval', { approved: '2026-03-02' });
    // The approval day, a day between and today (the default) are accepted; after today is not.
    for (const date of ['2026-03-02', '2026-03-04', '2026-03-05', undefined]) {
      const r = ok(rec(date));
      expect(r.request.kind === 'DESTROY' && r.request.details.date).toBe(date ?? '2026-03-05');
    }
    expectError(rec('2026-03-06'), 'workflow.bad_date', { field: 'date' });
  });

  it('the refusal is localised in both languages', () => {
    const params = { date: '2026-03-01', approved: '2026-03-02', today: '2026-03-05' };
    expect(translator('zh-CN')('workflow:workflow.destruction_before_approval', params)).toContain('批准日 2026-03-02');
    expect(translator('en-US')('workflow:workflow.destruction_before_approval', params)).toContain('from 2026-03-02 to 2026-03-05');
  });
});
