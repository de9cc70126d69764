import { Body, Controller, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ErrorResponse } from '@loomworks/common';
import { APP_CONFIG, type AppConfig } from '@loomworks/config';
import { jsonAmount } from '@loomworks/credit';
import { toPersonView } from '@loomworks/persons';
import { LoginThrottle } from '../login-throttle';
import { LoginService } from '../login.service';
import { RecoveryService } from '../recovery.service';
import { SessionsService } from '../sessions.service';
import { SignupService } from '../signup.service';
import { CurrentSessionId, Public } from './decorators';
import { LoginBeginDto, LoginFinishDto, RecoveryBeginDto, SignupBeginDto, SignupPasskeyDto, SignupTotpVerifyDto } from './dto';
import { clearSessionCookie, setSessionCookie } from './session-cookie';
import { SessionSchema } from './view-schemas';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  private readonly secureCookie: boolean;

  constructor(
    private readonly signup: SignupService,
    private readonly login: LoginService,
    private readonly recovery: RecoveryService,
    private readonly sessions: SessionsService,
    private readonly throttle: LoginThrottle,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.secureCookie = config.publicOrigin.startsWith('https:');
  }

  @Public()
  @Post('signup/begin')
  @ApiOperation({ summary: 'Start a signup: WebAuthn creation options for the address' })
  @ApiResponse({ status: 201, description: "{registrationId, options, expiresAt, emailVerification: 'sent' | 'not_required'} — `sent`: a code was mailed and totp-verify needs it as `emailCode`" })
  @ApiResponse({ status: 409, description: 'email_taken', type: ErrorResponse })
  @ApiResponse({ status: 403, description: 'invalid_admin_token', type: ErrorResponse })
  @ApiResponse({ status: 429, description: 'rate_limited (too many starts from this address)', type: ErrorResponse })
  async signupBegin(@Body() body: SignupBeginDto, @Req() request: FastifyRequest) {
    await this.throttle.countStart(request.ip);
    const started = await this.signup.begin(body);
    return { ...started, expiresAt: started.expiresAt.toISOString() };
  }

  @Public()
  @Post('signup/passkey')
  @HttpCode(200)
  @ApiOperation({ summary: 'Verify the new passkey; returns a fresh TOTP secret' })
  @ApiResponse({ status: 404, description: 'registration_not_found', type: ErrorResponse })
  @ApiResponse({ status: 400, description: 'passkey_verification_failed', type: ErrorResponse })
  signupPasskey(@Body() body: SignupPasskeyDto) {
    return this.signup.verifyPasskey(body.registrationId, body.credential);
  }

  @Public()
  @Post('signup/totp-verify')
  @ApiOperation({ summary: 'Confirm the TOTP code; creates the account (and claims the grant) in one transaction' })
  @ApiCreatedResponse({ type: SessionSchema })
  @ApiResponse({ status: 200, description: 'a recovery: {person, sessionToken, expiresAt}; every other session ended', type: SessionSchema })
  @ApiResponse({ status: 400, description: 'invalid_totp | invalid_email_code', type: ErrorResponse })
  @ApiResponse({ status: 404, description: 'registration_not_found | grant_not_found | recovery_not_found', type: ErrorResponse })
  @ApiResponse({ status: 409, description: 'grant_already_claimed', type: ErrorResponse })
  @ApiResponse({ status: 410, description: 'grant_expired | grant_revoked | recovery_expired', type: ErrorResponse })
  @ApiResponse({ status: 403, description: 'grant_email_mismatch', type: ErrorResponse })
  @ApiResponse({ status: 429, description: 'rate_limited (too many wrong codes)', type: ErrorResponse })
  async signupTotpVerify(@Body() body: SignupTotpVerifyDto, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const done = await this.signup.verifyTotp({ ...body, address: request.ip });
    setSessionCookie(reply, done.sessionToken, done.expiresAt, this.secureCookie);
    // a recovery changes an existing account rather than creating one
    if (done.recovered) reply.status(200);
    return {
      person: toPersonView(done.person),
      sessionToken: done.sessionToken,
      expiresAt: done.expiresAt.toISOString(),
      ...(done.credit && { credit: { grantId: done.credit.grantId, asset: done.credit.asset, amount: jsonAmount(done.credit.amount) } }),
    };
  }

  @Public()
  @Post('recovery/begin')
  @HttpCode(200)
  @ApiOperation({ summary: "Start a recovery from a staff-issued link: WebAuthn creation options for the person's new passkey" })
  @ApiResponse({ status: 200, description: '{recoveryToken, registrationId, emailHint, expiresAt, options}' })
  @ApiResponse({ status: 404, description: 'recovery_not_found', type: ErrorResponse })
  @ApiResponse({ status: 410, description: 'recovery_expired', type: ErrorResponse })
  @ApiResponse({ status: 429, description: 'rate_limited (too many starts from this address)', type: ErrorResponse })
  async recoveryBegin(@Body() body: RecoveryBeginDto, @Req() request: FastifyRequest) {
    await this.throttle.countStart(request.ip);
    const started = await this.recovery.begin(body.recoveryToken);
    return { ...started, expiresAt: started.expiresAt.toISOString() };
  }

  @Public()
  @Post('login/begin')
  @HttpCode(200)
  @ApiOperation({ summary: 'WebAuthn request options (the same shape for unknown addresses)' })
  async loginBegin(@Body() body: LoginBeginDto, @Req() request: FastifyRequest) {
    await this.throttle.countStart(request.ip);
    return this.login.begin(body.email);
  }

  @Public()
  @Post('login/finish')
  @HttpCode(200)
  @ApiOperation({ summary: 'Passkey assertion + TOTP code → session' })
  @ApiOkResponse({ type: SessionSchema })
  @ApiResponse({ status: 401, description: 'login_failed (every cause)', type: ErrorResponse })
  @ApiResponse({ status: 403, description: 'account_suspended', type: ErrorResponse })
  @ApiResponse({ status: 429, description: 'rate_limited (Retry-After)', type: ErrorResponse })
  async loginFinish(@Body() body: LoginFinishDto, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const done = await this.login.finish({ ...body, address: request.ip });
    setSessionCookie(reply, done.sessionToken, done.expiresAt, this.secureCookie);
    return { person: toPersonView(done.person), sessionToken: done.sessionToken, expiresAt: done.expiresAt.toISOString() };
  }

  @Post('logout')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'End this session' })
  async logout(@CurrentSessionId() sessionId: string, @Res({ passthrough: true }) reply: FastifyReply) {
    await this.sessions.end(sessionId);
    clearSessionCookie(reply, this.secureCookie);
  }
}
