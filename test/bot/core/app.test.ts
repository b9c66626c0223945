import { describe, expect, it } from 'vitest';
import { BotError } from '../../../bot/core/errors.js';
import { parseCommand, Router } from '../../../bot/core/router.js';
import { encodeAction } from '../../../cards/action-value.js';
import { validateCard } from '../../../cards/card.schema.js';
import { buildRouter } from '../../../handlers/index.js';
import { appWith, clickEvent, dispatch, fakeServices, systemEvent, textEvent } from '../../helpers/fake-services.js';

describe('parseCommand', () => {
  const lookup = (t: string) => ({ help: 'help', 帮助: 'help' })[t.toLowerCase()];
  it('parses English and Chinese names, full-width slash, and arguments', () => {
    expect(parseCommand('/help copy', lookup)).toEqual({ name: 'help', typed: 'help', args: 'copy' });
    expect(parseCommand('／帮助', lookup)).toEqual({ name: 'help', typed: '帮助', args: '' });
    expect(parseCommand('/HELP', lookup)?.name).toBe('help');
    expect(parseCommand('hello', lookup)).toBeUndefined();
    expect(parseCommand('/nope x', lookup)).toEqual({ name: '', typed: 'nope', args: 'x' });
  });
});

describe('app: routing, i18n and the error boundary', () => {
  it('/help and /帮助 both answer with a valid help card', async () => {
    const { app, services } = appWith(buildRouter());
    await dispatch(app, textEvent('/help'));
    await dispatch(app, textEvent('/帮助'));
    const cards = services.sender.sent.filter((s) => s.message?.type === 'card');
    expect(cards).toHaveLength(2);
    for (const c of cards) {
      if (c.message?.type !== 'card') throw new Error();
      expect(validateCard(c.message.card)).toEqual({ ok: true });
      expect(JSON.stringify(c.message.card)).toContain('/lang');
      expect(c.op).toBe('reply');
    }
  });

  it('/help <command> answers that command in both languages; an unknown one gets a hint', async () => {
    const { app, services } = appWith(buildRouter());
    await dispatch(app, textEvent('/help 语言'));
    const card = services.sender.sent[0]?.message;
    if (card?.type !== 'card') throw new Error('expected a card');
    const json = JSON.stringify(card.card);
    expect(json).toContain('/lang zh');
    expect(json).toContain('Chinese');
    expect(json).toContain('中文');
    await dispatch(app, textEvent('/help bogus'));
    expect(services.sender.texts().at(-1)).toContain('bogus');
  });

  it('an unknown command gets a localised hint, not silence', async () => {
    const { app, services } = appWith(buildRouter());
    await dispatch(app, textEvent('/frobnicate'));
    expect(services.sender.texts()).toEqual([expect.stringContaining('未知命令 /frobnicate')]);
  });

  it('/lang en switches the user’s language for later replies', async () => {
    const { app, services } = appWith(buildRouter());
    await dispatch(app, textEvent('/lang en'));
    await dispatch(app, textEvent('/frobnicate'));
    await dispatch(app, textEvent('/lang klingon'));
    await dispatch(app, textEvent('/语言 zh'));
    expect(services.sender.texts()).toEqual(['Switched to English.', expect.stringContaining('Unknown command /frobnicate'), expect.stringContaining('klingon'), '已切换为中文。']);
  });

  it('plain text in a p2p chat gets a hint; group chatter not addressed to the bot is ignored', async () => {
    const { app, services } = appWith(buildRouter());
    await dispatch(app, textEvent('hello'));
    await dispatch(app, textEvent('/help', { chatType: 'group', addressedToBot: false, chatId: 'oc_group' }));
    expect(services.sender.sent).toHaveLength(1);
    expect(services.sender.texts()[0]).toContain('/help');
  });

  it('ignores the bot’s own messages', async () => {
    const { app, services } = appWith(buildRouter());
    await dispatch(app, textEvent('/help', { sender: { openId: 'ou_bot', type: 'user' } }));
    await dispatch(app, textEvent('/help', { sender: { openId: 'cli_x', type: 'app' } }));
    expect(services.sender.sent).toHaveLength(0);
  });

  it('the same message delivered 5 times concurrently is answered once', async () => {
    const { app, services } = appWith(buildRouter());
    const ev = textEvent('/help');
    const acks = await Promise.all(Array.from({ length: 5 }, () => dispatch(app, { ...ev })));
    expect(services.sender.sent).toHaveLength(1);
    expect(acks.every((a) => a.acks.length === 1)).toBe(true);
    expect(services.metrics.eventsDeduplicated.get({ kind: 'message' })).toBe(4);
  });

  it('a throwing handler still answers: a localised message with a reference, and a toast for clicks', async () => {
    const router = new Router()
      .command({
        name: 'boom',
        aliases: [],
        handler: async () => {
          throw new Error('kaput: ou_secret');
        },
      })
      .command({
        name: 'refuse',
        aliases: [],
        handler: async () => {
          throw new BotError('errors:forbidden');
        },
      })
      .action('boom', async () => {
        throw new Error('kaput');
      });
    const { app, services } = appWith(router);
    await dispatch(app, textEvent('/boom'));
    await dispatch(app, textEvent('/refuse'));
    expect(services.sender.texts()[0]).toMatch(/出错了.*参考号 [0-9a-f]{8}/);
    expect(services.sender.texts()[0]).not.toContain('kaput');
    expect(services.sender.texts()[1]).toBe('您没有执行此操作的权限。');
    const { acks } = await dispatch(app, clickEvent(encodeAction({ action: 'boom' })));
    expect(acks).toHaveLength(1);
    expect(acks[0]?.toast?.type).toBe('error');
    expect(acks[0]?.toast?.i18n?.en_us).toContain('something went wrong');
  });

  it('a garbage card value is refused with a toast', async () => {
    const { app } = appWith(buildRouter());
    const { acks } = await dispatch(app, clickEvent({ key: 'value' }));
    expect(acks[0]?.toast).toMatchObject({ type: 'error' });
  });

  it('"All commands" on a help detail card replaces the card in place', async () => {
    const { app } = appWith(buildRouter());
    const { acks } = await dispatch(
      app,
      clickEvent(encodeAction({ action: 'help.show' }), { action: { tag: 'button', name: 'help_all', value: encodeAction({ action: 'help.show' }) } }),
    );
    expect(acks[0]?.card?.type).toBe('raw');
    expect(validateCard(acks[0]?.card?.data)).toEqual({ ok: true });
  });

  it('messages of one chat are handled in order; other chats do not wait', async () => {
    const order: string[] = [];
    const router = new Router().command({
      name: 'slow',
      aliases: [],
      handler: async (ctx) => {
        const ms = Number(ctx.command?.args);
        await new Promise((r) => setTimeout(r, ms));
        order.push(`${ctx.chatId}:${ms}`);
      },
    });
    const { app } = appWith(router);
    await Promise.all([
      dispatch(app, textEvent('/slow 40', { chatId: 'oc_a' })),
      dispatch(app, textEvent('/slow 1', { chatId: 'oc_a' })),
      dispatch(app, textEvent('/slow 5', { chatId: 'oc_b' })),
    ]);
    expect(order).toEqual(['oc_b:5', 'oc_a:40', 'oc_a:1']);
  });

  it('welcomes a user once in p2p, and a group every time the bot is added', async () => {
    const { app, services } = appWith(buildRouter(), fakeServices());
    const enter = () => systemEvent('im.chat.access_event.bot_p2p_chat_entered_v1', { chatId: 'oc_p2p', operator: { openId: 'ou_new' } });
    await dispatch(app, enter());
    await dispatch(app, enter());
    await dispatch(app, systemEvent('im.chat.member.bot.added_v1', { chatId: 'oc_grp', operator: { openId: 'ou_new' } }));
    const cards = services.sender.sent.filter((s) => s.message?.type === 'card');
    expect(cards.map((c) => c.to)).toEqual([{ chatId: 'oc_p2p' }, { chatId: 'oc_grp' }]);
    for (const c of cards) if (c.message?.type === 'card') expect(validateCard(c.message.card)).toEqual({ ok: true });
  });
});

