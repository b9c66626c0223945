import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RoleStore } from '../../models/role.model.js';
import { useTestDb, type TestDb } from '../helpers/mongo.js';

let db: TestDb;
let roles: RoleStore;
let clock = new Date('2026-03-02T02:00:00Z');
const tick = () => (clock = new Date(clock.getTime() + 1000));

beforeAll(async () => {
  db = await useTestDb();
  roles = new RoleStore(db.connection, { admins: [' ou_env ', 'ou_env2', ''] }, () => tick());
  await roles.init();
});
afterAll(async () => {
  await db?.close();
});

const stored = (q: Record<string, unknown>) => db.connection.collection('roles').countDocuments(q);

describe('rolesOf', () => {
  it('everyone is staff; nothing is stored for it', async () => {
    expect(await roles.rolesOf('t1', 'ou_nobody')).toEqual(['staff']);
    expect(await roles.grant('t1', 'ou_nobody', 'staff', 'ou_env')).toBe(false);
    expect(await roles.revoke('t1', 'ou_nobody', 'staff', 'ou_env')).toBe(false);
    expect(await stored({ role: 'staff' })).toBe(0);
    expect(await roles.holders('t1', 'staff')).toEqual([]);
  });

  it('configured admins are admins in every tenant, never stored, never revoked', async () => {
    expect(await roles.rolesOf('t1', 'ou_env')).toEqual(['staff', 'admin']);
    expect(await roles.rolesOf('t9', 'ou_env2')).toEqual(['staff', 'admin']);
    expect(await roles.grant('t1', 'ou_env', 'admin', 'ou_env2')).toBe(false);
    expect(await roles.revoke('t1', 'ou_env', 'admin', 'ou_env2')).toBe(false);
    expect(await roles.rolesOf('t1', 'ou_env')).toEqual(['staff', 'admin']);
    expect(await stored({ openId: 'ou_env' })).toBe(0);
  });

  it('lists granted roles in ROLES order, env admin included', async () => {
    expect(await roles.grant('t1', 'ou_env', 'security_officer', 'ou_env2')).toBe(true);
    expect(await roles.grant('t1', 'ou_a', 'leader', 'ou_env')).toBe(true);
    expect(await roles.grant('t1', 'ou_a', 'security_officer', 'ou_env')).toBe(true);
    expect(await roles.rolesOf('t1', 'ou_env')).toEqual(['staff', 'security_officer', 'admin']);
    expect(await roles.rolesOf('t1', 'ou_a')).toEqual(['staff', 'security_officer', 'leader']);
  });
});

describe('grant / revoke', () => {
  it('are idempotent', async () => {
    expect(await roles.grant('t2', 'ou_b', 'principal', 'ou_env')).toBe(true);
    expect(await roles.grant('t2', 'ou_b', 'principal', 'ou_env')).toBe(false);
    expect(await stored({ tenantKey: 't2', openId: 'ou_b', role: 'principal' })).toBe(1);
    expect(await roles.revoke('t2', 'ou_b', 'principal', 'ou_env')).toBe(true);
    expect(await roles.revoke('t2', 'ou_b', 'principal', 'ou_env')).toBe(false);
    expect(await roles.rolesOf('t2', 'ou_b')).toEqual(['staff']);
  });

  it('concurrent grants of one role: exactly one reports new, one document', async () => {
    const got = await Promise.all(Array.from({ length: 10 }, () => roles.grant('t2', 'ou_c', 'committee_member', 'ou_env')));
    expect(got.filter(Boolean)).toHaveLength(1);
    expect(await stored({ tenantKey: 't2', openId: 'ou_c', role: 'committee_member' })).toBe(1);
  });

  it('granted admins can be revoked', async () => {
    expect(await roles.grant('t2', 'ou_d', 'admin', 'ou_env')).toBe(true);
    expect(await roles.rolesOf('t2', 'ou_d')).toEqual(['staff', 'admin']);
    expect(await roles.revoke('t2', 'ou_d', 'admin', 'ou_env')).toBe(true);
    expect(await roles.rolesOf('t2', 'ou_d')).toEqual(['staff']);
  });

  it('refuses unknown roles, a dept_head without department, and empty actors', async () => {
    await expect(roles.grant('t2', 'ou_e', 'boss' as never, 'ou_env')).rejects.toThrow(/unknown role/);
    await expect(roles.grant('t2', 'ou_e', 'dept_head', 'ou_env')).rejects.toThrow(/deptId/);
    await expect(roles.grant('t2', 'ou_e', 'leader', '')).rejects.toThrow(/byOpenId/);
    await expect(roles.rolesOf('', 'ou_e')).rejects.toThrow(/tenantKey/);
  });
});

