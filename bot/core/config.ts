import { readFileSync } from 'node:fs';
import { validate as validCron } from 'node-cron';
import { z } from 'zod';

/** Thrown when the environment is invalid; the message names the variable. */
export class ConfigError extends Error {
  constructor(
    message: string,
    readonly variable: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

const APP_ID = /^cli_[0-9a-fA-F]{16}$/;

const optionalString = z
  .string()
  .trim()
  .transform((s) => (s === '' ? undefined : s))
  .optional();

const SHARE_MESSAGE = "must be '>N/D' (more than) or '>=N/D' (at least), integers 0 ≤ N ≤ D, D ≥ 1, such as >1/2 or >=2/3";

const schema = z.object({
  LARK_APP_ID: optionalString.refine((v) => v === undefined || APP_ID.test(v), {
    message: 'must look like cli_ followed by 16 hex characters',
  }),
  LARK_APP_SECRET: optionalString,
  LARK_ENCRYPT_KEY: optionalString,
  LARK_VERIFICATION_TOKEN: optionalString,
  LARK_DOMAIN: optionalString.refine((v) => v === undefined || v === 'feishu' || v === 'lark' || /^https?:\/\/[^\s/]+(:\d+)?\/?$/.test(v), {
    message: "must be 'feishu', 'lark' or a base URL such as http://127.0.0.1:4010",
  }),
  LARK_TRANSPORT: optionalString.refine((v) => v === undefined || v === 'ws' || v === 'webhook', {
    message: "must be 'ws' or 'webhook'",
  }),
  PORT: optionalString.refine((v) => v === undefined || (/^\d+$/.test(v) && Number(v) <= 65535), {
    message: 'must be a port number (0-65535)',
  }),
  MONGODB_URI: optionalString.refine((v) => v === undefined || /^mongodb(\+srv)?:\/\//.test(v), {
    message: 'must start with mongodb:// or mongodb+srv://',
  }),
  BAOMI_ADMINS: optionalString.refine((v) => v === undefined || v.split(',').every((s) => /^ou_[0-9a-zA-Z_]+$/.test(s.trim())), {
    message: 'must be a comma-separated list of open_ids (ou_…)',
  }),
  BAOMI_TIMEZONE: optionalString.refine((v) => v === undefined || isTimeZone(v), {
    message: 'must be an IANA time zone such as Asia/Shanghai',
  }),
  BAOMI_LOCALE: optionalString.refine((v) => v === undefined || v === 'zh-CN' || v === 'en-US', {
    message: "must be 'zh-CN' or 'en-US'",
  }),
  BAOMI_LOG_LEVEL: optionalString.refine((v) => v === undefined || ['debug', 'info', 'warn', 'error', 'silent'].includes(v), {
    message: 'must be one of debug, info, warn, error, silent',
  }),
  BAOMI_POLICY: optionalString,
  BAOMI_REMINDER_SWEEP: optionalString.refine((v) => v === undefined || validCron(v), {
    message: "must be a cron expression (5 or 6 fields), such as '* * * * *' (every minute)",
  }),
  BAOMI_FANOUT_RATE: optionalString.refine((v) => v === undefined || (/^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= 50), {
    message: "must be an integer from 1 to 50 (messages per second for the whole app; Lark's limit is 50)",
  }),
  BAOMI_FANOUT_PER_CHAT: optionalString.refine((v) => v === undefined || (/^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= 5), {
    message: "must be an integer from 1 to 5 (messages per second to one user or group; Lark's limit is 5)",
  }),
  BAOMI_COMMITTEE_MONTHS: optionalString.refine((v) => v === undefined || parseMonths(v) !== undefined, {
    message: 'must be a comma-separated list of distinct months 1-12, such as 1,7',
  }),
  BAOMI_VOTE_QUORUM: optionalString.refine((v) => v === undefined || parseShare(v) !== undefined, { message: SHARE_MESSAGE }),
  BAOMI_VOTE_PASS: optionalString.refine((v) => v === undefined || parseShare(v) !== undefined, { message: SHARE_MESSAGE }),
  BAOMI_VOTE_PERSONNEL: optionalString.refine((v) => v === undefined || parseShare(v) !== undefined, { message: SHARE_MESSAGE }),
  NODE_ENV: optionalString,
});

/** A share of the committee's members (handlers/committee/rules.ts `Share`). */
export interface ShareConfig {
  num: number;
  den: number;
  /** true: more than num/den; false: at least num/den. */
  strict: boolean;
}

/** `>1/2` (more than half) or `>=2/3` (at least two thirds). */
export function parseShare(v: string): ShareConfig | undefined {
  const m = /^(>=|≥|>)\s*(\d{1,4})\s*\/\s*(\d{1,4})$/.exec(v.trim());
  if (!m) return undefined;
  const num = Number(m[2]);
  const den = Number(m[3]);
  if (den < 1 || num > den) return undefined;
  return { num, den, strict: m[1] === '>' };
}

/** `1,7` → [1, 7]; undefined when not distinct months 1-12. */
export function parseMonths(v: string): number[] | undefined {
  const parts = v.split(',').map((s) => s.trim());
  if (parts.length === 0 || !parts.every((p) => /^\d{1,2}$/.test(p))) return undefined;
  const months = parts.map(Number);
  if (months.some((m) => m < 1 || m > 12) || new Set(months).size !== months.length) return undefined;
  return months.sort((a, b) => a - b);
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export type Locale = 'zh-CN' | 'en-US';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface LarkConfig {
  appId: string;
  appSecret: string;
  encryptKey?: string;
  verificationToken?: string;
  /** 'feishu' | 'lark' | a base URL without trailing slash */
  domain: string;
  transport: 'ws' | 'webhook';
}

export interface Config {
  /** No Lark credentials: run the embedded stand-in and store in one process. */
  sandbox: boolean;
  lark?: LarkConfig;
  port: number;
  mongodbUri?: string;
  admins: string[];
  timezone: string;
  locale: Locale;
  logLevel: LogLevel;
  production: boolean;
  /** The unit's approval policy file (JSON); default config/policy.default.json. */
  policyFile?: string;
  /** When the reminder records are swept (cron, unit's time zone; default every minute). */
  reminderSweep: string;
  /** Fan-out: messages per second for the whole app (default 40) and to one user or group (default 5). */
  fanout: { rate: number; perChat: number };
  committee: {
    /** Months (1-12) in which the chair is reminded to plan the regular meeting (default 1 and 7). */
    months: number[];
    /** The vote rules (defaults: quorum > 1/2, passed > 1/2 of all members, personnel ≥ 2/3). */
    voteRules: { quorum: ShareConfig; pass: ShareConfig; personnel: ShareConfig };
  };
}

/** Reads and validates the environment once. Throws ConfigError naming the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const variable = String(issue.path[0] ?? 'environment');
    throw new ConfigError(`${variable} ${issue.message} (got ${JSON.stringify(env[variable] ?? '')})`, variable);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  if (production && !e.MONGODB_URI) {
    throw new ConfigError('MONGODB_URI is required when NODE_ENV=production (the embedded store keeps nothing across restarts)', 'MONGODB_URI');
  }
  if ((e.LARK_APP_ID === undefined) !== (e.LARK_APP_SECRET === undefined)) {
    const missing = e.LARK_APP_ID === undefined ? 'LARK_APP_ID' : 'LARK_APP_SECRET';
    throw new ConfigError(`${missing} must be set together with the other Lark credential`, missing);
  }
  const sandbox = e.LARK_APP_ID === undefined;
  if (sandbox && production) {
    throw new ConfigError('LARK_APP_ID and LARK_APP_SECRET are required when NODE_ENV=production', 'LARK_APP_ID');
  }
  const transport = (e.LARK_TRANSPORT ?? 'ws') as 'ws' | 'webhook';
  let lark: LarkConfig | undefined;
  if (!sandbox) {
    if (transport === 'webhook' && !e.LARK_ENCRYPT_KEY) {
      throw new ConfigError('LARK_ENCRYPT_KEY is required in webhook mode (it signs and encrypts every request)', 'LARK_ENCRYPT_KEY');
    }
    lark = {
      appId: e.LARK_APP_ID!,
      appSecret: e.LARK_APP_SECRET!,
      encryptKey: e.LARK_ENCRYPT_KEY,
      verificationToken: e.LARK_VERIFICATION_TOKEN,
      domain: (e.LARK_DOMAIN ?? 'feishu').replace(/\/$/, ''),
      transport,
    };
  }
  return {
    sandbox,
    lark,
    port: e.PORT === undefined ? 3000 : Number(e.PORT),
    mongodbUri: e.MONGODB_URI,
    admins: (e.BAOMI_ADMINS ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    timezone: e.BAOMI_TIMEZONE ?? 'Asia/Shanghai',
    locale: (e.BAOMI_LOCALE ?? 'zh-CN') as Locale,
    logLevel: (e.BAOMI_LOG_LEVEL ?? 'info') as LogLevel,
    production,
    policyFile: e.BAOMI_POLICY,
    reminderSweep: e.BAOMI_REMINDER_SWEEP ?? '* * * * *',
    fanout: { rate: Number(e.BAOMI_FANOUT_RATE ?? 40), perChat: Number(e.BAOMI_FANOUT_PER_CHAT ?? 5) },
    committee: {
      months: parseMonths(e.BAOMI_COMMITTEE_MONTHS ?? '1,7')!,
      voteRules: {
        quorum: parseShare(e.BAOMI_VOTE_QUORUM ?? '>1/2')!,
        pass: parseShare(e.BAOMI_VOTE_PASS ?? '>1/2')!,
        personnel: parseShare(e.BAOMI_VOTE_PERSONNEL ?? '>=2/3')!,
      },
    },
  };
}

/** Values that must never appear in a log line. */
export function secretsOf(config: Config): string[] {
  const l = config.lark;
  const out = [l?.appSecret, l?.encryptKey, l?.verificationToken];
  const uri = config.mongodbUri?.match(/\/\/[^:/@]+:([^@]+)@/)?.[1];
  if (uri) out.push(uri);
  return out.filter((s): s is string => typeof s === 'string' && s.length >= 4);
}

/**
 * The approval policy: the file named by BAOMI_POLICY, or the default. Returns the parsed JSON;
 * a missing or unreadable file stops start-up naming the variable (validation follows in the
 * workflow's loadPolicy, whose errors are reported the same way).
 */
export function readPolicyFile(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(`BAOMI_POLICY: cannot read ${path}: ${(err as Error).message}`, 'BAOMI_POLICY');
  }
}
