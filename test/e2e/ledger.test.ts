/**
 * The ledgers for the security office through the whole bot (real SDK, the Lark stand-in, the
 * embedded store): `/ledger` with filters and paging clicks in both languages, the refusal path
 * (written to the audit log), answers in private from a group, `/export` as XLSX and CSV read
 * back, `/verify` catching a tampered entry and a truncated chain, `/verify anchor` and stats.
 */
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateCard } from '../../cards/card.schema.js';
import { decodeAction } from '../../cards/action-value.js';
import type { StoredMessage } from '../../sandbox/lark/store.js';
import { findButton } from './approval-helpers.js';
import { startHarness, USERS, type Harness, botP2p } from './harness.js';

let h: Harness;
const T = () => h.standIn.directory.tenantKey;
const GENERAL = 'od-b34b88a864bcd0677531df7db50f8c04'; // 综合处 General Affairs
const RD = 'od-bd12a6dda936721fde5fe7ece341a94a'; // 研发部 R&D
const RD_GROUP = 'oc_3418cd01cc76412a69c0519d054ca849';

const p2p = (user: string): StoredMessage[] => botP2p(h.standIn, user);
const text = (m: StoredMessage) => (m.msg_type === 'text' ? (JSON.parse(m.body.content) as { text: string }).text : m.body.content);

/** Sends a command in the user's private chat and waits for the `n`-th new bot message. */
async function ask(user: string, command: string, n = 1, timeoutMs = 5000): Promise<StoredMessage[]> {
  const before = p2p(user).length;
  await h.standIn.sendText(user, null, command);
  await h.standIn.waitFor(() => p2p(user).length >= before + n || undefined, timeoutMs, `${n} answer(s) to ${command}`);
  return p2p(user).slice(before);
}

function table(m: StoredMessage): { columns: { display_name: string; name: string }[]; rows: Record<string, string>[] } {
  const card = JSON.parse(m.body.content) as { body: { elements: { tag: string }[] } };
  return card.body.elements.find((e) => e.tag === 'table') as unknown as ReturnType<typeof table>;
}

beforeAll(async () => {
  h = await startHarness('webhook');
  // 25 copy entries: 15 of 综合处 in 2026-H1 (SECRET), 10 of 研发部 in 2026-Q3 (CONFIDENTIAL).
  for (let i = 1; i <= 25; i++) {
    const general = i <= 15;
    await h.bot.approvals.repos.ledger.append(T(), 'COPY', {
      effectKey: `test:copy:${i}`,
      event: 'COPIED',
      carrierNumber: general ? 'JM-2026-001' : 'MM-2026-001',
      requestId: `CP-2026-${String(i).padStart(4, '0')}`,
      actorId: USERS.securityOfficer,
      occurredAt: general ? new Date(Date.UTC(2026, 0, i, 2)) : new Date(Date.UTC(2026, 6, i, 2)),
      data: {
        requestId: `CP-2026-${String(i).padStart(4, '0')}`,
        date: '2026-01-01',
        requesterId: general ? USERS.staffGeneral : USERS.staffRd,
        deptId: general ? GENERAL : RD,
        level: general ? 'SECRET' : 'CONFIDENTIAL',
        copiesApproved: 2,
        copiesMade: 2,
        purpose: `会议${i}`,
        approvers: [{ role: 'dept_head', by: general ? USERS.generalHead : USERS.rdHead, at: '2026-01-01T00:00:00.000Z' }],
        newNumbers: [`X-${i}-C1`, `X-${i}-C2`],
        originalsReturned: true,
        wasteRecovered: true,
        deviceWiped: i !== 3,
        supervisorId: USERS.securityOfficer,
      },
    });
  }
}, 60_000);
afterAll(() => h.stop());

