import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock } from '@loomworks/common';
import { CREDIT_SEAM, jsonAmount, type CreditSeam, type TierResolution } from '@loomworks/credit';
import { IdempotencyService, Transactions, type Tx } from '@loomworks/database';
import type { Person } from '@loomworks/persons';
import { SystemConfigService } from '@loomworks/system-config';
import { ConversationNotFoundError } from './domain/errors';
import { CLASSIFIER_SYSTEM, parseIntent, responderSystem } from './domain/routing';
import { addUsage, UsageRecorder, zeroUsage, type Usage } from './domain/usage';
import { KeyResolver, type KeySource } from './key-resolver.service';
import { LLM_CLIENT, type LlmClient, type LlmMessage } from './llm/llm-client';
import { MembershipService } from './membership.service';
import { ConversationsRepository } from './persistence/conversations.repository';

export interface ConverseCommand {
  person: Person;
  engagementId: string;
  message: string;
  conversationId?: string;
  idempotencyKey?: string;
}

export type ConverseStatus = 'ok' | 'credit_exhausted' | 'account_suspended' | 'account_deleted';

export interface ConverseResponse {
  status: ConverseStatus;
  conversationId: string | null;
  intent?: string;
  reply?: string;
  keySource: KeySource;
  models?: { classifier: string; responder: string };
  tokenUsage: { classify: Usage; respond: Usage; total: Usage };
  credit?: { asset: string; charged: number; balanceAfter: number };
}

const HISTORY_TURNS = 20;
const CLASSIFIER_MAX_TOKENS = 10;
const RESPONDER_MAX_TOKENS = 1024;

const noUsage = () => ({ classify: zeroUsage(), respond: zeroUsage(), total: zeroUsage() });

/**
 * The converse pipeline: resolve the key → (system key only) gate on account and credit →
 * classify → route → respond → record both turns and, for system turns, their consumption in
 * ONE transaction: a recorded assistant turn always has its flows, and a crash before the commit
 * leaves neither. No transaction is held open during the LLM calls.
 */
@Injectable()
export class ConverseService {
  private readonly usage = new UsageRecorder();

  constructor(
    private readonly transactions: Transactions,
    private readonly idempotency: IdempotencyService,
    private readonly conversations: ConversationsRepository,
    private readonly membership: MembershipService,
    private readonly keys: KeyResolver,
    private readonly settings: SystemConfigService,
    @Inject(LLM_CLIENT) private readonly llm: LlmClient,
    @Inject(CREDIT_SEAM) private readonly credit: CreditSeam,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async converse(command: ConverseCommand): Promise<ConverseResponse> {
    await this.membership.requireMember(command.engagementId, command.person.id);
    const { idempotencyKey } = command;
    if (idempotencyKey === undefined) return this.run(command);
    const scope = `converse:${command.person.id}:${command.engagementId}`;
    const request = { message: command.message, conversationId: command.conversationId ?? null };
    const start = await this.idempotency.begin<ConverseResponse>(scope, idempotencyKey, request);
    if ('replay' in start) return start.replay;
    try {
      return await this.run(command, (tx, response) => this.idempotency.complete(tx, scope, idempotencyKey, response));
    } catch (error) {
      await this.idempotency.abandon(scope, idempotencyKey);
      throw error;
    }
  }

  private async run(command: ConverseCommand, remember?: (tx: Tx, response: ConverseResponse) => Promise<void>): Promise<ConverseResponse> {
    const { person, engagementId, message } = command;
    const history = command.conversationId ? await this.history(engagementId, command.conversationId) : [];
    const key = await this.keys.resolve(engagementId, person.id);

    let tier: TierResolution | null = null;
    if (key.source === 'system') {
      const gate = await this.gate(person);
      if ('refused' in gate) {
        const response: ConverseResponse = { status: gate.refused, conversationId: command.conversationId ?? null, keySource: 'system', tokenUsage: noUsage() };
        if (remember) await this.transactions.run((tx) => remember(tx, response));
        return response;
      }
      tier = gate.tier;
    }
    const models = tier
      ? { classifier: tier.classifierModel, responder: tier.responderModel }
      : {
          classifier: await this.settings.require('converse_default_classifier_model'),
          responder: await this.settings.require('converse_default_responder_model'),
        };

    const { result, usage } = await this.usage.collect(async () => {
      const classified = await this.call('classify', key.apiKey, models.classifier, CLASSIFIER_SYSTEM, [{ role: 'user', content: message }], CLASSIFIER_MAX_TOKENS);
      const intent = parseIntent(classified);
      const reply = await this.call('respond', key.apiKey, models.responder, responderSystem(intent), [...history, { role: 'user', content: message }], RESPONDER_MAX_TOKENS);
      return { intent, reply };
    });
    const tokenUsage = { ...usage, total: addUsage(usage.classify, usage.respond) };

    return this.transactions.run(async (tx) => {
      const now = this.clock.now();
      const conversationId = command.conversationId ?? randomUUID();
      if (!command.conversationId) {
        await this.conversations.insertConversation(tx, { id: conversationId, engagementId, startedBy: person.id, title: message.slice(0, 80), at: now });
      }
      const assistantTurnId = randomUUID();
      await this.conversations.appendTurn(tx, { id: randomUUID(), conversationId, role: 'user', content: message, personId: person.id, at: now });
      await this.conversations.appendTurn(tx, {
        id: assistantTurnId, conversationId, role: 'assistant', content: result.reply, personId: person.id,
        keySource: key.source, intent: result.intent, models, tokenUsage, at: now,
      });
      const response: ConverseResponse = { status: 'ok', conversationId, intent: result.intent, reply: result.reply, keySource: key.source, models, tokenUsage };
      if (tier) {
        const charged = await this.credit.recordConsumption(
          {
            personId: person.id,
            turnId: assistantTurnId,
            asset: tier.asset,
            stages: [
              { stage: 'classify', model: models.classifier, usage: usage.classify },
              { stage: 'respond', model: models.responder, usage: usage.respond },
            ],
          },
          tx,
        );
        response.credit = { asset: charged.asset, charged: jsonAmount(charged.charged), balanceAfter: jsonAmount(charged.balanceAfter) };
      }
      if (remember) await remember(tx, response);
      return response;
    });
  }

  /** System-key turns only: a structural refusal, or the tier the person's credit buys. */
  private async gate(person: Person): Promise<{ refused: ConverseStatus } | { tier: TierResolution }> {
    if (person.accountStatus === 'suspended') return { refused: 'account_suspended' };
    if (person.accountStatus === 'deleted') return { refused: 'account_deleted' };
    const tier = await this.credit.resolveCredit(person.id);
    return tier ? { tier } : { refused: 'credit_exhausted' };
  }

  private async history(engagementId: string, conversationId: string): Promise<LlmMessage[]> {
    const manager = this.transactions.manager;
    if (!(await this.conversations.inEngagement(manager, engagementId, conversationId))) throw new ConversationNotFoundError();
    return (await this.conversations.recentTurns(manager, conversationId, HISTORY_TURNS)).map((t) => ({ role: t.role, content: t.content }));
  }

  private async call(label: 'classify' | 'respond', apiKey: string, model: string, system: string, messages: LlmMessage[], maxTokens: number): Promise<string> {
    const answer = await this.llm.complete({ apiKey, model, system, messages, maxTokens });
    this.usage.record(label, answer.usage);
    return answer.text;
  }
}
