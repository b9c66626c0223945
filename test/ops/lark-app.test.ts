/**
 * The app's Lark configuration has one source, bot/transports/lark/scopes.ts: docs/lark-app.md is
 * generated from it, and everything the code asks of Lark — read from the sources mechanically, so
 * a feature added later is caught too — must be listed there with its scopes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LARK_APIS, LARK_EVENTS, renderLarkAppDoc, scopesToAdd } from '../../bot/transports/lark/scopes.js';
import { SCOPED_ROUTES } from '../../sandbox/lark/scopes.js';
import { emptyUsage, pathMayBe, ROOT, scanSources, scanText } from './scan.js';

const usage = scanSources();
const where = (f: { file: string; value: string }) => `${f.value} (${f.file})`;

describe('docs/lark-app.md', () => {
  it('is generated from bot/transports/lark/scopes.ts and current (npm run docs:lark-app)', () => {
    const onDisk = readFileSync(join(ROOT, 'docs', 'lark-app.md'), 'utf8');
    expect(onDisk, 'docs/lark-app.md is stale: run npm run docs:lark-app').toBe(renderLarkAppDoc());
  });

  it('lists every scope to add, every API and every event', () => {
    const doc = renderLarkAppDoc();
    for (const s of scopesToAdd()) expect(doc).toContain(`- \`${s}\``);
    for (const a of LARK_APIS) expect(doc).toContain(`\`${a.method} ${a.path}\``);
    for (const e of LARK_EVENTS) expect(doc).toContain(`\`${e.type}\``);
  });
});

describe('every Lark call and event in the code is listed in scopes.ts', () => {
  it('the scan finds the calls the bot is known to make (the scanner works)', () => {
    expect(usage.ops.map((o) => o.value)).toEqual(expect.arrayContaining(['im.message.create', 'contact.user.get', 'calendar.event.create', 'bot.info']));
    expect(usage.sdk.map((o) => o.value)).toEqual(expect.arrayContaining(['im.v1.message.create', 'contact.v3.user.findByDepartment', 'auth.v3.tenantAccessToken.internal']));
    expect(usage.paths.map((o) => o.value)).toEqual(expect.arrayContaining(['/open-apis/bot/v3/info', '/open-apis/calendar/v4/calendars/']));
    expect(usage.events.map((o) => o.value)).toEqual(expect.arrayContaining(['im.message.receive_v1', 'card.action.trigger', 'im.chat.member.bot.added_v1']));
    expect(usage.cardActions.length).toBeGreaterThan(0);
  });

  it('the scan catches a call a new feature would add', () => {
    const u = emptyUsage();
    scanText(
      'handlers/new/index.ts',
      [
        "await sender.call('im.chat.create', () => sender.client.im.v1.chat.create({ data }));",
        'await c.request({ url: `/open-apis/approval/v4/instances/$',
        "{id}` }); router.system('im.chat.disbanded_v1', h);",
      ].join(''),
      u,
    );
    const ops = new Set(LARK_APIS.map((a) => a.op));
    expect(u.ops.map((o) => o.value).filter((o) => !ops.has(o))).toEqual(['im.chat.create']);
    expect(u.sdk.map((o) => o.value)).toEqual(['im.v1.chat.create']);
    expect(u.paths.map((p) => p.value).filter((p) => !LARK_APIS.some((a) => pathMayBe(p, a.path)))).toEqual(['/open-apis/approval/v4/instances/']);
    expect(u.events.map((e) => e.value)).toEqual(['im.chat.disbanded_v1']);
  });

  it('every op passed to sender.call is listed', () => {
    const ops = new Set(LARK_APIS.map((a) => a.op));
    expect(usage.ops.filter((o) => !ops.has(o.value)).map(where)).toEqual([]);
  });

  it('every typed SDK call is listed', () => {
    const sdk = new Set(LARK_APIS.flatMap((a) => (a.sdk ? [a.sdk] : [])));
    expect(usage.sdk.filter((o) => !sdk.has(o.value)).map(where)).toEqual([]);
  });

  it('every Open API path the code builds is listed', () => {
    expect(usage.paths.filter((p) => !LARK_APIS.some((a) => pathMayBe(p.value, a.path))).map(where)).toEqual([]);
  });

  it('every event the router or the normaliser handles is listed, and card actions need the callback', () => {
    const types = new Set(LARK_EVENTS.map((e) => e.type));
    expect(usage.events.filter((e) => !types.has(e.value)).map(where)).toEqual([]);
    if (usage.cardActions.length) expect(types.has('card.action.trigger')).toBe(true);
  });

  it('nothing listed is unused (a stale entry would ask admins for scopes the bot does not need)', () => {
    const usedOps = new Set([...usage.ops.map((o) => o.value)]);
    const usedSdk = new Set(usage.sdk.map((o) => o.value));
    const unused = LARK_APIS.filter((a) => !usedOps.has(a.op) && !(a.sdk && usedSdk.has(a.sdk))).map((a) => a.op);
    expect(unused).toEqual([]);
    const usedEvents = new Set(usage.events.map((e) => e.value));
    expect(LARK_EVENTS.filter((e) => !usedEvents.has(e.type)).map((e) => e.type)).toEqual([]);
  });
});

describe('scopes.ts entries', () => {
  it('name their Lark page, and every API that needs a scope has a probe for the doctor', () => {
    for (const a of LARK_APIS) {
      expect(a.doc, a.op).toMatch(/^https:\/\/open\.feishu\.cn\/document\//);
      expect(new Set(a.scopes).size, a.op).toBe(a.scopes.length);
      if (a.scopes.length) expect(a.probe, `${a.op} needs a harmless probe`).toBeTypeOf('function');
    }
    for (const e of LARK_EVENTS) expect(e.doc, e.type).toMatch(/^https:\/\/open\.feishu\.cn\/document\//);
  });

  it('agree with the stand-in’s own transcription of the same pages (same scopes per API)', () => {
    for (const a of LARK_APIS) {
      const samplePath = a.path.replace(/:[a-z_]+/g, 'x1');
      const route = SCOPED_ROUTES.find((r) => r.method === a.method && r.pattern.test(samplePath));
      if (a.scopes.length === 0) expect(route, a.op).toBeUndefined();
      else expect([...(route?.scopes ?? [])].sort(), a.op).toEqual([...a.scopes].sort());
    }
  });
});
