/** Common types of the two delivery transports (webhook, long connection). */

export interface DeliveryResult {
  mode: 'webhook' | 'ws' | 'none';
  /** HTTP status (webhook) or the `code` of the SDK's WS response frame (200 / 500); 0 when nothing answered. */
  status: number;
  /** Raw response body (webhook), or the decoded `data` of the WS response (the handler's JSON). */
  body: string;
  /** `body` parsed as JSON, when it is JSON. */
  json?: unknown;
  /** Transport error, timeout, or "no receiver". */
  error?: string;
  durationMs: number;
}

export interface DeliveryRecord extends DeliveryResult {
  seq: number;
  at: number;
  /** `event_type` of the envelope (`url_verification` for challenges, `raw` for forged bodies). */
  kind: string;
  event_id?: string;
  /** What was delivered (the plaintext object). */
  payload: unknown;
}

export type DeliveryConfig = { mode: 'webhook'; url: string } | { mode: 'ws' } | null;

export function parseMaybeJson(body: string): unknown {
  if (body === '') return undefined;
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}
