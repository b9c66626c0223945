// `npm run docs:lark-app`: writes docs/lark-app.md from bot/transports/lark/scopes.ts (the one
// source of the app's scopes, events and callbacks). test/ops/lark-app.test.ts checks it is current.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderLarkAppDoc } from '../bot/transports/lark/scopes.js';

const target = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'lark-app.md');
writeFileSync(target, renderLarkAppDoc());
process.stdout.write(`wrote ${target}\n`);
