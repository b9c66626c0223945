import { BotError, DirectoryUnavailable } from '../../bot/core/errors.js';
import { inactiveReason, type Inactive } from '../../bot/core/person.js';
import type { Bi, Directory, Person } from '../../bot/core/types.js';
import { bilingual } from '../../locales/index.js';
import { chainFor, type Actor, type Kind, type Level, type Policy, type Request, type Role } from '../../domain/index.js';

/** The fields that name people, for the refusal messages (`input:field.<field>`, `people:field.<field>`). */
export type PeopleField = 'companions' | 'witnesses' | 'custodian' | 'person' | 'cc' | 'transferee';

/** Person pickers show at most this many candidates (each is one `{value: open_id}` option). */
export const MAX_PICKER_CANDIDATES = 50;

/**
 * Who stands in for a step whose own role holder is the requester (nobody approves their own
 * request): a department head's own request goes to a leader in charge or the principal, a
 * leader's own request to the principal. The principal has no stand-in inside the unit.
 */
const SUBSTITUTES: Partial<Record<Role, readonly Role[]>> = { dept_head: ['leader', 'principal'], leader: ['principal'] };

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

  /**
   * The actor for a decision on `request`: `actor()` plus the role of the current step when they
   * stand in for it — the request's own role holder is the requester (a department head's own
   * request, a leader's own request), the actor holds a substitute role (SUBSTITUTES) and the
   * chain named them for this step (`assignees`). Without this the person named could never decide.
   */
  async actorFor(tenantKey: string, openId: string, request: Request): Promise<Actor> {
    const actor = await this.actor(tenantKey, openId, request.deptId);
    const step = request.currentStep === null ? undefined : request.steps[request.currentStep];
    if (!step || actor.roles.includes(step.role) || !step.assignees.includes(openId)) return actor;
    const subs = SUBSTITUTES[step.role];
    if (!subs?.some((r) => actor.roles.includes(r))) return actor;
    const requesterHolds =
      step.role === 'dept_head' ? (await this.deptHead(tenantKey, request.deptId)) === request.requesterId : await this.hasRole(tenantKey, request.requesterId, step.role);
    return requesterHolds ? { ...actor, roles: [...actor.roles, step.role] } : actor;
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
        // The requester is the only holder (a leader's own request): their superior stands in.
        const subs = SUBSTITUTES[step.role];
        if (people.length === 0 && subs && (await this.hasRole(tenantKey, requesterId, step.role))) {
          for (const r of subs) people.push(...(await this.roles.holders(tenantKey, r)).filter((p) => p !== requesterId && !people.includes(p)));
        }
        if (people.length === 0) throw new BotError('request:no_role_holder', { role: step.role });
        candidates.push(people);
      }
    }
    // Fill the single-person steps with the fewest choices first, so a choice never blocks another.
    const taken = new Set<string>();
    const out: string[][] = chain.map(() => []);
    const order = chain
      .map((_, i) => i)
      .filter((i) => chain[i]!.mode === 'ONE')
      .sort((a, b) => candidates[a]!.length - candidates[b]!.length);
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

  /**
   * May `openId` take over step `k` of `request` (转交)? The same eligibility as assignment
   * (`assignees`): the department's head for a dept_head step — or, when the requester heads it or
   * nobody does, a leader in charge or the principal — a holder of the step's role otherwise, or
   * its substitute when the requester is the role's only holder. Never the requester.
   */
  async eligibleFor(tenantKey: string, request: Request, k: number, openId: string): Promise<boolean> {
    const step = request.steps[k];
    if (!step || openId === request.requesterId) return false;
    const roles = await this.roles.rolesOf(tenantKey, openId);
    if (step.role === 'dept_head') {
      const head = await this.deptHead(tenantKey, request.deptId);
      if (head && head !== request.requesterId) return openId === head;
      return roles.includes('leader') || roles.includes('principal');
    }
    if (roles.includes(step.role)) return true;
    const subs = SUBSTITUTES[step.role];
    if (!subs?.some((r) => roles.includes(r)) || !(await this.hasRole(tenantKey, request.requesterId, step.role))) return false;
    return (await this.roles.holders(tenantKey, step.role)).every((p) => p === request.requesterId);
  }

  /**
   * Whom step `k` may be handed to (the transfer form's person picker): eligible people
   * (`eligibleFor`) who are not the requester, not already its assignees and decided no step of
   * this round. At most MAX_PICKER_CANDIDATES.
   */
  async transferCandidates(tenantKey: string, request: Request, k: number): Promise<string[]> {
    const step = request.steps[k];
    if (!step) return [];
    let pool: string[];
    if (step.role === 'dept_head') {
      const head = await this.deptHead(tenantKey, request.deptId);
      pool = head && head !== request.requesterId ? [head] : [...(await this.roles.holders(tenantKey, 'leader')), ...(await this.roles.holders(tenantKey, 'principal'))];
    } else {
      pool = await this.roles.holders(tenantKey, step.role);
      const subs = SUBSTITUTES[step.role];
      if (subs && pool.every((p) => p === request.requesterId)) for (const r of subs) pool.push(...(await this.roles.holders(tenantKey, r)));
    }
    const decided = new Set(request.steps.map((s) => s.decidedBy).filter(Boolean));
    const out = [...new Set(pool)].filter((p) => p !== request.requesterId && !step.assignees.includes(p) && !decided.has(p));
    return out.slice(0, MAX_PICKER_CANDIDATES);
  }

  /** A department's name in both languages; its id when Lark does not know it. */
  async deptName(tenantKey: string, deptId: string): Promise<Bi> {
    const d = await this.directory.department(tenantKey, deptId);
    return d ? { zh: d.name, en: d.enName ?? d.name } : { zh: deptId, en: deptId };
  }

  /**
   * Every person the bot is about to accept (a companion, a witness, a custodian, a role holder)
   * must be a real, active directory entry: each id is looked up in Lark's contact API now
   * (`Directory.lookup`). Returns the people, in the order given. Refuses with one localised
   * message naming every bad one (their name when Lark knows it, else the id as typed) and why
   * (not in the directory, resigned, deactivated, not activated). When Lark cannot be asked, refuses
   * with "try again" instead: a failed lookup is never taken for "unknown".
   */
  async requireReal(tenantKey: string, ids: readonly string[], field: PeopleField): Promise<Person[]> {
    const unique = [...new Set(ids)];
    const results = await Promise.all(
      unique.map(async (id) => {
        try {
          return { id, person: await this.directory.lookup(tenantKey, id) };
        } catch (err) {
          if (err instanceof DirectoryUnavailable) return { id, unavailable: true as const };
          throw err;
        }
      }),
    );
    const unavailable = results.filter((r) => 'unavailable' in r).map((r) => r.id);
    if (unavailable.length) {
      const label = fieldLabel(field);
      const ids = unavailable.join(', ');
      throw BotError.localised('people:lookup_failed', {
        zh: bilingual('people:lookup_failed', { field: label.zh, ids }).zh,
        en: bilingual('people:lookup_failed', { field: label.en, ids }).en,
      });
    }
    const bad: { id: string; person?: Person; why: Inactive | 'unknown' }[] = [];
    const people = new Map<string, Person>();
    for (const r of results) {
      if ('unavailable' in r) continue;
      if (!r.person) bad.push({ id: r.id, why: 'unknown' });
      else {
        const why = inactiveReason(r.person);
        if (why) bad.push({ id: r.id, person: r.person, why });
        else people.set(r.id, r.person);
      }
    }
    if (bad.length) throw refusal(field, bad);
    return unique.map((id) => people.get(id)!);
  }

  /**
   * Candidates for a person picker: active directory users (at most MAX_PICKER_CANDIDATES), without
   * `exclude`, members of `preferDept` first. Empty when Lark cannot list them now.
   */
  async candidates(tenantKey: string, opts: { exclude?: readonly string[]; preferDept?: string } = {}): Promise<string[]> {
    const exclude = new Set(opts.exclude ?? []);
    // A list that cannot be had never stops a card: the picker then offers the chat's members.
    const listed = await Promise.resolve()
      .then(() => this.directory.activeUsers(tenantKey, 4 * MAX_PICKER_CANDIDATES))
      .catch(() => []);
    const users = listed.filter((u) => !exclude.has(u.openId));
    const first = opts.preferDept ? users.filter((u) => u.departmentIds.includes(opts.preferDept!)) : [];
    const rest = users.filter((u) => !first.includes(u));
    return [...first, ...rest].slice(0, MAX_PICKER_CANDIDATES).map((u) => u.openId);
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

function fieldLabel(field: PeopleField): Bi {
  return bilingual(`people:field.${field}`);
}

/** "监销人不可用：赵磊（已离职）、ou_x（通讯录中没有此人）" in both languages. */
function refusal(field: PeopleField, bad: { id: string; person?: Person; why: Inactive | 'unknown' }[]): BotError {
  const label = fieldLabel(field);
  const line = (lang: 'zh' | 'en') =>
    bad
      .map((b) => {
        const name = b.person ? (lang === 'en' ? b.person.enName || b.person.name : b.person.name) : b.id;
        const why = bilingual(`people:why.${b.why}`)[lang];
        return bilingual('people:bad_one', { name, why })[lang];
      })
      .join(bilingual('people:list_sep')[lang]);
  const zh = bilingual('people:not_accepted', { field: label.zh, people: line('zh') }).zh;
  const en = bilingual('people:not_accepted', { field: label.en, people: line('en') }).en;
  return BotError.localised('people:not_accepted', { zh, en });
}
