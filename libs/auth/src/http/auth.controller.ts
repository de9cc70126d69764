import { Body, Controller, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiErrors } from '@loomworks/common';
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
import { LoginStartedSchema, PasskeyVerifiedSchema, RecoveryStartedSchema, SessionSchema, SignupStartedSchema } from '../views';

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
  @ApiCreatedResponse({ type: SignupStartedSchema })
  @ApiErrors('validation_failed', 'invalid_email', 'email_taken', 'invalid_admin_token', 'rate_limited')
  async signupBegin(@Body() body: SignupBeginDto, @Req() request: FastifyRequest): Promise<SignupStartedSchema> {
    await this.throttle.countStart(request.ip);
    const started = await this.signup.begin(body);
    return { registrationId: started.registrationId, options: started.options, expiresAt: started.expiresAt.toISOString(), emailVerification: started.emailVerification };
  }

  @Public()
  @Post('signup/passkey')
  @HttpCode(200)
  @ApiOperation({ summary: 'Verify the new passkey; returns a fresh TOTP secret' })
  @ApiOkResponse({ type: PasskeyVerifiedSchema })
  @ApiErrors('validation_failed', 'passkey_verification_failed', 'registration_not_found', 'passkey_exists')
  signupPasskey(@Body() body: SignupPasskeyDto): Promise<PasskeyVerifiedSchema> {
    return this.signup.verifyPasskey(body.registrationId, body.credential);
  }

  @Public()
  @Post('signup/totp-verify')
  @ApiOperation({ summary: 'Confirm the TOTP code; creates the account (and claims the grant) in one transaction' })
  @ApiCreatedResponse({ type: SessionSchema })
  @ApiOkResponse({ type: SessionSchema, description: 'a recovery: {person, sessionToken, expiresAt}; every other session ended' })
  @ApiErrors(
    'validation_failed',
    'invalid_totp',
    'invalid_email_code',
    'registration_not_found',
    'grant_not_found',
    'recovery_not_found',
    'grant_already_claimed',
    'email_taken',
    'passkey_exists',
    'grant_expired',
    'grant_revoked',
    'recovery_expired',
    'grant_email_mismatch',
    'rate_limited',
  )
  async signupTotpVerify(@Body() body: SignupTotpVerifyDto, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<SessionSchema> {
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
  @ApiOkResponse({ type: RecoveryStartedSchema })
  @ApiErrors('validation_failed', 'recovery_not_found', 'recovery_expired', 'rate_limited')
  async recoveryBegin(@Body() body: RecoveryBeginDto, @Req() request: FastifyRequest): Promise<RecoveryStartedSchema> {
    await this.throttle.countStart(request.ip);
    const started = await this.recovery.begin(body.recoveryToken);
    return {
      recoveryToken: started.recoveryToken,
      registrationId: started.registrationId,
      emailHint: started.emailHint,
      expiresAt: started.expiresAt.toISOString(),
      options: started.options,
    };
  }

  @Public()
  @Post('login/begin')
  @HttpCode(200)
  @ApiOperation({ summary: 'WebAuthn request options (the same shape for unknown addresses)' })
  @ApiOkResponse({ type: LoginStartedSchema })
  @ApiErrors('validation_failed', 'rate_limited')
  async loginBegin(@Body() body: LoginBeginDto, @Req() request: FastifyRequest): Promise<LoginStartedSchema> {
    await this.throttle.countStart(request.ip);
    return this.login.begin(body.email);
  }

  @Public()
  @Post('login/finish')
  @HttpCode(200)
  @ApiOperation({ summary: 'Passkey assertion + TOTP code → session' })
  @ApiOkResponse({ type: SessionSchema })
  @ApiErrors('validation_failed', 'login_failed', 'account_suspended', 'rate_limited')
  async loginFinish(@Body() body: LoginFinishDto, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<SessionSchema> {
    const done = await this.login.finish({ ...body, address: request.ip });
    setSessionCookie(reply, done.sessionToken, done.expiresAt, this.secureCookie);
    return { person: toPersonView(done.person), sessionToken: done.sessionToken, expiresAt: done.expiresAt.toISOString() };
  }

  @Post('logout')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'End this session' })
  @ApiNoContentResponse()
  @ApiErrors('unauthenticated')
  async logout(@CurrentSessionId() sessionId: string, @Res({ passthrough: true }) reply: FastifyReply) {
    await this.sessions.end(sessionId);
    clearSessionCookie(reply, this.secureCookie);
  }
}
