import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@loomworks/config';
import { OutboxModule } from '@loomworks/outbox';
import { MailJobHandler } from './mail/mail.handler';
import { MAIL_TRANSPORT, smtpTransport } from './mail/mail-transport';
import { OutboxWorker } from './outbox-worker.service';

@Module({
  imports: [OutboxModule],
  providers: [
    OutboxWorker,
    { provide: MAIL_TRANSPORT, inject: [APP_CONFIG], useFactory: (config: AppConfig) => smtpTransport(config) },
    MailJobHandler,
  ],
  exports: [OutboxWorker],
})
export class NotificationsModule {}
