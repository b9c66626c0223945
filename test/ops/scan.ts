/**
 * What the bot's code asks of Lark, read mechanically from the sources (not from the list in
 * bot/transports/lark/scopes.ts): the op names passed to `sender.call`, typed SDK calls, Open API
 * paths, system events the router handles, the event types the normaliser accepts, and whether any
 * card action is registered. Features added later are scanned the same way.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Runtime code: what runs in production (the stand-in, tests and benchmarks are not the bot). */
export const SOURCE_DIRS = ['bot', 'handlers', 'scheduler', 'models', 'cards', 'domain'];

export interface Found {
  file: string;
  value: string;
}

export interface Usage {
  ops: Found[];
  sdk: Found[];
  paths: Found[];
  events: Found[];
  cardActions: Found[];
}

export function sourceFiles(dirs = SOURCE_DIRS): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
    }
  };
  for (const d of dirs) walk(join(ROOT, d));
  return out.sort();
}

const PATTERNS = {
  // sender.call('im.message.create', …) — the op names the sender (and the metrics) use.
  ops: /\.call\(\s*['"`]([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)['"`]/g,
  // client.im.v1.message.create(…), bundle.client.auth.v3.tenantAccessToken.internal(…)
  sdk: /\bclient\s*\.\s*([a-z][a-z_]*\.v\d+(?:\.[A-Za-z_]+)+)\s*\(/g,
  // '/open-apis/…' in any string or template: the static part up to the first ${ or quote.
  paths: /['"`](\/open-apis\/[A-Za-z0-9_./:-]*)/g,
  // router.system('im.chat.member.bot.added_v1', …)
  events: /\.system\(\s*['"`]([^'"`]+)['"`]/g,
  // the normaliser's accepted event types: `type === 'im.message.receive_v1'`
  normalised: /(?<![.\w])type\s*===\s*['"]([a-z0-9_.]+)['"]/g,
  cardActions: /\brouter\s*\.\s*action\(/g,
} as const;

/** Scans source text (exported so the test can prove the scanner sees a made-up call). */
export function scanText(file: string, text: string, into: Usage): void {
  const all = (re: RegExp) => [...text.matchAll(new RegExp(re.source, re.flags))].map((m) => m[1] ?? m[0]);
  for (const v of all(PATTERNS.ops)) into.ops.push({ file, value: v });
  for (const v of all(PATTERNS.sdk)) into.sdk.push({ file, value: v.replace(/\s+/g, '') });
  for (const v of all(PATTERNS.paths)) into.paths.push({ file, value: v });
  for (const v of all(PATTERNS.events)) into.events.push({ file, value: v });
  if (file.endsWith('normalise.ts')) for (const v of all(PATTERNS.normalised)) into.events.push({ file, value: v });
  for (const v of all(PATTERNS.cardActions)) into.cardActions.push({ file, value: v });
}

export function emptyUsage(): Usage {
  return { ops: [], sdk: [], paths: [], events: [], cardActions: [] };
}

export function scanSources(files = sourceFiles()): Usage {
  const usage = emptyUsage();
  for (const f of files) scanText(relative(ROOT, f), readFileSync(f, 'utf8'), usage);
  return usage;
}

/**
 * Whether a path the code builds (its static part, e.g. `/open-apis/calendar/v4/calendars/`)
 * can be a call to this API path (`:params` match any segment).
 */
export function pathMayBe(staticPart: string, apiPath: string): boolean {
  const got = staticPart.replace(/\?.*$/, '').split('/');
  const api = apiPath.split('/');
  if (got.length > api.length) return false;
  for (let i = 0; i < got.length; i++) {
    const g = got[i]!;
    const a = api[i]!;
    const last = i === got.length - 1;
    if (a.startsWith(':')) continue;
    if (last ? !a.startsWith(g) : g !== a) return false;
  }
  return true;
}
