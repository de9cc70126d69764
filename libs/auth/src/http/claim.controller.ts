import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ApiErrors } from '@loomworks/common';
import { jsonAmount } from '@loomworks/credit';
import { LoginThrottle } from '../login-throttle';
import { SignupService } from '../signup.service';
import { Public } from './decorators';
import { ClaimTokenDto } from './dto';
import { ClaimStartedSchema } from '../views';

@ApiTags('claim')
@Controller('claim')
export class ClaimController {
  constructor(
    private readonly signup: SignupService,
    private readonly throttle: LoginThrottle,
  ) {}

  @Public()
  @Post('grant')
  @HttpCode(200)
  @ApiOperation({ summary: "Start the signup bound to the grant's recipient address" })
  @ApiOkResponse({ type: ClaimStartedSchema })
  @ApiErrors('validation_failed', 'grant_not_found', 'grant_already_claimed', 'email_taken', 'grant_expired', 'grant_revoked', 'rate_limited')
  async claimGrant(@Body() body: ClaimTokenDto, @Req() request: FastifyRequest): Promise<ClaimStartedSchema> {
    await this.throttle.countStart(request.ip);
    const started = await this.signup.beginForClaim(body.claimToken);
    return {
      claimToken: started.claimToken,
      registrationId: started.registrationId,
      emailHint: started.emailHint,
      asset: started.asset,
      amount: jsonAmount(started.amount),
      expiresAt: started.expiresAt.toISOString(),
      options: started.options,
    };
  }
}
