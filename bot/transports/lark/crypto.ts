import { createDecipheriv, createHash, timingSafeEqual } from 'node:crypto';

/** Lark's event signature: hex(sha256(timestamp + nonce + encryptKey + body)). */
export function computeSignature(timestamp: string, nonce: string, encryptKey: string, body: string): string {
  return createHash('sha256')
    .update(timestamp + nonce + encryptKey + body)
    .digest('hex');
}

export function safeEqualHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Checks the signature against the raw body, and against JSON.stringify of the parsed body
 * (what the official SDK hashes), so both byte-faithful and re-serialising signers verify.
 */
export function verifySignature(headers: { timestamp?: string; nonce?: string; signature?: string }, encryptKey: string, rawBody: string, parsedBody: unknown): boolean {
  const { timestamp, nonce, signature } = headers;
  if (!timestamp || !nonce || !signature) return false;
  const expectRaw = computeSignature(timestamp, nonce, encryptKey, rawBody);
  if (safeEqualHex(expectRaw, signature.toLowerCase())) return true;
  const canonical = JSON.stringify(parsedBody);
  if (canonical === rawBody) return false;
  return safeEqualHex(computeSignature(timestamp, nonce, encryptKey, canonical), signature.toLowerCase());
}

/** AES-256-CBC with key sha256(encryptKey); input base64(iv ‖ ciphertext). Throws on bad input. */
export function decryptEnvelope(encryptKey: string, encrypted: string): string {
  const key = createHash('sha256').update(encryptKey).digest();
  const buf = Buffer.from(encrypted, 'base64');
  if (buf.length < 32 || buf.length % 16 !== 0) throw new Error('ciphertext has a bad length');
  const decipher = createDecipheriv('aes-256-cbc', key, buf.subarray(0, 16));
  return Buffer.concat([decipher.update(buf.subarray(16)), decipher.final()]).toString('utf8');
}
