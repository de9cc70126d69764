import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ErrorResponse, ValidationFailedError } from '@loomworks/common';
import type { Person } from '@loomworks/persons';
import { PasskeysService } from '../passkeys.service';
import { CurrentPerson } from './decorators';
import { PasskeyFinishDto, PasskeyRenameDto, StepUpDto } from './dto';

class PasskeyViewSchema {
  @ApiProperty({ description: 'the credential id (base64url)' }) id!: string;
  @ApiProperty({ example: 'Laptop' }) name!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'the last sign-in with it' }) lastUsedAt!: string | null;
}

class PasskeyListSchema {
  @ApiProperty({ type: [PasskeyViewSchema] }) items!: PasskeyViewSchema[];
}

/** Credential ids are base64url; WebAuthn caps them at 1023 bytes (1364 characters encoded). */
function credentialId(id: string): string {
  if (!/^[A-Za-z0-9_-]{1,1400}$/.test(id)) throw new ValidationFailedError([{ field: 'id', message: 'id must be a passkey id' }]);
  return id;
}

@ApiTags('me')
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'unauthenticated', type: ErrorResponse })
@Controller('me/passkeys')
export class PasskeysController {
  constructor(private readonly passkeys: PasskeysService) {}

  @Get()
  @ApiOperation({ summary: "The signed-in person's passkeys" })
  @ApiOkResponse({ type: PasskeyListSchema })
  async list(@CurrentPerson() person: Person) {
    return { items: await this.passkeys.list(person.id) };
  }

  @Post('begin')
  @HttpCode(200)
  @ApiOperation({ summary: 'Add a passkey, step 1: a fresh TOTP code → WebAuthn creation options' })
  @ApiResponse({ status: 200, description: '{registrationId, options}' })
  @ApiResponse({ status: 400, description: 'invalid_totp', type: ErrorResponse })
  @ApiResponse({ status: 429, description: 'rate_limited (too many wrong codes)', type: ErrorResponse })
  begin(@CurrentPerson() person: Person, @Body() body: StepUpDto, @Req() request: FastifyRequest) {
    return this.passkeys.beginAdd(person, body.code, request.ip);
  }

  @Post('finish')
  @ApiOperation({ summary: 'Add a passkey, step 2: the authenticator’s answer' })
  @ApiCreatedResponse({ type: PasskeyViewSchema })
  @ApiResponse({ status: 400, description: 'passkey_verification_failed', type: ErrorResponse })
  @ApiResponse({ status: 404, description: 'registration_not_found', type: ErrorResponse })
  @ApiResponse({ status: 409, description: 'passkey_exists', type: ErrorResponse })
  finish(@CurrentPerson() person: Person, @Body() body: PasskeyFinishDto) {
    return this.passkeys.finishAdd(person, body.registrationId, body.credential, body.name);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Rename a passkey' })
  @ApiOkResponse({ type: PasskeyViewSchema })
  @ApiResponse({ status: 404, description: 'passkey_not_found', type: ErrorResponse })
  rename(@CurrentPerson() person: Person, @Param('id') id: string, @Body() body: PasskeyRenameDto) {
    return this.passkeys.rename(person.id, credentialId(id), body.name);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a passkey (never the last one)' })
  @ApiResponse({ status: 404, description: 'passkey_not_found', type: ErrorResponse })
  @ApiResponse({ status: 409, description: 'last_passkey', type: ErrorResponse })
  async remove(@CurrentPerson() person: Person, @Param('id') id: string) {
    await this.passkeys.remove(person.id, credentialId(id));
  }
}
