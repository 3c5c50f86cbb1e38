// Hand-written declarations for the generated `manifest-validator.js` (ajv standalone code built by
// schemas/generate.ts). Keep in step with the options there: allErrors and verbose, so `errors`
// lists every problem and each error carries `data`, `schema` and `parentSchema`.
import type { ErrorObject } from 'ajv';
import type { Manifest } from './manifest.ts';

export interface ManifestValidateFunction {
  /** true when `data` satisfies schemas/manifest.v1.schema.json; otherwise see `errors`. */
  (data: unknown): data is Manifest;
  /** Every schema violation found by the last call, or null after a valid document. */
  errors?: ErrorObject[] | null;
}

export declare const validate: ManifestValidateFunction;
declare const validateDefault: ManifestValidateFunction;
export default validateDefault;
