import { startBot, type RunningBot, type StartOptions } from '../../bot/bootstrap.js';
import { loadConfig } from '../../bot/core/config.js';
import { createLogger, silentLogger } from '../../bot/core/logger.js';
import { startLarkStandIn, type LarkStandIn, type StandInOptions } from '../../sandbox/lark/server.js';
import type { StoredMessage } from '../../sandbox/lark/store.js';
import { useTestDb, type TestDb } from '../helpers/mongo.js';
import { seedDemo } from '../../sandbox/demo.js';

export const APP = { appId: 'cli_0123456789abcdef', appSecret: 'e2e-app-secret-0001' };
export const ENCRYPT_KEY = 'e2e-encrypt-key-0001';
export const VERIFICATION_TOKEN = 'e2e-verification-token';

/** Demo users from sandbox/lark/seed/demo-org.json. */
export const USERS = {
  securityHead: 'ou_e4b0b11b698d22a0bd7559d2b2cc5917', // 张伟, 保密办 (D100) head, admin
  securityOfficer: 'ou_f6e440d0604342760f037796e92f5830', // 李娜, 保密员 (D100)
  leader: 'ou_8fbd6a6e1c05bbab7f4345207e5d5249', // 王强, 分管领导 (D200)
  principal: 'ou_43e16629f3e8b23fbf9ef91895bd2327', // 刘洋, 主要负责人 (D200)
  generalHead: 'ou_d87f2e0d69549e4af1c7ad4ea914c243', // 陈静, head of 综合处 (D200)
  staffGeneral: 'ou_34bf8052ce3c4a7d967c03c0a763b2b2', // 孙浩, staff (D200)
  rdHead: 'ou_3db53299a4b92e9ed6bbc41262d614b6', // 杨帆, head of 研发部 (D300)
  securityOfficer2: 'ou_3d727b0ca15b4633069e38302d59c830', // 黄敏, 保密员 (D300)
  staffRd: 'ou_29eacd7ebd92f24f7e1a5dba6b277743', // 赵磊, staff (D300)
  staffRd2: 'ou_bc069cd99b82ad8c509d23d6d056fff6', // 周杰, staff (D300)
  financeHead: 'ou_84ae6373bc33f7db506c03dad51b0caf', // 吴芳, head of 财务处 (D400)
  staffFinance: 'ou_fb58a3b3511402394d52e54c3ef6ad3d', // 徐丽, staff (D400)
};

export interface Harness {
  standIn: LarkStandIn;
  bot: RunningBot;
  db: TestDb;
  /** Stops the bot and starts a new one on the same database and stand-in (a process restart). */
  restart(extra?: Partial<Omit<StartOptions, 'config' | 'db'>>): Promise<RunningBot>;
  stop(): Promise<void>;
}

/** The whole bot, through the real SDK and real HTTP, against the Lark stand-in. */
export async function startHarness(
  transport: 'webhook' | 'ws',
  extra: Partial<Omit<StartOptions, 'config' | 'db'>> = {},
  beforeStart?: (standIn: LarkStandIn) => void,
  standInOptions: Partial<StandInOptions> = {},
): Promise<Harness> {
  // Lark's own de-duplication of sends by uuid is OFF by default: an exactly-once test must be
  // proven by the bot's guards (delivery claims, the notification log), not by the stand-in
  // quietly merging a doubled send. A test about Lark's behaviour passes `dedupeUuid: true`.
  const standIn = await startLarkStandIn({ ...APP, encryptKey: ENCRYPT_KEY, verificationToken: VERIFICATION_TOKEN, dedupeUuid: false, ...standInOptions });
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
  const handle = { connection: db.connection, uri: db.uri, embedded: true, close: async () => undefined };
  const logger = process.env.BAOMI_TEST_LOG ? createLogger({ level: 'warn', write: (l) => process.stderr.write(`${l}\n`) }) : silentLogger;
  let bot = await startBot({ config, db: handle, logger, backoffMs: 5, ...extra });
  await seedDemo(bot.approvals.repos, standIn.directory.org, standIn.directory.tenantKey);
  if (transport === 'webhook') standIn.setDelivery({ mode: 'webhook', url: `${bot.url}/lark/events` });
  else {
    standIn.setDelivery({ mode: 'ws' });
    await standIn.waitFor(() => standIn.wsConnections > 0, 8000, 'the bot’s long connection');
  }
  const harness: Harness = {
    standIn,
    bot,
    db,
    async restart(more = {}) {
      await bot.stop();
      bot = await startBot({ config, db: handle, logger, backoffMs: 5, ...more });
      harness.bot = bot;
      if (transport === 'webhook') standIn.setDelivery({ mode: 'webhook', url: `${bot.url}/lark/events` });
      return bot;
    },
    async stop() {
      // Every card the bot created or patched in this suite must obey Lark's limits: the stand-in
      // refuses invalid ones (230025, 230099, 200673…) and re-checks every card it holds.
      const problems = standIn.cardProblems();
      await bot.stop();
      await standIn.stop();
      await db.close();
      if (problems.length) throw new Error(`the stand-in refused or holds invalid cards:\n- ${problems.join('\n- ')}`);
    },
  };
  return harness;
}

export function botCards(standIn: LarkStandIn, chatId: string) {
  return standIn.chatMessages(chatId).filter((m) => m.sender.sender_type === 'app' && m.msg_type === 'interactive');
}

/** The bot's messages in `user`'s private chat with it, oldest first. */
export function botP2p(standIn: LarkStandIn, user: string): StoredMessage[] {
  const chat = standIn.p2pChatId(user);
  return chat ? standIn.chatMessages(chat).filter((m) => m.sender.sender_type === 'app') : [];
}

/** A message's text (a text message's `text`; otherwise its raw content). */
export const textOf = (m: StoredMessage): string => (m.msg_type === 'text' ? (JSON.parse(m.body.content) as { text: string }).text : m.body.content);

/** `user` sends `command` to the bot; resolves with the bot's first message after it in that chat. */
export async function askBot(standIn: LarkStandIn, user: string, command: string): Promise<StoredMessage> {
  const before = botP2p(standIn, user).length;
  await standIn.sendText(user, null, command);
  await standIn.waitFor(() => botP2p(standIn, user).length > before || undefined, 5000, `an answer to ${command}`);
  return botP2p(standIn, user)[before]!;
}

/** A free TCP port on loopback (for processes that need a fixed PORT). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Waits until the bot has no effect left to run (no pending effect, no runner holding an outbox),
 * instead of sleeping a fixed time: a click is answered before its effects run, and on a loaded
 * machine they can take longer than any fixed pause.
 */
export async function effectsIdle(h: Harness, timeoutMs = 5000): Promise<void> {
  const requests = h.db.connection.collection('requests');
  await h.standIn.waitFor(
    async () => (await requests.countDocuments({ $or: [{ 'pending.0': { $exists: true } }, { effectsLease: { $exists: true } }] })) === 0,
    timeoutMs,
    'the bot’s effects to finish',
  );
}
