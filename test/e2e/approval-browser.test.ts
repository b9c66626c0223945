/**
 * Issue 7 item 10 in a browser, on the sandbox chat page (`bot/main.ts` with no Lark variables):
 * a request copied to a colleague (抄送), a nudge (催办), a transfer of the leader's step (转交), a
 * return for edit and the pre-filled edit form, and the approval centre with the security office's
 * watch list — once in Chinese and once in English. Screenshots go to test-results/ (not committed).
 */
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { USERS } from './harness.js';
import { launchChromium, startSandbox, type SandboxProcess } from './sandbox-browser-setup.js';

const SHOTS = 'test-results';

let sandbox: SandboxProcess | undefined;
let browser: Browser;
let page: Page;
let base = '';

async function open(user: string): Promise<void> {
  await page.goto(`${base}/?user=${user}`);
  await page.locator('body[data-ready="true"]').waitFor();
  const start = page.getByTestId('start-p2p');
  if (await start.isVisible()) {
    await start.click();
    await page.locator('[data-testid="message"][data-sender-type="app"] [data-testid="card"]').first().waitFor();
  } else {
    await page.getByTestId('chat-item').first().click();
  }
}

async function say(text: string): Promise<void> {
  await page.getByTestId('composer').fill(text);
  await page.getByTestId('composer').press('Enter');
}

/** Says `text` and waits for the bot's text answer containing `answer`. */
async function sayAndWait(text: string, answer: string | RegExp): Promise<void> {
  const answers = page.locator('[data-testid="message"][data-sender-type="app"]', { hasText: answer });
  const before = await answers.count();
  await say(text);
  await answers.nth(before).waitFor({ timeout: 15_000 });
}

const card = (text: string): Locator => page.locator('[data-testid="card"]', { hasText: text }).last();
const button = (c: Locator, name: string): Locator => c.locator(`[data-testid="card-button"][data-name="${name}"]`);
const shot = (name: string) => page.screenshot({ path: `${SHOTS}/approval-${name}.png`, fullPage: false });

async function toast(text: string | RegExp): Promise<void> {
  await page.getByTestId('toast').filter({ hasText: text }).last().waitFor({ timeout: 15_000 });
}

interface Cast {
  lang: 'zh' | 'en';
  requester: string;
  head: string;
  officer: string;
  copied: string;
  carrier: string;
  t: {
    approve: string;
    transferred: RegExp;
    ccHint: string;
    centre: string;
    ccTab: string;
    watchTab: string;
    resubmitted: string;
    editTitle: string;
    watchIntro: string;
  };
}

const ZH: Cast = {
  lang: 'zh',
  requester: USERS.staffGeneral,
  head: USERS.generalHead,
  officer: USERS.securityOfficer,
  copied: USERS.staffFinance,
  carrier: 'MM-2026-001',
  t: {
    approve: '同意',
    transferred: /转交：王强 → 吴芳/,
    ccHint: '仅供知悉',
    centre: '审批中心',
    ccTab: '抄送我',
    watchTab: '督办',
    resubmitted: '已重新提交',
    editTitle: '修改复制申请',
    watchIntro: '保密办督办',
  },
};
const EN: Cast = {
  lang: 'en',
  requester: USERS.staffRd2,
  head: USERS.rdHead,
  officer: USERS.securityOfficer2,
  copied: USERS.staffRd,
  carrier: 'JM-2026-001',
  t: {
    approve: 'Approved',
    transferred: /transferred: Wang Qiang → Wu Fang|transferred: 王强 → 吴芳/,
    ccHint: 'for information',
    centre: 'Approval centre',
    ccTab: 'Copied to me',
    watchTab: 'Watch list',
    resubmitted: 'resubmitted',
    editTitle: 'Edit Copy request',
    watchIntro: 'Confidentiality office:',
  },
};

