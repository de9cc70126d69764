import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsEmail, IsIn, IsOptional, IsString, Length, MaxLength, ValidateIf, ValidateNested } from 'class-validator';
import { CurrentPerson } from '@loomworks/auth';
import { ApiErrors, AsOfQueryDto, uuidParam } from '@loomworks/common';
import { ApiCreditOrAsOf, type CreditAsOfSchema, CreditViewSchema, LimitDto, limitOf } from '@loomworks/credit';
import type { Person } from '@loomworks/persons';
import { TeamsService } from '../teams.service';
import { MemberListSchema, MemberViewSchema } from '../views';

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

  @ApiPropertyOptional({ type: LimitDto, description: "the member's limit within the pool" })
  @IsOptional()
  @ValidateNested()
  @Type(() => LimitDto)
  limit?: LimitDto;
}

class ChangeMemberDto {
  @ApiPropertyOptional({ enum: ['owner', 'member'] })
  @IsOptional()
  @IsIn(['owner', 'member'])
  role?: 'owner' | 'member';

  @ApiPropertyOptional({ type: LimitDto, nullable: true, description: "the member's limit within the pool; null removes it" })
  @ValidateIf((_, value) => value !== null && value !== undefined)
  @ValidateNested()
  @Type(() => LimitDto)
  limit?: LimitDto | null;
}

class TeamSchema {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() personal!: boolean;
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
    return this.teams.addMember(id, person.id, { email: body.email, role: body.role, limit: body.limit && limitOf(body.limit) });
  }

  @Get(':id/members')
  @ApiOperation({ summary: 'The team’s members with their limits and spend this period (owners see everyone, a member only themself)' })
  @ApiOkResponse({ type: MemberListSchema })
  @ApiErrors('validation_failed', 'unauthenticated', 'forbidden', 'engagement_not_found')
  async members(@CurrentPerson() person: Person, @Param('id', uuidParam('id')) id: string): Promise<MemberListSchema> {
    return { items: await this.teams.members(id, person.id) };
  }

  @Patch(':id/members/:personId')
  @ApiOperation({ summary: 'Changes a member’s role or limit within the pool (owners only; never the last owner away)' })
  @ApiOkResponse({ type: MemberViewSchema })
  @ApiErrors('validation_failed', 'unauthenticated', 'forbidden', 'engagement_not_found', 'member_not_found', 'last_owner')
  changeMember(
    @CurrentPerson() person: Person,
    @Param('id', uuidParam('id')) id: string,
    @Param('personId', uuidParam('personId')) personId: string,
    @Body() body: ChangeMemberDto,
  ): Promise<MemberViewSchema> {
    return this.teams.changeMember(id, person.id, personId, {
      role: body.role,
      limit: body.limit === undefined ? undefined : body.limit && limitOf(body.limit),
    });
  }

  @Delete(':id/members/:personId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Removes a member (owners; a member may remove themself); never the last owner' })
  @ApiNoContentResponse()
  @ApiErrors('validation_failed', 'unauthenticated', 'forbidden', 'engagement_not_found', 'member_not_found', 'last_owner')
  async removeMember(@CurrentPerson() person: Person, @Param('id', uuidParam('id')) id: string, @Param('personId', uuidParam('personId')) personId: string): Promise<void> {
    await this.teams.removeMember(id, person.id, personId);
  }

  @Get(':id/credit')
  @ApiOperation({ summary: "The team pool's balances, holds and the tier they buy (members and owners); with asOf, its ledger balances at that past instant" })
  @ApiCreditOrAsOf(CreditViewSchema)
  @ApiErrors('unauthenticated', 'forbidden', 'validation_failed', 'engagement_not_found')
  credit(@CurrentPerson() person: Person, @Param('id', uuidParam('id')) id: string, @Query() query: AsOfQueryDto): Promise<CreditViewSchema | CreditAsOfSchema> {
    return query.asOf === undefined ? this.teams.poolCredit(id, person.id) : this.teams.poolCreditAsOf(id, person.id, new Date(query.asOf));
  }
}
