// Turns the benchmark's raw rounds into medians, paired ratios and target verdicts, as a Markdown
// report for the terminal and for docs/benchmarks.md.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { median, spread } from './stats.mjs';

const MIB = 1024 * 1024;
const BEGIN = '<!-- bench:results:begin (written by `npm run bench`; edit the text around it, not inside) -->';
const END = '<!-- bench:results:end -->';

/** What the report says about the machine: CPU, cores, memory, OS, Node. */
export function machineInfo() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model?.trim() ?? 'unknown CPU',
    cores: cpus.length,
    memoryGb: Math.round(os.totalmem() / 1024 ** 3),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
  };
}

const fmt = {
  us: (v) => (Number.isFinite(v) ? `${v < 10 ? v.toFixed(1) : Math.round(v)} µs` : '—'),
  usBare: (v) => (Number.isFinite(v) ? (v < 10 ? v.toFixed(1) : String(Math.round(v))) : '?'),
  ms: (v) => (Number.isFinite(v) ? (v >= 100 ? `${Math.round(v)} ms` : `${v.toFixed(1)} ms`) : '—'),
  rate: (v) => (Number.isFinite(v) ? `${Math.round(v).toLocaleString('en-US')}/s` : '—'),
  ratio: (v) => (Number.isFinite(v) ? `${v.toFixed(2)}×` : '—'),
  mb: (kb) => (Number.isFinite(kb) ? `${Math.round(kb / 1024)} MB` : '—'),
  mbps: (v) => (Number.isFinite(v) ? `${Math.round(v)} MB/s` : '—'),
  signed: (v, unit) => (Number.isFinite(v) ? `${v >= 0 ? '+' : '−'}${Math.abs(Math.round(v))} ${unit}` : '—'),
  spread: (v) => (Number.isFinite(v) && v > 0 ? ` ±${Math.round(v * 50)}%` : ''),
};

/** Median of `pick(round)` over rounds, with its spread. */
function across(rounds, pick) {
  const values = rounds.map(pick).filter((v) => Number.isFinite(v));
  return { value: median(values), spread: spread(values), values };
}

/**
 * Summarises the raw results: per system medians, ratios against direct paired within each round,
 * and the verdict on each target of the issue.
 * @returns {{ markdown: string, summary: object, targets: object[] }}
 */
export function renderReport(results) {
  const systems = results.systems;
  const summary = { calls: {}, big: {}, lists: {}, startup: {} };

  for (const { key } of results.calls ? systems : []) {
    const calls = results.calls;
    const s = {
      p50: across(calls, (r) => r[key].p50),
      p99: across(calls, (r) => r[key].p99),
      throughput: {},
      throughputRatio: {},
    };
    for (const inFlight of results.settings.inFlight) {
      s.throughput[inFlight] = across(calls, (r) => r[key].throughput[inFlight]);
      s.throughputRatio[inFlight] = across(calls, (r) => r[key].throughput[inFlight] / r.direct.throughput[inFlight]);
    }
    s.addedP50 = across(calls, (r) => r[key].p50 - r.direct.p50);
    s.addedP99 = across(calls, (r) => r[key].p99 - r.direct.p99);
    s.cpuPerCallUs = across(calls, (r) => r[key].cpuPerCallUs);
    s.cpuTotalUs = across(calls, (r) => Object.values(r[key].cpuPerCall ?? {}).reduce((a, b) => a + b, 0) || NaN);
    s.cpuClientUs = across(calls, (r) => r[key].cpuPerCall?.client);
    s.cpuUpstreamUs = across(calls, (r) => r[key].cpuPerCall?.upstream);
    s.rssIdleKb = results.rssIdleKb?.[key];
    s.rssCallsKb = results.rssAfterCallsKb?.[key];
    summary.calls[key] = s;

    const big = {};
    for (const { mib } of results.settings.big) {
      big[mib] = {
        ms: across(results.big, (r) => r[key][mib]),
        mbps: across(results.big, (r) => (mib * MIB) / 1e6 / (r[key][mib] / 1000)),
        ratio: across(results.big, (r) => r.direct[mib] / r[key][mib]),
      };
    }
    const [small, large] = results.settings.big.map((b) => b.mib);
    big.sizeRatio = across(results.big, (r) => r[key][large] / r[key][small]);
    big.rssKb = results.rssAfterBigKb?.[key];
    summary.big[key] = big;
  }

  const listKeys = results.lists ? ['direct', 'gateway', 'filtered'] : [];
  const toolCounts = Object.keys(results.lists ?? {}).map(Number).sort((a, b) => a - b);
  for (const key of listKeys) {
    const entry = {};
    for (const tools of toolCounts) {
      entry[tools] = { ms: across(results.lists[tools], (r) => r[key]), ratio: across(results.lists[tools], (r) => r[key] / r.direct) };
    }
    const [fewer, more] = [toolCounts[0], toolCounts[toolCounts.length - 1]];
    entry.growth = across(
      results.lists[fewer].map((r, i) => ({ a: r[key], b: results.lists[more][i]?.[key] })),
      (p) => p.b / p.a,
    );
    summary.lists[key] = entry;
  }

  if (results.startup) {
    summary.startup.slowestUpstream = across(results.startup, (r) => r.slowestUpstream);
    summary.startup.slowestUpstreamList = across(results.startup, (r) => r.slowestUpstreamList);
  }
  for (const key of results.startup ? ['gateway', 'filtered'] : []) {
    summary.startup[key] = {
      ms: across(results.startup, (r) => r[key]),
      added: across(results.startup, (r) => r[key] - r.slowestUpstream),
      listMs: across(results.startup, (r) => r[`${key}List`]),
      listAdded: across(results.startup, (r) => r[`${key}List`] - r.slowestUpstreamList),
    };
  }

  summary.ratios = ratiosOf(results, summary);
  const targets = evaluateTargets(summary, results);
  const ratioTargets = evaluateRatioTargets(summary.ratios);
  return { markdown: markdownOf(results, summary, targets, ratioTargets), summary, targets, ratioTargets };
}

