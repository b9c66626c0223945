import { BotError } from '../bot/core/errors.js';
import type { Router } from '../bot/core/router.js';
import type { Context } from '../bot/core/types.js';
import type { People } from './approvals/people.js';
import type { AuditRepo, RoleRepo } from './approvals/ports.js';
import { ROLES, type Role } from '../domain/index.js';

/** Role names as users type them: English and Chinese. */
export const ROLE_NAMES: Record<string, Role> = {
  security_officer: 'security_officer',
  保密员: 'security_officer',
  security_head: 'security_head',
  保密办负责人: 'security_head',
  leader: 'leader',
  分管领导: 'leader',
  principal: 'principal',
  主要负责人: 'principal',
  classification_officer: 'classification_officer',
  定密责任人: 'classification_officer',
  committee_member: 'committee_member',
  委员: 'committee_member',
  committee_chair: 'committee_chair',
  主任: 'committee_chair',
  dept_head: 'dept_head',
  部门负责人: 'dept_head',
  admin: 'admin',
  管理员: 'admin',
};

const OPEN_ID = /^ou_[0-9A-Za-z_]+$/;

export interface RoleDeps {
  roles: RoleRepo;
  audit: AuditRepo;
  people: People;
}

/** `/role add|remove <@person> <role>`, `/role list` — administrators only. */
export function registerRoles(router: Router, deps: RoleDeps): void {
  router.command({
    name: 'role',
    aliases: ['角色'],
    // Role assignments are lists of people and their powers: answered only in private.
    private: true,
    handler: async (ctx: Context) => {
      const actor = ctx.actorId!;
      if (!(await deps.people.hasRole(ctx.tenantKey, actor, 'admin'))) throw new BotError('request:role.admin_only');
      const [verb = '', ...rest] = (ctx.command?.args ?? '').split(/\s+/).filter(Boolean);
      const v = verb.toLowerCase();
      if (v === 'list' || v === '列表' || v === '') return list(ctx, deps);
      const add = v === 'add' || v === '添加' || v === '授予';
      const remove = v === 'remove' || v === 'rm' || v === '移除' || v === '撤销';
      if (!add && !remove) throw new BotError('request:role.usage');
      const person = rest.find((t) => OPEN_ID.test(t));
      const roleName = rest.find((t) => !OPEN_ID.test(t));
      if (!person || !roleName) throw new BotError('request:role.usage');
      const role = ROLE_NAMES[roleName.toLowerCase()] ?? ROLE_NAMES[roleName];
      if (!role) throw new BotError('request:role.unknown', { role: roleName, roles: ROLES.filter((r) => r !== 'staff').join(', ') });
      // A role goes only to a real, active person (revoking stays possible for anyone: people leave).
      if (add) await deps.people.requireReal(ctx.tenantKey, [person], 'person');
      const names = await deps.people.names(ctx.tenantKey, [person]);
      const name = ctx.locale === 'en-US' ? names(person).en : names(person).zh;
      const roleText = ctx.t(`workflow:role.${role}`);
      let changed: boolean;
      if (add) {
        const deptId = role === 'dept_head' ? await deps.people.deptOf(ctx.tenantKey, person) : undefined;
        changed = await deps.roles.grant(ctx.tenantKey, person, role, actor, deptId ? { deptId } : undefined);
      } else {
        changed = await deps.roles.revoke(ctx.tenantKey, person, role, actor);
      }
      await deps.audit.record(ctx.tenantKey, {
        actorId: actor,
        action: add ? 'role.grant' : 'role.revoke',
        objectType: 'person',
        objectId: person,
        channel: 'admin',
        outcome: changed ? 'ok' : 'refused',
        reason: changed ? undefined : 'no change',
        details: { role },
      });
      const key = add ? (changed ? 'request:role.granted' : 'request:role.already') : changed ? 'request:role.revoked' : 'request:role.not_held';
      await ctx.reply({ type: 'text', text: ctx.t(key, { name, role: roleText }) });
    },
  });
}

async function list(ctx: Context, deps: RoleDeps): Promise<void> {
  const all = await deps.roles.list(ctx.tenantKey);
  if (all.length === 0) {
    await ctx.reply({ type: 'text', text: ctx.t('request:role.none') });
    return;
  }
  const names = await deps.people.names(
    ctx.tenantKey,
    all.map((a) => a.openId),
  );
  const lines = all.map((a) => {
    const n = names(a.openId);
    return `• ${ctx.locale === 'en-US' ? n.en : n.zh} (${a.openId}): ${a.roles.map((r) => ctx.t(`workflow:role.${r}`)).join(', ')}`;
  });
  await ctx.reply({ type: 'text', text: `${ctx.t('request:role.list_title')}\n${lines.join('\n')}` });
}
