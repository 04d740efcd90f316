/** A staged copy of the bot tests' intent (namespace shop-staging) for the drill tests. */
import { parseAllDocuments } from 'yaml';
import { compile } from '../../../constructs/compile.js';
import { INTENT, world, type World } from '../bot/harness.js';

export const STAGED = INTENT.replace('name: checkout\n', 'name: checkout-staging\n').replace(
  'namespace: shop\n',
  'namespace: shop-staging\n',
);
export const STAGED_PATH = 'rollouts/checkout-staging.yaml';
export const STAGED_OUT = 'generated/checkout-staging.k8s.yaml';

export async function stagedWorld(): Promise<World> {
  const gen = compile([{ path: STAGED_PATH, text: STAGED }])[0]!;
  return world({ [STAGED_PATH]: STAGED, [STAGED_OUT]: gen.content });
}

export type Route = {
  name: string;
  fault?: unknown;
  route: Array<{ destination: { subset: string }; weight: number }>;
};
export function vsRoutes(yamlText: string): Route[] {
  const vs = parseAllDocuments(yamlText)
    .map((d) => d.toJS() as { kind: string; spec: { http: Route[] } })
    .find((o) => o.kind === 'VirtualService')!;
  return vs.spec.http;
}
