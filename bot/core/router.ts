import { BotError } from './errors.js';
import type { Context, Middleware, ParsedCommand } from './types.js';
import { decodeAction } from '../../cards/action-value.js';

export type Handler = (ctx: Context) => Promise<void>;

export interface CommandSpec {
  /** Canonical English name without slash: 'help'. */
  name: string;
  /** Other names users may type (Chinese first): ['帮助']. */
  aliases: string[];
  handler: Handler;
  /** Listed by /help (i18n keys `help:commands.<name>.summary` / `.usage`). */
  listed?: boolean;
  /**
   * A feature's own namespace for its help: the keys are then `<helpNs>:help.<name>.summary` /
   * `.usage` (features in their own folders keep their texts in their own locale files).
   */
  helpNs?: string;
  /**
   * Need to know: every answer of this command (errors included) goes to the asker's private chat
   * with the bot; from a group the group only gets a short note (`ctx.replyPrivately`).
   */
  private?: boolean;
}

export interface DecodedAction {
  action: string;
  requestId?: string;
  version?: number;
  nonce: string;
  extra?: Record<string, string | number>;
  /** The person the card was made for, when it carries one: nobody else may use it. */
  owner?: string;
}

const SLASH = /^[/／]/;

/** Splits "/帮助 copy" into a command; returns undefined for plain text. */
export function parseCommand(text: string, lookup: (typed: string) => string | undefined): ParsedCommand | undefined {
  const trimmed = text.trim();
  if (!SLASH.test(trimmed)) return undefined;
  const body = trimmed.slice(1);
  const m = /^(\S+)\s*([\s\S]*)$/.exec(body);
  if (!m) return { name: '', typed: '', args: '' };
  const typed = m[1]!;
  const name = lookup(typed) ?? '';
  return { name, typed, args: m[2]!.trim() };
}

/**
 * First match wins: one chat command triggers exactly one flow. Commands by English or Chinese
 * name, card actions by action id (exact, or a prefix ending in '.'), system events by type.
 */
export class Router {
  private readonly commands = new Map<string, CommandSpec>();
  private readonly names = new Map<string, string>();
  private readonly actions: { id: string; handler: Handler }[] = [];
  private readonly systems = new Map<string, Handler>();
  private textHandler?: Handler;

  command(spec: CommandSpec): this {
    if (this.commands.has(spec.name)) throw new Error(`command /${spec.name} registered twice`);
    this.commands.set(spec.name, spec);
    for (const n of [spec.name, ...spec.aliases]) {
      const key = n.toLowerCase();
      const existing = this.names.get(key);
      if (existing && existing !== spec.name) throw new Error(`command name ${n} used by /${existing} and /${spec.name}`);
      this.names.set(key, spec.name);
    }
    return this;
  }

  action(id: string, handler: Handler): this {
    this.actions.push({ id, handler });
    return this;
  }

  system(type: string, handler: Handler): this {
    this.systems.set(type, handler);
    return this;
  }

  /** Plain text addressed to the bot that is not a command. */
  text(handler: Handler): this {
    this.textHandler = handler;
    return this;
  }

  listCommands(): CommandSpec[] {
    return [...this.commands.values()];
  }

  findCommand(typed: string): CommandSpec | undefined {
    const name = this.names.get(typed.replace(SLASH, '').toLowerCase());
    return name ? this.commands.get(name) : undefined;
  }

  middleware(): Middleware {
    return async (ctx) => {
      const e = ctx.event;
      if (e.kind === 'message') {
        if (!e.addressedToBot) return;
        const cmd = parseCommand(e.text, (typed) => this.names.get(typed.toLowerCase()));
        if (!cmd) {
          if (this.textHandler) return this.textHandler(ctx);
          return;
        }
        ctx.command = cmd;
        const spec = this.commands.get(cmd.name);
        if (!spec) throw new BotError('errors:unknown_command', { command: cmd.typed ? `/${cmd.typed}` : '/' });
        // Stays swapped after the handler, so the error boundary's answer is private too.
        if (spec.private) ctx.reply = ctx.replyPrivately;
        return spec.handler(ctx);
      }
      if (e.kind === 'card_action') {
        const decoded = decodeAction(e.action.value);
        if (!decoded.ok) throw new BotError('errors:bad_action');
        const d: DecodedAction = {
          action: decoded.action,
          requestId: decoded.requestId,
          version: decoded.version,
          nonce: decoded.nonce,
          extra: decoded.extra,
          ...(decoded.owner ? { owner: decoded.owner } : {}),
        };
        // A card made for one person (a form card) answers only them: in a group anyone sees it.
        if (d.owner !== undefined && d.owner !== ctx.actorId) throw new BotError('people:not_your_form');
        ctx.state.action = d;
        const route = this.actions.find((a) => a.id === d.action || (a.id.endsWith('.') && d.action.startsWith(a.id)));
        if (!route) throw new BotError('errors:bad_action');
        ctx.services.metrics.cardActions.inc({ action: d.action });
        return route.handler(ctx);
      }
      const handler = this.systems.get(e.type);
      if (handler) return handler(ctx);
      ctx.log.debug('no handler for system event', { type: e.type });
    };
  }
}

export function actionOf(ctx: Context): DecodedAction {
  const d = ctx.state.action as DecodedAction | undefined;
  if (!d) throw new BotError('errors:bad_action');
  return d;
}
