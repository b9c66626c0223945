/**
 * A generated organisation for fan-out tests and the fan-out benchmark: one department, a sender
 * and `n` recipients (real stand-in directory users, so every send goes to a p2p chat).
 */
import { createHash } from 'node:crypto';
import type { DemoOrg } from '../sandbox/lark/server.js';

const hex = (s: string) => createHash('md5').update(s).digest('hex');
const oid = (s: string) => `ou_${hex(`fanout-${s}`)}`;

export function fanoutOrg(n: number): { org: DemoOrg; sender: string; recipients: { openId: string; name: string }[] } {
  const od = `od-${hex('F1')}`;
  const users: DemoOrg['users'] = [];
  const user = (key: string, name: string) => {
    users.push({ open_id: oid(key), union_id: `on_${hex(key)}`, user_id: `f${key}`, name, en_name: name, department_ids: [od], demo_roles: [] });
    return oid(key);
  };
  const sender = user('sender', '发送人');
  const recipients = Array.from({ length: n }, (_, i) => ({ openId: user(`r${i}`, `收件人${i + 1}`), name: `收件人${i + 1}` }));
  return {
    org: {
      tenant_key: 'fanouttenant0001',
      app: { app_id: 'cli_0123456789abcdef', open_id: oid('bot'), name: '保密助手', en_name: 'Baomi Bot' },
      departments: [{ department_id: 'F1', open_department_id: od, name: '全体', en_name: 'Everyone' }],
      users,
      chats: [],
    },
    sender,
    recipients,
  };
}
