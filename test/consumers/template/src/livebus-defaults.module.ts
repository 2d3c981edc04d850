// Not a nest new file: proves in every consumer app that forRoot() compiles
// without an argument (every option has a default).
import { Module } from '@nestjs/common';
import { EventBusModule } from 'nestjs-livebus';

@Module({ imports: [EventBusModule.forRoot()] })
export class LivebusDefaultsModule {}
