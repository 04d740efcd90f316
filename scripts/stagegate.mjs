#!/usr/bin/env node
// The `stagegate` executable: runs the TypeScript CLI through tsx, so the platform repo needs
// no build step (`npx stagegate`, `npm run synth`, Argo CD's CMP all call this file).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./cli.ts');
process.exitCode = await main(process.argv.slice(2));
