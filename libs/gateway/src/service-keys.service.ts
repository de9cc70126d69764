import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock } from '@loomworks/common';
import type { Tx } from '@loomworks/database';
import { apiKeySha256, sameDigest } from './domain/api-key';
import { ServiceKeyNotFoundError } from './domain/errors';
import { generateServiceKey, isServiceKeyShaped, type ServiceKey } from './domain/service-key';
import { ServiceKeysRepository } from './persistence/service-keys.repository';

/** last_used_at is kept to the minute, as for API keys. */
const LAST_USE_RESOLUTION_MS = 60_000;

/**
 * Service keys (DESIGN.md "Authorizations and refunds"): staff create them for another service of
 * the operator (the key answered once, only its SHA-256 kept), list and revoke them; the
 * authorizations routes check them on every request.
 */
@Injectable()
export class ServiceKeysService {
  constructor(
    private readonly keys: ServiceKeysRepository,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** In the caller's transaction (the one writing the audit entry); `key` is never shown again. */
  async create(tx: Tx, command: { name: string; createdBy: string }): Promise<{ serviceKey: ServiceKey; key: string }> {
    const { key, prefix, sha256 } = generateServiceKey();
    const serviceKey: ServiceKey = { id: randomUUID(), name: command.name, prefix, createdBy: command.createdBy, createdAt: this.clock.now(), lastUsedAt: null };
    await this.keys.insert(tx, serviceKey, sha256);
    return { serviceKey, key };
  }

  list(): Promise<ServiceKey[]> {
    return this.keys.live();
  }

  async revoke(tx: Tx, id: string): Promise<ServiceKey> {
    const revoked = await this.keys.revoke(tx, id, this.clock.now());
    if (!revoked) throw new ServiceKeyNotFoundError();
    return revoked;
  }

  /** The id of the live key presented, or null (unknown, revoked, malformed). */
  async authenticate(presented: string): Promise<string | null> {
    if (!isServiceKeyShaped(presented)) return null;
    const sha256 = apiKeySha256(presented);
    const match = await this.keys.findLive(sha256);
    if (!match || !sameDigest(match.sha256, sha256)) return null;
    const now = this.clock.now();
    if (!match.lastUsedAt || now.getTime() - match.lastUsedAt.getTime() >= LAST_USE_RESOLUTION_MS) await this.keys.touch(match.id, now);
    return match.id;
  }
}
