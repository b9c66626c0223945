import { startBot, type RunningBot, type StartOptions } from '../../bot/bootstrap.js';
import { loadConfig } from '../../bot/core/config.js';
import { silentLogger } from '../../bot/core/logger.js';
import { startLarkStandIn, type LarkStandIn, type StandInOptions } from '../../sandbox/lark/server.js';
import { useTestDb, type TestDb } from '../helpers/mongo.js';

export const APP = { appId: 'cli_0123456789abcdef', appSecret: 'e2e-app-secret-0001' };
export const ENCRYPT_KEY = 'e2e-encrypt-key-0001';
export const VERIFICATION_TOKEN = 'e2e-verification-token';

/** Demo users from sandbox/lark/seed/demo-org.json. */
export const USERS = {
  securityHead: 'ou_e4b0b11b698d22a0bd7559d2b2cc5917',
  securityOfficer: 'ou_f6e440d0604342760f037796e92f5830',
};

export interface Harness {
  standIn: LarkStandIn;
  bot: RunningBot;
  db: TestDb;
  stop(): Promise<void>;
}

/** The whole bot, through the real SDK and real HTTP, against the Lark stand-in. */
export async function startHarness(
  transport: 'webhook' | 'ws',
  extra: Partial<Omit<StartOptions, 'config' | 'db'>> = {},
  beforeStart?: (standIn: LarkStandIn) => void,
  standInOptions: Partial<StandInOptions> = {},
): Promise<Harness> {
  const standIn = await startLarkStandIn({ ...APP, encryptKey: ENCRYPT_KEY, verificationToken: VERIFICATION_TOKEN, ...standInOptions });
  beforeStart?.(standIn);
  const db = await useTestDb();
  const config = loadConfig({
    LARK_APP_ID: APP.appId,
    LARK_APP_SECRET: APP.appSecret,
    LARK_ENCRYPT_KEY: ENCRYPT_KEY,
    LARK_VERIFICATION_TOKEN: VERIFICATION_TOKEN,
    LARK_DOMAIN: standIn.url,
    LARK_TRANSPORT: transport,
    PORT: '0',
  });
  const bot = await startBot({ config, db: { connection: db.connection, uri: db.uri, embedded: true, close: async () => undefined }, logger: silentLogger, backoffMs: 5, ...extra });
  if (transport === 'webhook') standIn.setDelivery({ mode: 'webhook', url: `${bot.url}/lark/events` });
  else {
    standIn.setDelivery({ mode: 'ws' });
    await standIn.waitFor(() => standIn.wsConnections > 0, 8000, 'the bot’s long connection');
  }
  return {
    standIn,
    bot,
    db,
    async stop() {
      await bot.stop();
      await standIn.stop();
      await db.close();
    },
  };
}

export function botCards(standIn: LarkStandIn, chatId: string) {
  return standIn.chatMessages(chatId).filter((m) => m.sender.sender_type === 'app' && m.msg_type === 'interactive');
}
