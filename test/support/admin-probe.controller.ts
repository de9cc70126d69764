import { Controller, Get } from '@nestjs/common';
import { CurrentPerson, Roles } from '@loomworks/auth';
import type { Person } from '@loomworks/persons';

/** A test-only admin route, to prove the roles guard before the admin surface exists. */
@Controller('__admin-probe')
@Roles('admin')
export class AdminProbeController {
  @Get()
  whoami(@CurrentPerson() person: Person) {
    return { id: person.id, role: person.role };
  }
}
