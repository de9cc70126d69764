import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { addUsage, CLOCK, isCompleteUsage, Meters, storableText, zeroUsage, type Clock, type Usage } from '@loomworks/common';
import { CREDIT_SEAM, jsonAmount, type CreditSeam } from '@loomworks/credit';
import { IdempotencyService, Transactions, type Tx } from '@loomworks/database';
import { LLM_CLIENT, LlmError, messagesInputBound, type LlmClient, type LlmMessage } from '@loomworks/llm';
import type { Person } from '@loomworks/persons';
import { SystemConfigService } from '@loomworks/system-config';
import { ConversationNotFoundError } from './domain/errors';
import { CLASSIFIER_SYSTEM, INTENTS, parseIntent, responderSystem } from './domain/routing';
import { UsageRecorder } from './domain/usage';
import { KeyResolver, type KeySource } from './key-resolver.service';
import { MembershipService } from './membership.service';
import { ConversationsRepository } from './persistence/conversations.repository';
import type { ConverseResponseSchema, ConverseStatus } from './views';

export interface ConverseCommand {
  person: Person;
  engagementId: string;
  message: string;
  conversationId?: string;
  idempotencyKey?: string;
}

export type { ConverseStatus };
/** API.md's ConverseResponse: the class the OpenAPI document describes. */
export type ConverseResponse = ConverseResponseSchema;

/** A system-key turn's reservation, as the pipeline needs it. */
interface TurnHold {
  id: string;
  asset: string;
  amount: bigint;
  respondMaxTokens: number;
}

const HISTORY_TURNS = 20;
const CLASSIFIER_MAX_TOKENS = 10;
const RESPONDER_MAX_TOKENS = 1024;
/** The respond stage's hold is sized before the intent is known: with the longest system prompt. */
const LONGEST_RESPONDER_SYSTEM = INTENTS.map(responderSystem).reduce((a, b) => (Buffer.byteLength(b) > Buffer.byteLength(a) ? b : a));

/** The proven input bound of a text-only request (which it always covers). */
function textInputBound(system: string, messages: LlmMessage[]): number {
  const bound = messagesInputBound({ system, messages });
  if ('refused' in bound) throw new Error(`text-only request refused by the input bound: ${bound.refused}`);
  return bound.inputTokens;
}

const noUsage = () => ({ classify: zeroUsage(), respond: zeroUsage(), total: zeroUsage() });

type Models = { classifier: string; responder: string };
/** Stores the response under the request's Idempotency-Key, in the transaction that produced it. */
type Remember = (tx: Tx, response: ConverseResponse) => Promise<void>;

