import { looksSealed } from './sealed-secret.js';
import type { SecretCodec } from './secret-codec.js';
import { SecretOpenError } from './secret-open-error.js';

/**
 * No encryption (ROLLOUT_INSECURE_PLAINTEXT_SECRETS=1, or a runtime built without a key, as in tests): values
 * are stored as they are. A value that was sealed by a process with a key cannot be used as a token, so
 * reading one fails clearly instead of sending `v1:...` to a portal as its access token.
 */
export const plaintextSecretCodec: SecretCodec = {
  seal: (plain) => plain,
  open(stored) {
    if (looksSealed(stored)) {
      throw new SecretOpenError(
        'no_key',
        'a stored secret is encrypted but ROLLOUT_SECRET_KEY is not set; set the key it was sealed with',
      );
    }
    return stored;
  },
};
