// Not a nest new file: proves in every consumer app that forRoot() compiles
// without an argument (every option has a default), and runs the built-in
// activity worker when asked for.
import { Module } from '@nestjs/common';
import { EventBusModule } from 'nestjs-livebus';

// Private by default: no worker, no ingest route.
@Module({ imports: [EventBusModule.forRoot()] })
export class LivebusBareModule {}

@Module({ imports: [EventBusModule.forRoot({ worker: { activity: true } })] })
export class LivebusDefaultsModule {}
