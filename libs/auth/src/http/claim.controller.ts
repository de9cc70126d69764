import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ErrorResponse } from '@loomworks/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { jsonAmount } from '@loomworks/credit';
import { SignupService } from '../signup.service';
import { Public } from './decorators';
import { ClaimTokenDto } from './dto';

@ApiTags('claim')
@Controller('claim')
export class ClaimController {
  constructor(private readonly signup: SignupService) {}

  @Public()
  @Post('grant')
  @HttpCode(200)
  @ApiOperation({ summary: "Start the signup bound to the grant's recipient address" })
  @ApiResponse({ status: 200, description: '{claimToken, registrationId, emailHint, asset, amount, expiresAt, options}' })
  @ApiResponse({ status: 404, description: 'grant_not_found', type: ErrorResponse })
  @ApiResponse({ status: 409, description: 'grant_already_claimed | email_taken', type: ErrorResponse })
  @ApiResponse({ status: 410, description: 'grant_expired | grant_revoked', type: ErrorResponse })
  async claimGrant(@Body() body: ClaimTokenDto) {
    const started = await this.signup.beginForClaim(body.claimToken);
    return { ...started, amount: jsonAmount(started.amount), expiresAt: started.expiresAt.toISOString() };
  }
}
