/**
 * DOCKERFILE STEPS, OUTSIDE DOCKER. No Docker engine runs on our machines, so this test runs the
 * steps of ./Dockerfile itself — parsed from the file, so the two cannot drift — in temporary
 * folders: the build stage (clean `npm ci` with dev dependencies, `npm run build`) and the runtime
 * stage (clean `npm ci --omit=dev`, the compiled `dist/` copied from the build stage), then starts
 * the image's CMD with the image's ENV plus a deployment's variables (Lark → the stand-in, MongoDB →
 * the embedded store) and waits for /healthz, then runs the image's HEALTHCHECK command. The
 * context is that of a clean clone: the tracked files only (with uncommitted edits), never an
 * untracked file that happens to lie in the working tree.
 *
 * The only differences from `docker build`: `npm ci` gets `--prefer-offline --no-audit --no-fund`
 * (the local npm cache instead of a cache mount), `--mount=…` flags are dropped, PORT is a free
 * port (a container has its own), and USER is not switched.
 *
 * And compose.yaml gives the bots the time a graceful stop may take.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_STOP_TIMEOUT_MS } from '../../bot/bootstrap.js';
import { startEmbeddedMongo, type EmbeddedMongo } from '../../sandbox/mongo/server.js';
import { startLarkStandIn, type LarkStandIn } from '../../sandbox/lark/server.js';
import { freePort } from '../e2e/harness.js';
import { ROOT } from './scan.js';

interface Step {
  op: string;
  args: string;
}
interface Stage {
  name: string;
  from: string;
  steps: Step[];
}

/** Instructions per stage; continuation lines joined, comments and the syntax line skipped. */
function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  const lines = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/);
  for (const raw of lines) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([A-Z]+)\s+(.*)$/.exec(line);
    if (!m) throw new Error(`cannot parse Dockerfile line: ${line}`);
    const [, op, args] = m as unknown as [string, string, string];
    if (op === 'FROM') {
      const f = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args)!;
      stages.push({ from: f[1]!, name: f[2] ?? String(stages.length), steps: [] });
    } else {
      if (!stages.length) throw new Error(`${op} before FROM`);
      stages.at(-1)!.steps.push({ op, args });
    }
  }
  return stages;
}

/**
 * The Docker context of a clean clone: the tracked files (`git ls-files`, with their working-tree
 * content, so uncommitted edits of tracked files are built) minus .dockerignore. Untracked files are
 * left out — a clean clone does not have them, and a build must not depend on one.
 */
function contextFiles(): string[] {
  const patterns = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const toRe = (p: string) =>
    new RegExp(
      `^${p
        .replace(/\/$/, '')
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '[^/]*')}(/|$)`,
    );
  const ignored = patterns.map(toRe);
  const out = spawnSync('git', ['ls-files', '-z', '--cached'], { cwd: ROOT, encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`git ls-files failed: ${out.stderr}`);
  return out.stdout
    .split('\0')
    .filter(Boolean)
    .filter((f) => !ignored.some((re) => re.test(f) || re.test(f.split('/').pop()!)))
    .filter((f) => existsSync(join(ROOT, f)) && statSync(join(ROOT, f)).isFile());
}

/** Environment for the steps: what a shell in the image would have, plus the host's npm cache and proxies. */
function baseEnv(): NodeJS.ProcessEnv {
  const keep = /^(PATH|HOME|TMPDIR|LANG|npm_config_(cache|registry|userconfig)|https?_proxy|HTTPS?_PROXY|no_proxy|NO_PROXY)$/;
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => keep.test(k)));
}

function sh(cmd: string, cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    const p = spawn('sh', ['-c', cmd], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`RUN ${cmd} failed (${code}):\n${out.slice(-3000)}`))));
  });
}

const exec = (args: string): string[] => JSON.parse(args) as string[];

let tmp: string | undefined;
/** How long each RUN took (printed when the test fails or is slow). */
const timings: string[] = [];
let bot: ChildProcess | undefined;
let standIn: LarkStandIn | undefined;
let mongo: EmbeddedMongo | undefined;

afterAll(async () => {
  bot?.kill('SIGKILL');
  await standIn?.stop();
  await mongo?.stop();
  if (timings.length) process.stdout.write(`dockerfile steps:\n  ${timings.join('\n  ')}\n`);
  // Two node_modules trees: removed in the background (rm -rf), not holding up the suite.
  if (tmp) spawn('rm', ['-rf', tmp], { detached: true, stdio: 'ignore' }).unref();
}, 60_000);

