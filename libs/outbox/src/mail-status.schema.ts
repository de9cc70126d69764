import { ApiProperty } from '@nestjs/swagger';

/** API.md's `Mail`: what became of the mail an action would send. */
export class MailStatusSchema {
  @ApiProperty({ enum: ['queued', 'off'], description: '`queued`: in the outbox, sent shortly; `off`: nothing will be sent (no SMTP_URL, or sendEmail: false)' })
  status!: 'queued' | 'off';
}
