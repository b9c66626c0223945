/**
 * Checks the stand-in applies to card JSON (sent, patched, or returned from a callback), mirroring
 * Lark's documented limits: the card must be a JSON object, ≤ 30 KB, JSON 2.0 cards reject unknown
 * top-level properties and removed 1.0 modules, ≤ 200 components.
 */
import { isPlainObject } from './http-util.js';

export const CARD_MAX_BYTES = 30 * 1024;
const V2_TOP_LEVEL = new Set(['schema', 'config', 'card_link', 'header', 'body']);
const MAX_COMPONENTS = 200;

export type CardProblem = { kind: 'too_long'; bytes: number } | { kind: 'invalid'; reason: string };

function countComponents(node: unknown): number {
  if (Array.isArray(node)) return node.reduce<number>((n, x) => n + countComponents(x), 0);
  if (!isPlainObject(node)) return 0;
  const tag = node['tag'];
  // Text objects (plain_text / lark_md) are properties of components, not components.
  let n = typeof tag === 'string' && tag !== 'plain_text' && tag !== 'lark_md' ? 1 : 0;
  for (const v of Object.values(node)) n += countComponents(v);
  return n;
}

function findRemovedTags(node: unknown, found: Set<string>): void {
  if (Array.isArray(node)) {
    for (const x of node) findRemovedTags(x, found);
    return;
  }
  if (!isPlainObject(node)) return;
  if (node['tag'] === 'action' || node['tag'] === 'note') found.add(node['tag']);
  for (const v of Object.values(node)) findRemovedTags(v, found);
}

/** `content` is the message content string (JSON text of the card). */
export function checkCardContent(content: string): CardProblem | null {
  const bytes = Buffer.byteLength(content, 'utf8');
  if (bytes > CARD_MAX_BYTES) return { kind: 'too_long', bytes };
  let card: unknown;
  try {
    card = JSON.parse(content);
  } catch {
    return { kind: 'invalid', reason: 'card content is not valid JSON' };
  }
  return checkCardObject(card);
}

export function checkCardObject(card: unknown): CardProblem | null {
  if (!isPlainObject(card)) return { kind: 'invalid', reason: 'card must be a JSON object' };
  if (card['type'] === 'template') {
    const data = card['data'];
    if (!isPlainObject(data) || typeof data['template_id'] !== 'string') {
      return { kind: 'invalid', reason: 'template card needs data.template_id' };
    }
    return null;
  }
  if (card['schema'] === '2.0') {
    const unknown = Object.keys(card).filter((k) => !V2_TOP_LEVEL.has(k));
    if (unknown.length > 0) return { kind: 'invalid', reason: `unknown property in card JSON 2.0: ${unknown.join(', ')}` };
    const body = card['body'];
    if (body !== undefined && (!isPlainObject(body) || (body['elements'] !== undefined && !Array.isArray(body['elements'])))) {
      return { kind: 'invalid', reason: 'body.elements must be an array' };
    }
    const removed = new Set<string>();
    findRemovedTags(body, removed);
    if (removed.size > 0) return { kind: 'invalid', reason: `tag not supported in card JSON 2.0: ${[...removed].join(', ')}` };
  } else if (card['schema'] !== undefined) {
    return { kind: 'invalid', reason: `unsupported card schema ${JSON.stringify(card['schema'])}` };
  }
  const n = countComponents(card);
  if (n > MAX_COMPONENTS) return { kind: 'invalid', reason: `too many components (${n} > ${MAX_COMPONENTS})` };
  return null;
}