describe('Dockerfile steps, run outside Docker', () => {
  const stages = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
  const runtime = stages.at(-1)!;
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };

  it('the recipe: Node 20 slim, a build stage and a production-only runtime stage, non-root, HEALTHCHECK on /healthz', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const s of stages) expect(s.from).toMatch(/^node:20(\.\d+)*-slim$/);
    const runs = (s: Stage) => s.steps.filter((x) => x.op === 'RUN').map((x) => x.args);
    expect(runs(runtime).some((r) => /npm ci\b.*--omit=dev/.test(r))).toBe(true);
    expect(runtime.steps.some((s) => s.op === 'COPY' && s.args.startsWith('--from='))).toBe(true);
    const user = runtime.steps.filter((s) => s.op === 'USER').at(-1)?.args;
    expect(user && !['root', '0'].includes(user)).toBe(true);
    expect(runtime.steps.find((s) => s.op === 'HEALTHCHECK')?.args).toMatch(/\/healthz/);
    expect(exec(runtime.steps.find((s) => s.op === 'CMD')!.args)).toContain('dist/bot/main.js');
  });

  it('the image starts the bot as npm run start:prod does, with the old-generation heap bounded (docs/operations.md, Memory)', () => {
    const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    const cmd = exec(runtime.steps.find((s) => s.op === 'CMD')!.args);
    expect(cmd.join(' ')).toBe(scripts['start:prod']);
    // The shipped bound (operators may raise it, docs/operations.md): without one V8 sizes the heap
    // from the machine's memory and lets garbage pile up; no larger young generation either (the
    // 100,000-row export peaked at 518 MB RSS with --max-semi-space-size=64, ~230 MB without).
    expect(scripts['start:prod']).not.toMatch(/--max-semi-space-size/);
    const bound = /--max-old-space-size=(\d+)/.exec(scripts['start:prod']!)?.[1];
    expect(Number(bound)).toBeGreaterThanOrEqual(256);
    expect(Number(bound)).toBeLessThanOrEqual(1024);
  });

  it('compose.yaml: every bot service waits longer than the stop bound before SIGKILL (stop_grace_period)', () => {
    const compose = readFileSync(join(ROOT, 'compose.yaml'), 'utf8');
    // The bots share the `x-bot: &bot` block (up to the next top-level key) and merge it.
    const block = /^x-bot: &bot\n((?:[ \t].*\n|\n)*)/m.exec(compose)?.[1];
    expect(block).toBeTruthy();
    const grace = /^\s+stop_grace_period:\s*(\d+)s\s*$/m.exec(block!)?.[1];
    expect(grace, 'stop_grace_period in x-bot').toBeTruthy();
    // Docker's default (10 s) equals the bot's bound; a margin of at least 5 s, as for Kubernetes.
    expect(Number(grace) * 1000).toBeGreaterThanOrEqual(DEFAULT_STOP_TIMEOUT_MS + 5_000);
    const services = compose.slice(compose.indexOf('\nservices:'));
    const bots = [...services.matchAll(/^ {2}(bot\w*):\n((?: {4}.*\n)*)/gm)];
    expect(bots.map((m) => m[1])).toEqual(['bot1', 'bot2']);
    for (const m of bots) expect(m[2], m[1]).toMatch(/^ {4}<<: \*bot$/m);
  });

  it('builds, installs without dev dependencies, and the image CMD starts a bot that answers /healthz and /help', async () => {
    tmp = mkdtempSync(join(tmpdir(), 'baomi-docker-steps-'));
    const context = join(tmp, 'context');
    for (const f of contextFiles()) {
      mkdirSync(dirname(join(context, f)), { recursive: true });
      cpSync(join(ROOT, f), join(context, f));
    }
    // A clean clone: no untracked file of the working tree made it into the context.
    const untracked = spawnSync('git', ['ls-files', '-z', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' });
    expect(untracked.status, untracked.stderr).toBe(0);
    expect(
      untracked.stdout
        .split('\0')
        .filter(Boolean)
        .filter((f) => existsSync(join(context, f))),
    ).toEqual([]);

    // Stages run concurrently, as BuildKit does; COPY --from waits for its stage.
    const done = new Map<string, Promise<{ dir: string; env: NodeJS.ProcessEnv; cmd?: string[]; health?: string[] }>>();
    const run = async (stage: Stage) => {
      const dir = join(tmp!, `stage-${stage.name}`);
      mkdirSync(dir, { recursive: true });
      const env: NodeJS.ProcessEnv = {};
      let workdir = '/app';
      let cmd: string[] | undefined;
      let health: string[] | undefined;
      const inStage = (p: string) => join(dir, p.startsWith('/') ? p.slice(workdir.length) : p);
      for (const step of stage.steps) {
        switch (step.op) {
          case 'WORKDIR':
            workdir = step.args;
            break;
          case 'ENV':
            for (const m of step.args.matchAll(/(\w+)=("[^"]*"|\S+)/g)) env[m[1]!] = m[2]!.replace(/^"|"$/g, '');
            break;
          case 'COPY': {
            const parts = step.args.split(/\s+/);
            const from = parts[0]!.startsWith('--from=') ? parts.shift()!.slice('--from='.length) : undefined;
            const dest = parts.pop()!;
            for (const src of parts) {
              if (from) {
                const other = await done.get(from)!;
                cpSync(join(other.dir, src.slice(workdir.length)), inStage(dest), { recursive: true });
              } else if (src === '.') cpSync(context, inStage(dest), { recursive: true });
              else cpSync(join(context, src), join(inStage(dest), src.split('/').pop()!));
            }
            break;
          }
          case 'RUN': {
            const command = step.args.replace(/^(--mount=\S+\s+)+/, '').replace(/\bnpm ci\b/g, 'npm ci --prefer-offline --no-audit --no-fund');
            const t0 = Date.now();
            await sh(command, dir, { ...baseEnv(), ...env });
            timings.push(`${stage.name}: ${command} ${Date.now() - t0} ms`);
            break;
          }
          case 'CMD':
            cmd = exec(step.args);
            break;
          case 'HEALTHCHECK':
            health = exec(step.args.replace(/^.*?\bCMD\s+/, ''));
            break;
          case 'USER':
          case 'EXPOSE':
          case 'LABEL':
          case 'ARG':
            break;
          default:
            throw new Error(`the test does not know how to run ${step.op}: add it here`);
        }
      }
      return { dir, env, cmd, health };
    };
    for (const s of stages) done.set(s.name, run(s));
    const results = await Promise.all([...done.values()]);
    const image = results.at(-1)!;

    // Production dependencies only, and nothing compiled imports a dev tool.
    // (package-lock.json marks what only dev dependencies pull in: `"dev"` or `"devOptional"`.)
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; devOptional?: boolean }> };
    const devPackages = Object.entries(lock.packages)
      .filter(([p, v]) => p.startsWith('node_modules/') && (v.dev || v.devOptional))
      .map(([p]) => p);
    expect(devPackages).toEqual(expect.arrayContaining(['node_modules/typescript', 'node_modules/vitest', 'node_modules/@biomejs/biome', 'node_modules/playwright-core']));
    expect(devPackages.filter((p) => existsSync(join(image.dir, p)))).toEqual([]);
    const devOnly = [...Object.keys(pkg.devDependencies), 'tsx'];
    const jsFiles: string[] = [];
    const walk = (d: string) => {
      for (const n of readdirSync(d)) {
        const p = join(d, n);
        if (statSync(p).isDirectory()) walk(p);
        else if (n.endsWith('.js')) jsFiles.push(p);
      }
    };
    walk(join(image.dir, 'dist'));
    expect(jsFiles.length).toBeGreaterThan(50);
    const importsOf = (src: string) => [...src.matchAll(/(?:from\s+|import\s*\(\s*)['"]([^'"]+)['"]/g)].map((m) => m[1]!);
    const bad = jsFiles.flatMap((f) =>
      importsOf(readFileSync(f, 'utf8'))
        .filter((i) => devOnly.some((d) => i === d || i.startsWith(`${d}/`)))
        .map((i) => `${f}: ${i}`),
    );
    expect(bad).toEqual([]);

    // A deployment's variables, as `docker run -e …` would pass them.
    const app = { appId: 'cli_0a1b2c3d4e5f6a7b', appSecret: 'docker-steps-secret' };
    const encryptKey = 'docker-steps-encrypt-key';
    standIn = await startLarkStandIn({ ...app, encryptKey, verificationToken: 'docker-steps-token' });
    mongo = await startEmbeddedMongo();
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...baseEnv(),
      ...image.env,
      PORT: String(port),
      LARK_APP_ID: app.appId,
      LARK_APP_SECRET: app.appSecret,
      LARK_ENCRYPT_KEY: encryptKey,
      LARK_VERIFICATION_TOKEN: 'docker-steps-token',
      LARK_DOMAIN: standIn.url,
      LARK_TRANSPORT: 'webhook',
      MONGODB_URI: mongo.uri.replace('/?', '/baomi_docker_steps?'),
      BAOMI_LOG_LEVEL: 'warn',
    };
    expect(env.NODE_ENV).toBe('production');
    const [command, ...args] = image.cmd!;
    let out = '';
    bot = spawn(command === 'node' ? process.execPath : command!, args, { cwd: image.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    bot.stdout!.on('data', (d) => (out += d));
    bot.stderr!.on('data', (d) => (out += d));
    const deadline = Date.now() + 20_000;
    while (
      !(await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.ok,
        () => false,
      ))
    ) {
      if (Date.now() > deadline || bot.exitCode !== null) throw new Error(`the compiled bot did not become healthy:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }

    // The image's own HEALTHCHECK passes.
    const [hc, ...hcArgs] = image.health!;
    // (Run asynchronously: the stand-in and the store live in this process and must keep answering.)
    const probe = await new Promise<{ code: number | null; out: string }>((resolve) => {
      let o = '';
      const p = spawn(hc === 'node' ? process.execPath : hc!, hcArgs, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      p.stdout.on('data', (d) => (o += d));
      p.stderr.on('data', (d) => (o += d));
      p.on('exit', (code) => resolve({ code, out: o }));
    });
    expect(probe.code, probe.out).toBe(0);

    // And it is the bot: a signed, encrypted /help is answered with a card (locales read from dist/).
    standIn.setDelivery({ mode: 'webhook', url: `http://127.0.0.1:${port}/lark/events` });
    const sent = await standIn.sendText('ou_f6e440d0604342760f037796e92f5830', null, '/help');
    const reply = await standIn.waitForMessage((m) => m.parent_id === sent.message_id, 5000);
    expect(reply.msg_type).toBe('interactive');
    expect(out).not.toMatch(/failed to start|configuration error/);
  }, 300_000);
});
