import { startSandbox, launchChromium } from './test/e2e/sandbox-browser-setup.ts';
const OFFICER = 'ou_f6e440d0604342760f037796e92f5830';
const sb = await startSandbox(60_000);
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 1400 } });
  await page.goto(`${sb.base}/?user=${OFFICER}`);
  await page.locator('body[data-ready="true"]').waitFor();
  const start = page.getByTestId('start-p2p');
  if (await start.isVisible()) await start.click();
  await page.locator('[data-testid="message"][data-sender-type="app"] [data-testid="card"]').first().waitFor();
  const say = async (text: string, wait: string, shot: string) => {
    await page.getByTestId('composer').fill(text);
    await page.getByTestId('composer').press('Enter');
    await page.locator('[data-testid="message"][data-sender-type="app"]', { hasText: wait }).last().waitFor({ timeout: 20_000 });
    await page.waitForTimeout(1500);
    await page.screenshot({ path: `/tmp/walk/${shot}.png` });
  };
  await say('/deadletters', '失败投递', '1-deadletters');
  await say('/deadletters drop CP-2026-0001', '只能重试', '2-drop-effect');
  await say('/deadletters drop N-12345678', '没有编号', '3-drop-unknown');
  await say('/ledger stats', '失败投递', '4-stats');
  await say('/export all', '导出', '5-export');
  await page.waitForTimeout(4000);
  await page.screenshot({ path: '/tmp/walk/6-export-done.png' });
  await say('/help deadletters', 'deadletters', '7-help');
} finally {
  await browser.close();
  sb.child.kill('SIGTERM');
}
