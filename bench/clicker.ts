/**
 * Plays Lark's event and callback gateway for the benchmarks, in a process of its own: posts sealed
 * bodies and measures each round trip (what Lark's 3 s deadline applies to).
 */
import http from 'node:http';

type Sealed = { body: string; headers: Record<string, string> };

function post(agent: http.Agent, url: string, s: Sealed): Promise<{ ms: number; status: number; body: string }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(s.body), ...s.headers } }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ ms: performance.now() - t0, status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(s.body);
  });
}

process.on('message', (m: { op: string; url?: string; bodies?: Sealed[]; concurrency?: number }) => {
  if (m.op === 'fire') {
    // Every body at once (clicks), or `concurrency` connections kept busy (a stream of events).
    const bodies = m.bodies!;
    const lanes = Math.min(m.concurrency ?? bodies.length, bodies.length);
    const agent = new http.Agent({ keepAlive: true, maxSockets: lanes });
    const results: { ms: number; status: number; body: string }[] = new Array(bodies.length);
    let next = 0;
    const t0 = performance.now();
    void Promise.all(
      Array.from({ length: lanes }, async () => {
        while (next < bodies.length) {
          const i = next++;
          results[i] = await post(agent, m.url!, bodies[i]!);
        }
      }),
    ).then(() =>
      process.send!({
        op: 'fired',
        seconds: (performance.now() - t0) / 1000,
        results: results.map((r) => ({
          ms: r.ms,
          status: r.status,
          toast: r.body.startsWith('{') ? ((JSON.parse(r.body) as { toast?: { type?: string } }).toast?.type ?? 'none') : 'none',
        })),
      }),
    );
  } else if (m.op === 'stop') process.exit(0);
});
process.send!({ op: 'ready' });
