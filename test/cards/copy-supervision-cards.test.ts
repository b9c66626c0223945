/**
 * Copy supervision on the cards: the execution form asks each attestation (required, no default),
 * a "no" is shown on the execution and status cards and on a copy's register entry; a destruction
 * date starts inside the range the workflow accepts; a staff member's carrier list says it is theirs.
 */
import { describe, expect, it } from 'vitest';
import type { Bi } from '../../cards/builder.js';
import { validateCard } from '../../cards/card.schema.js';
import type { Card } from '../../cards/card.types.js';
import { carrierCard, carrierListCard, type CarrierView } from '../../cards/carrier.card.js';
import { executionCard, statusCard } from '../../cards/request.card.js';
import { bilingual } from '../../locales/index.js';
import { P, approved, days, hours, step } from '../domain/helpers.js';

const tb = (key: string, params?: Record<string, unknown>): Bi => bilingual(key, params);
const names = (id: string): Bi => ({ zh: id, en: id });
const opts = { tb, names, now: days(1) };

type Node = Record<string, unknown>;
function walk(node: unknown, visit: (n: Node) => void): void {
  if (Array.isArray(node)) node.forEach((x) => walk(x, visit));
  else if (node && typeof node === 'object') {
    visit(node as Node);
    Object.values(node).forEach((v) => walk(v, visit));
  }
}
const nodes = (c: Card, tag: string) => {
  const out: Node[] = [];
  walk(c.body, (n) => n.tag === tag && out.push(n));
  return out;
};
/** Every markdown text in one language. */
const text = (c: Card, lang: 'zh_cn' | 'en_us') =>
  nodes(c, 'markdown')
    .map((n) => (n.i18n_content as Record<string, string> | undefined)?.[lang] ?? String(n.content))
    .join('\n');

const ATTESTATIONS = ['originals_returned', 'waste_recovered', 'device_wiped'];

describe('copy execution form', () => {
  it('asks every attestation as a required yes/no select with no default', () => {
    const c = executionCard(approved('COPY'), opts);
    expect(validateCard(c)).toEqual({ ok: true });
    const selects = nodes(c, 'select_static');
    expect(selects.map((s) => s.name)).toEqual(ATTESTATIONS);
    for (const s of selects) {
      expect(s.required, String(s.name)).toBe(true);
      expect(s.initial_option, String(s.name)).toBeUndefined();
      expect(s.initial_index, String(s.name)).toBeUndefined();
      expect((s.options as { value: string }[]).map((o) => o.value)).toEqual(['yes', 'no']);
    }
    // Each is labelled with the register's column and marked required.
    const zh = text(c, 'zh_cn');
    for (const label of ['原稿收回', '废页清点回收', '设备数据清除']) expect(zh).toMatch(new RegExp(`\\*\\*${label}\\*\\* <font color='red'>\\*</font>`));
  });
});

describe('a recorded "no"', () => {
  const closed = step(approved('COPY'), { type: 'complete_copy', copiesMade: 2, originalsReturned: true, wasteRecovered: true, deviceWiped: false }, P.so3, hours(4));

  it('is shown on the execution card, in red, next to the yeses', () => {
    const c = executionCard(closed, opts);
    expect(validateCard(c)).toEqual({ ok: true });
    const zh = text(c, 'zh_cn');
    expect(zh).toContain("**设备数据清除**：<font color='red'>否</font>");
    expect(zh).toContain('**原稿收回**：是');
    expect(zh).toContain('**废页清点回收**：是');
    expect(text(c, 'en_us')).toContain("**Device data wiped**: <font color='red'>No</font>");
  });

  it('is shown on the requester’s status card', () => {
    const c = statusCard(closed, opts);
    expect(validateCard(c)).toEqual({ ok: true });
    expect(text(c, 'zh_cn')).toContain("**设备数据清除**：<font color='red'>否</font>");
    expect(text(c, 'en_us')).toContain('**Originals returned**: Yes');
  });

  it('is shown on a copy’s register entry (/carrier show), naming the request that made it', () => {
    const view: CarrierView = {
      number: 'JM-001-C1',
      level: 'SECRET',
      carrierType: '纸质',
      alias: '会议材料',
      copyRestricted: false,
      mustReturnToIssuer: false,
      count: 1,
      status: 'IN_STOCK',
      origin: 'copied',
      parentNumber: 'JM-001',
    };
    const c = carrierCard(view, { tb, names, supervision: { requestId: 'CP-2026-0001', originalsReturned: false, wasteRecovered: true, deviceWiped: true } });
    expect(validateCard(c)).toEqual({ ok: true });
    const zh = text(c, 'zh_cn');
    expect(zh).toContain('复制监督（CP-2026-0001）');
    expect(zh).toContain("原稿收回 <font color='red'>否</font>");
    expect(zh).toContain('设备数据清除 是');
    expect(text(carrierCard(view, { tb, names }), 'zh_cn')).not.toContain('复制监督');
  });
});

describe('destruction execution form', () => {
  it('starts the date at today when the planned date is before the approval day', () => {
    // Planned for 2026-02-20; approved on 2026-03-02 (T0); the officer opens the card on 2026-03-03.
    const req = approved('DESTROY', 'SECRET', { details: { date: '2026-02-20' } });
    const [picker] = nodes(executionCard(req, opts), 'date_picker');
    expect(picker?.initial_date).toBe('2026-03-03');
    // A planned date inside the range is kept.
    const inRange = approved('DESTROY', 'SECRET', { details: { date: '2026-03-02' } });
    expect(nodes(executionCard(inRange, opts), 'date_picker')[0]?.initial_date).toBe('2026-03-02');
  });
});

describe('carrier list for a staff member', () => {
  it('says it lists only their own carriers', () => {
    const c = carrierListCard([], { tb, names, mineOnly: true });
    expect(text(c, 'zh_cn')).toContain('仅列出你保管或申请过的载体');
    expect(text(carrierListCard([], { tb, names }), 'zh_cn')).not.toContain('仅列出');
  });
});
