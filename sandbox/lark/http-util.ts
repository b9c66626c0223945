/** Small helpers for the node:http based servers of the stand-in. */
import type { IncomingMessage, ServerResponse } from 'node:http';

export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`request body exceeds ${limit} bytes`);
  }
}

export function readBody(req: IncomingMessage, limit = 40 * 1024 * 1024): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        reject(new BodyTooLargeError(limit));
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on('error', (e) => {
      if (!failed) reject(e);
    });
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function parseJsonSafe(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export interface MultipartPart {
  name: string;
  filename?: string;
  contentType?: string;
  data: Buffer;
}

function parseDisposition(value: string): { name?: string; filename?: string } {
  const out: { name?: string; filename?: string } = {};
  const re = /;\s*([a-zA-Z*]+)=("((?:[^"\\]|\\.)*)"|[^;]*)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(value)) !== null) {
    const key = (m[1] ?? '').toLowerCase();
    const raw = m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : (m[2] ?? '').trim();
    if (key === 'name') out.name = raw;
    else if (key === 'filename' && out.filename === undefined) out.filename = raw;
    else if (key === 'filename*') {
      const star = /^([^']*)'[^']*'(.*)$/.exec(raw);
      try {
        out.filename = decodeURIComponent(star ? (star[2] ?? '') : raw);
      } catch {
        out.filename = raw;
      }
    }
  }
  return out;
}

/** Parses a multipart/form-data body (simple boundary split; enough for SDK/axios/form-data uploads). */
export function parseMultipart(body: Buffer, contentType: string): MultipartPart[] {
  const bm = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  const boundary = bm?.[1] ?? bm?.[2]?.trim();
  if (!boundary) throw new Error('multipart boundary missing');
  const delim = Buffer.from(`--${boundary}`);
  const parts: MultipartPart[] = [];
  let pos = body.indexOf(delim);
  if (pos < 0) throw new Error('multipart boundary not found in body');
  for (;;) {
    let start = pos + delim.length;
    // "--" after the delimiter marks the end.
    if (body[start] === 0x2d && body[start + 1] === 0x2d) break;
    if (body[start] === 0x0d && body[start + 1] === 0x0a) start += 2;
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delim]), start);
    if (next < 0) throw new Error('multipart body truncated');
    const part = body.subarray(start, next);
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd >= 0) {
      const headerText = part.subarray(0, headerEnd).toString('utf8');
      const data = part.subarray(headerEnd + 4);
      let disposition = '';
      let ctype: string | undefined;
      for (const line of headerText.split('\r\n')) {
        const idx = line.indexOf(':');
        if (idx < 0) continue;
        const k = line.slice(0, idx).trim().toLowerCase();
        const v = line.slice(idx + 1).trim();
        if (k === 'content-disposition') disposition = v;
        else if (k === 'content-type') ctype = v;
      }
      const d = parseDisposition(disposition);
      if (d.name !== undefined) {
        const p: MultipartPart = { name: d.name, data: Buffer.from(data) };
        if (d.filename !== undefined) p.filename = d.filename;
        if (ctype !== undefined) p.contentType = ctype;
        parts.push(p);
      }
    }
    pos = next + 2;
  }
  return parts;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
