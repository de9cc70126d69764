/**
 * The typed settings stored in `system_config`. Each key has a parser that validates a JSON
 * value and narrows its type; `secret` keys are never shown in clear.
 * The migration seeds its own copy of the defaults (migrations stay self-contained); these
 * defaults answer when a row is absent.
 */
import { DomainError } from '@loomworks/common';

export class UnknownSettingError extends DomainError {
  readonly code = 'unknown_setting';
  constructor(key: string) {
    super(`Unknown setting "${key}"`, { key });
  }
}

export class InvalidSettingError extends DomainError {
  readonly code = 'invalid_setting';
  constructor(key: string, expected: string) {
    super(`Setting "${key}" must be ${expected}`, { key });
  }
}

/** The bounds of a numeric setting (inclusive). */
export interface SettingRange {
  min: number;
  max: number;
}

interface Setting<T> {
  /** validates an untrusted JSON value; returns undefined when it does not fit */
  parse(value: unknown): T | undefined;
  /** what the key takes, range included: the 400's message and GET /admin/config show it */
  expected: string;
  /** numeric settings: the values that keep the system working */
  range?: SettingRange;
  fallback?: T;
  secret?: boolean;
}

const NAME = /^[a-z0-9][a-z0-9._-]{0,99}$/;
/** Lists and maps name assets, tiers or models: a handful each. */
const MAX_ENTRIES = 32;
const MAX_TEXT = 4096;

const text = (fallback?: string, secret = false): Setting<string> => ({
  parse: (v) => (typeof v === 'string' && v.trim() !== '' && v.length <= MAX_TEXT ? v : undefined),
  expected: `a non-empty string of at most ${MAX_TEXT} characters`,
  fallback,
  secret,
});

/**
 * A whole number within [min, max]. Every count has an upper bound too (DESIGN: Bounded
 * everything): beyond it a value overflows SQL integers or date arithmetic, or stops the system
 * working (a session that never ends, a turn limit that limits nothing).
 */
const count = (fallback: number, min: number, max: number): Setting<number> => ({
  parse: (v) => (Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max ? (v as number) : undefined),
  expected: `an integer from ${min} to ${max}`,
  range: { min, max },
  fallback,
});

const nameList = (fallback: string[]): Setting<string[]> => ({
  parse: (v) =>
    Array.isArray(v) && v.length > 0 && v.length <= MAX_ENTRIES && v.every((x) => typeof x === 'string' && NAME.test(x)) && new Set(v).size === v.length
      ? (v as string[])
      : undefined,
  expected: `a list of 1 to ${MAX_ENTRIES} distinct lower-case names`,
  fallback,
});

const nameMap = (fallback: Record<string, string>): Setting<Record<string, string>> => ({
  parse: (v) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) &&
    Object.entries(v).length > 0 && Object.entries(v).length <= MAX_ENTRIES &&
    Object.entries(v).every(([k, m]) => NAME.test(k) && typeof m === 'string' && NAME.test(m))
      ? (v as Record<string, string>)
      : undefined,
  expected: `an object mapping 1 to ${MAX_ENTRIES} names to model names`,
  fallback,
});

const modelLists = (fallback: Record<string, string[]>): Setting<Record<string, string[]>> => ({
  parse: (v) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) &&
    Object.entries(v).length > 0 &&
    Object.entries(v).every(([k, models]) => NAME.test(k) && nameList([]).parse(models) !== undefined)
      ? (v as Record<string, string[]>)
      : undefined,
  expected: 'an object mapping asset names to non-empty lists of distinct model names',
  fallback,
});

const creditMap = (fallback: Record<string, number>): Setting<Record<string, number>> => ({
  parse: (v) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) && Object.entries(v).length <= MAX_ENTRIES &&
    Object.entries(v).every(([k, n]) => NAME.test(k) && Number.isSafeInteger(n) && (n as number) >= 0)
      ? (v as Record<string, number>)
      : undefined,
  expected: `an object mapping at most ${MAX_ENTRIES} asset names to whole credits from 0 to ${Number.MAX_SAFE_INTEGER}`,
  fallback,
});

