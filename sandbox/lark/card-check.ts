/**
 * Checks the stand-in applies to card JSON (sent, replied, patched, updated later, or returned from
 * a callback), refusing what Lark refuses. JSON 2.0 cards go through the bot's own validator
 * (cards/card.schema.ts: every documented limit the cards touch, each with its doc page), so a card
 * the validator refuses is refused here with Lark's error code, and any e2e test sending one fails.
 *
 * - Size: the request body as sent, i.e. the card JSON escaped inside the message's `content`
 *   (https://open.feishu.cn/document/server-docs/im-v1/message/create, error 230025).
 * - Invalid card content: 230099 on message create / reply / patch; 200673 in a callback answer,
 *   and 200830 when a 2.0 card is answered with a card that is not 2.0
 *   (https://open.feishu.cn/document/feishu-cards/card-callback-communication).
 */
import { CARD_LIMITS, validateCard } from '../../cards/card.schema.js';
import { isPlainObject } from './http-util.js';

export const CARD_MAX_BYTES = CARD_LIMITS.maxBytes;
const MAX_COMPONENTS = CARD_LIMITS.maxComponents;

export type CardProblem = { kind: 'too_long'; bytes: number } | { kind: 'invalid'; reason: string };

function countComponents(node: unknown): number {
  if (Array.isArray(node)) return node.reduce<number>((n, x) => n + countComponents(x), 0);
  if (!isPlainObject(node)) return 0;
  const tag = node['tag'];
  // 1.0 cards: text objects (plain_text / lark_md) are properties of components, not components.
  let n = typeof tag === 'string' && tag !== 'plain_text' && tag !== 'lark_md' ? 1 : 0;
  for (const v of Object.values(node)) n += countComponents(v);
  return n;
}

/** The bytes Lark counts for a card message: the `content` string as it appears in the JSON body. */
export function sentBytes(content: string): number {
  return Buffer.byteLength(JSON.stringify(content), 'utf8');
}

/** `content` is the message content string (JSON text of the card). */
export function checkCardContent(content: string): CardProblem | null {
  const bytes = sentBytes(content);
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
    const result = validateCard(card);
    if (result.ok) return null;
    // Size is measured above on the content as sent (the validator adds a margin for the body).
    const errors = result.errors.filter((e) => !e.startsWith('card JSON is '));
    return errors.length ? { kind: 'invalid', reason: errors.join('; ') } : null;
  }
  if (card['schema'] !== undefined) return { kind: 'invalid', reason: `unsupported card schema ${JSON.stringify(card['schema'])}` };
  const n = countComponents(card);
  if (n > MAX_COMPONENTS) return { kind: 'invalid', reason: `too many components (${n} > ${MAX_COMPONENTS})` };
  return null;
}
