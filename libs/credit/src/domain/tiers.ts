/** Which tier a person's credit buys: the highest-priority asset with a positive balance. */
export interface Balance {
  asset: string;
  amount: bigint;
}

export interface TierResolution {
  asset: string;
  classifierModel: string;
  responderModel: string;
}

export interface TierConfig {
  /** assets, highest tier first */
  priority: readonly string[];
  responderModels: Readonly<Record<string, string>>;
  classifierModel: string;
}

export function chooseTier(balances: readonly Balance[], config: TierConfig): TierResolution | null {
  const positive = new Set(balances.filter((b) => b.amount > 0n).map((b) => b.asset));
  const asset = config.priority.find((a) => positive.has(a));
  if (asset === undefined) return null;
  const responderModel = config.responderModels[asset];
  if (responderModel === undefined) throw new Error(`no responder model is configured for tier ${asset}`);
  return { asset, classifierModel: config.classifierModel, responderModel };
}
