// The sandbox JSON API, as served by the Lark stand-in. Every call the page makes goes through here.

export class ApiError extends Error {
  constructor(message, status, data) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.data = data;
  }
}

async function call(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
  });
  let data = null;
  const text = await res.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { error: text.slice(0, 200) };
    }
  }
  if (!res.ok) throw new ApiError(data?.error || data?.msg || `${res.status} ${res.statusText}`, res.status, data);
  return data ?? {};
}

const q = encodeURIComponent;

export const api = {
  directory: () => call('GET', '/sandbox/api/directory'),
  chats: (user) => call('GET', `/sandbox/api/chats?user=${q(user)}`),
  openP2p: (user) => call('POST', '/sandbox/api/chats/p2p', { user }),
  messages: (chatId, user) => call('GET', `/sandbox/api/chats/${q(chatId)}/messages?user=${q(user)}`),
  send: (chatId, user, text) => call('POST', `/sandbox/api/chats/${q(chatId)}/messages`, { user, text }),
  action: (messageId, body) => call('POST', `/sandbox/api/messages/${q(messageId)}/actions`, body),
  streamUrl: (user) => `/sandbox/api/stream?user=${q(user)}`,
  fileUrl: (fileKey) => `/sandbox/api/files/${q(fileKey)}`,
};
