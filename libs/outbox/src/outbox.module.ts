import { Module } from '@nestjs/common';
import { SystemConfigModule } from '@loomworks/system-config';
import { OutboxQueue } from './outbox-queue.service';
import { Outbox } from './outbox.service';
import { OutboxRepository } from './persistence/outbox.repository';

@Module({
  imports: [SystemConfigModule],
  providers: [OutboxRepository, Outbox, OutboxQueue],
  exports: [Outbox, OutboxQueue],
})
export class OutboxModule {}
