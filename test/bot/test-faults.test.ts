/** The test-only crash switch (bot/test-faults.ts) is inert in production and strict about its spec. */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../bot/core/config.js';
import { silentLogger } from '../../bot/core/logger.js';
import { readTestFaults } from '../../bot/test-faults.js';

describe('BAOMI_TEST_FAULT / BAOMI_TEST_LEASE_MS', () => {
  it('are ignored when NODE_ENV=production, and absent by default', () => {
    expect(readTestFaults({ NODE_ENV: 'production', BAOMI_TEST_FAULT: 'kill:after-insert:COPY', BAOMI_TEST_LEASE_MS: '500' }, silentLogger)).toBeUndefined();
    expect(readTestFaults({}, silentLogger)).toBeUndefined();
    expect(readTestFaults({ BAOMI_TEST_FAULT: '', BAOMI_TEST_LEASE_MS: '' }, silentLogger)).toBeUndefined();
  });

  it('parse the crash points and the lease; anything else stops the start-up naming the variable', () => {
    expect(readTestFaults({ BAOMI_TEST_LEASE_MS: '1500' }, silentLogger)?.leaseMs).toBe(1500);
    expect(readTestFaults({ BAOMI_TEST_FAULT: 'kill:before-effect:check_out:ledger' }, silentLogger)?.beforeEffect).toBeTypeOf('function');
    expect(readTestFaults({ BAOMI_TEST_FAULT: 'kill:after-insert:DESTROY' }, silentLogger)?.wrap).toBeTypeOf('function');
    for (const bad of ['kill', 'kill:after-insert:PRINT', 'kill:before-effect:check_out', 'sleep:1']) {
      expect(() => readTestFaults({ BAOMI_TEST_FAULT: bad }, silentLogger), bad).toThrow(ConfigError);
    }
    expect(() => readTestFaults({ BAOMI_TEST_LEASE_MS: '10' }, silentLogger)).toThrow(/BAOMI_TEST_LEASE_MS/);
  });

  it('the effect point fires only for the named command’s effect of that type (the command is read from its audit effect)', () => {
    const faults = readTestFaults({ BAOMI_TEST_FAULT: 'kill:before-effect:check_out:ledger' }, silentLogger)!;
    const kill = process.kill;
    const killed: (string | number | undefined)[] = [];
    process.kill = ((_pid: number, signal?: string | number) => {
      killed.push(signal);
      throw new Error('killed');
    }) as typeof process.kill;
    try {
      const e = (version: number, index: number, body: Record<string, unknown>) => ({ key: `CO-1:${version}:${index}:${body.type}`, requestId: 'CO-1', version, ...body }) as never;
      faults.beforeEffect!(e(4, 0, { type: 'audit', action: 'approve' }), 0);
      faults.beforeEffect!(e(4, 1, { type: 'ledger', ledger: 'CARRY' }), 1); // another command's ledger
      faults.beforeEffect!(e(5, 0, { type: 'audit', action: 'check_out' }), 0);
      faults.beforeEffect!(e(5, 1, { type: 'carrier.status' }), 1);
      expect(killed).toEqual([]);
      expect(() => faults.beforeEffect!(e(5, 2, { type: 'ledger', ledger: 'CARRY' }), 2)).toThrow('killed');
      expect(killed).toEqual(['SIGKILL']);
    } finally {
      process.kill = kill;
    }
  });
});
