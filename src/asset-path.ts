import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** src/ when run from source (tsx); dist/ in the production bundle, whose modules all sit in dist/ itself. */
const CODE_ROOT = dirname(fileURLToPath(import.meta.url));

/**
 * A file or directory read at run time rather than imported (the playground's page, the demo
 * repository), named by its path under src/. `npm run build` copies each to the same path under
 * dist/, so one path serves both.
 */
export function assetPath(pathUnderSrc: string): string {
  return join(CODE_ROOT, pathUnderSrc);
}