describe('help covers every command', () => {
  it('every registered command has a summary and usage in both languages', async () => {
    const { loadResources } = await import('../../../locales/index.js');
    const { buildRouter: build } = await import('../../../handlers/index.js');
    const res = loadResources();
    const { FEATURES } = await import('../../../handlers/features.js');
    // The features are built on a context whose every dependency is an empty object: building and
    // registering touch none of them.
    const fakeCtx = new Proxy({}, { get: () => ({}) }) as never;
    const features = FEATURES.map((make) => make(fakeCtx));
    const fakeDeps = new Proxy({}, { get: (_t, k) => (k === 'features' ? features : {}) }) as never;
    const specs = build(fakeDeps).listCommands();
    for (const f of ['approve', 'ledger', 'meeting']) expect(specs.map((s) => s.name)).toContain(f);
    for (const spec of specs) {
      for (const lng of ['zh-CN', 'en-US'] as const) {
        const [ns, ...path] = (spec.helpNs ? `${spec.helpNs}:help.${spec.name}` : `help:commands.${spec.name}`).split(/[:.]/);
        let entry: unknown = res[lng]![ns!];
        for (const k of path) entry = (entry as Record<string, unknown> | undefined)?.[k];
        const e = entry as { summary?: string; usage?: string } | undefined;
        expect(e?.summary, `${lng} ${spec.name}.summary`).toBeTruthy();
        expect(e?.usage, `${lng} ${spec.name}.usage`).toBeTruthy();
      }
    }
  });
});

describe('store unavailable at receipt', () => {
  it('a message asks for redelivery; a click gets a "busy" toast (Lark never redelivers clicks)', async () => {
    const services = fakeServices();
    services.dedupe.claim = async () => {
      throw new Error('store down');
    };
    const { app } = appWith(buildRouter(), services);
    const seen: { response?: unknown; retry?: boolean }[] = [];
    await app.dispatch(textEvent('/help'), (response, opts) => seen.push({ response, retry: opts?.retry }));
    expect(seen).toEqual([{ response: undefined, retry: true }]);
    const { acks } = await dispatch(app, clickEvent(encodeAction({ action: 'help.show' })));
    expect(acks[0]?.toast?.i18n?.en_us).toMatch(/busy/i);
    expect(services.sender.sent).toHaveLength(0);
  });
});
