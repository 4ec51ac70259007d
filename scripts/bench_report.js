/**
 * Turns the records of one `npm run bench` (bench/results.ts ResultRow, one
 * per figure) and the sections' printed tables into docs/bench.md and a
 * hand-written SVG chart, docs/bench.svg.
 */
const fs = require('fs');
const os = require('os');
const path = require('path');

/** The shape of the headline figures. */
const HEADLINE_SHAPE = [8, 128, 768];
/** TF.js backends first in this order; any other recorded backend follows. */
const BACKEND_ORDER = ['cpu', 'wasm', 'webgl', 'webgpu'];
const PEER_BACKENDS = ['onnxruntime-node', 'onnxruntime-web'];
const MEMORY = 'memory';
const COPY = 'Float32Array.set copy';

const sameShape = (a, b) => a.length === b.length && a.every((d, i) => d === b[i]);
const shapeText = s => `[${s}]`;
const elementsOf = s => s.reduce((a, b) => a * b, 1);
const gbPerSecond = r => elementsOf(r.shape) * r.bytesPerElement / (r.ms * 1e6);
/** A figure with `digits` decimals, fewer when large and two significant digits when small. */
const fixed = (v, digits) => v >= 1 ? v.toFixed(v >= 100 ? 0 : v >= 10 ? Math.min(1, digits) : digits) :
                                      v.toPrecision(2);

function tfBackends(rows) {
  const found = [...new Set(rows.filter(r => r.contender === 'ours').map(r => r.backend))];
  return [...BACKEND_ORDER.filter(b => found.includes(b)), ...found.filter(b => !BACKEND_ORDER.includes(b))];
}

function find(rows, backend, contender, shape, pass) {
  return rows.find(r => r.backend === backend && r.contender === contender &&
                        sameShape(r.shape, shape) && r.pass === pass);
}

function shapesOf(rows) {
  const shapes = [];
  for (const r of rows) {
    if (r.backend !== MEMORY && !shapes.some(s => sameShape(s, r.shape))) shapes.push(r.shape);
  }
  return shapes;
}

/** Forward figures at the headline shape, one bar each, grouped. */
function headlineBars(rows) {
  const bars = [];
  const at = (backend, contender) => find(rows, backend, contender, HEADLINE_SHAPE, 'forward');
  for (const b of tfBackends(rows)) {
    const r = at(b, 'ours');
    if (r) bars.push({label: `ours, ${b}`, group: 'ours', row: r});
  }
  for (const r of rows.filter(r => PEER_BACKENDS.includes(r.backend) && sameShape(r.shape, HEADLINE_SHAPE))) {
    bars.push({label: r.contender, group: 'peer', row: r});
  }
  for (const b of tfBackends(rows)) {
    const r = at(b, 'built-in');
    if (r) bars.push({label: `built-in layer, ${b}`, group: 'built-in', row: r});
  }
  for (const r of rows.filter(r => r.backend === MEMORY)) {
    if (r.contender !== COPY || sameShape(r.shape, HEADLINE_SHAPE)) {
      const label = r.contender === COPY ? `${COPY}, same bytes` : r.contender;
      bars.push({label, group: 'memory', row: r});
    }
  }
  return bars;
}

// ---------------------------------------------------------------- markdown

function markdown(rows, sections, meta) {
  const lines = [
    '# Benchmarks',
    '',
    `Written by \`npm run bench\` on ${meta.date}: ${meta.machine}. Medians of wall time per call;`,
    'GB/s counts 8 bytes per element forward (read x, write y) and 20 forward+backward.',
    `Load average (1 min) at the start and end of the run: ${meta.load}; a load above the core count means`,
    'the machine was shared with other work while it ran, which slows every figure.',
    '',
    '![Speed-up over the built-in layer per backend, and forward GB/s beside ONNX Runtime and memory copy](bench.svg)',
    '',
  ];
  const bars = headlineBars(rows);
  if (bars.length) {
    lines.push(`## Forward at ${shapeText(HEADLINE_SHAPE)}`, '', '| contender | ms | GB/s |', '|---|---:|---:|');
    for (const {label, row} of bars) {
      lines.push(`| ${label} | ${row.ms.toFixed(3)} | ${fixed(gbPerSecond(row), 2)} |`);
    }
    lines.push('');
  }
  const backends = tfBackends(rows);
  if (backends.length) {
    lines.push('## Speed-up of ours over the built-in `tf.layers.layerNormalization`', '',
               '| backend | shape | forward | forward+backward |', '|---|---|---:|---:|');
    for (const b of backends) {
      for (const shape of shapesOf(rows)) {
        const ratio = pass => {
          const ours = find(rows, b, 'ours', shape, pass), builtin = find(rows, b, 'built-in', shape, pass);
          return ours && builtin ? `${fixed(builtin.ms / ours.ms, 1)}×` : '–';
        };
        if (find(rows, b, 'ours', shape, 'forward')) {
          lines.push(`| ${b} | ${shapeText(shape)} | ${ratio('forward')} | ${ratio('fwd+bwd')} |`);
        }
      }
    }
    lines.push('');
  }
  lines.push('## Every section', '');
  for (const s of sections) {
    lines.push(s.output.trim() || `(section ${s.name} printed nothing)`);
    if (s.status !== 0) lines.push('', `**Section \`${s.name}\` failed (exit ${s.status}).**`);
    lines.push('');
  }
  return lines.join('\n');
}

