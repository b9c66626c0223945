/** Embedded-server specifics: raw wire protocol, robustness, TTL monitor, lifecycle, connectDb. */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deserialize, serialize, type Document } from 'bson';
import { MongoClient } from 'mongodb';
import { Schema } from 'mongoose';
import { startEmbeddedMongo, type EmbeddedMongo } from '../../../sandbox/mongo/server.js';
import { connectDb } from '../../../models/connection.js';

let server: EmbeddedMongo;

beforeAll(async () => {
  server = await startEmbeddedMongo({ port: 0 });
});

afterAll(async () => {
  await server?.stop();
});

// --- minimal raw wire client -------------------------------------------------

function frame(requestId: number, opCode: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(16);
  header.writeInt32LE(16 + payload.length, 0);
  header.writeInt32LE(requestId, 4);
  header.writeInt32LE(0, 8);
  header.writeInt32LE(opCode, 12);
  return Buffer.concat([header, payload]);
}

function opMsg(requestId: number, body: Document, opts: { flags?: number; sequences?: Record<string, Document[]> } = {}): Buffer {
  const parts = [Buffer.alloc(4), Buffer.from([0]), Buffer.from(serialize(body))];
  parts[0]!.writeUInt32LE(opts.flags ?? 0, 0);
  for (const [id, docs] of Object.entries(opts.sequences ?? {})) {
    const content = Buffer.concat([Buffer.from(`${id}\0`), ...docs.map((d) => Buffer.from(serialize(d)))]);
    const size = Buffer.alloc(4);
    size.writeInt32LE(4 + content.length, 0);
    parts.push(Buffer.from([1]), size, content);
  }
  return frame(requestId, 2013, Buffer.concat(parts));
}

function opQuery(requestId: number, ns: string, query: Document): Buffer {
  const flags = Buffer.alloc(4);
  const skipReturn = Buffer.alloc(8);
  skipReturn.writeInt32LE(-1, 4);
  return frame(requestId, 2004, Buffer.concat([flags, Buffer.from(`${ns}\0`), skipReturn, Buffer.from(serialize(query))]));
}

interface Reply {
  opCode: number;
  responseTo: number;
  numberReturned?: number;
  doc: Document;
}

class RawClient {
  private buffered = Buffer.alloc(0);
  private waiters: ((r: Reply) => void)[] = [];
  private replies: Reply[] = [];
  readonly closed: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      while (this.buffered.length >= 4 && this.buffered.length >= this.buffered.readInt32LE(0)) {
        const msg = this.buffered.subarray(0, this.buffered.readInt32LE(0));
        this.buffered = this.buffered.subarray(msg.length);
        this.deliver(RawClient.parse(msg));
      }
    });
    this.closed = new Promise((resolve) => socket.on('close', () => resolve()));
    socket.on('error', () => undefined);
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  private static parse(msg: Buffer): Reply {
    const opCode = msg.readInt32LE(12);
    const responseTo = msg.readInt32LE(8);
    if (opCode === 1) return { opCode, responseTo, numberReturned: msg.readInt32LE(32), doc: deserialize(msg.subarray(36)) };
    expect(msg[20]).toBe(0); // a single kind-0 section
    return { opCode, responseTo, doc: deserialize(msg.subarray(21)) };
  }

  private deliver(r: Reply): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(r);
    else this.replies.push(r);
  }

  next(): Promise<Reply> {
    const ready = this.replies.shift();
    return ready ? Promise.resolve(ready) : new Promise((resolve) => this.waiters.push(resolve));
  }

  async request(msg: Buffer): Promise<Reply> {
    this.socket.write(msg);
    return this.next();
  }
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

// -----------------------------------------------------------------------------

