/**
 * TEST ONLY — the crash switch the process tests use (test/e2e/crash-process.test.ts): the bot
 * kills itself with SIGKILL at a named point, so a test can prove that a real process death loses
 * nothing and doubles nothing. Read from the environment by bootstrap.ts and ignored entirely
 * when NODE_ENV=production.
 *
 * - `BAOMI_TEST_FAULT`:
 *   - `kill:after-insert:<KIND>` — right after a request of kind COPY | CARRY_OUT | DESTROY was
 *     stored, before its effects ran and before the user was answered;
 *   - `kill:before-effect:<command>:<effect type>` — before the first effect of that type (e.g.
 *     `ledger`, `carrier.status`, `notify`) produced by that workflow command (e.g. `check_out`,
 *     `record_destruction`, `confirm_witness`). The command is known from the audit effect that
 *     leads every version's effects (`<requestId>:<version>:0:audit`);
 *   - `kill:reminder:<after-claim|after-send>:<reminder kind>` — in the reminder sweep, right after
 *     a reminder of that kind (e.g. `approval.remind`) was claimed, or after its messages were sent
 *     and before it was marked sent (handlers/approvals/reminders.ts).
 * - `BAOMI_TEST_LEASE_MS`: the delivery claim's, the effect runner's and the reminder claim's lease,
 *   shortened so that a restarted process takes over at once instead of after the production lease.
 */
import type { ApprovalRepos, PendingEffect } from '../handlers/approvals/ports.js';
import type { Reminder } from '../models/reminder.model.js';
import { ConfigError } from './core/config.js';
import type { Logger } from './core/logger.js';

export interface TestFaults {
  /** Lease length for delivery claims and the effect runner (ms). */
  leaseMs?: number;
  /** For ApprovalService's `beforeEffect`. */
  beforeEffect?: (effect: PendingEffect, index: number) => void;
  /** Wraps repositories (the after-insert point). */
  wrap(repos: ApprovalRepos): void;
  /** For ReminderSender's `afterClaim` / `afterSend`. */
  reminder?: { afterClaim?: (r: Reminder) => void; afterSend?: (r: Reminder) => void };
}

const KINDS = new Set(['COPY', 'CARRY_OUT', 'DESTROY']);

/** SIGKILL: no handler runs, no buffer is flushed, no socket is closed politely — a crash. */
function die(logger: Logger, point: string): never {
  logger.warn('TEST FAULT: killing the process', { point });
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable: SIGKILL did not stop the process');
}

export function readTestFaults(env: NodeJS.ProcessEnv, logger: Logger): TestFaults | undefined {
  const spec = env.BAOMI_TEST_FAULT?.trim();
  const lease = env.BAOMI_TEST_LEASE_MS?.trim();
  if (!spec && !lease) return undefined;
  if (env.NODE_ENV === 'production') {
    logger.warn('BAOMI_TEST_FAULT / BAOMI_TEST_LEASE_MS are test switches and are ignored when NODE_ENV=production');
    return undefined;
  }
  const faults: TestFaults = { wrap: () => undefined };
  if (lease) {
    const ms = Number(lease);
    if (!Number.isInteger(ms) || ms < 100 || ms > 60_000)
      throw new ConfigError(`BAOMI_TEST_LEASE_MS must be an integer from 100 to 60000 (got ${JSON.stringify(lease)})`, 'BAOMI_TEST_LEASE_MS');
    faults.leaseMs = ms;
  }
  if (!spec) return faults;
  const parts = spec.split(':');
  if (parts[0] === 'kill' && parts[1] === 'after-insert' && parts.length === 3 && KINDS.has(parts[2]!)) {
    const kind = parts[2]!;
    faults.wrap = (repos) => {
      const insert = repos.requests.insert.bind(repos.requests);
      repos.requests.insert = async (tenantKey, request, effects, opts) => {
        await insert(tenantKey, request, effects, opts);
        if (request.kind === kind) die(logger, spec);
      };
    };
  } else if (parts[0] === 'kill' && parts[1] === 'before-effect' && parts.length === 4 && parts[2] && parts[3]) {
    const [, , command, type] = parts as [string, string, string, string];
    /** `${requestId}:${version}` → the command that produced that version's effects. */
    const commandOf = new Map<string, string>();
    faults.beforeEffect = (effect) => {
      const version = `${effect.requestId}:${effect.version}`;
      if (effect.type === 'audit') commandOf.set(version, effect.action);
      if (effect.type === type && commandOf.get(version) === command) die(logger, spec);
    };
  } else if (parts[0] === 'kill' && parts[1] === 'reminder' && parts.length === 4 && (parts[2] === 'after-claim' || parts[2] === 'after-send') && parts[3]) {
    const kind = parts[3];
    const point = (r: Reminder) => {
      if (r.kind === kind) die(logger, spec);
    };
    faults.reminder = parts[2] === 'after-claim' ? { afterClaim: point } : { afterSend: point };
  } else {
    throw new ConfigError(
      `BAOMI_TEST_FAULT must be kill:after-insert:<COPY|CARRY_OUT|DESTROY>, kill:before-effect:<command>:<effect type> or kill:reminder:<after-claim|after-send>:<kind> (got ${JSON.stringify(spec)})`,
      'BAOMI_TEST_FAULT',
    );
  }
  logger.warn('TEST FAULT ARMED: this process will kill itself', { fault: spec });
  return faults;
}
