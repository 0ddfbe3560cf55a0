import type { Argv, CommandModule } from 'yargs';
import { decodeRuuvi, RuuviDecodeError } from '../ruuvi/index.js';

export interface DecodeResult {
  /** 0 decoded, 2 bad input. */
  code: number;
  /** JSON of the decoded packet (code 0) or a one-line reason (code 2), newline-terminated. */
  out: string;
}

export const EXIT_OK = 0;
export const EXIT_BAD_INPUT = 2;

/**
 * `iotpipe decode HEX`: decodes a Ruuvi payload, manufacturer data or whole advertisement.
 * Pure: the caller prints `out` to stdout when `code` is 0 and to stderr otherwise.
 */
export function runDecode(hex: string, mac?: string): DecodeResult {
  try {
    const m = decodeRuuvi(hex, { mac });
    return { code: EXIT_OK, out: `${JSON.stringify(m, null, 2)}\n` };
  } catch (e) {
    if (e instanceof RuuviDecodeError) return { code: EXIT_BAD_INPUT, out: `iotpipe decode: ${e.message}\n` };
    throw e;
  }
}

interface DecodeArgs {
  hex: string;
  mac?: string | undefined;
}

export const decodeCommand: CommandModule<object, DecodeArgs> = {
  command: 'decode <hex>',
  describe:
    'decode a RuuviTag / Ruuvi Air packet (payload, manufacturer data or whole advertisement) to JSON',
  builder: (y: Argv<object>) =>
    y
      .positional('hex', {
        type: 'string',
        demandOption: true,
        describe: 'hex bytes, with or without 0x, any case',
      })
      .option('mac', { type: 'string', describe: 'advertiser MAC, for formats that do not carry it (3, 6)' })
      .example(
        '$0 decode 0201061BFF99040512FC5394C37C0004FFFC040CAC364200CDCBB8334C884F',
        'a whole advertisement',
      ),
  handler: (args) => {
    const r = runDecode(String(args.hex), args.mac);
    (r.code === EXIT_OK ? process.stdout : process.stderr).write(r.out);
    process.exitCode = r.code;
  },
};
