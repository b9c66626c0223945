/**
 * The app's Lark configuration, in one place: every Open API the bot calls (with the scopes Lark
 * accepts for it and a harmless probe for the doctor), every event and callback it handles, and the
 * capability it needs. `docs/lark-app.md` is generated from this file (`npm run docs:lark-app`);
 * test/ops/lark-app.test.ts fails when that file is stale or when the code calls an API or handles
 * an event that is not listed here (it scans the sources for `sender.call('<op>'`, SDK calls,
 * `/open-apis/…` paths, the router's system events and card actions).
 *
 * Scopes: Lark accepts ANY ONE of an API's scopes ("开启其中任意一项权限即可调用"); the first is the
 * one we recommend adding (the narrowest that covers what the bot does). Each entry names the
 * open.feishu.cn page its scopes were read from.
 */

/** The doctor's probes call through this (the SDK client's generic `request`). */
export interface ProbeClient {
  request(opts: { method: string; url: string; params?: Record<string, unknown>; data?: unknown }): Promise<unknown>;
}

export interface LarkApi {
  /** The op name the code passes to `sender.call` (and the metrics label). */
  op: string;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Path with `:params`. */
  path: string;
  /** The SDK method when the code calls it typed (`client.im.v1.message.create`), without `client.`. */
  sdk?: string;
  /** Lark accepts any one of these; the first is the one to add. Empty: no scope needed. */
  scopes: readonly string[];
  /** What the bot uses it for (docs/lark-app.md). */
  use: string;
  /** The open.feishu.cn page the scopes were read from. */
  doc: string;
  /** The scope names were not read from the page (it was not at hand): confirm them in the console. */
  unchecked?: true;
  /**
   * A call that changes nothing (a read, or a write aimed at an id that cannot exist, so Lark
   * answers a parameter error once the scope check passed). Undefined: not probed (no scope).
   */
  probe?: (c: ProbeClient) => Promise<unknown>;
}

export interface LarkEvent {
  /** The event type (`im.message.receive_v1`) or callback (`card.action.trigger`). */
  type: string;
  kind: 'event' | 'callback';
  /** Scopes the app needs to receive it (any one); empty: none beyond the bot capability. */
  scopes: readonly string[];
  use: string;
  doc: string;
  /** The scope names were not read from the page: confirm them in the console. */
  unchecked?: true;
}

const FEISHU = 'https://open.feishu.cn/document';
/** An id of the right shape that no message, chat or calendar has: probes aimed at it change nothing. */
const NOBODY = 'doctor_probe_nonexistent';

const IM_SEND = ['im:message:send_as_bot', 'im:message', 'im:message:send'] as const;
const CONTACT_READ = ['contact:contact.base:readonly', 'contact:contact:readonly_as_app', 'contact:contact:access_as_app', 'contact:contact:readonly'] as const;

