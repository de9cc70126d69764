import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { addUsage, CLOCK, isCompleteUsage, Meters, storableText, timeOrderedUuid, zeroUsage, type Clock, type Usage } from '@loomworks/common';
import { CREDIT_SEAM, jsonAmount, type CreditSeam } from '@loomworks/credit';
import { IdempotencyService, Transactions, type Tx } from '@loomworks/database';
import {
  interruptedUsage,
  LLM_CLIENT,
  LlmCallLog,
  LlmError,
  messagesInputBound,
  type LlmCallRecord,
  type LlmCallStatus,
  type LlmClient,
  type LlmMessage,
  type LlmRequest,
} from '@loomworks/llm';
import type { Person } from '@loomworks/persons';
import { SystemConfigService } from '@loomworks/system-config';
import { ConversationNotFoundError } from './domain/errors';
import { CLASSIFIER_SYSTEM, INTENTS, parseIntent, responderSystem } from './domain/routing';
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
  /** set for a team engagement: its pool pays the turn's hold */
  poolEngagementId?: string;
}

export type { ConverseStatus };
/** API.md's ConverseResponse: the class the OpenAPI document describes. */
export type ConverseResponse = ConverseResponseSchema;

type Models = { classifier: string; responder: string };

/** What a streamed turn announces before its first LLM call (API.md: `turn.started`). */
export interface TurnStarted {
  conversationId: string;
  keySource: KeySource;
  models: Models;
  credit?: { asset: string; held: number };
}

/** Where a streamed turn's progress goes (the HTTP layer's event stream); a non-streamed turn has none. */
export interface TurnSink {
  started(event: TurnStarted): void;
  /** a piece of the reply as the provider streams it; never throws (a gone client is ignored) */
  delta(text: string): void;
}

/** A system-key turn's reservation, as the pipeline needs it. */
interface TurnHold {
  id: string;
  asset: string;
  amount: bigint;
  respondMaxTokens: number;
  /** the respond stage's proven input bound (caps an interrupted stream's charge) */
  respondInputTokens: number;
}

type Stage = 'classify' | 'respond';

/** One provider call of the turn, as the call log records it. */
interface StageCall {
  stage: Stage;
  model: string;
  status: LlmCallStatus;
  usage: Usage | null;
  startedAt: Date;
  finishedAt: Date;
}

/** A turn under way: what was decided before the LLM calls and the calls made so far. */
interface Turn {
  command: ConverseCommand;
  assistantTurnId: string;
  conversationId: string;
  keySource: KeySource;
  models: Models;
  hold: TurnHold | null;
  calls: StageCall[];
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
const stageUsage = (turn: Turn, stage: Stage) => turn.calls.find((c) => c.stage === stage)?.usage ?? zeroUsage();

/** Stores the response under the request's Idempotency-Key, in the transaction that produced it. */
type Remember = (tx: Tx, response: ConverseResponse) => Promise<void>;

/**
 * The converse pipeline: resolve the key → (system key only) place a hold: account gate, tier
 * and a proven upper bound of the turn's cost reserved → classify → route → respond (streamed
 * when a sink is given) → record both turns, the provider calls and, for system turns, the
 * hold's settlement in ONE transaction: a recorded assistant turn always has its flows, and a
 * crash before the commit leaves neither (the hold expires and is released). An LLM failure
 * releases the hold at once. No transaction is held open during the LLM calls.
 */
@Injectable()
export class ConverseService {
  private readonly logger = new Logger(ConverseService.name);

  constructor(
    private readonly transactions: Transactions,
    private readonly idempotency: IdempotencyService,
    private readonly conversations: ConversationsRepository,
    private readonly membership: MembershipService,
    private readonly keys: KeyResolver,
    private readonly settings: SystemConfigService,
    private readonly callLog: LlmCallLog,
    @Inject(LLM_CLIENT) private readonly llm: LlmClient,
    @Inject(CREDIT_SEAM) private readonly credit: CreditSeam,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly meters: Meters,
  ) {}

