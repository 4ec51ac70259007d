;; LayerNorm kernels for groups that are not contiguous (one gamma entry per
;; column), with the arithmetic of layer_norm_kernels.wat: sums of data shifted
;; by the group's first value in float32 partials of at most 16 terms added
;; into float64 (a float64 pass where they cannot be kept), y, xhat and dx in
;; float32 with the mean split in hi + lo. No calls in hot loops: V8 does not
;; inline them. Both families walk x in memory order:
;;   runs:  the innermost axis is normalized: SIMD along each run of it, the
;;          run's group and gamma offset from an odometer over the outer axes.
;;   lanes: the innermost axis is kept: one f32x4 holds four adjacent groups,
;;          a block of them walked column by column (i32 tables of byte
;;          offsets: each block's start, each column's offset in a group).
(module
  (import "env" "memory" (memory 1))  ;; MEMORY_IMPORT (rewritten for the shared variant)

  ;; --- Contiguous runs of $n float32 ---------------------------------------

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

  ;; Adds the sums of d and d^2 over the n float32 at $p, d = x - $shift, to the
  ;; float64 at $out + 8 and $out + 16: float32 blocks, 16 elements per
  ;; iteration in four accumulators each. (Multiple results cost V8 a call's worth.)
  (func $blockSums (param $p i32) (param $n i32) (param $shift f32) (param $out i32)
    (local $end i32) (local $end16 i32) (local $stop i32) (local $s1 f64) (local $s2 f64)
    (local $m v128) (local $d0 v128) (local $d1 v128) (local $d2 v128) (local $d3 v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $b0 v128) (local $b1 v128) (local $b2 v128) (local $b3 v128)
    (local $sum v128) (local $squares v128) (local $t v128)
    (local.set $m (f32x4.splat (local.get $shift)))
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end16 (i32.add (local.get $p)
        (i32.shl (i32.and (local.get $n) (i32.const -16)) (i32.const 2))))
    (block $blocksDone (loop $nextBlock
      (br_if $blocksDone (i32.ge_u (local.get $p) (local.get $end16)))
      (local.set $stop (i32.add (local.get $p) (global.get $BLOCK_BYTES)))
      (local.set $stop (select (local.get $stop) (local.get $end16) (i32.lt_u (local.get $stop) (local.get $end16))))
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
      (local.set $sum (f64x2.add (local.get $sum) (f64x2.add (f64x2.promote_low_f32x4 (local.tee $t (f32x4.add
          (f32x4.add (local.get $a0) (local.get $a1)) (f32x4.add (local.get $a2) (local.get $a3)))))
          (f64x2.promote_low_f32x4
              (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $t) (local.get $t))))))
      (local.set $squares (f64x2.add (local.get $squares) (f64x2.add (f64x2.promote_low_f32x4 (local.tee $t (f32x4.add
          (f32x4.add (local.get $b0) (local.get $b1)) (f32x4.add (local.get $b2) (local.get $b3)))))
          (f64x2.promote_low_f32x4
              (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $t) (local.get $t))))))
      (br $nextBlock)))
    (if (result f64 f64) (i32.lt_u (local.get $p) (local.get $end))
      (then (call $tailSums (local.get $p) (local.get $end) (f64.promote_f32 (local.get $shift))
                (call $lanes (local.get $sum)) (call $lanes (local.get $squares))))
      (else (f64.add (f64x2.extract_lane 0 (local.get $sum)) (f64x2.extract_lane 1 (local.get $sum)))
            (f64.add (f64x2.extract_lane 0 (local.get $squares)) (f64x2.extract_lane 1 (local.get $squares)))))
    (local.set $s2)
    (local.set $s1)
    (f64.store offset=8 (local.get $out) (f64.add (f64.load offset=8 (local.get $out)) (local.get $s1)))
    (f64.store offset=16 (local.get $out) (f64.add (f64.load offset=16 (local.get $out)) (local.get $s2))))

  ;; The sum of x - $shift over the n float32 at $p: float32 blocks, 16 elements
  ;; per iteration.
  (func $blockSum (param $p i32) (param $n i32) (param $shift f32) (result f64)
    (local $end i32) (local $end16 i32) (local $stop i32) (local $m v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $sum v128) (local $t v128)
    (local.set $m (f32x4.splat (local.get $shift)))
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end16 (i32.add (local.get $p)
        (i32.shl (i32.and (local.get $n) (i32.const -16)) (i32.const 2))))
    (block $blocksDone (loop $nextBlock
      (br_if $blocksDone (i32.ge_u (local.get $p) (local.get $end16)))
      (local.set $stop (i32.add (local.get $p) (global.get $BLOCK_BYTES)))
      (local.set $stop (select (local.get $stop) (local.get $end16) (i32.lt_u (local.get $stop) (local.get $end16))))
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
      (local.set $sum (f64x2.add (local.get $sum) (f64x2.add (f64x2.promote_low_f32x4 (local.tee $t (f32x4.add
          (f32x4.add (local.get $a0) (local.get $a1)) (f32x4.add (local.get $a2) (local.get $a3)))))
          (f64x2.promote_low_f32x4
              (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $t) (local.get $t))))))
      (br $nextBlock)))
    (if (result f64) (i32.lt_u (local.get $p) (local.get $end))
      (then (call $tailSums (local.get $p) (local.get $end) (f64.promote_f32 (local.get $shift))
                (call $lanes (local.get $sum)) (f64.const 0))
            (drop))
      (else (f64.add (f64x2.extract_lane 0 (local.get $sum)) (f64x2.extract_lane 1 (local.get $sum))))))

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

  ;; The same sums in float64 throughout: exact d, for the groups the block sums
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

  ;; y = ((x - hi) - lo) * scale * gamma + beta over $bytes / 4 elements;
  ;; 16 per iteration, then 4, then 1.
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
      (v128.store (local.get $y) (f32x4.add (f32x4.mul (f32x4.mul
          (f32x4.sub (f32x4.sub (v128.load (local.get $x)) (local.get $vHi)) (local.get $vLo))
          (local.get $vScale)) (v128.load (local.get $gamma))) (v128.load (local.get $beta))))
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

  ;; Backward pass 1 over a run: adds dy * xhat and dy into the float32 column
  ;; partials at $gammaParts and $betaParts; adds the run's sums of g = dy * gamma
  ;; and g * xhat (float32 blocks added in float64) to the float64 at $out, $out + 8.
  (func $gradSums (param $dy i32) (param $x i32) (param $gamma i32) (param $gammaParts i32)
      (param $betaParts i32) (param $bytes i32) (param $hi f32) (param $lo f32) (param $scale f32)
      (param $out i32)
    (local $j i32) (local $n4 i32) (local $stop i32)
    (local $sumG f64) (local $sumGXhat f64) (local $xh f32) (local $dyj f32) (local $gj f32)
    (local $vHi v128) (local $vLo v128) (local $vScale v128)
    (local $vdy v128) (local $vxh v128) (local $vg v128) (local $accG v128) (local $accGX v128)
    (local $wideG v128) (local $wideGX v128) (local $t v128)
    (local.set $n4 (i32.and (local.get $bytes) (i32.const -16)))
    (local.set $vHi (f32x4.splat (local.get $hi)))
    (local.set $vLo (f32x4.splat (local.get $lo)))
    (local.set $vScale (f32x4.splat (local.get $scale)))
    (block $blocksDone (loop $nextBlock
      (br_if $blocksDone (i32.ge_u (local.get $j) (local.get $n4)))
      (local.set $stop (i32.add (local.get $j) (global.get $BLOCK_BYTES)))
      (local.set $stop (select (local.get $stop) (local.get $n4) (i32.lt_u (local.get $stop) (local.get $n4))))
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
      (local.set $wideG (f64x2.add (local.get $wideG) (f64x2.add (f64x2.promote_low_f32x4 (local.tee $t (local.get $accG)))
          (f64x2.promote_low_f32x4
              (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $t) (local.get $t))))))
      (local.set $wideGX (f64x2.add (local.get $wideGX) (f64x2.add (f64x2.promote_low_f32x4 (local.tee $t (local.get $accGX)))
          (f64x2.promote_low_f32x4
              (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $t) (local.get $t))))))
      (br $nextBlock)))
    (local.set $sumG (call $lanes (local.get $wideG)))
    (local.set $sumGXhat (call $lanes (local.get $wideGX)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $j) (local.get $bytes)))
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
    (f64.store (local.get $out) (f64.add (f64.load (local.get $out)) (local.get $sumG)))
    (f64.store offset=8 (local.get $out) (f64.add (f64.load offset=8 (local.get $out)) (local.get $sumGXhat))))

  ;; Adds the $bytes / 4 float32 partials at $parts into the float64 $sums and zeroes them.
  (func $flushColumns (param $parts i32) (param $sums i32) (param $bytes i32)
    (local $end i32) (local $end4 i32) (local $v v128)
    (local.set $end (i32.add (local.get $parts) (local.get $bytes)))
    (local.set $end4 (i32.add (local.get $parts) (i32.and (local.get $bytes) (i32.const -16))))
    (block $done4 (loop $next4
      (br_if $done4 (i32.ge_u (local.get $parts) (local.get $end4)))
      (local.set $v (v128.load (local.get $parts)))
      (v128.store (local.get $sums) (f64x2.add (v128.load (local.get $sums))
          (f64x2.promote_low_f32x4 (local.get $v))))
      (v128.store offset=16 (local.get $sums) (f64x2.add (v128.load offset=16 (local.get $sums))
          (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))
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

  ;; Backward pass 2 over a run: dx = (dy * gamma - ((x - hi) - lo) * xhatCoef) * scale
  ;; + const: each term about g before the scale (scale * xhatCoef may underflow).
  (func $gradInput (param $dy i32) (param $x i32) (param $gamma i32) (param $dx i32)
      (param $bytes i32) (param $hi f32) (param $lo f32) (param $scale f32)
      (param $coef f32) (param $const f32)
    (local $end i32) (local $end4 i32)
    (local $vHi v128) (local $vLo v128) (local $vScale v128) (local $vCoef v128) (local $vConst v128)
    (local.set $end (i32.add (local.get $x) (local.get $bytes)))
    (local.set $end4 (i32.add (local.get $x) (i32.and (local.get $bytes) (i32.const -16))))
    (local.set $vHi (f32x4.splat (local.get $hi)))
    (local.set $vLo (f32x4.splat (local.get $lo)))
    (local.set $vScale (f32x4.splat (local.get $scale)))
    (local.set $vCoef (f32x4.splat (local.get $coef)))
    (local.set $vConst (f32x4.splat (local.get $const)))
    (block $done4 (loop $next4
      (br_if $done4 (i32.ge_u (local.get $x) (local.get $end4)))
      (v128.store (local.get $dx) (f32x4.add (f32x4.mul (f32x4.sub
          (f32x4.mul (v128.load (local.get $dy)) (v128.load (local.get $gamma)))
          (f32x4.mul (f32x4.sub (f32x4.sub (v128.load (local.get $x)) (local.get $vHi)) (local.get $vLo))
                     (local.get $vCoef)))
          (local.get $vScale)) (local.get $vConst)))
      (local.set $dy (i32.add (local.get $dy) (i32.const 16)))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (local.set $gamma (i32.add (local.get $gamma) (i32.const 16)))
      (local.set $dx (i32.add (local.get $dx) (i32.const 16)))
      (br $next4)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
      (f32.store (local.get $dx) (f32.add (f32.mul (f32.sub
          (f32.mul (f32.load (local.get $dy)) (f32.load (local.get $gamma)))
          (f32.mul (f32.sub (f32.sub (f32.load (local.get $x)) (local.get $hi)) (local.get $lo))
                   (local.get $coef)))
          (local.get $scale)) (local.get $const)))
      (local.set $dy (i32.add (local.get $dy) (i32.const 4)))
      (local.set $x (i32.add (local.get $x) (i32.const 4)))
      (local.set $gamma (i32.add (local.get $gamma) (i32.const 4)))
      (local.set $dx (i32.add (local.get $dx) (i32.const 4)))
      (br $next))))

  ;; Entry $i of an i32 table.
  (func $entry (param $table i32) (param $i i32) (result i32)
    (i32.load (i32.add (local.get $table) (i32.shl (local.get $i) (i32.const 2)))))

  ;; --- One group at a time --------------------------------------------------

  ;; Forward over one group starting at $x (and $y), $runCount runs at the byte
  ;; offsets of the table $runs; stores its mean and invStd.
  (func $forwardGroup (param $x i32) (param $gamma i32) (param $beta i32) (param $y i32)
      (param $meanOut i32) (param $invStdOut i32) (param $runs i32) (param $runCount i32)
      (param $runLength i32) (param $epsilon f64)
    (local $r i32) (local $off i32) (local $runBytes i32) (local $param i32) (local $first f64)
    (local $shift f64) (local $s1 f64) (local $s2 f64) (local $count f64)
    (local $mean f64) (local $invStd f64) (local $hi f32) (local $lo f32) (local $scale f32)
    (local.set $runBytes (i32.shl (local.get $runLength) (i32.const 2)))
    ;; The shift: the group's first value, or 0 when it is not finite.
    (local.set $first (f64.promote_f32 (f32.load (i32.add (local.get $x) (i32.load (local.get $runs))))))
    (local.set $shift (select (local.get $first) (f64.const 0)
        (f64.eq (f64.sub (local.get $first) (local.get $first)) (f64.const 0))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $r) (local.get $runCount)))
      (call $wideSums
          (i32.add (local.get $x) (call $entry (local.get $runs) (local.get $r)))
          (local.get $runLength) (local.get $shift))
      (local.set $s2 (f64.add (local.get $s2)))
      (local.set $s1 (f64.add (local.get $s1)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $next)))
    (local.set $count (f64.mul (f64.convert_i32_u (local.get $runCount))
                               (f64.convert_i32_u (local.get $runLength))))
    (local.set $mean (f64.add (local.get $shift) (f64.div (local.get $s1) (local.get $count))))
    ;; max(., 0): rounding may leave a zero variance a hair below zero.
    (local.set $invStd (f64.div (f64.const 1) (f64.sqrt (f64.add
        (f64.max (f64.const 0) (f64.div
            (f64.sub (local.get $s2) (f64.mul (local.get $s1) (f64.div (local.get $s1) (local.get $count))))
            (local.get $count)))
        (local.get $epsilon)))))
    (local.set $hi (f32.demote_f64 (local.get $mean)))
    (local.set $lo (f32.demote_f64 (f64.sub (local.get $mean) (f64.promote_f32 (local.get $hi)))))
    (local.set $scale (f32.demote_f64 (local.get $invStd)))
    (f32.store (local.get $meanOut) (local.get $hi))
    (f32.store (local.get $invStdOut) (local.get $scale))
    (local.set $r (i32.const 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $r) (local.get $runCount)))
      (local.set $off (call $entry (local.get $runs) (local.get $r)))
      (local.set $param (i32.mul (local.get $r) (local.get $runBytes)))
      (if (f64.lt (local.get $invStd) (global.get $TINY_INV_STD))
        (then (call $normalizeWide
            (i32.add (local.get $x) (local.get $off)) (i32.add (local.get $gamma) (local.get $param))
            (i32.add (local.get $beta) (local.get $param)) (i32.add (local.get $y) (local.get $off))
            (local.get $runBytes) (local.get $mean) (local.get $invStd)))
        (else (call $normalize
            (i32.add (local.get $x) (local.get $off)) (i32.add (local.get $gamma) (local.get $param))
            (i32.add (local.get $beta) (local.get $param)) (i32.add (local.get $y) (local.get $off))
            (local.get $runBytes) (local.get $hi) (local.get $lo) (local.get $scale))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $next))))

  ;; Rounds the float64 parameter gradients once into the float32 outputs.
  (func $roundSums (param $dGammaSum i32) (param $dBetaSum i32) (param $dGamma i32)
      (param $dBeta i32) (param $n i32)
    (local $j i32) (local $k i32)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $j) (i32.shl (local.get $n) (i32.const 2))))
      (f32.store (i32.add (local.get $dGamma) (local.get $j))
          (f32.demote_f64 (f64.load (i32.add (local.get $dGammaSum) (local.get $k)))))
      (f32.store (i32.add (local.get $dBeta) (local.get $j))
          (f32.demote_f64 (f64.load (i32.add (local.get $dBetaSum) (local.get $k)))))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (local.set $k (i32.add (local.get $k) (i32.const 8)))
      (br $next))))

  ;; --- Runs ----------------------------------------------------------------
  ;; x is walked in memory order, one run of $runLength elements at a time,
  ;; $dims (16 bytes per axis run other than the innermost, outermost first:
  ;; size, byte weight into $scratch, byte weight into gamma, a counter left
  ;; at 0) giving each run's group and gamma offset. $scratch: 32 bytes per
  ;; group. A column's runs come in group order, so group g adds its g-th term.

  ;; The next run's offsets into $scratch and gamma.
  (func $advance (param $dims i32) (param $d i32) (param $g i32) (param $r i32) (result i32 i32)
    (local $e i32)
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $d)))
      (local.set $d (i32.sub (local.get $d) (i32.const 1)))
      (local.set $e (i32.add (local.get $dims) (i32.shl (local.get $d) (i32.const 4))))
      (local.set $g (i32.add (local.get $g) (i32.load offset=4 (local.get $e))))
      (local.set $r (i32.add (local.get $r) (i32.load offset=8 (local.get $e))))
      (i32.store offset=12 (local.get $e) (i32.add (i32.load offset=12 (local.get $e)) (i32.const 1)))
      (br_if $done (i32.lt_u (i32.load offset=12 (local.get $e)) (i32.load (local.get $e))))
      (local.set $g (i32.sub (local.get $g)
          (i32.mul (i32.load offset=4 (local.get $e)) (i32.load (local.get $e)))))
      (local.set $r (i32.sub (local.get $r)
          (i32.mul (i32.load offset=8 (local.get $e)) (i32.load (local.get $e)))))
      (i32.store offset=12 (local.get $e) (i32.const 0))
      (br $next)))
    (local.get $g)
    (local.get $r))

  ;; The group's shift (its first value, or 0 when not finite) at $s, from its first run at $p.
  (func $storeShift (param $s i32) (param $p i32)
    (local $first f64)
    (local.set $first (f64.promote_f32 (f32.load (local.get $p))))
    (f64.store (local.get $s) (select (local.get $first) (f64.const 0)
        (f64.eq (f64.sub (local.get $first) (local.get $first)) (f64.const 0)))))

  ;; From the float64 shift, sums of d and d^2 at $s: mean and invStd (float64),
  ;; hi, lo, scale (float32) over them, and returns 0; or, when $checked and
  ;; the one-pass variance cannot be kept, zeroes the sums, flags the group
  ;; (i32 at 28) and returns 1.
  (func $runStats (param $s i32) (param $count f64) (param $epsilon f64) (param $checked i32)
      (param $meanOut i32) (param $invStdOut i32) (result i32)
    (local $offset f64) (local $variance f64) (local $mean f64) (local $invStd f64) (local $hi f32)
    (local.set $offset (f64.div (f64.load offset=8 (local.get $s)) (local.get $count)))
    (local.set $variance (f64.sub (f64.div (f64.load offset=16 (local.get $s)) (local.get $count))
                                  (f64.mul (local.get $offset) (local.get $offset))))
    ;; Also true for NaN: non-finite sums take the float64 pass too.
    (if (i32.and (local.get $checked)
                 (i32.eqz (f64.le (f64.mul (local.get $offset) (local.get $offset))
                                  (f64.mul (global.get $SHIFT_LIMIT) (local.get $variance)))))
      (then
        (f64.store offset=8 (local.get $s) (f64.const 0))
        (f64.store offset=16 (local.get $s) (f64.const 0))
        (i32.store offset=28 (local.get $s) (i32.const 1))
        (return (i32.const 1))))
    (local.set $mean (f64.add (f64.load (local.get $s)) (local.get $offset)))
    ;; max(., 0): rounding may leave a zero variance a hair below zero.
    (local.set $invStd (f64.div (f64.const 1) (f64.sqrt (f64.add
        (f64.max (f64.const 0) (local.get $variance)) (local.get $epsilon)))))
    (local.set $hi (f32.demote_f64 (local.get $mean)))
    (f64.store (local.get $s) (local.get $mean))
    (f64.store offset=8 (local.get $s) (local.get $invStd))
    (f32.store offset=16 (local.get $s) (local.get $hi))
    (f32.store offset=20 (local.get $s)
        (f32.demote_f64 (f64.sub (local.get $mean) (f64.promote_f32 (local.get $hi)))))
    (f32.store offset=24 (local.get $s) (f32.demote_f64 (local.get $invStd)))
    (i32.store offset=28 (local.get $s) (i32.const 0))
    (f32.store (local.get $meanOut) (local.get $hi))
    (f32.store (local.get $invStdOut) (f32.demote_f64 (local.get $invStd)))
    (i32.const 0))

  (func (export "forwardRuns")
      (param $x i32) (param $gamma i32) (param $beta i32) (param $y i32)
      (param $meanOut i32) (param $invStdOut i32) (param $groupCount i32) (param $dims i32)
      (param $dimCount i32) (param $runCount i32) (param $runLength i32) (param $scratch i32)
      (param $epsilon f64)
    (local $last i32) (local $c i32)
    (local $t i32) (local $g i32) (local $r i32) (local $p i32) (local $s i32) (local $runBytes i32)
    (local $flagged i32) (local $count f64) (local $s1 f64) (local $s2 f64)
    (local.set $last (i32.add (local.get $dims) (i32.shl (i32.sub (local.get $dimCount) (i32.const 1)) (i32.const 4))))
    (local.set $runBytes (i32.shl (local.get $runLength) (i32.const 2)))
    (memory.fill (local.get $scratch) (i32.const 0) (i32.shl (local.get $groupCount) (i32.const 5)))
    ;; Pass 1: per group the shift and the sums of d and d^2 (float32 blocks).
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $t) (local.get $runCount)))
      (local.set $p (i32.add (local.get $x) (i32.mul (local.get $t) (local.get $runBytes))))
      (local.set $s (i32.add (local.get $scratch) (local.get $g)))
      (if (i32.eqz (local.get $r)) (then (call $storeShift (local.get $s) (local.get $p))))
      (call $blockSums (local.get $p) (local.get $runLength) (f32.demote_f64 (f64.load (local.get $s)))
          (local.get $s))
      ;; The next run: the innermost outer axis inline, the others by $advance.
      (local.set $g (i32.add (local.get $g) (i32.load offset=4 (local.get $last))))
      (local.set $r (i32.add (local.get $r) (i32.load offset=8 (local.get $last))))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (if (i32.eq (local.get $c) (i32.load (local.get $last)))
        (then
          (local.set $c (i32.const 0))
          (call $advance (local.get $dims) (i32.sub (local.get $dimCount) (i32.const 1))
              (i32.sub (local.get $g) (i32.mul (i32.load offset=4 (local.get $last)) (i32.load (local.get $last))))
              (i32.sub (local.get $r) (i32.mul (i32.load offset=8 (local.get $last)) (i32.load (local.get $last)))))
          (local.set $r)
          (local.set $g)))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br $next)))
    (local.set $count (f64.div (f64.mul (f64.convert_i32_u (local.get $runCount))
                                        (f64.convert_i32_u (local.get $runLength)))
                               (f64.convert_i32_u (local.get $groupCount))))
    (local.set $t (i32.const 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $t) (local.get $groupCount)))
      (local.set $flagged (i32.or (local.get $flagged) (call $runStats
          (i32.add (local.get $scratch) (i32.shl (local.get $t) (i32.const 5)))
          (local.get $count) (local.get $epsilon) (i32.const 1)
          (i32.add (local.get $meanOut) (i32.shl (local.get $t) (i32.const 2)))
          (i32.add (local.get $invStdOut) (i32.shl (local.get $t) (i32.const 2))))))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br $next)))
    (if (local.get $flagged)
      (then
        ;; The flagged groups' sums again, in float64.
        (local.set $t (i32.const 0))
        (block $done (loop $next
          (br_if $done (i32.ge_u (local.get $t) (local.get $runCount)))
          (local.set $s (i32.add (local.get $scratch) (local.get $g)))
          (if (i32.load offset=28 (local.get $s))
            (then
              (call $wideSums (i32.add (local.get $x) (i32.mul (local.get $t) (local.get $runBytes)))
                  (local.get $runLength) (f64.load (local.get $s)))
              (local.set $s2)
              (local.set $s1)
              (f64.store offset=8 (local.get $s) (f64.add (f64.load offset=8 (local.get $s)) (local.get $s1)))
              (f64.store offset=16 (local.get $s) (f64.add (f64.load offset=16 (local.get $s)) (local.get $s2)))))
          ;; The next run: the innermost outer axis inline, the others by $advance.
          (local.set $g (i32.add (local.get $g) (i32.load offset=4 (local.get $last))))
          (local.set $r (i32.add (local.get $r) (i32.load offset=8 (local.get $last))))
          (local.set $c (i32.add (local.get $c) (i32.const 1)))
          (if (i32.eq (local.get $c) (i32.load (local.get $last)))
            (then
              (local.set $c (i32.const 0))
              (call $advance (local.get $dims) (i32.sub (local.get $dimCount) (i32.const 1))
                  (i32.sub (local.get $g) (i32.mul (i32.load offset=4 (local.get $last)) (i32.load (local.get $last))))
                  (i32.sub (local.get $r) (i32.mul (i32.load offset=8 (local.get $last)) (i32.load (local.get $last)))))
              (local.set $r)
              (local.set $g)))
          (local.set $t (i32.add (local.get $t) (i32.const 1)))
          (br $next)))
        (local.set $t (i32.const 0))
        (block $done (loop $next
          (br_if $done (i32.ge_u (local.get $t) (local.get $groupCount)))
          (local.set $s (i32.add (local.get $scratch) (i32.shl (local.get $t) (i32.const 5))))
          (if (i32.load offset=28 (local.get $s))
            (then (drop (call $runStats (local.get $s) (local.get $count) (local.get $epsilon) (i32.const 0)
                (i32.add (local.get $meanOut) (i32.shl (local.get $t) (i32.const 2)))
                (i32.add (local.get $invStdOut) (i32.shl (local.get $t) (i32.const 2)))))))
          (local.set $t (i32.add (local.get $t) (i32.const 1)))
          (br $next)))))
    ;; Pass 2.
    (local.set $t (i32.const 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $t) (local.get $runCount)))
      (local.set $p (i32.mul (local.get $t) (local.get $runBytes)))
      (local.set $s (i32.add (local.get $scratch) (local.get $g)))
      (if (f64.lt (f64.load offset=8 (local.get $s)) (global.get $TINY_INV_STD))
        (then (call $normalizeWide
            (i32.add (local.get $x) (local.get $p)) (i32.add (local.get $gamma) (local.get $r))
            (i32.add (local.get $beta) (local.get $r)) (i32.add (local.get $y) (local.get $p))
            (local.get $runBytes) (f64.load (local.get $s)) (f64.load offset=8 (local.get $s))))
        (else (call $normalize
            (i32.add (local.get $x) (local.get $p)) (i32.add (local.get $gamma) (local.get $r))
            (i32.add (local.get $beta) (local.get $r)) (i32.add (local.get $y) (local.get $p))
            (local.get $runBytes) (f32.load offset=16 (local.get $s)) (f32.load offset=20 (local.get $s))
            (f32.load offset=24 (local.get $s)))))
      ;; The next run: the innermost outer axis inline, the others by $advance.
      (local.set $g (i32.add (local.get $g) (i32.load offset=4 (local.get $last))))
      (local.set $r (i32.add (local.get $r) (i32.load offset=8 (local.get $last))))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (if (i32.eq (local.get $c) (i32.load (local.get $last)))
        (then
          (local.set $c (i32.const 0))
          (call $advance (local.get $dims) (i32.sub (local.get $dimCount) (i32.const 1))
              (i32.sub (local.get $g) (i32.mul (i32.load offset=4 (local.get $last)) (i32.load (local.get $last))))
              (i32.sub (local.get $r) (i32.mul (i32.load offset=8 (local.get $last)) (i32.load (local.get $last)))))
          (local.set $r)
          (local.set $g)))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br $next))))

  ;; $dGammaSum and $dBetaSum: float64 scratch of groupLength elements; dGamma
  ;; and dBeta hold the float32 column partials until the sums are rounded into them.
  (func (export "backwardRuns")
      (param $dy i32) (param $x i32) (param $invStd i32) (param $gamma i32)
      (param $dMean i32) (param $dInvStd i32) (param $dx i32) (param $dGamma i32)
      (param $dBeta i32) (param $dGammaSum i32) (param $dBetaSum i32)
      (param $groupCount i32) (param $dims i32) (param $dimCount i32) (param $runCount i32)
      (param $runLength i32) (param $scratch i32)
    (local $last i32) (local $c i32)
    (local $t i32) (local $g i32) (local $r i32) (local $p i32) (local $s i32) (local $runBytes i32)
    (local $n i32) (local $group i32) (local $flagged i32)
    (local $count f64) (local $mean f64) (local $scale f64) (local $s1 f64) (local $s2 f64) (local $hi f32)
    (local.set $last (i32.add (local.get $dims) (i32.shl (i32.sub (local.get $dimCount) (i32.const 1)) (i32.const 4))))
    (local.set $runBytes (i32.shl (local.get $runLength) (i32.const 2)))
    (local.set $n (i32.mul (i32.div_u (local.get $runCount) (local.get $groupCount)) (local.get $runLength)))
    (local.set $count (f64.convert_i32_u (local.get $n)))
    (memory.fill (local.get $dGammaSum) (i32.const 0) (i32.shl (local.get $n) (i32.const 3)))
    (memory.fill (local.get $dBetaSum) (i32.const 0) (i32.shl (local.get $n) (i32.const 3)))
    (memory.fill (local.get $dGamma) (i32.const 0) (i32.shl (local.get $n) (i32.const 2)))
    (memory.fill (local.get $dBeta) (i32.const 0) (i32.shl (local.get $n) (i32.const 2)))
    (memory.fill (local.get $scratch) (i32.const 0) (i32.shl (local.get $groupCount) (i32.const 5)))
    ;; The means from x (src/kernel_names.ts): per group the shift and the sum of d.
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $t) (local.get $runCount)))
      (local.set $p (i32.add (local.get $x) (i32.mul (local.get $t) (local.get $runBytes))))
      (local.set $s (i32.add (local.get $scratch) (local.get $g)))
      (if (i32.eqz (local.get $r)) (then (call $storeShift (local.get $s) (local.get $p))))
      (f64.store offset=8 (local.get $s) (f64.add (f64.load offset=8 (local.get $s)) (call $blockSum
          (local.get $p) (local.get $runLength) (f32.demote_f64 (f64.load (local.get $s))))))
      ;; The next run: the innermost outer axis inline, the others by $advance.
      (local.set $g (i32.add (local.get $g) (i32.load offset=4 (local.get $last))))
      (local.set $r (i32.add (local.get $r) (i32.load offset=8 (local.get $last))))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (if (i32.eq (local.get $c) (i32.load (local.get $last)))
        (then
          (local.set $c (i32.const 0))
          (call $advance (local.get $dims) (i32.sub (local.get $dimCount) (i32.const 1))
              (i32.sub (local.get $g) (i32.mul (i32.load offset=4 (local.get $last)) (i32.load (local.get $last))))
              (i32.sub (local.get $r) (i32.mul (i32.load offset=8 (local.get $last)) (i32.load (local.get $last)))))
          (local.set $r)
          (local.set $g)))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br $next)))
    ;; Non-finite sums (overflowing d) again in float64.
    (local.set $t (i32.const 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $t) (local.get $groupCount)))
      (local.set $s (i32.add (local.get $scratch) (i32.shl (local.get $t) (i32.const 5))))
      (local.set $s1 (f64.load offset=8 (local.get $s)))
      (if (f64.ne (f64.sub (local.get $s1) (local.get $s1)) (f64.const 0))
        (then
          (f64.store offset=8 (local.get $s) (f64.const 0))
          (i32.store offset=28 (local.get $s) (i32.const 1))
          (local.set $flagged (i32.const 1))))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br $next)))
    (if (local.get $flagged)
      (then
        (local.set $t (i32.const 0))
        (block $done (loop $next
          (br_if $done (i32.ge_u (local.get $t) (local.get $runCount)))
          (local.set $s (i32.add (local.get $scratch) (local.get $g)))
          (if (i32.load offset=28 (local.get $s))
            (then
              (call $wideSums (i32.add (local.get $x) (i32.mul (local.get $t) (local.get $runBytes)))
                  (local.get $runLength) (f64.load (local.get $s)))
              (drop)
              (local.set $s1)
              (f64.store offset=8 (local.get $s) (f64.add (f64.load offset=8 (local.get $s)) (local.get $s1)))))
          ;; The next run: the innermost outer axis inline, the others by $advance.
          (local.set $g (i32.add (local.get $g) (i32.load offset=4 (local.get $last))))
          (local.set $r (i32.add (local.get $r) (i32.load offset=8 (local.get $last))))
          (local.set $c (i32.add (local.get $c) (i32.const 1)))
          (if (i32.eq (local.get $c) (i32.load (local.get $last)))
            (then
              (local.set $c (i32.const 0))
              (call $advance (local.get $dims) (i32.sub (local.get $dimCount) (i32.const 1))
                  (i32.sub (local.get $g) (i32.mul (i32.load offset=4 (local.get $last)) (i32.load (local.get $last))))
                  (i32.sub (local.get $r) (i32.mul (i32.load offset=8 (local.get $last)) (i32.load (local.get $last)))))
              (local.set $r)
              (local.set $g)))
          (local.set $t (i32.add (local.get $t) (i32.const 1)))
          (br $next)))))
    ;; $scratch then holds hi, lo, scale (float32) and the sums of g and g * xhat (float64).
    (local.set $t (i32.const 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $t) (local.get $groupCount)))
      (local.set $s (i32.add (local.get $scratch) (i32.shl (local.get $t) (i32.const 5))))
      (local.set $mean (f64.add (f64.load (local.get $s))
                                (f64.div (f64.load offset=8 (local.get $s)) (local.get $count))))
      (local.set $hi (f32.demote_f64 (local.get $mean)))
      (f32.store (local.get $s) (local.get $hi))
      (f32.store offset=4 (local.get $s)
          (f32.demote_f64 (f64.sub (local.get $mean) (f64.promote_f32 (local.get $hi)))))
      (f32.store offset=8 (local.get $s)
          (f32.load (i32.add (local.get $invStd) (i32.shl (local.get $t) (i32.const 2)))))
      (f64.store offset=16 (local.get $s) (f64.const 0))
      (f64.store offset=24 (local.get $s) (f64.const 0))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br $next)))
    ;; Pass 1: the sums of g and g * xhat; dGamma, dBeta (float32 partials,
    ;; a column's flushed at every GROUPS_PER_FLUSH-th group and the last).
    (local.set $t (i32.const 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $t) (local.get $runCount)))
      (local.set $p (i32.mul (local.get $t) (local.get $runBytes)))
      (local.set $s (i32.add (local.get $scratch) (local.get $g)))
      (call $gradSums
          (i32.add (local.get $dy) (local.get $p)) (i32.add (local.get $x) (local.get $p))
          (i32.add (local.get $gamma) (local.get $r))
          (i32.add (local.get $dGamma) (local.get $r)) (i32.add (local.get $dBeta) (local.get $r))
          (local.get $runBytes) (f32.load (local.get $s)) (f32.load offset=4 (local.get $s))
          (f32.load offset=8 (local.get $s)) (i32.add (local.get $s) (i32.const 16)))
      (local.set $group (i32.add (i32.shr_u (local.get $g) (i32.const 5)) (i32.const 1)))
      (if (i32.or (i32.eqz (i32.rem_u (local.get $group) (global.get $GROUPS_PER_FLUSH)))
                  (i32.eq (local.get $group) (local.get $groupCount)))
        (then
          (call $flushColumns (i32.add (local.get $dGamma) (local.get $r))
              (i32.add (local.get $dGammaSum) (i32.shl (local.get $r) (i32.const 1))) (local.get $runBytes))
          (call $flushColumns (i32.add (local.get $dBeta) (local.get $r))
              (i32.add (local.get $dBetaSum) (i32.shl (local.get $r) (i32.const 1))) (local.get $runBytes))))
      ;; The next run: the innermost outer axis inline, the others by $advance.
      (local.set $g (i32.add (local.get $g) (i32.load offset=4 (local.get $last))))
      (local.set $r (i32.add (local.get $r) (i32.load offset=8 (local.get $last))))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (if (i32.eq (local.get $c) (i32.load (local.get $last)))
        (then
          (local.set $c (i32.const 0))
          (call $advance (local.get $dims) (i32.sub (local.get $dimCount) (i32.const 1))
              (i32.sub (local.get $g) (i32.mul (i32.load offset=4 (local.get $last)) (i32.load (local.get $last))))
              (i32.sub (local.get $r) (i32.mul (i32.load offset=8 (local.get $last)) (i32.load (local.get $last)))))
          (local.set $r)
          (local.set $g)))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br $next)))
    ;; xhatCoef and constCoef (src/kernel_names.ts) as float32, at 12 and 16.
    (local.set $t (i32.const 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $t) (local.get $groupCount)))
      (local.set $s (i32.add (local.get $scratch) (i32.shl (local.get $t) (i32.const 5))))
      (local.set $p (i32.shl (local.get $t) (i32.const 2)))
      (local.set $scale (f64.promote_f32 (f32.load offset=8 (local.get $s))))
      (f32.store offset=12 (local.get $s) (f32.demote_f64 (f64.div
          (f64.add (f64.mul (local.get $scale) (f64.load offset=24 (local.get $s)))
                   (f64.mul (f64.mul (f64.promote_f32 (f32.load (i32.add (local.get $dInvStd) (local.get $p))))
                                     (local.get $scale)) (local.get $scale)))
          (local.get $count))))
      (f32.store offset=16 (local.get $s) (f32.demote_f64 (f64.div
          (f64.sub (f64.promote_f32 (f32.load (i32.add (local.get $dMean) (local.get $p))))
                   (f64.mul (local.get $scale) (f64.load offset=16 (local.get $s))))
          (local.get $count))))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br $next)))
    ;; Pass 2: dx in float32.
    (local.set $t (i32.const 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $t) (local.get $runCount)))
      (local.set $p (i32.mul (local.get $t) (local.get $runBytes)))
      (local.set $s (i32.add (local.get $scratch) (local.get $g)))
      (call $gradInput
          (i32.add (local.get $dy) (local.get $p)) (i32.add (local.get $x) (local.get $p))
          (i32.add (local.get $gamma) (local.get $r)) (i32.add (local.get $dx) (local.get $p))
          (local.get $runBytes) (f32.load (local.get $s)) (f32.load offset=4 (local.get $s))
          (f32.load offset=8 (local.get $s)) (f32.load offset=12 (local.get $s))
          (f32.load offset=16 (local.get $s)))
      ;; The next run: the innermost outer axis inline, the others by $advance.
      (local.set $g (i32.add (local.get $g) (i32.load offset=4 (local.get $last))))
      (local.set $r (i32.add (local.get $r) (i32.load offset=8 (local.get $last))))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (if (i32.eq (local.get $c) (i32.load (local.get $last)))
        (then
          (local.set $c (i32.const 0))
          (call $advance (local.get $dims) (i32.sub (local.get $dimCount) (i32.const 1))
              (i32.sub (local.get $g) (i32.mul (i32.load offset=4 (local.get $last)) (i32.load (local.get $last))))
              (i32.sub (local.get $r) (i32.mul (i32.load offset=8 (local.get $last)) (i32.load (local.get $last)))))
          (local.set $r)
          (local.set $g)))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br $next)))
    (call $roundSums (local.get $dGammaSum) (local.get $dBetaSum) (local.get $dGamma)
        (local.get $dBeta) (local.get $n)))

  ;; --- Lanes ---------------------------------------------------------------

  ;; Four float64 pairs (low and high halves of two f32x4) as one f32x4.
  (func $demote4 (param $lo v128) (param $hi v128) (result v128)
    (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
        (f32x4.demote_f64x2_zero (local.get $lo)) (f32x4.demote_f64x2_zero (local.get $hi))))

  (func $promoteHigh (param $v v128) (result v128)
    (f64x2.promote_low_f32x4
        (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))

  ;; The float64 sums of d and d^2 (low and high pairs) of four adjacent groups
  ;; at $x over the columns, d = x - $shift: the float64 pass of forwardBlock.
  (func $wideLaneSums (param $x i32) (param $columns i32) (param $bytes i32) (param $shift v128)
      (result v128 v128 v128 v128)
    (local $k i32) (local $v v128) (local $mLo v128) (local $mHi v128) (local $dLo v128) (local $dHi v128)
    (local $a0 v128) (local $a1 v128) (local $b0 v128) (local $b1 v128)
    (local.set $mLo (f64x2.promote_low_f32x4 (local.get $shift)))
    (local.set $mHi (call $promoteHigh (local.get $shift)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $k) (local.get $bytes)))
      (local.set $v (v128.load (i32.add (local.get $x) (i32.load (i32.add (local.get $columns) (local.get $k))))))
      (local.set $dLo (f64x2.sub (f64x2.promote_low_f32x4 (local.get $v)) (local.get $mLo)))
      (local.set $dHi (f64x2.sub (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))) (local.get $mHi)))
      (local.set $a0 (f64x2.add (local.get $a0) (local.get $dLo)))
      (local.set $a1 (f64x2.add (local.get $a1) (local.get $dHi)))
      (local.set $b0 (f64x2.add (local.get $b0) (f64x2.mul (local.get $dLo) (local.get $dLo))))
      (local.set $b1 (f64x2.add (local.get $b1) (f64x2.mul (local.get $dHi) (local.get $dHi))))
      (local.set $k (i32.add (local.get $k) (i32.const 4)))
      (br $next)))
    (local.get $a0) (local.get $a1) (local.get $b0) (local.get $b1))

  ;; Forward over the first 4 * $vectors groups of a block, walking it in
  ;; memory order: column by column, two at a time, the groups' float32 sums
  ;; of d and d^2 in $scratch added into float64 every 16 columns. Per four
  ;; groups, 128 bytes: shifts (float32), sums of d, of d^2 (float32), then of
  ;; d (low, high), of d^2 (low, high) in float64.
  (func $forwardBlock (param $x i32) (param $gamma i32) (param $beta i32) (param $y i32)
      (param $meanOut i32) (param $invStdOut i32) (param $columns i32) (param $n i32)
      (param $vectors i32) (param $scratch i32) (param $epsilon f64)
    (local $k i32) (local $bytes i32) (local $row i32) (local $row2 i32) (local $o i32) (local $s i32)
    (local $rowBytes i32) (local $stop i32) (local $end i32) (local $c1 i32) (local $c2 i32) (local $c3 i32)
    (local $v v128) (local $d0 v128) (local $d1 v128) (local $d2 v128) (local $d3 v128) (local $count v128)
    (local $g1 v128) (local $b1v v128) (local $vLo v128) (local $vScale v128) (local $yx i32)
    (local $g2 v128) (local $g3 v128) (local $b2 v128) (local $b3 v128)
    (local $a0 v128) (local $a1 v128) (local $b0 v128) (local $b1 v128)
    (local $meanLo v128) (local $meanHi v128) (local $varLo v128) (local $varHi v128)
    (local $invLo v128) (local $invHi v128) (local $vHi v128) (local $tiny v128)
    (local $g v128) (local $b v128)
    (local.set $bytes (i32.shl (local.get $n) (i32.const 2)))
    (local.set $rowBytes (i32.shl (local.get $vectors) (i32.const 4)))
    (local.set $end (i32.add (local.get $scratch) (i32.shl (local.get $vectors) (i32.const 7))))
    (memory.fill (local.get $scratch) (i32.const 0) (i32.shl (local.get $vectors) (i32.const 7)))
    ;; The shifts: each group's first value, or 0 where it is not finite.
    (local.set $row (i32.add (local.get $x) (i32.load (local.get $columns))))
    (local.set $s (local.get $scratch))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $s) (local.get $end)))
      (local.set $v (v128.load (local.get $row)))
      (v128.store (local.get $s) (v128.and (local.get $v)
          (f32x4.eq (f32x4.sub (local.get $v) (local.get $v)) (v128.const i64x2 0 0))))
      (local.set $row (i32.add (local.get $row) (i32.const 16)))
      (local.set $s (i32.add (local.get $s) (i32.const 128)))
      (br $next)))
    (block $columnsDone (loop $nextColumns
      (br_if $columnsDone (i32.ge_u (local.get $k) (local.get $bytes)))
      (local.set $stop (i32.add (local.get $k) (i32.const 64)))
      (local.set $stop (select (local.get $stop) (local.get $bytes)
                               (i32.lt_u (local.get $stop) (local.get $bytes))))
      ;; Columns past a multiple of four first, alone, then four at a time.
      (block $singlesDone (loop $nextSingle
        (br_if $singlesDone (i32.eqz (i32.and (i32.sub (local.get $stop) (local.get $k)) (i32.const 12))))
        (local.set $row (i32.add (local.get $x) (i32.load (i32.add (local.get $columns) (local.get $k)))))
        (local.set $s (local.get $scratch))
        (block $done (loop $next
          (br_if $done (i32.ge_u (local.get $s) (local.get $end)))
          (local.set $d0 (f32x4.sub (v128.load (local.get $row)) (v128.load (local.get $s))))
          (v128.store offset=16 (local.get $s)
              (f32x4.add (v128.load offset=16 (local.get $s)) (local.get $d0)))
          (v128.store offset=32 (local.get $s)
              (f32x4.add (v128.load offset=32 (local.get $s)) (f32x4.mul (local.get $d0) (local.get $d0))))
          (local.set $row (i32.add (local.get $row) (i32.const 16)))
          (local.set $s (i32.add (local.get $s) (i32.const 128)))
          (br $next)))
        (local.set $k (i32.add (local.get $k) (i32.const 4)))
        (br $nextSingle)))
      (block $quadsDone (loop $nextQuad
        (br_if $quadsDone (i32.ge_u (local.get $k) (local.get $stop)))
        (local.set $row (i32.add (local.get $x) (i32.load (i32.add (local.get $columns) (local.get $k)))))
        ;; The other three columns' offsets from the first.
        (local.set $c1 (i32.sub (i32.add (local.get $x)
            (i32.load offset=4 (i32.add (local.get $columns) (local.get $k)))) (local.get $row)))
        (local.set $c2 (i32.sub (i32.add (local.get $x)
            (i32.load offset=8 (i32.add (local.get $columns) (local.get $k)))) (local.get $row)))
        (local.set $c3 (i32.sub (i32.add (local.get $x)
            (i32.load offset=12 (i32.add (local.get $columns) (local.get $k)))) (local.get $row)))
        (local.set $s (local.get $scratch))
        (block $done (loop $next
          (br_if $done (i32.ge_u (local.get $s) (local.get $end)))
          (local.set $v (v128.load (local.get $s)))
          (local.set $d0 (f32x4.sub (v128.load (local.get $row)) (local.get $v)))
          (local.set $d1 (f32x4.sub (v128.load (i32.add (local.get $row) (local.get $c1))) (local.get $v)))
          (local.set $d2 (f32x4.sub (v128.load (i32.add (local.get $row) (local.get $c2))) (local.get $v)))
          (local.set $d3 (f32x4.sub (v128.load (i32.add (local.get $row) (local.get $c3))) (local.get $v)))
          (v128.store offset=16 (local.get $s) (f32x4.add (v128.load offset=16 (local.get $s))
              (f32x4.add (f32x4.add (local.get $d0) (local.get $d1)) (f32x4.add (local.get $d2) (local.get $d3)))))
          (v128.store offset=32 (local.get $s) (f32x4.add (v128.load offset=32 (local.get $s))
              (f32x4.add (f32x4.add (f32x4.mul (local.get $d0) (local.get $d0)) (f32x4.mul (local.get $d1) (local.get $d1)))
                         (f32x4.add (f32x4.mul (local.get $d2) (local.get $d2)) (f32x4.mul (local.get $d3) (local.get $d3))))))
          (local.set $row (i32.add (local.get $row) (i32.const 16)))
          (local.set $s (i32.add (local.get $s) (i32.const 128)))
          (br $next)))
        (local.set $k (i32.add (local.get $k) (i32.const 16)))
        (br $nextQuad)))
      ;; The float32 partials into float64.
      (local.set $s (local.get $scratch))
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $s) (local.get $end)))
        (local.set $v (v128.load offset=16 (local.get $s)))
        (v128.store offset=48 (local.get $s)
            (f64x2.add (v128.load offset=48 (local.get $s)) (f64x2.promote_low_f32x4 (local.get $v))))
        (v128.store offset=64 (local.get $s)
            (f64x2.add (v128.load offset=64 (local.get $s)) (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))
        (local.set $v (v128.load offset=32 (local.get $s)))
        (v128.store offset=80 (local.get $s)
            (f64x2.add (v128.load offset=80 (local.get $s)) (f64x2.promote_low_f32x4 (local.get $v))))
        (v128.store offset=96 (local.get $s)
            (f64x2.add (v128.load offset=96 (local.get $s)) (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))
        (v128.store offset=16 (local.get $s) (v128.const i64x2 0 0))
        (v128.store offset=32 (local.get $s) (v128.const i64x2 0 0))
        (local.set $s (i32.add (local.get $s) (i32.const 128)))
        (br $next)))
      (br $nextColumns)))
    ;; The statistics; $scratch then holds hi, lo and scale as float32.
    (local.set $count (f64x2.splat (f64.convert_i32_u (local.get $n))))
    (local.set $tiny (f64x2.splat (global.get $TINY_INV_STD)))
    (local.set $v (v128.const i64x2 0 0))
    (local.set $o (i32.const 0))
    (local.set $s (local.get $scratch))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $o) (local.get $rowBytes)))
      (local.set $a0 (v128.load offset=48 (local.get $s)))
      (local.set $a1 (v128.load offset=64 (local.get $s)))
      (local.set $b0 (v128.load offset=80 (local.get $s)))
      (local.set $b1 (v128.load offset=96 (local.get $s)))
      (local.set $meanLo (f64x2.div (local.get $a0) (local.get $count)))
      (local.set $meanHi (f64x2.div (local.get $a1) (local.get $count)))
      (local.set $varLo (f64x2.sub (f64x2.div (local.get $b0) (local.get $count))
                                   (f64x2.mul (local.get $meanLo) (local.get $meanLo))))
      (local.set $varHi (f64x2.sub (f64x2.div (local.get $b1) (local.get $count))
                                   (f64x2.mul (local.get $meanHi) (local.get $meanHi))))
      ;; Also for NaN: non-finite sums take the float64 pass too.
      (if (v128.any_true (v128.not (v128.and
              (f64x2.le (f64x2.mul (local.get $meanLo) (local.get $meanLo))
                        (f64x2.mul (f64x2.splat (global.get $SHIFT_LIMIT)) (local.get $varLo)))
              (f64x2.le (f64x2.mul (local.get $meanHi) (local.get $meanHi))
                        (f64x2.mul (f64x2.splat (global.get $SHIFT_LIMIT)) (local.get $varHi))))))
        (then
          (call $wideLaneSums (i32.add (local.get $x) (local.get $o)) (local.get $columns)
              (local.get $bytes) (v128.load (local.get $s)))
          (local.set $b1)
          (local.set $b0)
          (local.set $a1)
          (local.set $a0)
          (local.set $meanLo (f64x2.div (local.get $a0) (local.get $count)))
          (local.set $meanHi (f64x2.div (local.get $a1) (local.get $count)))
          (local.set $varLo (f64x2.sub (f64x2.div (local.get $b0) (local.get $count))
                                       (f64x2.mul (local.get $meanLo) (local.get $meanLo))))
          (local.set $varHi (f64x2.sub (f64x2.div (local.get $b1) (local.get $count))
                                       (f64x2.mul (local.get $meanHi) (local.get $meanHi))))))
      (local.set $meanLo (f64x2.add (f64x2.promote_low_f32x4 (v128.load (local.get $s))) (local.get $meanLo)))
      (local.set $meanHi (f64x2.add (call $promoteHigh (v128.load (local.get $s))) (local.get $meanHi)))
      ;; max(., 0): rounding may leave a zero variance a hair below zero.
      (local.set $invLo (f64x2.div (f64x2.splat (f64.const 1)) (f64x2.sqrt (f64x2.add
          (f64x2.max (v128.const i64x2 0 0) (local.get $varLo)) (f64x2.splat (local.get $epsilon))))))
      (local.set $invHi (f64x2.div (f64x2.splat (f64.const 1)) (f64x2.sqrt (f64x2.add
          (f64x2.max (v128.const i64x2 0 0) (local.get $varHi)) (f64x2.splat (local.get $epsilon))))))
      (local.set $vHi (call $demote4 (local.get $meanLo) (local.get $meanHi)))
      (v128.store (local.get $s) (local.get $vHi))
      (v128.store offset=16 (local.get $s) (call $demote4
          (f64x2.sub (local.get $meanLo) (f64x2.promote_low_f32x4 (local.get $vHi)))
          (f64x2.sub (local.get $meanHi) (call $promoteHigh (local.get $vHi)))))
      (v128.store offset=32 (local.get $s) (call $demote4 (local.get $invLo) (local.get $invHi)))
      (v128.store (i32.add (local.get $meanOut) (local.get $o)) (local.get $vHi))
      (v128.store (i32.add (local.get $invStdOut) (local.get $o)) (v128.load offset=32 (local.get $s)))
      (local.set $v (v128.or (local.get $v) (v128.or (f64x2.lt (local.get $invLo) (local.get $tiny))
                                                     (f64x2.lt (local.get $invHi) (local.get $tiny)))))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (local.set $s (i32.add (local.get $s) (i32.const 128)))
      (br $next)))
    (if (v128.any_true (local.get $v))
      (then
        ;; A spread past 2^100 would overflow x - mean in float32: one group at a time.
        (local.set $o (i32.const 0))
        (block $done (loop $next
          (br_if $done (i32.ge_u (local.get $o) (local.get $rowBytes)))
          (call $forwardGroup (i32.add (local.get $x) (local.get $o)) (local.get $gamma)
              (local.get $beta) (i32.add (local.get $y) (local.get $o))
              (i32.add (local.get $meanOut) (local.get $o)) (i32.add (local.get $invStdOut) (local.get $o))
              (local.get $columns) (local.get $n) (i32.const 1) (local.get $epsilon))
          (local.set $o (i32.add (local.get $o) (i32.const 4)))
          (br $next)))
        (return)))
    ;; y, four columns at a time (those past a multiple of four first, alone).
    (local.set $k (i32.const 0))
    (block $singlesDone (loop $nextSingle
      (br_if $singlesDone (i32.eqz (i32.and (i32.sub (local.get $bytes) (local.get $k)) (i32.const 12))))
      (call $normalizeColumn (local.get $x) (local.get $y) (i32.load (i32.add (local.get $columns) (local.get $k)))
          (v128.load32_splat (i32.add (local.get $gamma) (local.get $k)))
          (v128.load32_splat (i32.add (local.get $beta) (local.get $k))) (local.get $scratch) (local.get $end))
      (local.set $k (i32.add (local.get $k) (i32.const 4)))
      (br $nextSingle)))
    (local.set $yx (i32.sub (local.get $y) (local.get $x)))
    (block $columnsDone (loop $nextColumn
      (br_if $columnsDone (i32.ge_u (local.get $k) (local.get $bytes)))
      (local.set $row (i32.load (i32.add (local.get $columns) (local.get $k))))
      (local.set $c1 (i32.sub (i32.load offset=4 (i32.add (local.get $columns) (local.get $k))) (local.get $row)))
      (local.set $c2 (i32.sub (i32.load offset=8 (i32.add (local.get $columns) (local.get $k))) (local.get $row)))
      (local.set $c3 (i32.sub (i32.load offset=12 (i32.add (local.get $columns) (local.get $k))) (local.get $row)))
      (local.set $row (i32.add (local.get $x) (local.get $row)))
      (local.set $g (v128.load32_splat (i32.add (local.get $gamma) (local.get $k))))
      (local.set $g1 (v128.load32_splat offset=4 (i32.add (local.get $gamma) (local.get $k))))
      (local.set $g2 (v128.load32_splat offset=8 (i32.add (local.get $gamma) (local.get $k))))
      (local.set $g3 (v128.load32_splat offset=12 (i32.add (local.get $gamma) (local.get $k))))
      (local.set $b (v128.load32_splat (i32.add (local.get $beta) (local.get $k))))
      (local.set $b1v (v128.load32_splat offset=4 (i32.add (local.get $beta) (local.get $k))))
      (local.set $b2 (v128.load32_splat offset=8 (i32.add (local.get $beta) (local.get $k))))
      (local.set $b3 (v128.load32_splat offset=12 (i32.add (local.get $beta) (local.get $k))))
      (local.set $s (local.get $scratch))
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $s) (local.get $end)))
        (local.set $v (v128.load (local.get $s)))
        (local.set $vLo (v128.load offset=16 (local.get $s)))
        (local.set $vScale (v128.load offset=32 (local.get $s)))
        (v128.store (i32.add (local.get $row) (local.get $yx)) (f32x4.add (f32x4.mul (f32x4.mul
            (f32x4.sub (f32x4.sub (v128.load (local.get $row)) (local.get $v)) (local.get $vLo))
            (local.get $vScale)) (local.get $g)) (local.get $b)))
        (v128.store (i32.add (i32.add (local.get $row) (local.get $c1)) (local.get $yx)) (f32x4.add (f32x4.mul (f32x4.mul
            (f32x4.sub (f32x4.sub (v128.load (i32.add (local.get $row) (local.get $c1))) (local.get $v)) (local.get $vLo))
            (local.get $vScale)) (local.get $g1)) (local.get $b1v)))
        (v128.store (i32.add (i32.add (local.get $row) (local.get $c2)) (local.get $yx)) (f32x4.add (f32x4.mul (f32x4.mul
            (f32x4.sub (f32x4.sub (v128.load (i32.add (local.get $row) (local.get $c2))) (local.get $v)) (local.get $vLo))
            (local.get $vScale)) (local.get $g2)) (local.get $b2)))
        (v128.store (i32.add (i32.add (local.get $row) (local.get $c3)) (local.get $yx)) (f32x4.add (f32x4.mul (f32x4.mul
            (f32x4.sub (f32x4.sub (v128.load (i32.add (local.get $row) (local.get $c3))) (local.get $v)) (local.get $vLo))
            (local.get $vScale)) (local.get $g3)) (local.get $b3)))
        (local.set $row (i32.add (local.get $row) (i32.const 16)))
        (local.set $s (i32.add (local.get $s) (i32.const 128)))
        (br $next)))
      (local.set $k (i32.add (local.get $k) (i32.const 16)))
      (br $nextColumn))))

  ;; y of one column at byte offset $at: scratch as forwardBlock's after its statistics.
  (func $normalizeColumn (param $x i32) (param $y i32) (param $at i32) (param $g v128) (param $b v128)
      (param $s i32) (param $end i32)
    (local.set $x (i32.add (local.get $x) (local.get $at)))
    (local.set $y (i32.add (local.get $y) (local.get $at)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $s) (local.get $end)))
      (v128.store (local.get $y) (f32x4.add (f32x4.mul (f32x4.mul
          (f32x4.sub (f32x4.sub (v128.load (local.get $x)) (v128.load (local.get $s)))
                     (v128.load offset=16 (local.get $s)))
          (v128.load offset=32 (local.get $s))) (local.get $g)) (local.get $b)))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (local.set $y (i32.add (local.get $y) (i32.const 16)))
      (local.set $s (i32.add (local.get $s) (i32.const 128)))
      (br $next))))

  ;; Adds the float32 partials at $s + 48 and $s + 64 into the float64 sums at
  ;; $s + 80 (low, high) and $s + 112 and zeroes them, for every four groups to $end.
  (func $flushLanes (param $s i32) (param $end i32)
    (local $v v128)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $s) (local.get $end)))
      (local.set $v (v128.load offset=48 (local.get $s)))
      (v128.store offset=80 (local.get $s)
          (f64x2.add (v128.load offset=80 (local.get $s)) (f64x2.promote_low_f32x4 (local.get $v))))
      (v128.store offset=96 (local.get $s) (f64x2.add (v128.load offset=96 (local.get $s))
          (f64x2.promote_low_f32x4
              (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))
      (local.set $v (v128.load offset=64 (local.get $s)))
      (v128.store offset=112 (local.get $s)
          (f64x2.add (v128.load offset=112 (local.get $s)) (f64x2.promote_low_f32x4 (local.get $v))))
      (v128.store offset=128 (local.get $s) (f64x2.add (v128.load offset=128 (local.get $s))
          (f64x2.promote_low_f32x4
              (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))
      (v128.store offset=48 (local.get $s) (v128.const i64x2 0 0))
      (v128.store offset=64 (local.get $s) (v128.const i64x2 0 0))
      (local.set $s (i32.add (local.get $s) (i32.const 160)))
      (br $next))))

  ;; Adds the four float32 lanes of $v (each a partial of at most 16 terms) to the float64 at $at.
  (func $flushColumn (param $at i32) (param $v v128)
    (local $w v128)
    (local.set $w (f64x2.add (f64x2.promote_low_f32x4 (local.get $v)) (f64x2.promote_low_f32x4
        (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))
    (f64.store (local.get $at) (f64.add (f64.load (local.get $at))
        (f64.add (f64x2.extract_lane 0 (local.get $w)) (f64x2.extract_lane 1 (local.get $w))))))

  ;; Backward over the first 4 * $vectors groups of a block, in memory order;
  ;; $scratch: 160 bytes per four groups. Adds into the float64 $dGammaSum and
  ;; $dBetaSum the groups that $mask (float32 lanes) keeps.
  (func $backwardBlock (param $dy i32) (param $x i32) (param $dx i32) (param $gamma i32)
      (param $invStd i32) (param $dMean i32) (param $dInvStd i32)
      (param $dGammaSum i32) (param $dBetaSum i32) (param $columns i32) (param $n i32)
      (param $vectors i32) (param $scratch i32) (param $mask v128)
    (local $k i32) (local $bytes i32) (local $row i32) (local $o i32) (local $s i32) (local $end i32)
    (local $stop i32) (local $xp i32) (local $dyp i32) (local $c1 i32)
    (local $v v128) (local $vdy v128) (local $vxh v128) (local $vg v128) (local $count v128) (local $gm v128)
    (local $gm1 v128) (local $colGamma v128) (local $colBeta v128) (local $a0 v128) (local $a1 v128)
    (local $sLo v128) (local $sHi v128) (local $meanLo v128) (local $meanHi v128) (local $vHi v128)
    (local $xhLo v128) (local $xhHi v128) (local $gLo v128) (local $gHi v128)
    (local.set $bytes (i32.shl (local.get $n) (i32.const 2)))
    (local.set $end (i32.add (local.get $scratch) (i32.mul (local.get $vectors) (i32.const 160))))
    (local.set $count (f64x2.splat (f64.convert_i32_u (local.get $n))))
    (memory.fill (local.get $scratch) (i32.const 0) (i32.mul (local.get $vectors) (i32.const 160)))
    ;; The means from x (src/kernel_names.ts): the shifts (each group's first
    ;; value, or 0 where not finite) at 0, float32 sums of d at 48 added into
    ;; float64 at 80 every 16 columns.
    (local.set $xp (i32.add (local.get $x) (i32.load (local.get $columns))))
    (local.set $s (local.get $scratch))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $s) (local.get $end)))
      (local.set $v (v128.load (local.get $xp)))
      (v128.store (local.get $s) (v128.and (local.get $v)
          (f32x4.eq (f32x4.sub (local.get $v) (local.get $v)) (v128.const i64x2 0 0))))
      (local.set $xp (i32.add (local.get $xp) (i32.const 16)))
      (local.set $s (i32.add (local.get $s) (i32.const 160)))
      (br $next)))
    (block $columnsDone (loop $nextColumns
      (br_if $columnsDone (i32.ge_u (local.get $k) (local.get $bytes)))
      (local.set $stop (i32.add (local.get $k) (i32.const 64)))
      (local.set $stop (select (local.get $stop) (local.get $bytes)
                               (i32.lt_u (local.get $stop) (local.get $bytes))))
      (block $columnDone (loop $nextColumn
        (br_if $columnDone (i32.ge_u (local.get $k) (local.get $stop)))
        (local.set $xp (i32.add (local.get $x) (i32.load (i32.add (local.get $columns) (local.get $k)))))
        (local.set $s (local.get $scratch))
        (block $done (loop $next
          (br_if $done (i32.ge_u (local.get $s) (local.get $end)))
          (v128.store offset=48 (local.get $s) (f32x4.add (v128.load offset=48 (local.get $s))
              (f32x4.sub (v128.load (local.get $xp)) (v128.load (local.get $s)))))
          (local.set $xp (i32.add (local.get $xp) (i32.const 16)))
          (local.set $s (i32.add (local.get $s) (i32.const 160)))
          (br $next)))
        (local.set $k (i32.add (local.get $k) (i32.const 4)))
        (br $nextColumn)))
      (call $flushLanes (local.get $scratch) (local.get $end))
      (br $nextColumns)))
    ;; hi, lo, scale (float32) at 0, 16, 32; sums of g and g * xhat zeroed.
    (local.set $o (i32.const 0))
    (local.set $s (local.get $scratch))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $s) (local.get $end)))
      (local.set $a0 (v128.load offset=80 (local.get $s)))
      (local.set $a1 (v128.load offset=96 (local.get $s)))
      ;; Non-finite sums (overflowing d) again in float64.
      (if (v128.any_true (v128.not (v128.and
              (f64x2.eq (f64x2.sub (local.get $a0) (local.get $a0)) (v128.const i64x2 0 0))
              (f64x2.eq (f64x2.sub (local.get $a1) (local.get $a1)) (v128.const i64x2 0 0)))))
        (then
          (call $wideLaneSums (i32.add (local.get $x) (local.get $o)) (local.get $columns)
              (local.get $bytes) (v128.load (local.get $s)))
          (drop)
          (drop)
          (local.set $a1)
          (local.set $a0)))
      (local.set $meanLo (f64x2.add (f64x2.promote_low_f32x4 (v128.load (local.get $s)))
                                    (f64x2.div (local.get $a0) (local.get $count))))
      (local.set $meanHi (f64x2.add (call $promoteHigh (v128.load (local.get $s)))
                                    (f64x2.div (local.get $a1) (local.get $count))))
      (local.set $vHi (call $demote4 (local.get $meanLo) (local.get $meanHi)))
      (v128.store (local.get $s) (local.get $vHi))
      (v128.store offset=16 (local.get $s) (call $demote4
          (f64x2.sub (local.get $meanLo) (f64x2.promote_low_f32x4 (local.get $vHi)))
          (f64x2.sub (local.get $meanHi) (call $promoteHigh (local.get $vHi)))))
      (v128.store offset=32 (local.get $s) (v128.load (i32.add (local.get $invStd) (local.get $o))))
      (v128.store offset=80 (local.get $s) (v128.const i64x2 0 0))
      (v128.store offset=96 (local.get $s) (v128.const i64x2 0 0))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (local.set $s (i32.add (local.get $s) (i32.const 160)))
      (br $next)))
    ;; Pass 1: per group the sums of g = dy * gamma and g * xhat (float32 at 48
    ;; and 64, into float64 every 16 columns); per column dy * xhat and dy
    ;; (float32 lanes, into float64 every 16 vectors).
    (local.set $k (i32.const 0))
    (block $columnsDone (loop $nextColumns
      (br_if $columnsDone (i32.ge_u (local.get $k) (local.get $bytes)))
      (local.set $stop (i32.add (local.get $k) (i32.const 64)))
      (local.set $stop (select (local.get $stop) (local.get $bytes)
                               (i32.lt_u (local.get $stop) (local.get $bytes))))
      (block $columnDone (loop $nextColumn
        (br_if $columnDone (i32.ge_u (local.get $k) (local.get $stop)))
        (local.set $row (i32.load (i32.add (local.get $columns) (local.get $k))))
        (local.set $xp (i32.add (local.get $x) (local.get $row)))
        (local.set $dyp (i32.add (local.get $dy) (local.get $row)))
        (local.set $gm (v128.load32_splat (i32.add (local.get $gamma) (local.get $k))))
        (local.set $colGamma (v128.const i64x2 0 0))
        (local.set $colBeta (v128.const i64x2 0 0))
        (local.set $o (i32.const 0))
        (local.set $s (local.get $scratch))
        (block $done (loop $next
          (br_if $done (i32.ge_u (local.get $s) (local.get $end)))
          (local.set $vdy (v128.load (local.get $dyp)))
          (local.set $vxh (f32x4.mul (f32x4.sub (f32x4.sub (v128.load (local.get $xp)) (v128.load (local.get $s)))
                                                (v128.load offset=16 (local.get $s)))
                                     (v128.load offset=32 (local.get $s))))
          (local.set $vg (f32x4.mul (local.get $vdy) (local.get $gm)))
          (v128.store offset=48 (local.get $s) (f32x4.add (v128.load offset=48 (local.get $s)) (local.get $vg)))
          (v128.store offset=64 (local.get $s) (f32x4.add (v128.load offset=64 (local.get $s))
              (f32x4.mul (local.get $vg) (local.get $vxh))))
          (local.set $vdy (v128.and (local.get $vdy) (local.get $mask)))
          (local.set $colGamma (f32x4.add (local.get $colGamma) (f32x4.mul (local.get $vdy) (local.get $vxh))))
          (local.set $colBeta (f32x4.add (local.get $colBeta) (local.get $vdy)))
          (local.set $xp (i32.add (local.get $xp) (i32.const 16)))
          (local.set $dyp (i32.add (local.get $dyp) (i32.const 16)))
          (local.set $s (i32.add (local.get $s) (i32.const 160)))
          (local.set $o (i32.add (local.get $o) (i32.const 16)))
          (if (i32.eqz (i32.and (local.get $o) (i32.const 255)))
            (then
              (call $flushColumn (i32.add (local.get $dGammaSum) (i32.shl (local.get $k) (i32.const 1)))
                  (local.get $colGamma))
              (call $flushColumn (i32.add (local.get $dBetaSum) (i32.shl (local.get $k) (i32.const 1)))
                  (local.get $colBeta))
              (local.set $colGamma (v128.const i64x2 0 0))
              (local.set $colBeta (v128.const i64x2 0 0))))
          (br $next)))
        (call $flushColumn (i32.add (local.get $dGammaSum) (i32.shl (local.get $k) (i32.const 1)))
            (local.get $colGamma))
        (call $flushColumn (i32.add (local.get $dBetaSum) (i32.shl (local.get $k) (i32.const 1)))
            (local.get $colBeta))
        (local.set $k (i32.add (local.get $k) (i32.const 4)))
        (br $nextColumn)))
      (call $flushLanes (local.get $scratch) (local.get $end))
      (br $nextColumns)))
    ;; xhatCoef and constCoef (src/kernel_names.ts) as float32 at 48 and 64.
    (local.set $o (i32.const 0))
    (local.set $s (local.get $scratch))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $s) (local.get $end)))
      (local.set $v (v128.load offset=32 (local.get $s)))
      (local.set $sLo (f64x2.promote_low_f32x4 (local.get $v)))
      (local.set $sHi (call $promoteHigh (local.get $v)))
      (local.set $v (v128.load (i32.add (local.get $dInvStd) (local.get $o))))
      (local.set $xhLo (f64x2.div (f64x2.add
          (f64x2.mul (local.get $sLo) (v128.load offset=112 (local.get $s)))
          (f64x2.mul (f64x2.mul (f64x2.promote_low_f32x4 (local.get $v)) (local.get $sLo)) (local.get $sLo)))
          (local.get $count)))
      (local.set $xhHi (f64x2.div (f64x2.add
          (f64x2.mul (local.get $sHi) (v128.load offset=128 (local.get $s)))
          (f64x2.mul (f64x2.mul (call $promoteHigh (local.get $v)) (local.get $sHi)) (local.get $sHi)))
          (local.get $count)))
      (local.set $v (v128.load (i32.add (local.get $dMean) (local.get $o))))
      (local.set $gLo (f64x2.div (f64x2.sub (f64x2.promote_low_f32x4 (local.get $v))
          (f64x2.mul (local.get $sLo) (v128.load offset=80 (local.get $s)))) (local.get $count)))
      (local.set $gHi (f64x2.div (f64x2.sub (call $promoteHigh (local.get $v))
          (f64x2.mul (local.get $sHi) (v128.load offset=96 (local.get $s)))) (local.get $count)))
      (v128.store offset=48 (local.get $s) (call $demote4 (local.get $xhLo) (local.get $xhHi)))
      (v128.store offset=64 (local.get $s) (call $demote4 (local.get $gLo) (local.get $gHi)))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (local.set $s (i32.add (local.get $s) (i32.const 160)))
      (br $next)))
    ;; Pass 2: dx as $gradInput's, two columns at a time.
    (local.set $k (i32.const 0))
    (if (i32.and (local.get $n) (i32.const 1))
      (then
        (call $gradInputColumn (local.get $dy) (local.get $x) (local.get $dx) (i32.load (local.get $columns))
            (v128.load32_splat (local.get $gamma)) (local.get $scratch) (local.get $end))
        (local.set $k (i32.const 4))))
    (block $columnsDone (loop $nextColumn
      (br_if $columnsDone (i32.ge_u (local.get $k) (local.get $bytes)))
      (local.set $row (i32.load (i32.add (local.get $columns) (local.get $k))))
      (local.set $c1 (i32.sub (i32.load offset=4 (i32.add (local.get $columns) (local.get $k))) (local.get $row)))
      (local.set $gm (v128.load32_splat (i32.add (local.get $gamma) (local.get $k))))
      (local.set $gm1 (v128.load32_splat offset=4 (i32.add (local.get $gamma) (local.get $k))))
      (local.set $s (local.get $scratch))
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $s) (local.get $end)))
        (local.set $v (v128.load (local.get $s)))
        (local.set $a0 (v128.load offset=16 (local.get $s)))
        (local.set $a1 (v128.load offset=32 (local.get $s)))
        (local.set $sLo (v128.load offset=48 (local.get $s)))
        (local.set $sHi (v128.load offset=64 (local.get $s)))
        (v128.store (i32.add (local.get $dx) (local.get $row)) (f32x4.add (f32x4.mul (f32x4.sub
            (f32x4.mul (v128.load (i32.add (local.get $dy) (local.get $row))) (local.get $gm))
            (f32x4.mul (f32x4.sub (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $row)))
                                             (local.get $v)) (local.get $a0))
                       (local.get $sLo)))
            (local.get $a1)) (local.get $sHi)))
        (local.set $row (i32.add (local.get $row) (local.get $c1)))
        (v128.store (i32.add (local.get $dx) (local.get $row)) (f32x4.add (f32x4.mul (f32x4.sub
            (f32x4.mul (v128.load (i32.add (local.get $dy) (local.get $row))) (local.get $gm1))
            (f32x4.mul (f32x4.sub (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $row)))
                                             (local.get $v)) (local.get $a0))
                       (local.get $sLo)))
            (local.get $a1)) (local.get $sHi)))
        (local.set $row (i32.add (i32.sub (local.get $row) (local.get $c1)) (i32.const 16)))
        (local.set $s (i32.add (local.get $s) (i32.const 160)))
        (br $next)))
      (local.set $k (i32.add (local.get $k) (i32.const 8)))
      (br $nextColumn))))

  ;; dx of one column at byte offset $at: scratch as backwardBlock's pass 2.
  (func $gradInputColumn (param $dy i32) (param $x i32) (param $dx i32) (param $at i32) (param $gm v128)
      (param $s i32) (param $end i32)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $s) (local.get $end)))
      (v128.store (i32.add (local.get $dx) (local.get $at)) (f32x4.add (f32x4.mul (f32x4.sub
          (f32x4.mul (v128.load (i32.add (local.get $dy) (local.get $at))) (local.get $gm))
          (f32x4.mul (f32x4.sub (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $at)))
                                           (v128.load (local.get $s))) (v128.load offset=16 (local.get $s)))
                     (v128.load offset=48 (local.get $s))))
          (v128.load offset=32 (local.get $s))) (v128.load offset=64 (local.get $s))))
      (local.set $at (i32.add (local.get $at) (i32.const 16)))
      (local.set $s (i32.add (local.get $s) (i32.const 160)))
      (br $next))))

  ;; Vectors in the next chunk: $chunk lanes, or the $bytesLeft of whole vectors.
  (func $chunkVectors (param $chunk i32) (param $bytesLeft i32) (result i32)
    (local.set $chunk (i32.shl (local.get $chunk) (i32.const 2)))
    (i32.shr_u (select (local.get $chunk) (local.get $bytesLeft)
                       (i32.lt_u (local.get $chunk) (local.get $bytesLeft)))
               (i32.const 4)))

  ;; Groups of block b, lane l are numbered b * lanes + l; lanes >= 4. A block
  ;; runs $chunk lanes (a multiple of four) at a time; groups past the last
  ;; multiple of four run as its last four. $scratch: 32 * $chunk bytes.
  (func (export "forwardLanes")
      (param $x i32) (param $gamma i32) (param $beta i32) (param $y i32)
      (param $meanOut i32) (param $invStdOut i32) (param $blockCount i32) (param $blocks i32)
      (param $lanes i32) (param $chunk i32) (param $columns i32) (param $n i32) (param $scratch i32)
      (param $epsilon f64)
    (local $block i32) (local $lane i32) (local $at i32) (local $stat i32) (local $end i32)
    (local.set $end (i32.shl (i32.and (local.get $lanes) (i32.const -4)) (i32.const 2)))
    (block $blocksDone (loop $nextBlock
      (br_if $blocksDone (i32.ge_u (local.get $block) (local.get $blockCount)))
      (local.set $at (call $entry (local.get $blocks) (local.get $block)))
      (local.set $stat (i32.shl (i32.mul (local.get $block) (local.get $lanes)) (i32.const 2)))
      (local.set $lane (i32.const 0))
      (block $chunksDone (loop $nextChunk
        (br_if $chunksDone (i32.ge_u (local.get $lane) (local.get $end)))
        (call $forwardBlock
            (i32.add (local.get $x) (i32.add (local.get $at) (local.get $lane))) (local.get $gamma) (local.get $beta)
            (i32.add (local.get $y) (i32.add (local.get $at) (local.get $lane)))
            (i32.add (local.get $meanOut) (i32.add (local.get $stat) (local.get $lane)))
            (i32.add (local.get $invStdOut) (i32.add (local.get $stat) (local.get $lane)))
            (local.get $columns) (local.get $n)
            (call $chunkVectors (local.get $chunk) (i32.sub (local.get $end) (local.get $lane)))
            (local.get $scratch) (local.get $epsilon))
        (local.set $lane (i32.add (local.get $lane) (i32.shl (local.get $chunk) (i32.const 2))))
        (br $nextChunk)))
      (if (i32.and (local.get $lanes) (i32.const 3))
        (then
          ;; The last four groups again: the same values for those already done.
          (local.set $lane (i32.shl (i32.sub (local.get $lanes) (i32.const 4)) (i32.const 2)))
          (call $forwardBlock
              (i32.add (local.get $x) (i32.add (local.get $at) (local.get $lane))) (local.get $gamma)
              (local.get $beta) (i32.add (local.get $y) (i32.add (local.get $at) (local.get $lane)))
              (i32.add (local.get $meanOut) (i32.add (local.get $stat) (local.get $lane)))
              (i32.add (local.get $invStdOut) (i32.add (local.get $stat) (local.get $lane)))
              (local.get $columns) (local.get $n) (i32.const 1) (local.get $scratch) (local.get $epsilon))))
      (local.set $block (i32.add (local.get $block) (i32.const 1)))
      (br $nextBlock))))

  ;; $dGammaSum and $dBetaSum: float64 scratch of n elements; $scratch: 40 * $chunk bytes.
  (func (export "backwardLanes")
      (param $dy i32) (param $x i32) (param $invStd i32) (param $gamma i32)
      (param $dMean i32) (param $dInvStd i32) (param $dx i32) (param $dGamma i32)
      (param $dBeta i32) (param $dGammaSum i32) (param $dBetaSum i32)
      (param $blockCount i32) (param $blocks i32) (param $lanes i32) (param $chunk i32)
      (param $columns i32) (param $n i32) (param $scratch i32)
    (local $block i32) (local $lane i32) (local $at i32) (local $stat i32) (local $end i32)
    (local $k i32) (local $l i32)
    (local.set $end (i32.shl (i32.and (local.get $lanes) (i32.const -4)) (i32.const 2)))
    (memory.fill (local.get $dGammaSum) (i32.const 0) (i32.shl (local.get $n) (i32.const 3)))
    (memory.fill (local.get $dBetaSum) (i32.const 0) (i32.shl (local.get $n) (i32.const 3)))
    (block $blocksDone (loop $nextBlock
      (br_if $blocksDone (i32.ge_u (local.get $block) (local.get $blockCount)))
      (local.set $at (call $entry (local.get $blocks) (local.get $block)))
      (local.set $stat (i32.shl (i32.mul (local.get $block) (local.get $lanes)) (i32.const 2)))
      (local.set $lane (i32.const 0))
      (block $chunksDone (loop $nextChunk
        (br_if $chunksDone (i32.ge_u (local.get $lane) (local.get $end)))
        (local.set $k (i32.add (local.get $at) (local.get $lane)))
        (local.set $l (i32.add (local.get $stat) (local.get $lane)))
        (call $backwardBlock
            (i32.add (local.get $dy) (local.get $k)) (i32.add (local.get $x) (local.get $k))
            (i32.add (local.get $dx) (local.get $k)) (local.get $gamma)
            (i32.add (local.get $invStd) (local.get $l)) (i32.add (local.get $dMean) (local.get $l))
            (i32.add (local.get $dInvStd) (local.get $l))
            (local.get $dGammaSum) (local.get $dBetaSum) (local.get $columns) (local.get $n)
            (call $chunkVectors (local.get $chunk) (i32.sub (local.get $end) (local.get $lane)))
            (local.get $scratch) (v128.const i64x2 -1 -1))
        (local.set $lane (i32.add (local.get $lane) (i32.shl (local.get $chunk) (i32.const 2))))
        (br $nextChunk)))
      (if (i32.and (local.get $lanes) (i32.const 3))
        (then
          ;; The last four groups again, adding to dGamma and dBeta only the new ones.
          (local.set $lane (i32.shl (i32.sub (local.get $lanes) (i32.const 4)) (i32.const 2)))
          (local.set $k (i32.add (local.get $at) (local.get $lane)))
          (local.set $l (i32.add (local.get $stat) (local.get $lane)))
          (call $backwardBlock
              (i32.add (local.get $dy) (local.get $k)) (i32.add (local.get $x) (local.get $k))
              (i32.add (local.get $dx) (local.get $k)) (local.get $gamma)
              (i32.add (local.get $invStd) (local.get $l)) (i32.add (local.get $dMean) (local.get $l))
              (i32.add (local.get $dInvStd) (local.get $l))
              (local.get $dGammaSum) (local.get $dBetaSum) (local.get $columns) (local.get $n)
              (i32.const 1) (local.get $scratch)
              ;; New: the last lanes & 3 of the four.
              (i32x4.gt_s (v128.const i32x4 0 1 2 3)
                  (i32x4.splat (i32.sub (i32.const 3) (i32.and (local.get $lanes) (i32.const 3))))))))
      (local.set $block (i32.add (local.get $block) (i32.const 1)))
      (br $nextBlock)))
    (call $roundSums (local.get $dGammaSum) (local.get $dBetaSum) (local.get $dGamma)
        (local.get $dBeta) (local.get $n)))
)
