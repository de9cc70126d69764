export { OperationsModule } from './operations.module';
export { ReconcilerService } from './reconciler.service';
export {
  FINDING_KINDS,
  ReconciliationNotFoundError,
  type Finding,
  type FindingKind,
  type ReconciliationRun,
  type RunTrigger,
} from './domain/reconciliation';
