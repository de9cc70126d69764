export { AdminModule } from './admin.module';
export { AuditService, type AuditRecord } from './audit.service';
