// The sandbox chat page: pick a demo user, chat with the bot in p2p or a group, click cards.
// Plain ES module, no framework. Talks only to /sandbox/api/* (see api.js).
import { api, ApiError } from './api.js';
import { renderCard } from './render.js';
import { normalizeLocale, toastText } from './card-model.js';
import { t, roleLabel } from './ui-strings.js';

/** Every demo user is in the organisation's zone (BAOMI_TIMEZONE default), like a Feishu client in China. */
const USER_TIMEZONE = 'Asia/Shanghai';
const TZ_OFFSET = '+0800';
const QUICK_COMMANDS = ['/help', '/my', '/pending', '/lang en', '/lang zh'];
const LS_USER = 'baomi.sandbox.user';
const LS_LANG = 'baomi.sandbox.lang';
const LS_CHAT = 'baomi.sandbox.chat.';
const TOAST_MS = 3000;

const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
const els = {
  picker: /** @type {HTMLSelectElement} */ ($('user-picker')),
  meta: $('identity-meta'),
  lang: /** @type {HTMLSelectElement} */ ($('ui-lang')),
  startP2p: /** @type {HTMLButtonElement} */ ($('start-p2p')),
  chatList: $('chat-list'),
  conn: $('conn'),
  chatTitle: $('chat-title'),
  chatSub: $('chat-sub'),
  chatAvatar: $('chat-avatar'),
  scroller: $('messages'),
  list: $('message-items'),
  empty: $('messages-empty'),
  groupHint: $('group-hint'),
  groupHintText: $('group-hint-text'),
  insertMention: /** @type {HTMLButtonElement} */ ($('insert-mention')),
  chips: $('chips'),
  composer: /** @type {HTMLTextAreaElement} */ ($('composer')),
  send: /** @type {HTMLButtonElement} */ ($('send')),
  toasts: $('toasts'),
};

const state = {
  lang: 'zh_cn',
  /** @type {{users: any[], departments: any[], bot: any} | null} */
  dir: null,
  users: new Map(),
  depts: new Map(),
  me: '',
  /** @type {any[]} */
  chats: [],
  chatId: '',
  /** messages of the open chat, oldest first */
  messages: [],
  /** message_id → {el, sig} */
  rendered: new Map(),
  unread: new Map(),
  history: [],
  historyPos: -1,
  draft: '',
  /** @type {EventSource | null} */
  stream: null,
  streamRetry: 0,
  streamTimer: 0,
  refreshing: null,
  refreshAgain: false,
  scrollPending: false,
};

// ---------------------------------------------------------------------------------------------
// words and names

const tr = (key) => t(state.lang, key);
const en = () => state.lang === 'en_us';

function botName() {
  const b = state.dir?.bot;
  return (en() ? b?.en_name : b?.name) || b?.name || tr('appName');
}

function userName(u) {
  if (!u) return '';
  return (en() ? u.en_name : u.name) || u.name || u.en_name || u.open_id;
}

function personName(id) {
  if (!id) return undefined;
  if (id === state.dir?.bot?.open_id) return botName();
  const u = state.users.get(id);
  return u ? userName(u) : undefined;
}

function deptName(u) {
  const names = (u?.department_ids ?? [])
    .map((d) => state.depts.get(d))
    .filter(Boolean)
    .map((d) => (en() ? d.en_name : d.name) || d.name);
  return names.join(', ');
}

function rolesText(u) {
  const roles = u?.demo_roles?.length ? u.demo_roles : ['staff'];
  return roles.map((r) => roleLabel(state.lang, r)).join(', ');
}

function chatName(c) {
  if (!c) return '';
  if (c.chat_type === 'p2p') return botName();
  return (en() ? c.en_name : c.name) || c.name || c.chat_id;
}

function initial(name) {
  return [...String(name || '?').trim()][0]?.toUpperCase() ?? '?';
}

function fmtTime(ms) {
  const d = new Date(Number(ms));
  if (Number.isNaN(d.getTime())) return '';
  const now = new Date();
  const hm = d.toLocaleTimeString(en() ? 'en-GB' : 'zh-CN', { hour: '2-digit', minute: '2-digit' });
  if (d.toDateString() === now.toDateString()) return hm;
  const md = d.toLocaleDateString(en() ? 'en-GB' : 'zh-CN', { month: 'short', day: 'numeric' });
  return `${md} ${hm}`;
}

