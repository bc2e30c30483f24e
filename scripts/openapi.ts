/**
 * Writes Kosh's OpenAPI document without starting a listener: the app is assembled on an in-memory
 * PGlite with throwaway secrets, and its document is printed to the file named on the command line
 * (or standard output). The web app's typed client is generated from this file at build time, so an
 * endpoint that changes shape breaks the web build rather than the user.
 *
 *   tsx scripts/openapi.ts web/src/api/openapi.json
 */
import { writeFileSync } from 'node:fs';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/platform/config.js';
import { openDatabase } from '../src/platform/db/database.js';

const target = process.argv[2];
// The database is opened here so that it stays in memory (the configured DATA_DIR would become a folder).
const app = await createApp({
  config: loadConfig({ LOG_LEVEL: 'silent', DATA_DIR: 'memory://', NODE_ENV: 'test' }),
  database: await openDatabase({ dataDir: 'memory://' }),
  logger: false,
  ephemeralSecrets: true,
});
try {
  const document = `${JSON.stringify(app.http.swagger(), null, 2)}\n`;
  if (target === undefined) process.stdout.write(document);
  else writeFileSync(target, document);
} finally {
  await app.close();
}