// --------------------------------------------------------------------- SVG

const FONT = 'font-family="Helvetica, Arial, sans-serif"';
const COLORS = {
  shapes: ['#9ecae1', '#4292c6', '#08519c', '#08306b', '#6baed6', '#2171b5'],
  ours: '#08519c', peer: '#e6550d', 'built-in': '#9e9ac8', memory: '#969696',
};

const esc = s => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function text(x, y, s, {size = 11, anchor = 'start', weight = 'normal', fill = '#222'} = {}) {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${FONT} font-size="${size}" text-anchor="${anchor}" ` +
      `font-weight="${weight}" fill="${fill}">${esc(s)}</text>`;
}

/** A log10 axis covering `values`, in whole decades. */
function logScale(values, from, to) {
  const positive = values.filter(v => v > 0);
  const lo = Math.floor(Math.log10(Math.min(...positive)));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...positive))));
  const at = v => from + (Math.log10(Math.max(v, 10 ** lo)) - lo) / (hi - lo) * (to - from);
  const ticks = [];
  for (let d = lo; d <= hi; d++) ticks.push(10 ** d);
  return {at, ticks};
}

const tickLabel = v => (v >= 1 ? String(v) : v.toPrecision(1));

/** Vertical bars of speed-up (log) per backend, one bar per shape, for one pass. */
function speedupPanel(rows, pass, title, x0, y0, width, height) {
  const backends = tfBackends(rows), shapes = shapesOf(rows);
  const items = [];
  for (const b of backends) {
    for (const [i, shape] of shapes.entries()) {
      const ours = find(rows, b, 'ours', shape, pass), builtin = find(rows, b, 'built-in', shape, pass);
      if (ours && builtin) items.push({b, i, ratio: builtin.ms / ours.ms});
    }
  }
  const out = [text(x0, y0 - 8, title, {size: 13, weight: 'bold'})];
  if (!items.length) return out.concat(text(x0, y0 + 20, 'no figures')).join('\n');
  const left = x0 + 40, bottom = y0 + height - 20;
  const scale = logScale([1, ...items.map(d => d.ratio)], bottom, y0 + 12);
  for (const t of scale.ticks) {
    const y = scale.at(t);
    out.push(`<line x1="${left}" x2="${x0 + width}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#ddd"/>`);
    out.push(text(left - 4, y + 4, `${tickLabel(t)}×`, {anchor: 'end', size: 10}));
  }
  const one = scale.at(1);
  out.push(`<line x1="${left}" x2="${x0 + width}" y1="${one.toFixed(1)}" y2="${one.toFixed(1)}" stroke="#444"/>`);
  const groupWidth = (x0 + width - left) / backends.length;
  const barWidth = Math.min(22, (groupWidth - 12) / shapes.length);
  for (const [g, b] of backends.entries()) {
    const gx = left + g * groupWidth + (groupWidth - barWidth * shapes.length) / 2;
    out.push(text(left + (g + 0.5) * groupWidth, bottom + 14, b, {anchor: 'middle', size: 11}));
    for (const d of items.filter(d => d.b === b)) {
      const x = gx + d.i * barWidth, y = scale.at(d.ratio);
      const [top, h] = y < one ? [y, one - y] : [one, y - one];
      out.push(`<rect x="${x.toFixed(1)}" y="${top.toFixed(1)}" width="${(barWidth - 2).toFixed(1)}" ` +
               `height="${Math.max(h, 1).toFixed(1)}" fill="${COLORS.shapes[d.i % COLORS.shapes.length]}">` +
               `<title>${esc(`${b} ${shapeText(shapes[d.i])} ${pass}: ${d.ratio.toFixed(2)}×`)}</title></rect>`);
      out.push(text(x + barWidth / 2 - 1, (y < one ? y : y + 10) - 2, fixed(d.ratio, 1),
                    {anchor: 'middle', size: 8, fill: '#333'}));
    }
  }
  return out.join('\n');
}

/** Horizontal bars of forward GB/s (log) at the headline shape. */
function bandwidthPanel(rows, x0, y0, width) {
  const bars = headlineBars(rows);
  const rowHeight = 17, labelWidth = 290;
  const out = [text(x0, y0 - 8, `Forward GB/s at ${shapeText(HEADLINE_SHAPE)} (8 B per element; log scale)`,
                    {size: 13, weight: 'bold'})];
  if (!bars.length) return {svg: out.concat(text(x0, y0 + 20, 'no figures')).join('\n'), height: 40};
  const left = x0 + labelWidth, right = x0 + width - 110;
  const top = y0 + 4, bottom = top + bars.length * rowHeight;
  const scale = logScale(bars.map(b => gbPerSecond(b.row)), left, right);
  for (const t of scale.ticks) {
    const x = scale.at(t);
    out.push(`<line x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${top}" y2="${bottom}" stroke="#ddd"/>`);
    out.push(text(x, bottom + 12, tickLabel(t), {anchor: 'middle', size: 10}));
  }
  for (const [i, {label, group, row}] of bars.entries()) {
    const y = top + i * rowHeight, gbs = gbPerSecond(row);
    out.push(text(left - 6, y + 12, label, {anchor: 'end', size: 11}));
    out.push(`<rect x="${left}" y="${y + 2}" width="${Math.max(scale.at(gbs) - left, 1).toFixed(1)}" ` +
             `height="${rowHeight - 4}" fill="${COLORS[group]}"><title>${esc(label)}</title></rect>`);
    out.push(text(scale.at(gbs) + 4, y + 12, `${fixed(gbs, 2)} GB/s · ${row.ms.toFixed(3)} ms`, {size: 10}));
  }
  return {svg: out.join('\n'), height: bottom - y0 + 20};
}

