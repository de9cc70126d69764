import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsEmail, IsInt, IsOptional, IsString, Max, Min, ValidateNested } from 'class-validator';
import { Public } from '@loomworks/auth';
import { PersonNotFoundError, InvalidAccountTransitionError } from '@loomworks/persons';

class AddressDto {
  @IsString()
  city!: string;
}

class ProbeDto {
  @IsEmail()
  email!: string;

  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  amount!: number;

  @IsOptional()
  @ValidateNested()
  @Type(() => AddressDto)
  address?: AddressDto;
}

/** Test-only routes that drive the global pipe and filter through every error branch. */
@Public()
@Controller('__probe')
export class ProbeController {
  @Post('echo')
  @HttpCode(200)
  echo(@Body() body: ProbeDto) {
    return { body, isDto: body instanceof ProbeDto };
  }

  @Get('domain-error')
  domainError(@Query('kind') kind: string) {
    if (kind === 'transition') throw new InvalidAccountTransitionError('deleted', 'active');
    throw new PersonNotFoundError('00000000-0000-0000-0000-000000000000');
  }

  @Get('crash')
  crash() {
    throw new Error('relation "secret_table" does not exist at /srv/app/secret.ts:42');
  }
}
