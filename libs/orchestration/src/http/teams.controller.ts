import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsEmail, IsIn, IsOptional, IsString, Length, MaxLength } from 'class-validator';
import { CurrentPerson } from '@loomworks/auth';
import { ApiErrors, AsOfQueryDto, uuidParam } from '@loomworks/common';
import { ApiCreditOrAsOf, type CreditAsOfSchema, CreditViewSchema } from '@loomworks/credit';
import type { Person } from '@loomworks/persons';
import { TeamsService } from '../teams.service';

class CreateTeamDto {
  @ApiProperty()
  @IsString()
  @Length(1, 200)
  name!: string;
}

class AddMemberDto {
  @ApiProperty()
  @IsEmail()
  @MaxLength(254)
  email!: string;

  @ApiPropertyOptional({ enum: ['owner', 'member'] })
  @IsOptional()
  @IsIn(['owner', 'member'])
  role?: 'owner' | 'member';
}

class TeamSchema {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() personal!: boolean;
  @ApiProperty({ enum: ['owner', 'member'] }) role!: string;
}

class MemberViewSchema {
  @ApiProperty() personId!: string;
  @ApiProperty() email!: string;
  @ApiProperty() displayName!: string;
  @ApiProperty({ enum: ['owner', 'member'] }) role!: string;
}

@ApiTags('teams')
@ApiBearerAuth()
@Controller('engagements')
export class TeamsController {
  constructor(private readonly teams: TeamsService) {}

  @Post()
  @ApiOperation({ summary: 'Create a team engagement (with a pool); the creator is its owner' })
  @ApiCreatedResponse({ type: TeamSchema })
  @ApiErrors('validation_failed', 'unauthenticated')
  create(@CurrentPerson() person: Person, @Body() body: CreateTeamDto): Promise<TeamSchema> {
    return this.teams.create(person.id, body.name.trim());
  }

  @Post(':id/members')
  @ApiOperation({ summary: 'Add an existing account to the team, by its email (owners only)' })
  @ApiCreatedResponse({ type: MemberViewSchema })
  @ApiErrors('validation_failed', 'unauthenticated', 'forbidden', 'engagement_not_found', 'person_not_found', 'already_member')
  addMember(@CurrentPerson() person: Person, @Param('id', uuidParam('id')) id: string, @Body() body: AddMemberDto): Promise<MemberViewSchema> {
    return this.teams.addMember(id, person.id, body);
  }

  @Get(':id/credit')
  @ApiOperation({ summary: "The team pool's balances, holds and the tier they buy (members and owners); with asOf, its ledger balances at that past instant" })
  @ApiCreditOrAsOf(CreditViewSchema)
  @ApiErrors('unauthenticated', 'forbidden', 'validation_failed', 'engagement_not_found')
  credit(@CurrentPerson() person: Person, @Param('id', uuidParam('id')) id: string, @Query() query: AsOfQueryDto): Promise<CreditViewSchema | CreditAsOfSchema> {
    return query.asOf === undefined ? this.teams.poolCredit(id, person.id) : this.teams.poolCreditAsOf(id, person.id, new Date(query.asOf));
  }
}
