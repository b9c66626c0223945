// `/doctor` (`/体检`): the deployment checks of bot/doctor.ts, run inside the bot for an
// administrator and answered privately with a card (green or red per check, the fix named under
// each problem). The same checks as `npm run doctor`.
import { BotError } from '../bot/core/errors.js';
import { loadConfig, type LarkConfig } from '../bot/core/config.js';
import type { Router } from '../bot/core/router.js';
import type { Context } from '../bot/core/types.js';
import { runDoctor, STATUS_MARK, type CheckResult, type DoctorLarkClient, type DoctorReport, type DoctorText } from '../bot/doctor.js';
import { card, header, md, type Bi } from '../cards/builder.js';
import type { Card, CardElement } from '../cards/card.types.js';
import type { Tb } from '../cards/help.card.js';
import { esc } from '../cards/request.card.js';
import type { People } from './approvals/people.js';
import type { AuditRepo } from './approvals/ports.js';
import type { FeatureContext, FeatureFactory, FeatureModule } from './features.js';

export interface DoctorDeps {
  people: Pick<People, 'hasRole'>;
  audit: Pick<AuditRepo, 'record'>;
  /** Runs every check (the feature builds it from the bot's own client and database). */
  run: () => Promise<DoctorReport>;
}

const text = (tb: Tb, t: DoctorText): Bi => {
  const b = tb(t.key, t.params);
  return { zh: esc(b.zh), en: esc(b.en) };
};

const COLOR: Record<CheckResult['status'], string> = { ok: 'green', warn: 'orange', fail: 'red', skip: 'grey' };

/** The report as a card in both languages: one line per check, the fix under each problem. */
export function doctorCard(report: DoctorReport, tb: Tb): Card {
  const failed = report.checks.filter((c) => c.status === 'fail').length;
  const elements: CardElement[] = [md(report.ok ? tb('doctor:card_ok') : tb('doctor:card_fail', { count: failed }))];
  for (const c of report.checks) {
    const status = tb(`doctor:status.${c.status}`);
    const name = text(tb, c.title);
    const found = text(tb, c.found);
    const fix = c.fix && c.status !== 'ok' ? text(tb, c.fix) : undefined;
    const line = (l: 'zh' | 'en'): string =>
      `<font color='${COLOR[c.status]}'>${STATUS_MARK[c.status]} ${status[l]}</font> **${name[l]}**: ${found[l]}${fix ? `\n→ ${fix[l]}` : ''}`;
    elements.push(md({ zh: line('zh'), en: line('en') }));
  }
  return card({
    header: header({ title: tb('doctor:card_title'), template: report.ok ? 'green' : 'red' }),
    elements,
    summary: tb('doctor:card_title'),
  });
}

export function registerDoctor(router: Router, deps: DoctorDeps): void {
  router.command({
    name: 'doctor',
    aliases: ['体检', '诊断'],
    helpNs: 'doctor',
    private: true,
    handler: async (ctx: Context) => {
      if (!(await deps.people.hasRole(ctx.tenantKey, ctx.actorId!, 'admin'))) {
        await deps.audit.record(ctx.tenantKey, {
          actorId: ctx.actorId!,
          action: 'doctor.run',
          objectType: 'deployment',
          objectId: 'doctor',
          channel: 'command',
          outcome: 'refused',
          reason: 'not_allowed',
        });
        throw new BotError('doctor:not_allowed');
      }
      const report = await deps.run();
      await ctx.reply({ type: 'card', card: doctorCard(report, ctx.tb) });
    },
  });
}

export interface DoctorFeatureOptions {
  /** The bot's Lark settings; default read from the environment when /doctor runs. */
  lark?: () => LarkConfig | undefined;
  /** Where this bot answers (default http://127.0.0.1:$PORT). */
  localUrl?: () => string;
  /** The public base URL Lark posts to (default BAOMI_PUBLIC_URL). */
  publicUrl?: () => string | undefined;
}

/** The doctor as a feature (handlers/features.ts): its checks use the bot's own client and database. */
export function doctorFeatureWith(opts: DoctorFeatureOptions = {}): FeatureFactory {
  return (ctx: FeatureContext): FeatureModule => ({
    name: 'doctor',
    register(router) {
      registerDoctor(router, {
        people: ctx.people,
        audit: ctx.repos.audit,
        run: async () => {
          const config = loadConfig(ctx.env);
          const sender = ctx.services.sender as { client?: DoctorLarkClient & { appId?: string; appSecret?: string; domain?: string } };
          const client = sender.client;
          if (!client) throw new BotError('doctor:unavailable');
          // Sandbox mode has no Lark variables: the bot's own client knows the stand-in's credentials.
          const lark = opts.lark?.() ??
            config.lark ?? { appId: client.appId ?? '', appSecret: client.appSecret ?? '', domain: String(client.domain ?? ''), transport: 'webhook' as const };
          return runDoctor({
            lark,
            client,
            connection: ctx.connection,
            policyFile: config.policyFile,
            timezone: ctx.timezone,
            localUrl: opts.localUrl?.() ?? `http://127.0.0.1:${config.port}`,
            publicUrl: opts.publicUrl ? opts.publicUrl() : ctx.env.BAOMI_PUBLIC_URL?.trim() || undefined,
            now: ctx.now,
          });
        },
      });
    },
  });
}

/** For handlers/features.ts FEATURES. */
export const doctorFeature: FeatureFactory = doctorFeatureWith();
