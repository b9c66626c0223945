// `/ledger stats [year]`: the year's entries by register × level × department (incidents opened:
// by level, they carry no department), and what is open now: carry-outs not back (and overdue),
// carriers pending destruction, requests waiting over 48 hours for a decision, dead-lettered
// effects, incidents open (not closed; drafts to confirm aside).
import type { Bi, Context } from '../../bot/core/types.js';
import { linesCard } from '../../cards/ledger.card.js';
import { tr } from '../../cards/request.card.js';
import { startOfLocalDay } from '../../domain/index.js';
import { LEDGER_KINDS } from '../../models/ledger-reader.js';
import type { LedgerDeps } from './resolve.js';

/** Rows of counts shown on the card at most (the rest are summed up in exports). */
const MAX_ROWS = 60;

export async function statsCard(ctx: Context, deps: LedgerDeps, year: number) {
  const tz = ctx.services.timezone;
  const range = { from: startOfLocalDay(`${year}-01-01`, tz), to: startOfLocalDay(`${year + 1}-01-01`, tz) };
  const s = await deps.reader.stats(ctx.tenantKey, range, ctx.services.now());
  const tb = ctx.tb;
  const depts = new Map<string, Bi>();
  for (const id of new Set(s.counts.map((c) => c.deptId))) {
    if (!id) depts.set(id, tb('ledger:stats.no_dept'));
    else {
      const d = await deps.directory.department(ctx.tenantKey, id);
      depts.set(id, d ? { zh: d.name, en: d.enName ?? d.name } : { zh: id, en: id });
    }
  }
  const counts = [...s.counts].sort((a, b) => LEDGER_KINDS.indexOf(a.kind) - LEDGER_KINDS.indexOf(b.kind) || a.level.localeCompare(b.level) || b.n - a.n);
  const lines: Bi[] = [tb('ledger:stats.counts', { year })];
  if (counts.length === 0) lines.push(tb('ledger:stats.no_counts', { year }));
  const rows = counts.slice(0, MAX_ROWS).map((c) => {
    const params = { kind: tb(`ledger:kind.${c.kind}`), level: c.level ? tb(`cards:level.${c.level}`) : '—', n: c.n };
    // An incident names no department: "(no department)" would read as a gap in the register.
    return c.kind === 'INCIDENT' && !c.deptId ? tr(tb, 'ledger:stats.row_no_dept', params) : tr(tb, 'ledger:stats.row', { ...params, dept: depts.get(c.deptId)! });
  });
  if (rows.length) lines.push({ zh: rows.map((r) => r.zh).join('\n'), en: rows.map((r) => r.en).join('\n') });
  lines.push(tb('ledger:stats.now'));
  lines.push(tb('ledger:stats.open_carry', { n: s.openCarryOuts, overdue: s.overdueCarryOuts }));
  lines.push(tb('ledger:stats.pending_destruction', { n: s.pendingDestruction }));
  lines.push(tb('ledger:stats.waiting', { n: s.waitingOver48h }));
  lines.push(tb('ledger:stats.open_incidents', { n: s.openIncidents }));
  lines.push(tb('ledger:stats.dead', { n: s.deadLetters }));
  return linesCard({ title: tb('ledger:stats.title', { year }), template: 'blue', lines, lang: ctx.locale === 'en-US' ? 'en' : 'zh' });
}