describe('/ledger', () => {
  it('shows the master register with each carrier’s current status and custodian, by name', async () => {
    const [m] = await ask(USERS.securityOfficer, '/台账 总账');
    expect(m!.msg_type).toBe('interactive');
    expect(validateCard(JSON.parse(m!.body.content))).toEqual({ ok: true });
    const t = table(m!);
    expect(t.columns.map((c) => c.display_name)).toEqual(['序号', '登记日期', '保密编号', '事件', '密级', '当前状态', '保管人']);
    const mm = t.rows.find((r) => r.number === 'MM-2026-001')!;
    expect(mm).toMatchObject({ event: '登记', level: '秘密', status: '在库', custodian: '李娜' });
    expect(m!.body.content).not.toMatch(/ou_[0-9a-f]{8}/);
    expect(m!.body.content).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}/); // never ISO to a person
  });

  it('filters by date range, department and level, and says how many', async () => {
    const [m] = await ask(USERS.securityOfficer, '/ledger copy 2026-H1 dept=综合处 level=机密');
    const t = table(m!);
    expect(t.rows).toHaveLength(10);
    expect(m!.body.content).toContain('共 15 条 · 第 1/2 页');
    expect(t.rows[0]).toMatchObject({ request: 'CP-2026-0015', requester: '孙浩', dept: '综合处', level: '机密' });
    expect(t.rows[0]!.occurredAt).toBe('2026-01-15 10:00'); // Asia/Shanghai
    const [q3] = await ask(USERS.securityOfficer, '/ledger copy 2026-Q3');
    expect(q3!.body.content).toContain('共 10 条');
    const [rd] = await ask(USERS.securityOfficer, `/ledger copy user=${USERS.staffRd}`);
    expect(rd!.body.content).toContain('共 10 条');
    const [none] = await ask(USERS.securityOfficer, '/ledger copy 2025');
    expect(none!.body.content).toContain('没有符合条件的记录');
    expect(table(none!)).toBeUndefined();
  });

  it('pages in place with Previous / Next (the click is answered with the redrawn card)', async () => {
    const [m] = await ask(USERS.securityOfficer, '/ledger copy');
    expect(m!.body.content).toContain('共 25 条 · 第 1/3 页');
    expect(table(m!).rows.map((r) => r.request)[0]).toBe('CP-2026-0025');
    const click = async (messageId: string, name: 'ledger_next' | 'ledger_prev') => {
      const card = h.standIn.getCard(messageId)!;
      const b = findButton(card, 'ledger.page');
      const buttons = JSON.stringify(card).includes(name);
      expect(buttons).toBe(true);
      const all: { name?: string; behaviors?: { value: unknown }[] }[] = [];
      const walk = (n: unknown): void => {
        if (Array.isArray(n)) n.forEach(walk);
        else if (n && typeof n === 'object') {
          const o = n as { tag?: string; name?: string; behaviors?: { value: unknown }[] };
          if (o.tag === 'button') all.push(o);
          Object.values(o).forEach(walk);
        }
      };
      walk(card);
      const btn = all.find((x) => x.name === name)!;
      expect(b).toBeTruthy();
      return h.standIn.click(USERS.securityOfficer, messageId, { tag: 'button', name, value: btn.behaviors![0]!.value });
    };
    const p2 = await click(m!.message_id, 'ledger_next');
    expect(p2.ok, JSON.stringify(p2)).toBe(true);
    const c2 = JSON.stringify(p2.card);
    expect(c2).toContain('第 2/3 页');
    expect(c2).toContain('CP-2026-0015');
    expect(c2).not.toContain('CP-2026-0016');
    const p3 = await click(m!.message_id, 'ledger_next');
    expect(JSON.stringify(p3.card)).toContain('第 3/3 页');
    expect(JSON.stringify(p3.card)).toContain('CP-2026-0001');
    // The last page: Next is disabled (no callback).
    const last = h.standIn.getCard(m!.message_id)!;
    expect(JSON.stringify(last)).toMatch(/"name":"ledger_next"[^}]*"disabled":true/);
    const back = await click(m!.message_id, 'ledger_prev');
    expect(JSON.stringify(back.card)).toContain('第 2/3 页');
    expect(JSON.stringify(back.card)).toContain('CP-2026-0006');
    expect(h.standIn.cardProblems()).toEqual([]);
    // Made for the officer: nobody else may page it.
    const value = findButton(h.standIn.getCard(m!.message_id)!, 'ledger.page')!.value;
    expect(decodeAction(value)).toMatchObject({ ok: true, owner: USERS.securityOfficer });
  });

  it('answers in English with English headers', async () => {
    await ask(USERS.securityOfficer2, '/lang en');
    const [m] = await ask(USERS.securityOfficer2, '/ledger copy 2026-01-01..2026-01-10 dept="General Affairs"');
    expect(table(m!).columns.map((c) => c.display_name)).toContain('Requester');
    expect(m!.body.content).toContain('10 entries · page 1 of 1');
    expect(table(m!).rows[0]).toMatchObject({ requester: 'Sun Hao', dept: 'General Affairs', level: 'Secret' });
    const [bad] = await ask(USERS.securityOfficer2, '/ledger copy level=purple');
    expect(text(bad!)).toContain('Level "purple" not understood');
    const [kind] = await ask(USERS.securityOfficer2, '/ledger nothing');
    expect(text(kind!)).toContain('Name a ledger');
    await ask(USERS.securityOfficer2, '/lang zh');
  });

  it('names a bad filter in the asker’s language', async () => {
    expect(text((await ask(USERS.securityOfficer, '/ledger copy 2026-Q5'))[0]!)).toContain('日期范围“2026-Q5”无法识别');
    expect(text((await ask(USERS.securityOfficer, '/ledger copy dept=不存在处'))[0]!)).toContain('没有名为“不存在处”的部门');
    expect(text((await ask(USERS.securityOfficer, '/ledger copy colour=red'))[0]!)).toContain('不认识的筛选条件“colour”');
    expect(text((await ask(USERS.securityOfficer, '/ledger carry status=丢失'))[0]!)).toContain('状态“丢失”不适用于携带外出登记');
    expect(text((await ask(USERS.securityOfficer, '/ledger master dept=综合处'))[0]!)).toContain('筛选条件“dept”不适用于涉密载体总台账');
  });

  it('refuses anyone else, in their language, and writes the attempt to the audit log', async () => {
    const [m] = await ask(USERS.staffGeneral, '/ledger copy');
    expect(text(m!)).toContain('只有保密员、保密办负责人、保密委员会主任和管理员');
    await ask(USERS.staffRd2, '/lang en');
    const [en] = await ask(USERS.staffRd2, '/export copy');
    expect(text(en!)).toContain('Only security officers');
    const refused = await h.db.connection.collection('audit_log').find({ tenantKey: T(), outcome: 'refused', objectType: 'ledger' }).toArray();
    expect(refused.map((r) => [r.actorId, r.action])).toEqual(
      expect.arrayContaining([
        [USERS.staffGeneral, 'ledger.query'],
        [USERS.staffRd2, 'ledger.export'],
      ]),
    );
    // The committee chair may read.
    const [chair] = await ask(USERS.principal, '/ledger audit status=refused');
    expect(chair!.msg_type).toBe('interactive');
    expect(chair!.body.content).toContain('ledger.query');
    expect(chair!.body.content).toContain('孙浩');
  });

  it('answers privately when asked in a group', async () => {
    const before = p2p(USERS.securityOfficer2).length;
    const sent = await h.standIn.sendText(USERS.securityOfficer2, RD_GROUP, `@${h.standIn.directory.org.app.name} /ledger copy`);
    const note = await h.standIn.waitForMessage((m) => m.parent_id === sent.message_id, 3000);
    expect(text(note)).toContain('已私信发送给你');
    expect(note.body.content).not.toContain('CP-2026');
    const priv = await h.standIn.waitFor(() => p2p(USERS.securityOfficer2)[before], 3000, 'the private card');
    expect(priv.body.content).toContain('CP-2026-0025');
  });
});

