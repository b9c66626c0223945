/**
 * Lark event encryption and signing, exactly as the platform does it:
 * - encryption: AES-256-CBC, key = sha256(encryptKey), PKCS7 padding, body = base64(iv16 ‖ ciphertext),
 *   sent as `{"encrypt": "<base64>"}`;
 * - signature: `X-Lark-Signature = hex(sha256(timestamp + nonce + encryptKey + body))`, where body is the
 *   exact string sent (the SDK recomputes it as `JSON.stringify(JSON.parse(body))`, so send compact JSON).
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

function aesKey(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

export function encryptPayload(key: string, plaintext: string): string {
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-cbc', aesKey(key), iv);
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, ct]).toString('base64');
}

export function decryptPayload(key: string, b64: string): string {
  const buf = Buffer.from(b64, 'base64');
  if (buf.length < 32) throw new Error('ciphertext too short');
  const decipher = createDecipheriv('aes-256-cbc', aesKey(key), buf.subarray(0, 16));
  return Buffer.concat([decipher.update(buf.subarray(16)), decipher.final()]).toString('utf8');
}

export function signBody(timestamp: string, nonce: string, key: string, body: string): string {
  return createHash('sha256')
    .update(timestamp + nonce + key + body)
    .digest('hex');
}
