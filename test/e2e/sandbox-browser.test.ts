/**
 * The README's first command, literally: `npm start` with no Lark variables (here `tsx bot/main.ts`
 * on a free port), then a person in Chromium opens the chat page, starts the chat, types /help and
 * sees the help card, clicks its way to a command's help, and switches the bot to English.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, startSandbox, type SandboxProcess } from './sandbox-browser-setup.js';

const SECURITY_OFFICER = 'ou_f6e440d0604342760f037796e92f5830';

let sandbox: SandboxProcess | undefined;
let browser: Browser;
let page: Page;
let base: string;
let startupMs = 0;

describe('sandbox mode in a browser (npm start with no Lark variables)', () => {
  beforeAll(async () => {
    sandbox = await startSandbox(10_000);
    base = sandbox.base;
    startupMs = sandbox.startupMs;
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
    context.setDefaultTimeout(5000);
    page = await context.newPage();
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    sandbox?.child.kill('SIGTERM');
  });

  it('the chat page answers within 10 s of start-up and says the data is not persisted', () => {
    expect(startupMs).toBeLessThan(10_000);
    expect(sandbox!.output()).toContain('NOT persisted');
  });

  it('a person starts the chat, types /help and sees the help card', async () => {
    await page.goto(`${base}/?user=${SECURITY_OFFICER}`);
    await page.locator('body[data-ready="true"]').waitFor();
    const start = page.getByTestId('start-p2p');
    if (await start.isVisible()) await start.click();
    await page.locator('[data-testid="message"][data-sender-type="app"] [data-testid="card"]').first().waitFor();
    await page.getByTestId('composer').fill('/help');
    await page.getByTestId('composer').press('Enter');
    const help = page.locator('[data-testid="card"]', { hasText: '命令帮助' }).last();
    await help.waitFor();
    await expect.poll(() => help.getByTestId('card-title').innerText()).toContain('保密助手');
    expect(await help.innerText()).toContain('/lang');
    await page.screenshot({ path: '/tmp/baomi-sandbox-help.png' });
  });

  it('clicking the welcome card’s button sends the help card; /lang en turns replies English', async () => {
    const before = await page.locator('[data-testid="card"]', { hasText: '命令帮助' }).count();
    await page.locator('[data-testid="card"]', { hasText: '欢迎使用保密助手' }).getByTestId('card-button').first().click();
    await expect.poll(() => page.locator('[data-testid="card"]', { hasText: '命令帮助' }).count()).toBe(before + 1);
    await page.getByTestId('composer').fill('/lang en');
    await page.getByTestId('composer').press('Enter');
    await page.locator('[data-testid="message"][data-sender-type="app"]', { hasText: 'Switched to English.' }).waitFor();
    await page.getByTestId('composer').fill('/nonsense');
    await page.getByTestId('composer').press('Enter');
    await page.locator('[data-testid="message"][data-sender-type="app"]', { hasText: 'Unknown command /nonsense' }).waitFor();
  });

  it('an approval in the browser: the requester files by command, the department head approves on her card', async () => {
    const staff = 'ou_34bf8052ce3c4a7d967c03c0a763b2b2'; // 孙浩, 综合处
    const head = 'ou_d87f2e0d69549e4af1c7ad4ea914c243'; // 陈静, head of 综合处
    await page.goto(`${base}/?user=${staff}`);
    await page.locator('body[data-ready="true"]').waitFor();
    const start = page.getByTestId('start-p2p');
    if (await start.isVisible()) await start.click();
    await page.getByTestId('composer').fill('/copy carrier=MM-2026-001 copies=2 purpose=浏览器测试');
    await page.getByTestId('composer').press('Enter');
    const status = page.locator('[data-testid="card"]', { hasText: 'CP-' }).last();
    await status.waitFor();
    const id = /CP-\d{4}-\d{4}/.exec(await status.innerText())![0];

    await page.goto(`${base}/?user=${head}`);
    await page.locator('body[data-ready="true"]').waitFor();
    const p2p = page.getByTestId('chat-item').first();
    await p2p.click();
    const card = page.locator('[data-testid="card"]', { hasText: id }).last();
    await card.waitFor();
    await card.locator('[data-testid="card-button"]', { hasText: '同意' }).click();
    await page.getByTestId('toast').filter({ hasText: id }).waitFor();
    // The card redraws in place: step 1 decided, no Approve button for her any more.
    await expect.poll(async () => card.locator('[data-testid="card-button"]', { hasText: '同意' }).count()).toBe(0);
    await page.screenshot({ path: '/tmp/baomi-sandbox-approved.png' });
  });

  it("a carry-out form: the companion is picked from the directory's active people and the request names them", async () => {
    const staff = 'ou_29eacd7ebd92f24f7e1a5dba6b277743'; // 赵磊, 研发部
    const companion = 'ou_bc069cd99b82ad8c509d23d6d056fff6'; // 周杰, 研发部
    await page.goto(`${base}/?user=${staff}`);
    await page.locator('body[data-ready="true"]').waitFor();
    const start = page.getByTestId('start-p2p');
    if (await start.isVisible()) await start.click();
    // Type only once the private chat is the open one (its welcome card is shown): typed earlier,
    // the command would go to the group the page opened with, unaddressed, and get no answer.
    await page.locator('[data-testid="message"][data-sender-type="app"] [data-testid="card"]', { hasText: '欢迎使用保密助手' }).first().waitFor();
    await page.getByTestId('composer').fill('/carry');
    await page.getByTestId('composer').press('Enter');
    const form = page.locator('[data-testid="card"]', { hasText: '新建携带外出申请' }).last();
    // The form lists the directory's active people (several contact API calls): on a loaded
    // machine this answer takes longer than a click's.
    await form.waitFor({ timeout: 20_000 });
    const picker = form.locator('[data-testid="person-picker"][data-name="companions"]');
    await picker.waitFor();
    const names = await picker.locator('.lk-person-name').allTextContents();
    // Colleagues first, the asker left out, resigned (钱明) and deactivated (冯婷) people never offered.
    expect(names[0]).toBe('杨帆');
    expect(names).toEqual(expect.arrayContaining(['周杰', '黄敏', '张伟', '李娜']));
    expect(names).not.toContain('赵磊');
    expect(names).not.toContain('钱明');
    expect(names).not.toContain('冯婷');

    const field = (name: string) => form.locator(`[data-testid="form-field"][data-name="${name}"]`);
    await field('carrier').fill('JUEM-2026-001');
    await field('destination').fill('上级机关');
    await field('due').fill('2099-06-30');
    await field('purpose').fill('汇报');
    await picker.locator(`[data-open-id="${companion}"]`).click();
    await form.locator('[data-testid="card-button"][data-name="submit"]').click();
    const toast = page.getByTestId('toast').filter({ hasText: 'CO-' });
    await toast.waitFor({ timeout: 15_000 });
    const id = /CO-\d{4}-\d{4}/.exec(await toast.innerText())![0];
    // The requester's status card names the companion.
    const status = page.locator('[data-testid="card"]', { hasText: id }).last();
    await status.waitFor();
    await expect.poll(() => status.innerText()).toContain('周杰');
    await page.screenshot({ path: '/tmp/baomi-sandbox-companion.png' });
  }, 60_000);
});
