import { readFileSync } from 'node:fs';
import i18next from 'i18next';
import { describe, expect, it } from 'vitest';
import { COMMAND_TYPES, ERROR_CODES, KINDS, LEVELS, ROLES, STATES } from '../../domain/index.js';
import { flattenKeys } from './helpers.js';

const read = (lng: string) => JSON.parse(readFileSync(new URL(`../../locales/${lng}/workflow.json`, import.meta.url), 'utf8')) as Record<string, unknown>;
const zh = read('zh-CN');
const en = read('en-US');
const get = (o: Record<string, unknown>, key: string): unknown => key.split('.').reduce<unknown>((a, k) => (a as Record<string, unknown> | undefined)?.[k], o);

const machineSource = readFileSync(new URL('../../domain/machine.ts', import.meta.url), 'utf8');
const TEMPLATES = [...new Set([...machineSource.matchAll(/template: '([a-z_.]+)'/g)].map((m) => m[1]!))];
/** Reminders a person receives (the scheduler renders them with `reminder.<kind>`). */
const PERSON_REMINDERS = ['approval.remind', 'approval.escalate', 'execution.remind', 'carry.due_soon', 'carry.overdue_escalate', 'destroy.witness_remind'];

describe('locales/*/workflow.json', () => {
  it('zh-CN and en-US have exactly the same keys, all non-empty strings', () => {
    const kz = flattenKeys(zh).sort();
    const ke = flattenKeys(en).sort();
    expect(kz).toEqual(ke);
    for (const k of kz) {
      expect(typeof get(zh, k), k).toBe('string');
      expect((get(zh, k) as string).trim(), k).not.toBe('');
      expect((get(en, k) as string).trim(), k).not.toBe('');
    }
  });

  it('uses the same {{params}} and nested $t() in both languages', () => {
    const params = (s: string) => [...s.matchAll(/\{\{(\w+)\}\}|\$t\(([^)]+)\)/g)].map((m) => m[0]).sort();
    for (const k of flattenKeys(zh)) expect(params(get(en, k) as string), k).toEqual(params(get(zh, k) as string));
  });

  it('has a message for every error code, notify template and personal reminder', () => {
    expect(TEMPLATES.length).toBeGreaterThan(15);
    const needed = [...ERROR_CODES, ...TEMPLATES, ...PERSON_REMINDERS.map((k) => `reminder.${k}`)];
    for (const key of needed) {
      expect(typeof get(zh, key), `zh-CN ${key}`).toBe('string');
      expect(typeof get(en, key), `en-US ${key}`).toBe('string');
    }
  });

  it('has labels for every kind, level, state, role and command', () => {
    const labels = [
      ...KINDS.map((k) => `kind.${k}`),
      ...LEVELS.map((l) => `level.${l}`),
      ...STATES.map((s) => `state.${s}`),
      ...ROLES.map((r) => `role.${r}`),
      ...COMMAND_TYPES.map((c) => `command.${c}`),
      'command.create',
      'incident.CARRY_INSPECTION_FAILED',
      'incident.COPY_SUPERVISION_FAILED',
    ];
    for (const key of labels) expect(typeof get(zh, key), key).toBe('string');
  });

  it('renders through i18next with nested labels resolved', () => {
    const inst = i18next.createInstance();
    void inst.init({
      resources: { 'zh-CN': { workflow: zh }, 'en-US': { workflow: en } },
      lng: 'zh-CN',
      ns: ['workflow'],
      defaultNS: 'workflow',
      interpolation: { escapeValue: false },
      initAsync: false,
    });
    const sample = { state: 'IN_APPROVAL', kind: 'COPY', level: 'TOP_SECRET', role: 'dept_head', reason: 'CARRY_INSPECTION_FAILED', id: 'CP-2026-0001', step: 2 };
    for (const lng of ['zh-CN', 'en-US']) {
      const t = inst.getFixedT(lng, 'workflow');
      for (const key of flattenKeys(zh)) {
        const text = t(key, sample);
        expect(text, `${lng} ${key}`).not.toMatch(/\$t\(|workflow:|\{\{(state|kind|level|role)\}\}/);
      }
    }
    expect(inst.getFixedT('zh-CN', 'workflow')('workflow.bad_state', { state: 'APPROVED' })).toBe('当前状态（已批准）下不能执行此操作。');
    expect(inst.getFixedT('en-US', 'workflow')('floor.copy_needs_ref')).toBe(
      "Copying a top-secret or copy-restricted carrier needs the issuing authority's approval reference (ref=…).",
    );
    expect(inst.getFixedT('zh-CN', 'workflow')('floor.copy_needs_ref')).toBe('复制绝密级或限制复制的载体，须提供原定密机关（制发单位）的批准文号（ref=…）。');
    expect(inst.getFixedT('en-US', 'workflow')('notify.approval_needed', { ...sample, requester: 'Li' })).toBe(
      'Awaiting your decision: CP-2026-0001 (copy, top secret) from Li, step 2 (department head).',
    );
  });
});
