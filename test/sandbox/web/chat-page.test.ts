/**
 * The sandbox chat page in a real browser (Debian's Chromium through playwright-core), against the
 * in-memory fake API in ./fake-api.ts. Covers: identity via ?user=, starting the p2p chat, commands,
 * card rendering, button clicks (spinner, toast, card update), confirm dialogs, forms (required check,
 * Feishu's date format), the UI language switch, hostile markdown, group mentions and unread badges.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { GROUP_ID, USERS, startFakeApi, type FakeApi } from './fake-api.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = '/tmp/baomi-chat.png';
const ME = USERS.li.open_id;
const T = 5_000; // per-wait timeout

let api: FakeApi;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

/** The newest message from the bot that carries a card. */
function lastCard(): Locator {
  return page.locator('[data-testid="message"][data-sender-type="app"] [data-testid="card"]').last();
}

async function send(text: string): Promise<void> {
  const composer = page.getByTestId('composer');
  await composer.fill(text);
  await composer.press('Enter');
}

describe('sandbox chat page (browser)', () => {
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium not found at ${CHROMIUM}: the browser test needs Debian's chromium. Install it with ` +
          '`apt-get update && apt-get install -y chromium` (CI installs it before the tests).',
      );
    }
    api = await startFakeApi();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'],
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    context.setDefaultTimeout(T);
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(`console: ${m.text()}`);
    });
    page.on('dialog', (d) => {
      pageErrors.push(`unexpected native dialog: ${d.message()}`);
      void d.dismiss();
    });
  });

  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  it('takes the identity from ?user= and starts the p2p chat with the bot', async () => {
    await page.goto(`${api.url}/?user=${ME}`);
    await expect.poll(() => page.getByTestId('user-picker').inputValue(), { timeout: T }).toBe(ME);
    await expect.poll(() => page.getByTestId('user-picker').locator('option:checked').textContent()).toContain('李娜 · 保密办公室 · 保密员');
    // only the group exists yet: the start button is offered
    await page.getByTestId('start-p2p').waitFor({ state: 'visible' });
    await page.getByTestId('start-p2p').click();
    // The click's request reaches the API asynchronously: wait for the chat, not a fixed moment.
    await expect.poll(() => api.p2pOf(ME), { timeout: T }).toBeDefined();
    const p2p = api.p2pOf(ME);
    await page.locator(`[data-testid="chat-item"][data-chat-id="${p2p}"]`).waitFor();
    // the p2p chat is listed first, and the start button is gone
    expect(await page.getByTestId('chat-item').first().getAttribute('data-chat-id')).toBe(p2p);
    await page.getByTestId('start-p2p').waitFor({ state: 'hidden' });
    // the welcome card arrives over SSE
    await expect.poll(() => lastCard().getByTestId('card-header').textContent()).toContain('欢迎使用保密助手');
  });

  it('answers /help with a fully rendered card and neutralises hostile markdown', async () => {
    await send('/help');
    await page.locator('[data-testid="message"][data-sender-type="user"]').filter({ hasText: '/help' }).waitFor();
    const card = lastCard();
    await expect.poll(() => card.getByTestId('card-header').textContent()).toContain('保密助手 · 帮助');
    expect(await card.getByTestId('card-header').getAttribute('data-template')).toBe('blue');
    expect(await card.locator('.lk-header-tags .text-tag').allTextContents()).toEqual(['内部', '演示']);
    expect(await card.locator('.lk-markdown strong').first().textContent()).toBe('常用命令');
    expect(await card.locator('.lk-markdown .md-c-red').textContent()).toBe('注意');
    expect(await card.locator('.md-at').textContent()).toBe('@李娜');
    // buttons in a column_set, side by side
    const ack = card.locator('[data-testid="card-button"][data-name="ack"]');
    const purge = card.locator('[data-testid="card-button"][data-name="purge"]');
    const [a, b] = [await ack.boundingBox(), await purge.boundingBox()];
    expect(a && b && Math.abs(a.y - b.y) < 2 && a.x < b.x).toBe(true);
    // table: 5 rows, page_size 3
    const table = card.getByTestId('card-table');
    expect(await table.locator('tbody tr').count()).toBe(3);
    expect(await table.getByTestId('table-page').textContent()).toBe('1 / 2');
    await table.getByTestId('table-next').click();
    expect(await table.locator('tbody tr').count()).toBe(2);
    expect(await table.locator('tbody tr').first().locator('td').first().textContent()).toBe('/return');
    expect(await table.locator('th').allTextContents()).toEqual(['命令', '说明', '密级']);
    // unknown component: a grey box, not a crash
    expect(await card.getByTestId('card-unsupported').textContent()).toContain('person');
    // hostile markdown: shown as text, never executed
    expect(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss)).toBeUndefined();
    expect(await card.locator('script, img, iframe, [onerror]').count()).toBe(0);
    expect(await card.locator('.lk-markdown').first().textContent()).toContain('<script>window.__xss = 1</script>');
    expect(await card.locator('a[href^="javascript"]').count()).toBe(0);
    await card.getByTestId('card-header').scrollIntoViewIfNeeded();
    await page.screenshot({ path: SCREENSHOT });
  });

  it('a button click shows a spinner, then the toast, then the updated card', async () => {
    api.actionDelayMs = 800;
    const card = lastCard();
    const ack = card.locator('[data-testid="card-button"][data-name="ack"]');
    await ack.click();
    await expect.poll(() => ack.evaluate((el) => (el as HTMLButtonElement).disabled && el.classList.contains('is-loading')), { timeout: 600, interval: 20 }).toBe(true);
    const toast = page.getByTestId('toast').filter({ hasText: '已确认' });
    await toast.waitFor({ state: 'visible' });
    expect(await toast.getAttribute('data-type')).toBe('success');
    await expect.poll(() => lastCard().getByTestId('card-header').textContent()).toContain('已确认 · 帮助');
    expect(await lastCard().getByTestId('card-header').getAttribute('data-template')).toBe('green');
    expect(await lastCard().locator('[data-testid="card-button"][data-name="ack"]').isDisabled()).toBe(true);
    const last = api.actions.at(-1)!;
    expect(last.body).toMatchObject({ user: ME, tag: 'button', name: 'ack', value: { action: 'ack' }, timezone: 'Asia/Shanghai' });
    api.actionDelayMs = 0;
  });

  it('asks before a button with confirm, and sends nothing when cancelled', async () => {
    const before = api.actions.length;
    const purge = lastCard().locator('[data-testid="card-button"][data-name="purge"]');
    await purge.click();
    await page.getByTestId('confirm-dialog').waitFor();
    expect(await page.getByTestId('confirm-dialog').textContent()).toContain('确认清空？');
    await page.getByTestId('confirm-cancel').click();
    await page.getByTestId('confirm-dialog').waitFor({ state: 'detached' });
    expect(api.actions.length).toBe(before);
    await purge.click();
    await page.getByTestId('confirm-ok').click();
    await page.getByTestId('toast').filter({ hasText: '草稿已清空' }).waitFor();
    expect(api.actions.length).toBe(before + 1);
    expect(api.actions.at(-1)!.body.name).toBe('purge');
  });

  it('checks required form fields client-side, then submits form_value with a Feishu date', async () => {
    const card = lastCard();
    const field = (name: string) => card.locator(`[data-testid="form-field"][data-name="${name}"]`);
    const submit = card.locator('[data-testid="card-button"][data-name="submit"]');
    const before = api.actions.length;
    await submit.click();
    await card.getByTestId('form-error').waitFor({ state: 'visible' });
    expect(await card.locator('.lk-field-error:visible').count()).toBe(2); // title and level
    expect(await field('title').evaluate((el) => el === document.activeElement)).toBe(true);
    await page.waitForTimeout(100);
    expect(api.actions.length).toBe(before);

    // reset restores the defaults and clears the errors
    await field('title').fill('临时');
    await card.locator('[data-testid="card-button"][data-name="reset"]').click();
    expect(await field('title').inputValue()).toBe('');
    expect(await card.locator('.lk-field-error:visible').count()).toBe(0);

    await field('title').fill('设计图纸');
    await submit.click();
    expect(await card.locator('.lk-field-error:visible').count()).toBe(1); // level still missing
    expect(api.actions.length).toBe(before);

    await field('level').selectOption('confidential');
    await field('due').fill('2024-04-01');
    await submit.click();
    await page.getByTestId('toast').filter({ hasText: '申请已提交' }).waitFor();
    const sent = api.actions.at(-1)!.body;
    expect(sent).toMatchObject({ user: ME, tag: 'button', name: 'submit', value: { action: 'submit_copy' } });
    expect(sent.form_value).toEqual({ title: '设计图纸', level: 'confidential', due: '2024-04-01 +0800' });
    await expect.poll(() => lastCard().getByTestId('card-header').textContent()).toContain('复制申请已提交');
    expect(await lastCard().locator('.lk-markdown').textContent()).toContain('2024-04-01 +0800');
  });

  it('switches the UI and every card to English', async () => {
    await page.getByTestId('ui-lang').selectOption('en_us');
    await expect.poll(() => lastCard().getByTestId('card-header').textContent()).toContain('Copy request submitted');
    expect(await page.getByTestId('chat-item').first().textContent()).toContain('Baomi Bot');
    expect(await page.getByTestId('composer').getAttribute('placeholder')).toContain('/help');
    expect(await page.getByTestId('send').textContent()).toBe('Send');
    // the welcome card, too
    const welcome = page.locator('[data-testid="card-header"]').first();
    expect(await welcome.textContent()).toContain('Welcome to Baomi Bot');
    await send('/help');
    await expect.poll(() => lastCard().getByTestId('card-header').textContent()).toContain('Baomi Bot · Help');
    expect(await lastCard().locator('[data-testid="form-field"][data-name="title"]').getAttribute('placeholder')).toBe('e.g. design drawings');
    expect(await lastCard().locator('[data-testid="card-button"][data-name="submit"]').textContent()).toBe('Submit');
    // remembered across reloads
    await page.reload();
    await expect.poll(() => lastCard().getByTestId('card-header').textContent()).toContain('Baomi Bot · Help');
    await page.getByTestId('ui-lang').selectOption('zh_cn');
    await expect.poll(() => lastCard().getByTestId('card-header').textContent()).toContain('保密助手 · 帮助');
  });

  it('in a group: shows the mention hint, inserts @bot, and badges unread chats', async () => {
    await page.locator(`[data-testid="chat-item"][data-chat-id="${GROUP_ID}"]`).click();
    await page.getByTestId('group-hint').waitFor({ state: 'visible' });
    await page.getByTestId('insert-mention').click();
    expect(await page.getByTestId('composer').inputValue()).toBe('@保密助手 ');
    await page.getByTestId('composer').press('End');
    await page.getByTestId('composer').pressSequentially('/help');
    await page.getByTestId('composer').press('Enter');
    expect(await page.getByTestId('composer').inputValue()).toBe('');
    await expect.poll(() => lastCard().getByTestId('card-header').textContent()).toContain('保密助手 · 帮助');
    expect(api.sent.at(-1)).toEqual({ chat_id: GROUP_ID, user: ME, text: '@保密助手 /help' });
    // history: ↑ brings the last command back
    await page.getByTestId('composer').press('ArrowUp');
    expect(await page.getByTestId('composer').inputValue()).toBe('@保密助手 /help');
    await page.getByTestId('composer').fill('');
    // a push into the p2p chat while the group is open
    const p2p = api.p2pOf(ME)!;
    api.botSays(p2p, '提醒：您有 1 条待办');
    const item = page.locator(`[data-testid="chat-item"][data-chat-id="${p2p}"]`);
    await expect.poll(() => item.getByTestId('unread').textContent()).toBe('1');
    await item.click();
    await item.getByTestId('unread').waitFor({ state: 'detached' });
    await page.locator('[data-testid="message"]').filter({ hasText: '提醒：您有 1 条待办' }).waitFor();
  });

  it("person pickers: names and avatars from the directory, the chat's members when there are no options, open_ids sent as Lark does", async () => {
    const p2p = api.p2pOf(ME)!;
    await send('/people');
    await expect.poll(() => lastCard().getByTestId('card-header').textContent()).toContain('选择人员');
    const card = lastCard();
    const picker = (name: string) => card.locator(`[data-testid="person-picker"][data-name="${name}"]`);
    const optionIds = (name: string) =>
      picker(name)
        .getByTestId('person-option')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-open-id')));
    // single: a select of names; the id nobody has is left out (Lark ignores invalid options)
    const custodian = picker('custodian').getByTestId('form-field');
    expect(await picker('custodian').getAttribute('data-multi')).toBe('false');
    expect(await custodian.locator('option').allTextContents()).toEqual(['选择保管人', '李娜', '孙浩']);
    expect(await custodian.locator('option').evaluateAll((els) => els.map((e) => (e as HTMLOptionElement).value))).toEqual(['', USERS.li.open_id, USERS.sun.open_id]);
    // multi: one row per person, with an avatar initial and the name
    expect(await picker('witnesses').getAttribute('data-multi')).toBe('true');
    expect(await optionIds('witnesses')).toEqual([USERS.zhang.open_id, USERS.li.open_id, USERS.sun.open_id]);
    expect(await picker('witnesses').locator('.lk-person-name').allTextContents()).toEqual(['张伟', '李娜', '孙浩']);
    expect(await picker('witnesses').locator('.lk-avatar').allTextContents()).toEqual(['张', '李', '孙']);
    // no options: the members of this (private) chat, i.e. the user; never the bot
    expect(await optionIds('companions')).toEqual([ME]);

    // required: nothing is sent while no witness is picked
    const before = api.actions.length;
    const submit = card.locator('[data-testid="card-button"][data-name="submit"]');
    await submit.click();
    await card.getByTestId('form-error').waitFor({ state: 'visible' });
    expect(await picker('witnesses').evaluate((el) => el.classList.contains('is-invalid'))).toBe(true);
    await page.waitForTimeout(100);
    expect(api.actions.length).toBe(before);

    await picker('witnesses').locator(`[data-open-id="${USERS.zhang.open_id}"]`).click();
    await picker('witnesses').locator(`[data-open-id="${USERS.sun.open_id}"]`).click();
    await custodian.selectOption(USERS.sun.open_id);
    expect(await picker('custodian').getByTestId('person-chosen').locator('span').allTextContents()).toEqual(['孙', '孙浩']); // avatar, name
    await submit.click();
    await page.getByTestId('toast').filter({ hasText: '人员已提交' }).waitFor();
    const sent = api.actions.at(-1)!.body;
    expect(sent).toMatchObject({ user: ME, tag: 'button', name: 'submit', value: { action: 'submit_people' } });
    // Lark's form_value: select_person → the open_id, multi_select_person → an array of open_ids
    expect(sent.form_value).toEqual({ custodian: USERS.sun.open_id, witnesses: [USERS.zhang.open_id, USERS.sun.open_id], companions: [] });

    // In the group, a picker without options offers the group's members.
    await page.locator(`[data-testid="chat-item"][data-chat-id="${GROUP_ID}"]`).click();
    await send('@保密助手 /people');
    await expect.poll(() => lastCard().getByTestId('card-header').textContent()).toContain('选择人员');
    expect(
      await lastCard()
        .locator('[data-testid="person-picker"][data-name="companions"] [data-testid="person-option"]')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-open-id'))),
    ).toEqual([USERS.zhang.open_id, USERS.li.open_id]);
    await page.locator(`[data-testid="chat-item"][data-chat-id="${p2p}"]`).click();
    await page.getByTestId('chat-title').filter({ hasText: '保密助手' }).waitFor();
  });

  it('shows text as text (never HTML), links URLs, and offers files for download', async () => {
    await send('hi <b>bold</b> <img src=x onerror="window.__xss=9"> https://example.com/a');
    const mine = page.locator('[data-testid="message"][data-sender-type="user"]').last();
    await mine.filter({ hasText: 'hi <b>bold</b>' }).waitFor();
    expect(await mine.locator('b, img').count()).toBe(0);
    expect(await mine.locator('a').getAttribute('href')).toBe('https://example.com/a');
    await send('/export');
    const link = page.getByTestId('file-link').last();
    await link.waitFor();
    expect(await link.getAttribute('href')).toBe('/sandbox/api/files/file_v3_demo');
    expect(await link.getAttribute('download')).toBe('载体台账.csv');
    expect(await link.textContent()).toContain('2.0 KB');
    expect(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss)).toBeUndefined();
  });

  it('renderCard never throws and reports standalone and form interactions in Feishu shapes', async () => {
    const result = await page.evaluate(async () => {
      // (a literal import() here would be rewritten by vitest's transform before it reaches the page)
      // biome-ignore lint/security/noGlobalEval: runs inside the page under test, to load its own module
      const { renderCard } = (await window.eval('import("/render.js")')) as {
        renderCard: (card: unknown, opts: { locale?: string; onAction?: (a: unknown) => unknown; confirm?: () => Promise<boolean> }) => HTMLElement;
      };
      const actions: unknown[] = [];
      const onAction = (a: unknown) => {
        actions.push(a);
      };
      let nested: Record<string, unknown> = { tag: 'markdown', content: 'deep' };
      for (let i = 0; i < 15; i++) nested = { tag: 'column_set', columns: [{ tag: 'column', elements: [nested] }] };
      const odd = [
        null,
        'not a card',
        {
          elements: [
            { tag: 'div', text: { tag: 'plain_text', content: 'v1' } },
            { tag: 'action', actions: [{ tag: 'button', text: { content: 'b' }, value: { k: 1 } }] },
            { tag: 'note', elements: [] },
          ],
        },
        { schema: '2.0', body: { elements: [nested, 42, null, { tag: 'chart' }, { tag: 'form', elements: [{ tag: 'form' }] }, { tag: 'table' }, { tag: 'collapsible_panel' }] } },
        { schema: '2.0', header: { title: null, template: 'nope' }, body: { elements: [{ tag: 'button' }, { tag: 'select_static', options: 'x' }] } },
      ];
      const rendered = odd.map((c) => renderCard(c, { locale: 'en_us', onAction }).getAttribute('data-testid'));

      const card = renderCard(
        {
          schema: '2.0',
          body: {
            elements: [
              { tag: 'select_static', name: 'pick', options: [{ text: { content: 'A' }, value: 'a' }], behaviors: [{ type: 'callback', value: { k: 'sel' } }] },
              { tag: 'input', name: 'q', behaviors: [{ type: 'callback', value: { k: 'in' } }] },
              {
                tag: 'form',
                name: 'f',
                elements: [
                  { tag: 'picker_datetime', name: 'when', initial_datetime: '2024-04-29 07:07' },
                  { tag: 'picker_time', name: 'at', initial_time: '00:00' },
                  { tag: 'multi_select_static', name: 'many', selected_values: ['x', 'z'], options: ['x', 'y', 'z'].map((v) => ({ text: { content: v }, value: v })) },
                  { tag: 'checker', name: 'ok', checked: true, text: { content: 'agree' } },
                  { tag: 'input', name: 'long', input_type: 'multiline_text', default_value: 'l1' },
                  { tag: 'button', name: 'go', form_action_type: 'submit', confirm: { title: { content: 'sure?' } } },
                ],
              },
            ],
          },
        },
        { locale: 'zh_cn', onAction, confirm: async () => true },
      );
      document.body.append(card);
      const select = card.querySelector('select[data-name="pick"]') as HTMLSelectElement;
      select.value = 'a';
      select.dispatchEvent(new Event('change'));
      const input = card.querySelector('input[data-name="q"]') as HTMLInputElement;
      input.value = 'hello';
      input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
      (card.querySelector('[data-name="go"]') as HTMLButtonElement).click();
      await new Promise((r) => setTimeout(r, 50));
      card.remove();
      return { rendered, actions };
    });
    expect(result.rendered).toEqual(['card', 'card', 'card', 'card', 'card']);
    expect(result.actions).toEqual([
      { tag: 'select_static', name: 'pick', value: { k: 'sel' }, option: 'a' },
      { tag: 'input', name: 'q', value: { k: 'in' }, input_value: 'hello' },
      {
        tag: 'button',
        name: 'go',
        value: {},
        form_value: { when: '2024-04-29 07:07 +0800', at: '00:00 +0800', many: ['x', 'z'], ok: true, long: 'l1' },
      },
    ]);
  });

  it('switches identity from the picker and keeps ?user= in step', async () => {
    await page.getByTestId('user-picker').selectOption(USERS.sun.open_id);
    await page.getByTestId('start-p2p').waitFor({ state: 'visible' }); // Sun Hao has no chat yet
    expect(await page.getByTestId('chat-item').count()).toBe(0);
    expect(new URL(page.url()).searchParams.get('user')).toBe(USERS.sun.open_id);
    expect(await page.getByTestId('identity').textContent()).toContain('研发部');
    await page.getByTestId('user-picker').selectOption(ME);
    await expect.poll(() => page.getByTestId('chat-item').count()).toBe(2);
    expect(pageErrors).toEqual([]);
  });
});
