import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsObject, IsOptional, IsString, IsUUID, Length, Matches, MaxLength } from 'class-validator';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';

const TOTP_CODE = /^\d{6}$/;

export class SignupBeginDto {
  @ApiProperty({ example: 'ada@example.com' })
  @IsEmail()
  @MaxLength(254)
  email!: string;

  @ApiProperty({ example: 'Ada' })
  @IsString()
  @Length(1, 100)
  displayName!: string;

  @ApiPropertyOptional({ description: 'one-time token from `npm run admin:bootstrap`' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  adminToken?: string;
}

export class SignupPasskeyDto {
  @ApiProperty()
  @IsUUID()
  registrationId!: string;

  @ApiProperty({ description: 'RegistrationResponseJSON, passed to the verifier as the browser sent it' })
  @IsObject()
  credential!: RegistrationResponseJSON;
}

export class SignupTotpVerifyDto {
  @ApiProperty()
  @IsUUID()
  registrationId!: string;

  @ApiProperty({ example: '123456' })
  @Matches(TOTP_CODE, { message: 'code must be 6 digits' })
  code!: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 200)
  claimToken?: string;

  @ApiPropertyOptional({ example: '482913', description: 'the code mailed by signup/begin when it answered `sent`' })
  @IsOptional()
  @IsString()
  @Length(1, 32)
  emailCode?: string;

  @ApiPropertyOptional({ description: 'the token of a recovery link, after POST /auth/recovery/begin' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  recoveryToken?: string;
}

export class RecoveryBeginDto {
  @ApiProperty({ description: 'the token of the recovery link' })
  @IsString()
  @Length(1, 200)
  recoveryToken!: string;
}

export class LoginBeginDto {
  @ApiProperty()
  @IsEmail()
  @MaxLength(254)
  email!: string;
}

export class LoginFinishDto {
  @ApiProperty()
  @IsUUID()
  loginId!: string;

  @ApiProperty({ description: 'AuthenticationResponseJSON, passed to the verifier as the browser sent it' })
  @IsObject()
  credential!: AuthenticationResponseJSON;

  @ApiProperty({ example: '123456' })
  @Matches(TOTP_CODE, { message: 'code must be 6 digits' })
  code!: string;
}

export class ClaimTokenDto {
  @ApiProperty()
  @IsString()
  @Length(1, 200)
  claimToken!: string;
}


export class StepUpDto {
  @ApiProperty({ example: '123456', description: 'a fresh code from the authenticator app' })
  @Matches(TOTP_CODE, { message: 'code must be 6 digits' })
  code!: string;
}

export class PasskeyFinishDto {
  @ApiProperty()
  @IsUUID()
  registrationId!: string;

  @ApiProperty({ description: 'RegistrationResponseJSON, passed to the verifier as the browser sent it' })
  @IsObject()
  credential!: RegistrationResponseJSON;

  @ApiPropertyOptional({ example: 'Laptop' })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  @Matches(/\S/, { message: 'name must not be blank' })
  name?: string;
}

export class PasskeyRenameDto {
  @ApiProperty({ example: 'Phone' })
  @IsString()
  @Length(1, 100)
  @Matches(/\S/, { message: 'name must not be blank' })
  name!: string;
}
