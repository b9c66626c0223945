/**
 * The demo organisation: users, departments, group chats and the bot itself. Seeded from a JSON file
 * (default `seed/demo-org.json`) or an object, validated with zod.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const UserSchema = z.object({
  open_id: z.string().regex(/^ou_[0-9a-f]{32}$/),
  union_id: z.string(),
  user_id: z.string(),
  name: z.string(),
  en_name: z.string(),
  email: z.string().optional(),
  department_ids: z.array(z.string()),
  leader_user_id: z.string().optional(),
  demo_roles: z.array(z.string()).default([]),
  status: z.object({ is_frozen: z.boolean(), is_resigned: z.boolean(), is_activated: z.boolean() }).partial().optional(),
});

const DepartmentSchema = z.object({
  department_id: z.string(),
  open_department_id: z.string(),
  name: z.string(),
  en_name: z.string(),
  parent_department_id: z.string().default('0'),
  leader_user_id: z.string().optional(),
});

const ChatSchema = z.object({
  chat_id: z.string().regex(/^oc_[0-9a-f]{32}$/),
  name: z.string(),
  en_name: z.string().optional(),
  description: z.string().optional(),
  owner_id: z.string(),
  members: z.array(z.string()),
  bot_member: z.boolean().default(true),
});

export const DemoOrgSchema = z.object({
  tenant_key: z.string(),
  app: z.object({
    app_id: z.string().optional(),
    open_id: z.string().regex(/^ou_[0-9a-f]{32}$/),
    union_id: z.string().optional(),
    name: z.string(),
    en_name: z.string(),
  }),
  departments: z.array(DepartmentSchema),
  users: z.array(UserSchema),
  chats: z.array(ChatSchema).default([]),
});

export type DemoOrg = z.input<typeof DemoOrgSchema>;
export type Org = z.output<typeof DemoOrgSchema>;
export type DirUser = Org['users'][number];
export type DirDepartment = Org['departments'][number];
export type DirChat = Org['chats'][number];

export const DEFAULT_SEED_PATH = join(dirname(fileURLToPath(import.meta.url)), 'seed', 'demo-org.json');

export type UserIdType = 'open_id' | 'user_id' | 'union_id';
export type DepartmentIdType = 'open_department_id' | 'department_id';

export class Directory {
  readonly org: Org;

  constructor(source: DemoOrg | string | undefined) {
    const raw: unknown = typeof source === 'object' && source !== null ? source : JSON.parse(readFileSync(source ?? DEFAULT_SEED_PATH, 'utf8'));
    this.org = DemoOrgSchema.parse(raw);
  }

  get tenantKey(): string {
    return this.org.tenant_key;
  }

  get users(): readonly DirUser[] {
    return this.org.users;
  }

  get departments(): readonly DirDepartment[] {
    return this.org.departments;
  }

  userByOpenId(openId: string): DirUser | undefined {
    return this.org.users.find((u) => u.open_id === openId);
  }

  /** Finds a user by any id of the given type (`email` supported for message sending). */
  findUser(id: string, type: UserIdType | 'email' = 'open_id'): DirUser | undefined {
    return this.org.users.find((u) => (type === 'email' ? u.email === id : u[type] === id));
  }

  findDepartment(id: string, type: DepartmentIdType = 'open_department_id'): DirDepartment | undefined {
    // Lark accepts "0" as the root department.
    return this.org.departments.find((d) => d[type] === id);
  }

  /** Any known department id (custom or open) → the department. */
  departmentByAnyId(id: string): DirDepartment | undefined {
    return this.org.departments.find((d) => d.department_id === id || d.open_department_id === id);
  }

  /** Converts a user's open_id to the requested id type (unknown ids are returned unchanged). */
  convertUserId(openId: string | undefined, type: UserIdType): string | undefined {
    if (openId === undefined) return undefined;
    if (type === 'open_id') return openId;
    if (openId === this.org.app.open_id) return openId;
    const u = this.userByOpenId(openId);
    return u ? u[type] : openId;
  }

  convertDepartmentId(id: string, type: DepartmentIdType): string {
    const d = this.departmentByAnyId(id);
    return d ? d[type] : id;
  }

  userIdTriple(openId: string): { open_id: string; user_id: string; union_id: string } {
    const u = this.userByOpenId(openId);
    return { open_id: openId, user_id: u?.user_id ?? '', union_id: u?.union_id ?? '' };
  }

  membersOfDepartment(dept: DirDepartment): DirUser[] {
    return this.org.users.filter((u) => u.department_ids.some((d) => d === dept.department_id || d === dept.open_department_id));
  }

  /**
   * Direct members of a department (`"0"` is the root, whose direct members are users listed in
   * department "0"), as `user.find_by_department` lists them: every status included (Lark returns
   * the `status` object; resigned and deactivated users are the caller's to filter).
   */
  directMembers(id: string, type: DepartmentIdType): DirUser[] | undefined {
    if (id === '0') return this.org.users.filter((u) => u.department_ids.includes('0'));
    const d = this.findDepartment(id, type);
    return d ? this.membersOfDepartment(d) : undefined;
  }

  /** Sub-departments of `id` (`"0"` = root); all levels below it with `recursive` (fetch_child). */
  childDepartments(id: string, type: DepartmentIdType, recursive: boolean): DirDepartment[] | undefined {
    let parent: string;
    if (id === '0') parent = '0';
    else {
      const d = this.findDepartment(id, type);
      if (!d) return undefined;
      parent = d.department_id;
    }
    const isChildOf = (d: DirDepartment, p: string) => d.parent_department_id === p || (p !== '0' && this.departmentByAnyId(d.parent_department_id)?.department_id === p);
    const out: DirDepartment[] = [];
    const queue = [parent];
    while (queue.length) {
      const p = queue.shift()!;
      for (const d of this.org.departments) {
        if (isChildOf(d, p) && !out.includes(d)) {
          out.push(d);
          if (recursive) queue.push(d.department_id);
        }
      }
    }
    return out;
  }
}

/**
 * Lark's paging for contact lists: `page_size` 1–50 (default `def`), `page_token` opaque (here the
 * offset). A bad size or token is an error, as on Lark (40011 / 40012).
 */
export function pageOf<T>(
  all: readonly T[],
  pageSize: string | undefined,
  pageToken: string | undefined,
  def = 10,
): { items: T[]; has_more: boolean; page_token?: string } | { error: 'page_size' | 'page_token' } {
  const size = pageSize === undefined || pageSize === '' ? def : Number(pageSize);
  if (!Number.isInteger(size) || size < 1 || size > 50) return { error: 'page_size' };
  let offset = 0;
  if (pageToken !== undefined && pageToken !== '') {
    const m = /^p(\d{1,6})$/.exec(pageToken);
    if (!m || Number(m[1]) > all.length) return { error: 'page_token' };
    offset = Number(m[1]);
  }
  const items = all.slice(offset, offset + size);
  const next = offset + size;
  return next < all.length ? { items, has_more: true, page_token: `p${next}` } : { items, has_more: false };
}