function isoTime(ms) {
  const d = new Date(Number(ms));
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

function fmtSize(n) {
  if (!Number.isFinite(n)) return '';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = String(v);
    else if (k === 'text') el.textContent = String(v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c != null && c !== false) el.append(c);
  return el;
}

// ---------------------------------------------------------------------------------------------
// toasts

function showToast(toast) {
  const type = ['info', 'success', 'error', 'warning'].includes(toast?.type) ? toast.type : 'info';
  const text = toastText(toast, state.lang) || String(toast?.content ?? '');
  if (!text) return;
  const icon = { info: 'i', success: '✓', error: '!', warning: '!' }[type];
  const el = h(
    'div',
    { class: `toast toast-${type}`, 'data-testid': 'toast', 'data-type': type, role: type === 'error' ? 'alert' : 'status' },
    h('span', { class: 'toast-icon', text: icon }),
    h('span', { class: 'toast-text', text }),
  );
  els.toasts.append(el);
  setTimeout(() => {
    el.classList.add('toast-leave');
    setTimeout(() => el.remove(), 250);
  }, TOAST_MS);
}

function errorToast(prefix, e) {
  const msg = e instanceof Error ? e.message : String(e);
  showToast({ type: 'error', content: `${prefix}: ${msg}` });
}

// ---------------------------------------------------------------------------------------------
// static texts and language

function applyLanguage() {
  document.documentElement.lang = en() ? 'en' : 'zh-CN';
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = tr(el.getAttribute('data-i18n'));
  els.lang.value = state.lang;
  els.startP2p.textContent = tr('startP2p');
  els.send.textContent = tr('send');
  els.send.setAttribute('aria-label', tr('send'));
  const name = state.dir?.bot?.name || '保密助手';
  els.insertMention.textContent = `@${name}`;
  els.groupHintText.textContent = tr('groupHint');
  document.title = `${tr('appName')} · Sandbox`;
  renderPicker();
  renderChatList();
  renderChatHeader();
  rerenderMessages();
}

// ---------------------------------------------------------------------------------------------
// identity

function renderPicker() {
  if (!state.dir) return;
  const sel = els.picker;
  sel.replaceChildren();
  const known = new Set();
  for (const u of state.dir.users) {
    known.add(u.open_id);
    const dept = deptName(u);
    sel.append(h('option', { value: u.open_id, text: [userName(u), dept, rolesText(u)].filter(Boolean).join(' · ') }));
  }
  if (state.me && !known.has(state.me)) sel.append(h('option', { value: state.me, text: `${tr('unknownUser')} (${state.me})` }));
  sel.value = state.me;
  const u = state.users.get(state.me);
  els.meta.replaceChildren(
    h('span', { class: 'avatar avatar-sm avatar-user', text: initial(userName(u) || '?') }),
    h(
      'span',
      { class: 'identity-text' },
      h('span', { class: 'identity-name', text: userName(u) || state.me }),
      h('span', { class: 'identity-roles', text: [deptName(u), rolesText(u)].filter(Boolean).join(' · ') }),
    ),
  );
}

function pickInitialUser() {
  const params = new URLSearchParams(location.search);
  const fromUrl = params.get('user');
  if (fromUrl) return fromUrl;
  const saved = localStorage.getItem(LS_USER);
  if (saved && state.users.has(saved)) return saved;
  return state.dir?.users?.[0]?.open_id ?? '';
}

async function switchUser(openId) {
  if (!openId || openId === state.me) return;
  state.me = openId;
  localStorage.setItem(LS_USER, openId);
  const url = new URL(location.href);
  if (url.searchParams.has('user')) {
    url.searchParams.set('user', openId);
    history.replaceState(null, '', url);
  }
  state.chatId = '';
  state.chats = [];
  state.unread.clear();
  state.history = [];
  clearMessages();
  renderPicker();
  connectStream();
  await loadChats(true);
}

// ---------------------------------------------------------------------------------------------
// chats

async function loadChats(openDefault = false) {
  if (!state.me) return;
  const me = state.me;
  let chats;
  try {
    chats = (await api.chats(me)).chats ?? [];
  } catch (e) {
    errorToast(tr('loadFailed'), e);
    return;
  }
  if (me !== state.me) return;
  // p2p with the bot first, then groups by name
  state.chats = [...chats].sort((a, b) => (a.chat_type === 'p2p' ? 0 : 1) - (b.chat_type === 'p2p' ? 0 : 1) || chatName(a).localeCompare(chatName(b)));
  renderChatList();
  if (openDefault || (state.chatId && !state.chats.some((c) => c.chat_id === state.chatId))) {
    const saved = localStorage.getItem(LS_CHAT + me);
    const target = state.chats.find((c) => c.chat_id === saved) ?? state.chats.find((c) => c.chat_type === 'p2p') ?? state.chats[0];
    if (target) await openChat(target.chat_id);
    else {
      state.chatId = '';
      clearMessages();
      renderChatHeader();
    }
  }
}

function renderChatList() {
  const hasP2p = state.chats.some((c) => c.chat_type === 'p2p');
  els.startP2p.hidden = hasP2p || !state.me;
  els.chatList.replaceChildren();
  for (const c of state.chats) {
    const name = chatName(c);
    const unread = state.unread.get(c.chat_id) ?? 0;
    const active = c.chat_id === state.chatId;
    const item = h(
      'li',
      { class: 'chat-li' },
      h(
        'button',
        {
          type: 'button',
          class: `chat-item${active ? ' active' : ''}`,
          'data-testid': 'chat-item',
          'data-chat-id': c.chat_id,
          'data-chat-type': c.chat_type,
          'aria-current': active ? 'true' : undefined,
          onclick: () => openChat(c.chat_id),
        },
        h('span', { class: `avatar ${c.chat_type === 'p2p' ? 'avatar-bot' : 'avatar-group'}`, text: c.chat_type === 'p2p' ? '密' : initial(name) }),
        h(
          'span',
          { class: 'chat-item-text' },
          h('span', { class: 'chat-item-name', text: name }),
          h('span', { class: 'chat-item-type', text: c.chat_type === 'p2p' ? tr('p2p') : tr('group') }),
        ),
        unread ? h('span', { class: 'badge', 'data-testid': 'unread', text: unread > 99 ? '99+' : String(unread) }) : null,
      ),
    );
    els.chatList.append(item);
  }
  const total = [...state.unread.values()].reduce((a, b) => a + b, 0);
  document.title = `${total ? `(${total}) ` : ''}${tr('appName')} · Sandbox`;
}

function currentChat() {
  return state.chats.find((c) => c.chat_id === state.chatId);
}

/** The people in a chat (the bot left out), for person pickers whose options are empty. */
function chatMembers(chatId) {
  const c = state.chats.find((x) => x.chat_id === chatId);
  const members = Array.isArray(c?.members) ? c.members : c?.chat_type === 'p2p' ? [state.me] : [];
  return members.filter((id) => id && id !== state.dir?.bot?.open_id);
}

function renderChatHeader() {
  const c = currentChat();
  els.chatTitle.textContent = c ? chatName(c) : tr('appName');
  els.chatSub.textContent = c ? (c.chat_type === 'p2p' ? tr('p2p') : tr('group')) : '';
  els.chatAvatar.textContent = c ? (c.chat_type === 'p2p' ? '密' : initial(chatName(c))) : '密';
  els.chatAvatar.className = `avatar ${c?.chat_type === 'group' ? 'avatar-group' : 'avatar-bot'}`;
  const isGroup = c?.chat_type === 'group';
  els.groupHint.hidden = !isGroup;
  els.composer.placeholder = isGroup ? tr('composerPlaceholderGroup') : tr('composerPlaceholder');
  const enabled = !!c;
  els.composer.disabled = !enabled;
  els.send.disabled = !enabled;
  for (const chip of els.chips.querySelectorAll('button')) /** @type {HTMLButtonElement} */ (chip).disabled = !enabled;
  els.empty.textContent = c ? tr('noMessages') : tr('noChat');
  els.empty.hidden = !!c && state.messages.length > 0;
}

async function openChat(chatId) {
  if (chatId !== state.chatId) {
    state.chatId = chatId;
    localStorage.setItem(LS_CHAT + state.me, chatId);
    clearMessages();
  }
  state.unread.delete(chatId);
  renderChatList();
  renderChatHeader();
  await refresh(true);
  if (window.matchMedia('(min-width: 761px)').matches) els.composer.focus();
}

async function startP2p() {
  els.startP2p.disabled = true;
  try {
    const r = await api.openP2p(state.me);
    await loadChats();
    if (r?.chat_id) await openChat(r.chat_id);
  } catch (e) {
    errorToast(tr('loadFailed'), e);
  } finally {
    els.startP2p.disabled = false;
  }
}

// ---------------------------------------------------------------------------------------------
// messages

function clearMessages() {
  state.messages = [];
  state.rendered.clear();
  els.list.replaceChildren();
  els.empty.hidden = false;
}

function rerenderMessages() {
  state.rendered.clear();
  els.list.replaceChildren();
  syncMessages(state.messages, false);
}

/** Fetch the open chat and bring the DOM up to date. Overlapping calls coalesce into one more run. */
async function refresh(scrollToEnd = false) {
  if (scrollToEnd) state.scrollPending = true;
  if (state.refreshing) {
    state.refreshAgain = true;
    return state.refreshing;
  }
  state.refreshing = (async () => {
    do {
      state.refreshAgain = false;
      const scroll = state.scrollPending;
      state.scrollPending = false;
      const chatId = state.chatId;
      const me = state.me;
      if (!chatId) break;
      try {
        const { messages = [] } = await api.messages(chatId, me);
        if (chatId !== state.chatId || me !== state.me) continue;
        state.messages = messages;
        syncMessages(messages, scroll);
      } catch (e) {
        if (!(e instanceof ApiError && e.status === 404)) errorToast(tr('loadFailed'), e);
      }
    } while (state.refreshAgain);
  })();
  try {
    await state.refreshing;
  } finally {
    state.refreshing = null;
  }
}

function signature(m) {
  return `${m.update_time ?? ''}|${m.updated ? 1 : 0}|${m.content ?? ''}|${JSON.stringify(m.card ?? null).length}`;
}

function syncMessages(messages, forceScroll) {
  const sc = els.scroller;
  const nearBottom = sc.scrollHeight - sc.scrollTop - sc.clientHeight < 120;
  let appended = false;
  let mine = false;
  const keep = new Set();
  messages.forEach((m, i) => {
    keep.add(m.message_id);
    const sig = signature(m);
    let entry = state.rendered.get(m.message_id);
    if (!entry) {
      entry = { el: renderMessage(m, messages), sig };
      state.rendered.set(m.message_id, entry);
      appended = true;
      if (m.sender?.id === state.me) mine = true;
    } else if (entry.sig !== sig) {
      const el = renderMessage(m, messages);
      entry.el.replaceWith(el);
      entry.el = el;
      entry.sig = sig;
    }
    if (els.list.children[i] !== entry.el) els.list.insertBefore(entry.el, els.list.children[i] ?? null);
  });
  for (const [id, entry] of state.rendered) {
    if (!keep.has(id)) {
      entry.el.remove();
      state.rendered.delete(id);
    }
  }
  els.empty.hidden = messages.length > 0 || !state.chatId;
  if (forceScroll || (appended && (nearBottom || mine))) {
    requestAnimationFrame(() => {
      sc.scrollTop = sc.scrollHeight;
    });
  }
}

function parseContent(m) {
  if (typeof m.content !== 'string') return m.content && typeof m.content === 'object' ? m.content : {};
  try {
    return JSON.parse(m.content) ?? {};
  } catch {
    return {};
  }
}

/** Plain text with Lark `<at user_id="…">Name</at>` mentions and bare links, as DOM nodes (no HTML parsing). */
function richText(text) {
  const frag = document.createDocumentFragment();
  const re = /<at\b[^>]*?(?:user_id|id|open_id)\s*=\s*["']?([^"'\s>]*)["']?[^>]*>(.*?)<\/at>|(https?:\/\/[^\s<>"']+)/gi;
  let last = 0;
  let m;
  while ((m = re.exec(text))) {
    if (m.index > last) frag.append(text.slice(last, m.index));
    if (m[3]) {
      frag.append(h('a', { href: m[3], target: '_blank', rel: 'noopener noreferrer', text: m[3] }));
    } else {
      const label = m[2] || (m[1] === 'all' ? (en() ? 'all' : '所有人') : (personName(m[1]) ?? m[1]));
      frag.append(h('span', { class: 'mention', text: `@${label}` }));
    }
    last = re.lastIndex;
  }
  if (last < text.length) frag.append(text.slice(last));
  return frag;
}

function postBody(content) {
  // post: {title, content: [[{tag, text, href, user_id}]]} or keyed by locale
  const post = content.content ? content : (content[state.lang] ?? content.zh_cn ?? content.en_us ?? Object.values(content)[0] ?? {});
  const box = h('div', { class: 'post' });
  if (post.title) box.append(h('div', { class: 'post-title', text: post.title }));
  for (const para of Array.isArray(post.content) ? post.content : []) {
    const p = h('div', { class: 'post-p' });
    for (const node of Array.isArray(para) ? para : []) {
      if (node?.tag === 'a' && /^https?:\/\//i.test(node.href ?? ''))
        p.append(h('a', { href: node.href, target: '_blank', rel: 'noopener noreferrer', text: node.text ?? node.href }));
      else if (node?.tag === 'at') p.append(h('span', { class: 'mention', text: `@${node.user_name ?? personName(node.user_id) ?? node.user_id ?? ''}` }));
      else if (typeof node?.text === 'string') p.append(richText(node.text));
    }
    box.append(p);
  }
  return box;
}

function renderMessage(m, all) {
  const senderType = m.sender?.type === 'app' ? 'app' : 'user';
  const isMe = senderType === 'user' && m.sender?.id === state.me;
  const name =
    senderType === 'app'
      ? (en() ? m.sender?.en_name : m.sender?.name) || m.sender?.name || botName()
      : (personName(m.sender?.id) ?? ((en() ? m.sender?.en_name : m.sender?.name) || m.sender?.name || m.sender?.id));
  const row = h('div', {
    class: `msg ${isMe ? 'from-me' : senderType === 'app' ? 'from-bot' : 'from-other'} msg-${m.msg_type}`,
    'data-testid': 'message',
    'data-message-id': m.message_id,
    'data-sender-type': senderType,
    'data-msg-type': m.msg_type,
  });
  const avatar = h('span', {
    class: `avatar ${senderType === 'app' ? 'avatar-bot' : isMe ? 'avatar-me' : 'avatar-user'}`,
    text: senderType === 'app' ? '密' : initial(name),
    title: name,
  });
  const main = h('div', { class: 'msg-main' });
  const meta = h(
    'div',
    { class: 'msg-meta' },
    h('span', { class: 'msg-sender', text: isMe ? tr('me') : name }),
    h('time', { class: 'msg-time', datetime: isoTime(m.create_time), text: fmtTime(m.create_time) }),
    m.updated ? h('span', { class: 'msg-updated', text: `· ${tr('updated')}` }) : null,
  );
  main.append(meta);

  if (m.parent_id) {
    const parent = all.find((x) => x.message_id === m.parent_id);
    if (parent) main.append(h('div', { class: 'msg-quote', text: `↩ ${previewText(parent)}` }));
  }

  const content = parseContent(m);
  switch (m.msg_type) {
    case 'text':
      main.append(h('div', { class: 'bubble' }, richText(m.text ?? content.text ?? '')));
      break;
    case 'post':
      main.append(h('div', { class: 'bubble' }, postBody(content)));
      break;
    case 'interactive': {
      const card =
        m.card ?? (content && typeof content === 'object' && (content.schema || content.body || content.elements || content.header) ? content : (content.data ?? content));
      main.append(
        renderCard(card, {
          locale: state.lang,
          onAction: (action) => doAction(m.message_id, action),
          resolvePerson: personName,
          chatMembers: chatMembers(m.chat_id),
          tzOffset: TZ_OFFSET,
        }),
      );
      break;
    }
    case 'file':
    case 'media': {
      const f = m.file ?? { file_key: content.file_key, file_name: content.file_name, size: content.size };
      const url = (typeof f.url === 'string' && /^(\/(?!\/)|https?:\/\/)/i.test(f.url) ? f.url : '') || (f.file_key ? api.fileUrl(f.file_key) : '#');
      main.append(
        h(
          'a',
          { class: 'file-card', 'data-testid': 'file-link', href: url, download: f.file_name || true, target: '_blank', rel: 'noopener' },
          h('span', { class: 'file-icon', 'aria-hidden': 'true' }),
          h(
            'span',
            { class: 'file-text' },
            h('span', { class: 'file-name', text: f.file_name || f.file_key || 'file' }),
            h('span', { class: 'file-size', text: [fmtSize(Number(f.size)), tr('download')].filter(Boolean).join(' · ') }),
          ),
        ),
      );
      break;
    }
    default:
      main.append(h('div', { class: 'bubble bubble-muted', text: `${tr('unsupportedMsg')}: ${m.msg_type}` }));
  }
  row.append(avatar, main);
  return row;
}

function previewText(m) {
  const c = parseContent(m);
  if (m.msg_type === 'text')
    return String(m.text ?? c.text ?? '')
      .replace(/<at\b[^>]*>(.*?)<\/at>/g, '@$1')
      .slice(0, 60);
  if (m.msg_type === 'interactive') {
    const title = m.card?.header?.title;
    return `[${en() ? 'Card' : '卡片'}] ${(en() ? title?.i18n_content?.en_us : title?.i18n_content?.zh_cn) ?? title?.content ?? ''}`;
  }
  if (m.msg_type === 'file') return `[${en() ? 'File' : '文件'}] ${m.file?.file_name ?? c.file_name ?? ''}`;
  return `[${m.msg_type}]`;
}

async function doAction(messageId, action) {
  const { tag, name, value, form_value, ...extra } = action;
  const body = { user: state.me, tag, name, value: value ?? {}, timezone: USER_TIMEZONE, ...extra };
  if (form_value !== undefined) body.form_value = form_value;
  try {
    const r = await api.action(messageId, body);
    if (r.toast) showToast(r.toast);
    else if (r.ok === false) showToast({ type: 'error', content: r.error || tr('actionFailed') });
    if (r.card_updated || r.ok !== false) await refresh();
  } catch (e) {
    if (e instanceof ApiError && e.data?.toast) showToast(e.data.toast);
    else errorToast(tr('actionFailed'), e);
  }
}

// ---------------------------------------------------------------------------------------------
// composer

async function sendText(text) {
  const chatId = state.chatId;
  const body = text.replace(/\s+$/, '');
  if (!chatId || !body.trim()) return;
  if (state.history[state.history.length - 1] !== body) state.history.push(body);
  state.historyPos = -1;
  els.send.disabled = true;
  try {
    const r = await api.send(chatId, state.me, body);
    const status = String(r?.delivery?.status ?? '');
    if (/fail|error|reject/i.test(status)) showToast({ type: 'warning', content: `${tr('sendFailed')}: ${status}` });
    await refresh(true);
    return true;
  } catch (e) {
    errorToast(tr('sendFailed'), e);
    return false;
  } finally {
    els.send.disabled = !state.chatId;
  }
}

async function submitComposer() {
  const text = els.composer.value;
  if (!text.trim()) return;
  els.composer.value = '';
  autosize();
  const ok = await sendText(text);
  if (ok === false && !els.composer.value) {
    els.composer.value = text;
    autosize();
  }
}

function withMention(text) {
  const c = currentChat();
  if (c?.chat_type !== 'group') return text;
  const name = state.dir?.bot?.name || '保密助手';
  if (text.includes(`@${name}`) || /@bot\b/i.test(text)) return text;
  return `@${name} ${text}`;
}

function autosize() {
  const c = els.composer;
  c.style.height = 'auto';
  c.style.height = `${Math.min(160, c.scrollHeight)}px`;
}

function recall(dir) {
  const hist = state.history;
  if (!hist.length) return false;
  if (state.historyPos === -1) {
    if (dir > 0) return false;
    state.draft = els.composer.value;
    state.historyPos = hist.length - 1;
  } else {
    const next = state.historyPos + dir;
    if (next >= hist.length) {
      state.historyPos = -1;
      els.composer.value = state.draft;
      autosize();
      return true;
    }
    state.historyPos = Math.max(0, next);
  }
  els.composer.value = hist[state.historyPos];
  autosize();
  const end = els.composer.value.length;
  els.composer.setSelectionRange(end, end);
  return true;
}

function wireComposer() {
  els.composer.addEventListener('keydown', (e) => {
    if (e.isComposing || e.keyCode === 229) return; // IME candidate window open: Enter picks a word
    if (e.key === 'Enter' && !e.shiftKey && !e.altKey && !e.ctrlKey && !e.metaKey) {
      e.preventDefault();
      submitComposer();
    } else if (e.key === 'ArrowUp' && (state.historyPos !== -1 || !els.composer.value || (els.composer.selectionStart === 0 && els.composer.selectionEnd === 0))) {
      if (recall(-1)) e.preventDefault();
    } else if (e.key === 'ArrowDown' && state.historyPos !== -1 && els.composer.selectionStart === els.composer.value.length) {
      if (recall(1)) e.preventDefault();
    }
  });
  els.composer.addEventListener('input', () => {
    state.historyPos = -1;
    autosize();
  });
  els.send.addEventListener('click', () => submitComposer());
  els.insertMention.addEventListener('click', () => {
    const name = state.dir?.bot?.name || '保密助手';
    const v = els.composer.value;
    if (!v.includes(`@${name}`)) els.composer.value = `@${name} ${v.replace(/^\s+/, '')}`;
    els.composer.focus();
    const end = els.composer.value.length;
    els.composer.setSelectionRange(end, end);
    autosize();
  });
  for (const cmd of QUICK_COMMANDS) {
    els.chips.append(h('button', { type: 'button', class: 'chip', 'data-testid': 'quick-command', 'data-command': cmd, text: cmd, onclick: () => sendText(withMention(cmd)) }));
  }
}

// ---------------------------------------------------------------------------------------------
// live updates

function setConnected(ok) {
  els.conn.dataset.state = ok ? 'online' : 'offline';
  els.conn.textContent = ok ? tr('online') : tr('offline');
}

function connectStream() {
  clearTimeout(state.streamTimer);
  state.stream?.close();
  state.stream = null;
  if (!state.me || typeof EventSource === 'undefined') return;
  const me = state.me;
  const es = new EventSource(api.streamUrl(me));
  state.stream = es;
  let opened = false;
  es.addEventListener('open', () => {
    const wasDown = state.streamRetry > 0;
    state.streamRetry = 0;
    opened = true;
    setConnected(true);
    if (wasDown) {
      // we may have missed events while disconnected
      loadChats();
      refresh();
    }
  });
  es.addEventListener('message', (ev) => {
    let data;
    try {
      data = JSON.parse(ev.data);
    } catch {
      return;
    }
    if (me !== state.me || !data?.chat_id) return;
    onStreamEvent(data);
  });
  es.addEventListener('error', () => {
    setConnected(false);
    if (es.readyState === EventSource.CLOSED || !opened) {
      // the browser gave up (or never got through): retry ourselves with backoff
      es.close();
      if (state.stream !== es) return;
      state.streamRetry++;
      const delay = Math.min(15000, 500 * 2 ** Math.min(5, state.streamRetry));
      state.streamTimer = setTimeout(() => {
        if (state.stream === es) connectStream();
      }, delay);
    } else {
      state.streamRetry = Math.max(1, state.streamRetry);
    }
  });
}

function onStreamEvent(ev) {
  if (ev.chat_id === state.chatId) {
    refresh();
    return;
  }
  const known = state.chats.some((c) => c.chat_id === ev.chat_id);
  if (ev.kind !== 'updated') state.unread.set(ev.chat_id, (state.unread.get(ev.chat_id) ?? 0) + 1);
  if (!known) loadChats(!state.chatId);
  else renderChatList();
}

// ---------------------------------------------------------------------------------------------
// start

async function main() {
  const params = new URLSearchParams(location.search);
  state.lang = normalizeLocale(params.get('lang') ?? localStorage.getItem(LS_LANG) ?? 'zh_cn');
  wireComposer();
  els.lang.addEventListener('change', () => {
    state.lang = normalizeLocale(els.lang.value);
    localStorage.setItem(LS_LANG, state.lang);
    applyLanguage();
    setConnected(els.conn.dataset.state === 'online');
  });
  els.picker.addEventListener('change', () => switchUser(els.picker.value));
  els.startP2p.addEventListener('click', () => startP2p());
  setConnected(false);
  applyLanguage();
  try {
    state.dir = await api.directory();
  } catch (e) {
    errorToast(tr('loadFailed'), e);
    return;
  }
  for (const u of state.dir.users ?? []) state.users.set(u.open_id, u);
  for (const d of state.dir.departments ?? []) {
    state.depts.set(d.department_id, d);
    if (d.open_department_id) state.depts.set(d.open_department_id, d);
  }
  state.me = pickInitialUser();
  if (!params.get('user') && state.me) localStorage.setItem(LS_USER, state.me);
  applyLanguage();
  connectStream();
  await loadChats(true);
  document.body.dataset.ready = 'true';
  // a slow safety net for a proxy that buffers the event stream
  setInterval(() => {
    if (els.conn.dataset.state !== 'online' && state.chatId) refresh();
  }, 15000);
}

main();
