/**
 * MongoDB wire-protocol framing: splits a TCP byte stream into messages, decodes
 * OP_MSG / OP_QUERY requests into command documents and encodes OP_MSG / OP_REPLY
 * replies. No I/O here; see server.ts.
 *
 * Spec: https://github.com/mongodb/specifications/blob/master/source/message/OP_MSG.md
 */
import { deserialize, serialize, type Document } from 'bson';

export const OP_REPLY = 1;
export const OP_QUERY = 2004;
export const OP_MSG = 2013;

const HEADER_SIZE = 16;
/** Largest message we accept (the server advertises 48 MB as maxMessageSizeBytes). */
export const MAX_MESSAGE_SIZE = 48_000_000;

const FLAG_CHECKSUM_PRESENT = 1 << 0;
const FLAG_MORE_TO_COME = 1 << 1;

/** How request documents are decoded (int64 stays a number when it fits, like the driver does). */
const DECODE_OPTIONS = { promoteLongs: true, promoteValues: true, promoteBuffers: false, bsonRegExp: false };

export class ProtocolError extends Error {}

export interface WireRequest {
  requestId: number;
  opCode: typeof OP_MSG | typeof OP_QUERY;
  /** The command document, with kind-1 document sequences merged in as arrays. */
  command: Document;
  /** Target database (`$db` for OP_MSG, the namespace prefix for OP_QUERY). */
  db: string;
  /** The client does not want a reply (unacknowledged write). */
  moreToCome: boolean;
}

/** Accumulates socket chunks and yields complete messages (header included). */
export class MessageFramer {
  private chunks: Buffer[] = [];
  private buffered = 0;

  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const messages: Buffer[] = [];
    while (this.buffered >= 4) {
      if (this.chunks[0]!.length < 4) this.chunks = [Buffer.concat(this.chunks)];
      const length = this.chunks[0]!.readInt32LE(0);
      if (length < HEADER_SIZE || length > MAX_MESSAGE_SIZE) {
        throw new ProtocolError(`invalid message length ${length}`);
      }
      if (this.buffered < length) break; // wait for the rest; concatenate only once it is complete
      const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
      messages.push(all.subarray(0, length));
      const rest = all.subarray(length);
      this.chunks = rest.length ? [rest] : [];
      this.buffered = rest.length;
    }
    return messages;
  }
}

function readCString(buf: Buffer, offset: number): [string, number] {
  const end = buf.indexOf(0, offset);
  if (end < 0) throw new ProtocolError('unterminated cstring');
  return [buf.toString('utf8', offset, end), end + 1];
}

function readDocument(buf: Buffer, offset: number, limit: number): [Document, number] {
  if (offset + 5 > limit) throw new ProtocolError('truncated BSON document');
  const size = buf.readInt32LE(offset);
  if (size < 5 || offset + size > limit) throw new ProtocolError('invalid BSON document size');
  return [deserialize(buf.subarray(offset, offset + size), DECODE_OPTIONS), offset + size];
}

export function parseMessage(msg: Buffer): WireRequest {
  const requestId = msg.readInt32LE(4);
  const opCode = msg.readInt32LE(12);
  if (opCode === OP_MSG) return parseOpMsg(msg, requestId);
  if (opCode === OP_QUERY) return parseOpQuery(msg, requestId);
  throw new ProtocolError(`unsupported opCode ${opCode}`);
}

function parseOpMsg(msg: Buffer, requestId: number): WireRequest {
  const flags = msg.readUInt32LE(HEADER_SIZE);
  const end = flags & FLAG_CHECKSUM_PRESENT ? msg.length - 4 : msg.length;
  let offset = HEADER_SIZE + 4;
  let body: Document | undefined;
  const sequences: Record<string, Document[]> = {};
  while (offset < end) {
    const kind = msg[offset++];
    if (kind === 0) {
      [body, offset] = readDocument(msg, offset, end);
    } else if (kind === 1) {
      const size = msg.readInt32LE(offset);
      const sectionEnd = offset + size;
      if (size < 5 || sectionEnd > end) throw new ProtocolError('invalid document sequence size');
      let [identifier, pos] = readCString(msg, offset + 4);
      const docs: Document[] = (sequences[identifier] ??= []);
      while (pos < sectionEnd) {
        let doc: Document;
        [doc, pos] = readDocument(msg, pos, sectionEnd);
        docs.push(doc);
      }
      offset = sectionEnd;
    } else {
      throw new ProtocolError(`unsupported OP_MSG section kind ${kind}`);
    }
  }
  if (!body) throw new ProtocolError('OP_MSG without a body section');
  const command: Document = { ...body, ...sequences };
  return {
    requestId,
    opCode: OP_MSG,
    command,
    db: typeof body.$db === 'string' ? body.$db : 'test',
    moreToCome: (flags & FLAG_MORE_TO_COME) !== 0,
  };
}

/** Legacy OP_QUERY: only used by drivers for the very first handshake (`hello` on `admin.$cmd`). */
function parseOpQuery(msg: Buffer, requestId: number): WireRequest {
  const [ns, afterNs] = readCString(msg, HEADER_SIZE + 4); // skip flags
  const offset = afterNs + 8; // numberToSkip, numberToReturn
  const [query] = readDocument(msg, offset, msg.length);
  const command = query.$query && typeof query.$query === 'object' ? (query.$query as Document) : query;
  return { requestId, opCode: OP_QUERY, command, db: ns.split('.')[0] || 'admin', moreToCome: false };
}

let nextResponseId = 1;

function header(length: number, responseTo: number, opCode: number): Buffer {
  const buf = Buffer.alloc(HEADER_SIZE);
  buf.writeInt32LE(length, 0);
  buf.writeInt32LE(nextResponseId, 4);
  nextResponseId = (nextResponseId + 1) & 0x7fffffff;
  buf.writeInt32LE(responseTo, 8);
  buf.writeInt32LE(opCode, 12);
  return buf;
}

/** Encodes `reply` in the format matching the request (OP_MSG or OP_REPLY). */
export function encodeReply(req: Pick<WireRequest, 'requestId' | 'opCode'>, reply: Document): Buffer {
  const body = serialize(reply);
  if (req.opCode === OP_QUERY) {
    const fields = Buffer.alloc(20); // responseFlags, cursorID (int64), startingFrom, numberReturned
    fields.writeInt32LE(1, 16);
    const len = HEADER_SIZE + fields.length + body.length;
    return Buffer.concat([header(len, req.requestId, OP_REPLY), fields, body]);
  }
  const flagsAndKind = Buffer.alloc(5); // flagBits = 0, section kind 0
  const len = HEADER_SIZE + flagsAndKind.length + body.length;
  return Buffer.concat([header(len, req.requestId, OP_MSG), flagsAndKind, body]);
}
