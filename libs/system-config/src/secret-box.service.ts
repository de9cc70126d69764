import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@loomworks/config';
import type { ResponseSeal } from '@loomworks/database';
import { fernetDecrypt, fernetEncrypt, parseFernetKey, type FernetKey } from './domain/fernet';

/** Encrypts secrets at rest (config values, TOTP secrets, LLM keys, replayable responses) under LOOMWORKS_SECRET_KEY. */
@Injectable()
export class SecretBox {
  private readonly key: FernetKey;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.key = parseFernetKey(config.secretKey);
  }

  encrypt(plaintext: string): string {
    return fernetEncrypt(this.key, plaintext);
  }

  decrypt(token: string): string {
    return fernetDecrypt(this.key, token).toString('utf8');
  }

  /** For idempotent responses that carry a secret (a claim URL): stored as `{sealed: <Fernet token>}`. */
  responseSeal<T>(): ResponseSeal<T> {
    return {
      seal: (response) => ({ sealed: this.encrypt(JSON.stringify(response)) }),
      open: (stored) => JSON.parse(this.decrypt((stored as { sealed: string }).sealed)) as T,
    };
  }
}