describe('approvals in a browser: cc, nudge, transfer, edit and resubmit, the approval centre', () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    sandbox = await startSandbox(20_000);
    base = sandbox.base;
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 }, locale: 'zh-CN' });
    context.setDefaultTimeout(10_000);
    page = await context.newPage();
    // A second leader in charge (吴芳), so that the leader's step can be transferred to her.
    await open(USERS.securityHead);
    await sayAndWait(`/role add ${USERS.financeHead} leader`, /吴芳/);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    sandbox?.child.kill('SIGTERM');
  });

  for (const cast of [ZH, EN]) {
    it(`walks cc, nudge, transfer, edit and resubmit and the approval centre (${cast.lang})`, async () => {
      const t = cast.t;
      const lang = async (user: string) => {
        await open(user);
        await sayAndWait(`/lang ${cast.lang}`, cast.lang === 'en' ? 'English' : '中文');
      };
      if (cast.lang === 'en') for (const u of [cast.requester, cast.head, cast.officer, cast.copied, USERS.leader, USERS.financeHead, USERS.securityHead]) await lang(u);

      // The requester asks, copying a colleague (抄送), and nudges the department head (催办).
      await open(cast.requester);
      await say(`/copy carrier=${cast.carrier} copies=1 purpose=browser cc=@${cast.copied}`);
      const status = card('CP-');
      await status.waitFor({ timeout: 15_000 });
      const id = /CP-\d{4}-\d{4}/.exec(await status.innerText())![0];
      await button(card(id), 'nudge').click();
      await toast(id);
      await shot(`${cast.lang}-1-nudged`);

      // The person copied holds a read-only card.
      await open(cast.copied);
      const copy = card(id);
      await copy.waitFor({ timeout: 15_000 });
      expect(await copy.innerText()).toContain(t.ccHint);
      expect(await copy.locator('[data-testid="card-button"]').count()).toBe(0);
      await shot(`${cast.lang}-2-cc`);

      // The department head and the security officer approve on their cards.
      for (const who of [cast.head, cast.officer]) {
        await open(who);
        const c = card(id);
        await c.waitFor({ timeout: 15_000 });
        await button(c, 'approve').click();
        await toast(id);
      }

      // The leader transfers his step to 吴芳 from the card's form.
      await open(USERS.leader);
      const lc = card(id);
      await lc.waitFor({ timeout: 15_000 });
      await expect.poll(() => button(lc, 'transfer_open').count(), { timeout: 15_000 }).toBe(1);
      await button(lc, 'transfer_open').click();
      const picker = lc.locator('[data-testid="person-picker"][data-name="to"]');
      await picker.waitFor();
      // A single person picker is a select of the eligible people.
      await picker.locator('select').selectOption(USERS.financeHead);
      await lc.locator('[data-testid="form-field"][data-name="reason"]').fill('business trip');
      await lc.screenshot({ path: `${SHOTS}/approval-${cast.lang}-3-transfer-form.png` });
      await button(lc, 'transfer_submit').click();
      const confirm = page.locator('[data-testid="confirm-ok"]');
      if (await confirm.isVisible().catch(() => false)) await confirm.click();
      await toast(id);
      await expect.poll(() => button(lc, 'approve').count()).toBe(0);

      // 吴芳 holds the step now; she returns it for edit.
      await open(USERS.financeHead);
      const fc = card(id);
      await fc.waitFor({ timeout: 15_000 });
      await expect.poll(() => fc.innerText(), { timeout: 15_000 }).toMatch(t.transferred);
      await shot(`${cast.lang}-4-transferred`);
      await fc.locator('[data-testid="form-field"][data-name="comment"]').fill('please add the place');
      await button(fc, 'return').click();
      await toast(id);

      // The requester edits the pre-filled form and resubmits.
      await open(cast.requester);
      const back = card(id);
      await expect.poll(() => button(back, 'edit').count(), { timeout: 15_000 }).toBe(1);
      await button(back, 'edit').click();
      const form = card(t.editTitle);
      await form.waitFor({ timeout: 15_000 });
      expect(await form.locator('[data-testid="form-field"][data-name="purpose"]').inputValue()).toBe('browser');
      await form.locator('[data-testid="form-field"][data-name="place"]').fill('printing room');
      await shot(`${cast.lang}-5-edit-form`);
      await button(form, 'submit').click();
      await toast(id);
      // The requester's card, updated in place: the new place, two rounds in the timeline.
      const updated = page.locator('[data-testid="card"]', { hasText: id }).filter({ hasText: 'printing room' });
      await expect.poll(() => updated.count(), { timeout: 15_000 }).toBeGreaterThan(0);
      await updated.first().scrollIntoViewIfNeeded();
      await shot(`${cast.lang}-5b-resubmitted`);

      // The approval centre: the person copied sees it under 抄送我.
      await open(cast.copied);
      await say('/my');
      const centre = card(t.centre);
      await centre.waitFor({ timeout: 15_000 });
      await button(centre, 'tab_cc').click();
      await expect.poll(() => card(t.centre).innerText(), { timeout: 15_000 }).toContain(id);
      await expect.poll(() => card(t.centre).locator('.lk-spinner, [aria-busy="true"]').count()).toBe(0);
      await card(t.centre).screenshot({ path: `${SHOTS}/approval-${cast.lang}-6-centre-cc.png` });

      // The security office's watch list.
      await open(USERS.securityHead);
      await say('/pending');
      const office = card(t.centre);
      await office.waitFor({ timeout: 15_000 });
      expect(await office.innerText()).toContain(t.watchTab);
      await button(office, 'tab_watch').click();
      await expect.poll(() => card(t.centre).innerText(), { timeout: 15_000 }).toContain(t.watchIntro);
      await card(t.centre).screenshot({ path: `${SHOTS}/approval-${cast.lang}-7-centre-watch.png` });
      expect(sandbox!.output()).not.toMatch(/invalid card|200673|230099/);
    }, 180_000);
  }
});
