// Regenerates docs/errors.md from the error catalogue (common/errors.ts).
import { writeFileSync } from 'node:fs';
import { renderErrorsDoc } from '../common/errors.js';

writeFileSync(new URL('../docs/errors.md', import.meta.url), renderErrorsDoc());
console.log('docs/errors.md written');
