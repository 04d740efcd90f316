/**
 * One rule-cost run per line of output, for long measurements (issue 17): `npm run bench -- --only
 * rules` prints its report only after every size; this prints each (variant, size) as it finishes.
 * Usage: bash tools/node.sh --import tsx tools/bench/rule-cost-drive.ts <out-dir> <variant>:<size>...
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FULL_RULE_COST } from './run.js';
import { RULE_COST_VARIANTS, renderRuleCost, runRuleCostBench, type RuleCostVariant } from './rule-cost.js';

const [out, ...runs] = process.argv.slice(2);
if (!out || runs.length === 0) throw new Error('usage: rule-cost-drive.ts <out-dir> <variant>:<size>...');
for (const run of runs) {
  const [variant, size] = run.split(':');
  if (!(RULE_COST_VARIANTS as readonly string[]).includes(variant!) || !Number(size))
    throw new Error(`"${run}" is not <variant>:<size> (variants: ${RULE_COST_VARIANTS.join(', ')})`);
  const report = await runRuleCostBench({
    ...FULL_RULE_COST,
    sizes: [Number(size)],
    variant: variant as RuleCostVariant,
    timeoutMs: 1_800_000,
    log: (line) => console.error(line),
  });
  writeFileSync(join(out, `${variant}-${size}.json`), `${JSON.stringify(report, null, 2)}\n`);
  console.log(renderRuleCost(report)[1]);
}
