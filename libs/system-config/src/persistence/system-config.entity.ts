import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'system_config' })
export class SystemConfigEntity {
  @PrimaryColumn({ type: 'text' })
  key!: string;

  /** a Fernet token of the JSON value */
  @Column({ type: 'text' })
  value!: string;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
