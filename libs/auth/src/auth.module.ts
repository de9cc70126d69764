import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { CreditModule } from '@loomworks/credit';
import { OutboxModule } from '@loomworks/outbox';
import { PersonsModule } from '@loomworks/persons';
import { SystemConfigModule } from '@loomworks/system-config';
import { AdminTokensService } from './admin-tokens.service';
import { ClaimsService } from './claims.service';
import { AuthHousekeeping } from './housekeeping.service';
import { AuthController } from './http/auth.controller';
import { ClaimController } from './http/claim.controller';
import { CsrfGuard } from './http/csrf.guard';
import { RolesGuard, SessionGuard } from './http/guards';
import { MeLimitController } from './http/me-limit.controller';
import { MeController } from './http/me.controller';
import { PasskeysController } from './http/passkeys.controller';
import { LoginThrottle } from './login-throttle';
import { LoginService } from './login.service';
import { PasskeysService } from './passkeys.service';
import { RecoveryService } from './recovery.service';
import { CredentialsRepository } from './persistence/credentials.repository';
import { RecoveryRepository } from './persistence/recovery.repository';
import { RegistrationsRepository } from './persistence/registrations.repository';
import { SessionsRepository } from './persistence/sessions.repository';
import { SessionsService } from './sessions.service';
import { SignupService } from './signup.service';
import { TotpService } from './totp.service';
import { WebAuthnService } from './webauthn.service';

@Module({
  imports: [CreditModule, PersonsModule, SystemConfigModule, OutboxModule],
  controllers: [AuthController, ClaimController, MeController, MeLimitController, PasskeysController],
  providers: [
    SessionsRepository,
    CredentialsRepository,
    RegistrationsRepository,
    RecoveryRepository,
    WebAuthnService,
    TotpService,
    LoginThrottle,
    SessionsService,
    SignupService,
    ClaimsService,
    LoginService,
    PasskeysService,
    RecoveryService,
    AdminTokensService,
    AuthHousekeeping,
    // Order matters: cross-site writes are refused before anything else; the session is resolved before roles are checked.
    { provide: APP_GUARD, useClass: CsrfGuard },
    { provide: APP_GUARD, useClass: SessionGuard },
    { provide: APP_GUARD, useClass: RolesGuard },
  ],
  exports: [SessionsService, AdminTokensService, RecoveryService],
})
export class AuthModule {}
