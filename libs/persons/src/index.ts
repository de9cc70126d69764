export { PersonsModule } from './persons.module';
export { PersonsService, type CreatePersonCommand, type EngagementSummary, type StatusTransition } from './persons.service';
export type { EngagementRole } from './persistence/engagement.entity';
export {
  ACCOUNT_STATUSES,
  ROLES,
  canTransition,
  anonymizedEmail,
  PersonNotFoundError,
  EngagementNotFoundError,
  EmailTakenError,
  InvalidAccountTransitionError,
  type AccountStatus,
  type Role,
  toPersonView,
  type Person,
  type PersonView,
} from './domain/person';
export { PersonViewSchema } from './person-view.schema';
