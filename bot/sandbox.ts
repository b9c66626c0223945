import { randomBytes } from 'node:crypto';
import type { Config } from './core/config.js';
import type { Logger } from './core/logger.js';
import { startBot, type RunningBot } from './bootstrap.js';
import { createLarkStandIn, type LarkStandIn } from '../sandbox/lark/server.js';
import { seedDemo } from '../sandbox/demo.js';

/** The demo app's credentials; the stand-in is the only server that knows them. */
const SANDBOX_APP = { appId: 'cli_a5d8c3e9f1b20746', appSecret: 'sandbox-app-secret' };

export interface Sandbox {
  bot: RunningBot;
  standIn: LarkStandIn;
  /** Where a person opens the chat page. */
  pageUrl: string;
  stop(): Promise<void>;
}

/**
 * Sandbox mode: one process, one port. The bot's HTTP server answers /lark/events, /healthz and
 * /metrics and hands every other path (Open API, chat page) to the Lark stand-in, which delivers
 * signed, encrypted events back to /lark/events. The bot's code path is the production one.
 */
export async function startSandbox(config: Config, logger: Logger): Promise<Sandbox> {
  const encryptKey = randomBytes(16).toString('hex');
  const verificationToken = randomBytes(12).toString('hex');
  const standIn = createLarkStandIn({
    ...SANDBOX_APP,
    encryptKey,
    verificationToken,
  });
  const bot = await startBot({
    config: {
      ...config,
      lark: {
        ...SANDBOX_APP,
        encryptKey,
        verificationToken,
        domain: 'http://127.0.0.1:0',
        transport: 'webhook',
      },
    },
    logger,
    fallback: standIn.requestListener,
    larkDomain: (port) => `http://127.0.0.1:${port}`,
  });
  await seedDemo(bot.approvals.repos, standIn.directory.org, standIn.directory.tenantKey);
  const port = new URL(bot.url).port;
  standIn.setBaseUrl(`http://127.0.0.1:${port}`);
  bot.server.on('upgrade', (req, socket, head: Buffer) => {
    if (!standIn.handleUpgrade(req, socket, head)) socket.destroy();
  });
  standIn.setDelivery({ mode: 'webhook', url: `http://127.0.0.1:${port}/lark/events` });
  const pageUrl = `http://localhost:${port}/`;
  return {
    bot,
    standIn,
    pageUrl,
    async stop() {
      await standIn.stop();
      await bot.stop();
    },
  };
}
