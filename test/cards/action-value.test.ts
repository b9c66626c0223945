import { describe, expect, it } from 'vitest';
import { ACTION_LIMITS, decodeAction, encodeAction, newNonce } from '../../cards/index.js';

describe('encodeAction', () => {
  it('builds the compact wire shape with a given nonce', () => {
    expect(encodeAction({ action: 'approval.approve', requestId: 'CP-2026-0001', version: 3 }, 'n1')).toEqual({
      a: 'approval.approve',
      n: 'n1',
      r: 'CP-2026-0001',
      v: 3,
    });
    expect(encodeAction({ action: 'help.open', extra: {} }, 'n2')).toEqual({ a: 'help.open', n: 'n2' });
    expect(Object.keys(encodeAction({ action: 'help.open' }, 'n3'))).toEqual(['a', 'n']);
  });

  it('generates short unique nonces when none is given', () => {
    const nonces = new Set(Array.from({ length: 1000 }, () => encodeAction({ action: 'x' }).n));
    expect(nonces.size).toBe(1000);
    expect(newNonce()).toMatch(/^[0-9a-f]{16}$/);
  });

  it('throws on invalid input from our own code', () => {
    expect(() => encodeAction({ action: 'Approve' }, 'n')).toThrow(/invalid action value/);
    expect(() => encodeAction({ action: 'a', version: -1 }, 'n')).toThrow(/invalid action value/);
    expect(() => encodeAction({ action: 'a' }, '')).toThrow(/invalid action value/);
    const big = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`k${i}`, 'x'.repeat(200)]));
    expect(() => encodeAction({ action: 'a', extra: big }, 'n')).toThrow(/bytes; the limit is 1024/);
  });
});