describe('wire protocol', () => {
  it('answers the legacy OP_QUERY handshake with an OP_REPLY', async () => {
    const c = await RawClient.connect(server.port);
    const reply = await c.request(opQuery(7, 'admin.$cmd', { isMaster: 1, helloOk: true }));
    expect(reply.opCode).toBe(1);
    expect(reply.responseTo).toBe(7);
    expect(reply.numberReturned).toBe(1);
    expect(reply.doc).toMatchObject({ ok: 1, isWritablePrimary: true, minWireVersion: 0, logicalSessionTimeoutMinutes: 30 });
    expect(reply.doc.maxWireVersion).toBeGreaterThanOrEqual(17);
    expect(reply.doc.maxWriteBatchSize).toBeGreaterThan(0);
    expect(reply.doc.maxMessageSizeBytes).toBeGreaterThan(0);
    // OP_MSG on the same connection afterwards.
    const ping = await c.request(opMsg(8, { ping: 1, $db: 'admin' }));
    expect([ping.opCode, ping.responseTo, ping.doc.ok]).toEqual([2013, 8, 1]);
    c.socket.destroy();
  });

  it('accepts kind-1 document sequences for insert, update and delete', async () => {
    const c = await RawClient.connect(server.port);
    const ins = await c.request(
      opMsg(
        1,
        { insert: 'seq', $db: 'raw' },
        {
          sequences: {
            documents: [
              { _id: 1, v: 'a' },
              { _id: 2, v: 'b' },
              { _id: 3, v: 'c' },
            ],
          },
        },
      ),
    );
    expect(ins.doc).toMatchObject({ ok: 1, n: 3 });
    const upd = await c.request(
      opMsg(
        2,
        { update: 'seq', $db: 'raw' },
        {
          sequences: {
            updates: [
              { q: { _id: 1 }, u: { $set: { v: 'A' } } },
              { q: { _id: 9 }, u: { $set: { v: 'Z' } }, upsert: true },
            ],
          },
        },
      ),
    );
    expect(upd.doc).toMatchObject({ ok: 1, n: 2, nModified: 1, upserted: [{ index: 1, _id: 9 }] });
    const del = await c.request(opMsg(3, { delete: 'seq', $db: 'raw' }, { sequences: { deletes: [{ q: { _id: 2 }, limit: 1 }] } }));
    expect(del.doc).toMatchObject({ ok: 1, n: 1 });
    const found = await c.request(opMsg(4, { find: 'seq', filter: {}, $db: 'raw' }));
    expect(found.doc.cursor.firstBatch).toEqual([
      { _id: 1, v: 'A' },
      { _id: 3, v: 'c' },
      { _id: 9, v: 'Z' },
    ]);
    c.socket.destroy();
  });

  it('does not reply to moreToCome (unacknowledged) messages', async () => {
    const c = await RawClient.connect(server.port);
    c.socket.write(opMsg(20, { insert: 'w0', documents: [{ x: 1 }], $db: 'raw' }, { flags: 1 << 1 }));
    const ping = await c.request(opMsg(21, { ping: 1, $db: 'admin' }));
    expect(ping.responseTo).toBe(21);
    const count = await c.request(opMsg(22, { count: 'w0', $db: 'raw' }));
    expect(count.doc).toMatchObject({ ok: 1, n: 1 });
    c.socket.destroy();
  });

  it('answers unknown commands with an error and keeps the connection', async () => {
    const c = await RawClient.connect(server.port);
    const bad = await c.request(opMsg(1, { fooBar: 1, $db: 'admin' }));
    expect(bad.doc).toMatchObject({ ok: 0, code: 59, codeName: 'CommandNotFound' });
    expect(bad.doc.errmsg).toContain('fooBar');
    const ok = await c.request(opMsg(2, { ping: 1, $db: 'admin' }));
    expect(ok.doc.ok).toBe(1);
    c.socket.destroy();
  });

  it('reassembles messages split across many TCP chunks', async () => {
    const c = await RawClient.connect(server.port);
    const msg = Buffer.concat([opMsg(1, { ping: 1, $db: 'admin' }), opMsg(2, { buildInfo: 1, $db: 'admin' })]);
    for (let i = 0; i < msg.length; i += 7) {
      c.socket.write(msg.subarray(i, i + 7));
      await new Promise((r) => setImmediate(r));
    }
    expect((await c.next()).responseTo).toBe(1);
    expect((await c.next()).doc.version).toMatch(/^\d/);
    c.socket.destroy();
  });
});

