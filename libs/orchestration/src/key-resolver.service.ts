import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@loomworks/config';
import { PersonsService } from '@loomworks/persons';
import { SystemConfigService } from '@loomworks/system-config';
import { NoLlmKeyError } from './domain/errors';

export type KeySource = 'operator' | 'person' | 'system';

/** Which LLM key pays for a turn: the engagement's operator key, else the person's own, else the system's. */
@Injectable()
export class KeyResolver {
  constructor(
    private readonly persons: PersonsService,
    private readonly settings: SystemConfigService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async resolve(engagementId: string, personId: string): Promise<{ apiKey: string; source: KeySource }> {
    const operator = await this.persons.engagementLlmKey(engagementId);
    if (operator) return { apiKey: operator, source: 'operator' };
    const own = await this.persons.personLlmKey(personId);
    if (own) return { apiKey: own, source: 'person' };
    const system = this.config.anthropic.apiKey ?? (await this.settings.get('anthropic_api_key'));
    if (system) return { apiKey: system, source: 'system' };
    throw new NoLlmKeyError();
  }
}
