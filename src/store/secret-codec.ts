/**
 * How secrets (tokens, webhook URLs) are written to and read from Redis. The default stores them as they
 * are; an encrypting codec can be passed in without the stores changing.
 */
export interface SecretCodec {
  seal(plain: string): string;
  open(sealed: string): string;
}

export const plainSecretCodec: SecretCodec = {
  seal: (plain) => plain,
  open: (sealed) => sealed,
};
