import { BotError } from '../../bot/core/errors.js';
import type { Bi, Directory } from '../../bot/core/types.js';
import { chainFor, type Actor, type Kind, type Level, type Policy, type Role } from '../workflow/index.js';

/** What this module needs of the role store (models/role.model.ts). */
export interface RoleSource {
  rolesOf(tenantKey: string, openId: string): Promise<Role[]>;
  holders(tenantKey: string, role: Role): Promise<string[]>;
  deptHeadOverride(tenantKey: string, deptId: string): Promise<string | undefined>;
}

/**
 * Who people are and who decides what: roles from the store, departments and their heads from
 * Lark's contact API (a `dept_head` role assignment for the department overrides `leader_user_id`).
 */
export class People {
  constructor(
    private readonly roles: RoleSource,
    private readonly directory: Directory,
  ) {}

  async deptOf(tenantKey: string, openId: string): Promise<string | undefined> {
    return (await this.directory.user(tenantKey, openId))?.departmentIds[0];
  }

  async deptHead(tenantKey: string, deptId: string | undefined): Promise<string | undefined> {
    if (!deptId) return undefined;
    return (await this.roles.deptHeadOverride(tenantKey, deptId)) ?? (await this.directory.department(tenantKey, deptId))?.leaderUserId;
  }

  /** The actor for a decision: stored roles, plus dept_head when they head the request's department. */
  async actor(tenantKey: string, openId: string, deptId?: string): Promise<Actor> {
    const [stored, head] = await Promise.all([this.roles.rolesOf(tenantKey, openId), this.deptHead(tenantKey, deptId)]);
    const roles = new Set(stored);
    if (head === openId) roles.add('dept_head');
    return { id: openId, roles: [...roles] };
  }

  async hasRole(tenantKey: string, openId: string, role: Role): Promise<boolean> {
    return (await this.roles.rolesOf(tenantKey, openId)).includes(role);
  }

  /**
   * The people for each step of the chain, never the requester, and nobody deciding two steps:
   * a single-person step takes the first holder not already holding another single-person step.
   * A department head asking for themselves goes to a leader in charge (or the principal) who has
   * no other step of the chain.
   */
  async assignees(tenantKey: string, policy: Policy, kind: Kind, level: Level, requesterId: string, deptId: string | undefined): Promise<string[][]> {
    const chain = chainFor(policy, kind, level);
    const candidates: string[][] = [];
    for (const step of chain) {
      if (step.role === 'dept_head') {
        const head = await this.deptHead(tenantKey, deptId);
        if (head && head !== requesterId) candidates.push([head]);
        else candidates.push([...(await this.roles.holders(tenantKey, 'leader')), ...(await this.roles.holders(tenantKey, 'principal'))].filter((p) => p !== requesterId));
        if (candidates.at(-1)!.length === 0) throw new BotError('request:no_dept_head');
      } else {
        const people = (await this.roles.holders(tenantKey, step.role)).filter((p) => p !== requesterId);
        if (people.length === 0) throw new BotError('request:no_role_holder', { role: step.role });
        candidates.push(people);
      }
    }
    // Fill the single-person steps with the fewest choices first, so a choice never blocks another.
    const taken = new Set<string>();
    const out: string[][] = chain.map(() => []);
    const order = chain.map((_, i) => i).filter((i) => chain[i]!.mode === 'ONE').sort((a, b) => candidates[a]!.length - candidates[b]!.length);
    for (const i of order) {
      const pick = candidates[i]!.find((p) => !taken.has(p)) ?? candidates[i]![0]!;
      taken.add(pick);
      out[i] = [pick];
    }
    chain.forEach((step, i) => {
      if (step.mode !== 'ONE') out[i] = candidates[i]!.filter((p) => !taken.has(p)).length ? candidates[i]!.filter((p) => !taken.has(p)) : candidates[i]!;
    });
    return out;
  }

  /** A department's name in both languages; its id when Lark does not know it. */
  async deptName(tenantKey: string, deptId: string): Promise<Bi> {
    const d = await this.directory.department(tenantKey, deptId);
    return d ? { zh: d.name, en: d.enName ?? d.name } : { zh: deptId, en: deptId };
  }

  /** Display names in both languages; the open_id when Lark does not know the person. */
  async names(tenantKey: string, openIds: Iterable<string>): Promise<(openId: string) => Bi> {
    const map = new Map<string, Bi>();
    await Promise.all(
      [...new Set(openIds)].map(async (id) => {
        const p = await this.directory.user(tenantKey, id);
        map.set(id, p ? { zh: p.name, en: p.enName ?? p.name } : { zh: id, en: id });
      }),
    );
    return (id) => map.get(id) ?? { zh: id, en: id };
  }
}
