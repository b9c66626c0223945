// Realistic cards built with the builders, shared by the schema and builder tests.
import { button, card, columns, datePicker, div, encodeAction, form, header, hr, input, md, multiSelect, panel, select, table, type Card } from '../../cards/index.js';

export function helpCard(): Card {
  return card({
    header: header({ title: { zh: '保密助手 · 帮助', en: 'Confidentiality assistant · Help' }, template: 'blue' }),
    summary: { zh: '可用命令', en: 'Available commands' },
    elements: [
      md({ zh: '以下命令可在私聊或群里使用：', en: 'Use these commands in a direct chat or a group:' }),
      table({
        pageSize: 10,
        columns: [
          { name: 'cmd', display: { zh: '命令', en: 'Command' }, type: 'lark_md', width: '160px' },
          { name: 'desc', display: { zh: '说明', en: 'What it does' }, type: 'text' },
        ],
        rows: [
          { cmd: '`/copy`', desc: '涉密载体复制申请 / Request a copy of a classified carrier' },
          { cmd: '`/approve <id>`', desc: '批准 / Approve' },
          { cmd: '`/reject <id>`', desc: '驳回 / Reject' },
          { cmd: '`/ledger`', desc: '台账 / Ledgers' },
        ],
      }),
      hr(),
      md({ zh: '卡片按钮失效时，请使用文字命令。', en: 'If a card button no longer works, type the command.' }),
    ],
  });
}

export function approvalCard(): Card {
  const req = { requestId: 'CP-2026-0001', version: 3 };
  return card({
    header: header({
      title: { zh: '涉密载体复制审批', en: 'Classified carrier copy approval' },
      subtitle: { zh: 'CP-2026-0001 · 张三', en: 'CP-2026-0001 · Zhang San' },
      template: 'orange',
      tags: [
        { text: { zh: '机密', en: 'Confidential' }, color: 'red' },
        { text: { zh: '待部门审批', en: 'Awaiting department' }, color: 'orange' },
      ],
    }),
    summary: { zh: '待你审批：CP-2026-0001', en: 'Awaiting your approval: CP-2026-0001' },
    elements: [
      columns(
        [
          { weight: 1, elements: [md({ zh: '**申请人**\n张三', en: '**Applicant**\nZhang San' })] },
          { weight: 1, elements: [md({ zh: '**密级**\n机密', en: '**Level**\nConfidential' })] },
          { weight: 1, elements: [md({ zh: '**份数**\n2', en: '**Copies**\n2' })] },
        ],
        { flexMode: 'bisect' },
      ),
      div({ zh: '事由：项目评审材料', en: 'Reason: project review material' }),
      panel({
        title: { zh: '审批记录', en: 'History' },
        elements: [md({ zh: '- 3 月 2 日 提交', en: '- 2 Mar submitted' })],
      }),
      hr(),
      columns([
        [
          button({
            name: 'approve',
            text: { zh: '批准', en: 'Approve' },
            type: 'primary_filled',
            value: encodeAction({ action: 'approval.approve', ...req }, 'n-approve-1'),
            confirm: { title: { zh: '确认批准？', en: 'Approve?' }, text: { zh: '批准后将通知保密办。', en: 'The office will be notified.' } },
          }),
        ],
        [
          button({
            name: 'reject',
            text: { zh: '驳回', en: 'Reject' },
            type: 'danger',
            value: encodeAction({ action: 'approval.reject', ...req, extra: { step: 2 } }, 'n-reject-1'),
            confirm: { title: { zh: '确认驳回？', en: 'Reject?' }, text: { zh: '驳回后申请结束。', en: 'This ends the request.' } },
          }),
        ],
      ]),
    ],
  });
}

export function requestFormCard(): Card {
  return card({
    header: header({ title: { zh: '复制申请', en: 'Copy request' }, template: 'wathet' }),
    elements: [
      md({ zh: '请填写以下信息：', en: 'Please fill in:' }),
      form('copy_request', [
        input({
          name: 'title',
          label: { zh: '载体名称', en: 'Carrier title' },
          placeholder: { zh: '例如：评审材料', en: 'e.g. review material' },
          required: true,
          maxLength: 100,
        }),
        input({ name: 'reason', label: { zh: '事由', en: 'Reason' }, multiline: true, required: true }),
        select({
          name: 'level',
          placeholder: { zh: '密级', en: 'Level' },
          options: [
            { text: { zh: '秘密', en: 'Secret' }, value: 'secret' },
            { text: { zh: '机密', en: 'Confidential' }, value: 'confidential' },
          ],
          initial: 'secret',
          required: true,
        }),
        multiSelect({
          name: 'media',
          placeholder: { zh: '载体类型', en: 'Media' },
          options: [
            { text: { zh: '纸质', en: 'Paper' }, value: 'paper' },
            { text: { zh: '光盘', en: 'Disc' }, value: 'disc' },
          ],
        }),
        datePicker({ name: 'due', placeholder: { zh: '归还日期', en: 'Return by' }, initial: '2026-04-01' }),
        columns([
          [button({ name: 'submit', text: { zh: '提交', en: 'Submit' }, type: 'primary_filled', submit: true, value: encodeAction({ action: 'copy.submit' }, 'n-submit') })],
          [button({ name: 'clear', text: { zh: '清空', en: 'Clear' }, reset: true })],
        ]),
      ]),
    ],
  });
}
