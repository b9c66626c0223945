import { ConfigError, loadConfig, secretsOf } from './core/config.js';
import { createLogger, type Logger } from './core/logger.js';
import { DEFAULT_STOP_TIMEOUT_MS, startBot, type StopReport } from './bootstrap.js';
import { startSandbox } from './sandbox.js';

/** How long a stop may wait for the work under way (BAOMI_STOP_TIMEOUT_MS, ms). */
function stopTimeoutMs(env: NodeJS.ProcessEnv): number {
  const raw = env.BAOMI_STOP_TIMEOUT_MS?.trim();
  if (!raw) return DEFAULT_STOP_TIMEOUT_MS;
  const ms = Number(raw);
  if (!/^\d+$/.test(raw) || ms < 100 || ms > 600_000) {
    throw new ConfigError(`BAOMI_STOP_TIMEOUT_MS must be a whole number of milliseconds from 100 to 600000, got "${raw}"`, 'BAOMI_STOP_TIMEOUT_MS');
  }
  return ms;
}

/** `npm start`: production when Lark credentials are set, otherwise the all-in-one sandbox. */
async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  let boundMs: number;
  try {
    config = loadConfig();
    boundMs = stopTimeoutMs(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`baomi-bot: configuration error: ${err.message}\nSee .env.example for every variable.\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger({ level: config.logLevel, secrets: secretsOf(config) });
  // Signals are taken from the start: one that arrives while the bot starts stops it once started.
  const signals = onSignals(logger, boundMs);
  let stop: (opts: { timeoutMs: number }) => Promise<StopReport | undefined>;
  if (config.sandbox) {
    const sandbox = await startSandbox(config, logger);
    stop = async () => {
      await sandbox.stop();
      return undefined;
    };
    process.stdout.write(
      `\n  baomi-bot sandbox is running (no Lark credentials set).\n` +
        `  Chat page:  ${sandbox.pageUrl}\n` +
        `  Health:     ${sandbox.pageUrl}healthz   Metrics: ${sandbox.pageUrl}metrics\n` +
        `  Data is kept in memory only and is lost when the process stops.\n\n`,
    );
  } else {
    const bot = await startBot({ config, logger });
    stop = (opts) => bot.stop(opts);
  }
  signals.started(stop);
}

/**
 * SIGTERM / SIGINT: a graceful stop (bootstrap.ts `stop()`), then exit 0 — or 1 when the work
 * under way did not finish within the bound. A second signal exits at once (1).
 */
function onSignals(logger: Logger, boundMs: number) {
  let stop: ((opts: { timeoutMs: number }) => Promise<StopReport | undefined>) | undefined;
  let received: string | undefined;
  const run = (signal: string) => {
    logger.info('shutting down', { signal, boundMs });
    // Past the bound, closing the server and the store gets a few seconds more, then the process goes.
    setTimeout(() => {
      logger.error('the stop did not finish; exiting', { boundMs });
      process.exit(1);
    }, boundMs + 5_000).unref();
    stop!({ timeoutMs: boundMs })
      .then((report) => process.exit(report && !report.clean ? 1 : 0))
      .catch((err: unknown) => {
        logger.error('shutdown failed', { err });
        process.exit(1);
      });
  };
  const handle = (signal: string) => {
    if (received) {
      logger.warn('second signal; exiting now', { signal, first: received });
      process.exit(1);
    }
    received = signal;
    if (stop) run(signal);
    else logger.info('signal received while starting; stopping once started', { signal });
  };
  process.on('SIGINT', () => handle('SIGINT'));
  process.on('SIGTERM', () => handle('SIGTERM'));
  return {
    started(s: (opts: { timeoutMs: number }) => Promise<StopReport | undefined>) {
      stop = s;
      if (received) run(received);
    },
  };
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`baomi-bot: configuration error: ${err.message}\nSee .env.example for every variable.\n`);
    process.exit(2);
  }
  process.stderr.write(`baomi-bot: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