describe('holders', () => {
  it('in grant order; admin lists configured admins first', async () => {
    await roles.grant('t3', 'ou_z', 'security_officer', 'ou_env');
    await roles.grant('t3', 'ou_a', 'security_officer', 'ou_env');
    await roles.grant('t3', 'ou_m', 'security_officer', 'ou_env');
    expect(await roles.holders('t3', 'security_officer')).toEqual(['ou_z', 'ou_a', 'ou_m']);
    await roles.grant('t3', 'ou_y', 'admin', 'ou_env');
    expect(await roles.holders('t3', 'admin')).toEqual(['ou_env', 'ou_env2', 'ou_y']);
    expect(await roles.holders('t3', 'leader')).toEqual([]);
  });
});

describe('deptHeadOverride', () => {
  it('names the assigned head of a department; the newest assignment wins; moves count', async () => {
    expect(await roles.deptHeadOverride('t4', 'dept_1')).toBeUndefined();
    expect(await roles.grant('t4', 'ou_h1', 'dept_head', 'ou_env', { deptId: 'dept_1' })).toBe(true);
    expect(await roles.deptHeadOverride('t4', 'dept_1')).toBe('ou_h1');
    expect(await roles.grant('t4', 'ou_h1', 'dept_head', 'ou_env', { deptId: 'dept_1' })).toBe(false);
    expect(await roles.grant('t4', 'ou_h2', 'dept_head', 'ou_env', { deptId: 'dept_1' })).toBe(true);
    expect(await roles.deptHeadOverride('t4', 'dept_1')).toBe('ou_h2');
    // h2 moves to dept_2: dept_1 falls back to h1, dept_2 is h2's.
    expect(await roles.grant('t4', 'ou_h2', 'dept_head', 'ou_env', { deptId: 'dept_2' })).toBe(true);
    expect(await roles.deptHeadOverride('t4', 'dept_1')).toBe('ou_h1');
    expect(await roles.deptHeadOverride('t4', 'dept_2')).toBe('ou_h2');
    // h1 now takes dept_2 as well: the newest assignment wins there.
    expect(await roles.grant('t4', 'ou_h1', 'dept_head', 'ou_env', { deptId: 'dept_2' })).toBe(true);
    expect(await roles.deptHeadOverride('t4', 'dept_2')).toBe('ou_h1');
    expect(await roles.deptHeadOverride('t4', 'dept_1')).toBeUndefined();
    await roles.revoke('t4', 'ou_h1', 'dept_head', 'ou_env');
    expect(await roles.deptHeadOverride('t4', 'dept_2')).toBe('ou_h2');
  });
});

describe('list and tenant isolation', () => {
  it('lists people with their roles and department; tenants do not see each other', async () => {
    await roles.grant('t5', 'ou_p', 'dept_head', 'ou_env', { deptId: 'dept_9' });
    await roles.grant('t5', 'ou_p', 'classification_officer', 'ou_env');
    await roles.grant('t6', 'ou_q', 'leader', 'ou_env');
    expect(await roles.list('t5')).toEqual([
      { openId: 'ou_env', roles: ['admin'] },
      { openId: 'ou_env2', roles: ['admin'] },
      { openId: 'ou_p', roles: ['dept_head', 'classification_officer'], deptId: 'dept_9' },
    ]);
    expect(await roles.rolesOf('t6', 'ou_p')).toEqual(['staff']);
    expect(await roles.holders('t5', 'leader')).toEqual([]);
    expect(await roles.deptHeadOverride('t6', 'dept_9')).toBeUndefined();
    expect(await roles.revoke('t6', 'ou_p', 'classification_officer', 'ou_env')).toBe(false);
    expect(await roles.rolesOf('t5', 'ou_p')).toEqual(['staff', 'dept_head', 'classification_officer']);
  });

  it('a second instance sees a revoke at once (no cache)', async () => {
    const other = new RoleStore(db.connection, { admins: [] });
    await roles.grant('t7', 'ou_r', 'security_head', 'ou_env');
    expect(await other.rolesOf('t7', 'ou_r')).toContain('security_head');
    await roles.revoke('t7', 'ou_r', 'security_head', 'ou_env');
    expect(await other.rolesOf('t7', 'ou_r')).toEqual(['staff']);
  });
});
