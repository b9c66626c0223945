/**
 * The long-connection frame (`pbbp2.Frame`) of Lark's WebSocket gateway, encoded by hand with protobufjs's
 * Writer/Reader primitives. Field numbers and wire types match the definitions embedded in
 * @larksuiteoapi/node-sdk:
 *
 *   message Header { required string key = 1; required string value = 2; }
 *   message Frame  { required uint64 SeqID = 1; required uint64 LogID = 2; required int32 service = 3;
 *                    required int32 method = 4; repeated Header headers = 5; optional string payloadEncoding = 6;
 *                    optional string payloadType = 7; optional bytes payload = 8; optional string LogIDNew = 9; }
 *
 * Reflection types (`protobuf.Type`) are avoided on purpose: the SDK sets the process-wide
 * `protobuf.util.Long = undefined` when it loads, which breaks 64-bit reflection fields created before
 * that ("Cannot read properties of undefined (reading 'fromNumber')"), depending on import order.
 */
import protobuf from 'protobufjs';

/** Frame methods: 0 = control (ping/pong), 1 = data (event/card). */
export const FrameMethod = { control: 0, data: 1 } as const;

export interface FrameHeader {
  key: string;
  value: string;
}

export interface Frame {
  SeqID: number;
  LogID: number;
  service: number;
  method: number;
  headers: FrameHeader[];
  payloadEncoding?: string;
  payloadType?: string;
  payload?: Uint8Array;
  LogIDNew?: string;
}

export function encodeFrame(frame: Frame): Uint8Array {
  const w = protobuf.Writer.create();
  w.uint32((1 << 3) | 0).uint64(frame.SeqID);
  w.uint32((2 << 3) | 0).uint64(frame.LogID);
  w.uint32((3 << 3) | 0).int32(frame.service);
  w.uint32((4 << 3) | 0).int32(frame.method);
  for (const h of frame.headers) {
    w.uint32((5 << 3) | 2).fork();
    w.uint32((1 << 3) | 2).string(h.key);
    w.uint32((2 << 3) | 2).string(h.value);
    w.ldelim();
  }
  if (frame.payloadEncoding !== undefined) w.uint32((6 << 3) | 2).string(frame.payloadEncoding);
  if (frame.payloadType !== undefined) w.uint32((7 << 3) | 2).string(frame.payloadType);
  if (frame.payload !== undefined) w.uint32((8 << 3) | 2).bytes(frame.payload);
  if (frame.LogIDNew !== undefined) w.uint32((9 << 3) | 2).string(frame.LogIDNew);
  return w.finish();
}

/** uint64 comes back as a number or a Long, depending on the global protobufjs configuration. */
function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v && typeof v === 'object' && typeof (v as { toNumber?: unknown }).toNumber === 'function') {
    return (v as { toNumber(): number }).toNumber();
  }
  return Number(v ?? 0);
}

function decodeHeader(r: protobuf.Reader, end: number): FrameHeader {
  const h: FrameHeader = { key: '', value: '' };
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 === 1) h.key = r.string();
    else if (tag >>> 3 === 2) h.value = r.string();
    else r.skipType(tag & 7);
  }
  return h;
}

export function decodeFrame(buf: Uint8Array): Frame {
  const r = protobuf.Reader.create(buf);
  const f: Frame = { SeqID: 0, LogID: 0, service: 0, method: 0, headers: [] };
  const seen = new Set<number>();
  while (r.pos < r.len) {
    const tag = r.uint32();
    const field = tag >>> 3;
    seen.add(field);
    switch (field) {
      case 1:
        f.SeqID = toNumber(r.uint64());
        break;
      case 2:
        f.LogID = toNumber(r.uint64());
        break;
      case 3:
        f.service = r.int32();
        break;
      case 4:
        f.method = r.int32();
        break;
      case 5: {
        const len = r.uint32();
        f.headers.push(decodeHeader(r, r.pos + len));
        break;
      }
      case 6:
        f.payloadEncoding = r.string();
        break;
      case 7:
        f.payloadType = r.string();
        break;
      case 8:
        f.payload = r.bytes();
        break;
      case 9:
        f.LogIDNew = r.string();
        break;
      default:
        r.skipType(tag & 7);
    }
  }
  for (const required of [1, 2, 3, 4]) if (!seen.has(required)) throw new Error(`frame: missing required field ${required}`);
  return f;
}

export function frameHeader(frame: Frame, key: string): string | undefined {
  return frame.headers.find((h) => h.key === key)?.value;
}
