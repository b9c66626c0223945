import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startLarkStandIn, type LarkStandIn } from '../../../sandbox/lark/server.js';
import { APP_ID, APP_SECRET, org, sampleCard, sdkClient, userByEn } from './helpers.js';

let s: LarkStandIn;
const liNa = userByEn('Li Na');
const committee = org.org.chats.find((c) => c.en_name === 'Confidentiality Committee');
const finance = org.org.chats.find((c) => c.en_name === 'Finance Team');
const rnd = org.departments.find((d) => d.en_name === 'R&D');

beforeAll(async () => {
  s = await startLarkStandIn({ appId: APP_ID, appSecret: APP_SECRET });
});
afterAll(async () => {
  await s.stop();
});
beforeEach(() => {
  s.clearCalls();
  s.clearFaults();
  s.setLatency(0);
});

/** The SDK throws axios errors (its own axios copy, so no instanceof). */
interface HttpError {
  isAxiosError: true;
  response?: { status: number; data: unknown; headers: Record<string, string> };
}
function asHttpError(e: unknown): HttpError {
  if (typeof e === 'object' && e !== null && (e as { isAxiosError?: unknown }).isAxiosError === true) return e as HttpError;
  throw e instanceof Error ? e : new Error(`expected an HTTP error, got ${JSON.stringify(e)}`);
}
function errorData(e: unknown): { status?: number; code?: number; msg?: string } {
  const r = asHttpError(e).response;
  const d = r?.data as { code?: number; msg?: string } | undefined;
  return { status: r?.status, code: d?.code, msg: d?.msg };
}

