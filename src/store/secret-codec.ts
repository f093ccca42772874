/**
 * How secrets (tokens, webhook URLs) are written to and read from Redis. The default stores them as they
 * are; createRuntime passes the AES-256-GCM codec built from ROLLOUT_SECRET_KEY (secrets/secret-codec-from-config.ts,
 * README, "Security") without the stores changing.
 */
export interface SecretCodec {
  seal(plain: string): string;
  open(sealed: string): string;
}

export const plainSecretCodec: SecretCodec = {
  seal: (plain) => plain,
  open: (sealed) => sealed,
};
