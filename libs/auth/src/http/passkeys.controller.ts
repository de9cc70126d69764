import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ApiErrors, ValidationFailedError } from '@loomworks/common';
import type { Person } from '@loomworks/persons';
import { isCredentialId } from '../domain/credential-bounds';
import { PasskeysService } from '../passkeys.service';
import { CurrentPerson } from './decorators';
import { PasskeyFinishDto, PasskeyRenameDto, StepUpDto } from './dto';
import { PasskeyBeginSchema, PasskeyListSchema, PasskeyViewSchema } from '../views';

/** Credential ids are base64url of at most WebAuthn's 1023 bytes. */
function credentialId(id: string): string {
  if (!isCredentialId(id)) throw new ValidationFailedError([{ field: 'id', message: 'id must be a passkey id' }]);
  return id;
}

@ApiTags('me')
@ApiBearerAuth()
@ApiErrors('unauthenticated')
@Controller('me/passkeys')
export class PasskeysController {
  constructor(private readonly passkeys: PasskeysService) {}

  @Get()
  @ApiOperation({ summary: "The signed-in person's passkeys" })
  @ApiOkResponse({ type: PasskeyListSchema })
  async list(@CurrentPerson() person: Person): Promise<PasskeyListSchema> {
    return { items: await this.passkeys.list(person.id) };
  }

  @Post('begin')
  @HttpCode(200)
  @ApiOperation({ summary: 'Add a passkey, step 1: a fresh TOTP code → WebAuthn creation options' })
  @ApiOkResponse({ type: PasskeyBeginSchema })
  @ApiErrors('unauthenticated', 'validation_failed', 'invalid_totp', 'rate_limited')
  begin(@CurrentPerson() person: Person, @Body() body: StepUpDto, @Req() request: FastifyRequest): Promise<PasskeyBeginSchema> {
    return this.passkeys.beginAdd(person, body.code, request.ip);
  }

  @Post('finish')
  @ApiOperation({ summary: 'Add a passkey, step 2: the authenticator’s answer' })
  @ApiCreatedResponse({ type: PasskeyViewSchema })
  @ApiErrors('unauthenticated', 'validation_failed', 'passkey_verification_failed', 'registration_not_found', 'passkey_exists')
  finish(@CurrentPerson() person: Person, @Body() body: PasskeyFinishDto): Promise<PasskeyViewSchema> {
    return this.passkeys.finishAdd(person, body.registrationId, body.credential, body.name);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Rename a passkey' })
  @ApiOkResponse({ type: PasskeyViewSchema })
  @ApiErrors('unauthenticated', 'validation_failed', 'passkey_not_found')
  rename(@CurrentPerson() person: Person, @Param('id') id: string, @Body() body: PasskeyRenameDto): Promise<PasskeyViewSchema> {
    return this.passkeys.rename(person.id, credentialId(id), body.name);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a passkey (never the last one)' })
  @ApiNoContentResponse()
  @ApiErrors('unauthenticated', 'validation_failed', 'passkey_not_found', 'last_passkey')
  async remove(@CurrentPerson() person: Person, @Param('id') id: string) {
    await this.passkeys.remove(person.id, credentialId(id));
  }
}
