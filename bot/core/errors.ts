/**
 * Coded errors. Every failure a user can see is one of these codes; the error boundary turns it
 * into a localised message from `locales/<lng>/errors.json` (key = code).
 */
export const ErrorCode = {
  Internal: 'internal',
  UnknownCommand: 'unknown_command',
  BadArguments: 'bad_arguments',
  MissingField: 'missing_field',
  InvalidField: 'invalid_field',
  Forbidden: 'forbidden',
  NotFound: 'not_found',
  StaleCard: 'stale_card',
  BadAction: 'bad_action',
  Busy: 'busy',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** An expected, user-facing failure: `key` is an i18n key (namespace:key allowed), params interpolate. */
export class BotError extends Error {
  constructor(
    readonly key: string,
    readonly params: Record<string, string | number> = {},
    readonly kind: 'user' | 'internal' = 'user',
    /** Already-localised text in both languages (when the message needs more than interpolation). */
    readonly text?: { zh: string; en: string },
  ) {
    super(key);
    this.name = 'BotError';
  }

  static localised(key: string, text: { zh: string; en: string }): BotError {
    return new BotError(key, {}, 'user', text);
  }
}

export const isBotError = (e: unknown): e is BotError => e instanceof BotError;

/** The event could not be recorded (e.g. the store is down): ask the platform to redeliver it. */
export class RetryLater extends Error {
  constructor(readonly reason: unknown) {
    super(`retry later: ${(reason as Error)?.message ?? String(reason)}`);
    this.name = 'RetryLater';
  }
}

/**
 * The contact API could not answer (network, 5xx, rate limit, token): whether a person exists is
 * unknown. Never to be taken for "no such person"; the user is asked to try again.
 */
export class DirectoryUnavailable extends Error {
  constructor(
    readonly openId: string,
    readonly reason: unknown,
  ) {
    super(`directory lookup of ${openId} failed: ${(reason as Error)?.message ?? String(reason)}`);
    this.name = 'DirectoryUnavailable';
  }
}