const DAYS_IN_TEN_YEARS = 3650;
const SECONDS_IN_A_DAY = 86_400;

export const SETTINGS = {
  converse_default_classifier_model: text('claude-haiku-4-5-20251001'),
  converse_default_responder_model: text('claude-sonnet-4-6'),
  credit_tier_priority: nameList(['opus', 'sonnet', 'haiku']),
  credit_tier_responder_models: nameMap({
    haiku: 'claude-haiku-4-5-20251001',
    sonnet: 'claude-sonnet-4-6',
    opus: 'claude-opus-4-7',
  }),
  // The Messages API: which models each asset may pay for (opus every model, haiku only haiku).
  credit_asset_models: modelLists({
    haiku: ['claude-haiku-4-5-20251001'],
    sonnet: ['claude-haiku-4-5-20251001', 'claude-sonnet-4-6'],
    opus: ['claude-haiku-4-5-20251001', 'claude-sonnet-4-6', 'claude-opus-4-7'],
  }),
  grant_default_expiry_days: count(30, 1, DAYS_IN_TEN_YEARS),
  email_eligibility_cooling_days: count(90, 0, DAYS_IN_TEN_YEARS),
  referral_credit_asset: text('haiku'),
  referral_credit_amount: count(500, 1, 1_000_000_000),
  session_ttl_hours: count(24 * 14, 1, 24 * 365),
  // Reservations (DESIGN.md): how long an unsettled hold lives, holds per person at once, and
  // the smallest responder max_tokens a tier must afford to carry a turn.
  // hold_ttl_seconds: PUT /admin/config also refuses values below the worst-case turn (libs/config).
  hold_ttl_seconds: count(600, 1, SECONDS_IN_A_DAY),
  max_turns_in_flight: count(4, 1, 1000),
  converse_min_response_tokens: count(256, 1, 128_000),
  anthropic_api_key: text(undefined, true),
  reconcile_interval_seconds: count(300, 1, SECONDS_IN_A_DAY),
  /** the sealer covers every flow older than this (DESIGN.md "Tamper evidence") */
  seal_interval_seconds: count(60, 1, SECONDS_IN_A_DAY),
  /** the longest an authorization stays open (DESIGN.md "Authorizations and refunds"); a week at most */
  authorization_max_seconds: count(3600, 1, 7 * SECONDS_IN_A_DAY),
  /** credit.low fires when a balance crosses below its asset's threshold */
  low_balance_threshold: creditMap({ haiku: 100, sonnet: 100, opus: 100 }),
} satisfies Record<string, Setting<unknown>>;

export type SettingKey = keyof typeof SETTINGS;
export type SettingValue<K extends SettingKey> = (typeof SETTINGS)[K] extends Setting<infer T> ? T : never;

export function isSettingKey(key: string): key is SettingKey {
  return Object.prototype.hasOwnProperty.call(SETTINGS, key);
}

export function settingKey(key: string): SettingKey {
  if (!isSettingKey(key)) throw new UnknownSettingError(key);
  return key;
}

export function parseSetting<K extends SettingKey>(key: K, value: unknown): SettingValue<K> {
  const setting: Setting<unknown> = SETTINGS[key];
  const parsed = setting.parse(value);
  if (parsed === undefined) throw new InvalidSettingError(key, setting.expected);
  return parsed as SettingValue<K>;
}

export function settingFallback<K extends SettingKey>(key: K): SettingValue<K> | undefined {
  return (SETTINGS[key] as Setting<unknown>).fallback as SettingValue<K> | undefined;
}

export function isSecretSetting(key: SettingKey): boolean {
  return (SETTINGS[key] as Setting<unknown>).secret === true;
}

/** What the key takes (the refusal's wording) and, for a number, its range. */
export function settingBounds(key: SettingKey): { expected: string; range?: SettingRange } {
  const { expected, range } = SETTINGS[key] as Setting<unknown>;
  return range ? { expected, range } : { expected };
}
