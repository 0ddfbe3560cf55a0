import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runDecode, decodeCommand, EXIT_BAD_INPUT, EXIT_OK } from '../cli/decode.js';

const ADV = '0201061BFF99040512FC5394C37C0004FFFC040CAC364200CDCBB8334C884F';

describe('iotpipe decode', () => {
  it('prints the decoded whole advertisement as JSON and exits 0', () => {
    const r = runDecode(ADV);
    expect(r.code).toBe(EXIT_OK);
    expect(JSON.parse(r.out)).toMatchObject({
      dataFormat: 5,
      mac: 'cb:b8:33:4c:88:4f',
      temperature: 24.3,
      humidity: 53.49,
      pressure: 100044,
      measurementSequence: 205,
    });
  });

  it('accepts manufacturer data with 0x and lower case, and the same packet decodes the same', () => {
    const a = runDecode(ADV);
    const b = runDecode(`0x${ADV.slice(10).toLowerCase()}`);
    expect(b.code).toBe(EXIT_OK);
    expect(b.out).toBe(a.out);
  });

  it('uses --mac for format 3', () => {
    const r = runDecode('03291A1ECE1EFC18F94202CA0B53', 'C6:8D:C6:26:39:A6');
    expect(JSON.parse(r.out)).toMatchObject({ dataFormat: 3, mac: 'c6:8d:c6:26:39:a6', temperature: 26.3 });
  });

  it.each([
    ['', 'EMPTY'],
    ['0512FC', 'TRUNCATED'],
    ['0201061BFF4C000512FC5394C37C0004FFFC040CAC364200CDCBB8334C884F', 'NOT_RUUVI'],
    ['99040700', 'UNSUPPORTED_FORMAT'],
    ['hello', 'INVALID_HEX'],
  ])('exits 2 with a one-line reason for %j', (hex, code) => {
    const r = runDecode(hex);
    expect(r.code).toBe(EXIT_BAD_INPUT);
    expect(r.out).toMatch(new RegExp(`^iotpipe decode: ${code}: .+\\n$`));
    expect(r.out.trimEnd()).not.toContain('\n');
  });

  it('is a yargs command module named decode <hex>', () => {
    expect(decodeCommand.command).toBe('decode <hex>');
    expect(typeof decodeCommand.handler).toBe('function');
  });

  it('runs as a real yargs program: stdout + exit 0, stderr + exit 2', () => {
    const script = `
      import yargs from 'yargs';
      import { decodeCommand } from ${JSON.stringify(fileURLToPath(new URL('../cli/decode.ts', import.meta.url)))};
      // with -e there is no script path: argv[1] is the first argument
      await yargs(process.argv.slice(1)).command(decodeCommand).strict().parseAsync();
    `;
    const run = (arg: string) =>
      spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, 'decode', arg], {
        encoding: 'utf8',
        cwd: fileURLToPath(new URL('../..', import.meta.url)),
      });
    const ok = run(ADV);
    expect(ok.status).toBe(0);
    expect((JSON.parse(ok.stdout) as { temperature: number }).temperature).toBe(24.3);
    const bad = run('0xDEADBEEF');
    expect(bad.status).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/^iotpipe decode: MALFORMED_ADVERTISEMENT: .+\n$/);
  });
});
