import { Injectable } from '@nestjs/common';
import { ReconcilerService } from '@loomworks/operations';
import { runView, type ReconciliationRunSchema } from './operations-views';

/** The reconciler as staff see it: its latest run, and a run on demand. */
@Injectable()
export class AdminReconciliationService {
  constructor(private readonly reconciler: ReconcilerService) {}

  async latest(): Promise<ReconciliationRunSchema> {
    return runView(await this.reconciler.latest());
  }

  /** Waits for a run in progress anywhere to finish first. */
  /** `full`: also recompute every balance and every seal from the flows. */
  async runNow(full = false): Promise<ReconciliationRunSchema> {
    return runView(await this.reconciler.runNow({ full }));
  }
}
