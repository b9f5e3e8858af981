import { deflateRawSync } from 'node:zlib';
import { loadServices } from '../services/load.js';
import { loadTemplateSets, loadSamples } from '../templates/index.js';
import { storeDictionaries } from '../gateway/core/dictionary.js';
const [services, renderer, samples] = await Promise.all([loadServices(), loadTemplateSets(), loadSamples()]);
const d = storeDictionaries(renderer, samples, services);
const last = (b: Buffer) => b.subarray(Math.max(0, b.length - 32768));
console.log('sizes full', last(d.full).length, 'small', last(d.small).length, 'offer-one-bank', last(d.templates.get('home-schooling.offer-one-bank')!).length, 'consent-accepted', last(d.templates.get('home-schooling.consent-accepted')!).length);
const docs = JSON.parse((await import('node:fs')).readFileSync('/tmp/i22r-prof/docs.json', 'utf8')) as Array<[string, string]>;
for (const [template, json] of docs) {
  const dict = json.length < 400 ? last(d.small) : last(d.templates.get(template) ?? d.full);
  const buf = Buffer.from(json);
  for (const level of [6, 4, 3, 2, 1]) {
    const N = 4000; const c = process.cpuUsage(); let size = 0;
    for (let i = 0; i < N; i++) size = deflateRawSync(buf, { dictionary: dict, level }).length;
    const u = process.cpuUsage(c);
    console.log(`${template.padEnd(34)} in ${json.length} dict ${dict.length} level ${level}: ${((u.user + u.system) / N).toFixed(1)} µs cpu, out ${size}`);
  }
}