/** The result size issue #12's large-result target is judged on: 1 MiB, or the smallest size measured. */
function referenceMib(results) {
  const sizes = results.settings.big.map((b) => b.mib);
  return sizes.includes(1) ? 1 : Math.min(...sizes);
}

/**
 * Issue #12's figures, each a ratio paired within a round (numerator and denominator measured in the
 * same round, so load that slows the whole machine cancels out) or an absolute figure the issue
 * states as one. The direct path's CPU per call is what the client and the upstream spend on it.
 */
function ratiosOf(results, summary) {
  const ratios = {};
  const directCpu = (r) => (r.direct.cpuPerCall ? r.direct.cpuPerCall.client + r.direct.cpuPerCall.upstream : NaN);
  if (results.calls) {
    for (const key of ['gateway', 'filtered']) {
      if (!results.calls[0]?.[key]) continue;
      ratios[`${key}Cpu`] = {
        ratio: across(results.calls, (r) => r[key].cpuPerCall?.proxy / directCpu(r)),
        numerator: across(results.calls, (r) => r[key].cpuPerCall?.proxy),
        denominator: across(results.calls, directCpu),
      };
      ratios[`${key}PeakRssKb`] = summary.calls[key].rssCallsKb;
    }
  }
  if (results.big && results.big[0]?.filtered) {
    const mib = referenceMib(results);
    ratios.filteredBig = {
      mib,
      ratio: across(results.big, (r) => r.filtered[mib] / r.direct[mib]),
      numerator: across(results.big, (r) => r.filtered[mib]),
      denominator: across(results.big, (r) => r.direct[mib]),
    };
  }
  if (results.startup) {
    ratios.filteredFirstList = {
      added: summary.startup.filtered.listAdded,
      gateway: summary.startup.filtered.listMs,
      upstream: summary.startup.slowestUpstreamList,
    };
  }
  return ratios;
}

