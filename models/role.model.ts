/**
 * Role assignments per tenant (docs/design.md §4 "People and roles").
 *
 * One document per (tenantKey, openId, role). Two roles are never stored:
 * - `staff` is everyone's, implicitly;
 * - the administrators named in `BAOMI_ADMINS` come from configuration, so they are admins in
 *   every tenant from the first start and cannot be revoked here.
 * No in-process cache: several instances serve the same tenant and a revoke must take effect at
 * once everywhere.
 */
import { Schema, type Connection, type Model } from 'mongoose';
import { ROLES, type Role } from '../domain/index.js';
import { nonEmpty } from './chain.js';

export interface RoleAssignment {
  tenantKey: string;
  openId: string;
  role: Role;
  /** For `dept_head`: the department this person heads (overrides Lark's leader_user_id). */
  deptId?: string;
  grantedBy: string;
  grantedAt: Date;
}

export interface RoleListEntry {
  openId: string;
  /** Stored and configured roles in `ROLES` order; `staff` is left out (everyone has it). */
  roles: Role[];
  deptId?: string;
}

const roleSchema = new Schema(
  {
    tenantKey: { type: String, required: true },
    openId: { type: String, required: true },
    role: { type: String, enum: ROLES, required: true },
    deptId: { type: String },
    grantedBy: { type: String, required: true },
    grantedAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'roles' },
);
// rolesOf(tenant, openId), list(tenant) and the grant/revoke idempotency: one document per
// (tenant, person, role), unique so concurrent grants insert once.
roleSchema.index({ tenantKey: 1, openId: 1, role: 1 }, { unique: true });
// holders(tenant, role): who holds a role, in grant order.
roleSchema.index({ tenantKey: 1, role: 1, grantedAt: 1, openId: 1 });
// deptHeadOverride(tenant, deptId): the dept_head assigned to a department (newest grant wins).
roleSchema.index({ tenantKey: 1, deptId: 1, role: 1, grantedAt: -1 }, { partialFilterExpression: { deptId: { $exists: true } } });

function roleName(v: unknown): Role {
  if (!(ROLES as readonly unknown[]).includes(v)) throw new TypeError(`unknown role ${String(v)}`);
  return v as Role;
}

const byRoleOrder = (a: Role, b: Role) => ROLES.indexOf(a) - ROLES.indexOf(b);

export class RoleStore {
  private readonly model: Model<RoleAssignment>;
  private readonly admins: readonly string[];

  constructor(
    conn: Connection,
    opts: { admins: string[] },
    private readonly now: () => Date = () => new Date(),
  ) {
    this.model = (conn.models.RoleAssignment as Model<RoleAssignment> | undefined) ?? conn.model<RoleAssignment>('RoleAssignment', roleSchema);
    this.admins = [...new Set(opts.admins.map((a) => a.trim()).filter(Boolean))];
  }

  async init(): Promise<void> {
    await this.model.createIndexes();
  }

  /** True for the administrators from configuration (`BAOMI_ADMINS`). */
  isEnvAdmin(openId: string): boolean {
    return this.admins.includes(openId);
  }

  /** Always includes `staff`; `admin` when configured or granted. In `ROLES` order. */
  async rolesOf(tenantKey: string, openId: string): Promise<Role[]> {
    nonEmpty('tenantKey', tenantKey);
    nonEmpty('openId', openId);
    const docs = await this.model.find({ tenantKey, openId }, { role: 1, _id: 0 }).lean();
    const roles = new Set<Role>(['staff', ...docs.map((d) => d.role)]);
    if (this.isEnvAdmin(openId)) roles.add('admin');
    return [...roles].sort(byRoleOrder);
  }

  /**
   * open_ids holding `role`, in a stable order: for `admin` the configured ones first (in
   * configuration order), then grants oldest first. `staff` has no list (everyone) → [].
   */
  async holders(tenantKey: string, role: Role): Promise<string[]> {
    nonEmpty('tenantKey', tenantKey);
    roleName(role);
    if (role === 'staff') return [];
    const docs = await this.model.find({ tenantKey, role }, { openId: 1, _id: 0 }).sort({ grantedAt: 1, openId: 1 }).lean();
    const out = role === 'admin' ? [...this.admins] : [];
    for (const d of docs) if (!out.includes(d.openId)) out.push(d.openId);
    return out;
  }

