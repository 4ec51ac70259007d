/**
 * `npm run bench copy`: the memory limit beside the op's figures.
 * `Float32Array.set` copies each bench shape's bytes (read x, write y: the
 * forward pass's 8 bytes per element), then one size that stays in cache
 * and one far larger than any cache, so from memory.
 */
import {BENCH_SHAPES, elementsOf, FORWARD_BYTES_PER_ELEMENT, gbPerSecond, medianMs, progress, recordRows, ResultRow} from './results';

/** src + dst = 512 KiB: inside a core's L2. */
const IN_CACHE_ELEMENTS = 64 * 1024;
/** src + dst = 512 MiB: beyond the last-level cache (300 MiB on the bench machine, shared). */
const FROM_MEMORY_ELEMENTS = 64 * 1024 * 1024;
/** Copies per timed call so that one call lasts long enough for the clock (~1 MB copied). */
const BYTES_PER_CALL = 1 << 20;

export const COPY_CONTENDER = 'Float32Array.set copy';

async function timeCopy(elements: number): Promise<number> {
  const src = new Float32Array(elements).fill(1.5);
  const dst = new Float32Array(elements);
  const repeats = Math.max(1, Math.ceil(BYTES_PER_CALL / (elements * 4)));
  const ms = await medianMs(() => {
    for (let r = 0; r < repeats; r++) dst.set(src);
  });
  if (dst[elements - 1] !== 1.5) throw new Error('bench copy: the copy did not happen');
  return ms / repeats;
}

async function main() {
  const rows: ResultRow[] = [];
  const sizes: Array<[string, number[]]> = [
    ...BENCH_SHAPES.map(s => [COPY_CONTENDER, s] as [string, number[]]),
    [`${COPY_CONTENDER}, in cache (2 × ${IN_CACHE_ELEMENTS * 4 / 1024} KiB)`, [IN_CACHE_ELEMENTS]],
    [`${COPY_CONTENDER}, from memory (2 × ${FROM_MEMORY_ELEMENTS * 4 / 2 ** 20} MiB)`, [FROM_MEMORY_ELEMENTS]],
  ];
  for (const [contender, shape] of sizes) {
    progress(`${contender} [${shape}]`);
    const ms = await timeCopy(elementsOf(shape));
    rows.push({backend: 'memory', contender, shape, pass: 'forward', ms,
               bytesPerElement: FORWARD_BYTES_PER_ELEMENT});
  }
  console.log([
    '### Memory: `Float32Array.set` copy (8 B per element: read 4, write 4)',
    '',
    '| what | elements | ms | GB/s |',
    '|---|---:|---:|---:|',
    ...rows.map(r => `| ${r.contender === COPY_CONTENDER ? `same bytes as [${r.shape}]` : r.contender.slice(
        COPY_CONTENDER.length + 2)} | ${elementsOf(r.shape)} | ${r.ms.toFixed(4)} | ${
        gbPerSecond(r.shape, r.bytesPerElement, r.ms).toFixed(1)} |`),
  ].join('\n'));
  recordRows(rows);
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
