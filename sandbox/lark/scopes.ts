/**
 * Which scopes Lark accepts for each Open API the stand-in serves (any one of them suffices:
 * "开启其中任意一项权限即可调用"), read from each API's open.feishu.cn page, and the answer for an
 * app that has none of them (99991672, body shape from
 * https://open.feishu.cn/document/uAjLw4CM/ugTN1YjL4UTN24CO1UjN/trouble-shooting/how-to-fix-the-99991672-error).
 *
 * The stand-in's app holds every scope unless a test takes some away (`OpenApi.denyScope`), so the
 * stand-in behaves as before by default. This table is the stand-in's own transcription, kept apart
 * from the bot's (bot/transports/lark/scopes.ts) on purpose.
 */
import type { ApiResult } from './openapi.js';

interface ScopedRoute {
  method: string;
  pattern: RegExp;
  scopes: readonly string[];
}

const SEG = '[^/]+';
const IM_SEND = ['im:message', 'im:message:send_as_bot', 'im:message:send'];
const CONTACT = ['contact:contact.base:readonly', 'contact:contact:access_as_app', 'contact:contact:readonly', 'contact:contact:readonly_as_app'];

export const SCOPED_ROUTES: readonly ScopedRoute[] = [
  // im-v1/message/create, im-v1/message/reply
  { method: 'POST', pattern: /^\/open-apis\/im\/v1\/messages\/?$/, scopes: IM_SEND },
  { method: 'POST', pattern: new RegExp(`^/open-apis/im/v1/messages/${SEG}/reply/?$`), scopes: IM_SEND },
  // im-v1/message-card/patch
  { method: 'PATCH', pattern: new RegExp(`^/open-apis/im/v1/messages/${SEG}/?$`), scopes: ['im:message', 'im:message:send_as_bot', 'im:message:update'] },
  // im-v1/file/create
  { method: 'POST', pattern: /^\/open-apis\/im\/v1\/files\/?$/, scopes: ['im:resource', 'im:resource:upload'] },
  // contact-v3 user/get, user/find_by_department, department/get, department/children
  { method: 'GET', pattern: /^\/open-apis\/contact\/v3\/users\/find_by_department\/?$/, scopes: CONTACT },
  { method: 'GET', pattern: new RegExp(`^/open-apis/contact/v3/users/${SEG}/?$`), scopes: CONTACT },
  { method: 'GET', pattern: new RegExp(`^/open-apis/contact/v3/departments/${SEG}/children/?$`), scopes: CONTACT },
  { method: 'GET', pattern: new RegExp(`^/open-apis/contact/v3/departments/${SEG}/?$`), scopes: CONTACT },
  // calendar-v4 calendar/primary, calendar-event/create|patch|delete, calendar-event-attendee/create
  { method: 'POST', pattern: /^\/open-apis\/calendar\/v4\/calendars\/primary\/?$/, scopes: ['calendar:calendar:read', 'calendar:calendar:readonly'] },
  { method: 'POST', pattern: new RegExp(`^/open-apis/calendar/v4/calendars/${SEG}/events/?$`), scopes: ['calendar:calendar', 'calendar:calendar.event:create'] },
  { method: 'PATCH', pattern: new RegExp(`^/open-apis/calendar/v4/calendars/${SEG}/events/${SEG}/?$`), scopes: ['calendar:calendar', 'calendar:calendar.event:update'] },
  { method: 'DELETE', pattern: new RegExp(`^/open-apis/calendar/v4/calendars/${SEG}/events/${SEG}/?$`), scopes: ['calendar:calendar', 'calendar:calendar.event:delete'] },
  { method: 'POST', pattern: new RegExp(`^/open-apis/calendar/v4/calendars/${SEG}/events/${SEG}/attendees/?$`), scopes: ['calendar:calendar', 'calendar:calendar.event:update'] },
];

/** The scopes Lark accepts for this call, or undefined when it needs none (tokens, bot info…). */
export function scopesOf(method: string, path: string): readonly string[] | undefined {
  return SCOPED_ROUTES.find((r) => r.method === method && r.pattern.test(path))?.scopes;
}

/** Lark's answer to a call the app has none of the scopes for. */
export function noScope(scopes: readonly string[], appId: string): ApiResult {
  const list = scopes.join(', ');
  return {
    status: 400,
    body: {
      code: 99991672,
      msg: `Access denied. One of the following scopes is required: [${list}].应用未开通所需的权限：[${list}]`,
      error: {
        message: 'Refer to the documentation to fix the error: https://open.feishu.cn/document/uAjLw4CM/ugTN1YjL4UTN24CO1UjN/trouble-shooting/how-to-fix-the-99991672-error',
        permission_violations: scopes.map((subject) => ({ type: 'action_scope_required', subject })),
        helps: [
          {
            url: `https://open.feishu.cn/app/${appId}/auth?q=${encodeURIComponent(scopes.join(','))}&op_from=openapi`,
            description: `Learn more about scopes and how to add them: [${list}]`,
          },
        ],
      },
    },
  };
}
