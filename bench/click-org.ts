/** A generated organisation for the click benchmark: N departments, each with a head and a member. */
import { createHash } from 'node:crypto';
import type { DemoOrg } from '../sandbox/lark/server.js';

const hex = (s: string) => createHash('md5').update(s).digest('hex');
export const oid = (s: string) => `ou_${hex(s)}`;

export function clickOrg(n: number): { org: DemoOrg; heads: string[]; staff: string[]; officer: string; leader: string } {
  const departments: DemoOrg['departments'] = [];
  const users: DemoOrg['users'] = [];
  const heads: string[] = [];
  const staff: string[] = [];
  const user = (key: string, name: string, dept: string, roles: string[] = []) => {
    users.push({ open_id: oid(key), union_id: `on_${hex(key)}`, user_id: key, name, en_name: name, department_ids: [dept], demo_roles: roles });
    return oid(key);
  };
  departments.push({ department_id: 'D0', open_department_id: `od-${hex('D0')}`, name: '保密办公室', en_name: 'Security Office', leader_user_id: oid('office-head') });
  user('office-head', 'Office Head', `od-${hex('D0')}`, ['security_head']);
  const officer = user('officer', 'Officer', `od-${hex('D0')}`, ['security_officer']);
  const leader = user('leader', 'Leader', `od-${hex('D0')}`, ['leader']);
  user('principal', 'Principal', `od-${hex('D0')}`, ['principal']);
  for (let i = 1; i <= n; i++) {
    const od = `od-${hex(`D${i}`)}`;
    departments.push({ department_id: `D${i}`, open_department_id: od, name: `部门${i}`, en_name: `Dept ${i}`, leader_user_id: oid(`head-${i}`) });
    heads.push(user(`head-${i}`, `Head ${i}`, od));
    staff.push(user(`staff-${i}`, `Staff ${i}`, od));
  }
  return {
    org: { tenant_key: 'benchtenant000001', app: { app_id: 'cli_0123456789abcdef', open_id: oid('bot'), name: '保密助手', en_name: 'Baomi Bot' }, departments, users, chats: [] },
    heads,
    staff,
    officer,
    leader,
  };
}
