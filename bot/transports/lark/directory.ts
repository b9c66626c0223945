import type { Logger } from '../../core/logger.js';
import type { Department, Directory, Person } from '../../core/types.js';
import { LarkApiError, type LarkSender } from './sender.js';

const USER_NOT_FOUND = new Set([41050, 40013, 40001]);

interface Entry<T> {
  value: T | undefined;
  until: number;
}

/**
 * Names, departments and department leaders from `contact.v3.user.get` / `department.get`,
 * cached for a while (people rarely change department; a stale name is harmless, a slow card is not).
 */
export class LarkDirectory implements Directory {
  private readonly users = new Map<string, Entry<Person>>();
  private readonly departments = new Map<string, Entry<Department>>();
  private readonly inflight = new Map<string, Promise<unknown>>();

  constructor(
    private readonly sender: LarkSender,
    private readonly logger: Logger,
    private readonly ttlMs = 10 * 60_000,
  ) {}

  user(tenantKey: string, openId: string): Promise<Person | undefined> {
    return this.cached(this.users, `${tenantKey}:${openId}`, async () => {
      const body = await this.sender.call('contact.user.get', () =>
        this.sender.client.contact.v3.user.get({
          path: { user_id: openId },
          params: { user_id_type: 'open_id', department_id_type: 'open_department_id' },
        }),
      );
      const u = (body.data?.user ?? {}) as { open_id?: string; name?: string; en_name?: string; department_ids?: string[] };
      return { openId: u.open_id ?? openId, name: u.name ?? openId, enName: u.en_name || undefined, departmentIds: u.department_ids ?? [] };
    });
  }

  department(tenantKey: string, departmentId: string): Promise<Department | undefined> {
    return this.cached(this.departments, `${tenantKey}:${departmentId}`, async () => {
      const body = await this.sender.call('contact.department.get', () =>
        this.sender.client.contact.v3.department.get({
          path: { department_id: departmentId },
          params: { department_id_type: 'open_department_id', user_id_type: 'open_id' },
        }),
      );
      const d = (body.data?.department ?? {}) as { open_department_id?: string; name?: string; i18n_name?: { en_us?: string }; leader_user_id?: string };
      return { id: d.open_department_id ?? departmentId, name: d.name ?? departmentId, enName: d.i18n_name?.en_us || undefined, leaderUserId: d.leader_user_id || undefined };
    });
  }

  private async cached<T>(map: Map<string, Entry<T>>, key: string, load: () => Promise<T>): Promise<T | undefined> {
    const hit = map.get(key);
    if (hit && hit.until > Date.now()) return hit.value;
    const running = this.inflight.get(key) as Promise<T | undefined> | undefined;
    if (running) return running;
    const p = load()
      .then((value) => {
        map.set(key, { value, until: Date.now() + this.ttlMs });
        return value;
      })
      .catch((err: unknown) => {
        if (err instanceof LarkApiError && USER_NOT_FOUND.has(err.code)) {
          map.set(key, { value: undefined, until: Date.now() + 60_000 });
          return undefined;
        }
        this.logger.warn('contact lookup failed', { key, err: (err as Error).message });
        return hit?.value;
      })
      .finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }
}