function svgChart(rows, meta) {
  const width = 980, panelHeight = 230, y0 = 56;
  const shapes = shapesOf(rows);
  const legend = shapes.map((s, i) => {
    const x = 20 + i * 150;
    return `<rect x="${x}" y="${y0 + panelHeight + 2}" width="10" height="10" ` +
        `fill="${COLORS.shapes[i % COLORS.shapes.length]}"/>` + text(x + 14, y0 + panelHeight + 11, shapeText(s));
  });
  const bandwidth = bandwidthPanel(rows, 20, y0 + panelHeight + 50, width - 40);
  const height = y0 + panelHeight + 50 + bandwidth.height + 24;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    text(20, 22, 'tfjs-layernorm: speed-up over the built-in tf.layers.layerNormalization (log scale)',
         {size: 15, weight: 'bold'}),
    text(20, 38, `npm run bench, ${meta.date}; ${meta.machine}; load average at start / end ${meta.load}`,
         {size: 10, fill: '#555'}),
    speedupPanel(rows, 'forward', 'forward', 20, y0 + 10, width / 2 - 30, panelHeight - 10),
    speedupPanel(rows, 'fwd+bwd', 'forward + backward', width / 2 + 10, y0 + 10, width / 2 - 30, panelHeight - 10),
    ...legend,
    bandwidth.svg,
    '</svg>',
    '',
  ].join('\n');
}

function machineDescription() {
  const cpus = os.cpus();
  return `${cpus[0] ? cpus[0].model.trim() : 'unknown CPU'}, ${cpus.length} cores, ` +
      `${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

/**
 * Writes bench.md, bench.svg and the raw figures (bench.json) into `outDir`. `sections`: [{name, status,
 * output}] in run order; `rows`: every ResultRow recorded; `startLoad`: the
 * 1-minute load average when the run began.
 */
function writeReport(outDir, rows, sections, startLoad) {
  const meta = {
    date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
    machine: machineDescription(),
    load: `${startLoad.toFixed(1)} / ${os.loadavg()[0].toFixed(1)}`,
  };
  fs.mkdirSync(outDir, {recursive: true});
  fs.writeFileSync(path.join(outDir, 'bench.md'), markdown(rows, sections, meta) + '\n');
  fs.writeFileSync(path.join(outDir, 'bench.svg'), svgChart(rows, meta));
  // One figure per line, so a diff of two runs reads figure by figure.
  fs.writeFileSync(path.join(outDir, 'bench.json'),
                   `{"meta": ${JSON.stringify(meta)},\n "rows": [\n${rows.map(r => `  ${JSON.stringify(r)}`).join(',\n')}\n]}\n`);
}

module.exports = {writeReport, HEADLINE_SHAPE};
