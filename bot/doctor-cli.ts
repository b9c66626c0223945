/**
 * `npm run doctor` (compiled: `node dist/bot/doctor-cli.js`): checks this deployment from its
 * environment (the same variables as the bot) and prints one line per check, with the fix for each
 * problem. Exit status: 0 every check passed, 1 a check failed, 2 the configuration is unusable.
 * Read-only: it connects to MongoDB without creating indexes and probes Lark harmlessly.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import mongoose, { type Connection } from 'mongoose';
import { ConfigError, loadConfig, type Config } from './core/config.js';
import { runDoctor, reportText, type DoctorReport, type DoctorText } from './doctor.js';
import { createLarkClient } from './transports/lark/client.js';
import type { DoctorLarkClient } from './doctor.js';
import { translator } from '../locales/index.js';

const MODELS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'models');

/**
 * Registers every model the bot uses on `conn` without creating anything: each store class of
 * `models/*.model.{ts,js}` registers its models in its constructor (autoIndex is off on this
 * connection). Found by scanning the folder, so a feature's new store is checked too.
 */
export async function registerModels(conn: Connection, dir = MODELS_DIR): Promise<string[]> {
  const files = readdirSync(dir).filter((f) => /\.model\.(ts|js)$/.test(f) && !f.endsWith('.d.ts'));
  for (const file of files) {
    const mod = (await import(pathToFileURL(join(dir, file)).href)) as Record<string, unknown>;
    for (const value of Object.values(mod)) {
      if (typeof value !== 'function' || !/^class\s/.test(Function.prototype.toString.call(value))) continue;
      const Store = value as new (...args: unknown[]) => unknown;
      try {
        new Store(conn);
      } catch {
        // RoleStore also takes the configured administrators; none are needed to declare its model.
        try {
          new Store(conn, { admins: [] });
        } catch {
          // Not a store (an error class…): nothing to register.
        }
      }
    }
  }
  return Object.keys(conn.models).sort();
}

/** The database name the bot uses for this URI (bot/bootstrap.ts: "baomi" unless the URI names one). */
function dbNameFor(uri: string): string | undefined {
  return /^mongodb(?:\+srv)?:\/\/[^/]+\/[^?/]+/.test(uri) ? undefined : 'baomi';
}

/** Connects read-only-ish (no index builds) and registers the models, or says why not. */
async function openDb(config: Config): Promise<{ connection?: Connection; mongoError?: DoctorText }> {
  if (!config.mongodbUri) return { mongoError: { key: 'doctor:found.mongo_no_uri' } };
  const connection = mongoose.createConnection(config.mongodbUri, { dbName: dbNameFor(config.mongodbUri), autoIndex: false, autoCreate: false, serverSelectionTimeoutMS: 5000 });
  try {
    await connection.asPromise();
  } catch (err) {
    await connection.close().catch(() => undefined);
    return { mongoError: { key: 'doctor:found.mongo_unreachable', params: { error: (err as Error).message.slice(0, 160) } } };
  }
  await registerModels(connection);
  return { connection };
}

export async function doctorFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<{ report: DoctorReport; text: string }> {
  const config = loadConfig(env);
  if (!config.lark) throw new ConfigError('LARK_APP_ID and LARK_APP_SECRET are not set: the doctor checks a deployment (sandbox mode needs no checks)', 'LARK_APP_ID');
  const { client } = createLarkClient(config.lark);
  const db = await openDb(config);
  try {
    const report = await runDoctor({
      lark: config.lark,
      client: client as unknown as DoctorLarkClient,
      ...db,
      policyFile: config.policyFile,
      timezone: config.timezone,
      localUrl: `http://127.0.0.1:${config.port}`,
      publicUrl: env.BAOMI_PUBLIC_URL?.trim() || undefined,
    });
    return { report, text: reportText(report, translator(config.locale)) };
  } finally {
    await db.connection?.close().catch(() => undefined);
  }
}

async function main(): Promise<void> {
  try {
    const { report, text } = await doctorFromEnv();
    process.stdout.write(text);
    process.exit(report.ok ? 0 : 1);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`baomi-bot doctor: configuration error: ${err.message}\nSee .env.example for every variable.\n`);
      process.exit(2);
    }
    process.stderr.write(`baomi-bot doctor: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  }
}

// Run only as the entry point (tests import registerModels / doctorFromEnv).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main();
