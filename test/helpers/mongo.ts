/**
 * Gives each test its own fresh database.
 *
 * - With `MONGODB_URI` set, tests run against that real deployment, each in a
 *   uniquely named database that is dropped on close. This is the way to check
 *   the suite against a real server (e.g. `MONGODB_URI=mongodb://127.0.0.1:27017 npx vitest run`).
 * - Otherwise an embedded in-memory server (sandbox/mongo) is started once per test
 *   file (vitest isolates module state per file) and stopped when the last
 *   database handle of that file is closed.
 *
 * `mongodb-memory-server` is deliberately not used: it is not installed and would
 * try to download a mongod binary.
 */
import { randomBytes } from 'node:crypto';
import mongoose from 'mongoose';
import { startEmbeddedMongo, type EmbeddedMongo } from '../../sandbox/mongo/server.js';

export interface TestDb {
  connection: mongoose.Connection;
  uri: string;
  dbName: string;
  /** The embedded server, or null when running against `MONGODB_URI`. */
  embedded: EmbeddedMongo | null;
  /** Drops the database, closes the connection (and stops the embedded server when unused). */
  close(): Promise<void>;
}

let shared: Promise<EmbeddedMongo> | undefined;
let users = 0;

async function acquireEmbedded(): Promise<EmbeddedMongo> {
  users++;
  shared ??= startEmbeddedMongo().catch((err: unknown) => {
    shared = undefined;
    throw err;
  });
  try {
    return await shared;
  } catch (err) {
    users--;
    throw err;
  }
}

async function releaseEmbedded(): Promise<void> {
  users--;
  if (users === 0 && shared) {
    const server = shared;
    shared = undefined;
    await (await server).stop();
  }
}

export async function useTestDb(opts: { autoIndex?: boolean } = {}): Promise<TestDb> {
  const external = process.env.MONGODB_URI;
  const embedded = external ? null : await acquireEmbedded();
  const uri = external ?? embedded!.uri;
  const dbName = `test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const connection = mongoose.createConnection(uri, {
    dbName,
    autoIndex: opts.autoIndex ?? true,
    serverSelectionTimeoutMS: 5000,
  });
  try {
    await connection.asPromise();
  } catch (err) {
    if (embedded) await releaseEmbedded();
    throw err;
  }
  let closed: Promise<void> | undefined;
  return {
    connection,
    uri,
    dbName,
    embedded,
    close() {
      closed ??= (async () => {
        try {
          await connection.dropDatabase().catch(() => undefined);
          await connection.close();
        } finally {
          if (embedded) await releaseEmbedded();
        }
      })();
      return closed;
    },
  };
}
