export { classifyPgError, describePgError, sqlState, type PgFailureKind } from './errors.js';
export {
  Migrator,
  MigrationError,
  planMigrations,
  MIGRATIONS_DIR,
  type DbFlavor,
  type Migration,
} from './migrator.js';
