import { DirectoryUnavailable } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { isActive } from '../../core/person.js';
import type { Department, Directory, Person, PersonStatus } from '../../core/types.js';
import { LarkApiError, type LarkSender } from './sender.js';

/**
 * Lark answers that mean "this app has no such user" (as opposed to "Lark could not answer"):
 * 41050 no user authority (the user is outside the app's contact scope; an open_id that belongs to
 * nobody reads the same), 40001 / 99992402 parameter or field validation error (not a valid id),
 * 40007 / 40008 user_id / open_id does not exist, 40013 param error (a deleted user), 40051 open_id
 * not valid. Anything else (network, HTTP 5xx, 429, token errors) is transient.
 * Sources: https://open.feishu.cn/document/server-docs/contact-v3/user/get (error codes) and
 * https://open.feishu.cn/document/server-docs/api-call-guide/server-error-codes
 */
const USER_NOT_FOUND = new Set([41050, 40001, 40007, 40008, 40013, 40051, 99992402]);

/** Not found, decided by Lark (a 4xx with one of the codes above), never a network failure. */
function isNotFound(err: unknown): boolean {
  return err instanceof LarkApiError && USER_NOT_FOUND.has(err.code) && (err.httpStatus === undefined || err.httpStatus < 500);
}

/** Lark could not answer (the sender already retried): network, HTTP 5xx, rate limit. */
function isTransient(err: unknown): boolean {
  if (!(err instanceof LarkApiError)) return true;
  return err.code === -1 || err.httpStatus === undefined || err.httpStatus >= 500 || err.httpStatus === 429;
}

/** find_by_department and department children take at most 50 per page (40011 "page size is invalid"). */
const PAGE_SIZE = 50;
/** The picker candidates kept per tenant: enough for any card (a picker shows at most 50). */
const CANDIDATE_CAP = 200;
/** Everyone (a training for all, a report over the unit): a bound against a runaway listing, not a sample. */
const EVERYONE_CAP = 50_000;
/** Departments walked for candidates, at most (10 pages of 50). */
const DEPARTMENT_CAP = 500;

interface Entry<T> {
  value: T | undefined;
  until: number;
}

interface RawUser {
  open_id?: string;
  name?: string;
  en_name?: string;
  department_ids?: string[];
  status?: { is_frozen?: boolean; is_resigned?: boolean; is_activated?: boolean; is_exited?: boolean; is_unjoin?: boolean };
}

/** A contact.v3 user object → Person, with its `status` when Lark returned it. */
export function toPerson(u: RawUser, openId: string): Person {
  const p: Person = { openId: u.open_id ?? openId, name: u.name || openId, departmentIds: u.department_ids ?? [] };
  if (u.en_name) p.enName = u.en_name;
  if (u.status && typeof u.status === 'object') {
    const s = u.status;
    const status: PersonStatus = {
      // A field Lark left out is read as "not set"; only is_activated defaults to true then (a
      // user Lark returns without saying otherwise exists and can sign in).
      activated: s.is_activated !== false,
      resigned: s.is_resigned === true,
      frozen: s.is_frozen === true,
      exited: s.is_exited === true,
      unjoined: s.is_unjoin === true,
    };
    p.status = status;
  }
  return p;
}

/**
 * Names, departments and department leaders from `contact.v3.user.get` / `department.get`,
 * cached for a while (people rarely change department; a stale name is harmless, a slow card is not).
 * `lookup` is the strict path for accepting a person: always Lark's current answer, and a failure
 * to ask is an error, never "unknown".
 */
export class LarkDirectory implements Directory {
  private readonly users = new Map<string, Entry<Person>>();
  private readonly departments = new Map<string, Entry<Department>>();
  private readonly candidates = new Map<string, Entry<Person[]>>();
  private readonly everyone = new Map<string, Entry<Person[]>>();
  private readonly inflight = new Map<string, Promise<unknown>>();

  constructor(
    private readonly sender: LarkSender,
    private readonly logger: Logger,
    private readonly ttlMs = 10 * 60_000,
  ) {}

  private async fetchUser(openId: string): Promise<Person> {
    const body = await this.sender.call('contact.user.get', () =>
      this.sender.client.contact.v3.user.get({
        path: { user_id: openId },
        params: { user_id_type: 'open_id', department_id_type: 'open_department_id' },
      }),
    );
    return toPerson((body.data?.user ?? {}) as RawUser, openId);
  }