export const LARK_APIS: readonly LarkApi[] = [
  {
    op: 'auth.tenant_access_token',
    method: 'POST',
    path: '/open-apis/auth/v3/tenant_access_token/internal',
    sdk: 'auth.v3.tenantAccessToken.internal',
    scopes: [],
    use: 'the tenant token for every other call; /healthz checks it',
    doc: `${FEISHU}/server-docs/authentication-management/access-token/tenant_access_token_internal`,
  },
  {
    op: 'bot.info',
    method: 'GET',
    path: '/open-apis/bot/v3/info',
    scopes: [],
    use: "the bot's own open_id (a group message counts as addressed only when the bot is @-mentioned)",
    doc: `${FEISHU}/client-docs/bot-v3/obtain-bot-info`,
  },
  {
    op: 'im.message.create',
    method: 'POST',
    path: '/open-apis/im/v1/messages',
    sdk: 'im.v1.message.create',
    scopes: IM_SEND,
    use: 'cards and notices to people and groups',
    doc: `${FEISHU}/uAjLw4CM/ukTMukTMukTM/reference/im-v1/message/create`,
    // An unknown receiver and an invalid msg_type: Lark answers a parameter error, sends nothing.
    probe: (c) =>
      c.request({
        method: 'POST',
        url: '/open-apis/im/v1/messages',
        params: { receive_id_type: 'chat_id' },
        data: { receive_id: `oc_${NOBODY}`, msg_type: 'doctor_probe', content: '{}' },
      }),
  },
  {
    op: 'im.message.reply',
    method: 'POST',
    path: '/open-apis/im/v1/messages/:message_id/reply',
    sdk: 'im.v1.message.reply',
    scopes: IM_SEND,
    use: 'answers to commands',
    doc: `${FEISHU}/uAjLw4CM/ukTMukTMukTM/reference/im-v1/message/reply`,
    probe: (c) => c.request({ method: 'POST', url: `/open-apis/im/v1/messages/om_${NOBODY}/reply`, data: { msg_type: 'doctor_probe', content: '{}' } }),
  },
  {
    op: 'im.message.patch',
    method: 'PATCH',
    path: '/open-apis/im/v1/messages/:message_id',
    sdk: 'im.v1.message.patch',
    scopes: ['im:message:send_as_bot', 'im:message', 'im:message:update'],
    use: 'redrawing approval and meeting cards when their state changes',
    doc: `${FEISHU}/server-docs/im-v1/message-card/patch`,
    probe: (c) => c.request({ method: 'PATCH', url: `/open-apis/im/v1/messages/om_${NOBODY}`, data: { content: '{}' } }),
  },
  {
    op: 'im.file.create',
    unchecked: true,
    method: 'POST',
    path: '/open-apis/im/v1/files',
    sdk: 'im.v1.file.create',
    scopes: ['im:resource', 'im:resource:upload'],
    use: 'ledger exports (/export) sent as files',
    doc: `${FEISHU}/server-docs/im-v1/file/create`,
    // Not multipart and no file: refused as a parameter error before anything is stored.
    probe: (c) => c.request({ method: 'POST', url: '/open-apis/im/v1/files', data: { file_type: 'stream', file_name: 'doctor-probe' } }),
  },
  {
    op: 'contact.user.get',
    method: 'GET',
    path: '/open-apis/contact/v3/users/:user_id',
    sdk: 'contact.v3.user.get',
    scopes: CONTACT_READ,
    use: 'checking every named person is real and active; names and departments on cards',
    doc: `${FEISHU}/uAjLw4CM/ukTMukTMukTM/reference/contact-v3/user/get`,
    probe: (c) => c.request({ method: 'GET', url: `/open-apis/contact/v3/users/ou_${NOBODY}`, params: { user_id_type: 'open_id' } }),
  },
  {
    op: 'contact.department.get',
    unchecked: true,
    method: 'GET',
    path: '/open-apis/contact/v3/departments/:department_id',
    sdk: 'contact.v3.department.get',
    scopes: CONTACT_READ,
    use: 'department names and leaders (the department head step of an approval)',
    doc: `${FEISHU}/uAjLw4CM/ukTMukTMukTM/reference/contact-v3/department/get`,
    probe: (c) => c.request({ method: 'GET', url: '/open-apis/contact/v3/departments/0', params: { department_id_type: 'open_department_id' } }),
  },
  {
    op: 'contact.department.children',
    unchecked: true,
    method: 'GET',
    path: '/open-apis/contact/v3/departments/:department_id/children',
    sdk: 'contact.v3.department.children',
    scopes: CONTACT_READ,
    use: 'the departments below the root, for person-picker candidates',
    doc: `${FEISHU}/uAjLw4CM/ukTMukTMukTM/reference/contact-v3/department/children`,
    probe: (c) => c.request({ method: 'GET', url: '/open-apis/contact/v3/departments/0/children', params: { department_id_type: 'open_department_id', page_size: 1 } }),
  },
  {
    op: 'contact.user.find_by_department',
    unchecked: true,
    method: 'GET',
    path: '/open-apis/contact/v3/users/find_by_department',
    sdk: 'contact.v3.user.findByDepartment',
    scopes: CONTACT_READ,
    use: "each department's members, for person-picker candidates",
    doc: `${FEISHU}/uAjLw4CM/ukTMukTMukTM/reference/contact-v3/user/find_by_department`,
    probe: (c) => c.request({ method: 'GET', url: '/open-apis/contact/v3/users/find_by_department', params: { department_id: '0', page_size: 1 } }),
  },
  {
    op: 'calendar.primary',
    method: 'POST',
    path: '/open-apis/calendar/v4/calendars/primary',
    scopes: ['calendar:calendar:readonly', 'calendar:calendar:read'],
    use: "the app's primary calendar, where committee meetings are put",
    doc: `${FEISHU}/uAjLw4CM/ukTMukTMukTM/reference/calendar-v4/calendar/primary`,
    probe: (c) => c.request({ method: 'POST', url: '/open-apis/calendar/v4/calendars/primary' }),
  },
  {
    op: 'calendar.event.create',
    unchecked: true,
    method: 'POST',
    path: '/open-apis/calendar/v4/calendars/:calendar_id/events',
    scopes: ['calendar:calendar', 'calendar:calendar.event:create'],
    use: 'a committee meeting as a calendar event',
    doc: `${FEISHU}/uAjLw4CM/ukTMukTMukTM/reference/calendar-v4/calendar-event/create`,
    probe: (c) => c.request({ method: 'POST', url: `/open-apis/calendar/v4/calendars/${NOBODY}/events`, data: {} }),
  },
  {
    op: 'calendar.event.attendee.create',
    unchecked: true,
    method: 'POST',
    path: '/open-apis/calendar/v4/calendars/:calendar_id/events/:event_id/attendees',
    scopes: ['calendar:calendar', 'calendar:calendar.event:update'],
    use: "the committee's members as the meeting's attendees",
    doc: `${FEISHU}/uAjLw4CM/ukTMukTMukTM/reference/calendar-v4/calendar-event-attendee/create`,
    probe: (c) =>
      c.request({ method: 'POST', url: `/open-apis/calendar/v4/calendars/${NOBODY}/events/${NOBODY}/attendees`, params: { user_id_type: 'open_id' }, data: { attendees: [] } }),
  },
  {
    op: 'calendar.event.patch',
    unchecked: true,
    method: 'PATCH',
    path: '/open-apis/calendar/v4/calendars/:calendar_id/events/:event_id',
    scopes: ['calendar:calendar', 'calendar:calendar.event:update'],
    use: 'a rescheduled meeting',
    doc: `${FEISHU}/uAjLw4CM/ukTMukTMukTM/reference/calendar-v4/calendar-event/patch`,
    probe: (c) => c.request({ method: 'PATCH', url: `/open-apis/calendar/v4/calendars/${NOBODY}/events/${NOBODY}`, data: {} }),
  },
  {
    op: 'calendar.event.delete',
    unchecked: true,
    method: 'DELETE',
    path: '/open-apis/calendar/v4/calendars/:calendar_id/events/:event_id',
    scopes: ['calendar:calendar', 'calendar:calendar.event:delete'],
    use: 'a cancelled meeting (attendees are told)',
    doc: `${FEISHU}/uAjLw4CM/ukTMukTMukTM/reference/calendar-v4/calendar-event/delete`,
    probe: (c) => c.request({ method: 'DELETE', url: `/open-apis/calendar/v4/calendars/${NOBODY}/events/${NOBODY}`, params: { need_notification: 'false' } }),
  },
];

