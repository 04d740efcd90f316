/** PromQL syntax check with the official grammar: the first error node, or undefined. */
import { parser } from '@prometheus-io/lezer-promql';

export function promqlSyntaxError(expr: string): string | undefined {
  const tree = parser.parse(expr);
  let error: string | undefined;
  tree.iterate({
    enter: (node) => {
      if (error === undefined && node.type.isError)
        error = `syntax error at ${node.from}: …${expr.slice(Math.max(0, node.from - 20), node.from + 20)}…`;
    },
  });
  return error;
}
