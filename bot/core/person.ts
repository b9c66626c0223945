import type { Person } from './types.js';

/** Why a person may not be accepted for a role in a request (witness, companion, custodian, role holder). */
export type Inactive = 'resigned' | 'deactivated' | 'not_activated';

/**
 * Lark's `user.status` booleans (contact.v3.user.get, https://open.feishu.cn/document/server-docs/contact-v3/user/get;
 * the states and their transitions: https://open.feishu.cn/document/server-docs/contact-v3/user/field-overview)
 * → why the person is not active, or undefined when they are. `is_exited` (left of their own accord,
 * turns into resigned after a while) counts as resigned; `is_frozen` (暂停, "deactivated" in the admin
 * console) as deactivated; not activated or not yet joined as not activated. A person whose status
 * Lark did not return (the app lacks the field permission) is taken as active: Lark knows them.
 */
export function inactiveReason(p: Pick<Person, 'status'>): Inactive | undefined {
  const s = p.status;
  if (!s) return undefined;
  if (s.resigned || s.exited) return 'resigned';
  if (s.frozen) return 'deactivated';
  if (!s.activated || s.unjoined) return 'not_activated';
  return undefined;
}

export const isActive = (p: Pick<Person, 'status'>): boolean => inactiveReason(p) === undefined;