describe('/help', () => {
  it('lists the ledger commands and shows their usage in both languages', async () => {
    const [list] = await ask(USERS.staffGeneral, '/help');
    for (const c of ['/ledger', '/export', '/verify']) expect(list!.body.content).toContain(c);
    const [zh] = await ask(USERS.staffGeneral, '/帮助 台账');
    expect(zh!.body.content).toContain('/台账 统计 [年份]');
    await ask(USERS.staffFinance, '/lang en');
    const [en] = await ask(USERS.staffFinance, '/help export');
    expect(en!.body.content).toContain('format=xlsx|csv');
    const [verify] = await ask(USERS.staffFinance, '/help 核验');
    expect(verify!.body.content).toContain('/verify anchor');
  });
});

describe('/export', () => {
  const files = () => [...h.standIn.store.files.values()];

  it('sends an XLSX with headers in the asker’s language, one sheet per ledger, dates as dates', async () => {
    const msgs = await ask(USERS.securityOfficer, '/export copy master 2026', 2, 15_000);
    const fileMsg = await h.standIn.waitFor(
      () => p2p(USERS.securityOfficer).find((m) => m.msg_type === 'file' && !msgs.includes(m)) ?? msgs.find((m) => m.msg_type === 'file'),
      15_000,
      'the file',
    );
    const key = (JSON.parse(fileMsg.body.content) as { file_key: string }).file_key;
    const file = files().find((f) => f.file_key === key)!;
    expect(file.file_name).toMatch(/^台账-\d{8}-\d{4}\.xlsx$/);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(file.bytes as unknown as ArrayBuffer);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['复制登记', '涉密载体总台账']);
    const copy = wb.getWorksheet('复制登记')!;
    expect(copy.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    const headers = (copy.getRow(1).values as unknown[]).slice(1);
    expect(headers).toEqual(expect.arrayContaining(['序号', '日期', '申请号', '申请人', '部门', '原件编号', '密级', '复制份数', '原稿收回', '设备数据清除', '监督人']));
    expect(copy.rowCount).toBe(26);
    const col = (name: string) => headers.indexOf(name) + 1;
    const row3 = copy.getRow(4); // seq 3
    expect(row3.getCell(col('序号')).value).toBe(3);
    expect(row3.getCell(col('申请人')).value).toBe('孙浩');
    expect(row3.getCell(col('设备数据清除')).value).toBe('否');
    const date = row3.getCell(col('日期')).value as Date;
    expect(date).toBeInstanceOf(Date);
    expect(date.toISOString()).toBe('2026-01-03T10:00:00.000Z'); // the unit's wall clock
    expect(copy.getColumn(col('申请号')).width).toBeGreaterThanOrEqual(12);
    // The status card ended on "done".
    const status = msgs.find((m) => m.msg_type === 'interactive')!;
    expect(JSON.stringify(h.standIn.getCard(status.message_id))).toContain('已导出');
  });

  it('sends a CSV (UTF-8 with BOM) with format=csv', async () => {
    await ask(USERS.securityOfficer, '/lang en');
    await ask(USERS.securityOfficer, '/export copy 2026-Q3 format=csv', 2, 15_000);
    const fileMsg = await h.standIn.waitFor(
      () =>
        p2p(USERS.securityOfficer)
          .filter((m) => m.msg_type === 'file')
          .at(-1),
      15_000,
      'the csv',
    );
    const key = (JSON.parse(fileMsg.body.content) as { file_key: string }).file_key;
    const file = files().find((f) => f.file_key === key)!;
    expect(file.file_name).toMatch(/^ledgers-\d{8}-\d{4}\.csv$/);
    const bytes = file.bytes as Buffer;
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = bytes.toString('utf8').slice(1).trim().split('\r\n');
    const header = lines[0]!.split(',');
    expect(header.slice(0, 5)).toEqual(['No.', 'Date', 'Request', 'Requester', 'Department']);
    expect(lines).toHaveLength(11);
    const first = lines[1]!.split(',');
    expect(first[0]).toBe('16');
    expect(first[1]).toBe('2026-07-16 10:00');
    expect(first[3]).toBe('Zhao Lei');
    expect(first[4]).toBe('R&D');
    await ask(USERS.securityOfficer, '/lang zh');
  });
});

