/**
 * A stand-in for the Lark stand-in, just big enough to drive the sandbox chat page in a browser test:
 * serves `sandbox/lark/web/` statically and implements `/sandbox/api/*` in memory with a canned bot.
 * It records every action the page sends so tests can assert on the exact wire body.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';

export const WEB_ROOT = resolve(fileURLToPath(new URL('../../../sandbox/lark/web/', import.meta.url)));

export const BOT = { open_id: 'ou_b0000000000000000000000000000001', app_id: 'cli_0123456789abcdef', name: '保密助手', en_name: 'Baomi Bot' };
export const USERS = {
  zhang: { open_id: 'ou_a0000000000000000000000000000001', name: '张伟', en_name: 'Zhang Wei', department_ids: ['D100'], demo_roles: ['security_head', 'admin'] },
  li: { open_id: 'ou_a0000000000000000000000000000002', name: '李娜', en_name: 'Li Na', department_ids: ['D100'], demo_roles: ['security_officer'] },
  sun: { open_id: 'ou_a0000000000000000000000000000003', name: '孙浩', en_name: 'Sun Hao', department_ids: ['D200'], demo_roles: [] },
};
const DEPARTMENTS = [
  { department_id: 'D100', open_department_id: 'od-100', name: '保密办公室', en_name: 'Security Office', leader_user_id: USERS.zhang.open_id },
  { department_id: 'D200', open_department_id: 'od-200', name: '研发部', en_name: 'R&D', leader_user_id: USERS.zhang.open_id },
];
export const GROUP_ID = 'oc_g0000000000000000000000000000001';

export interface ActionBody {
  user: string;
  tag: string;
  name?: string;
  value: Record<string, unknown>;
  form_value?: Record<string, unknown>;
  timezone?: string;
}

interface Sender {
  type: 'user' | 'app';
  id: string;
  name: string;
  en_name?: string;
}

interface Msg {
  message_id: string;
  chat_id: string;
  sender: Sender;
  msg_type: string;
  content: string;
  card?: Record<string, unknown>;
  text?: string;
  file?: { file_key: string; file_name: string; size: number; url: string };
  create_time: string;
  update_time: string;
  updated: boolean;
  parent_id?: string;
}

interface Chat {
  chat_id: string;
  chat_type: 'p2p' | 'group';
  name: string;
  en_name?: string;
  members: string[];
}

export interface FakeApi {
  url: string;
  /** action bodies the page POSTed, oldest first */
  actions: { message_id: string; body: ActionBody }[];
  /** texts the page POSTed */
  sent: { chat_id: string; user: string; text: string }[];
  /** make the bot post a text into a chat (as a push the page learns about over SSE) */
  botSays(chatId: string, text: string): void;
  p2pOf(user: string): string | undefined;
  /** delay for action answers, to observe the in-flight state */
  actionDelayMs: number;
  close(): Promise<void>;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
};

const txt = (zh: string, en: string) => ({ tag: 'plain_text', content: zh, i18n_content: { zh_cn: zh, en_us: en } });

