import type { Kind } from './types.js';

export const ID_PREFIX: Record<Kind, string> = { COPY: 'CP', CARRY_OUT: 'CO', DESTROY: 'DS' };
const KIND_BY_PREFIX: Record<string, Kind> = { CP: 'COPY', CO: 'CARRY_OUT', DS: 'DESTROY' };

/** ('COPY', 2026, 1) → 'CP-2026-0001'. Sequences above 9999 keep all their digits. */
export function formatRequestId(kind: Kind, year: number, seq: number): string {
  if (!Number.isInteger(year) || year < 1000 || year > 9999) throw new RangeError(`year out of range: ${year}`);
  if (!Number.isInteger(seq) || seq < 1) throw new RangeError(`sequence must be a positive integer: ${seq}`);
  return `${ID_PREFIX[kind]}-${year}-${String(seq).padStart(4, '0')}`;
}

export interface ParsedRequestId {
  id: string;
  kind: Kind;
  year: number;
  seq: number;
}

/** 'cp-2026-0001' → {id: 'CP-2026-0001', kind: 'COPY', year: 2026, seq: 1}; anything else → null. */
export function parseRequestId(input: string): ParsedRequestId | null {
  if (typeof input !== 'string') return null;
  const m = /^(CP|CO|DS)-(\d{4})-(\d{4,9})$/i.exec(input.trim());
  if (!m) return null;
  const prefix = m[1]!.toUpperCase();
  const kind = KIND_BY_PREFIX[prefix];
  const year = Number(m[2]);
  const seq = Number(m[3]);
  if (!kind || year < 1000 || seq < 1) return null;
  // Canonical form: a 5-digit '00001' is not the same text as '0001'; accept it but normalise.
  return { id: formatRequestId(kind, year, seq), kind, year, seq };
}
