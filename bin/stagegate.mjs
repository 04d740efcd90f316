#!/usr/bin/env node
// The `stagegate` executable: the compiled CLI (npm run build, run by `prepare`, writes dist/).
import { main } from '../dist/app/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
