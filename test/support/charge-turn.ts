import { randomUUID } from 'node:crypto';
import type { Usage } from '@loomworks/common';
import type { SettleStage, SettlementResult } from '@loomworks/credit';
import type { HoldsService } from '@loomworks/credit/staff';

/**
 * A system-key turn's credit work as production does it: place a hold sized for the usage the
 * stages will report (input tokens as the bound, output as max_tokens), then settle it. For
 * suites about pricing and balances, not about hold sizing. Throws when the hold is refused.
 */
export async function chargeTurn(holds: HoldsService, personId: string, stages: SettleStage[], turnId: string = randomUUID()): Promise<SettlementResult> {
  const bound = (stage: 'classify' | 'respond') => {
    const u: Usage | undefined = stages.find((s) => s.stage === stage)?.usage;
    return { inputTokens: u ? u.input + u.cacheRead + u.cacheWrite : 1, maxTokens: Math.max(1, u?.output ?? 1) };
  };
  const placed = await holds.place({ personId, turnId, classify: bound('classify'), respond: bound('respond') });
  if (placed.status !== 'placed') throw new Error(`hold refused: ${placed.status}`);
  return holds.settle({ holdId: placed.hold.id, turnId, stages });
}
