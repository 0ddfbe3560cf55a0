import type { Argv, CommandModule } from 'yargs';
import { Migrator } from '../db/index.js';
import { ReadingStore } from '../sink/store.js';
import { loadSinkConfig } from '../sink/config.js';

/** `iotpipe db migrate | maintain`: the schema and its upkeep, on DATABASE_URL / POSTGRES_*. */
export const dbCommand: CommandModule = {
  command: 'db <action>',
  describe: 'database schema: migrate (apply pending migrations) or maintain (run iotpipe_maintain once)',
  builder: (y: Argv) =>
    y
      .positional('action', { choices: ['migrate', 'maintain'] as const, demandOption: true })
      .example('$0 db migrate', ''),
  handler: async (args) => {
    const c = loadSinkConfig();
    if (args.action === 'migrate') {
      const m = new Migrator({
        databaseUrl: c.connection.databaseUrl,
        flavor: c.schemaFlavor,
        log: (line) => console.error(line),
      });
      const r = await m.migrate();
      console.log(`schema at version ${r.current} (${r.flavor}); applied now: ${r.applied.length}`);
      return;
    }
    const store = new ReadingStore(c.connection.databaseUrl);
    store.start();
    try {
      const result = await store.maintain(c.partitionsAheadDays, c.archiveAfterDays, c.retentionDays);
      console.log(JSON.stringify(result));
    } finally {
      await store.stop();
    }
  },
};
