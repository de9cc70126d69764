import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Person, Role } from '@loomworks/persons';
import type { Authenticated } from '../sessions.service';

export const IS_PUBLIC = 'loomworks:public';
export const REQUIRED_ROLES = 'loomworks:roles';

/** Marks a route that needs no session (every other route does). */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** Restricts a route (or controller) to persons with one of these roles. */
export const Roles = (...roles: Role[]) => SetMetadata(REQUIRED_ROLES, roles);

export type AuthenticatedRequest = FastifyRequest & { auth?: Authenticated };

/** The signed-in person, resolved by the session guard. */
export const CurrentPerson = createParamDecorator((_: unknown, context: ExecutionContext): Person => {
  return context.switchToHttp().getRequest<AuthenticatedRequest>().auth!.person;
});

export const CurrentSessionId = createParamDecorator((_: unknown, context: ExecutionContext): string => {
  return context.switchToHttp().getRequest<AuthenticatedRequest>().auth!.sessionId;
});
