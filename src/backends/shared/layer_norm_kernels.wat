;; LayerNorm kernels for contiguous groups of n float32 (every pointer a byte
;; address in the imported memory). Sums run in float32 over blocks of
;; BLOCK_BYTES, each block's partial sum added into float64: a few float32
;; roundings per term, at float32 SIMD speed. Elementwise passes are float32
;; from float64 statistics, the mean split in hi + lo so that x - hi is exact
;; where x and the mean are close (Sterbenz). scripts/build_wasm_kernels.js
;; compiles this with wabt, plain and with a `shared` memory import.
(module
  (import "env" "memory" (memory 1))  ;; MEMORY_IMPORT (rewritten for the shared variant)

  ;; Bytes per float32 partial sum: 64 elements, at most 16 terms per lane.
  (global $BLOCK_BYTES i32 (i32.const 256))
  ;; Groups between flushes of the backward's float32 per-column partial sums.
  (global $GROUPS_PER_FLUSH i32 (i32.const 16))
  ;; The one-pass variance is kept when (mean - shift)^2 <= this * variance;
  ;; otherwise the float64 pass recomputes it (cancellation would cost digits).
  (global $SHIFT_LIMIT f64 (f64.const 4))
  ;; Below this invStd, x - mean may overflow float32: float64 elementwise.
  (global $TINY_INV_STD f64 (f64.const 0x1p-100))

  ;; The float64 sum of f64x2 lanes.
  (func $lanes (param $v v128) (result f64)
    (f64.add (f64x2.extract_lane 0 (local.get $v)) (f64x2.extract_lane 1 (local.get $v))))

  ;; $acc + the four float32 lanes of $v, in float64.
  (func $addWide (param $acc v128) (param $v v128) (result v128)
    (f64x2.add (local.get $acc) (f64x2.add
        (f64x2.promote_low_f32x4 (local.get $v))
        (f64x2.promote_low_f32x4
            (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))))

  ;; The end of the block starting at $p, at most $end.
  (func $blockEnd (param $p i32) (param $end i32) (result i32)
    (local $next i32)
    (local.set $next (i32.add (local.get $p) (global.get $BLOCK_BYTES)))
    (select (local.get $next) (local.get $end) (i32.lt_u (local.get $next) (local.get $end))))

  ;; The group's first element, or 0 when it is not finite or the group is empty.
  (func $shiftOf (param $p i32) (param $n i32) (result f64)
    (local $first f64)
    (if (result f64) (i32.eqz (local.get $n))
      (then (f64.const 0))
      (else
        (local.set $first (f64.promote_f32 (f32.load (local.get $p))))
        ;; x - x is 0 exactly for every finite x, NaN otherwise.
        (select (local.get $first) (f64.const 0)
                (f64.eq (f64.sub (local.get $first) (local.get $first)) (f64.const 0))))))

  ;; Sums of d and d^2 over the n float32 at $p, d = x - $shift: float32 blocks,
  ;; 16 elements per iteration in four accumulators each.
  (func $blockSums (param $p i32) (param $n i32) (param $shift f32) (result f64 f64)
    (local $end i32) (local $end16 i32) (local $stop i32)
    (local $m v128) (local $d0 v128) (local $d1 v128) (local $d2 v128) (local $d3 v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $b3 v128)
    (local $sum v128) (local $squares v128)
    (local.set $m (f32x4.splat (local.get $shift)))
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end16 (i32.add (local.get $p)
        (i32.shl (i32.and (local.get $n) (i32.const -16)) (i32.const 2))))
    (block $blocksDone (loop $nextBlock
      (br_if $blocksDone (i32.ge_u (local.get $p) (local.get $end16)))
      (local.set $stop (call $blockEnd (local.get $p) (local.get $end16)))
      (local.set $a0 (v128.const i64x2 0 0))
      (local.set $a1 (v128.const i64x2 0 0))
      (local.set $a2 (v128.const i64x2 0 0))
      (local.set $a3 (v128.const i64x2 0 0))
      (local.set $b0 (v128.const i64x2 0 0))
      (local.set $b1 (v128.const i64x2 0 0))
      (local.set $b2 (v128.const i64x2 0 0))
      (local.set $b3 (v128.const i64x2 0 0))
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $stop)))
        (local.set $d0 (f32x4.sub (v128.load (local.get $p)) (local.get $m)))
        (local.set $d1 (f32x4.sub (v128.load offset=16 (local.get $p)) (local.get $m)))
        (local.set $d2 (f32x4.sub (v128.load offset=32 (local.get $p)) (local.get $m)))
        (local.set $d3 (f32x4.sub (v128.load offset=48 (local.get $p)) (local.get $m)))
        (local.set $a0 (f32x4.add (local.get $a0) (local.get $d0)))
        (local.set $a1 (f32x4.add (local.get $a1) (local.get $d1)))
        (local.set $a2 (f32x4.add (local.get $a2) (local.get $d2)))
        (local.set $a3 (f32x4.add (local.get $a3) (local.get $d3)))
        (local.set $b0 (f32x4.add (local.get $b0) (f32x4.mul (local.get $d0) (local.get $d0))))
        (local.set $b1 (f32x4.add (local.get $b1) (f32x4.mul (local.get $d1) (local.get $d1))))
        (local.set $b2 (f32x4.add (local.get $b2) (f32x4.mul (local.get $d2) (local.get $d2))))
        (local.set $b3 (f32x4.add (local.get $b3) (f32x4.mul (local.get $d3) (local.get $d3))))
        (local.set $p (i32.add (local.get $p) (i32.const 64)))
        (br $next)))
      (local.set $sum (call $addWide (local.get $sum) (f32x4.add
          (f32x4.add (local.get $a0) (local.get $a1)) (f32x4.add (local.get $a2) (local.get $a3)))))
      (local.set $squares (call $addWide (local.get $squares) (f32x4.add
          (f32x4.add (local.get $b0) (local.get $b1)) (f32x4.add (local.get $b2) (local.get $b3)))))
      (br $nextBlock)))
    (call $tailSums (local.get $p) (local.get $end) (f64.promote_f32 (local.get $shift))
        (call $lanes (local.get $sum)) (call $lanes (local.get $squares))))

  ;; The sum of x - $shift over the n float32 at $p: float32 blocks, 16 elements
  ;; per iteration.
  (func $blockSum (param $p i32) (param $n i32) (param $shift f32) (result f64)
    (local $end i32) (local $end16 i32) (local $stop i32) (local $m v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $sum v128)
    (local.set $m (f32x4.splat (local.get $shift)))
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end16 (i32.add (local.get $p)
        (i32.shl (i32.and (local.get $n) (i32.const -16)) (i32.const 2))))
    (block $blocksDone (loop $nextBlock
      (br_if $blocksDone (i32.ge_u (local.get $p) (local.get $end16)))
      (local.set $stop (call $blockEnd (local.get $p) (local.get $end16)))
      (local.set $a0 (v128.const i64x2 0 0))
      (local.set $a1 (v128.const i64x2 0 0))
      (local.set $a2 (v128.const i64x2 0 0))
      (local.set $a3 (v128.const i64x2 0 0))
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $stop)))
        (local.set $a0 (f32x4.add (local.get $a0) (f32x4.sub (v128.load (local.get $p)) (local.get $m))))
        (local.set $a1 (f32x4.add (local.get $a1)
            (f32x4.sub (v128.load offset=16 (local.get $p)) (local.get $m))))
        (local.set $a2 (f32x4.add (local.get $a2)
            (f32x4.sub (v128.load offset=32 (local.get $p)) (local.get $m))))
        (local.set $a3 (f32x4.add (local.get $a3)
            (f32x4.sub (v128.load offset=48 (local.get $p)) (local.get $m))))
        (local.set $p (i32.add (local.get $p) (i32.const 64)))
        (br $next)))
      (local.set $sum (call $addWide (local.get $sum) (f32x4.add
          (f32x4.add (local.get $a0) (local.get $a1)) (f32x4.add (local.get $a2) (local.get $a3)))))
      (br $nextBlock)))
    (call $tailSums (local.get $p) (local.get $end) (f64.promote_f32 (local.get $shift))
        (call $lanes (local.get $sum)) (f64.const 0))
    (drop))

  ;; Adds the d and d^2 of the float32 in [$p, $end) to $s1 and $s2, in float64.
  (func $tailSums (param $p i32) (param $end i32) (param $shift f64) (param $s1 f64)
      (param $s2 f64) (result f64 f64)
    (local $d f64)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $d (f64.sub (f64.promote_f32 (f32.load (local.get $p))) (local.get $shift)))
      (local.set $s1 (f64.add (local.get $s1) (local.get $d)))
      (local.set $s2 (f64.add (local.get $s2) (f64.mul (local.get $d) (local.get $d))))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br $next)))
    (local.get $s1)
    (local.get $s2))

  ;; The same sums in float64 throughout: exact d, for the rows the block sums
  ;; cannot take (overflowing d, or a shift far from the mean).
  (func $wideSums (param $p i32) (param $n i32) (param $shift f64) (result f64 f64)
    (local $end i32) (local $end4 i32) (local $v v128) (local $m v128)
    (local $d0 v128) (local $d1 v128) (local $sum v128) (local $squares v128)
    (local.set $m (f64x2.splat (local.get $shift)))
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end4 (i32.add (local.get $p)
        (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $p) (local.get $end4)))
      (local.set $v (v128.load (local.get $p)))
      (local.set $d0 (f64x2.sub (f64x2.promote_low_f32x4 (local.get $v)) (local.get $m)))
      (local.set $d1 (f64x2.sub (f64x2.promote_low_f32x4
          (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))
          (local.get $m)))
      (local.set $sum (f64x2.add (local.get $sum) (f64x2.add (local.get $d0) (local.get $d1))))
      (local.set $squares (f64x2.add (local.get $squares) (f64x2.add
          (f64x2.mul (local.get $d0) (local.get $d0)) (f64x2.mul (local.get $d1) (local.get $d1)))))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br $next)))
    (call $tailSums (local.get $p) (local.get $end) (local.get $shift)
        (call $lanes (local.get $sum)) (call $lanes (local.get $squares))))

  ;; The float64 mean and invStd of the group of n at $p (shifted data).
  (func $groupStats (param $p i32) (param $n i32) (param $epsilon f64) (result f64 f64)
    (local $shift f64) (local $s1 f64) (local $s2 f64) (local $count f64)
    (local $offset f64) (local $variance f64)
    (local.set $count (f64.convert_i32_u (local.get $n)))
    (local.set $shift (call $shiftOf (local.get $p) (local.get $n)))
    (call $blockSums (local.get $p) (local.get $n) (f32.demote_f64 (local.get $shift)))
    (local.set $s2)
    (local.set $s1)
    (local.set $offset (f64.div (local.get $s1) (local.get $count)))
    (local.set $variance (f64.sub (f64.div (local.get $s2) (local.get $count))
                                  (f64.mul (local.get $offset) (local.get $offset))))
    ;; A non-finite variance (float32 sums overflowed, or NaN) takes the float64 pass too.
    (if (i32.eqz (i32.and
            (f64.le (f64.mul (local.get $offset) (local.get $offset))
                    (f64.mul (global.get $SHIFT_LIMIT) (local.get $variance)))
            (f64.eq (f64.sub (local.get $variance) (local.get $variance)) (f64.const 0))))
      (then
        (call $wideSums (local.get $p) (local.get $n) (local.get $shift))
        (local.set $s2)
        (local.set $s1)
        (local.set $offset (f64.div (local.get $s1) (local.get $count)))
        (local.set $variance (f64.sub (f64.div (local.get $s2) (local.get $count))
                                      (f64.mul (local.get $offset) (local.get $offset))))))
    (f64.add (local.get $shift) (local.get $offset))
    ;; max(., 0): rounding may leave a zero variance a hair below zero.
    (f64.div (f64.const 1) (f64.sqrt (f64.add (f64.max (f64.const 0) (local.get $variance))
                                              (local.get $epsilon)))))

  ;; The mean of the group of n at $p, float64 (the backward's).
  (func $groupMean (param $p i32) (param $n i32) (result f64)
    (local $shift f64) (local $s1 f64)
    (local.set $shift (call $shiftOf (local.get $p) (local.get $n)))
    (local.set $s1 (call $blockSum (local.get $p) (local.get $n) (f32.demote_f64 (local.get $shift))))
    (if (f64.ne (f64.sub (local.get $s1) (local.get $s1)) (f64.const 0))
      (then
        (call $wideSums (local.get $p) (local.get $n) (local.get $shift))
        (drop)
        (local.set $s1)))
    (f64.add (local.get $shift) (f64.div (local.get $s1) (f64.convert_i32_u (local.get $n)))))

  ;; y = (x - mean) * invStd * gamma + beta over $bytes / 4 elements, in float64.
  (func $normalizeWide (param $x i32) (param $gamma i32) (param $beta i32) (param $y i32)
      (param $bytes i32) (param $mean f64) (param $invStd f64)
    (local $j i32)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $j) (local.get $bytes)))
      (f32.store (i32.add (local.get $y) (local.get $j)) (f32.demote_f64 (f64.add
          (f64.mul (f64.mul (f64.sub (f64.promote_f32 (f32.load (i32.add (local.get $x) (local.get $j))))
                                     (local.get $mean))
                            (local.get $invStd))
                   (f64.promote_f32 (f32.load (i32.add (local.get $gamma) (local.get $j)))))
          (f64.promote_f32 (f32.load (i32.add (local.get $beta) (local.get $j)))))))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $next))))

  ;; y = ((x - hi) - lo) * scale * gamma + beta over $bytes / 4 elements;
  ;; 16 per iteration (fewer address updates per element), then 4, then 1.
  (func $normalize (param $x i32) (param $gamma i32) (param $beta i32) (param $y i32)
      (param $bytes i32) (param $hi f32) (param $lo f32) (param $scale f32)
    (local $end i32) (local $end16 i32) (local $end4 i32)
    (local $vHi v128) (local $vLo v128) (local $vScale v128)
    (local.set $end (i32.add (local.get $x) (local.get $bytes)))
    (local.set $end16 (i32.add (local.get $x) (i32.and (local.get $bytes) (i32.const -64))))
    (local.set $end4 (i32.add (local.get $x) (i32.and (local.get $bytes) (i32.const -16))))
    (local.set $vHi (f32x4.splat (local.get $hi)))
    (local.set $vLo (f32x4.splat (local.get $lo)))
    (local.set $vScale (f32x4.splat (local.get $scale)))
    (block $done16 (loop $next16
      (br_if $done16 (i32.ge_u (local.get $x) (local.get $end16)))
      (v128.store offset=0 (local.get $y) (f32x4.add (f32x4.mul (f32x4.mul
          (f32x4.sub (f32x4.sub (v128.load offset=0 (local.get $x)) (local.get $vHi)) (local.get $vLo))
          (local.get $vScale)) (v128.load offset=0 (local.get $gamma))) (v128.load offset=0 (local.get $beta))))
      (v128.store offset=16 (local.get $y) (f32x4.add (f32x4.mul (f32x4.mul
          (f32x4.sub (f32x4.sub (v128.load offset=16 (local.get $x)) (local.get $vHi)) (local.get $vLo))
          (local.get $vScale)) (v128.load offset=16 (local.get $gamma))) (v128.load offset=16 (local.get $beta))))
      (v128.store offset=32 (local.get $y) (f32x4.add (f32x4.mul (f32x4.mul
          (f32x4.sub (f32x4.sub (v128.load offset=32 (local.get $x)) (local.get $vHi)) (local.get $vLo))
          (local.get $vScale)) (v128.load offset=32 (local.get $gamma))) (v128.load offset=32 (local.get $beta))))
      (v128.store offset=48 (local.get $y) (f32x4.add (f32x4.mul (f32x4.mul
          (f32x4.sub (f32x4.sub (v128.load offset=48 (local.get $x)) (local.get $vHi)) (local.get $vLo))
          (local.get $vScale)) (v128.load offset=48 (local.get $gamma))) (v128.load offset=48 (local.get $beta))))
      (local.set $x (i32.add (local.get $x) (i32.const 64)))
      (local.set $gamma (i32.add (local.get $gamma) (i32.const 64)))
      (local.set $beta (i32.add (local.get $beta) (i32.const 64)))
      (local.set $y (i32.add (local.get $y) (i32.const 64)))
      (br $next16)))
    (block $done4 (loop $next4
      (br_if $done4 (i32.ge_u (local.get $x) (local.get $end4)))
      (v128.store offset=0 (local.get $y) (f32x4.add (f32x4.mul (f32x4.mul
          (f32x4.sub (f32x4.sub (v128.load offset=0 (local.get $x)) (local.get $vHi)) (local.get $vLo))
          (local.get $vScale)) (v128.load offset=0 (local.get $gamma))) (v128.load offset=0 (local.get $beta))))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (local.set $gamma (i32.add (local.get $gamma) (i32.const 16)))
      (local.set $beta (i32.add (local.get $beta) (i32.const 16)))
      (local.set $y (i32.add (local.get $y) (i32.const 16)))
      (br $next4)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
      (f32.store (local.get $y) (f32.add (f32.mul (f32.mul
          (f32.sub (f32.sub (f32.load (local.get $x)) (local.get $hi)) (local.get $lo))
          (local.get $scale)) (f32.load (local.get $gamma))) (f32.load (local.get $beta))))
      (local.set $x (i32.add (local.get $x) (i32.const 4)))
      (local.set $gamma (i32.add (local.get $gamma) (i32.const 4)))
      (local.set $beta (i32.add (local.get $beta) (i32.const 4)))
      (local.set $y (i32.add (local.get $y) (i32.const 4)))
      (br $next))))

  ;; Forward over $groupCount contiguous groups of $n elements; $y may be $x.
  (func (export "forwardGroups")
      (param $x i32) (param $gamma i32) (param $beta i32) (param $y i32)
      (param $meanOut i32) (param $invStdOut i32) (param $groupCount i32) (param $n i32)
      (param $epsilon f64)
    (local $groupBytes i32) (local $group i32) (local $mean f64) (local $invStd f64) (local $hi f32)
    (local.set $groupBytes (i32.shl (local.get $n) (i32.const 2)))
    (block $groupsDone (loop $nextGroup
      (br_if $groupsDone (i32.ge_u (local.get $group) (local.get $groupCount)))
      (call $groupStats (local.get $x) (local.get $n) (local.get $epsilon))
      (local.set $invStd)
      (local.set $mean)
      (local.set $hi (f32.demote_f64 (local.get $mean)))
      (f32.store (local.get $meanOut) (local.get $hi))
      (f32.store (local.get $invStdOut) (f32.demote_f64 (local.get $invStd)))
      (if (f64.lt (local.get $invStd) (global.get $TINY_INV_STD))
        (then (call $normalizeWide (local.get $x) (local.get $gamma) (local.get $beta)
                  (local.get $y) (local.get $groupBytes) (local.get $mean) (local.get $invStd)))
        (else (call $normalize (local.get $x) (local.get $gamma) (local.get $beta)
                  (local.get $y) (local.get $groupBytes) (local.get $hi)
                  (f32.demote_f64 (f64.sub (local.get $mean) (f64.promote_f32 (local.get $hi))))
                  (f32.demote_f64 (local.get $invStd)))))
      (local.set $x (i32.add (local.get $x) (local.get $groupBytes)))
      (local.set $y (i32.add (local.get $y) (local.get $groupBytes)))
      (local.set $meanOut (i32.add (local.get $meanOut) (i32.const 4)))
      (local.set $invStdOut (i32.add (local.get $invStdOut) (i32.const 4)))
      (local.set $group (i32.add (local.get $group) (i32.const 1)))
      (br $nextGroup))))

  ;; Adds the float32 column partials $parts (2n: dGamma's, then dBeta's) into
  ;; the float64 $sums (2n, same order) and zeroes them.
  (func $flushColumns (param $parts i32) (param $sums i32) (param $n i32)
    (local $end i32) (local $end4 i32) (local $v v128)
    (local.set $end (i32.add (local.get $parts) (i32.shl (local.get $n) (i32.const 3))))
    (local.set $end4 (i32.add (local.get $parts)
        (i32.shl (i32.and (i32.shl (local.get $n) (i32.const 1)) (i32.const -4)) (i32.const 2))))
    (block $done4 (loop $next4
      (br_if $done4 (i32.ge_u (local.get $parts) (local.get $end4)))
      (local.set $v (v128.load (local.get $parts)))
      (v128.store (local.get $sums) (f64x2.add (v128.load (local.get $sums))
          (f64x2.promote_low_f32x4 (local.get $v))))
      (v128.store offset=16 (local.get $sums) (f64x2.add (v128.load offset=16 (local.get $sums))
          (f64x2.promote_low_f32x4
              (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))
      (v128.store (local.get $parts) (v128.const i64x2 0 0))
      (local.set $parts (i32.add (local.get $parts) (i32.const 16)))
      (local.set $sums (i32.add (local.get $sums) (i32.const 32)))
      (br $next4)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $parts) (local.get $end)))
      (f64.store (local.get $sums) (f64.add (f64.load (local.get $sums))
          (f64.promote_f32 (f32.load (local.get $parts)))))
      (f32.store (local.get $parts) (f32.const 0))
      (local.set $parts (i32.add (local.get $parts) (i32.const 4)))
      (local.set $sums (i32.add (local.get $sums) (i32.const 8)))
      (br $next))))

  ;; Backward over $groupCount contiguous groups of $n elements, by the formula
  ;; of src/kernel_names.ts; $dx may be $dy. $paramSums holds 2n float64
  ;; (dGamma's sums, then dBeta's) that this adds to, so that calls over
  ;; consecutive chunks of groups accumulate (the caller zeroes them first and
  ;; rounds them last), then 2n float32 of scratch.
  (func (export "backwardGroups")
      (param $dy i32) (param $x i32) (param $invStdIn i32) (param $gamma i32)
      (param $dMean i32) (param $dInvStd i32) (param $dx i32) (param $paramSums i32)
      (param $groupCount i32) (param $n i32)
    (local $groupBytes i32) (local $n4 i32) (local $group i32) (local $j i32) (local $stop i32)
    (local $gammaParts i32) (local $betaParts i32)
    (local $count f64) (local $mean f64) (local $invStd f64) (local $sumG f64) (local $sumGXhat f64)
    (local $xh f32) (local $dyj f32) (local $gj f32)
    (local $hi f32) (local $lo f32) (local $scale f32)
    (local $vHi v128) (local $vLo v128) (local $vScale v128) (local $vCoef v128) (local $vConst v128)
    (local $vdy v128) (local $vxh v128) (local $vg v128) (local $accG v128) (local $accGX v128)
    (local $wideG v128) (local $wideGX v128)
    (local.set $groupBytes (i32.shl (local.get $n) (i32.const 2)))
    (local.set $n4 (i32.and (local.get $groupBytes) (i32.const -16)))
    (local.set $count (f64.convert_i32_u (local.get $n)))
    (local.set $gammaParts (i32.add (local.get $paramSums) (i32.shl (local.get $n) (i32.const 4))))
    (local.set $betaParts (i32.add (local.get $gammaParts) (local.get $groupBytes)))
    (memory.fill (local.get $gammaParts) (i32.const 0) (i32.shl (local.get $n) (i32.const 3)))
    (block $groupsDone (loop $nextGroup
      (br_if $groupsDone (i32.ge_u (local.get $group) (local.get $groupCount)))
      (local.set $mean (call $groupMean (local.get $x) (local.get $n)))
      (local.set $invStd (f64.promote_f32 (f32.load (local.get $invStdIn))))
      (local.set $hi (f32.demote_f64 (local.get $mean)))
      (local.set $lo (f32.demote_f64 (f64.sub (local.get $mean) (f64.promote_f32 (local.get $hi)))))
      (local.set $scale (f32.load (local.get $invStdIn)))
      (local.set $vHi (f32x4.splat (local.get $hi)))
      (local.set $vLo (f32x4.splat (local.get $lo)))
      (local.set $vScale (f32x4.splat (local.get $scale)))
      (if (f64.lt (local.get $invStd) (global.get $TINY_INV_STD))
        (then (call $backwardWide (local.get $dy) (local.get $x) (local.get $gamma) (local.get $dx)
            (local.get $gammaParts) (local.get $betaParts) (local.get $groupBytes) (local.get $mean)
            (local.get $invStd) (f64.promote_f32 (f32.load (local.get $dMean)))
            (f64.promote_f32 (f32.load (local.get $dInvStd)))))
        (else
      ;; Pass 1: the group sums of g = dy * gamma and g * xhat, and per column
      ;; dy * xhat and dy. $j is a byte offset into the group, gamma and the parts.
      (local.set $wideG (v128.const i64x2 0 0))
      (local.set $wideGX (v128.const i64x2 0 0))
      (local.set $j (i32.const 0))
      (block $blocksDone (loop $nextBlock
        (br_if $blocksDone (i32.ge_u (local.get $j) (local.get $n4)))
        (local.set $stop (call $blockEnd (local.get $j) (local.get $n4)))
        (local.set $accG (v128.const i64x2 0 0))
        (local.set $accGX (v128.const i64x2 0 0))
        (block $done4 (loop $next4
          (br_if $done4 (i32.ge_u (local.get $j) (local.get $stop)))
          (local.set $vdy (v128.load (i32.add (local.get $dy) (local.get $j))))
          (local.set $vxh (f32x4.mul (f32x4.sub (f32x4.sub
              (v128.load (i32.add (local.get $x) (local.get $j))) (local.get $vHi)) (local.get $vLo))
              (local.get $vScale)))
          (local.set $vg (f32x4.mul (local.get $vdy)
              (v128.load (i32.add (local.get $gamma) (local.get $j)))))
          (local.set $accG (f32x4.add (local.get $accG) (local.get $vg)))
          (local.set $accGX (f32x4.add (local.get $accGX) (f32x4.mul (local.get $vg) (local.get $vxh))))
          (v128.store (i32.add (local.get $gammaParts) (local.get $j)) (f32x4.add
              (v128.load (i32.add (local.get $gammaParts) (local.get $j)))
              (f32x4.mul (local.get $vdy) (local.get $vxh))))
          (v128.store (i32.add (local.get $betaParts) (local.get $j)) (f32x4.add
              (v128.load (i32.add (local.get $betaParts) (local.get $j))) (local.get $vdy)))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br $next4)))
        (local.set $wideG (call $addWide (local.get $wideG) (local.get $accG)))
        (local.set $wideGX (call $addWide (local.get $wideGX) (local.get $accGX)))
        (br $nextBlock)))
      (local.set $sumG (call $lanes (local.get $wideG)))
      (local.set $sumGXhat (call $lanes (local.get $wideGX)))
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $j) (local.get $groupBytes)))
        (local.set $dyj (f32.load (i32.add (local.get $dy) (local.get $j))))
        (local.set $xh (f32.mul (f32.sub (f32.sub (f32.load (i32.add (local.get $x) (local.get $j)))
                                                  (local.get $hi)) (local.get $lo))
                                (local.get $scale)))
        (local.set $gj (f32.mul (local.get $dyj) (f32.load (i32.add (local.get $gamma) (local.get $j)))))
        (local.set $sumG (f64.add (local.get $sumG) (f64.promote_f32 (local.get $gj))))
        (local.set $sumGXhat (f64.add (local.get $sumGXhat)
            (f64.promote_f32 (f32.mul (local.get $gj) (local.get $xh)))))
        (f32.store (i32.add (local.get $gammaParts) (local.get $j)) (f32.add
            (f32.load (i32.add (local.get $gammaParts) (local.get $j)))
            (f32.mul (local.get $dyj) (local.get $xh))))
        (f32.store (i32.add (local.get $betaParts) (local.get $j)) (f32.add
            (f32.load (i32.add (local.get $betaParts) (local.get $j))) (local.get $dyj)))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $next)))
      ;; xhatCoef and constCoef (src/kernel_names.ts), rounded to float32 for pass 2.
      (local.set $vCoef (f32x4.splat (f32.demote_f64 (f64.div
          (f64.add (f64.mul (local.get $invStd) (local.get $sumGXhat))
                   (f64.mul (f64.mul (f64.promote_f32 (f32.load (local.get $dInvStd)))
                                     (local.get $invStd)) (local.get $invStd)))
          (local.get $count)))))
      (local.set $vConst (f32x4.splat (f32.demote_f64 (f64.div
          (f64.sub (f64.promote_f32 (f32.load (local.get $dMean)))
                   (f64.mul (local.get $invStd) (local.get $sumG)))
          (local.get $count)))))
      (call $gradInput (local.get $dy) (local.get $x) (local.get $gamma) (local.get $dx)
          (local.get $groupBytes) (local.get $vHi) (local.get $vLo) (local.get $vScale)
          (local.get $vCoef) (local.get $vConst))))
      (local.set $group (i32.add (local.get $group) (i32.const 1)))
      (if (i32.or (i32.eqz (i32.rem_u (local.get $group) (global.get $GROUPS_PER_FLUSH)))
                  (i32.eq (local.get $group) (local.get $groupCount)))
        (then (call $flushColumns (local.get $gammaParts) (local.get $paramSums) (local.get $n))))
      (local.set $x (i32.add (local.get $x) (local.get $groupBytes)))
      (local.set $dy (i32.add (local.get $dy) (local.get $groupBytes)))
      (local.set $dx (i32.add (local.get $dx) (local.get $groupBytes)))
      (local.set $invStdIn (i32.add (local.get $invStdIn) (i32.const 4)))
      (local.set $dMean (i32.add (local.get $dMean) (i32.const 4)))
      (local.set $dInvStd (i32.add (local.get $dInvStd) (i32.const 4)))
      (br $nextGroup))))

  ;; The backward of one group in float64, as the JS loops compute it, for a
  ;; group whose invStd is below TINY_INV_STD: there x - mean, and pass 2's
  ;; products, may overflow float32. Adds to the column partials as pass 1 does.
  (func $backwardWide (param $dy i32) (param $x i32) (param $gamma i32) (param $dx i32)
      (param $gammaParts i32) (param $betaParts i32) (param $bytes i32)
      (param $mean f64) (param $invStd f64) (param $dMean f64) (param $dInvStd f64)
    (local $j i32) (local $count f64) (local $xhat f64) (local $dyj f64) (local $g f64)
    (local $sumG f64) (local $sumGXhat f64) (local $coef f64) (local $const f64)
    (local.set $count (f64.convert_i32_u (i32.shr_u (local.get $bytes) (i32.const 2))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $j) (local.get $bytes)))
      (local.set $dyj (f64.promote_f32 (f32.load (i32.add (local.get $dy) (local.get $j)))))
      (local.set $xhat (f64.mul (f64.sub (f64.promote_f32 (f32.load (i32.add (local.get $x) (local.get $j))))
                                         (local.get $mean))
                                (local.get $invStd)))
      (local.set $g (f64.mul (local.get $dyj)
                             (f64.promote_f32 (f32.load (i32.add (local.get $gamma) (local.get $j))))))
      (local.set $sumG (f64.add (local.get $sumG) (local.get $g)))
      (local.set $sumGXhat (f64.add (local.get $sumGXhat) (f64.mul (local.get $g) (local.get $xhat))))
      (f32.store (i32.add (local.get $gammaParts) (local.get $j)) (f32.add
          (f32.load (i32.add (local.get $gammaParts) (local.get $j)))
          (f32.demote_f64 (f64.mul (local.get $dyj) (local.get $xhat)))))
      (f32.store (i32.add (local.get $betaParts) (local.get $j)) (f32.add
          (f32.load (i32.add (local.get $betaParts) (local.get $j))) (f32.demote_f64 (local.get $dyj))))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $next)))
    (local.set $coef (f64.div (f64.add (f64.mul (local.get $invStd) (local.get $sumGXhat))
                                       (f64.mul (f64.mul (local.get $dInvStd) (local.get $invStd))
                                                (local.get $invStd)))
                              (local.get $count)))
    (local.set $const (f64.div (f64.sub (local.get $dMean) (f64.mul (local.get $invStd) (local.get $sumG)))
                               (local.get $count)))
    (local.set $j (i32.const 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $j) (local.get $bytes)))
      (f32.store (i32.add (local.get $dx) (local.get $j)) (f32.demote_f64 (f64.add (f64.sub
          (f64.mul (f64.mul (local.get $invStd)
                            (f64.promote_f32 (f32.load (i32.add (local.get $dy) (local.get $j)))))
                   (f64.promote_f32 (f32.load (i32.add (local.get $gamma) (local.get $j)))))
          (f64.mul (local.get $coef)
                   (f64.mul (f64.sub (f64.promote_f32 (f32.load (i32.add (local.get $x) (local.get $j))))
                                     (local.get $mean))
                            (local.get $invStd))))
          (local.get $const))))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $next))))

  ;; Pass 2 of the backward: dx = (dy * gamma - ((x - hi) - lo) * xhatCoef) * scale + const
  ;; over $bytes / 4 elements (scale last: scale * xhatCoef could underflow float32).
  (func $gradInput (param $dy i32) (param $x i32) (param $gamma i32) (param $dx i32)
      (param $bytes i32) (param $vHi v128) (param $vLo v128) (param $vScale v128)
      (param $vCoef v128) (param $vConst v128)
    (local $end i32) (local $end4 i32)
    (local.set $end (i32.add (local.get $x) (local.get $bytes)))
    (local.set $end4 (i32.add (local.get $x) (i32.and (local.get $bytes) (i32.const -16))))
    (block $done4 (loop $next4
      (br_if $done4 (i32.ge_u (local.get $x) (local.get $end4)))
      (v128.store (local.get $dx) (f32x4.add (f32x4.mul (f32x4.sub
          (f32x4.mul (v128.load (local.get $dy)) (v128.load (local.get $gamma)))
          (f32x4.mul (f32x4.sub (f32x4.sub (v128.load (local.get $x)) (local.get $vHi)) (local.get $vLo))
                     (local.get $vCoef)))
          (local.get $vScale))
          (local.get $vConst)))
      (local.set $dy (i32.add (local.get $dy) (i32.const 16)))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (local.set $gamma (i32.add (local.get $gamma) (i32.const 16)))
      (local.set $dx (i32.add (local.get $dx) (i32.const 16)))
      (br $next4)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
      (f32.store (local.get $dx) (f32.add (f32.mul (f32.sub
          (f32.mul (f32.load (local.get $dy)) (f32.load (local.get $gamma)))
          (f32.mul (f32.sub (f32.sub (f32.load (local.get $x)) (f32x4.extract_lane 0 (local.get $vHi)))
                            (f32x4.extract_lane 0 (local.get $vLo)))
                   (f32x4.extract_lane 0 (local.get $vCoef))))
          (f32x4.extract_lane 0 (local.get $vScale)))
          (f32x4.extract_lane 0 (local.get $vConst))))
      (local.set $dy (i32.add (local.get $dy) (i32.const 4)))
      (local.set $x (i32.add (local.get $x) (i32.const 4)))
      (local.set $gamma (i32.add (local.get $gamma) (i32.const 4)))
      (local.set $dx (i32.add (local.get $dx) (i32.const 4)))
      (br $next))))
)