export const LARK_EVENTS: readonly LarkEvent[] = [
  {
    type: 'im.message.receive_v1',
    unchecked: true,
    kind: 'event',
    scopes: ['im:message.p2p_msg:readonly', 'im:message.group_at_msg:readonly'],
    use: 'commands in the private chat (p2p_msg) and @-mentions in groups (group_at_msg): add both',
    doc: `${FEISHU}/uAjLw4CM/ukTMukTMukTM/reference/im-v1/message/events/receive`,
  },
  {
    type: 'im.chat.access_event.bot_p2p_chat_entered_v1',
    kind: 'event',
    scopes: [],
    use: 'the welcome card when someone opens the private chat',
    doc: `${FEISHU}/uAjLw4CM/ukTMukTMukTM/reference/im-v1/chat-access_event/events/bot_p2p_chat_entered`,
  },
  {
    type: 'p2p_chat_create',
    kind: 'event',
    scopes: [],
    use: 'the same welcome on tenants that still send the v1 event',
    doc: `${FEISHU}/ukTMukTMukTM/uYDNxYjL2QTM24iN0EjN/bot-events`,
  },
  {
    type: 'im.chat.member.bot.added_v1',
    kind: 'event',
    scopes: [],
    use: 'the introduction when the bot is added to a group',
    doc: `${FEISHU}/uAjLw4CM/ukTMukTMukTM/reference/im-v1/chat-member/events/added-2`,
  },
  {
    // Subscribing to contact events needs read access to the directory (the same scopes as user.get).
    type: 'contact.user.created_v3',
    unchecked: true,
    kind: 'event',
    scopes: [CONTACT_READ[0]],
    use: 'staff: a person who joins the organisation (onboarding duties)',
    doc: `${FEISHU}/uAjLw4CM/ukTMukTMukTM/reference/contact-v3/user/events/created`,
  },
  {
    type: 'contact.user.deleted_v3',
    unchecked: true,
    kind: 'event',
    scopes: [CONTACT_READ[0]],
    use: 'staff: a person who leaves (departure duties)',
    doc: `${FEISHU}/uAjLw4CM/ukTMukTMukTM/reference/contact-v3/user/events/deleted`,
  },
  {
    type: 'card.action.trigger',
    kind: 'callback',
    scopes: [],
    use: 'every card button and form (approvals, votes, replies, paging)',
    doc: `${FEISHU}/uAjLw4CM/ukTMukTMukTM/feishu-cards/card-callback-communication`,
  },
];