/** Issue #12's targets, judged on the figures of this run (null where a part was not run). */
function evaluateRatioTargets(ratios) {
  const targets = [];
  const add = (what, figure, limit, shown, unit = fmt.ratio) =>
    targets.push(
      Number.isFinite(figure?.value)
        ? { what, value: figure.value, limit, shown: shown(), range: rangeOf(figure, unit), met: figure.value <= limit }
        : { what, value: null, limit, shown: 'not measured', range: '', met: false, missing: true },
    );
  const cpu = (key, limit) => {
    const c = ratios[`${key}Cpu`];
    add(`${NAMES[key]}: gateway CPU per small \`tools/call\` ÷ direct's (client + upstream) ≤ ${limit}×`, c?.ratio, limit, () => `${fmt.ratio(c.ratio.value)} (${fmt.us(c.numerator.value)} ÷ ${fmt.us(c.denominator.value)})`);
  };
  cpu('gateway', 0.8);
  cpu('filtered', 2.5);
  const big = ratios.filteredBig;
  add(`filters + audit: a ${big?.mib ?? 1} MiB result's time ÷ direct's ≤ 3×`, big?.ratio, 3, () => `${fmt.ratio(big.ratio.value)} (${fmt.ms(big.numerator.value)} ÷ ${fmt.ms(big.denominator.value)})`);
  for (const key of ['gateway', 'filtered']) {
    const kb = ratios[`${key}PeakRssKb`];
    add(`${NAMES[key]}: peak RSS of the throughput run ≤ 80 MB`, { value: kb / 1024 }, 80, () => fmt.mb(kb));
  }
  const list = ratios.filteredFirstList;
  add(
    'filters + audit: first `tools/list` after start-up ≤ +150 ms over the slowest upstream alone',
    list?.added,
    150,
    () => `${fmt.signed(list.added.value, 'ms')} (${fmt.ms(list.gateway.value)} − ${fmt.ms(list.upstream.value)})`,
    (v) => fmt.signed(v, 'ms'),
  );
  return targets;
}

/** "1.20× … 1.60× (3 rounds)": the lowest and highest round, where there were several. */
function rangeOf(figure, unit) {
  const values = figure.values ?? [];
  if (values.length < 2) return '';
  return `${unit(Math.min(...values))} … ${unit(Math.max(...values))} (${values.length} rounds)`;
}

const NAMES = { gateway: 'no plugins', filtered: 'filters + audit' };

/** The targets, each with the figure it is judged on (null when that part was not run). */
function evaluateTargets(summary, results) {
  const { calls, big, lists, startup } = summary;
  const [small, large] = results.settings.big.map((b) => b.mib);
  const toolCounts = results.settings.listTools;
  const toolsGrowth = toolCounts[toolCounts.length - 1] / toolCounts[0];
  const sizeGrowth = large / small;
  const targets = [];
  const add = (what, value, shown, met) =>
    targets.push(Number.isFinite(value) ? { what, value, shown: shown(value), met: met(value) } : { what, value: null, shown: 'not measured', met: false, missing: true });
  add('filters + audit: throughput at 64 in flight ≥ 0.5× direct', calls.filtered?.throughputRatio[64].value, fmt.ratio, (v) => v >= 0.5);
  add('filters + audit: added p50 ≤ 120 µs', calls.filtered?.addedP50.value, (v) => fmt.signed(v, 'µs'), (v) => v <= 120);
  add(`filters + audit: ${small} MiB results ≥ 0.5× direct MB/s`, big.filtered?.[small].ratio.value, fmt.ratio, (v) => v >= 0.5);
  add('no plugins: throughput at 64 in flight ≥ 0.6× direct', calls.gateway?.throughputRatio[64].value, fmt.ratio, (v) => v >= 0.6);
  add('no plugins: added p50 ≤ 60 µs', calls.gateway?.addedP50.value, (v) => fmt.signed(v, 'µs'), (v) => v <= 60);
  for (const key of ['gateway', 'filtered']) {
    add(`${NAMES[key]}: a ${large} MiB result takes ≤ ${sizeGrowth * 1.2}× a ${small} MiB one`, big[key]?.sizeRatio.value, fmt.ratio, (v) => v <= sizeGrowth * 1.2);
  }
  for (const key of ['gateway', 'filtered']) {
    add(`${NAMES[key]}: tools/list linear (${toolsGrowth}× the tools take ≤ ${toolsGrowth * 1.2}× the time)`, lists[key]?.growth.value, fmt.ratio, (v) => v <= toolsGrowth * 1.2);
  }
  for (const key of ['gateway', 'filtered']) {
    add(`${NAMES[key]}: gateway peak RSS ≤ 80 MB under the throughput run`, calls[key]?.rssCallsKb, fmt.mb, (kb) => kb / 1024 <= 80);
  }
  for (const key of ['gateway', 'filtered']) {
    add(`${NAMES[key]}: start-up adds ≤ 150 ms to the slowest upstream's`, startup[key]?.added.value, (v) => fmt.signed(v, 'ms'), (v) => v <= 150);
  }
  return targets;
}

function row(cells) {
  return `| ${cells.join(' | ')} |`;
}

