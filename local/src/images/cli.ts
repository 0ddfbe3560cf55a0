#!/usr/bin/env node
// Stand-alone entry for the make targets: node local/dist/images/cli.js <command> [id,id...]
import { IMAGES_COMMANDS, isImagesCommand, runImagesCommand } from './commands.js';

const command = process.argv[2] ?? '';
const ids = (process.argv[3] ?? '')
  .split(/[\s,]+/)
  .map((s) => s.trim())
  .filter(Boolean);
if (!isImagesCommand(command)) {
  console.error(`usage: cli.js ${IMAGES_COMMANDS.join('|')} [id,id...]`);
  process.exitCode = 2;
} else {
  try {
    process.exitCode = await runImagesCommand(command, { ids });
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  }
}
