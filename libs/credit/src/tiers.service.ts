import { Injectable } from '@nestjs/common';
import type { Tx } from '@loomworks/database';
import { chooseTier, type TierResolution } from './domain/tiers';
import { CreditSettings } from './credit-settings';
import { LedgerService } from './ledger.service';

@Injectable()
export class TiersService {
  constructor(
    private readonly ledger: LedgerService,
    private readonly settings: CreditSettings,
  ) {}

  /** The tier a person's credit buys now, or null when no asset has a positive balance. */
  async resolve(personId: string, tx?: Tx): Promise<TierResolution | null> {
    const [balances, config] = await Promise.all([this.ledger.balances(personId, tx), this.settings.tierConfig(tx)]);
    return chooseTier(balances, config);
  }
}