/** The /help card: every component the page claims to support, plus an unknown tag and hostile markdown. */
export function helpCard(): Record<string, unknown> {
  return {
    schema: '2.0',
    config: { update_multi: true, locales: ['zh_cn', 'en_us'] },
    header: {
      title: txt('保密助手 · 帮助', 'Baomi Bot · Help'),
      subtitle: txt('常用命令与申请表单', 'Common commands and a request form'),
      template: 'blue',
      text_tag_list: [
        { tag: 'text_tag', text: txt('内部', 'Internal'), color: 'orange' },
        { tag: 'text_tag', text: txt('演示', 'Demo'), color: 'turquoise' },
      ],
    },
    body: {
      elements: [
        {
          tag: 'markdown',
          content:
            "**常用命令**\n- `/copy` 载体复制申请\n- `/my` 我的申请\n<font color='red'>注意</font>：涉密载体 *不得* 私自带出。<text_tag color='violet'>新</text_tag>\n" +
            '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2"> [点我](javascript:window.__xss=3)',
          i18n_content: {
            en_us:
              "**Common commands**\n- `/copy` request a copy\n- `/my` my requests\n<font color='red'>Note</font>: classified carriers must *never* leave the site.<text_tag color='violet'>new</text_tag>\n" +
              '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2"> [click](javascript:window.__xss=3)',
          },
        },
        {
          tag: 'div',
          text: { tag: 'lark_md', content: `保密员：<at id=${USERS.li.open_id}></at>`, i18n_content: { en_us: `Security officer: <at id=${USERS.li.open_id}></at>` } },
          fields: [
            { is_short: true, text: { tag: 'lark_md', content: '**待办**\n2', i18n_content: { en_us: '**Pending**\n2' } } },
            { is_short: true, text: { tag: 'lark_md', content: '**本月**\n7', i18n_content: { en_us: '**This month**\n7' } } },
          ],
        },
        {
          tag: 'column_set',
          flex_mode: 'none',
          horizontal_spacing: '8px',
          columns: [
            {
              tag: 'column',
              width: 'weighted',
              weight: 1,
              elements: [
                { tag: 'button', name: 'ack', text: txt('我已阅读', 'Got it'), type: 'primary_filled', width: 'fill', behaviors: [{ type: 'callback', value: { action: 'ack' } }] },
              ],
            },
            {
              tag: 'column',
              width: 'weighted',
              weight: 1,
              elements: [
                {
                  tag: 'button',
                  name: 'purge',
                  text: txt('清空草稿', 'Discard drafts'),
                  type: 'danger',
                  width: 'fill',
                  confirm: { title: txt('确认清空？', 'Discard all drafts?'), text: txt('此操作不可撤销。', 'This cannot be undone.') },
                  behaviors: [{ type: 'callback', value: { action: 'purge' } }],
                },
              ],
            },
          ],
        },
        { tag: 'hr' },
        {
          tag: 'table',
          page_size: 3,
          columns: [
            { name: 'cmd', display_name: '命令', data_type: 'text', width: '110px' },
            { name: 'desc', display_name: '说明', data_type: 'lark_md' },
            { name: 'level', display_name: '密级', data_type: 'options' },
          ],
          rows: [
            { cmd: '/copy', desc: '载体**复制**', level: [{ text: '秘密', color: 'orange' }] },
            { cmd: '/carry', desc: '载体外携', level: [{ text: '机密', color: 'red' }] },
            { cmd: '/destroy', desc: '载体销毁', level: [{ text: '秘密', color: 'orange' }] },
            { cmd: '/return', desc: '载体归还', level: [{ text: '内部', color: 'neutral' }] },
            { cmd: '/verify', desc: '台账核验', level: [{ text: '内部', color: 'neutral' }] },
          ],
        },
        {
          tag: 'collapsible_panel',
          expanded: false,
          header: { title: { tag: 'markdown', content: '**更多说明**', i18n_content: { en_us: '**More**' } } },
          elements: [{ tag: 'markdown', content: '每个卡片操作都有文字命令可替代。', i18n_content: { en_us: 'Every card action has a text command too.' } }],
        },
        {
          tag: 'form',
          name: 'copy_form',
          elements: [
            {
              tag: 'input',
              name: 'title',
              required: true,
              max_length: 50,
              label: txt('载体名称', 'Carrier'),
              placeholder: txt('例如：设计图纸', 'e.g. design drawings'),
            },
            {
              tag: 'select_static',
              name: 'level',
              required: true,
              placeholder: txt('选择密级', 'Pick a level'),
              options: [
                { text: txt('秘密', 'Secret'), value: 'secret' },
                { text: txt('机密', 'Confidential'), value: 'confidential' },
              ],
            },
            { tag: 'date_picker', name: 'due', placeholder: txt('归还日期', 'Return date') },
            {
              tag: 'column_set',
              columns: [
                {
                  tag: 'column',
                  width: 'auto',
                  elements: [
                    {
                      tag: 'button',
                      name: 'submit',
                      text: txt('提交申请', 'Submit'),
                      type: 'primary_filled',
                      form_action_type: 'submit',
                      behaviors: [{ type: 'callback', value: { action: 'submit_copy' } }],
                    },
                  ],
                },
                { tag: 'column', width: 'auto', elements: [{ tag: 'button', name: 'reset', text: txt('重置', 'Reset'), type: 'default', form_action_type: 'reset' }] },
              ],
            },
          ],
        },
        { tag: 'img', img_key: 'img_v2_demo', alt: txt('流程图', 'Flow chart') },
        { tag: 'person', user_id: USERS.zhang.open_id },
      ],
    },
  };
}

