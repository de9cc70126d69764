import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ErrorResponse } from '@loomworks/common';
import { jsonAmount } from '@loomworks/credit';
import { LoginThrottle } from '../login-throttle';
import { SignupService } from '../signup.service';
import { Public } from './decorators';
import { ClaimTokenDto } from './dto';

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
  @ApiResponse({ status: 200, description: '{claimToken, registrationId, emailHint, asset, amount, expiresAt, options}' })
  @ApiResponse({ status: 404, description: 'grant_not_found', type: ErrorResponse })
  @ApiResponse({ status: 409, description: 'grant_already_claimed | email_taken', type: ErrorResponse })
  @ApiResponse({ status: 410, description: 'grant_expired | grant_revoked', type: ErrorResponse })
  async claimGrant(@Body() body: ClaimTokenDto, @Req() request: FastifyRequest) {
    await this.throttle.countStart(request.ip);
    const started = await this.signup.beginForClaim(body.claimToken);
    return { ...started, amount: jsonAmount(started.amount), expiresAt: started.expiresAt.toISOString() };
  }
}
