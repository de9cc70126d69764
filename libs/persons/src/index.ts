export { PersonsModule } from './persons.module';
export { PersonsService, type CreatePersonCommand, type StatusTransition } from './persons.service';
export {
  ACCOUNT_STATUSES,
  ROLES,
  canTransition,
  anonymizedEmail,
  PersonNotFoundError,
  EngagementNotFoundError,
  EmailTakenError,
  InvalidAccountTransitionError,
  MemberNotFoundError,
  LastOwnerError,
  LIMIT_PERIODS,
  type LimitPeriod,
  type SpendLimit,
  type Member,
  type MemberChange,
  type AccountStatus,
  type EngagementRole,
  type EngagementSummary,
  type Membership,
  type Role,
  type Person,
} from './domain/person';
export { PersonViewSchema, toPersonView, type PersonView } from './person-view';
export { personColumns, personFromRow, type PersonSqlRow } from './persistence/person-sql';
