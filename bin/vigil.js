#!/usr/bin/env node
// The compiled CLI; `npm ci` builds it (the `prepare` script).
import { main } from '../dist/src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