function markdownOf(results, summary, targets, ratioTargets) {
  const { machine } = results;
  const lines = [];
  const load = (l) => l.map((v) => v.toFixed(1)).join(' ');
  lines.push(
    `Run of ${results.date.slice(0, 16).replace('T', ' ')} UTC on ${machine.cpu} (${machine.cores} cores, ${machine.memoryGb} GB, ${machine.os}, Node ${machine.node}). ` +
      `Load average ${load(results.loadBefore)} before and ${load(results.loadAfter)} after (other jobs shared the machine). ` +
      `${results.settings.rounds} rounds with the systems interleaved; each figure is the median over rounds, ratios and differences are paired within a round, ` +
      `and ±x% is half the spread (max − min) of the rounds around that median. The whole run took ${Math.round(results.seconds)} s.`,
  );
  const busiest = Math.max(results.loadBefore[0], results.loadAfter[0]);
  if (busiest > machine.cores) {
    lines.push(
      '',
      `**The machine was busy:** a load average of ${busiest.toFixed(1)} on ${machine.cores} cores. Times, throughput and start-up figures ` +
        'measure the other jobs as much as the gateway; the CPU-per-call ratios hold up best, and a quiet run is needed before judging the rest.',
    );
  }
  if (results.launch) {
    const how = results.launch.how === 'readme' ? 'as the README shows, with no Node flags' : "with the flags of its shebang, as the extension and `./dist/gateway.js` run it";
    lines.push('', `The gateway was started as \`node ${results.launch.args.join(' ')} --config …\` (${how}).`);
  }
  if (results.calls) callSections(lines, results, summary);
  if (results.lists) listSection(lines, results, summary);
  if (results.startup) startupSection(lines, summary);
  // The earlier issue's targets; a ratios-only run measures too little of them to be worth a table.
  if (results.profile !== 'ratios') {
    lines.push('', '### Targets', '', row(['target', 'measured', 'met']), row(['---', '---:', ':---:']));
    for (const target of targets) lines.push(row([target.what, target.shown, target.missing ? '—' : target.met ? 'yes' : '**no**']));
  }
  lines.push(
    '',
    '### Targets (issue #12)',
    '',
    'Ratios are paired within a round (both sides measured in the same round) and reported as the median over rounds, with the lowest and highest round beside it.',
    '',
    row(['target', 'measured (median)', 'rounds', 'verdict']),
    row(['---', '---:', '---:', ':---:']),
  );
  for (const target of ratioTargets) lines.push(row([target.what, target.shown, target.range || '—', target.missing ? '—' : target.met ? 'MET' : '**MISSED**']));
  lines.push('', `Gateway bundle: ${(results.gatewayBundleBytes / 1e6).toFixed(2)} MB. Audit log written during the run: ${((results.auditBytes ?? 0) / 1e6).toFixed(1)} MB.`);
  return lines.join('\n');
}

function cell(key, main, extra) {
  return key === 'direct' ? main : `${main} (${extra})`;
}