/** A form with person pickers (Card JSON 2.0 select_person / multi_select_person). */
export const UNKNOWN_ID = 'ou_ffffffffffffffffffffffffffffffff';
export function peopleCard(): Record<string, unknown> {
  return {
    schema: '2.0',
    config: { update_multi: true },
    header: { title: txt('选择人员', 'Choose people'), template: 'blue' },
    body: {
      elements: [
        {
          tag: 'form',
          name: 'people_form',
          elements: [
            // An id nobody has is ignored, as Lark ignores invalid options.
            {
              tag: 'select_person',
              name: 'custodian',
              placeholder: txt('选择保管人', 'Choose the custodian'),
              options: [{ value: USERS.li.open_id }, { value: USERS.sun.open_id }, { value: UNKNOWN_ID }],
            },
            {
              tag: 'multi_select_person',
              name: 'witnesses',
              required: true,
              placeholder: txt('选择监销人', 'Choose witnesses'),
              options: [{ value: USERS.zhang.open_id }, { value: USERS.li.open_id }, { value: USERS.sun.open_id }],
            },
            // No options: the chat's members.
            { tag: 'multi_select_person', name: 'companions', placeholder: txt('选择同行人', 'Choose companions'), options: [] },
            {
              tag: 'button',
              name: 'submit',
              text: txt('提交', 'Submit'),
              type: 'primary',
              form_action_type: 'submit',
              behaviors: [{ type: 'callback', value: { action: 'submit_people' } }],
            },
          ],
        },
      ],
    },
  };
}

