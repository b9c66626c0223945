/**
 * Error codes the stand-in answers with. Codes marked "Lark" are the platform's documented codes;
 * codes marked "stand-in" are our own choice where the real code could not be confirmed offline.
 * Business errors are answered with HTTP 400 (as Lark's gateway does), so the SDK throws an AxiosError
 * whose `response.data` is `{code, msg}`.
 */
export const LarkError = {
  /** Lark: invalid app_id on the token endpoints. */
  invalidAppId: { code: 10003, msg: 'invalid param: app_id is invalid' },
  /** Lark: wrong app secret on the token endpoints. */
  appSecretInvalid: { code: 10014, msg: 'app secret invalid' },
  /** Lark: no Authorization header. */
  missingToken: { code: 99991661, msg: 'Missing access token for authorization. Please make a request with token attached.' },
  /** Lark: unknown / expired / invalidated token. */
  invalidToken: { code: 99991663, msg: 'Invalid access token for authorization. Please make a request with token attached.' },
  /** Lark: frequency limit (HTTP 429 + `x-ogw-ratelimit-reset`). */
  rateLimited: { code: 99991400, msg: 'request trigger frequency limit' },
  /** Lark: field validation failed. */
  fieldValidation: { code: 99992402, msg: 'field validation failed' },
  /** Lark: generic server error (used for injected HTTP 5xx). */
  internal: { code: 2200, msg: 'Internal Error' },
  /** Lark: invalid request parameter (bad msg_type / content / message id). */
  invalidParam: { code: 230001, msg: 'Your request contains an invalid request parameter.' },
  /** Lark: the bot is not in the chat (also used for an unknown chat). */
  botNotInChat: { code: 230002, msg: 'Bot/User can NOT be out of the chat.' },
  /** Lark: the user is outside the app's availability (also used for an unknown user). */
  noAvailability: { code: 230013, msg: 'Bot has NO availability to this user.' },
  /** Lark: per-message update frequency exceeded (patch > 5 QPS on one message). */
  messageRateLimited: { code: 230020, msg: 'This operation triggers the frequency limit.' },
  /** Lark: message content too long (card > 30 KB, text/post > 150 KB). */
  contentTooLong: { code: 230025, msg: 'The length of the message content reaches its limit.' },
  /** Lark: no permission for the operation (e.g. patching a message the bot did not send). */
  noPermission: { code: 230027, msg: 'Lack of necessary permissions.' },
  /** Lark: the message is older than the 14-day update window. */
  updateWindowPassed: { code: 230031, msg: 'The message exceeds the time limit for updates (14 days).' },
  /** Lark: the card content could not be created (invalid card JSON). */
  invalidCard: { code: 230099, msg: 'Failed to create card content.' },
  /**
   * Lark: a JSON 2.0 card is being interacted with (its callback is still open): an update is
   * refused until the callback was answered — "card action is lock". Retry later.
   */
  cardActionLocked: { code: 11310, msg: 'card action is lock' },
  /** Lark (callback answer): the card in the answer is invalid. */
  callbackInvalidCard: { code: 200673, msg: 'invalid card in the callback response' },
  /** Lark (callback answer): a JSON 2.0 card must be answered with a JSON 2.0 card. */
  callbackCardSchemaMismatch: { code: 200830, msg: 'a card JSON 2.0 card must be updated with a card JSON 2.0 card' },
  /** Lark: im file larger than 30 MB. */
  fileTooLarge: { code: 234006, msg: 'The file size exceeds the limit (30 MB).' },
  /** Lark (contact): the user is unknown / outside the contact scope. */
  userNotFound: { code: 41050, msg: 'no user authority error' },
  /** Lark (contact lists): page_size outside 1–50. */
  pageSizeInvalid: { code: 40011, msg: 'page size is invalid' },
  /** Lark (contact lists): a page_token that was not returned by the previous page. */
  pageTokenInvalid: { code: 40012, msg: 'page token is invalid error' },
  /** stand-in: the department is unknown / outside the contact scope. */
  departmentNotFound: { code: 40004, msg: 'no dept authority error' },
  /** stand-in: unknown calendar id. */
  calendarNotFound: { code: 191001, msg: 'invalid calendar_id' },
  /** stand-in: unknown calendar event id. */
  calendarEventNotFound: { code: 193001, msg: 'event not found' },
  /** stand-in: delayed card update with an unknown or expired (> 30 min) token. */
  cardTokenInvalid: { code: 300002, msg: 'card update token is invalid or expired' },
  /** stand-in: delayed card update token already used twice. */
  cardTokenExhausted: { code: 300003, msg: 'card update token can be used at most 2 times' },
  /** stand-in: delayed card update before the 3-second callback answer was sent. */
  cardTokenTooEarly: { code: 300004, msg: 'card update token can only be used after the callback has been answered' },
  /** Lark: delayed update of a JSON 1.0 card without `open_ids`. */
  cardOpenIdsMissing: { code: 300090, msg: 'open_ids is required for card JSON 1.0 delayed updates' },
  /** WS endpoint (codes the SDK knows): bad AppID/AppSecret → 514 auth failed (SDK gives up, onError). */
  wsAuthFailed: { code: 514, msg: 'auth failed' },
} as const;

export type LarkErrorDef = { code: number; msg: string };
