// `npm run build`, second step: the files the compiled code reads at run time next to itself
// (tsc emits only .js and the JSON it imports). Plain JavaScript, so it runs without tsx.
//   locales/<lng>/*.json      read by locales/index.ts from its own folder
//   sandbox/lark/seed/*.json  the stand-in's demo organisation (sandbox mode)
//   sandbox/lark/web/**       the sandbox chat page
//   config/*.json             the default policy (also emitted by tsc through its JSON import)
import { cpSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// BUILD_OUT: another output folder (the compiled benchmarks build to dist-bench/).
const out = join(root, process.env.BUILD_OUT ?? 'dist');

/** [source folder, filter] copied to the same relative place under dist/. */
export const ASSETS = [
  ['locales', (f) => f.endsWith('.json')],
  ['sandbox/lark/seed', () => true],
  ['sandbox/lark/web', () => true],
  ['config', (f) => f.endsWith('.json')],
];

if (!existsSync(out)) {
  process.stderr.write('dist/ does not exist: run tsc -p tsconfig.build.json first\n');
  process.exit(1);
}
let copied = 0;
for (const [dir, keep] of ASSETS) {
  cpSync(join(root, dir), join(out, dir), {
    recursive: true,
    filter: (src) => {
      const name = src.split(/[\\/]/).pop() ?? '';
      // Folders pass; files pass the filter. TypeScript sources are compiled, never copied.
      if (!name.includes('.')) return true;
      if (name.endsWith('.ts')) return false;
      const ok = keep(name);
      if (ok) copied++;
      return ok;
    },
  });
}
mkdirSync(out, { recursive: true });
process.stdout.write(`copied ${copied} asset files to dist/ (${readdirSync(out).length} top-level entries)\n`);
