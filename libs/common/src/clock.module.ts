import { Global, Module } from '@nestjs/common';
import { CLOCK, systemClock } from './clock';

/** Binds CLOCK to the wall clock; tests override the provider to move time. */
@Global()
@Module({ providers: [{ provide: CLOCK, useValue: systemClock }], exports: [CLOCK] })
export class ClockModule {}
