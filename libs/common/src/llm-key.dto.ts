import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsString, Length } from 'class-validator';

/** `{provider, apiKey}`: an LLM key to store (encrypted) for a person or an engagement. */
export class LlmKeyDto {
  @ApiProperty({ enum: ['anthropic'] })
  @IsIn(['anthropic'])
  provider!: 'anthropic';

  @ApiProperty()
  @IsString()
  @Length(1, 500)
  apiKey!: string;
}
