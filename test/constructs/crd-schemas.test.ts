import { describe, expect, it } from 'vitest';
import { compile } from '../../constructs/compile.js';
import { schemaProblems, type KubeObject } from '../../constructs/crd-schemas.js';
import { benchSources } from '../../tools/bench/intents.js';

/** Objects the schemas reject in different places: types, unknown keys, missing keys, lists. */
function broken(obj: KubeObject): KubeObject[] {
  const clone = () => structuredClone(obj) as Record<string, any>;
  const wrongType = clone();
  wrongType.spec.host = 42;
  const unknownKey = clone();
  unknownKey.spec.surprise = { deep: [1, 'two'] };
  const notAList = clone();
  notAList.metadata.labels = ['a'];
  const noSpec = clone();
  delete noSpec.spec;
  return [wrongType, unknownKey, notAList, noSpec] as KubeObject[];
}

describe('schemaProblems', () => {
  const objects = compile(benchSources(60)).flatMap((c) => c.objects);

  it('finds no problem in any generated object', () => {
    expect(objects.length).toBeGreaterThanOrEqual(180);
    for (const obj of objects) expect(schemaProblems(obj)).toEqual([]);
  });

  it('reports wrong types as the path and what is wrong with it', () => {
    const [wrongType, , notAList] = broken(objects[1]!);
    expect(objects[1]!.kind).toBe('DestinationRule');
    expect(schemaProblems(wrongType!)).toEqual(['spec.host must be string']);
    expect(schemaProblems(notAList!)).toEqual(['metadata.labels must be object']);
    for (const obj of objects.slice(0, 30))
      expect(schemaProblems(broken(obj)[2]!)).toEqual(['metadata.labels must be object']);
  });

  it('does not modify the object it validates', () => {
    const obj = objects[2]!;
    const before = JSON.stringify(obj);
    schemaProblems(obj);
    schemaProblems(broken(obj)[1]!);
    expect(JSON.stringify(obj)).toBe(before);
  });

  it('still names an object of a kind it has no schema for', () => {
    expect(schemaProblems({ apiVersion: 'v9', kind: 'Mystery', metadata: { name: 'x' } })).toEqual([
      'no CRD schema known for v9 Mystery',
    ]);
  });
});
