import { ConfigError, loadConfig, secretsOf } from './core/config.js';
import { createLogger } from './core/logger.js';
import { startBot } from './bootstrap.js';
import { startSandbox } from './sandbox.js';

/** `npm start`: production when Lark credentials are set, otherwise the all-in-one sandbox. */
async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`baomi-bot: configuration error: ${err.message}\nSee .env.example for every variable.\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger({ level: config.logLevel, secrets: secretsOf(config) });
  let stop: () => Promise<void>;
  if (config.sandbox) {
    const sandbox = await startSandbox(config, logger);
    stop = sandbox.stop;
    process.stdout.write(
      `\n  baomi-bot sandbox is running (no Lark credentials set).\n` +
        `  Chat page:  ${sandbox.pageUrl}\n` +
        `  Health:     ${sandbox.pageUrl}healthz   Metrics: ${sandbox.pageUrl}metrics\n` +
        `  Data is kept in memory only and is lost when the process stops.\n\n`,
    );
  } else {
    const bot = await startBot({ config, logger });
    stop = bot.stop;
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    stop()
      .catch((err: unknown) => logger.error('shutdown failed', { err }))
      .finally(() => process.exit(0));
    setTimeout(() => process.exit(1), 10_000).unref();
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`baomi-bot: configuration error: ${err.message}\nSee .env.example for every variable.\n`);
    process.exit(2);
  }
  process.stderr.write(`baomi-bot: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
