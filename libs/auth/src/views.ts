import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PersonViewSchema } from '@loomworks/persons';

// API.md's "Auth" and "Claim" answers: each class is both the OpenAPI schema and the TypeScript
// type the controllers and services return, so the document and the server cannot drift.

const WEBAUTHN_OPTIONS = { type: 'object', additionalProperties: true } as const;

export class GrantCreditSchema {
  @ApiProperty({ format: 'uuid' }) grantId!: string;
  @ApiProperty() asset!: string;
  @ApiProperty() amount!: number;
}

export class SessionSchema {
  @ApiProperty({ type: PersonViewSchema }) person!: PersonViewSchema;
  @ApiProperty({ description: 'opaque; send as `Authorization: Bearer`' }) sessionToken!: string;
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
  @ApiPropertyOptional({ type: GrantCreditSchema, description: 'signup with a claim token only' }) credit?: GrantCreditSchema;
}

export class ClaimResultSchema extends GrantCreditSchema {
  @ApiProperty() balanceAfter!: number;
}

export class EngagementSchema {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() personal!: boolean;
  @ApiProperty({ enum: ['owner', 'member'] }) role!: 'owner' | 'member';
}

export class EngagementListSchema {
  @ApiProperty({ type: [EngagementSchema] }) items!: EngagementSchema[];
}

export class SignupStartedSchema {
  @ApiProperty({ format: 'uuid' }) registrationId!: string;
  @ApiProperty({ ...WEBAUTHN_OPTIONS, description: 'PublicKeyCredentialCreationOptionsJSON' }) options!: object;
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
  @ApiProperty({ enum: ['sent', 'not_required'], description: '`sent`: a one-time code was mailed; totp-verify needs it as `emailCode`' })
  emailVerification!: 'sent' | 'not_required';
}

export class TotpSetupSchema {
  @ApiProperty({ description: 'base32; shown once' }) secret!: string;
  @ApiProperty({ example: 'otpauth://totp/Loomworks:ada%40example.com?secret=…' }) otpauthUrl!: string;
  @ApiProperty({ description: 'the otpauth URL as a QR code (SVG markup)' }) qrSvg!: string;
}

export class PasskeyVerifiedSchema {
  @ApiProperty({ format: 'uuid' }) registrationId!: string;
  @ApiProperty({ type: TotpSetupSchema }) totp!: TotpSetupSchema;
}

export class RecoveryStartedSchema {
  @ApiProperty() recoveryToken!: string;
  @ApiProperty({ format: 'uuid' }) registrationId!: string;
  @ApiProperty({ example: 'j***@g***.com' }) emailHint!: string;
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
  @ApiProperty({ ...WEBAUTHN_OPTIONS, description: 'PublicKeyCredentialCreationOptionsJSON' }) options!: object;
}

export class ClaimStartedSchema {
  @ApiProperty() claimToken!: string;
  @ApiProperty({ format: 'uuid' }) registrationId!: string;
  @ApiProperty({ example: 'j***@g***.com', description: "the grant's recipient address, masked" }) emailHint!: string;
  @ApiProperty() asset!: string;
  @ApiProperty() amount!: number;
  @ApiProperty({ format: 'date-time', description: 'when the grant expires' }) expiresAt!: string;
  @ApiProperty({ ...WEBAUTHN_OPTIONS, description: 'PublicKeyCredentialCreationOptionsJSON' }) options!: object;
}

export class LoginStartedSchema {
  @ApiProperty({ format: 'uuid' }) loginId!: string;
  @ApiProperty({ ...WEBAUTHN_OPTIONS, description: 'PublicKeyCredentialRequestOptionsJSON (the same shape for unknown addresses)' }) options!: object;
}

export class PasskeyBeginSchema {
  @ApiProperty({ format: 'uuid' }) registrationId!: string;
  @ApiProperty({ ...WEBAUTHN_OPTIONS, description: 'PublicKeyCredentialCreationOptionsJSON' }) options!: object;
}

export class PasskeyViewSchema {
  @ApiProperty({ description: 'the credential id (base64url)' }) id!: string;
  @ApiProperty({ example: 'Laptop' }) name!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'the last sign-in with it' }) lastUsedAt!: string | null;
}

export class PasskeyListSchema {
  @ApiProperty({ type: [PasskeyViewSchema] }) items!: PasskeyViewSchema[];
}

export class LlmKeyStatusSchema {
  @ApiProperty({ description: 'whether an own key is stored (the key itself is never returned)' }) isSet!: boolean;
}