/**
 * The converse pipeline: resolve the key → (system key only) place a hold: account gate, tier
 * and a proven upper bound of the turn's cost reserved → classify → route → respond → record
 * both turns and, for system turns, settle the hold in ONE transaction: a recorded assistant
 * turn always has its flows, and a crash before the commit leaves neither (the hold expires and
 * is released). An LLM failure releases the hold at once. No transaction is held open during
 * the LLM calls.
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
    const assistantTurnId = randomUUID();
    const route = await this.route(person, key.source, assistantTurnId, history, message);
    if ('refused' in route) {
      const response: ConverseResponse = { status: route.refused, conversationId: command.conversationId ?? null, keySource: key.source, tokenUsage: noUsage() };
      if (remember) await this.transactions.run((tx) => remember(tx, response));
      return response;
    }
    const { hold, models } = route;
    try {
      const answer = await this.answer(key.apiKey, models, history, message, hold?.respondMaxTokens ?? RESPONDER_MAX_TOKENS);
      return await this.record(command, assistantTurnId, { keySource: key.source, models, hold, ...answer }, remember);
    } catch (error) {
      // Nothing was kept (the LLM failed, or the recording transaction rolled back): the hold's
      // credit goes back now rather than at its expiry.
      if (hold) await this.credit.releaseHold(hold.id);
      throw error;
    }
  }

  /**
   * The models to use. For system-key turns, the hold first (account gate, tier, credit) — in
   * one statement under the person's lock, before any LLM call.
   */
  private async route(
    person: Person,
    keySource: KeySource,
    turnId: string,
    history: LlmMessage[],
    message: string,
  ): Promise<{ refused: ConverseStatus } | { models: Models; hold: TurnHold | null }> {
    if (keySource !== 'system') {
      const [classifier, responder] = await this.settings.requireMany(['converse_default_classifier_model', 'converse_default_responder_model'] as const);
      return { models: { classifier, responder }, hold: null };
    }
    const placed = await this.credit.placeHold({
      personId: person.id,
      turnId,
      classify: { inputTokens: textInputBound(CLASSIFIER_SYSTEM, [{ role: 'user', content: message }]), maxTokens: CLASSIFIER_MAX_TOKENS },
      respond: { inputTokens: textInputBound(LONGEST_RESPONDER_SYSTEM, [...history, { role: 'user', content: message }]), maxTokens: RESPONDER_MAX_TOKENS },
    });
    if (placed.status !== 'placed') return { refused: placed.status };
    return {
      models: placed.models,
      hold: { id: placed.hold.id, asset: placed.hold.asset, amount: placed.hold.amount, respondMaxTokens: placed.respondMaxTokens },
    };
  }

  /** classify → route → respond, with each call's usage collected under its label. */
  private async answer(apiKey: string, models: Models, history: LlmMessage[], message: string, respondMaxTokens: number) {
    const { result, usage } = await this.usage.collect(async () => {
      const classified = await this.call('classify', apiKey, models.classifier, CLASSIFIER_SYSTEM, [{ role: 'user', content: message }], CLASSIFIER_MAX_TOKENS);
      const intent = parseIntent(classified);
      const reply = await this.call('respond', apiKey, models.responder, responderSystem(intent), [...history, { role: 'user', content: message }], respondMaxTokens);
      return { intent, reply };
    });
    return { ...result, usage };
  }

  /** Both turns and, for a system-key turn, the hold's settlement: one transaction, all or nothing. */
  private record(
    command: ConverseCommand,
    assistantTurnId: string,
    turn: { keySource: KeySource; hold: TurnHold | null; models: Models; intent: string; reply: string; usage: Record<'classify' | 'respond', Usage> },
    remember?: Remember,
  ): Promise<ConverseResponse> {
    const { person, engagementId, message } = command;
    const { keySource, hold, models, intent, reply, usage } = turn;
    const tokenUsage = { ...usage, total: addUsage(usage.classify, usage.respond) };
    return this.transactions.run(async (tx) => {
      const now = this.clock.now();
      const conversationId = command.conversationId ?? randomUUID();
      if (!command.conversationId) {
        await this.conversations.insertConversation(tx, { id: conversationId, engagementId, startedBy: person.id, title: message.slice(0, 80), at: now });
      }
      await this.conversations.appendTurns(tx, conversationId, [
        { id: randomUUID(), role: 'user', content: message, personId: person.id },
        { id: assistantTurnId, role: 'assistant', content: reply, personId: person.id, keySource, intent, models, tokenUsage },
      ], now);
      const response: ConverseResponse = { status: 'ok', conversationId, intent, reply, keySource, models, tokenUsage };
      if (hold) {
        const settled = await this.credit.settleHold(
          {
            holdId: hold.id,
            turnId: assistantTurnId,
            stages: [
              { stage: 'classify', model: models.classifier, usage: usage.classify },
              { stage: 'respond', model: models.responder, usage: usage.respond },
            ],
          },
          tx,
        );
        response.credit = {
          asset: settled.asset,
          held: jsonAmount(hold.amount),
          charged: jsonAmount(settled.charged),
          balanceAfter: jsonAmount(settled.balanceAfter),
        };
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
    if (!isCompleteUsage(answer.usage)) throw new LlmError(); // fail closed: an uncharged answer is not kept
    this.usage.record(label, answer.usage);
    // what is answered is what is stored (a NUL can't be stored)
    return storableText(answer.text);
  }
}