describe('robustness', () => {
  it('survives clients that disconnect mid-message or send garbage', async () => {
    const half = await RawClient.connect(server.port);
    const msg = opMsg(1, { insert: 'robust', documents: [{ a: 1 }], $db: 'raw' });
    half.socket.write(msg.subarray(0, msg.length - 5));
    await new Promise((r) => setTimeout(r, 10));
    half.socket.destroy();

    const garbage = await RawClient.connect(server.port);
    garbage.socket.write(Buffer.from([3, 0, 0, 0, 1, 2, 3, 4]));
    await garbage.closed; // the server drops the connection it cannot parse

    const badBson = await RawClient.connect(server.port);
    const corrupt = Buffer.from(opMsg(1, { ping: 1, $db: 'admin' }));
    corrupt.writeInt32LE(9999, 21); // BSON length larger than the message
    badBson.socket.write(corrupt);
    await badBson.closed;

    const client = new MongoClient(server.uri, { serverSelectionTimeoutMS: 2000 });
    try {
      expect((await client.db('admin').command({ ping: 1 })).ok).toBe(1);
      expect(await client.db('raw').collection('robust').countDocuments()).toBe(0);
    } finally {
      await client.close();
    }
  });

  it('keeps serving when a client with an open cursor goes away', async () => {
    const client = new MongoClient(server.uri, { serverSelectionTimeoutMS: 2000 });
    const coll = client.db('raw').collection('abandoned');
    await coll.insertMany(Array.from({ length: 300 }, (_, i) => ({ i })));
    const cursor = coll.find({}).batchSize(10);
    await cursor.next();
    await client.close(true);
    const other = new MongoClient(server.uri, { serverSelectionTimeoutMS: 2000 });
    try {
      expect(await other.db('raw').collection('abandoned').countDocuments()).toBe(300);
    } finally {
      await other.close();
    }
  });
});

describe('TTL monitor', () => {
  it('removes expired documents in the background', async () => {
    const client = new MongoClient(server.uri, { serverSelectionTimeoutMS: 2000 });
    try {
      const coll = client.db('ttl').collection('events');
      await coll.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0 });
      await coll.insertMany([{ expiresAt: new Date(Date.now() - 1000) }, { expiresAt: new Date(Date.now() + 3_600_000) }]);
      const deadline = Date.now() + 3000;
      while ((await coll.countDocuments()) !== 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(await coll.countDocuments()).toBe(1);
    } finally {
      await client.close();
    }
  });
});

describe('lifecycle', () => {
  it('stop() closes client connections and the listener', async () => {
    const own = await startEmbeddedMongo();
    expect(own.uri).toBe(`mongodb://127.0.0.1:${own.port}/?directConnection=true`);
    expect(own.port).not.toBe(server.port);
    const c = await RawClient.connect(own.port);
    expect((await c.request(opMsg(1, { ping: 1, $db: 'admin' }))).doc.ok).toBe(1);
    await own.stop();
    await c.closed;
    expect(await refused(own.port)).toBe(true);
    await own.stop(); // idempotent
  });

  it('keeps several databases apart', async () => {
    const client = new MongoClient(server.uri, { serverSelectionTimeoutMS: 2000 });
    try {
      await client.db('dbA').collection('c').insertOne({ from: 'A' });
      await client.db('dbB').collection('c').insertOne({ from: 'B' });
      await client.db('dbA').dropDatabase();
      expect(await client.db('dbA').collection('c').countDocuments()).toBe(0);
      expect(
        await client
          .db('dbB')
          .collection('c')
          .findOne({}, { projection: { _id: 0 } }),
      ).toEqual({ from: 'B' });
    } finally {
      await client.close();
    }
  });
});

describe('connectDb', () => {
  it('starts the embedded store when no URI is given, warns loudly, and stops it on close', async () => {
    const logs: [string, string][] = [];
    const handle = await connectDb({ dbName: 'app', log: (level, msg) => logs.push([level, msg]) });
    expect(handle.embedded).toBe(true);
    expect(logs.some(([level, msg]) => level === 'warn' && /NOT persisted/.test(msg))).toBe(true);
    const Note = handle.connection.model('Note', new Schema({ text: String }));
    await Note.create({ text: 'hi' });
    expect(await Note.countDocuments()).toBe(1);
    expect(handle.connection.name).toBe('app');
    const port = Number(new URL(handle.uri).port);
    await handle.close();
    expect(await refused(port)).toBe(true);
  });

  it('connects to a given URI and leaves that server running on close', async () => {
    const logs: string[] = [];
    const handle = await connectDb({ uri: server.uri, dbName: 'given', log: (_level, msg) => logs.push(msg) });
    expect(handle.embedded).toBe(false);
    expect(handle.uri).toBe(server.uri);
    expect(logs.join('\n')).not.toMatch(/NOT persisted/);
    await handle.connection.collection('x').insertOne({ a: 1 });
    await handle.close();
    expect(await refused(server.port)).toBe(false);
  });
});