  /**
   * One turn. With a `sink` the reply streams: `started` once the turn is under way (hold
   * placed), then each delta; everything thrown before `started` is an ordinary refusal.
   */
  async converse(turn: ConverseCommand, sink?: TurnSink): Promise<ConverseResponse> {
    const { personal } = await this.membership.requireMember(turn.engagementId, turn.person.id);
    // A system-key turn in a team engagement is paid by its pool, never by the member's own credit.
    const command = personal ? turn : { ...turn, poolEngagementId: turn.engagementId };
    const { idempotencyKey } = command;
    if (idempotencyKey === undefined) return this.counted(await this.run(command, undefined, sink));
    const scope = `converse:${command.person.id}:${command.engagementId}`;
    const request = { message: command.message, conversationId: command.conversationId ?? null };
    const start = await this.idempotency.begin<ConverseResponse>(scope, idempotencyKey, request);
    if ('replay' in start) return start.replay;
    try {
      return this.counted(await this.run(command, (tx, response) => this.idempotency.complete(tx, start.claim, response), sink));
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

  private async run(command: ConverseCommand, remember?: Remember, sink?: TurnSink): Promise<ConverseResponse> {
    const { person, engagementId } = command;
    const history = command.conversationId ? await this.history(engagementId, command.conversationId) : [];
    const key = await this.keys.resolve(engagementId, person.id);
    // Time-ordered: the turn's charges are keyed turn:<id>:<stage> in the flows' unique key index (timeOrderedUuid).
    const assistantTurnId = timeOrderedUuid();
    const route = await this.route(command, key.source, assistantTurnId, history);
    if ('refused' in route) {
      const response: ConverseResponse = { status: route.refused, conversationId: command.conversationId ?? null, keySource: key.source, tokenUsage: noUsage() };
      if (remember) await this.transactions.run((tx) => remember(tx, response));
      return response;
    }
    const { hold, models } = route;
    const turn: Turn = { command, assistantTurnId, conversationId: command.conversationId ?? randomUUID(), keySource: key.source, models, hold, calls: [] };
    sink?.started({
      conversationId: turn.conversationId,
      keySource: key.source,
      models,
      ...(hold && { credit: { asset: hold.asset, held: jsonAmount(hold.amount) } }),
    });
    try {
      const answer = await this.answer(turn, key.apiKey, history, sink);
      return await this.record(turn, answer, remember);
    } catch (error) {
      // Nothing was kept (the LLM failed, or the recording transaction rolled back): the hold's
      // credit goes back now rather than at its expiry, and the calls made are logged uncharged.
      if (hold) await this.credit.releaseHold(hold.id);
      await this.logUncharged(turn);
      throw error;
    }
  }

  /**
   * The models to use. For system-key turns, the hold first (account gate, tier, credit) — in
   * one statement under the person's lock, before any LLM call.
   */
  private async route(
    { person, message, poolEngagementId }: ConverseCommand,
    keySource: KeySource,
    turnId: string,
    history: LlmMessage[],
  ): Promise<{ refused: ConverseStatus } | { models: Models; hold: TurnHold | null }> {
    if (keySource !== 'system') {
      const [classifier, responder] = await this.settings.requireMany(['converse_default_classifier_model', 'converse_default_responder_model'] as const);
      return { models: { classifier, responder }, hold: null };
    }
    const respondInputTokens = textInputBound(LONGEST_RESPONDER_SYSTEM, [...history, { role: 'user', content: message }]);
    const placed = await this.credit.placeHold({
      personId: person.id,
      poolEngagementId,
      turnId,
      classify: { inputTokens: textInputBound(CLASSIFIER_SYSTEM, [{ role: 'user', content: message }]), maxTokens: CLASSIFIER_MAX_TOKENS },
      respond: { inputTokens: respondInputTokens, maxTokens: RESPONDER_MAX_TOKENS },
    });
    if (placed.status !== 'placed') return { refused: placed.status };
    const { id, asset, amount } = placed.hold;
    return { models: placed.models, hold: { id, asset, amount, respondMaxTokens: placed.respondMaxTokens, respondInputTokens } };
  }

  /** classify → route → respond; each call lands in `turn.calls` whatever its outcome. */
  private async answer(turn: Turn, apiKey: string, history: LlmMessage[], sink?: TurnSink): Promise<{ intent: string; reply: string; interrupted: boolean }> {
    const { message } = turn.command;
    const classified = await this.call(turn, 'classify', { apiKey, model: turn.models.classifier, system: CLASSIFIER_SYSTEM, messages: [{ role: 'user', content: message }], maxTokens: CLASSIFIER_MAX_TOKENS });
    const intent = parseIntent(classified);
    const respond: LlmRequest = {
      apiKey,
      model: turn.models.responder,
      system: responderSystem(intent),
      messages: [...history, { role: 'user', content: message }],
      maxTokens: turn.hold?.respondMaxTokens ?? RESPONDER_MAX_TOKENS,
    };
    if (!sink) return { intent, reply: await this.call(turn, 'respond', respond), interrupted: false };
    return { intent, ...(await this.streamed(turn, respond, sink)) };
  }

  private async call(turn: Turn, stage: Stage, request: LlmRequest): Promise<string> {
    const startedAt = this.clock.now();
    let answer;
    try {
      answer = await this.llm.complete(request);
      if (!isCompleteUsage(answer.usage)) throw new LlmError(); // fail closed: an uncharged answer is not kept
    } catch (error) {
      turn.calls.push({ stage, model: request.model, status: 'failed', usage: null, startedAt, finishedAt: this.clock.now() });
      throw error;
    }
    turn.calls.push({ stage, model: request.model, status: 'ok', usage: answer.usage, startedAt, finishedAt: this.clock.now() });
    // what is answered is what is stored (a NUL can't be stored)
    return storableText(answer.text);
  }

  /**
   * The respond stage, streamed to the sink. The provider's stream is read to its end whatever
   * the client does (the sink ignores a gone client), so the charge is the exact reported usage.
   * A stream that broke after the provider announced its input is kept as `interrupted`, charged
   * within its bound (interruptedUsage); with no usage at all it fails like any LLM error.
   */
  private async streamed(turn: Turn, request: LlmRequest, sink: TurnSink): Promise<{ reply: string; interrupted: boolean }> {
    const startedAt = this.clock.now();
    const log = (status: LlmCallStatus, usage: Usage | null) =>
      turn.calls.push({ stage: 'respond', model: request.model, status, usage, startedAt, finishedAt: this.clock.now() });
    let result;
    try {
      result = await this.llm.stream(request, (text) => sink.delta(storableText(text)));
    } catch (error) {
      log('failed', null);
      throw error;
    }
    if (result.status === 'ok') {
      log('ok', result.usage);
      return { reply: storableText(result.text), interrupted: false };
    }
    if (!result.reported) {
      log('interrupted', null);
      throw new LlmError();
    }
    const bound = { inputTokens: turn.hold?.respondInputTokens ?? Number.MAX_SAFE_INTEGER, maxTokens: request.maxTokens };
    log('interrupted', interruptedUsage(result.reported, result.text, bound));
    return { reply: storableText(result.text), interrupted: true };
  }

  /** Both turns, the provider calls and, for a system-key turn, the hold's settlement: one transaction, all or nothing. */
  private record(turn: Turn, answer: { intent: string; reply: string; interrupted: boolean }, remember?: Remember): Promise<ConverseResponse> {
    const { person, engagementId, message } = turn.command;
    const { keySource, hold, models, conversationId } = turn;
    const { intent, reply, interrupted } = answer;
    const usage = { classify: stageUsage(turn, 'classify'), respond: stageUsage(turn, 'respond') };
    const tokenUsage = { ...usage, total: addUsage(usage.classify, usage.respond) };
    return this.transactions.run(async (tx) => {
      const now = this.clock.now();
      if (!turn.command.conversationId) {
        await this.conversations.insertConversation(tx, { id: conversationId, engagementId, startedBy: person.id, title: message.slice(0, 80), at: now });
      }
      await this.conversations.appendTurns(tx, conversationId, [
        { id: randomUUID(), role: 'user', content: message, personId: person.id },
        { id: turn.assistantTurnId, role: 'assistant', content: reply, personId: person.id, keySource, intent, models, tokenUsage, status: interrupted ? 'interrupted' : 'ok' },
      ], now);
      const response: ConverseResponse = { status: 'ok', conversationId, turnId: turn.assistantTurnId, intent, reply, keySource, models, tokenUsage, ...(interrupted && { interrupted }) };
      const charged = new Map<string, bigint>();
      if (hold) {
        const settled = await this.credit.settleHold(
          {
            holdId: hold.id,
            turnId: turn.assistantTurnId,
            stages: [
              { stage: 'classify', model: models.classifier, usage: usage.classify },
              { stage: 'respond', model: models.responder, usage: usage.respond },
            ],
          },
          tx,
        );
        for (const s of settled.stages) charged.set(s.stage, s.credits);
        response.credit = {
          asset: settled.asset,
          held: jsonAmount(hold.amount),
          charged: jsonAmount(settled.charged),
          balanceAfter: jsonAmount(settled.balanceAfter),
        };
      }
      // an interrupted respond call raises llm.usage_unreported with its row (LlmCallLog's rule)
      await this.callLog.record(this.callRows(turn, charged), tx);
      if (remember) await remember(tx, response);
      return response;
    });
  }

  /** The turn's provider calls as call-log rows; `charged` per stage (absent: nobody paid). */
  private callRows(turn: Turn, charged: ReadonlyMap<string, bigint>): LlmCallRecord[] {
    const { person, engagementId, poolEngagementId } = turn.command;
    return turn.calls.map((call) => ({
      source: 'converse',
      keySource: turn.keySource,
      payer: turn.hold ? (poolEngagementId ? `engagement:${poolEngagementId}` : `person:${person.id}`) : null,
      personId: person.id,
      engagementId,
      turnId: turn.assistantTurnId,
      stage: call.stage,
      model: call.model,
      status: call.status,
      usage: call.usage,
      asset: turn.hold?.asset ?? null,
      holdId: turn.hold?.id ?? null,
      held: turn.hold?.amount ?? null,
      charged: charged.get(call.stage) ?? 0n,
      startedAt: call.startedAt,
      finishedAt: call.finishedAt,
    }));
  }

  /** A turn that kept nothing still made its calls (the provider may have billed them): logged, uncharged. */
  private async logUncharged(turn: Turn): Promise<void> {
    try {
      await this.callLog.record(this.callRows(turn, new Map()));
    } catch (error) {
      // The turn's own error is what the caller must see; a lost log row is reported here.
      this.logger.error(`call log write failed for turn ${turn.assistantTurnId}: ${(error as Error).name}`);
    }
  }

  private async history(engagementId: string, conversationId: string): Promise<LlmMessage[]> {
    const manager = this.transactions.manager;
    if (!(await this.conversations.inEngagement(manager, engagementId, conversationId))) throw new ConversationNotFoundError();
    return (await this.conversations.recentTurns(manager, conversationId, HISTORY_TURNS)).map((t) => ({ role: t.role, content: t.content }));
  }
}
