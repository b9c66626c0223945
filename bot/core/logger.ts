import type { LogLevel } from './config.js';

const ORDER: Record<Exclude<LogLevel, 'silent'>, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_KEY = /secret|token|password|encrypt|authorization|signature|cookie/i;

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Literal values that are masked wherever they appear (app secret, encrypt key…). */
  secrets?: string[];
  /** Where lines go; default process.stdout. */
  write?: (line: string) => void;
  base?: Record<string, unknown>;
}

/** Structured JSON logger: one line per entry; never prints secrets (by key name or by value). */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? 'info';
  const secrets = (opts.secrets ?? []).filter((s) => s.length >= 4);
  const write = opts.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const threshold = level === 'silent' ? Infinity : ORDER[level];

  const scrub = (text: string): string => {
    let out = text;
    for (const s of secrets) out = out.split(s).join('[redacted]');
    return out;
  };

  const redact = (value: unknown, depth: number): unknown => {
    if (depth > 6) return '[deep]';
    if (typeof value === 'string') return scrub(value);
    if (value instanceof Error) {
      return { name: value.name, message: scrub(value.message), code: (value as { code?: unknown }).code };
    }
    if (Array.isArray(value)) return value.slice(0, 50).map((v) => redact(v, depth + 1));
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        out[k] = SECRET_KEY.test(k) && v !== undefined && typeof v !== 'boolean' ? '[redacted]' : redact(v, depth + 1);
      }
      return out;
    }
    return value;
  };

  const make = (base: Record<string, unknown>): Logger => {
    const emit = (lvl: Exclude<LogLevel, 'silent'>, msg: string, fields?: Record<string, unknown>) => {
      if (ORDER[lvl] < threshold) return;
      const entry = { time: new Date().toISOString(), level: lvl, msg: scrub(msg), ...(redact({ ...base, ...fields }, 0) as object) };
      write(JSON.stringify(entry));
    };
    return {
      debug: (m, f) => emit('debug', m, f),
      info: (m, f) => emit('info', m, f),
      warn: (m, f) => emit('warn', m, f),
      error: (m, f) => emit('error', m, f),
      child: (fields) => make({ ...base, ...fields }),
    };
  };
  return make(opts.base ?? {});
}

export const silentLogger: Logger = createLogger({ level: 'silent' });
