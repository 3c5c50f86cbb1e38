// `node --import ./test/helpers/ts-loader.mjs file.ts` runs TypeScript on Node 20 (no built-in type
// stripping there) through tsx's ESM loader. Used by `npm run generate`; tests run under vitest instead.
import { register } from 'tsx/esm/api';

register();
