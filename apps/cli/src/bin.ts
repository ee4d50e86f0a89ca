#!/usr/bin/env node
import { main } from './index.js';

main(process.argv).then(
  (code) => {
    // Dawn keeps handles open; exit explicitly once the command is done.
    process.exit(code);
  },
  (err) => {
    process.stderr.write(`fracbits: ${String(err)}\n`);
    process.exit(1);
  },
);
