/** Building blocks of the intent's JSON Schema, shared by schema.ts and routing-schema.ts. */
export type Schema = Record<string, unknown>;

export const str: Schema = { type: 'string', minLength: 1 };
export const duration: Schema = { type: 'string', format: 'go-duration' };
export const int = (minimum: number, maximum?: number): Schema =>
  maximum === undefined ? { type: 'integer', minimum } : { type: 'integer', minimum, maximum };
/** A closed mapping: unknown keys are errors, so a typo never silently falls back to a default. */
export const object = (properties: Record<string, Schema>, required: string[] = []): Schema =>
  required.length > 0
    ? { type: 'object', properties, required, additionalProperties: false }
    : { type: 'object', properties, additionalProperties: false };
