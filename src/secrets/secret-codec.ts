/**
 * How secrets (tokens, webhook URLs) are written to and read from Redis. The default
 * (secrets/plaintext-secret-codec.ts) stores them as they are and refuses to hand out a sealed value;
 * createRuntime passes the AES-256-GCM codec built from ROLLOUT_SECRET_KEY (secrets/secret-codec-from-config.ts,
 * docs/security.md) without the stores changing.
 */
export interface SecretCodec {
  /**
   * Key id that `seal` writes into every value (docs/security.md, "Secrets at rest"); undefined when values
   * are stored as they are. The portal store records it in `<prefix>:key-ids` so a process can check at start
   * that its keys open what is stored (store/check-stored-key-ids.ts).
   */
  readonly currentKid?: string;
  seal(plain: string): string;
  open(sealed: string): string;
}
