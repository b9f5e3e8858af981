/**
 * The observability pack (ops/): every query of the Grafana dashboard and every alerting rule
 * uses metrics the gateway really exports (read from a running gateway's /metrics) and is valid
 * PromQL; the rules pass their promtool unit tests; the Prometheus configuration is valid.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { missing, promtool, REPO } from '../support/requires.js';

const run = promisify(execFile);
const OPS = path.join(REPO, 'ops');
const skip = missing(promtool);

interface Panel {
  readonly title?: string;
  readonly type: string;
  readonly targets?: ReadonlyArray<{ readonly expr: string }>;
}
const dashboard = JSON.parse(
  readFileSync(path.join(OPS, 'grafana/dashboards/gateway-1414.json'), 'utf8'),
) as {
  panels: Panel[];
};
const queries = dashboard.panels.flatMap((p) =>
  (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })),
);
const rules = readFileSync(path.join(OPS, 'prometheus/rules.yml'), 'utf8');
const ruleExprs = [...rules.matchAll(/expr: (?:>-\n)?((?:.+\n)(?: {12}.+\n)*)/g)].map((m) => m[1]!.trim());

/** The metric names a PromQL expression reads (the gateway's, Node's and Prometheus' own `up`). */
function metricsOf(expr: string): string[] {
  const withoutMatchers = expr.replace(/\{[^}]*\}/g, '{}').replace(/"[^"]*"/g, '""');
  return [...withoutMatchers.matchAll(/\b((?:gateway|smpp|nodejs|process)_[a-z0-9_]+)\b/g)].map((m) => m[1]!);
}

/** Every series name /metrics can carry: each `# TYPE`, and a histogram's _bucket, _sum and _count. */
function exported(text: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name!);
    if (type === 'histogram' || type === 'summary')
      for (const s of ['_bucket', '_sum', '_count']) names.add(name! + s);
  }
  return names;
}

