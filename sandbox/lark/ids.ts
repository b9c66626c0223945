import { randomBytes } from 'node:crypto';

/** Random lowercase hex string of `n` characters. */
export function hex(n: number): string {
  return randomBytes(Math.ceil(n / 2))
    .toString('hex')
    .slice(0, n);
}

export const newMessageId = (): string => `om_${hex(32)}`;
export const newChatId = (): string => `oc_${hex(32)}`;
export const newEventId = (): string => hex(32);
export const newFileKey = (): string => `file_v3_${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}g`;
export const newCardToken = (): string => `c-${hex(40)}`;
export const newTenantToken = (): string => `t-g${hex(39)}`;
export const newAppToken = (): string => `a-g${hex(39)}`;
export const newCalendarEventId = (): string => `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}_0`;
export const newBatchMessageId = (): string => `bm-${hex(32)}`;
export const newNonce = (): string => hex(16);

/** Lark-style millisecond timestamps are decimal strings. */
export const nowMs = (): string => String(Date.now());
