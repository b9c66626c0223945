import type { ApprovalRepos } from '../handlers/approvals/ports.js';
import { regimeOf, type Level, type Role } from '../domain/index.js';
import type { DemoOrg } from './lark/server.js';

/** A few carriers of every level, so the sandbox can be tried at once (aliases only, no content). */
export const DEMO_CARRIERS: {
  number: string;
  level: Level;
  carrierType: string;
  alias: string;
  period?: string;
  issuer?: string;
  copyRestricted?: boolean;
  mustReturnToIssuer?: boolean;
  pages?: number;
}[] = [
  { number: 'MM-2026-001', level: 'CONFIDENTIAL', carrierType: '纸质', alias: '季度工作材料（别名）', period: '10年', issuer: '综合处', pages: 12 },
  { number: 'JM-2026-001', level: 'SECRET', carrierType: '纸质', alias: '年度计划汇编（别名）', period: '20年', issuer: '上级机关', pages: 30 },
  { number: 'JM-2026-002', level: 'SECRET', carrierType: 'U盘', alias: '项目资料盘（别名）', period: '20年', issuer: '研发部' },
  { number: 'JM-2026-003', level: 'SECRET', carrierType: '纸质', alias: '会议纪要（别名）', period: '20年', issuer: '上级机关', copyRestricted: true, pages: 8 },
  { number: 'JUEM-2026-001', level: 'TOP_SECRET', carrierType: '纸质', alias: '专项文件（别名）', period: '30年', issuer: '上级机关', mustReturnToIssuer: true, pages: 5 },
  { number: 'SM-2026-001', level: 'CORE', carrierType: '移动硬盘', alias: '核心技术资料（别名）', period: '长期', issuer: '研发部' },
  { number: 'SM-2026-002', level: 'ORDINARY', carrierType: '纸质', alias: '客户名单（别名）', period: '5年', issuer: '财务处', pages: 3 },
];

/**
 * Sandbox only: gives the demo organisation's people their roles (`demo_roles` in the seed; a
 * department head is Lark's `leader_user_id`, nothing to store) and registers the demo carriers.
 */
export async function seedDemo(repos: ApprovalRepos, org: DemoOrg, tenantKey: string): Promise<void> {
  const officer = org.users.find((u) => u.demo_roles?.includes('security_officer'))?.open_id ?? 'system';
  for (const u of org.users) {
    for (const role of (u.demo_roles ?? []) as Role[]) {
      if (role === 'dept_head' || role === 'staff') continue;
      await repos.roles.grant(tenantKey, u.open_id, role, 'sandbox');
    }
  }
  for (const c of DEMO_CARRIERS) {
    const { carrier, created } = await repos.carriers.createIfAbsent(tenantKey, {
      number: c.number,
      regime: regimeOf(c.level),
      level: c.level,
      carrierType: c.carrierType,
      alias: c.alias,
      ...(c.period ? { period: c.period } : {}),
      ...(c.issuer ? { issuer: c.issuer } : {}),
      copyRestricted: c.copyRestricted ?? false,
      mustReturnToIssuer: c.mustReturnToIssuer ?? false,
      ...(c.pages ? { pages: c.pages } : {}),
      count: 1,
      custodianId: officer,
      origin: 'registered',
      createdBy: officer,
    });
    if (!created) continue;
    await repos.ledger.append(tenantKey, 'MASTER', {
      effectKey: `carrier:${carrier.number}:registered`,
      event: 'REGISTERED',
      carrierNumber: carrier.number,
      actorId: officer,
      quantity: 1,
      occurredAt: carrier.createdAt,
      data: { number: carrier.number, alias: carrier.alias, carrierType: carrier.carrierType, level: carrier.level, period: carrier.period ?? null, status: carrier.status },
    });
  }
}
