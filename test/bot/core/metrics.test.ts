import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../bot/core/logger.js';
import { Metrics, processRegistry } from '../../../bot/core/metrics.js';
import { startHttpServer } from '../../../bot/transports/lark/http-server.js';

/** Every metric the bot exports, with its help text (docs and dashboards cite them). */
const OWN: [name: string, type: string, help: string][] = [
  ['baomi_events_received_total', 'counter', 'Events and callbacks accepted by a transport, by kind.'],
  ['baomi_events_deduplicated_total', 'counter', 'Deliveries dropped as duplicates, by kind.'],
  ['baomi_events_failed_total', 'counter', 'Events whose handling failed, by kind.'],
  ['baomi_webhook_rejected_total', 'counter', 'Webhook requests refused, by reason.'],
  ['baomi_card_actions_total', 'counter', 'Card clicks handled, by action.'],
  ['baomi_sends_total', 'counter', 'Open API sends, by operation and result.'],
  ['baomi_handler_seconds', 'histogram', 'Time from receipt to the end of handling, by kind.'],
  ['baomi_ack_seconds', 'histogram', 'Time from receipt to the transport acknowledgement, by kind.'],
  ['baomi_send_seconds', 'histogram', 'Open API call latency, by operation.'],
  ['baomi_effects_retried_total', 'counter', 'Outbox effects that failed and will be tried again, by effect type.'],
  ['baomi_effects_dead_lettered_total', 'counter', 'Outbox effects given up on (dead letters), by effect type.'],
  ['baomi_dead_letters', 'gauge', 'Dead letters waiting in the store (all tenants; approval effects, notices and alarms given up on), as of the last sweep.'],
];

/** prom-client's default process metrics: CPU, memory, heap, event-loop lag, GC. */
const DEFAULTS = [
  'process_cpu_user_seconds_total',
  'process_resident_memory_bytes',
  'nodejs_heap_size_used_bytes',
  'nodejs_heap_space_size_used_bytes',
  'nodejs_eventloop_lag_seconds',
  'nodejs_eventloop_lag_p99_seconds',
  'nodejs_gc_duration_seconds',
  'nodejs_version_info',
];

describe('metrics on prom-client', () => {
  it('exports the bot’s metrics under their names and help texts, and the default process metrics', async () => {
    const text = await new Metrics().render();
    for (const [name, type, help] of OWN) {
      expect(text).toContain(`# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`);
    }
    for (const name of DEFAULTS) expect(text, name).toMatch(new RegExp(`^# TYPE ${name} `, 'm'));
    expect(text).toMatch(/^nodejs_heap_size_used_bytes \d+/m);
    expect(text).toMatch(/^process_cpu_user_seconds_total [\d.e-]+/m);
    // Each metric once (the defaults are not repeated per bot).
    const types = [...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]);
    expect(new Set(types).size).toBe(types.length);
  });

  it('counts by labels, in the text and readable at once', async () => {
    const m = new Metrics();
    m.sends.inc({ op: 'im.message.reply', result: 'ok' });
    m.sends.inc({ op: 'im.message.reply', result: 'ok' }, 2);
    m.sends.inc({ result: 'error', op: 'im.message.create' });
    m.eventsDeduplicated.inc({ kind: 'message' });
    m.requestsRejected.inc({ reason: 'bad "signature"\n' });
    m.ackLatency.observe(0.02, { kind: 'card_action' });
    m.ackLatency.observe(3, { kind: 'card_action' });
    m.deadLetters.set(4);
    m.deadLetters.set(1);

    expect(m.sends.get({ op: 'im.message.reply', result: 'ok' })).toBe(3);
    expect(m.sends.get({ op: 'im.message.create', result: 'error' })).toBe(1);
    expect(m.sends.get({ op: 'other', result: 'ok' })).toBe(0);
    expect(m.ackLatency.count({ kind: 'card_action' })).toBe(2);
    expect(m.deadLetters.get()).toBe(1);

    const text = await m.render();
    expect(text).toMatch(/^baomi_sends_total\{op="im\.message\.reply",result="ok"\} 3$/m);
    expect(text).toMatch(/^baomi_sends_total\{op="im\.message\.create",result="error"\} 1$/m);
    expect(text).toMatch(/^baomi_events_deduplicated_total\{kind="message"\} 1$/m);
    expect(text).toContain('baomi_webhook_rejected_total{reason="bad \\"signature\\"\\n"} 1');
    expect(text).toMatch(/^baomi_ack_seconds_bucket\{le="0\.025",kind="card_action"\} 1$/m);
    expect(text).toMatch(/^baomi_ack_seconds_bucket\{le="5",kind="card_action"\} 2$/m);
    expect(text).toMatch(/^baomi_ack_seconds_bucket\{le="\+Inf",kind="card_action"\} 2$/m);
    expect(text).toMatch(/^baomi_ack_seconds_sum\{kind="card_action"\} 3\.02$/m);
    expect(text).toMatch(/^baomi_ack_seconds_count\{kind="card_action"\} 2$/m);
    expect(text).toMatch(/^baomi_dead_letters 1$/m);
  });

  it('keeps each bot’s figures apart in one process (a registry per Metrics), with the defaults shared', async () => {
    const a = new Metrics();
    const b = new Metrics();
    expect(a.registry).not.toBe(b.registry);
    a.eventsReceived.inc({ kind: 'message' });
    b.eventsReceived.inc({ kind: 'card_action' }, 5);
    const [ta, tb] = await Promise.all([a.render(), b.render()]);
    expect(ta).toMatch(/^baomi_events_received_total\{kind="message"\} 1$/m);
    expect(ta).not.toContain('kind="card_action"');
    expect(tb).toMatch(/^baomi_events_received_total\{kind="card_action"\} 5$/m);
    expect(tb).not.toContain('baomi_events_received_total{kind="message"}');
    expect(a.registry.getSingleMetric('nodejs_heap_size_used_bytes')).toBeUndefined();
    expect(processRegistry().getSingleMetric('nodejs_heap_size_used_bytes')).toBeDefined();
    expect(processRegistry()).toBe(processRegistry());
  });

  it('refuses a label the metric does not have (a typo would otherwise start a new series)', () => {
    const m = new Metrics();
    expect(() => m.eventsReceived.inc({ kind: 'message', extra: 'x' } as never)).toThrow(/label/i);
  });

  describe('GET /metrics', () => {
    const metrics = new Metrics();
    const server = startHttpServer({ port: 0, host: '127.0.0.1', logger: silentLogger, metrics, health: async () => ({ ok: true }) });
    afterAll(async () => {
      const s = await server;
      await new Promise((r) => s.close(r));
    });

    it('serves the text exposition with its content type', async () => {
      metrics.cardActions.inc({ action: 'req.approve' });
      const port = ((await server).address() as AddressInfo).port;
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      const text = await res.text();
      expect(text).toMatch(/^baomi_card_actions_total\{action="req\.approve"\} 1$/m);
      expect(text).toMatch(/^# TYPE nodejs_eventloop_lag_seconds gauge$/m);
    });
  });
});
