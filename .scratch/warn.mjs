import { loadStackConfig } from '/work/wt/i18kafka/local/dist/index.js';
import { KafkaBrokerService, setScramPasswords } from '/work/wt/i18kafka/local/dist/services/kafka.js';
const c = loadStackConfig();
console.log('probe', (await new KafkaBrokerService(c, 1).probe()).ok);
console.log('scram');
await setScramPasswords(c, `${c.host}:${c.kafka.ports[0]}`, [{ name: 'kafka-sink', password: (await import('node:fs')).readFileSync(c.stateDir + '/secrets/kafka-sink', 'utf8') }]);
console.log('done');
