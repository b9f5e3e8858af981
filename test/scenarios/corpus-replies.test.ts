/**
 * Every reply of the shared corpus (../shared/corpus/replies.tsv: what citizens really type) sent from
 * outside, through the independent Perl SMSC, to a conversation of its own, and the gateway's reading
 * checked where a tester sees it: the consent in `assignments` (with the raw text and the bank), the
 * state through the API, and the SMS that answers. A row the corpus calls no valid reply records
 * nothing and gets the "not understood" SMS naming the exact replies. Rows whose code is left out are
 * 002's (`3#1`, `3#2`) or, when the corpus says so, resolved by the number's only open conversation.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCorpus, type CorpusRow } from '../parsers/corpus.js';
import { HALYK, KASPI, OTBASY } from '../support/core.js';
import { eventually } from '../support/gateway.js';
import { startOnPerlSmsc, WAIT_MS, type PerlGateway } from '../support/perl-gateway.js';
import { missing, perlSmsc, SHARED } from '../support/requires.js';

const skip = missing(perlSmsc);
let g: PerlGateway;
beforeAll(async () => {
  if (skip) return;
  g = await startOnPerlSmsc({ name: 'corpus', env: { SEND_WINDOW: 'always' } });
});
afterAll(async () => {
  await g?.stop();
});

// The shared corpus, or its copy in test/fixtures when shared/ is not checked out (the file is skipped then).
const CORPUS = path.join(SHARED, 'corpus', 'replies.tsv');
const rows = existsSync(CORPUS) ? readCorpus(CORPUS) : readCorpus();
/** Ten banks, so a bank number of two digits (`123#3#110`) has its bank. */
const TEN_BANKS = Array.from({ length: 10 }, (_, i) => ({
  ...[KASPI, HALYK, OTBASY][i % 3]!,
  code: `B${i + 1}`,
}));
const mealsRow = (row: CorpusRow) => row.serviceCode === null && row.why.includes('002');

/** What the gateway must make of a row, as the test's name says it. */
function reading(row: CorpusRow): string {
  if (row.answer === null) return 'not understood: help naming the valid replies, nothing recorded';
  if (row.answer === 0) return 'another bank: Appendix 2 of the integrated banks';
  if (mealsRow(row)) return row.answer === 2 ? 'refuses school meals' : 'consents to school meals';
  return row.choice === null ? 'consents with the only bank' : `consents with bank ${row.choice}`;
}

describe.skipIf(skip)('the corpus of replies through the carrier', () => {
  rows.forEach((row, i) => {
    it.concurrent(`${JSON.stringify(row.text)} (${row.why}): ${reading(row)}`, async () => {
      const phone = `7707142${String(i).padStart(4, '0')}`;
      const meals = mealsRow(row);
      const id = await g.invite({
        service: meals ? 'school-meals' : 'home-schooling',
        externalId: `corpus-${row.line}`,
        msisdn: phone,
        language: 'ru',
        params: meals
          ? { parentFullName: 'Сәуле Маратқызы', childFullName: 'Ерасыл Маратұлы' }
          : {
              fullName: 'Айгүл Сейітқызы',
              serviceCode: '123',
              banks: row.choice === null ? [KASPI] : TEN_BANKS,
              integratedBanks: [HALYK, OTBASY],
            },
      });
      await g.nthSms(phone, 1);
      await g.reply(phone, row.text);

      if (row.answer === null) {
        const help = await g.nthSms(phone, 2);
        expect(help.text).toBe('Ответ не распознан. Допустимые ответы: 123#3#1, 123#3#0.');
        await g.settled();
        expect(await g.assignments.getJob(id)).toBeUndefined();
        expect((await g.stateOf(id, 'invited')).stage).toBe('offer-one-bank');
        return;
      }
      if (row.answer === 0) {
        // Appendix 2 of the integrated banks (003, Appendix 1: "Для выбора другого банка").
        const offer = await g.nthSms(phone, 2);
        expect(offer.text).toContain('\n1. Народный банк (Halyk)\n2. Отбасы банк\n');
        expect((await g.stateOf(id, 'invited')).stage).toBe('offer-integrated');
        return;
      }
      if (meals && row.answer === 2) {
        await g.stateOf(id, 'refused');
        expect((await g.nthSms(phone, 2)).text).toBe('Вы отказались от услуги.');
        return;
      }
      await g.stateOf(id, 'consented');
      const job = await eventually(() => g.assignments.getJob(id), 'the assignment', WAIT_MS);
      const bank = meals ? null : row.choice === null ? KASPI : TEN_BANKS[row.choice - 1];
      expect(job.data).toMatchObject({ reply: { text: row.text }, bank });
    });
  });
});
