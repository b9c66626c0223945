import { App } from '../../bot/core/app.js';
import type { Locale } from '../../bot/core/config.js';
import { silentLogger } from '../../bot/core/logger.js';
import { Metrics } from '../../bot/core/metrics.js';
import { dedupe, errorBoundary, i18n, ignoreSelf, sequentialize } from '../../bot/core/middleware.js';
import type { Router } from '../../bot/core/router.js';
import type { CardActionEvent, CardJson, CardResponse, MessageEvent, OutMessage, Recipient, Sender, Services, SystemEvent, UserPrefsStore } from '../../bot/core/types.js';
import { MemoryDedupeStore } from '../../models/dedupe.model.js';

export interface Sent {
  op: 'send' | 'reply' | 'patch';
  to?: Recipient;
  messageId?: string;
  message?: OutMessage;
  card?: CardJson;
  uuid?: string;
}

/** Records every outgoing call; Lark's uuid de-duplication is emulated. */
export class FakeSender implements Sender {
  readonly sent: Sent[] = [];
  private n = 0;
  private readonly uuids = new Map<string, string>();
  async send(to: Recipient, message: OutMessage, opts: { uuid: string }) {
    return this.record({ op: 'send', to, message, uuid: opts.uuid });
  }
  async reply(messageId: string, message: OutMessage, opts: { uuid: string }) {
    return this.record({ op: 'reply', messageId, message, uuid: opts.uuid });
  }
  async patchCard(messageId: string, card: CardJson) {
    this.sent.push({ op: 'patch', messageId, card });
  }
  async uploadFile() {
    return { fileKey: `file_${++this.n}` };
  }
  private record(s: Sent) {
    const seen = s.uuid ? this.uuids.get(s.uuid) : undefined;
    if (seen) return { messageId: seen };
    const messageId = `om_fake_${++this.n}`;
    if (s.uuid) this.uuids.set(s.uuid, messageId);
    this.sent.push(s);
    return { messageId };
  }
  texts(): string[] {
    return this.sent.flatMap((s) => (s.message?.type === 'text' ? [s.message.text] : []));
  }
}

export class MemoryPrefs implements UserPrefsStore {
  readonly locales = new Map<string, Locale>();
  readonly welcomed = new Set<string>();
  async getLocale(t: string, u: string) {
    return this.locales.get(`${t}:${u}`);
  }
  async setLocale(t: string, u: string, l: Locale) {
    this.locales.set(`${t}:${u}`, l);
  }
  async markWelcomed(t: string, u: string) {
    const k = `${t}:${u}`;
    if (this.welcomed.has(k)) return false;
    this.welcomed.add(k);
    return true;
  }
}

export function fakeServices(overrides: Partial<Services> = {}): Services & { sender: FakeSender; prefs: MemoryPrefs } {
  return {
    sender: new FakeSender(),
    directory: { user: async () => undefined, department: async () => undefined, lookup: async () => undefined, activeUsers: async () => [] },
    logger: silentLogger,
    self: { appId: 'cli_0123456789abcdef', openId: 'ou_bot' },
    defaultLocale: 'zh-CN',
    timezone: 'Asia/Shanghai',
    prefs: new MemoryPrefs(),
    dedupe: new MemoryDedupeStore(),
    metrics: new Metrics(),
    now: () => new Date(),
    ...overrides,
  } as Services & { sender: FakeSender; prefs: MemoryPrefs };
}

export function appWith(router: Router, services = fakeServices()) {
  const app = new App(services);
  app.use(ignoreSelf, dedupe, sequentialize(), i18n, errorBoundary, router.middleware());
  return { app, services };
}

let seq = 0;
export function textEvent(text: string, over: Partial<MessageEvent> = {}): MessageEvent {
  const id = `om_test_${++seq}`;
  return {
    kind: 'message',
    id,
    messageId: id,
    eventId: `ev_${seq}`,
    tenantKey: 't1',
    createTime: Date.now(),
    raw: {},
    chatId: 'oc_p2p_1',
    chatType: 'p2p',
    sender: { openId: 'ou_alice', type: 'user' },
    messageType: 'text',
    text,
    mentions: [],
    addressedToBot: true,
    ...over,
  };
}

export function clickEvent(value: unknown, over: Partial<CardActionEvent> = {}): CardActionEvent {
  const token = `c-test-${++seq}`;
  return {
    kind: 'card_action',
    id: token,
    token,
    tenantKey: 't1',
    createTime: Date.now(),
    raw: {},
    operator: { openId: 'ou_alice' },
    chatId: 'oc_p2p_1',
    messageId: 'om_card_1',
    action: { tag: 'button', value },
    ...over,
  };
}

export function systemEvent(type: string, over: Partial<SystemEvent> = {}): SystemEvent {
  const id = `ev_sys_${++seq}`;
  return { kind: 'system', id, eventId: id, tenantKey: 't1', createTime: Date.now(), raw: {}, type, data: {}, ...over };
}

/** Dispatches and returns what was acked. */
export async function dispatch(app: App, event: Parameters<App['dispatch']>[0]): Promise<{ acks: (CardResponse | undefined)[] }> {
  const acks: (CardResponse | undefined)[] = [];
  await app.dispatch(event, (r) => acks.push(r));
  return { acks };
}
