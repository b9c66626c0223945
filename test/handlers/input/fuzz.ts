// Seeded random input for the fuzz tests (a failure can be replayed from its seed).

/** mulberry32: a small seeded PRNG so a failure can be replayed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  'carrier',
  'copies',
  '份数',
  '用途',
  'purpose',
  'witnesses',
  '=',
  '＝',
  ' ',
  '\u3000',
  '\n',
  '\t',
  '"',
  "'",
  '“',
  '”',
  '‘',
  '’',
  '「',
  '」',
  '『',
  '』',
  ',',
  '，',
  '、',
  ';',
  'ou_',
  'abc',
  'JM-1',
  '2',
  '0',
  '-',
  '.',
  '/',
  '\\',
  '\u0000',
  '\u202e',
  '\ud800',
  '😀',
  '{{field}}',
  '$t(x)',
  '__proto__',
  'constructor',
  'toString',
  'x'.repeat(300),
];

export function randomText(next: () => number, maxPieces = 30): string {
  let s = '';
  const n = Math.floor(next() * maxPieces);
  for (let i = 0; i < n; i++) {
    if (next() < 0.2) s += String.fromCharCode(Math.floor(next() * 0x10000));
    else s += PIECES[Math.floor(next() * PIECES.length)]!;
  }
  return s;
}
