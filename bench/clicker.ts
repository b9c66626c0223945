/**
 * Plays Lark's callback gateway for the click benchmark, in a process of its own: posts the sealed
 * card callbacks all at once and measures each round trip (what Lark's 3 s deadline applies to).
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

process.on('message', (m: { op: string; url?: string; bodies?: Sealed[] }) => {
  if (m.op === 'fire') {
    const agent = new http.Agent({ keepAlive: true, maxSockets: m.bodies!.length });
    void Promise.all(m.bodies!.map((b) => post(agent, m.url!, b))).then((results) =>
      process.send!({ op: 'fired', results: results.map((r) => ({ ms: r.ms, status: r.status, toast: (JSON.parse(r.body || '{}') as { toast?: { type?: string } }).toast?.type ?? 'none' })) }),
    );
  } else if (m.op === 'stop') process.exit(0);
});
process.send!({ op: 'ready' });
