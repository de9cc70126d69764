import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SystemConfigEntity } from './persistence/system-config.entity';
import { SystemConfigRepository } from './persistence/system-config.repository';
import { SecretBox } from './secret-box.service';
import { SystemConfigService } from './system-config.service';

@Module({
  imports: [TypeOrmModule.forFeature([SystemConfigEntity])],
  providers: [SystemConfigRepository, SecretBox, SystemConfigService],
  exports: [SecretBox, SystemConfigService],
})
export class SystemConfigModule {}
