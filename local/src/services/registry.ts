import type { StackConfig } from '../config.js';
import { artifactPaths } from '../fetch.js';
import { httpProbe } from '../http.js';
import { findJava } from '../java.js';
import type { Program, ProbeResult, Service } from '../service.js';

/**
 * Apicurio Registry 3 (the Quarkus app archive from Maven Central), stored in the local
 * PostgreSQL, serving the Confluent-compatible API at /apis/ccompat/v7 that
 * @kafkajs/confluent-schema-registry speaks.
 *
 * Ids: Apicurio has global ids (one per version) and content ids (one per distinct schema);
 * Confluent's id means the latter — the same schema registered under two subjects has one id.
 * legacy-id-mode stays off, so the ccompat API hands out and resolves content ids, and the
 * 4-byte id in a record resolves through /schemas/ids/{id} for any Confluent client.
 */
export class RegistryService implements Service {
  readonly name = 'registry';
  readonly stage = 2;
  readonly startTimeoutMs = 120_000;
  private java = 'java';

  constructor(private readonly c: StackConfig) {}

  get managementPort(): number {
    return this.c.registry.port + 10;
  }

  ports() {
    return [
      { port: this.c.registry.port, what: 'Apicurio Registry API' },
      { port: this.managementPort, what: 'Apicurio Registry health and metrics' },
    ];
  }

  requires() {
    return [];
  }

  programs(): Program[] {
    const a = artifactPaths(this.c);
    const pg = this.c.postgres;
    const props: Record<string, string> = {
      'quarkus.http.host': this.c.host,
      'quarkus.http.port': String(this.c.registry.port),
      'quarkus.management.host': this.c.host,
      'quarkus.management.port': String(this.managementPort),
      'apicurio.storage.kind': 'sql',
      'apicurio.storage.sql.kind': 'postgresql',
      'apicurio.datasource.url': `jdbc:postgresql://${this.c.host}:${pg.port}/${pg.registryDatabase}`,
      'apicurio.datasource.username': pg.user,
      'apicurio.datasource.password': pg.password,
      'apicurio.datasource.jdbc.initial-size': '2',
      'apicurio.datasource.jdbc.min-size': '2',
      'apicurio.datasource.jdbc.max-size': '20',
      'apicurio.ccompat.legacy-id-mode.enabled': 'false',
      'apicurio.rest.deletion.group.enabled': 'true',
      'apicurio.rest.deletion.artifact.enabled': 'true',
      'apicurio.rest.deletion.artifact-version.enabled': 'true',
      'quarkus.log.level': 'WARN',
      'quarkus.log.category."io.apicurio".level': 'INFO',
    };
    return [
      {
        name: 'registry',
        command: [
          this.java,
          `-Xms128m`,
          `-Xmx${this.c.registry.heap}`,
          '-XX:+UseSerialGC',
          ...Object.entries(props).map(([k, v]) => `-D${k}=${v}`),
          '-jar',
          a.apicurioRunner,
        ],
        directory: a.apicurioHome,
        stopWaitSecs: 30,
      },
    ];
  }

  /** Apicurio 3.3 is built for Java 21. */
  async prepare(): Promise<void> {
    this.java = await findJava(21, this.c.cacheDir, 'IOTPIPE_REGISTRY_JAVA');
  }

  async probe(): Promise<ProbeResult> {
    const ready = await httpProbe(`http://${this.c.host}:${this.managementPort}/health/ready`);
    if (!ready.ok) return ready;
    const api = await httpProbe(
      `http://${this.c.host}:${this.c.registry.port}/apis/ccompat/v7/subjects`,
      (b) => b.trim().startsWith('['),
    );
    return api.ok ? { ok: true, detail: 'health ready; ccompat /subjects answers' } : api;
  }
}