  user(tenantKey: string, openId: string): Promise<Person | undefined> {
    return this.cached(this.users, `${tenantKey}:${openId}`, () => this.fetchUser(openId));
  }

  async lookup(tenantKey: string, openId: string): Promise<Person | undefined> {
    const key = `${tenantKey}:${openId}`;
    const running = this.inflight.get(`lookup:${key}`) as Promise<Person | undefined> | undefined;
    if (running) return running;
    const p = this.fetchUser(openId)
      .then((person) => {
        this.users.set(key, { value: person, until: Date.now() + this.ttlMs });
        return person;
      })
      .catch((err: unknown) => {
        if (isNotFound(err)) {
          this.users.set(key, { value: undefined, until: Date.now() + 60_000 });
          return undefined;
        }
        this.logger.warn('contact lookup failed; the person cannot be checked now', { key, err: (err as Error).message });
        throw new DirectoryUnavailable(openId, err);
      })
      .finally(() => this.inflight.delete(`lookup:${key}`));
    this.inflight.set(`lookup:${key}`, p);
    return p;
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

  /**
   * Active users for person pickers: the members of the root department and of every department
   * below it (`department.children` with fetch_child, then `user.find_by_department`, 50 a page),
   * stopping at CANDIDATE_CAP people. Cached per tenant; when Lark cannot answer, the last list
   * (or none) is used: a picker without candidates still works.
   */
  async activeUsers(tenantKey: string, limit: number): Promise<Person[]> {
    const list = await this.cached(this.candidates, `${tenantKey}:candidates`, () => this.loadCandidates(tenantKey, CANDIDATE_CAP));
    return (list ?? []).slice(0, Math.max(0, limit));
  }

  /**
   * Every active user the app can see (the same walk as `activeUsers`, without the pickers' cap of
   * 200; bounded at EVERYONE_CAP). For notices to the whole unit and unit-wide reports. Cached per
   * tenant like the pickers' list.
   */
  async allActiveUsers(tenantKey: string): Promise<Person[]> {
    return (await this.cached(this.everyone, `${tenantKey}:everyone`, () => this.loadCandidates(tenantKey, EVERYONE_CAP))) ?? [];
  }

  private async loadCandidates(tenantKey: string, cap: number): Promise<Person[]> {
    const departments = ['0'];
    let token: string | undefined;
    do {
      const body = await this.sender
        .call('contact.department.children', () =>
          this.sender.client.contact.v3.department.children({
            path: { department_id: '0' },
            params: { department_id_type: 'open_department_id', user_id_type: 'open_id', fetch_child: true, page_size: PAGE_SIZE, ...(token ? { page_token: token } : {}) },
          }),
        )
        .catch((err: unknown) => {
          // No authority over the whole tree (a narrower contact scope): the root's own members only.
          if (isTransient(err)) throw err;
          return { data: {} };
        });
      const data = (body.data ?? {}) as { items?: { open_department_id?: string }[]; has_more?: boolean; page_token?: string };
      for (const d of data.items ?? []) if (d.open_department_id && !departments.includes(d.open_department_id)) departments.push(d.open_department_id);
      token = data.has_more && data.page_token ? data.page_token : undefined;
    } while (token && departments.length < DEPARTMENT_CAP);

    const out: Person[] = [];
    const seen = new Set<string>();
    for (const dept of departments) {
      let page: string | undefined;
      do {
        const body = await this.sender
          .call('contact.user.find_by_department', () =>
            this.sender.client.contact.v3.user.findByDepartment({
              params: { department_id: dept, department_id_type: 'open_department_id', user_id_type: 'open_id', page_size: PAGE_SIZE, ...(page ? { page_token: page } : {}) },
            }),
          )
          .catch((err: unknown) => {
            // A department outside the app's contact scope (40004) is skipped, not fatal.
            if (isTransient(err)) throw err;
            return { data: {} };
          });
        const data = (body.data ?? {}) as { items?: RawUser[]; has_more?: boolean; page_token?: string };
        for (const raw of data.items ?? []) {
          if (!raw.open_id || seen.has(raw.open_id)) continue;
          seen.add(raw.open_id);
          const person = toPerson(raw, raw.open_id);
          this.users.set(`${tenantKey}:${person.openId}`, { value: person, until: Date.now() + this.ttlMs });
          if (isActive(person)) out.push(person);
          if (out.length >= cap) return out;
        }
        page = data.has_more && data.page_token ? data.page_token : undefined;
      } while (page);
    }
    return out;
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
        if (isNotFound(err)) {
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