describe('/verify', () => {
  it('says intact with the count per ledger, anchors on demand and sends the digest to the security head', async () => {
    const [m] = await ask(USERS.securityOfficer, '/verify');
    expect(m!.body.content).toContain('台账完整');
    expect(m!.body.content).toContain('**复制登记**：完整，25 条');
    const before = p2p(USERS.securityHead).length;
    const [a] = await ask(USERS.securityOfficer, '/核验 锚定');
    expect(text(a!)).toContain('已锚定');
    const digest = await h.standIn.waitFor(() => p2p(USERS.securityHead)[before], 3000, 'the digest');
    expect(digest.body.content).toContain('台账锚定摘要');
    expect(digest.body.content).toContain('第 25 条');
  });

  it('catches an entry altered in the store, naming ledger, seq and time', async () => {
    const col = h.db.connection.collection('ledger_entries');
    await col.updateOne({ tenantKey: T(), ledger: 'COPY', seq: 7 }, { $set: { 'data.copiesMade': 9 } });
    const [m] = await ask(USERS.securityOfficer, '/verify');
    expect(m!.body.content).toContain('台账校验未通过');
    expect(m!.body.content).toContain('**复制登记**：第 7 条起断链（内容与哈希不符，2026-01-07 10:00）');
    await col.updateOne({ tenantKey: T(), ledger: 'COPY', seq: 7 }, { $set: { 'data.copiesMade': 2 } });
    expect((await ask(USERS.securityOfficer, '/verify'))[0]!.body.content).toContain('台账完整');
  });

  it('catches the newest entries deleted (the chain no longer reaches its anchored head)', async () => {
    await h.db.connection.collection('ledger_entries').deleteMany({ tenantKey: T(), ledger: 'COPY', seq: { $gte: 24 } });
    const [m] = await ask(USERS.securityOfficer, '/verify');
    expect(m!.body.content).toContain('台账校验未通过');
    expect(m!.body.content).toMatch(/\*\*复制登记\*\*：已无法到达 .* 锚定的第 25 条/);
  });
});

describe('/ledger stats', () => {
  it('counts by kind × level × department and what is open now', async () => {
    const [m] = await ask(USERS.securityHead, '/ledger stats 2026');
    expect(m!.body.content).toContain('台账统计 2026');
    expect(m!.body.content).toContain('复制登记 · 机密 · 综合处：**15**');
    expect(m!.body.content).toContain('复制登记 · 秘密 · 研发部：**8**');
    expect(m!.body.content).toContain('失败投递');
  });
});
