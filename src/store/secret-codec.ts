/**
 * How secrets (tokens, webhook URLs) are written to and read from Redis. The default stores them as they
 * are; createRuntime passes the AES-256-GCM codec built from ROLLOUT_SECRET_KEY (secrets/secret-codec-from-config.ts,
 * README, "Security") without the stores changing.
 */
export interface SecretCodec {
  /**
   * Key id that `seal` writes into every value (README, "Secrets at rest"); undefined when values are stored as
   * they are. The portal store records it in `<prefix>:key-ids` so a process can check at start that its keys
   * open what is stored (secrets/check-stored-key-ids.ts).
   */
  readonly currentKid?: string;
  seal(plain: string): string;
  open(sealed: string): string;
}

export const plainSecretCodec: SecretCodec = {
  seal: (plain) => plain,
  open: (sealed) => sealed,
};
