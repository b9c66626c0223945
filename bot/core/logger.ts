import { hostname } from 'node:os';
import pino from 'pino';
import type { LogLevel } from './config.js';

/** Field names whose values are never printed, at any depth (`app_secret`, `headers.authorization`, `x-lark-signature`…). */
const SECRET_KEY = /secret|token|password|encrypt|authorization|signature|cookie/i;
const REDACTED = '[redacted]';
/** Nesting kept in a record; deeper values are replaced by '[deep]'. */
const MAX_DEPTH = 6;
/** Items kept of an array. */
const MAX_ITEMS = 50;

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
  /** Where lines go (one JSON record per call, without the newline); default process.stdout. */
  write?: (line: string) => void;
  /** Fields on every record (besides `pid` and `hostname`). */
  base?: Record<string, unknown>;
}

/**
 * Structured JSON logger on pino: one line per record —
 * `{"level":"info","time":"2026-11-30T08:00:00.000Z","pid":…,"hostname":…,<bindings>,<fields>,"msg":…}`.
 *
 * Secrets never get out, by field name or by value, however deep:
 * - fields, the base and child bindings pass through pino's `formatters.log` / `formatters.bindings`
 *   (a child's bindings are cleaned the same way when the child is made), which
 *   replace the value of every secret-named key by `[redacted]`, mask the known secret values
 *   inside strings and turn errors into `{ type, message, code, stack }` (never an error's other
 *   properties: an HTTP client's error carries its request headers);
 * - the message is masked in `hooks.logMethod`;
 * - the finished line is masked once more in `hooks.streamWrite` (the values and their JSON-escaped
 *   form), so nothing a serializer adds can carry a secret out either.
 * pino's own `redact` takes fixed paths only; a secret-named key at any depth needs the walk above.
 */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const secrets = [...new Set((opts.secrets ?? []).filter((s) => s.length >= 4))].sort((a, b) => b.length - a.length);
  const forms = [...new Set(secrets.flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]))];
  const scrub = (text: string): string => {
    let out = text;
    for (const s of forms) if (out.includes(s)) out = out.split(s).join(REDACTED);
    return out;
  };
  const clean = (value: unknown): Record<string, unknown> => redact(value, scrub, 0) as Record<string, unknown>;
  const write = opts.write;
  const destination = write ? { write: (line: string) => write(line.endsWith('\n') ? line.slice(0, -1) : line) } : process.stdout;

  const root = pino(
    {
      level: opts.level ?? 'info',
      base: { pid: process.pid, hostname: hostname(), ...(opts.base ?? {}) },
      timestamp: pino.stdTimeFunctions.isoTime,
      messageKey: 'msg',
      formatters: {
        level: (label) => ({ level: label }),
        bindings: (bindings) => clean(bindings),
        log: (fields) => clean(fields),
      },
      // Errors are already reduced to plain objects by `formatters.log`.
      serializers: { err: (e: unknown) => e },
      hooks: {
        logMethod(args, method) {
          const [first, msg, ...rest] = args as unknown[];
          method.apply(this, [first, typeof msg === 'string' ? scrub(msg) : msg, ...rest] as Parameters<typeof method>);
        },
        streamWrite: (line) => scrub(line),
      },
    },
    destination,
  );

  const wrap = (p: pino.Logger): Logger => ({
    debug: (msg, fields) => p.debug(fields ?? {}, msg),
    info: (msg, fields) => p.info(fields ?? {}, msg),
    warn: (msg, fields) => p.warn(fields ?? {}, msg),
    error: (msg, fields) => p.error(fields ?? {}, msg),
    // pino's `formatters.bindings` applies to the root's base only: a child's bindings are cleaned here.
    child: (fields) => wrap(p.child(clean(fields))),
  });
  return wrap(root);
}

/** A copy of `value` fit for a log line: secret-named keys masked, secret values masked in strings, errors reduced. */
function redact(value: unknown, scrub: (text: string) => string, depth: number): unknown {
  if (typeof value === 'string') return scrub(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > MAX_DEPTH) return '[deep]';
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    const cause = (value as { cause?: unknown }).cause;
    return {
      type: value.name,
      message: scrub(value.message),
      ...(code !== undefined ? { code: redact(code, scrub, depth + 1) } : {}),
      ...(value.stack ? { stack: scrub(value.stack) } : {}),
      ...(cause !== undefined ? { cause: redact(cause, scrub, depth + 1) } : {}),
    };
  }
  if (value instanceof Date) return value;
  if (Array.isArray(value)) return value.slice(0, MAX_ITEMS).map((v) => redact(v, scrub, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_KEY.test(k) && v !== undefined && v !== null && typeof v !== 'boolean' ? REDACTED : redact(v, scrub, depth + 1);
  }
  return out;
}

export const silentLogger: Logger = createLogger({ level: 'silent' });
