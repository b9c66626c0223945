/** Every cache key carries the tenant: two tenants' requests with the same id each get their own card. */
import { describe, expect, it } from 'vitest';
import type { Department, Directory, Person } from '../../../bot/core/types.js';
import { People } from '../../../handlers/approvals/people.js';
import { ApprovalCards } from '../../../handlers/approvals/render.js';
import type { CardKind } from '../../../handlers/approvals/ports.js';
import { approved, carrier, submitted } from '../../domain/helpers.js';

/** Each tenant's directory: the same open_ids and department id, different people and names. */
const ORGS: Record<string, { people: Record<string, string>; dept: string }> = {
  tenant_a: { people: { ou_req: '甲方申请人', ou_dh: '甲方处长' }, dept: '甲方综合处' },
  tenant_b: { people: { ou_req: '乙方申请人', ou_dh: '乙方处长' }, dept: '乙方研发部' },
};

const directory = {
  async user(tenantKey: string, openId: string): Promise<Person | undefined> {
    const name = ORGS[tenantKey]?.people[openId];
    return name ? { openId, name, departmentIds: ['dept_1'] } : undefined;
  },
  async department(tenantKey: string, id: string): Promise<Department | undefined> {
    const org = ORGS[tenantKey];
    return org && id === 'dept_1' ? { id, name: org.dept } : undefined;
  },
} as unknown as Directory;

const roles = { rolesOf: async () => [], holders: async () => [], deptHeadOverride: async () => undefined };
const NOW = new Date('2026-03-02T03:00:00Z');

describe('ApprovalCards across tenants', () => {
  const requests = {
    tenant_a: submitted('COPY', 'SECRET', { carriers: [carrier('JM-AAA-1', 'SECRET')] }),
    tenant_b: submitted('COPY', 'SECRET', { carriers: [carrier('JM-BBB-1', 'SECRET')] }),
  };

  for (const kind of ['status', 'approval', 'execution'] as CardKind[]) {
    it(`${kind} card: each tenant sees its own requester, department and carriers, rendered in either order`, async () => {
      // The premise: the same request id, version and department id in both tenants.
      expect(requests.tenant_a.id).toBe(requests.tenant_b.id);
      expect(requests.tenant_a.version).toBe(requests.tenant_b.version);
      expect(requests.tenant_a.deptId).toBe(requests.tenant_b.deptId);
      for (const order of [
        ['tenant_a', 'tenant_b'],
        ['tenant_b', 'tenant_a'],
      ] as const) {
        const cards = new ApprovalCards(new People(roles, directory), 'Asia/Shanghai', () => NOW);
        const seen: Record<string, string> = {};
        for (const tenant of order) {
          const req = kind === 'execution' ? approved('COPY', 'SECRET', { carriers: requests[tenant].carriers }) : requests[tenant];
          seen[tenant] = JSON.stringify(await cards.renderFresh(tenant, kind, req, 'ou_dh'));
        }
        for (const [mine, other] of [
          ['tenant_a', 'tenant_b'],
          ['tenant_b', 'tenant_a'],
        ] as const) {
          const own = ORGS[mine]!;
          const foreign = ORGS[other]!;
          expect(seen[mine]).toContain(own.people.ou_req);
          expect(seen[mine]).toContain(own.dept);
          expect(seen[mine]).toContain(mine === 'tenant_a' ? 'JM-AAA-1' : 'JM-BBB-1');
          expect(seen[mine]).not.toContain(foreign.people.ou_req);
          expect(seen[mine]).not.toContain(foreign.dept);
          expect(seen[mine]).not.toContain(mine === 'tenant_a' ? 'JM-BBB-1' : 'JM-AAA-1');
        }
      }
    });
  }

  it('the service path (prepare, then render with the tenant) keeps tenants apart too', async () => {
    const cards = new ApprovalCards(new People(roles, directory), 'Asia/Shanghai', () => NOW);
    const a = cards.render('tenant_a', 'status', requests.tenant_a, await cards.prepare('tenant_a', requests.tenant_a));
    const b = cards.render('tenant_b', 'status', requests.tenant_b, await cards.prepare('tenant_b', requests.tenant_b));
    expect(JSON.stringify(a)).toContain('甲方综合处');
    expect(JSON.stringify(b)).toContain('乙方研发部');
    expect(JSON.stringify(b)).not.toContain('甲方');
  });
});
