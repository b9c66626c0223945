// `/verify`: every chain walked link by link, then checked against its last anchored head, so a
// chain cut short (its newest entries deleted) or rewritten from some point on is caught too.
// Anchors are taken on demand (`/verify anchor`) and daily (`anchorDaily`, one per tenant and
// local day across instances), and sent as a digest card to the security-office head(s).
import { createHash } from 'node:crypto';
import type { Bi, Context } from '../../bot/core/types.js';
import { linesCard } from '../../cards/ledger.card.js';
import { fmtTime, tr } from '../../cards/request.card.js';
import { bilingual } from '../../locales/index.js';
import { localDate } from '../../domain/index.js';
import type { Anchor } from '../../models/anchor.model.js';
import type { ChainHead } from '../../models/ledger-reader.js';
import type { AnchorJobDeps, LedgerDeps } from './resolve.js';

export interface ChainCheck {
  ledger: ChainHead['ledger'];
  ok: boolean;
  count: number;
  broken?: { seq: number; reason: string; time?: Date };
  /** The anchored head this chain no longer reaches. */
  truncated?: { seq: number; anchoredAt: Date };
}

/** Walks every chain of a tenant and compares it with the newest anchor. */
export async function checkChains(deps: Pick<LedgerDeps, 'reader' | 'anchors'>, tenantKey: string): Promise<{ checks: ChainCheck[]; anchor: Anchor | null }> {
  const [reports, anchor] = await Promise.all([deps.reader.verifyAll(tenantKey), deps.anchors.latest(tenantKey)]);
  const checks: ChainCheck[] = [];
  for (const r of reports) {
    const c: ChainCheck = { ledger: r.ledger, ok: r.result.ok, count: r.result.count };
    if (!r.result.ok) c.broken = { seq: r.result.brokenAt, reason: r.result.reason, ...(r.brokenTime ? { time: r.brokenTime } : {}) };
    const head = anchor?.heads.find((h) => h.ledger === r.ledger);
    if (head && anchor) {
      // The chain must still hold the anchored link, with the anchored hash, inside its intact part.
      const reaches = r.result.count >= head.seq && (await deps.reader.linkHash(tenantKey, r.ledger, head.seq)) === head.hash;
      if (!reaches) {
        c.ok = false;
        c.truncated = { seq: head.seq, anchoredAt: anchor.at };
      }
    }
    checks.push(c);
  }
  return { checks, anchor };
}

export async function verifyCard(ctx: Context, deps: LedgerDeps) {
  const tz = ctx.services.timezone;
  const { checks, anchor } = await checkChains(deps, ctx.tenantKey);
  const tb = ctx.tb;
  const lines: Bi[] = [];
  for (const c of checks) {
    const kind = tb(`ledger:kind.${c.ledger}`);
    if (c.broken) {
      lines.push(
        tr(tb, 'ledger:verify.broken_line', {
          kind,
          seq: c.broken.seq,
          reason: tb(`ledger:verify.reason.${c.broken.reason}`),
          time: c.broken.time ? fmtTime(c.broken.time.toISOString(), tz) : '—',
        }),
      );
    } else if (c.count === 0 && !c.truncated) lines.push(tr(tb, 'ledger:verify.empty_line', { kind }));
    else if (!c.truncated) lines.push(tr(tb, 'ledger:verify.ok_line', { kind, count: c.count }));
    if (c.truncated) lines.push(tr(tb, 'ledger:verify.truncated_line', { kind, seq: c.truncated.seq, at: fmtTime(c.truncated.anchoredAt.toISOString(), tz) }));
  }
  lines.push(anchor ? tb('ledger:verify.anchor_line', { at: fmtTime(anchor.at.toISOString(), tz) }) : tb('ledger:verify.no_anchor'));
  const intact = checks.every((c) => c.ok);
  const lang = ctx.locale === 'en-US' ? 'en' : 'zh';
  return { intact, checks, card: linesCard({ title: tb(intact ? 'ledger:verify.title_ok' : 'ledger:verify.title_bad'), template: intact ? 'green' : 'red', lines, lang }) };
}

/** The digest card of an anchor: each chain's last seq and hash. */
export function anchorCard(anchor: Anchor, timeZone: string) {
  const tb = bilingual;
  const lines: Bi[] = [tb('ledger:anchor.intro')];
  if (anchor.heads.length === 0) lines.push(tb('ledger:anchor.none'));
  for (const h of anchor.heads) lines.push(tr(tb, 'ledger:anchor.line', { kind: tb(`ledger:kind.${h.ledger}`), seq: h.seq, hash: h.hash }));
  return linesCard({ title: tb('ledger:anchor.title', { date: fmtTime(anchor.at.toISOString(), timeZone) }), template: 'blue', lines });
}

async function sendDigest(deps: Pick<AnchorJobDeps, 'sender' | 'timezone'>, heads: string[], anchor: Anchor): Promise<void> {
  const card = anchorCard(anchor, deps.timezone);
  for (const openId of heads) {
    const uuid = `anchor-${createHash('sha256').update(`${anchor.tenantKey}\u0000${anchor.key}\u0000${openId}`).digest('hex').slice(0, 32)}`;
    await deps.sender.send({ openId }, { type: 'card', card }, { uuid });
  }
}

/** Anchors a tenant's chain heads under `key`; false when the key was taken (another instance). */
async function take(deps: AnchorJobDeps, tenantKey: string, key: string, by: string, at: Date): Promise<Anchor | undefined> {
  const heads = await deps.reader.heads(tenantKey);
  const anchor: Anchor = { tenantKey, key, at, by, heads };
  if (!(await deps.anchors.take(anchor))) return undefined;
  return anchor;
}

async function securityHeads(deps: Pick<LedgerDeps, 'roles'>, tenantKey: string): Promise<string[]> {
  return deps.roles.holders(tenantKey, 'security_head');
}

/** `/verify anchor`: anchors now and sends the digest to the security-office head(s). */
export async function anchorNow(ctx: Context, deps: LedgerDeps): Promise<string> {
  const now = ctx.services.now();
  const job: AnchorJobDeps = { ...deps, sender: ctx.services.sender, timezone: ctx.services.timezone };
  const anchor = await take(job, ctx.tenantKey, `manual:${now.toISOString()}:${ctx.actorId}`, ctx.actorId!, now);
  if (anchor) await sendDigest(job, await securityHeads(deps, ctx.tenantKey), anchor);
  return fmtTime(now.toISOString(), ctx.services.timezone);
}

/**
 * The daily anchor of every tenant that has a chain: one per tenant and local day, whatever the
 * number of instances (the key `daily:<YYYY-MM-DD>` is unique; the loser does nothing). Safe to
 * call often (the scheduler may call it on its cadence). Returns the tenants anchored now.
 */
export async function anchorDaily(deps: AnchorJobDeps, now: Date = new Date()): Promise<string[]> {
  const key = `daily:${localDate(now, deps.timezone)}`;
  const done: string[] = [];
  for (const tenantKey of await deps.reader.tenants()) {
    if (await deps.anchors.has(tenantKey, key)) continue;
    const anchor = await take(deps, tenantKey, key, 'system', now);
    if (!anchor) continue;
    done.push(tenantKey);
    await sendDigest(deps, await securityHeads(deps, tenantKey), anchor);
  }
  return done;
}