function welcomeCard(): Record<string, unknown> {
  return {
    schema: '2.0',
    config: { update_multi: true },
    header: { title: txt('欢迎使用保密助手', 'Welcome to Baomi Bot'), template: 'turquoise' },
    body: { elements: [{ tag: 'markdown', content: '发送 `/help` 查看可用命令。', i18n_content: { en_us: 'Send `/help` to see what I can do.' } }] },
  };
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const raw = Buffer.concat(chunks).toString('utf8');
  return raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

export async function startFakeApi(): Promise<FakeApi> {
  const chats = new Map<string, Chat>([
    [GROUP_ID, { chat_id: GROUP_ID, chat_type: 'group', name: '保密委员会', en_name: 'Confidentiality Committee', members: [USERS.zhang.open_id, USERS.li.open_id] }],
  ]);
  const messages = new Map<string, Msg[]>();
  const streams = new Map<string, Set<ServerResponse>>();
  let seq = 0;
  let clock = Date.now() - 60_000;
  const now = () => String((clock += 1000));

  const userName = (id: string) => Object.values(USERS).find((u) => u.open_id === id);

  function notify(chat: Chat, message_id: string, kind: 'created' | 'updated') {
    const data = JSON.stringify({ chat_id: chat.chat_id, message_id, kind });
    for (const member of chat.members) for (const res of streams.get(member) ?? []) res.write(`event: message\ndata: ${data}\n\n`);
  }

  function post(chat: Chat, sender: Sender, msg_type: string, content: Record<string, unknown>, extra: Partial<Msg> = {}): Msg {
    const t = now();
    const m: Msg = {
      message_id: `om_${String(++seq).padStart(6, '0')}`,
      chat_id: chat.chat_id,
      sender,
      msg_type,
      content: JSON.stringify(content),
      create_time: t,
      update_time: t,
      updated: false,
      ...extra,
    };
    if (msg_type === 'interactive') m.card = content;
    if (msg_type === 'text') m.text = String(content.text ?? '');
    const list = messages.get(chat.chat_id) ?? [];
    list.push(m);
    messages.set(chat.chat_id, list);
    notify(chat, m.message_id, 'created');
    return m;
  }

  const botSender: Sender = { type: 'app', id: BOT.open_id, name: BOT.name, en_name: BOT.en_name };
  const botPost = (chat: Chat, msg_type: string, content: Record<string, unknown>, extra?: Partial<Msg>) => setTimeout(() => post(chat, botSender, msg_type, content, extra), 20);

  function botReply(chat: Chat, text: string, parent: Msg) {
    const cmd = text.replace(/@(保密助手|Bot)/gi, '').trim();
    if (cmd === '/help') botPost(chat, 'interactive', helpCard(), { parent_id: parent.message_id });
    else if (cmd === '/people') botPost(chat, 'interactive', peopleCard(), { parent_id: parent.message_id });
    else if (cmd === '/export') {
      botPost(
        chat,
        'file',
        { file_key: 'file_v3_demo', file_name: '载体台账.csv' },
        { file: { file_key: 'file_v3_demo', file_name: '载体台账.csv', size: 2048, url: '/sandbox/api/files/file_v3_demo' } },
      );
    } else botPost(chat, 'text', { text: `收到：${cmd}` });
  }

  function replaceCard(chat: Chat, m: Msg, card: Record<string, unknown>) {
    m.card = card;
    m.content = JSON.stringify(card);
    m.update_time = now();
    m.updated = true;
    notify(chat, m.message_id, 'updated');
  }

  const api: FakeApi = {
    url: '',
    actions: [],
    sent: [],
    actionDelayMs: 0,
    botSays(chatId, text) {
      const chat = chats.get(chatId);
      if (chat) post(chat, botSender, 'text', { text });
    },
    p2pOf(user) {
      return [...chats.values()].find((c) => c.chat_type === 'p2p' && c.members.includes(user))?.chat_id;
    },
    close: async () => undefined,
  };

  async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname;
    const method = req.method ?? 'GET';
    let m: RegExpMatchArray | null;
    if (method === 'GET' && path === '/sandbox/api/directory') {
      return json(res, 200, { users: Object.values(USERS), departments: DEPARTMENTS, bot: BOT });
    }
    if (method === 'GET' && path === '/sandbox/api/chats') {
      const user = url.searchParams.get('user') ?? '';
      const list = [...chats.values()]
        .filter((c) => c.members.includes(user))
        .map(({ chat_id, chat_type, name, en_name, members }) => ({ chat_id, chat_type, name, en_name, members }));
      return json(res, 200, { chats: list });
    }
    if (method === 'POST' && path === '/sandbox/api/chats/p2p') {
      const { user } = (await readJson(req)) as { user: string };
      const existing = api.p2pOf(user);
      if (existing) return json(res, 200, { chat_id: existing, created: false });
      const chat: Chat = { chat_id: `oc_p${String(++seq).padStart(31, '0')}`, chat_type: 'p2p', name: '', members: [user] };
      chats.set(chat.chat_id, chat);
      botPost(chat, 'interactive', welcomeCard());
      return json(res, 200, { chat_id: chat.chat_id, created: true });
    }
    if ((m = /^\/sandbox\/api\/chats\/([^/]+)\/messages$/.exec(path))) {
      const chat = chats.get(decodeURIComponent(m[1]!));
      if (!chat) return json(res, 404, { error: 'no such chat' });
      if (method === 'GET') return json(res, 200, { messages: messages.get(chat.chat_id) ?? [] });
      const { user, text } = (await readJson(req)) as { user: string; text: string };
      if (!chat.members.includes(user)) return json(res, 403, { error: 'not a member' });
      api.sent.push({ chat_id: chat.chat_id, user, text });
      const u = userName(user);
      const msg = post(chat, { type: 'user', id: user, name: u?.name ?? user, en_name: u?.en_name }, 'text', { text });
      const mentioned = /@(保密助手|Bot)/i.test(text);
      if (chat.chat_type === 'p2p' || mentioned) botReply(chat, text, msg);
      return json(res, 200, { message_id: msg.message_id, delivery: { status: chat.chat_type === 'p2p' || mentioned ? 'delivered' : 'not_for_bot' } });
    }
    if (method === 'POST' && (m = /^\/sandbox\/api\/messages\/([^/]+)\/actions$/.exec(path))) {
      const id = decodeURIComponent(m[1]!);
      const body = (await readJson(req)) as unknown as ActionBody;
      api.actions.push({ message_id: id, body });
      if (api.actionDelayMs) await new Promise((r) => setTimeout(r, api.actionDelayMs));
      const msg = [...messages.values()].flat().find((x) => x.message_id === id);
      const chat = msg && chats.get(msg.chat_id);
      if (!msg || !chat || !msg.card) return json(res, 404, { ok: false, error: 'no such card', card_updated: false });
      const action = (body.value as { action?: string }).action;
      if (action === 'ack') {
        // biome-ignore lint/suspicious/noExplicitAny: the card is reshaped as the page would see it
        const card = structuredClone(msg.card) as any;
        card.header.template = 'green';
        card.header.title = txt('已确认 · 帮助', 'Acknowledged · Help');
        card.body.elements[2].columns[0].elements[0].disabled = true;
        replaceCard(chat, msg, card);
        return json(res, 200, { ok: true, toast: { type: 'success', content: '已确认', i18n: { zh_cn: '已确认', en_us: 'Acknowledged' } }, card_updated: true });
      }
      if (action === 'submit_people') {
        return json(res, 200, { ok: true, toast: { type: 'success', content: '人员已提交', i18n: { zh_cn: '人员已提交', en_us: 'People submitted' } }, card_updated: false });
      }
      if (action === 'purge') {
        return json(res, 200, { ok: true, toast: { type: 'warning', content: '草稿已清空', i18n: { zh_cn: '草稿已清空', en_us: 'Drafts discarded' } }, card_updated: false });
      }
      if (action === 'submit_copy') {
        const fv = body.form_value ?? {};
        const card = {
          schema: '2.0',
          config: { update_multi: true },
          header: {
            title: txt('复制申请已提交', 'Copy request submitted'),
            template: 'green',
            text_tag_list: [{ tag: 'text_tag', text: txt('待审批', 'Pending'), color: 'orange' }],
          },
          body: {
            elements: [
              {
                tag: 'markdown',
                content: `**载体**：${String(fv.title)}\n**密级**：${String(fv.level)}\n**归还**：${String(fv.due)}`,
                i18n_content: { en_us: `**Carrier**: ${String(fv.title)}\n**Level**: ${String(fv.level)}\n**Return**: ${String(fv.due)}` },
              },
            ],
          },
        };
        replaceCard(chat, msg, card);
        return json(res, 200, { ok: true, toast: { type: 'success', content: '申请已提交', i18n: { zh_cn: '申请已提交', en_us: 'Request submitted' } }, card_updated: true });
      }
      return json(res, 200, { ok: false, error: `unknown action ${String(action)}`, card_updated: false });
    }
    if (method === 'GET' && path === '/sandbox/api/stream') {
      const user = url.searchParams.get('user') ?? '';
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
      res.write(': connected\n\n');
      const set = streams.get(user) ?? new Set();
      set.add(res);
      streams.set(user, set);
      req.on('close', () => set.delete(res));
      return;
    }
    if (method === 'GET' && (m = /^\/sandbox\/api\/files\/([^/]+)$/.exec(path))) {
      res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment' });
      res.end('id,name\n1,demo\n');
      return;
    }
    json(res, 404, { error: `no route ${method} ${path}` });
  }

  async function handleStatic(res: ServerResponse, url: URL): Promise<void> {
    const rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname.slice(1));
    const file = normalize(join(WEB_ROOT, rel));
    if (!file.startsWith(WEB_ROOT + sep)) return json(res, 403, { error: 'forbidden' });
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
      res.end(body);
    } catch {
      json(res, 404, { error: 'not found' });
    }
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const work = url.pathname.startsWith('/sandbox/api/') ? handleApi(req, res, url) : handleStatic(res, url);
    work.catch((e: unknown) => {
      if (!res.headersSent) json(res, 500, { error: String(e) });
      else res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  api.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  api.close = async () => {
    for (const set of streams.values()) for (const res of set) res.end();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  };
  return api;
}