/** The HELP text of every metric /metrics carries. */
function helps(text: string): Map<string, string> {
  return new Map([...text.matchAll(/^# HELP (\S+) (.*)$/gm)].map((m) => [m[1]!, m[2]!.trim()]));
}

/**
 * The gateway's metric names the operator's documents give (README and docs/, without
 * performance.md, whose `gateway_cpu_ms_per_…` are benchmark figures, not metrics); a histogram's
 * `_bucket`, `_sum` and `_count` count as named too.
 */
function documented(): Map<string, string[]> {
  const docs = path.join(REPO, 'docs');
  const files = [
    path.join(REPO, 'README.md'),
    ...readdirSync(docs)
      .filter((f) => f.endsWith('.md') && f !== 'performance.md')
      .map((f) => path.join(docs, f)),
    ...readdirSync(path.join(docs, 'decisions')).map((f) => path.join(docs, 'decisions', f)),
  ];
  const named = new Map<string, string[]>();
  for (const file of files)
    for (const [name] of readFileSync(file, 'utf8').matchAll(/\b(?:gateway|smpp)_[a-z0-9_]*[a-z0-9]\b/g))
      named.set(name, [...(named.get(name) ?? []), path.relative(REPO, file)]);
  return named;
}

/** Gauges every process reads from Redis (docs/operations.md): the same figure in each of them. */
const FROM_REDIS = new Set([
  'gateway_queue_jobs',
  'gateway_queue_oldest_waiting_seconds',
  'gateway_conversations',
  'gateway_conversations_waiting',
  'gateway_sms_held',
  'gateway_held_overdue',
  'gateway_outbox_dead',
  'gateway_campaign_progress',
  'gateway_audit_entries',
  'gateway_audit_entries_limit',
]);

let t: TestGateway;
let metricsText: string;
let names: Set<string>;
beforeAll(async () => {
  // A portability file, so its metrics (docs/operations.md) are exported too.
  const ported = path.join(mkdtempSync(path.join(tmpdir(), 'ported-')), 'ported.txt');
  writeFileSync(ported, '77011234567 DEFAULT\n');
  t = await startTestGateway({ env: { PORTABILITY_FILE: ported } });
  metricsText = await (await fetch(`${t.gateway.httpUrl}/metrics`)).text();
  names = exported(metricsText);
});
afterAll(async () => {
  await t?.stop();
});

describe('the metrics beside the dashboard', () => {
  it('count the HTTP server refusals (docs/operations.md)', () => {
    expect(names).toContain('gateway_http_refused_total');
  });
});

describe('the metrics beside the documents', () => {
  it('every metric a document names is exported', () => {
    const absent = [...documented()].filter(([name]) => !names.has(name));
    expect(Object.fromEntries(absent)).toEqual({});
  });

  it("every metric of the gateway is in the operator's documents (operations.md or smpp.md)", () => {
    const text = ['docs/operations.md', 'docs/smpp.md']
      .map((f) => readFileSync(path.join(REPO, f), 'utf8'))
      .join('\n');
    const ours = [...helps(metricsText).keys()].filter((n) => /^(gateway|smpp)_/.test(n));
    expect(ours.length).toBeGreaterThan(40);
    expect(ours.filter((n) => !new RegExp(`\\b${n}\\b`).test(text))).toEqual([]);
  });

  it("smpp.md's tables name each metric's labels as it exports them", async () => {
    const rows = [
      ...readFileSync(path.join(REPO, 'docs/smpp.md'), 'utf8').matchAll(
        /^\| `((?:gateway|smpp)_[a-z0-9_]+)` +\| ([^|]*)\|/gm,
      ),
    ].map(([, name, labels]) => [name!, [...labels!.matchAll(/`(\w+)`/g)].map((m) => m[1]!).sort()] as const);
    expect(rows.length).toBeGreaterThan(20);
    const exportedLabels = new Map(
      (await t.gateway.metrics.getMetricsAsJSON()).map((m) => [
        m.name,
        [...new Set(m.values.flatMap((v) => Object.keys(v.labels)))],
      ]),
    );
    const declared = new Map(
      t.gateway.metrics
        .getMetricsAsArray()
        .map((m) => [
          (m as unknown as { name: string }).name,
          (m as unknown as { labelNames?: string[] }).labelNames,
        ]),
    );
    const wrong = rows.filter(([name, labels]) => {
      const real = declared.get(name) ?? exportedLabels.get(name) ?? [];
      return JSON.stringify([...real].sort()) !== JSON.stringify(labels);
    });
    expect(
      wrong.map(([name, labels]) => `${name}: ${labels.join(', ')} (exports ${String(declared.get(name))})`),
    ).toEqual([]);
  });

  it('every metric has a HELP text saying more than its name', () => {
    const help = helps(metricsText);
    expect(help.size).toBeGreaterThan(40);
    expect([...help].filter(([name, text]) => text.length < 10 || text === name).map(([n]) => n)).toEqual([]);
  });
});

describe('the Grafana dashboard', () => {
  it('covers binds, throughput, receipts, replies, deadlines, queues and campaigns', () => {
    const all = queries.map((q) => q.expr).join('\n');
    for (const metric of [
      'smpp_bind_state',
      'smpp_submits_total',
      'smpp_deliver_sm_total',
      'gateway_inbound_processed_total',
      'gateway_deadlines_total',
      'gateway_queue_jobs',
      'gateway_queue_oldest_waiting_seconds',
      'gateway_campaign_progress',
      'gateway_conversations',
      'gateway_http_requests_total',
      'gateway_build_info',
    ])
      expect(all).toContain(metric);
  });

  it.each(queries.filter((q) => metricsOf(q.expr).some((m) => FROM_REDIS.has(m))))(
    '$panel: $expr takes the largest of the processes, not their sum, of a figure read from Redis',
    ({ expr }) => {
      // Every process (edge, workers, api) exports the same figure: summed, it would count each
      // queued job or conversation once per process.
      expect(expr).toMatch(/^max\b/);
    },
  );

  it.each(queries)('$panel: $expr reads only metrics the gateway exports', ({ expr }) => {
    const used = metricsOf(expr);
    expect(used.length).toBeGreaterThan(0);
    expect(used.filter((m) => !names.has(m))).toEqual([]);
  });

  it.skipIf(skip)('has only valid PromQL (promtool checks each query as a recording rule)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dashboard-'));
    const file = path.join(dir, 'queries.yml');
    const recorded = queries.map(
      (q, i) => `      - record: dashboard:query${i}\n        expr: ${JSON.stringify(q.expr)}`,
    );
    writeFileSync(file, `groups:\n  - name: dashboard\n    rules:\n${recorded.join('\n')}\n`);
    const { stdout } = await run(promtool().found!, ['check', 'rules', file]);
    expect(stdout).toContain(`SUCCESS: ${queries.length} rules found`);
  });
});

describe.skipIf(skip)('the Prometheus rules', () => {
  it('read only metrics the gateway exports', () => {
    expect(ruleExprs.length).toBeGreaterThanOrEqual(10);
    for (const expr of ruleExprs)
      expect(
        metricsOf(expr).filter((m) => !names.has(m)),
        expr,
      ).toEqual([]);
  });

  it("are the alerts of operations.md's table, each with a unit test in rules.test.yml", () => {
    const alerts = [...rules.matchAll(/- alert: (\w+)/g)].map((m) => m[1]!);
    const table = readFileSync(path.join(REPO, 'docs/operations.md'), 'utf8').split(
      '## Alerts worth having',
    )[1]!;
    const documented = [...table.split('\n## ')[0]!.matchAll(/\(`([A-Z][a-z]\w+)`/g)].map((m) => m[1]!);
    expect(documented.sort()).toEqual([...alerts].sort());
    const tests = readFileSync(path.join(OPS, 'prometheus/rules.test.yml'), 'utf8');
    const tested = new Set([...tests.matchAll(/alertname: (\w+)/g)].map((m) => m[1]!));
    expect(alerts.filter((a) => !tested.has(a))).toEqual([]);
  });

  it('pass promtool check rules and their unit tests, and the Prometheus configuration is valid', async () => {
    const cwd = path.join(OPS, 'prometheus');
    expect((await run(promtool().found!, ['check', 'rules', 'rules.yml'], { cwd })).stdout).toContain(
      'SUCCESS',
    );
    expect((await run(promtool().found!, ['test', 'rules', 'rules.test.yml'], { cwd })).stdout).toContain(
      'SUCCESS',
    );
    expect((await run(promtool().found!, ['check', 'config', 'prometheus.yml'], { cwd })).stdout).toContain(
      'SUCCESS',
    );
  });
});
