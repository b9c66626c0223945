/**
 * `/lang en` applies to cards too (issue 7, item 6): a card for one person is in that person's
 * language only — tables included, never "秘密 Confidential" — and each holder of a request's
 * cards reads theirs in their own language.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardFor, replyTo, waitCard } from './approval-helpers.js';
import { startHarness, USERS, type Harness } from './harness.js';

let h: Harness;
const CJK = /[\u4e00-\u9fff]/;

beforeAll(async () => {
  h = await startHarness('webhook');
});
afterAll(() => h.stop());

async function say(user: string, text: string): Promise<string> {
  return replyTo(h.standIn, await h.standIn.sendText(user, null, text));
}

/** The texts a card shows to its reader: every `content` (i18n maps dropped) and table cell. */
function shown(content: string): string[] {
  const out: string[] = [];
  const walk = (v: unknown, key?: string): void => {
    if (key === 'i18n_content' || key === 'i18n') return;
    if (typeof v === 'string') {
      if (key === 'content' || key === 'display_name' || key === 'cell') out.push(v);
      return;
    }
    if (Array.isArray(v)) return v.forEach((x) => walk(x));
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (Array.isArray(o.rows)) for (const r of o.rows as Record<string, unknown>[]) for (const c of Object.values(r)) walk(c, 'cell');
      for (const [k, x] of Object.entries(o)) if (k !== 'rows') walk(x, k);
    }
  };
  walk(JSON.parse(content));
  return out;
}

describe('card language', () => {
  it('an English reader gets English cards (tables too); a Chinese reader of the same request gets Chinese', async () => {
    await say(USERS.staffGeneral, '/lang en');
    const id = /CP-\d{4}-\d{4}/.exec(await say(USERS.staffGeneral, '/copy carrier=MM-2026-001 copies=1 purpose=lang-test'))?.[0];
    expect(id).toBeTruthy();

    // The requester's status card: English only (the carrier's number and the typed purpose aside).
    const status = await h.standIn.waitFor(() => cardFor(h.standIn, USERS.staffGeneral, id!), 3000, 'the status card');
    // What the register holds about the carrier is data, shown as registered (type, alias).
    const carrier = (await h.bot.approvals.repos.carriers.get(h.standIn.directory.tenantKey, 'MM-2026-001'))!;
    const data = new Set([carrier.carrierType, carrier.alias]);
    const texts = shown(status.body.content).filter((t) => CJK.test(t) && !data.has(t));
    expect(texts).toEqual([]);
    expect(status.body.content).toContain('Confidential');
    expect(status.body.content).not.toContain('秘密 Confidential');

    // /my: a table in English only.
    const sent = await h.standIn.sendText(USERS.staffGeneral, null, '/my');
    const list = await h.standIn.waitForMessage((m) => m.parent_id === sent.message_id, 3000);
    expect(shown(list.body.content).filter((t) => CJK.test(t))).toEqual([]);
    expect(list.body.content).not.toMatch(/复制 Copy|秘密 Confidential|序号 #/);

    // The department head (no /lang: the default, Chinese) holds the approval card in Chinese.
    const head = await waitCard(h.standIn, USERS.generalHead, id!, 'req.approve');
    expect(head.body.content).toContain('秘密');
    expect(head.body.content).not.toContain('Confidential');
  });
});
