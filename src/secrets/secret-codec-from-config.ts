import type { Config } from '../config/config-schema.js';
import { decodeSecretKey, type SecretKey, splitKeyList } from '../config/secret-key.js';
import { createKeyringSecretCodec, type KeyringSecretCodec } from './keyring-secret-codec.js';
import { plaintextSecretCodec } from './plaintext-secret-codec.js';
import type { SecretCodec } from './secret-codec.js';

function decoded(raw: string): SecretKey {
  const result = decodeSecretKey(raw);
  // loadConfig has validated the text already; a config built another way fails the same way.
  if (!result.ok) throw new TypeError(`invalid secret key: ${result.problem}`);
  return result.key;
}

/** The encrypting codec for `secrets.key` (+ `secrets.previousKey`), or undefined when no key is configured. */
export function keyringCodecFromConfig(secrets: Config['secrets']): KeyringSecretCodec | undefined {
  if (secrets.key === undefined) return undefined;
  return createKeyringSecretCodec({
    current: decoded(secrets.key),
    previous: splitKeyList(secrets.previousKey ?? '').map(decoded),
  });
}

/**
 * How the portal store writes secrets: AES-256-GCM with ROLLOUT_SECRET_KEY when it is set, else plaintext
 * (which the `worker` and `rollout` commands only accept with ROLLOUT_INSECURE_PLAINTEXT_SECRETS=1; see
 * requireSecretKey).
 */
export function secretCodecFromConfig(secrets: Config['secrets']): SecretCodec {
  return keyringCodecFromConfig(secrets) ?? plaintextSecretCodec;
}
