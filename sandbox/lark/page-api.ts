/**
 * JSON API and static files for the web chat page (`sandbox/lark/web/`), plus an SSE stream of
 * message changes. Contract: see the stand-in brief §4 (kept verbatim in the report).
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, resolve, sep } from 'node:path';
import { parseMaybeJson } from './delivery.js';
import { renderText } from './events.js';
import { isPlainObject, parseJsonSafe, readBody, sendJson } from './http-util.js';
import type { LarkStandIn } from './server.js';
import type { MessageEvent, StoredChat, StoredMessage } from './store.js';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

const PLACEHOLDER = `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>Lark stand-in</title></head>
<body style="font-family: sans-serif; max-width: 40rem; margin: 3rem auto">
<h1>Lark stand-in / 飞书模拟器</h1>
<p>The chat page (<code>sandbox/lark/web/index.html</code>) is not there yet.
The JSON API is up: <a href="/sandbox/api/directory">/sandbox/api/directory</a>,
<a href="/sandbox/api/calls">/sandbox/api/calls</a>.</p>
</body></html>
`;

interface SseClient {
  user: string;
  res: ServerResponse;
}

export class PageApi {
  private readonly sse = new Set<SseClient>();
  private readonly keepAlive: NodeJS.Timeout;
  private readonly webRoot: string;

  constructor(
    private readonly s: LarkStandIn,
    webDir: string,
  ) {
    this.webRoot = resolve(webDir);
    s.store.on('message', (e: MessageEvent) => this.broadcast(e));
    this.keepAlive = setInterval(() => {
      for (const c of this.sse) c.res.write(': keep-alive\n\n');
    }, 15_000);
    this.keepAlive.unref();
  }

  close(): void {
    clearInterval(this.keepAlive);
    for (const c of this.sse) c.res.end();
    this.sse.clear();
  }

  private broadcast(e: MessageEvent): void {
    const chat = this.s.store.chats.get(e.message.chat_id);
    if (!chat) return;
    const data = JSON.stringify({ chat_id: chat.chat_id, message_id: e.message.message_id, kind: e.kind });
    for (const c of this.sse) {
      if (chat.members.includes(c.user)) c.res.write(`event: message\ndata: ${data}\n\n`);
    }
  }

  // ------------------------------------------------------------ views

  private chatView(chat: StoredChat): Record<string, unknown> {
    const v: Record<string, unknown> = { chat_id: chat.chat_id, chat_type: chat.chat_type, name: chat.name };
    if (chat.chat_type === 'p2p') {
      // The user sees the bot as the other side of a p2p chat.
      v['name'] = this.s.directory.org.app.name;
      v['en_name'] = this.s.directory.org.app.en_name;
    } else if (chat.en_name !== undefined) v['en_name'] = chat.en_name;
    v['bot_member'] = chat.bot_member;
    if (chat.chat_type === 'group') v['member_count'] = chat.members.length;
    // The people in the chat (not the bot): a person picker without valid options offers them.
    v['members'] = chat.members.filter((id) => id !== this.s.directory.org.app.open_id);
    return v;
  }

  messageView(m: StoredMessage): Record<string, unknown> {
    const dir = this.s.directory;
    const sender: Record<string, unknown> =
      m.sender.sender_type === 'app'
        ? { type: 'app', id: m.sender.id, name: dir.org.app.name, en_name: dir.org.app.en_name }
        : (() => {
            const u = dir.userByOpenId(m.sender.id);
            return { type: 'user', id: m.sender.id, name: u?.name ?? m.sender.id, ...(u ? { en_name: u.en_name } : {}) };
          })();
    const v: Record<string, unknown> = {
      message_id: m.message_id,
      chat_id: m.chat_id,
      sender,
      msg_type: m.msg_type,
      content: m.body.content,
    };
    const parsed = parseMaybeJson(m.body.content);
    if (m.msg_type === 'interactive' && isPlainObject(parsed)) v['card'] = parsed;
    if (m.msg_type === 'text' && isPlainObject(parsed) && typeof parsed['text'] === 'string') v['text'] = renderText(parsed['text'], m.mentions);
    if (m.msg_type === 'post' && isPlainObject(parsed)) v['text'] = postToText(parsed);
    if (m.msg_type === 'file' && isPlainObject(parsed) && typeof parsed['file_key'] === 'string') {
      const f = this.s.store.files.get(parsed['file_key']);
      v['file'] = {
        file_key: parsed['file_key'],
        file_name: f?.file_name ?? parsed['file_key'],
        size: f?.size ?? 0,
        url: `/sandbox/api/files/${encodeURIComponent(parsed['file_key'])}`,
      };
    }
    Object.assign(v, { create_time: m.create_time, update_time: m.update_time, updated: m.updated });
    if (m.parent_id) v['parent_id'] = m.parent_id;
    return v;
  }

  // ------------------------------------------------------------ routing

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = req.method ?? 'GET';
    const p = url.pathname.replace(/\/+$/, '');
    const user = url.searchParams.get('user') ?? '';
    const dir = this.s.directory;
    let m: RegExpExecArray | null;

    const body = async (): Promise<Record<string, unknown> | null> => {
      const parsed = parseJsonSafe((await readBody(req, 1024 * 1024)).toString('utf8'));
      return parsed.ok && isPlainObject(parsed.value) ? parsed.value : null;
    };
    const bad = (status: number, error: string): void => sendJson(res, status, { error });
    const knownUser = (id: unknown): id is string => typeof id === 'string' && dir.userByOpenId(id) !== undefined;

    if (method === 'GET' && p === '/sandbox/api/directory') {
      return sendJson(res, 200, {
        users: dir.users.map((u) => ({
          open_id: u.open_id,
          name: u.name,
          en_name: u.en_name,
          department_ids: u.department_ids.map((d) => dir.convertDepartmentId(d, 'open_department_id')),
          demo_roles: u.demo_roles,
        })),
        departments: dir.departments.map((d) => ({
          department_id: d.department_id,
          open_department_id: d.open_department_id,
          name: d.name,
          en_name: d.en_name,
          leader_user_id: d.leader_user_id ?? null,
        })),
        bot: { open_id: dir.org.app.open_id, app_id: this.s.options.appId, name: dir.org.app.name, en_name: dir.org.app.en_name },
      });
    }

    if (method === 'GET' && p === '/sandbox/api/chats') {
      if (!knownUser(user)) return bad(400, 'unknown user');
      const chats: Record<string, unknown>[] = [];
      const p2p = this.s.store.p2pChatOf(user);
      if (p2p) chats.push(this.chatView(p2p));
      for (const c of this.s.store.chatsOfUser(user)) if (c.chat_type === 'group') chats.push(this.chatView(c));
      return sendJson(res, 200, { chats });
    }

    if (method === 'POST' && p === '/sandbox/api/chats/p2p') {
      const b = await body();
      if (!b || !knownUser(b['user'])) return bad(400, 'body must be {user: <open_id of a directory user>}');
      const r = await this.s.openP2p(b['user']);
      return sendJson(res, 200, { chat_id: r.chat_id, created: r.created, delivery: deliveryView(r.delivery) });
    }

    if ((m = /^\/sandbox\/api\/chats\/([^/]+)\/messages$/.exec(p))) {
      const chat = this.s.store.chats.get(decodeURIComponent(m[1] ?? ''));
      if (!chat) return bad(404, 'unknown chat');
      if (method === 'GET') {
        if (!knownUser(user)) return bad(400, 'unknown user');
        if (!chat.members.includes(user)) return bad(403, 'user is not a member of this chat');
        return sendJson(res, 200, { messages: this.s.store.chatMessages(chat.chat_id).map((x) => this.messageView(x)) });
      }
      if (method === 'POST') {
        const b = await body();
        if (!b || !knownUser(b['user']) || typeof b['text'] !== 'string' || b['text'].trim() === '') {
          return bad(400, 'body must be {user, text}');
        }
        if (!chat.members.includes(b['user'])) return bad(403, 'user is not a member of this chat');
        const r = await this.s.sendText(b['user'], chat.chat_id, b['text']);
        return sendJson(res, 200, {
          message_id: r.message_id,
          delivery: r.delivery ? deliveryView(r.delivery) : { status: null, ok: false, skipped: r.skipped },
        });
      }
    }

    if (method === 'POST' && (m = /^\/sandbox\/api\/messages\/([^/]+)\/actions$/.exec(p))) {
      const b = await body();
      if (!b || !knownUser(b['user'])) return bad(400, 'body must be {user, tag, value, name?, form_value?, timezone?}');
      const action: Parameters<LarkStandIn['click']>[2] = { value: b['value'] ?? {} };
      if (typeof b['tag'] === 'string') action.tag = b['tag'];
      if (typeof b['name'] === 'string') action.name = b['name'];
      if (isPlainObject(b['form_value'])) action.form_value = b['form_value'];
      if (typeof b['timezone'] === 'string') action.timezone = b['timezone'];
      if (typeof b['option'] === 'string') action.option = b['option'];
      if (Array.isArray(b['options'])) action.options = b['options'].filter((x): x is string => typeof x === 'string');
      if (typeof b['checked'] === 'boolean') action.checked = b['checked'];
      if (typeof b['input_value'] === 'string') action.input_value = b['input_value'];
      const r = await this.s.click(b['user'], decodeURIComponent(m[1] ?? ''), action);
      const out: Record<string, unknown> = { ok: r.ok, card_updated: r.card_updated };
      if (r.toast) out['toast'] = r.toast;
      if (r.error) out['error'] = r.error;
      return sendJson(res, 200, out);
    }

    if (method === 'GET' && p === '/sandbox/api/stream') {
      if (!knownUser(user)) return bad(400, 'unknown user');
      res.writeHead(200, {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-cache',
        Connection: 'keep-alive',
        'X-Accel-Buffering': 'no',
      });
      res.write(': connected\n\n');
      const client: SseClient = { user, res };
      this.sse.add(client);
      req.on('close', () => this.sse.delete(client));
      return;
    }

    if (method === 'GET' && (m = /^\/sandbox\/api\/files\/([^/]+)$/.exec(p))) {
      const f = this.s.store.files.get(decodeURIComponent(m[1] ?? ''));
      if (!f) return bad(404, 'unknown file');
      res.writeHead(200, {
        'Content-Type': 'application/octet-stream',
        'Content-Length': String(f.size),
        'Content-Disposition': `attachment; filename*=UTF-8''${encodeRFC5987(f.file_name)}`,
      });
      res.end(f.bytes);
      return;
    }

    if (method === 'GET' && p === '/sandbox/api/calls') return sendJson(res, 200, { calls: this.s.calls });
    if (method === 'GET' && p === '/sandbox/api/deliveries') return sendJson(res, 200, { deliveries: this.s.deliveries });

    return bad(404, `not found: ${method} ${url.pathname}`);
  }

  serveStatic(req: IncomingMessage, res: ServerResponse, url: URL): void {
    let rel: string;
    try {
      rel = decodeURIComponent(url.pathname);
    } catch {
      return sendJson(res, 400, { error: 'bad path' });
    }
    if (rel.includes('\0')) return sendJson(res, 400, { error: 'bad path' });
    if (rel.endsWith('/')) rel += 'index.html';
    const file = resolve(this.webRoot, `.${rel.startsWith('/') ? rel : `/${rel}`}`);
    if (file !== this.webRoot && !file.startsWith(this.webRoot + sep)) return sendJson(res, 403, { error: 'forbidden' });
    let isFile = false;
    try {
      isFile = existsSync(file) && statSync(file).isFile();
    } catch {
      isFile = false;
    }
    if (!isFile) {
      if (rel === '/index.html') {
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
        res.end(req.method === 'HEAD' ? undefined : PLACEHOLDER);
        return;
      }
      return sendJson(res, 404, { error: `not found: ${url.pathname}` });
    }
    const type = CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
    res.writeHead(200, { 'Content-Type': type, 'Content-Length': String(statSync(file).size), 'Cache-Control': 'no-cache' });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    createReadStream(file).pipe(res);
  }
}

function deliveryView(d: { status: number; error?: string; mode: string }): Record<string, unknown> {
  const v: Record<string, unknown> = { status: d.status, ok: d.status === 200, mode: d.mode };
  if (d.error) v['error'] = d.error;
  return v;
}

function encodeRFC5987(s: string): string {
  return encodeURIComponent(s).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Flattens Lark `post` content (`{zh_cn: {title, content: [[…]]}}` or `{title, content}`) to plain text. */
function postToText(c: Record<string, unknown>): string {
  const body = Array.isArray(c['content']) ? c : ((c['zh_cn'] ?? c['en_us'] ?? Object.values(c).find((x) => isPlainObject(x))) as Record<string, unknown> | undefined);
  if (!isPlainObject(body)) return '';
  const lines: string[] = [];
  if (typeof body['title'] === 'string' && body['title']) lines.push(body['title']);
  for (const para of Array.isArray(body['content']) ? body['content'] : []) {
    if (!Array.isArray(para)) continue;
    lines.push(
      para
        .map((el: unknown) => {
          if (!isPlainObject(el)) return '';
          if (el['tag'] === 'at') return `@${String(el['user_name'] ?? el['user_id'] ?? '')}`;
          if (el['tag'] === 'img') return '[image]';
          return typeof el['text'] === 'string' ? el['text'] : '';
        })
        .join(''),
    );
  }
  return lines.join('\n');
}