/** Lark's answers for a missing scope (the doctor names the scope to add). */
export const NO_SCOPE_CODES: ReadonlySet<number> = new Set([
  // Tenant token without the scope: "Access denied. One of the following scopes is required: […]"
  // (https://open.feishu.cn/document/uAjLw4CM/ugTN1YjL4UTN24CO1UjN/trouble-shooting/how-to-fix-the-99991672-error)
  99991672,
  // User token without the user's grant (https://open.feishu.cn/document/faq/trouble-shooting/how-to-resolve-error-99991679)
  99991679,
]);

export function apiByOp(op: string): LarkApi | undefined {
  return LARK_APIS.find((a) => a.op === op);
}

/** Every scope to add in the developer console: the recommended one of each API and event. */
export function scopesToAdd(): string[] {
  const out = new Set<string>();
  for (const a of LARK_APIS) if (a.scopes[0]) out.add(a.scopes[0]);
  for (const e of LARK_EVENTS) for (const s of e.scopes) out.add(s);
  return [...out].sort();
}

/** docs/lark-app.md (`npm run docs:lark-app` writes it; a test compares). */
export function renderLarkAppDoc(): string {
  const lines: string[] = [
    '# The Lark app: what to configure in the developer console',
    '',
    '<!-- Generated from bot/transports/lark/scopes.ts by `npm run docs:lark-app`. Do not edit by hand:',
    '     test/ops/lark-app.test.ts fails when this file and the code disagree. -->',
    '',
    'Create a custom app (企业自建应用) at https://open.feishu.cn/app (or open.larksuite.com), then:',
    '',
    '1. **Credentials** (凭证与基础信息): copy the App ID and App Secret into `LARK_APP_ID` and `LARK_APP_SECRET`.',
    '2. **Capability** (添加应用能力): add the **Bot** (机器人) capability.',
    "3. **Permissions** (权限管理): add every scope below (Lark accepts any one of an API's scopes; the one",
    '   listed first is the narrowest that does the job).',
    '4. **Events and callbacks** (事件与回调): choose the transport — *long connection* (使用长连接接收事件,',
    '   `LARK_TRANSPORT=ws`, nothing to expose) or *request URL* (`LARK_TRANSPORT=webhook`, URL',
    '   `https://<your host>/lark/events`, with an Encrypt Key in `LARK_ENCRYPT_KEY` and the Verification',
    '   Token in `LARK_VERIFICATION_TOKEN`) — for events **and** for callbacks, then subscribe to the',
    '   events and the callback below.',
    '5. **Availability** (可用范围): everyone who should use the bot; **contact range** (通讯录权限范围):',
    '   the whole organisation (the bot checks every named person in the directory).',
    '6. Publish a version (创建版本并发布) and have the tenant administrator approve it.',
    '',
    'Then run `npm run doctor` (or `/doctor` as an administrator): it calls each API below harmlessly and',
    'names any scope still missing.',
    '',
    'Rows marked † name scopes that were not read from their Lark page (the page was not at hand when the',
    'list was written): confirm them in the console; `npm run doctor` shows whether the app holds what Lark',
    'actually checks.',
    '',
    '## Scopes to add',
    '',
    ...scopesToAdd().map((s) => `- \`${s}\``),
    '',
    '## Open API calls',
    '',
    '| API | Scope to add | Also accepted | Used for | Lark page |',
    '| --- | --- | --- | --- | --- |',
    ...LARK_APIS.map(
      (a) =>
        `| \`${a.method} ${a.path}\` | ${a.scopes[0] ? `\`${a.scopes[0]}\`` : 'none'} | ${
          a.scopes.length > 1
            ? a.scopes
                .slice(1)
                .map((s) => `\`${s}\``)
                .join(', ')
            : '—'
        } | ${a.use} | [page](${a.doc})${a.unchecked ? ' †' : ''} |`,
    ),
    '',
    '## Events and callbacks to subscribe to',
    '',
    '| Type | Kind | Scopes | Used for | Lark page |',
    '| --- | --- | --- | --- | --- |',
    ...LARK_EVENTS.map(
      (e) => `| \`${e.type}\` | ${e.kind} | ${e.scopes.length ? e.scopes.map((s) => `\`${s}\``).join(', ') : 'none'} | ${e.use} | [page](${e.doc})${e.unchecked ? ' †' : ''} |`,
    ),
    '',
  ];
  return lines.join('\n');
}
