export { AuthModule } from './auth.module';
export { SessionsService, type NewSession, type Authenticated } from './sessions.service';
export { AdminTokensService } from './admin-tokens.service';
export { RecoveryService, type IssuedRecovery } from './recovery.service';
export { AuthHousekeeping } from './housekeeping.service';
export { Public, Roles, CurrentPerson, CurrentSessionId } from './http/decorators';
export { SESSION_COOKIE, sessionCookieName } from './http/session-cookie';
export * from './domain/errors';
export { MAX_CREDENTIAL_ID_LENGTH } from './domain/credential-bounds';
