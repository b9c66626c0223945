/** A button found on a card: its name, the value of the behaviour that matched, and the form it sits in. */
export interface FoundButton {
  name?: string;
  value: Record<string, unknown>;
  formName?: string;
}

/** One of a button's `behaviors` as it appears in the card JSON. */
export interface ButtonBehaviour {
  type?: unknown;
  value?: unknown;
}

/**
 * Walks a card (depth first, in document order) for the first button with a behaviour whose
 * object `value` satisfies `match`; `match` also gets the behaviour itself (to look at its `type`).
 */
export function buttonWhere(card: unknown, match: (value: Record<string, unknown>, behaviour: ButtonBehaviour) => boolean): FoundButton | undefined {
  let found: FoundButton | undefined;
  const walk = (node: unknown, formName?: string): void => {
    if (found || node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach((n) => walk(n, formName));
    const o = node as Record<string, unknown>;
    const inForm = o.tag === 'form' ? (o.name as string) : formName;
    if (o.tag === 'button' && Array.isArray(o.behaviors)) {
      for (const b of o.behaviors as ButtonBehaviour[]) {
        const value = b.value;
        if (value !== null && typeof value === 'object' && match(value as Record<string, unknown>, b)) {
          found = { name: o.name as string | undefined, value: value as Record<string, unknown>, formName: inForm };
          return;
        }
      }
    }
    for (const v of Object.values(o)) walk(v, inForm);
  };
  walk(card, undefined);
  return found;
}

/** {@link buttonWhere}, throwing `new Error(missing)` when the card has no such button. */
export function requireButtonWhere(card: unknown, match: (value: Record<string, unknown>, behaviour: ButtonBehaviour) => boolean, missing: string): FoundButton {
  const found = buttonWhere(card, match);
  if (!found) throw new Error(missing);
  return found;
}
