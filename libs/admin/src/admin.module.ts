import { Module } from '@nestjs/common';
import { AuthModule } from '@loomworks/auth';
import { CreditModule } from '@loomworks/credit';
import { PersonsModule } from '@loomworks/persons';
import { SystemConfigModule } from '@loomworks/system-config';
import { AdminService } from './admin.service';
import { AuditService } from './audit.service';
import { AdminController } from './http/admin.controller';

@Module({
  imports: [AuthModule, CreditModule, PersonsModule, SystemConfigModule],
  controllers: [AdminController],
  providers: [AuditService, AdminService],
})
export class AdminModule {}
