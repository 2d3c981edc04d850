// Not a nest new file: the module with every default, so the built-in
// activity worker runs from the installed package (its script is found
// through import.meta.url, also when a CommonJS app require()s the package).
import { NestFactory } from '@nestjs/core';
import { LivebusDefaultsModule } from './livebus-defaults.module.js';

async function bootstrap() {
  const app = await NestFactory.create(LivebusDefaultsModule, {
    logger: ['error', 'warn'],
  });
  app.enableShutdownHooks();
  await app.listen(process.env.PORT ?? 3000);
}
void bootstrap();
