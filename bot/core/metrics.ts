/**
 * The bot's Prometheus metrics on prom-client: its own counters, histograms and gauge on a registry
 * of its own (one per `Metrics`: tests run several bots in one process), served at `/metrics` next
 * to prom-client's default process metrics (CPU, memory, heap, event-loop lag, GC, handles).
 *
 * The default metrics describe the process, not a bot, so they are collected once per process on a
 * registry of their own (`processRegistry()`): `collectDefaultMetrics` on every bot's registry
 * would start another event-loop monitor and GC observer per bot, none ever stopped.
 *
 * Each metric also keeps its values readable synchronously (`get`, `count`) for in-process checks;
 * prom-client's own reads are asynchronous.
 */
import client from 'prom-client';

type Labels = Record<string, string>;

const labelKey = (labels: Labels): string =>
  Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(',');

/** The labels in the metric's declared order: one series prints the same whatever order a caller wrote them in. */
function ordered<L extends string>(names: readonly L[], labels: Partial<Record<L, string>>): Partial<Record<L, string>> {
  const out: Partial<Record<L, string>> = {};
  for (const n of names) if (labels[n] !== undefined) out[n] = labels[n];
  for (const k of Object.keys(labels) as L[]) if (!(k in out)) out[k] = labels[k];
  return out;
}

let processMetrics: client.Registry | undefined;

/** prom-client's default metrics for this process, collected once (the first call starts them). */
export function processRegistry(): client.Registry {
  if (!processMetrics) {
    const registry = new client.Registry();
    client.collectDefaultMetrics({ register: registry });
    processMetrics = registry;
  }
  return processMetrics;
}

class Counter<L extends string> {
  private readonly counter: client.Counter<L>;
  private readonly values = new Map<string, number>();
  constructor(
    registry: client.Registry,
    name: string,
    help: string,
    private readonly labelNames: readonly L[],
  ) {
    this.counter = new client.Counter({ name, help, labelNames, registers: [registry] });
  }
  inc(labels: Partial<Record<L, string>> = {}, by = 1): void {
    this.counter.inc(ordered(this.labelNames, labels), by);
    const k = labelKey(labels as Labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
  get(labels: Partial<Record<L, string>> = {}): number {
    return this.values.get(labelKey(labels as Labels)) ?? 0;
  }
}

/** A value that goes up and down (set from a periodic reading, e.g. dead letters in the store). */
class Gauge {
  private readonly gauge: client.Gauge;
  private value = 0;
  constructor(registry: client.Registry, name: string, help: string) {
    this.gauge = new client.Gauge({ name, help, registers: [registry] });
  }
  set(v: number): void {
    this.gauge.set(v);
    this.value = v;
  }
  get(): number {
    return this.value;
  }
}

class Histogram<L extends string> {
  private readonly histogram: client.Histogram<L>;
  private readonly counts = new Map<string, number>();
  constructor(
    registry: client.Registry,
    name: string,
    help: string,
    private readonly labelNames: readonly L[],
    buckets: number[],
  ) {
    this.histogram = new client.Histogram({ name, help, labelNames, buckets, registers: [registry] });
  }
  observe(seconds: number, labels: Partial<Record<L, string>> = {}): void {
    this.histogram.observe(ordered(this.labelNames, labels), seconds);
    const k = labelKey(labels as Labels);
    this.counts.set(k, (this.counts.get(k) ?? 0) + 1);
  }
  count(labels: Partial<Record<L, string>> = {}): number {
    return this.counts.get(labelKey(labels as Labels)) ?? 0;
  }
}

const LATENCY = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export class Metrics {
  /** This bot's metrics (without the process's defaults; `render()` serves both). */
  readonly registry = new client.Registry();
  readonly eventsReceived = new Counter(this.registry, 'baomi_events_received_total', 'Events and callbacks accepted by a transport, by kind.', ['kind']);
  readonly eventsDeduplicated = new Counter(this.registry, 'baomi_events_deduplicated_total', 'Deliveries dropped as duplicates, by kind.', ['kind']);
  readonly eventsFailed = new Counter(this.registry, 'baomi_events_failed_total', 'Events whose handling failed, by kind.', ['kind']);
  readonly requestsRejected = new Counter(this.registry, 'baomi_webhook_rejected_total', 'Webhook requests refused, by reason.', ['reason']);
  readonly cardActions = new Counter(this.registry, 'baomi_card_actions_total', 'Card clicks handled, by action.', ['action']);
  readonly sends = new Counter(this.registry, 'baomi_sends_total', 'Open API sends, by operation and result.', ['op', 'result']);
  readonly handlerLatency = new Histogram(this.registry, 'baomi_handler_seconds', 'Time from receipt to the end of handling, by kind.', ['kind'], LATENCY);
  readonly ackLatency = new Histogram(this.registry, 'baomi_ack_seconds', 'Time from receipt to the transport acknowledgement, by kind.', ['kind'], LATENCY);
  readonly sendLatency = new Histogram(this.registry, 'baomi_send_seconds', 'Open API call latency, by operation.', ['op'], LATENCY);
  readonly effectsRetried = new Counter(this.registry, 'baomi_effects_retried_total', 'Outbox effects that failed and will be tried again, by effect type.', ['type']);
  readonly effectsDeadLettered = new Counter(this.registry, 'baomi_effects_dead_lettered_total', 'Outbox effects given up on (dead letters), by effect type.', ['type']);
  readonly deadLetters = new Gauge(
    this.registry,
    'baomi_dead_letters',
    'Dead letters waiting in the store (all tenants; approval effects, notices and alarms given up on), as of the last sweep.',
  );

  constructor() {
    // Started with the first bot, so the GC and event-loop figures cover its whole life.
    processRegistry();
  }

  /** The Prometheus text exposition: the process's default metrics, then the bot's. */
  async render(): Promise<string> {
    const [defaults, own] = await Promise.all([processRegistry().metrics(), this.registry.metrics()]);
    return `${defaults.trimEnd()}\n\n${own}`;
  }

  /** The content type of `render()`'s text. */
  get contentType(): string {
    return this.registry.contentType;
  }
}
