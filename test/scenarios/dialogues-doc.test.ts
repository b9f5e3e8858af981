import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DIALOGUES_DOC, dialoguesDoc, renderDialoguesDoc } from '../../scripts/dialogues-doc.js';
import { loadServices } from '../../services/load.js';

describe('docs/dialogues.md', () => {
  it('is generated from services/*.json (run `npm run docs:dialogues` after changing a service)', async () => {
    expect(readFileSync(DIALOGUES_DOC, 'utf8')).toBe(await dialoguesDoc(await loadServices()));
  });

  it('draws every stage of every service, with its contract state and the template it sends', async () => {
    const services = await loadServices();
    const doc = renderDialoguesDoc(services);
    for (const service of services.values()) {
      for (const [id, stage] of Object.entries(service.stages)) {
        const sends = stage.send ? `<br/>sends ${stage.send}` : '';
        expect(doc).toContain(`state "${id}<br/>state ${stage.state}${sends}" as ${id.replace(/-/g, '_')}`);
      }
    }
  });
});
