#!/usr/bin/env node
/** `fracbits-walkthrough`: runs the walkthrough with options from argv and WALKTHROUGH_* variables. */
import { parseOptions, runWalkthrough, USAGE } from './walkthrough.js';

async function main(): Promise<number> {
  let options: ReturnType<typeof parseOptions>;
  try {
    options = parseOptions(process.argv.slice(2), process.env);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  await runWalkthrough(options);
  return 0;
}

main().then(
  // Dawn keeps handles open: exit explicitly once done.
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`walkthrough failed: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
