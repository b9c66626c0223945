import { err } from './errors.js';
import { LEVELS, type Level, type Regime, type WorkflowError } from './types.js';

const ALIASES: Record<string, Level> = {
  绝密: 'TOP_SECRET',
  top_secret: 'TOP_SECRET',
  topsecret: 'TOP_SECRET',
  机密: 'SECRET',
  secret: 'SECRET',
  秘密: 'CONFIDENTIAL',
  confidential: 'CONFIDENTIAL',
  核心商密: 'CORE',
  核心商业秘密: 'CORE',
  core: 'CORE',
  普通商密: 'ORDINARY',
  普通商业秘密: 'ORDINARY',
  ordinary: 'ORDINARY',
};

/** '绝密' | 'top_secret' | 'Top Secret' | 'TOP-SECRET' … → 'TOP_SECRET'; unknown → null. */
export function parseLevel(input: string): Level | null {
  if (typeof input !== 'string') return null;
  const s = input
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
  return ALIASES[s] ?? null;
}

export function isLevel(x: unknown): x is Level {
  return typeof x === 'string' && (LEVELS as readonly string[]).includes(x);
}

export function regimeOf(level: Level): Regime {
  return level === 'CORE' || level === 'ORDINARY' ? 'TRADE_SECRET' : 'STATE_SECRET';
}

/** Rank within a regime: higher is more sensitive. Ranks of different regimes do not compare. */
export function levelRank(level: Level): number {
  switch (level) {
    case 'TOP_SECRET':
      return 3;
    case 'SECRET':
    case 'CORE':
      return 2;
    case 'CONFIDENTIAL':
    case 'ORDINARY':
      return 1;
  }
}

/** The highest level of several carriers; refuses an empty list and a mix of regimes. */
export function maxLevel(levels: readonly Level[]): { ok: true; level: Level; regime: Regime } | { ok: false; error: WorkflowError } {
  const first = levels[0];
  if (first === undefined) return { ok: false, error: err('workflow.no_carriers') };
  const regime = regimeOf(first);
  let best: Level = first;
  for (const l of levels) {
    if (!isLevel(l)) return { ok: false, error: err('workflow.invalid_details', { field: 'carriers.level', problem: 'level' }) };
    if (regimeOf(l) !== regime) return { ok: false, error: err('workflow.mixed_regimes') };
    if (levelRank(l) > levelRank(best)) best = l;
  }
  return { ok: true, level: best, regime };
}
