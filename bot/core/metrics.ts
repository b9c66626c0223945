/** A tiny Prometheus text-format registry: counters and histograms with labels. */

type Labels = Record<string, string>;

const labelKey = (labels: Labels): string =>
  Object.keys(labels)
    .sort()
    .map((k) => `${k}="${String(labels[k]).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
    .join(',');

class Counter {
  readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(labels: Labels = {}, by = 1): void {
    const k = labelKey(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
  get(labels: Labels = {}): number {
    return this.values.get(labelKey(labels)) ?? 0;
  }
  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    if (this.values.size === 0) lines.push(`${this.name} 0`);
    for (const [k, v] of this.values) lines.push(`${this.name}${k ? `{${k}}` : ''} ${v}`);
    return lines;
  }
}

/** A value that goes up and down (set from a periodic reading, e.g. dead letters in the store). */
class Gauge {
  private value = 0;
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  set(v: number): void {
    this.value = v;
  }
  get(): number {
    return this.value;
  }
  render(): string[] {
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`, `${this.name} ${this.value}`];
  }
}

class Histogram {
  private readonly series = new Map<string, { buckets: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly bounds: number[],
  ) {}
  observe(seconds: number, labels: Labels = {}): void {
    const k = labelKey(labels);
    let s = this.series.get(k);
    if (!s) {
      s = { buckets: this.bounds.map(() => 0), sum: 0, count: 0 };
      this.series.set(k, s);
    }
    this.bounds.forEach((b, i) => {
      if (seconds <= b) s.buckets[i]! += 1;
    });
    s.sum += seconds;
    s.count += 1;
  }
  count(labels: Labels = {}): number {
    return this.series.get(labelKey(labels))?.count ?? 0;
  }
  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const [k, s] of this.series) {
      const sep = k ? ',' : '';
      this.bounds.forEach((b, i) => lines.push(`${this.name}_bucket{${k}${sep}le="${b}"} ${s.buckets[i]}`));
      lines.push(`${this.name}_bucket{${k}${sep}le="+Inf"} ${s.count}`);
      lines.push(`${this.name}_sum${k ? `{${k}}` : ''} ${s.sum}`);
      lines.push(`${this.name}_count${k ? `{${k}}` : ''} ${s.count}`);
    }
    return lines;
  }
}

const LATENCY = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export class Metrics {
  readonly eventsReceived = new Counter('baomi_events_received_total', 'Events and callbacks accepted by a transport, by kind.');
  readonly eventsDeduplicated = new Counter('baomi_events_deduplicated_total', 'Deliveries dropped as duplicates, by kind.');
  readonly eventsFailed = new Counter('baomi_events_failed_total', 'Events whose handling failed, by kind.');
  readonly requestsRejected = new Counter('baomi_webhook_rejected_total', 'Webhook requests refused, by reason.');
  readonly cardActions = new Counter('baomi_card_actions_total', 'Card clicks handled, by action.');
  readonly sends = new Counter('baomi_sends_total', 'Open API sends, by operation and result.');
  readonly handlerLatency = new Histogram('baomi_handler_seconds', 'Time from receipt to the end of handling, by kind.', LATENCY);
  readonly ackLatency = new Histogram('baomi_ack_seconds', 'Time from receipt to the transport acknowledgement, by kind.', LATENCY);
  readonly sendLatency = new Histogram('baomi_send_seconds', 'Open API call latency, by operation.', LATENCY);
  readonly effectsRetried = new Counter('baomi_effects_retried_total', 'Outbox effects that failed and will be tried again, by effect type.');
  readonly effectsDeadLettered = new Counter('baomi_effects_dead_lettered_total', 'Outbox effects given up on (dead letters), by effect type.');
  readonly deadLetters = new Gauge('baomi_dead_letters', 'Dead-lettered effects waiting in the store (all tenants), as of the last sweep.');

  render(): string {
    const all = [
      this.eventsReceived,
      this.eventsDeduplicated,
      this.eventsFailed,
      this.requestsRejected,
      this.cardActions,
      this.sends,
      this.handlerLatency,
      this.ackLatency,
      this.sendLatency,
      this.effectsRetried,
      this.effectsDeadLettered,
      this.deadLetters,
    ];
    return `${all.flatMap((m) => m.render()).join('\n')}\n`;
  }
}
