import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, Meters, type Clock } from '@loomworks/common';
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

type Models = { classifier: string; responder: string };
/** Stores the response under the request's Idempotency-Key, in the transaction that produced it. */
type Remember = (tx: Tx, response: ConverseResponse) => Promise<void>;

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
    private readonly meters: Meters,
  ) {}

  async converse(command: ConverseCommand): Promise<ConverseResponse> {
    await this.membership.requireMember(command.engagementId, command.person.id);
    const { idempotencyKey } = command;
    if (idempotencyKey === undefined) return this.counted(await this.run(command));
    const scope = `converse:${command.person.id}:${command.engagementId}`;
    const request = { message: command.message, conversationId: command.conversationId ?? null };
    const start = await this.idempotency.begin<ConverseResponse>(scope, idempotencyKey, request);
    if ('replay' in start) return start.replay;
    try {
      return this.counted(await this.run(command, (tx, response) => this.idempotency.complete(tx, start.claim, response)));
    } catch (error) {
      await this.idempotency.abandon(start.claim);
      throw error;
    }
  }

  /** Counts an answered (committed) turn; a replayed answer is not a new turn and is not counted. */
  private counted(response: ConverseResponse): ConverseResponse {
    this.meters.turns.inc({ key_source: response.keySource, status: response.status });
    if (response.credit) this.meters.creditsCharged.inc({ asset: response.credit.asset }, response.credit.charged);
    return response;
  }

  private async run(command: ConverseCommand, remember?: Remember): Promise<ConverseResponse> {
    const { person, engagementId, message } = command;
    const history = command.conversationId ? await this.history(engagementId, command.conversationId) : [];
    const key = await this.keys.resolve(engagementId, person.id);
    const route = await this.route(person, key.source);
    if ('refused' in route) {
      const response: ConverseResponse = { status: route.refused, conversationId: command.conversationId ?? null, keySource: key.source, tokenUsage: noUsage() };
      if (remember) await this.transactions.run((tx) => remember(tx, response));
      return response;
    }
    const answer = await this.answer(key.apiKey, route.models, history, message);
    return this.record(command, { keySource: key.source, ...route, ...answer }, remember);
  }

  /** The models to use; for system-key turns, the account and credit gate first. */
  private async route(person: Person, keySource: KeySource): Promise<{ refused: ConverseStatus } | { tier: TierResolution | null; models: Models }> {
    if (keySource !== 'system') {
      const [classifier, responder] = await this.settings.requireMany(['converse_default_classifier_model', 'converse_default_responder_model'] as const);
      return { tier: null, models: { classifier, responder } };
    }
    if (person.accountStatus === 'suspended') return { refused: 'account_suspended' };
    if (person.accountStatus === 'deleted') return { refused: 'account_deleted' };
    const tier = await this.credit.resolveCredit(person.id);
    if (!tier) return { refused: 'credit_exhausted' };
    return { tier, models: { classifier: tier.classifierModel, responder: tier.responderModel } };
  }

  /** classify → route → respond, with each call's usage collected under its label. */
  private async answer(apiKey: string, models: Models, history: LlmMessage[], message: string) {
    const { result, usage } = await this.usage.collect(async () => {
      const classified = await this.call('classify', apiKey, models.classifier, CLASSIFIER_SYSTEM, [{ role: 'user', content: message }], CLASSIFIER_MAX_TOKENS);
      const intent = parseIntent(classified);
      const reply = await this.call('respond', apiKey, models.responder, responderSystem(intent), [...history, { role: 'user', content: message }], RESPONDER_MAX_TOKENS);
      return { intent, reply };
    });
    return { ...result, usage };
  }

  /** Both turns and, for a tier, the consumption of each stage: one transaction, all or nothing. */
  private record(
    command: ConverseCommand,
    turn: { keySource: KeySource; tier: TierResolution | null; models: Models; intent: string; reply: string; usage: Record<'classify' | 'respond', Usage> },
    remember?: Remember,
  ): Promise<ConverseResponse> {
    const { person, engagementId, message } = command;
    const { keySource, tier, models, intent, reply, usage } = turn;
    const tokenUsage = { ...usage, total: addUsage(usage.classify, usage.respond) };
    return this.transactions.run(async (tx) => {
      const now = this.clock.now();
      const conversationId = command.conversationId ?? randomUUID();
      if (!command.conversationId) {
        await this.conversations.insertConversation(tx, { id: conversationId, engagementId, startedBy: person.id, title: message.slice(0, 80), at: now });
      }
      const assistantTurnId = randomUUID();
      await this.conversations.appendTurns(tx, conversationId, [
        { id: randomUUID(), role: 'user', content: message, personId: person.id },
        { id: assistantTurnId, role: 'assistant', content: reply, personId: person.id, keySource, intent, models, tokenUsage },
      ], now);
      const response: ConverseResponse = { status: 'ok', conversationId, intent, reply, keySource, models, tokenUsage };
      if (tier) {
        const consumption = await this.credit.recordConsumption(
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
        response.credit = { asset: consumption.asset, charged: jsonAmount(consumption.charged), balanceAfter: jsonAmount(consumption.balanceAfter) };
      }
      if (remember) await remember(tx, response);
      return response;
    });
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
