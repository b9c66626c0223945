import { decodeAction } from '../../cards/action-value.js';
import type { LarkStandIn } from '../../sandbox/lark/server.js';
import { buttonWhere, type FoundButton } from '../helpers/cards.js';

export type { FoundButton } from '../helpers/cards.js';

/** Walks a card for the button whose callback value has action id `action`. */
export function findButton(card: unknown, action: string): FoundButton | undefined {
  return buttonWhere(card, (value, b) => {
    if (b.type !== 'callback') return false;
    const d = decodeAction(value);
    return d.ok && d.action === action;
  });
}

/** The newest card message in a user's p2p chat with the bot that mentions `text`. */
export function cardFor(standIn: LarkStandIn, user: string, text: string) {
  const chat = standIn.p2pChatId(user);
  if (!chat) return undefined;
  return standIn
    .chatMessages(chat)
    .filter((m) => m.sender.sender_type === 'app' && m.msg_type === 'interactive' && m.body.content.includes(text))
    .at(-1);
}

export async function waitCard(standIn: LarkStandIn, user: string, text: string, action?: string, timeoutMs = 3000) {
  return standIn.waitFor(
    () => {
      const m = cardFor(standIn, user, text);
      if (!m) return undefined;
      if (action && !findButton(JSON.parse(m.body.content), action)) return undefined;
      return m;
    },
    timeoutMs,
    `a card for ${user} mentioning ${text}${action ? ` with ${action}` : ''}`,
  );
}

/** Clicks the button `action` on a card message as `user`, with optional form values. */
export async function clickAction(standIn: LarkStandIn, user: string, messageId: string, action: string, form?: Record<string, unknown>) {
  const msg = standIn.getMessage(messageId)!;
  const button = findButton(JSON.parse(msg.body.content), action);
  if (!button) throw new Error(`no ${action} button on ${messageId}`);
  return standIn.click(user, messageId, { tag: 'button', ...(button.name ? { name: button.name } : {}), value: button.value, ...(form ? { form_value: form } : {}) });
}

/** The text replies the bot sent to a user's message. */
export async function replyTo(standIn: LarkStandIn, sent: { message_id: string }, timeoutMs = 3000): Promise<string> {
  const m = await standIn.waitForMessage((x) => x.parent_id === sent.message_id, timeoutMs);
  return m.msg_type === 'text' ? (JSON.parse(m.body.content) as { text: string }).text : m.body.content;
}
