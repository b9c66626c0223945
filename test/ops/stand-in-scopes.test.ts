/**
 * The stand-in can refuse scopes (for the doctor's tests): an API for which the app holds none of
 * the scopes Lark accepts answers 99991672 with Lark's body; by default nothing changes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLarkStandIn, type LarkStandIn } from '../../sandbox/lark/server.js';

const APP = { appId: 'cli_0123456789abcdef', appSecret: 'scope-test-secret' };
let standIn: LarkStandIn;
let token: string;

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${standIn.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  standIn = await startLarkStandIn({ ...APP });
  const r = await fetch(`${standIn.url}/open-apis/auth/v3/tenant_access_token/internal`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ app_id: APP.appId, app_secret: APP.appSecret }),
  });
  token = ((await r.json()) as { tenant_access_token: string }).tenant_access_token;
});

afterAll(async () => {
  await standIn?.stop();
});

describe('stand-in: denyScope', () => {
  it('by default every API answers as before', async () => {
    expect((await call('POST', '/open-apis/calendar/v4/calendars/primary')).body.code).toBe(0);
    expect((await call('GET', '/open-apis/contact/v3/users/ou_nobody?user_id_type=open_id')).body.code).toBe(41050);
  });

  it('an API with none of its scopes left answers 99991672, naming the scopes Lark accepts', async () => {
    standIn.denyScope('calendar:calendar:read', 'calendar:calendar:readonly');
    const r = await call('POST', '/open-apis/calendar/v4/calendars/primary');
    expect(r.status).toBe(400);
    expect(r.body.code).toBe(99991672);
    expect(r.body.msg).toMatch(/^Access denied\. One of the following scopes is required: \[calendar:calendar:read, calendar:calendar:readonly\]/);
    const error = r.body.error as { permission_violations: { type: string; subject: string }[] };
    expect(error.permission_violations).toEqual([
      { type: 'action_scope_required', subject: 'calendar:calendar:read' },
      { type: 'action_scope_required', subject: 'calendar:calendar:readonly' },
    ]);
    // Other APIs, and APIs needing no scope, are unaffected; the refusal is recorded like any call.
    expect((await call('GET', '/open-apis/bot/v3/info')).body.code).toBe(0);
    expect((await call('GET', '/open-apis/contact/v3/departments/0/children?page_size=1')).body.code).not.toBe(99991672);
    expect(standIn.calls.some((c) => c.path === '/open-apis/calendar/v4/calendars/primary' && (c.response as { code: number }).code === 99991672)).toBe(true);
  });

  it('one accepted scope left is enough; grantScope gives them back', async () => {
    standIn.grantScope('calendar:calendar:readonly');
    expect((await call('POST', '/open-apis/calendar/v4/calendars/primary')).body.code).toBe(0);
    standIn.denyScope('calendar:calendar:readonly');
    expect((await call('POST', '/open-apis/calendar/v4/calendars/primary')).body.code).toBe(99991672);
    standIn.grantScope();
    expect((await call('POST', '/open-apis/calendar/v4/calendars/primary')).body.code).toBe(0);
  });

  it('a missing token is still answered as a token error first', async () => {
    standIn.denyScope('im:message', 'im:message:send_as_bot', 'im:message:send');
    try {
      const res = await fetch(`${standIn.url}/open-apis/im/v1/messages?receive_id_type=open_id`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
      expect(((await res.json()) as { code: number }).code).toBe(99991661);
    } finally {
      standIn.grantScope();
    }
  });
});
