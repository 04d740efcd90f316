#!/usr/bin/env node
// The `stagegate` executable. Runs the TypeScript sources through tsx until the package is
// compiled (issue 12 moves this to the compiled dist/).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../app/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
