/** `npm run bench`: every benchmark, printing its figures. Record them in bench/RESULTS.md. */
import os from 'node:os';
import { runClickBench } from './click.bench.js';
import { runLedgerBench } from './ledger.bench.js';
import { runFanoutBench } from './fanout.bench.js';
import { runWebhookBench } from './webhook.bench.js';

console.log(
  `baomi-bot benchmarks — ${new Date().toISOString()} — Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB`,
);
console.log(`concurrency ${process.env.BENCH_CONCURRENCY ?? 32}, events ${process.env.BENCH_EVENTS ?? 2000}\n`);
console.log('# webhook throughput');
await runWebhookBench();
console.log('\n# approval clicks');
await runClickBench();
console.log('\n# ledgers: first page and export at 100,000 entries');
await runLedgerBench();
console.log('\n# fan-out (5,000 recipients, stand-in limit 50/s)');
await runFanoutBench();
process.exit(0);