describe('Open API through the real SDK Client', () => {
  it('sends text and interactive messages, replies, patches and gets them', async () => {
    const client = sdkClient(s.url);
    const text = await client.im.v1.message.create({
      params: { receive_id_type: 'open_id' },
      data: { receive_id: liNa.open_id, msg_type: 'text', content: JSON.stringify({ text: '你好 hello' }) },
    });
    expect(text.code).toBe(0);
    const textId = text.data?.message_id ?? '';
    expect(textId).toMatch(/^om_[0-9a-f]{32}$/);
    expect(text.data?.sender).toEqual({ id: APP_ID, id_type: 'app_id', sender_type: 'app', tenant_key: org.tenantKey });
    const p2p = s.p2pChatId(liNa.open_id);
    expect(text.data?.chat_id).toBe(p2p);

    const card = await client.im.v1.message.create({
      params: { receive_id_type: 'chat_id' },
      data: { receive_id: committee?.chat_id ?? '', msg_type: 'interactive', content: JSON.stringify(sampleCard('待审批')) },
    });
    expect(card.code).toBe(0);
    const cardId = card.data?.message_id ?? '';

    const reply = await client.im.v1.message.reply({
      path: { message_id: textId },
      data: { msg_type: 'text', content: JSON.stringify({ text: '回复' }), reply_in_thread: true },
    });
    expect(reply.data?.parent_id).toBe(textId);
    expect(reply.data?.root_id).toBe(textId);
    expect(reply.data?.thread_id).toMatch(/^omt_/);

    const patched = await client.im.v1.message.patch({
      path: { message_id: cardId },
      data: { content: JSON.stringify(sampleCard('已同意')) },
    });
    expect(patched.code).toBe(0);
    const got = await client.im.v1.message.get({ path: { message_id: cardId } });
    const item = got.data?.items?.[0];
    expect(item?.updated).toBe(true);
    expect(JSON.parse(item?.body?.content ?? '{}')).toMatchObject({ header: { title: { content: '已同意' } } });
    expect(Number(item?.update_time)).toBeGreaterThanOrEqual(Number(item?.create_time));

    // Every call was recorded, the token call first, the authorization value redacted.
    const paths = s.calls.map((c) => `${c.method} ${c.path}`);
    expect(paths[0]).toBe('POST /open-apis/auth/v3/tenant_access_token/internal');
    expect(paths).toContain(`PATCH /open-apis/im/v1/messages/${cardId}`);
    const create = s.calls.find((c) => c.path === '/open-apis/im/v1/messages');
    expect(create?.query).toEqual({ receive_id_type: 'open_id' });
    expect(create?.headers['authorization']).toBe('<redacted>');
    expect(create?.auth).toBe('valid');
    expect(create?.status).toBe(200);
    expect(create?.response).toMatchObject({ code: 0, data: { message_id: textId } });
  });

  it('dedupes sends with the same uuid', async () => {
    const client = sdkClient(s.url);
    const send = () =>
      client.im.v1.message.create({
        params: { receive_id_type: 'open_id' },
        data: { receive_id: liNa.open_id, msg_type: 'text', content: JSON.stringify({ text: 'once' }), uuid: 'notice:1:li' },
      });
    const before = s.messages().length;
    const a = await send();
    const b = await send();
    expect(b.data?.message_id).toBe(a.data?.message_id);
    expect(s.messages().length).toBe(before + 1);
  });

  it('validates messages like Lark', async () => {
    const client = sdkClient(s.url);
    const codeOf = async (p: Promise<unknown>) =>
      errorData(
        await p.then(
          () => undefined,
          (e: unknown) => e,
        ),
      );
    expect(
      await codeOf(
        client.im.v1.message.create({
          params: { receive_id_type: 'open_id' },
          data: { receive_id: 'ou_00000000000000000000000000000000', msg_type: 'text', content: '{"text":"x"}' },
        }),
      ),
    ).toMatchObject({ status: 400, code: 230013 });
    expect(
      await codeOf(
        client.im.v1.message.create({
          params: { receive_id_type: 'chat_id' },
          data: { receive_id: finance?.chat_id ?? '', msg_type: 'text', content: '{"text":"x"}' },
        }),
      ),
    ).toMatchObject({ code: 230002 });
    const big = sampleCard('big', { body: { elements: [{ tag: 'markdown', content: 'x'.repeat(31 * 1024) }] } });
    expect(
      await codeOf(
        client.im.v1.message.create({
          params: { receive_id_type: 'open_id' },
          data: { receive_id: liNa.open_id, msg_type: 'interactive', content: JSON.stringify(big) },
        }),
      ),
    ).toMatchObject({ code: 230025 });
    expect(
      await codeOf(
        client.im.v1.message.create({
          params: { receive_id_type: 'open_id' },
          data: { receive_id: liNa.open_id, msg_type: 'interactive', content: JSON.stringify(sampleCard('x', { i18n_elements: {} })) },
        }),
      ),
    ).toMatchObject({ code: 230099 });
    expect(
      await codeOf(
        client.im.v1.message.create({
          params: { receive_id_type: 'open_id' },
          data: { receive_id: liNa.open_id, msg_type: 'text', content: 'not json' },
        }),
      ),
    ).toMatchObject({ code: 230001 });
    expect(
      await codeOf(
        client.im.v1.message.create({
          params: { receive_id_type: 'open_id' },
          data: { receive_id: liNa.open_id, msg_type: 'bogus', content: '{}' },
        }),
      ),
    ).toMatchObject({ code: 230001 });
  });

  // The stand-in refuses, with Lark's codes, what the card validator (cards/card.schema.ts) refuses:
  // 230025 when the body as sent is over 30 KB (https://open.feishu.cn/document/server-docs/im-v1/message/create),
  // 230099 for an invalid card (a table column 60px wide: the table page allows auto, [80,600]px, %).
  it('measures 30 KB on the card as sent and refuses invalid cards on create, reply and patch', async () => {
    const client = sdkClient(s.url);
    const codeOf = (p: Promise<unknown>) =>
      p.then(
        (r) => (r as { code?: number }).code,
        (e: unknown) => errorData(e).code,
      );
    // 24 K quotes: ~24 KB of card JSON, but ~48 KB once escaped inside `content`.
    const quoted = sampleCard('q', { body: { elements: [{ tag: 'markdown', content: '"'.repeat(12 * 1024) }] } });
    expect(JSON.stringify(quoted).length).toBeLessThan(30 * 1024);
    const create = (card: unknown) =>
      client.im.v1.message.create({ params: { receive_id_type: 'open_id' }, data: { receive_id: liNa.open_id, msg_type: 'interactive', content: JSON.stringify(card) } });
    const before = s.openapi.cardRefusals.length;
    expect(await codeOf(create(quoted))).toBe(230025);
    const table = (width: string) =>
      sampleCard('t', { body: { elements: [{ tag: 'table', page_size: 5, columns: [{ name: 'n', display_name: '#', data_type: 'number', width }], rows: [{ n: 1 }] }] } });
    expect(await codeOf(create(table('60px')))).toBe(230099);
    const sent = await create(table('80px'));
    expect(sent.code).toBe(0);
    const id = sent.data?.message_id ?? '';
    expect(await codeOf(client.im.v1.message.reply({ path: { message_id: id }, data: { msg_type: 'interactive', content: JSON.stringify(table('601px')) } }))).toBe(230099);
    expect(await codeOf(client.im.v1.message.patch({ path: { message_id: id }, data: { content: JSON.stringify(table('auto')) } }))).toBe(0);
    expect(await codeOf(client.im.v1.message.patch({ path: { message_id: id }, data: { content: JSON.stringify(quoted) } }))).toBe(230025);
    expect(s.openapi.cardRefusals.slice(before).map((r) => [r.where, r.code])).toEqual([
      ['message create / reply', 230025],
      ['message create / reply', 230099],
      ['message create / reply', 230099],
      ['message patch', 230025],
    ]);
    s.openapi.cardRefusals.splice(before);
  });

  it('refuses patches outside the 14-day window', async () => {
    const client = sdkClient(s.url);
    const sent = await client.im.v1.message.create({
      params: { receive_id_type: 'open_id' },
      data: { receive_id: liNa.open_id, msg_type: 'interactive', content: JSON.stringify(sampleCard('old')) },
    });
    const id = sent.data?.message_id ?? '';
    s.backdateMessage(id, 15 * 24 * 3600 * 1000);
    const e = await client.im.v1.message.patch({ path: { message_id: id }, data: { content: JSON.stringify(sampleCard('new')) } }).catch((x: unknown) => x);
    expect(errorData(e)).toMatchObject({ code: 230031 });
  });

  it('reads users and departments (with leader_user_id)', async () => {
    const client = sdkClient(s.url);
    const u = await client.contact.v3.user.get({ path: { user_id: liNa.open_id }, params: { user_id_type: 'open_id' } });
    expect(u.data?.user).toMatchObject({ open_id: liNa.open_id, name: '李娜', en_name: 'Li Na' });
    const deptId = u.data?.user?.department_ids?.[0] ?? '';
    expect(deptId).toMatch(/^od-/);
    expect(u.data?.user?.leader_user_id).toBe(userByEn('Zhang Wei').open_id);

    const d = await client.contact.v3.department.get({
      path: { department_id: rnd?.open_department_id ?? '' },
      params: { department_id_type: 'open_department_id', user_id_type: 'open_id' },
    });
    expect(d.data?.department).toMatchObject({
      name: '研发部',
      i18n_name: { zh_cn: '研发部', en_us: 'R&D' },
      leader_user_id: userByEn('Yang Fan').open_id,
      department_id: 'D300',
    });
    const byCustom = await client.contact.v3.department.get({ path: { department_id: 'D300' }, params: { department_id_type: 'department_id' } });
    expect(byCustom.data?.department?.open_department_id).toBe(rnd?.open_department_id);

    const e = await client.contact.v3.user.get({ path: { user_id: 'ou_nobody' } }).catch((x: unknown) => x);
    expect(errorData(e)).toMatchObject({ status: 400, code: 41050 });
  });

  it('uploads a file and sends it as a file message', async () => {
    const client = sdkClient(s.url);
    const bytes = Buffer.from('%PDF-1.4 保密 test file\n');
    const up = await client.im.v1.file.create({ data: { file_type: 'stream', file_name: '台账 2024.pdf', file: bytes } });
    const key = up?.file_key ?? '';
    expect(key).toMatch(/^file_/);
    expect(s.store.files.get(key)?.bytes.equals(bytes)).toBe(true);
    expect(s.store.files.get(key)?.file_name).toBe('台账 2024.pdf');
    const sent = await client.im.v1.message.create({
      params: { receive_id_type: 'open_id' },
      data: { receive_id: liNa.open_id, msg_type: 'file', content: JSON.stringify({ file_key: key }) },
    });
    expect(sent.code).toBe(0);
    const call = s.calls.find((c) => c.path === '/open-apis/im/v1/files');
    expect(call?.body).toMatchObject({ file_type: 'stream', file_name: '台账 2024.pdf', file: { size: bytes.length } });
  });

  it('reads chats and members, creates a group, and creates calendar events', async () => {
    const client = sdkClient(s.url);
    const chat = await client.im.v1.chat.get({ path: { chat_id: committee?.chat_id ?? '' } });
    expect(chat.data).toMatchObject({ name: '保密委员会', chat_mode: 'group' });
    const members = await client.im.v1.chatMembers.get({ path: { chat_id: committee?.chat_id ?? '' } });
    expect(members.data?.items?.length).toBe(committee?.members.length);
    expect(members.data?.has_more).toBe(false);

    const created = await client.im.v1.chat.create({
      params: { user_id_type: 'open_id' },
      data: { name: '专项检查组', user_id_list: [liNa.open_id, userByEn('Zhang Wei').open_id] },
    });
    expect(created.data?.chat_id).toMatch(/^oc_/);

    const primary = await client.calendar.v4.calendar.primary({});
    const calId = primary.data?.calendars?.[0]?.calendar?.calendar_id ?? '';
    expect(calId).toContain('@group.calendar');
    const ev = await client.calendar.v4.calendarEvent.create({
      path: { calendar_id: calId },
      data: { summary: '保密委员会会议', start_time: { timestamp: '1767225600' }, end_time: { timestamp: '1767229200' } },
    });
    const eventId = ev.data?.event?.event_id ?? '';
    expect(ev.data?.event?.summary).toBe('保密委员会会议');
    const att = await client.calendar.v4.calendarEventAttendee.create({
      path: { calendar_id: calId, event_id: eventId },
      params: { user_id_type: 'open_id' },
      data: { attendees: [{ type: 'user', user_id: liNa.open_id }] },
    });
    expect(att.data?.attendees?.[0]).toMatchObject({ type: 'user', user_id: liNa.open_id, display_name: '李娜' });
    expect(s.openapi.calendarEvents.get(eventId)?.attendees.length).toBe(1);
  });

  it('batch_send records one unpatchable message per recipient', async () => {
    const client = sdkClient(s.url);
    const r = await client.request<{ code: number; data: { message_id: string; invalid_open_ids: string[] } }>({
      method: 'POST',
      url: '/open-apis/message/v4/batch_send/',
      data: { msg_type: 'text', content: { text: '通知' }, open_ids: [liNa.open_id, 'ou_bogus'], department_ids: ['D400'] },
    });
    expect(r.code).toBe(0);
    expect(r.data.message_id).toMatch(/^bm-/);
    expect(r.data.invalid_open_ids).toEqual(['ou_bogus']);
    const batch = s.messages((m) => m.batch_id === r.data.message_id);
    expect(batch.length).toBe(3); // Li Na + the two members of Finance
  });

  it('requires a valid token and lets the client recover after invalidation', async () => {
    const res = await fetch(`${s.url}/open-apis/im/v1/messages/om_x`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 99991661 });
    const bad = await fetch(`${s.url}/open-apis/im/v1/messages/om_x`, { headers: { Authorization: 'Bearer t-nope' } });
    expect(await bad.json()).toMatchObject({ code: 99991663 });

    const wrong = await fetch(`${s.url}/open-apis/auth/v3/tenant_access_token/internal`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ app_id: APP_ID, app_secret: 'wrong' }),
    });
    expect(await wrong.json()).toMatchObject({ code: 10014, msg: 'app secret invalid' });

    const client = sdkClient(s.url);
    const send = () =>
      client.im.v1.message.create({
        params: { receive_id_type: 'open_id' },
        data: { receive_id: liNa.open_id, msg_type: 'text', content: '{"text":"x"}' },
      });
    await send();
    s.invalidateTokens();
    // The SDK keeps its cached token: the next call fails with 99991663 (the bot must clear and retry).
    expect(errorData(await send().catch((e: unknown) => e))).toMatchObject({ code: 99991663 });
  });

  it('injects 429 / 500 and latency', async () => {
    const client = sdkClient(s.url);
    await client.contact.v3.user.get({ path: { user_id: liNa.open_id } });
    s.failNext('/open-apis/im/v1/messages', { status: 429, resetSeconds: 3 }, 1);
    const e = await client.im.v1.message
      .create({ params: { receive_id_type: 'open_id' }, data: { receive_id: liNa.open_id, msg_type: 'text', content: '{"text":"x"}' } })
      .catch((x: unknown) => x);
    const ax = asHttpError(e);
    expect(ax.response?.status).toBe(429);
    expect(ax.response?.headers['x-ogw-ratelimit-reset']).toBe('3');
    expect(ax.response?.data).toEqual({ code: 99991400, msg: 'request trigger frequency limit' });
    // Only one call failed.
    const ok = await client.im.v1.message.create({
      params: { receive_id_type: 'open_id' },
      data: { receive_id: liNa.open_id, msg_type: 'text', content: '{"text":"x"}' },
    });
    expect(ok.code).toBe(0);

    s.failNext('/open-apis/contact', { status: 500 }, 2);
    for (let i = 0; i < 2; i++) {
      const x = await client.contact.v3.user.get({ path: { user_id: liNa.open_id } }).catch((y: unknown) => y);
      expect(asHttpError(x).response?.status).toBe(500);
    }
    expect((await client.contact.v3.user.get({ path: { user_id: liNa.open_id } })).code).toBe(0);

    s.setLatency(120);
    const t0 = Date.now();
    await client.contact.v3.user.get({ path: { user_id: liNa.open_id } });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(110);

    const unknown = await fetch(`${s.url}/open-apis/nope/v1/x`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: 404 });
  });
});