describe('decodeAction', () => {
  it('round-trips, also through JSON', () => {
    const value = encodeAction({ action: 'approval.reject', requestId: 'CP-2026-0001', version: 0, extra: { step: 2, reason: 'late' } }, 'abc123');
    const expected = {
      ok: true,
      action: 'approval.reject',
      requestId: 'CP-2026-0001',
      version: 0,
      nonce: 'abc123',
      extra: { step: 2, reason: 'late' },
    };
    expect(decodeAction(value)).toEqual(expected);
    expect(decodeAction(JSON.parse(JSON.stringify(value)))).toEqual(expected);
    expect(decodeAction({ a: 'help', n: 'x' })).toEqual({ ok: true, action: 'help', nonce: 'x', extra: {} });
  });

  it.each([
    ['null', null],
    ['undefined', undefined],
    ['a string', 'approval.approve'],
    ['a number', 42],
    ['an array', [{ a: 'x', n: 'y' }]],
    ['an empty object', {}],
    ['a missing nonce', { a: 'approval.approve' }],
    ['a missing action', { n: 'abc' }],
    ['a bad action id (uppercase)', { a: 'Approval.approve', n: 'abc' }],
    ['a bad action id (leading digit)', { a: '1approve', n: 'abc' }],
    ['a bad action id (space)', { a: 'approve now', n: 'abc' }],
    ['an overlong action id', { a: 'a'.repeat(65), n: 'abc' }],
    ['an overlong nonce', { a: 'x', n: 'n'.repeat(65) }],
    ['an overlong request id', { a: 'x', n: 'n', r: 'R'.repeat(65) }],
    ['a negative version', { a: 'x', n: 'n', v: -1 }],
    ['a fractional version', { a: 'x', n: 'n', v: 1.5 }],
    ['a string version', { a: 'x', n: 'n', v: '3' }],
    ['an unknown field', { a: 'x', n: 'n', admin: true }],
    ['a nested extra value', { a: 'x', n: 'n', x: { o: { p: 1 } } }],
    ['a __proto__ extra key', JSON.parse('{"a":"x","n":"n","x":{"__proto__":{"polluted":1}}}') as unknown],
    ['too many extra fields', { a: 'x', n: 'n', x: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, i])) }],
    ['a huge object', Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, i]))],
    ['a huge extra object', { a: 'x', n: 'n', x: Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, i])) }],
    ['over 1 KB in total', { a: 'x', n: 'n', x: { a: 'y'.repeat(256), b: 'y'.repeat(256), c: 'y'.repeat(256), d: 'y'.repeat(256) } }],
  ])('rejects %s', (_label, value) => {
    const r = decodeAction(value);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toEqual(expect.any(String));
  });

  it('leaves Object.prototype alone', () => {
    decodeAction(JSON.parse('{"a":"x","n":"n","x":{"__proto__":{"polluted":1}}}'));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('never throws on hostile values', () => {
    const cyclic: Record<string, unknown> = { a: 'x', n: 'n' };
    cyclic.x = cyclic;
    const throwing = new Proxy(
      {},
      {
        ownKeys: () => {
          throw new Error('boom');
        },
      },
    );
    const getter = Object.defineProperty({ n: 'n' }, 'a', {
      enumerable: true,
      get: () => {
        throw new Error('boom');
      },
    });
    for (const v of [cyclic, throwing, getter, Object.create(null), 10n, Symbol('s'), () => 1, new Date(), new Map()]) {
      expect(() => decodeAction(v)).not.toThrow();
      expect(decodeAction(v).ok).toBe(false);
    }
  });

  it('never throws on random JSON values (fuzz)', () => {
    // Small deterministic PRNG so a failure is reproducible.
    let seed = 0x2f6b3c1d;
    const rand = () => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) / 2 ** 32;
    };
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
    const keys = ['a', 'r', 'v', 'n', 'x', 'k', '__proto__', 'constructor', ''] as const;
    const strings = ['', 'approval.approve', 'CP-2026-0001', 'A', '1', 'x'.repeat(70), '密', '\u0000'];
    const gen = (depth: number): unknown => {
      switch (Math.floor(rand() * (depth > 3 ? 5 : 7))) {
        case 0:
          return null;
        case 1:
          return rand() < 0.5;
        case 2:
          return pick([0, -1, 1.5, 3, 1e308, -0, Number.MAX_SAFE_INTEGER + 2]);
        case 3:
          return pick(strings);
        case 4:
          return pick(strings) + String(Math.floor(rand() * 1000));
        case 5:
          return Array.from({ length: Math.floor(rand() * 4) }, () => gen(depth + 1));
        default: {
          const o: Record<string, unknown> = {};
          const n = Math.floor(rand() * 6);
          for (let i = 0; i < n; i++) o[pick(keys)] = gen(depth + 1);
          return o;
        }
      }
    };
    let accepted = 0;
    const mutate = (): unknown => {
      const v: Record<string, unknown> = { a: 'approval.approve', n: 'abc', r: 'CP-2026-0001', v: 1 };
      const k = pick(keys);
      if (rand() < 0.3) delete v[k];
      else v[k] = gen(1);
      return v;
    };
    for (let i = 0; i < 5000; i++) {
      const v = i % 2 ? gen(0) : mutate();
      const r = decodeAction(v);
      if (r.ok) {
        accepted += 1;
        expect(r.action).toMatch(/^[a-z][a-z0-9_.-]*$/);
        expect(r.action.length).toBeLessThanOrEqual(ACTION_LIMITS.maxActionLength);
      }
    }
    // Half the inputs are mutations of a valid value, so some must still pass.
    expect(accepted).toBeGreaterThan(0);
  });
});

describe('the owner of a card (u): the person a form was made for', () => {
  const OWNER = 'ou_0a1b2c3d4e5f60718293a4b5c6d7e8f9';
  it('round-trips the owner open_id with every other field', () => {
    const v = encodeAction({ action: 'form.carry', requestId: 'CO-2026-0001', version: 2, extra: { s: 1 }, owner: OWNER }, 'n1');
    expect(v).toEqual({ a: 'form.carry', n: 'n1', r: 'CO-2026-0001', v: 2, x: { s: 1 }, u: OWNER });
    expect(decodeAction(v)).toEqual({ ok: true, action: 'form.carry', requestId: 'CO-2026-0001', version: 2, nonce: 'n1', extra: { s: 1 }, owner: OWNER });
  });

  it('accepts only an open_id as owner, from our code and from a click', () => {
    expect(() => encodeAction({ action: 'form.copy', owner: 'zhangsan' }, 'n')).toThrow(/invalid action value/);
    expect(decodeAction({ a: 'form.copy', n: 'n', u: 'on_notanopenid' })).toMatchObject({ ok: false });
    expect(decodeAction({ a: 'form.copy', n: 'n', u: 42 })).toMatchObject({ ok: false });
  });
});
