/**
 * The preset dictionary stored documents are deflated with (store/text-codec.ts):
 * what every conversation repeats, so only what differs costs bytes. deflate
 * looks back at most 32 KiB and the nearest material is the cheapest to refer
 * to, so the template texts come first and the JSON shapes last.
 */
import { newConversation, type Conversation } from '../../dialogue/conversation.js';
import type { ServiceRegistry } from '../../services/load.js';
import type { TemplateSets } from '../../templates/index.js';
import { sampleFor } from '../../templates/table.js';
import type { Dictionaries } from '../../store/text-codec.js';

/** Every template of every set rendered with its sample values, both languages: the fixed wording of the acts. */
function templateTexts(
  sets: TemplateSets,
  samples: Record<string, Record<string, unknown>>,
  only?: string,
): string[] {
  const texts: string[] = [];
  for (const set of sets.sets) {
    for (const id of set.catalogue.ids) {
      if (!samples[id] || (only !== undefined && id !== only)) continue;
      for (const language of ['kk', 'ru'] as const)
        texts.push(set.renderer.render(id, language, sampleFor(samples, id, language)).text);
    }
  }
  return texts;
}

/** The timeline entries and consent records the engine and sender write, one per set, template and language. */
function templateRecords(sets: TemplateSets, only?: string): string[] {
  return sets.sets.flatMap((set) =>
    [...set.catalogue.entries.values()]
      .filter((entry) => only === undefined || entry.id === only)
      .flatMap((entry) =>
        (['kk', 'ru'] as const).map((language) => {
          const { sha256, header } = entry.files[language];
          const ref = `{"id":"${set.id}","sha256":"${set.sha256}"}`;
          return `{"at":1800000000000,"kind":"sms","smsId":"0.0","templateId":"${entry.id}","language":"${language}","sha256":"${sha256}","set":"${set.id}","text":"","parts":1,"encoding":"ucs2","status":"queued"}"templateSet":${ref},{"consentTemplate":{"id":"${entry.id}","language":"${language}","sha256":"${sha256}","text":"","wording":"${header.text}","set":${ref}`;
        }),
      ),
  );
}

/** A conversation document with every field, and the other timeline entries, as stored. */
function shapes(services: ServiceRegistry): string[] {
  const bank = { code: 'CASP', nameKk: 'Kaspi Bank', nameRu: 'Kaspi Bank' };
  const conv: Conversation = newConversation({
    id: 'mww9f66h6tbszdyqtu',
    service: 'home-schooling',
    externalId: '',
    msisdn: '7701',
    language: 'kk',
    params: { fullName: '', serviceCode: '123', banks: [bank], integratedBanks: [bank] },
    createdAt: 1_800_000_000_000,
    stage: 'offer-one-bank',
    version: 0,
    deadline: 1_800_000_000_000,
    offered: [bank],
  });
  // The fields an invitation's step adds last, in the order it adds them.
  const invited: Conversation = {
    ...conv,
    deadlineFrom: null,
    deadlineOnSent: 'offer-one-bank',
    invitationSmsId: '0.0',
    consentSmsId: '0.0',
    deadlineSms: '0.0',
  };
  const stages = [...services.values()].flatMap((s) =>
    Object.keys(s.stages).map((st) => `"${s.id}","${st}"`),
  );
  return [
    stages.join(','),
    '{"at":1800000000000,"kind":"sms-status","smsId":"0.0","part":0,"parts":1,"status":"delivered","stat":"DELIVRD"}',
    '{"at":1800000000000,"kind":"reply","text":"123#3#1","meaning":"","accepted":true}',
    '{"at":1800000000000,"kind":"sms-status","smsId":"0.0","status":"sent","messageIds":["0"],"encoding":"ucs2"}',
    '{"at":1800000000000,"kind":"transition","from":"invited","to":"invited","stage":"offer-one-bank","cause":"invitation"}',
    JSON.stringify(invited),
  ];
}

/**
 * The dictionaries: `full` (templates, then records per template, then document shapes, nearest
 * last) for documents holding SMS texts, `small` (shapes only) for short timeline entries, and
 * one per template (its texts and records, then the shapes) for a document holding its text.
 */
export function storeDictionaries(
  renderer: TemplateSets,
  samples: Record<string, Record<string, unknown>>,
  services: ServiceRegistry,
): Dictionaries & { small: Buffer; templates: Map<string, Buffer> } {
  const shaped = shapes(services);
  const join = (parts: string[]) => Buffer.from(parts.join('\n'), 'utf8');
  const templates = new Map(
    [...new Set(renderer.sets.flatMap((set) => set.catalogue.ids))].map((id) => [
      id,
      join([...templateTexts(renderer, samples, id), ...templateRecords(renderer, id), ...shaped]),
    ]),
  );
  return {
    full: join([...templateTexts(renderer, samples), ...templateRecords(renderer), ...shaped]),
    small: join(shaped),
    templates,
  };
}