  /**
   * Grants `role`; true if the person did not hold it before (or, for `dept_head`, now heads a
   * different department). Refused (false): `staff`, and `admin` for a configured admin (they
   * hold it already and it is never stored). `dept_head` needs `opts.deptId`.
   */
  async grant(tenantKey: string, openId: string, role: Role, byOpenId: string, opts: { deptId?: string } = {}): Promise<boolean> {
    nonEmpty('tenantKey', tenantKey);
    nonEmpty('openId', openId);
    nonEmpty('byOpenId', byOpenId);
    roleName(role);
    if (role === 'staff') return false;
    if (role === 'admin' && this.isEnvAdmin(openId)) return false;
    let deptId: string | undefined;
    if (role === 'dept_head') deptId = nonEmpty('deptId (required for dept_head)', opts.deptId?.trim());
    const now = this.now();
    try {
      if (deptId !== undefined) {
        // Moving a department head to another department is a new grant: it then outranks older
        // assignments of that department in deptHeadOverride.
        const moved = await this.model.updateOne({ tenantKey, openId, role, deptId: { $ne: deptId } }, { $set: { deptId, grantedBy: byOpenId, grantedAt: now } });
        if (moved.modifiedCount === 1) return true;
      }
      const r = await this.model.updateOne(
        { tenantKey, openId, role },
        { $setOnInsert: { tenantKey, openId, role, grantedBy: byOpenId, grantedAt: now, ...(deptId !== undefined ? { deptId } : {}) } },
        { upsert: true },
      );
      return r.upsertedCount === 1;
    } catch (err) {
      // A concurrent grant of the same role inserted first.
      if ((err as { code?: number }).code === 11000) return false;
      throw err;
    }
  }

  /** Revokes a granted role; false when not held, for `staff`, and for a configured admin's `admin`. */
  async revoke(tenantKey: string, openId: string, role: Role, byOpenId: string): Promise<boolean> {
    nonEmpty('tenantKey', tenantKey);
    nonEmpty('openId', openId);
    // Who revoked is the audit log's business (the handler writes it); required so no caller forgets it.
    nonEmpty('byOpenId', byOpenId);
    roleName(role);
    if (role === 'staff') return false;
    if (role === 'admin' && this.isEnvAdmin(openId)) return false;
    const r = await this.model.deleteOne({ tenantKey, openId, role });
    return r.deletedCount === 1;
  }

  /** Everyone holding a role besides `staff` (configured admins included), by open_id. */
  async list(tenantKey: string): Promise<RoleListEntry[]> {
    nonEmpty('tenantKey', tenantKey);
    const docs = await this.model.find({ tenantKey }, { openId: 1, role: 1, deptId: 1, _id: 0 }).lean();
    const by = new Map<string, RoleListEntry>();
    const entry = (openId: string) => {
      let e = by.get(openId);
      if (!e) by.set(openId, (e = { openId, roles: [] }));
      return e;
    };
    for (const a of this.admins) entry(a).roles.push('admin');
    for (const d of docs) {
      const e = entry(d.openId);
      if (!e.roles.includes(d.role)) e.roles.push(d.role);
      if (d.role === 'dept_head' && d.deptId) e.deptId = d.deptId;
    }
    for (const e of by.values()) e.roles.sort(byRoleOrder);
    return [...by.values()].sort((a, b) => (a.openId < b.openId ? -1 : a.openId > b.openId ? 1 : 0));
  }

  /** The open_id assigned as head of `deptId` (the newest such grant), overriding Lark's leader. */
  async deptHeadOverride(tenantKey: string, deptId: string): Promise<string | undefined> {
    nonEmpty('tenantKey', tenantKey);
    nonEmpty('deptId', deptId);
    const doc = await this.model.findOne({ tenantKey, deptId, role: 'dept_head' }, { openId: 1, _id: 0 }).sort({ grantedAt: -1, openId: 1 }).lean();
    return doc?.openId;
  }
}