function callSections(lines, results, summary) {
  const systems = results.systems;
  const labels = systems.map((s) => s.label);
  lines.push('', '### tools/call with a small result (`echo "hello world <n>"`, a different text each call)', '', row(['', ...labels]), row(['---', ...labels.map(() => '---:')]));
  const c = summary.calls;
  lines.push(row(['p50 round trip, one at a time', ...systems.map(({ key }) => cell(key, fmt.us(c[key].p50.value) + fmt.spread(c[key].p50.spread), fmt.signed(c[key].addedP50.value, 'µs')))]));
  lines.push(row(['p99 round trip, one at a time', ...systems.map(({ key }) => cell(key, fmt.us(c[key].p99.value), fmt.signed(c[key].addedP99.value, 'µs')))]));
  for (const inFlight of results.settings.inFlight) {
    lines.push(
      row([
        `throughput, ${inFlight} in flight`,
        ...systems.map(({ key }) => cell(key, fmt.rate(c[key].throughput[inFlight].value) + fmt.spread(c[key].throughput[inFlight].spread), fmt.ratio(c[key].throughputRatio[inFlight].value))),
      ]),
    );
  }
  lines.push(row(['CPU per call at 64 in flight: proxy process', ...systems.map(({ key }) => (key === 'direct' ? '—' : fmt.us(c[key].cpuPerCallUs.value)))]));
  lines.push(row(['CPU per call at 64 in flight: client + proxy + upstream', ...systems.map(({ key }) => `${fmt.us(c[key].cpuTotalUs.value)} (${fmt.usBare(c[key].cpuClientUs.value)} + ${key === 'direct' ? '0' : fmt.usBare(c[key].cpuPerCallUs.value)} + ${fmt.usBare(c[key].cpuUpstreamUs.value)})`)]));
  lines.push(row(['RSS of the proxy process after start-up', ...systems.map(({ key }) => (key === 'direct' ? '—' : fmt.mb(c[key].rssIdleKb)))]));
  lines.push(row(['peak RSS of the proxy process after these runs', ...systems.map(({ key }) => (key === 'direct' ? '—' : fmt.mb(c[key].rssCallsKb)))]));

  const b = summary.big;
  const sizes = results.settings.big.map((x) => x.mib);
  lines.push('', '### Large results (clean English prose, one call at a time)', '', row(['', ...labels]), row(['---', ...labels.map(() => '---:')]));
  for (const mib of sizes) {
    lines.push(
      row([
        `${mib} MiB result`,
        ...systems.map(({ key }) => cell(key, `${fmt.ms(b[key][mib].ms.value)}, ${fmt.mbps(b[key][mib].mbps.value)}${fmt.spread(b[key][mib].ms.spread)}`, fmt.ratio(b[key][mib].ratio.value))),
      ]),
    );
  }
  if (sizes.length > 1) lines.push(row([`time of ${sizes[1]} MiB / time of ${sizes[0]} MiB`, ...systems.map(({ key }) => fmt.ratio(b[key].sizeRatio.value))]));
  lines.push(row(['peak RSS of the proxy process after these runs', ...systems.map(({ key }) => (key === 'direct' ? '—' : fmt.mb(b[key].rssKb)))]));
}

function listSection(lines, results, summary) {
  const l = summary.lists;
  const counts = Object.keys(results.lists).map(Number).sort((x, y) => x - y);
  const servers = results.settings.listServers;
  const listLabels = ['direct (one server with all the tools)', 'gateway, no plugins', 'gateway, 3 filters + audit'];
  lines.push('', `### tools/list over ${servers} upstreams (fresh session per measurement)`, '', row(['', ...listLabels]), row(['---', ...listLabels.map(() => '---:')]));
  for (const tools of counts) {
    lines.push(row([`${servers} × ${tools} tools`, ...['direct', 'gateway', 'filtered'].map((key) => cell(key, fmt.ms(l[key][tools].ms.value) + fmt.spread(l[key][tools].ms.spread), fmt.ratio(l[key][tools].ratio.value)))]));
  }
  lines.push(row([`time for ${counts[counts.length - 1]} tools each / for ${counts[0]}`, ...['direct', 'gateway', 'filtered'].map((key) => fmt.ratio(l[key].growth.value))]));
}

function startupSection(lines, summary) {
  const s = summary.startup;
  lines.push(
    '',
    '### Start-up: 3 upstreams (one with 1000 tools)',
    '',
    row(['', 'slowest upstream alone', 'gateway, no plugins', 'gateway, 3 filters + audit']),
    row(['---', '---:', '---:', '---:']),
    row(['spawn → `initialize` answered', fmt.ms(s.slowestUpstream.value) + fmt.spread(s.slowestUpstream.spread), ...['gateway', 'filtered'].map((key) => `${fmt.ms(s[key].ms.value)} (${fmt.signed(s[key].added.value, 'ms')})`)]),
    row(['spawn → first `tools/list` answered', fmt.ms(s.slowestUpstreamList.value) + fmt.spread(s.slowestUpstreamList.spread), ...['gateway', 'filtered'].map((key) => `${fmt.ms(s[key].listMs.value)} (${fmt.signed(s[key].listAdded.value, 'ms')})`)]),
  );
}

/** Replaces the results section of the benchmarks page (between its markers), keeping the rest. */
export function updateDoc(file, markdown) {
  const block = `${BEGIN}\n\n${markdown}\n\n${END}`;
  let text = existsSync(file) ? readFileSync(file, 'utf8') : `# Benchmarks\n\n## Results\n\n${BEGIN}\n${END}\n`;
  const begin = text.indexOf(BEGIN.slice(0, 28));
  const end = text.indexOf(END);
  if (begin === -1 || end === -1 || end < begin) text = `${text.trimEnd()}\n\n## Results\n\n${block}\n`;
  else text = text.slice(0, begin) + block + text.slice(end + END.length);
  writeFileSync(file, text);
}
