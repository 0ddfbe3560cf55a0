export { describePgError } from './errors.js';
export {
  Migrator,
  MigrationError,
  planMigrations,
  chooseFlavor,
  timescaleSupport,
  FLAVOR_CHOICES,
  MIGRATIONS_DIR,
  type DbFlavor,
  type FlavorChoice,
  type Migration,
  type MigratorOptions,
  type TimescaleSupport,
} from './migrator.js';
