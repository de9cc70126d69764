import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SystemConfigModule } from '@loomworks/system-config';
import { EngagementEntity, EngagementMemberEntity } from './persistence/engagement.entity';
import { PersonEntity } from './persistence/person.entity';
import { PersonsRepository } from './persistence/persons.repository';
import { PersonsService } from './persons.service';

@Module({
  imports: [TypeOrmModule.forFeature([PersonEntity, EngagementEntity, EngagementMemberEntity]), SystemConfigModule],
  providers: [PersonsRepository, PersonsService],
  exports: [PersonsService],
})
export class PersonsModule {}
