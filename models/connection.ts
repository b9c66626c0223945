import mongoose from 'mongoose';
import { startEmbeddedMongo, type EmbeddedMongo } from '../sandbox/mongo/server.js';

export interface DbHandle {
  connection: mongoose.Connection;
  uri: string;
  /** True when no URI was given and an in-memory embedded store was started. */
  embedded: boolean;
  /** Closes the connection and stops the embedded store if this handle started one. */
  close(): Promise<void>;
}

export interface ConnectDbOptions {
  /** MongoDB connection string. When absent, an in-memory embedded store is started. */
  uri?: string;
  dbName?: string;
  autoIndex?: boolean;
  log?: (level: 'warn' | 'info', msg: string) => void;
}

const defaultLog = (level: 'warn' | 'info', msg: string): void => {
  if (level === 'warn') console.warn(msg);
  else console.info(msg);
};

export async function connectDb(opts: ConnectDbOptions = {}): Promise<DbHandle> {
  const log = opts.log ?? defaultLog;
  let embedded: EmbeddedMongo | undefined;
  let uri = opts.uri;
  if (!uri) {
    embedded = await startEmbeddedMongo();
    uri = embedded.uri;
    log(
      'warn',
      `!!! No MongoDB URI configured: using the EMBEDDED IN-MEMORY store at ${uri}. ` +
        'All data lives in this process only and is NOT persisted: it is lost on restart. ' +
        'Set a MongoDB URI for any real deployment. !!!',
    );
  }
  const connection = mongoose.createConnection(uri, {
    dbName: opts.dbName,
    autoIndex: opts.autoIndex ?? true,
    serverSelectionTimeoutMS: 5000,
  });
  try {
    await connection.asPromise();
  } catch (err) {
    await connection.close().catch(() => undefined);
    await embedded?.stop();
    throw err;
  }
  log('info', `connected to MongoDB${embedded ? ' (embedded, in-memory)' : ''}, database "${connection.name}"`);
  let closed: Promise<void> | undefined;
  return {
    connection,
    uri,
    embedded: embedded !== undefined,
    close() {
      closed ??= (async () => {
        try {
          await connection.close();
        } finally {
          await embedded?.stop();
        }
      })();
      return closed;
    },
  };
}
