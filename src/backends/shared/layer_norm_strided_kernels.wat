;; LayerNorm kernels for groups that are not contiguous (one gamma entry per
;; column), with the arithmetic of layer_norm_kernels.wat: float64 statistics
;; of data shifted by the group's first value, y and dx in float32 with the
;; mean split in hi + lo. Both families walk x in memory order:
;;   runs:  the innermost axis is normalized: SIMD along each run of it, the
;;          run's group and gamma offset from an odometer over the outer axes.
;;   lanes: the innermost axis is kept: one f32x4 holds four adjacent groups,
;;          a block of them walked column by column (i32 tables of byte
;;          offsets: each block's start, each column's offset in a group).
(module
  (import "env" "memory" (memory 1))  ;; MEMORY_IMPORT (rewritten for the shared variant)

  ;; --- Contiguous runs of $n float32 ---------------------------------------

  ;; The float64 sums of d and d^2, d = x - $shift.
  (func $shiftedSums (param $p i32) (param $n i32) (param $shift f64) (result f64 f64)
    (local $end i32) (local $end8 i32) (local $s1 f64) (local $s2 f64) (local $d f64)
    (local $v v128) (local $m v128) (local $d0 v128) (local $d1 v128) (local $d2 v128) (local $d3 v128)
    (local $a0 v128) (local $a1 v128) (local $b0 v128) (local $b1 v128)
    (local.set $m (f64x2.splat (local.get $shift)))
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end8 (i32.add (local.get $p)
        (i32.shl (i32.and (local.get $n) (i32.const -8)) (i32.const 2))))
    (block $done8 (loop $next8
      (br_if $done8 (i32.ge_u (local.get $p) (local.get $end8)))
      (local.set $v (v128.load (local.get $p)))
      (local.set $d0 (f64x2.sub (f64x2.promote_low_f32x4 (local.get $v)) (local.get $m)))
      (local.set $d1 (f64x2.sub (f64x2.promote_low_f32x4
          (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))
          (local.get $m)))
      (local.set $v (v128.load offset=16 (local.get $p)))
      (local.set $d2 (f64x2.sub (f64x2.promote_low_f32x4 (local.get $v)) (local.get $m)))
      (local.set $d3 (f64x2.sub (f64x2.promote_low_f32x4
          (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))
          (local.get $m)))
      (local.set $a0 (f64x2.add (local.get $a0) (f64x2.add (local.get $d0) (local.get $d1))))
      (local.set $a1 (f64x2.add (local.get $a1) (f64x2.add (local.get $d2) (local.get $d3))))
      (local.set $b0 (f64x2.add (local.get $b0) (f64x2.add
          (f64x2.mul (local.get $d0) (local.get $d0)) (f64x2.mul (local.get $d1) (local.get $d1)))))
      (local.set $b1 (f64x2.add (local.get $b1) (f64x2.add
          (f64x2.mul (local.get $d2) (local.get $d2)) (f64x2.mul (local.get $d3) (local.get $d3)))))
      (local.set $p (i32.add (local.get $p) (i32.const 32)))
      (br $next8)))
    (local.set $a0 (f64x2.add (local.get $a0) (local.get $a1)))
    (local.set $b0 (f64x2.add (local.get $b0) (local.get $b1)))
    (local.set $s1 (f64.add (f64x2.extract_lane 0 (local.get $a0)) (f64x2.extract_lane 1 (local.get $a0))))
    (local.set $s2 (f64.add (f64x2.extract_lane 0 (local.get $b0)) (f64x2.extract_lane 1 (local.get $b0))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $d (f64.sub (f64.promote_f32 (f32.load (local.get $p))) (local.get $shift)))
      (local.set $s1 (f64.add (local.get $s1) (local.get $d)))
      (local.set $s2 (f64.add (local.get $s2) (f64.mul (local.get $d) (local.get $d))))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br $next)))
    (local.get $s1)
    (local.get $s2))

  ;; The float64 sum.
  (func $sum (param $p i32) (param $n i32) (result f64)
    (local $end i32) (local $end8 i32) (local $s f64) (local $v v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end8 (i32.add (local.get $p)
        (i32.shl (i32.and (local.get $n) (i32.const -8)) (i32.const 2))))
    (block $done8 (loop $next8
      (br_if $done8 (i32.ge_u (local.get $p) (local.get $end8)))
      (local.set $v (v128.load (local.get $p)))
      (local.set $a0 (f64x2.add (local.get $a0) (f64x2.promote_low_f32x4 (local.get $v))))
      (local.set $a1 (f64x2.add (local.get $a1) (f64x2.promote_low_f32x4
          (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))
      (local.set $v (v128.load offset=16 (local.get $p)))
      (local.set $a2 (f64x2.add (local.get $a2) (f64x2.promote_low_f32x4 (local.get $v))))
      (local.set $a3 (f64x2.add (local.get $a3) (f64x2.promote_low_f32x4
          (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))
      (local.set $p (i32.add (local.get $p) (i32.const 32)))
      (br $next8)))
    (local.set $a0 (f64x2.add (f64x2.add (local.get $a0) (local.get $a1))
                              (f64x2.add (local.get $a2) (local.get $a3))))
    (local.set $s (f64.add (f64x2.extract_lane 0 (local.get $a0))
                           (f64x2.extract_lane 1 (local.get $a0))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $s (f64.add (local.get $s) (f64.promote_f32 (f32.load (local.get $p)))))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br $next)))
    (local.get $s))

  ;; y = (x - hi - lo) * scale * gamma + beta in float32.
  (func $normalizeRun (param $x i32) (param $gamma i32) (param $beta i32) (param $y i32)
      (param $bytes i32) (param $hi f32) (param $lo f32) (param $scale f32)
    (local $j i32) (local $bytes4 i32) (local $vHi v128) (local $vLo v128) (local $vScale v128)
    (local.set $bytes4 (i32.and (local.get $bytes) (i32.const -16)))
    (local.set $vHi (f32x4.splat (local.get $hi)))
    (local.set $vLo (f32x4.splat (local.get $lo)))
    (local.set $vScale (f32x4.splat (local.get $scale)))
    (block $done4 (loop $next4
      (br_if $done4 (i32.ge_u (local.get $j) (local.get $bytes4)))
      (v128.store (i32.add (local.get $y) (local.get $j)) (f32x4.add
          (f32x4.mul
              (f32x4.mul (f32x4.sub (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $j)))
                                               (local.get $vHi))
                                    (local.get $vLo))
                         (local.get $vScale))
              (v128.load (i32.add (local.get $gamma) (local.get $j))))
          (v128.load (i32.add (local.get $beta) (local.get $j)))))
      (local.set $j (i32.add (local.get $j) (i32.const 16)))
      (br $next4)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $j) (local.get $bytes)))
      (f32.store (i32.add (local.get $y) (local.get $j)) (f32.add
          (f32.mul
              (f32.mul (f32.sub (f32.sub (f32.load (i32.add (local.get $x) (local.get $j)))
                                         (local.get $hi))
                                (local.get $lo))
                       (local.get $scale))
              (f32.load (i32.add (local.get $gamma) (local.get $j))))
          (f32.load (i32.add (local.get $beta) (local.get $j)))))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $next))))

  ;; The same in float64, for spreads past 2^100 (x - mean would overflow float32).
  (func $normalizeRunF64 (param $x i32) (param $gamma i32) (param $beta i32) (param $y i32)
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

  ;; Backward pass 1 over a run: adds dy * xhat and dy into the float64
  ;; $dGammaSum and $dBetaSum; returns the run's sums of g and g * xhat.
  (func $gradSumsRun (param $dy i32) (param $x i32) (param $gamma i32)
      (param $dGammaSum i32) (param $dBetaSum i32) (param $n i32) (param $mean f64) (param $invStd f64)
      (result f64 f64)
    (local $j i32) (local $k i32) (local $bytes i32) (local $bytes4 i32)
    (local $sumG f64) (local $sumGXhat f64) (local $xh f64) (local $dyj f64) (local $gj f64)
    (local $m v128) (local $s v128) (local $vx v128) (local $vdy v128) (local $vg v128)
    (local $xhLo v128) (local $xhHi v128) (local $dyLo v128) (local $dyHi v128)
    (local $gLo v128) (local $gHi v128) (local $accG v128) (local $accGX v128)
    (local.set $bytes (i32.shl (local.get $n) (i32.const 2)))
    (local.set $bytes4 (i32.and (local.get $bytes) (i32.const -16)))
    (local.set $m (f64x2.splat (local.get $mean)))
    (local.set $s (f64x2.splat (local.get $invStd)))
    ;; $j: byte offset of float32 data, $k of the float64 sums.
    (block $done4 (loop $next4
      (br_if $done4 (i32.ge_u (local.get $j) (local.get $bytes4)))
      (local.set $vx (v128.load (i32.add (local.get $x) (local.get $j))))
      (local.set $vdy (v128.load (i32.add (local.get $dy) (local.get $j))))
      (local.set $vg (v128.load (i32.add (local.get $gamma) (local.get $j))))
      (local.set $xhLo (f64x2.mul (f64x2.sub (f64x2.promote_low_f32x4 (local.get $vx)) (local.get $m))
                                  (local.get $s)))
      (local.set $xhHi (f64x2.mul (f64x2.sub (call $promoteHigh (local.get $vx))
          (local.get $m)) (local.get $s)))
      (local.set $dyLo (f64x2.promote_low_f32x4 (local.get $vdy)))
      (local.set $dyHi (call $promoteHigh (local.get $vdy)))
      (local.set $gLo (f64x2.mul (local.get $dyLo) (f64x2.promote_low_f32x4 (local.get $vg))))
      (local.set $gHi (f64x2.mul (local.get $dyHi) (call $promoteHigh (local.get $vg))))
      (local.set $accG (f64x2.add (local.get $accG) (f64x2.add (local.get $gLo) (local.get $gHi))))
      (local.set $accGX (f64x2.add (local.get $accGX)
          (f64x2.add (f64x2.mul (local.get $gLo) (local.get $xhLo))
                     (f64x2.mul (local.get $gHi) (local.get $xhHi)))))
      (v128.store (i32.add (local.get $dGammaSum) (local.get $k))
          (f64x2.add (v128.load (i32.add (local.get $dGammaSum) (local.get $k)))
                     (f64x2.mul (local.get $dyLo) (local.get $xhLo))))
      (v128.store offset=16 (i32.add (local.get $dGammaSum) (local.get $k))
          (f64x2.add (v128.load offset=16 (i32.add (local.get $dGammaSum) (local.get $k)))
                     (f64x2.mul (local.get $dyHi) (local.get $xhHi))))
      (v128.store (i32.add (local.get $dBetaSum) (local.get $k))
          (f64x2.add (v128.load (i32.add (local.get $dBetaSum) (local.get $k))) (local.get $dyLo)))
      (v128.store offset=16 (i32.add (local.get $dBetaSum) (local.get $k))
          (f64x2.add (v128.load offset=16 (i32.add (local.get $dBetaSum) (local.get $k)))
                     (local.get $dyHi)))
      (local.set $j (i32.add (local.get $j) (i32.const 16)))
      (local.set $k (i32.add (local.get $k) (i32.const 32)))
      (br $next4)))
    (local.set $sumG (f64.add (f64x2.extract_lane 0 (local.get $accG))
                              (f64x2.extract_lane 1 (local.get $accG))))
    (local.set $sumGXhat (f64.add (f64x2.extract_lane 0 (local.get $accGX))
                                  (f64x2.extract_lane 1 (local.get $accGX))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $j) (local.get $bytes)))
      (local.set $xh (f64.mul (f64.sub (f64.promote_f32 (f32.load (i32.add (local.get $x) (local.get $j))))
                                       (local.get $mean)) (local.get $invStd)))
      (local.set $dyj (f64.promote_f32 (f32.load (i32.add (local.get $dy) (local.get $j)))))
      (local.set $gj (f64.mul (local.get $dyj)
          (f64.promote_f32 (f32.load (i32.add (local.get $gamma) (local.get $j))))))
      (local.set $sumG (f64.add (local.get $sumG) (local.get $gj)))
      (local.set $sumGXhat (f64.add (local.get $sumGXhat) (f64.mul (local.get $gj) (local.get $xh))))
      (f64.store (i32.add (local.get $dGammaSum) (local.get $k))
          (f64.add (f64.load (i32.add (local.get $dGammaSum) (local.get $k)))
                   (f64.mul (local.get $dyj) (local.get $xh))))
      (f64.store (i32.add (local.get $dBetaSum) (local.get $k))
          (f64.add (f64.load (i32.add (local.get $dBetaSum) (local.get $k))) (local.get $dyj)))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (local.set $k (i32.add (local.get $k) (i32.const 8)))
      (br $next)))
    (local.get $sumG)
    (local.get $sumGXhat))

  ;; Backward pass 2 over a run: dx = scale * dy * gamma - (x - hi - lo) * scale * coef + constCoef.
  (func $dxRun (param $dy i32) (param $x i32) (param $gamma i32) (param $dx i32) (param $bytes i32)
      (param $hi f32) (param $lo f32) (param $scale f32) (param $coef f32) (param $constCoef f32)
    (local $j i32) (local $bytes4 i32)
    (local $vHi v128) (local $vLo v128) (local $vScale v128) (local $vCoef v128) (local $vConstCoef v128)
    (local.set $bytes4 (i32.and (local.get $bytes) (i32.const -16)))
    (local.set $vHi (f32x4.splat (local.get $hi)))
    (local.set $vLo (f32x4.splat (local.get $lo)))
    (local.set $vScale (f32x4.splat (local.get $scale)))
    (local.set $vCoef (f32x4.splat (local.get $coef)))
    (local.set $vConstCoef (f32x4.splat (local.get $constCoef)))
    (block $done4 (loop $next4
      (br_if $done4 (i32.ge_u (local.get $j) (local.get $bytes4)))
      (v128.store (i32.add (local.get $dx) (local.get $j)) (f32x4.add (f32x4.sub
          (f32x4.mul (f32x4.mul (local.get $vScale) (v128.load (i32.add (local.get $dy) (local.get $j))))
                     (v128.load (i32.add (local.get $gamma) (local.get $j))))
          (f32x4.mul (f32x4.mul (f32x4.sub (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $j)))
                                                      (local.get $vHi))
                                           (local.get $vLo))
                                (local.get $vScale))
                     (local.get $vCoef)))
          (local.get $vConstCoef)))
      (local.set $j (i32.add (local.get $j) (i32.const 16)))
      (br $next4)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $j) (local.get $bytes)))
      (f32.store (i32.add (local.get $dx) (local.get $j)) (f32.add (f32.sub
          (f32.mul (f32.mul (local.get $scale) (f32.load (i32.add (local.get $dy) (local.get $j))))
                   (f32.load (i32.add (local.get $gamma) (local.get $j))))
          (f32.mul (f32.mul (f32.sub (f32.sub (f32.load (i32.add (local.get $x) (local.get $j)))
                                              (local.get $hi))
                                     (local.get $lo))
                            (local.get $scale))
                   (local.get $coef)))
          (local.get $constCoef)))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
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
      (call $shiftedSums
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
      (if (f64.lt (local.get $invStd) (f64.const 0x1p-100))
        (then (call $normalizeRunF64
            (i32.add (local.get $x) (local.get $off)) (i32.add (local.get $gamma) (local.get $param))
            (i32.add (local.get $beta) (local.get $param)) (i32.add (local.get $y) (local.get $off))
            (local.get $runBytes) (local.get $mean) (local.get $invStd)))
        (else (call $normalizeRun
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
  ;; at 0) giving each run's group and gamma offset. $scratch: 32 bytes per group.

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

  (func (export "forwardRuns")
      (param $x i32) (param $gamma i32) (param $beta i32) (param $y i32)
      (param $meanOut i32) (param $invStdOut i32) (param $groupCount i32) (param $dims i32)
      (param $dimCount i32) (param $runCount i32) (param $runLength i32) (param $scratch i32)
      (param $epsilon f64)
    (local $t i32) (local $g i32) (local $r i32) (local $p i32) (local $s i32) (local $runBytes i32)
    (local $first f64) (local $count f64) (local $s1 f64) (local $s2 f64) (local $mean f64) (local $invStd f64)
    (local $hi f32)
    (local.set $runBytes (i32.shl (local.get $runLength) (i32.const 2)))
    ;; Pass 1: per group, the shift (its first value, or 0 when not finite) and the shifted sums.
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $t) (local.get $runCount)))
      (local.set $p (i32.add (local.get $x) (i32.mul (local.get $t) (local.get $runBytes))))
      (local.set $s (i32.add (local.get $scratch) (local.get $g)))
      (if (i32.eqz (local.get $r))
        (then
          (local.set $first (f64.promote_f32 (f32.load (local.get $p))))
          (f64.store (local.get $s) (select (local.get $first) (f64.const 0)
              (f64.eq (f64.sub (local.get $first) (local.get $first)) (f64.const 0))))
          (f64.store offset=8 (local.get $s) (f64.const 0))
          (f64.store offset=16 (local.get $s) (f64.const 0))))
      (call $shiftedSums (local.get $p) (local.get $runLength) (f64.load (local.get $s)))
      (local.set $s2)
      (local.set $s1)
      (f64.store offset=8 (local.get $s) (f64.add (f64.load offset=8 (local.get $s)) (local.get $s1)))
      (f64.store offset=16 (local.get $s) (f64.add (f64.load offset=16 (local.get $s)) (local.get $s2)))
      (call $advance (local.get $dims) (local.get $dimCount) (local.get $g) (local.get $r))
      (local.set $r)
      (local.set $g)
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br $next)))
    ;; The statistics; $scratch then holds mean, invStd (float64), hi, lo, scale (float32).
    (local.set $count (f64.div (f64.mul (f64.convert_i32_u (local.get $runCount))
                                        (f64.convert_i32_u (local.get $runLength)))
                               (f64.convert_i32_u (local.get $groupCount))))
    (local.set $t (i32.const 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $t) (local.get $groupCount)))
      (local.set $s (i32.add (local.get $scratch) (i32.shl (local.get $t) (i32.const 5))))
      (local.set $s1 (f64.load offset=8 (local.get $s)))
      (local.set $s2 (f64.load offset=16 (local.get $s)))
      (local.set $mean (f64.add (f64.load (local.get $s)) (f64.div (local.get $s1) (local.get $count))))
      ;; max(., 0): rounding may leave a zero variance a hair below zero.
      (local.set $invStd (f64.div (f64.const 1) (f64.sqrt (f64.add
          (f64.max (f64.const 0) (f64.div
              (f64.sub (local.get $s2) (f64.mul (local.get $s1) (f64.div (local.get $s1) (local.get $count))))
              (local.get $count)))
          (local.get $epsilon)))))
      (local.set $hi (f32.demote_f64 (local.get $mean)))
      (f64.store (local.get $s) (local.get $mean))
      (f64.store offset=8 (local.get $s) (local.get $invStd))
      (f32.store offset=16 (local.get $s) (local.get $hi))
      (f32.store offset=20 (local.get $s)
          (f32.demote_f64 (f64.sub (local.get $mean) (f64.promote_f32 (local.get $hi)))))
      (f32.store offset=24 (local.get $s) (f32.demote_f64 (local.get $invStd)))
      (f32.store (i32.add (local.get $meanOut) (i32.shl (local.get $t) (i32.const 2))) (local.get $hi))
      (f32.store (i32.add (local.get $invStdOut) (i32.shl (local.get $t) (i32.const 2)))
          (f32.demote_f64 (local.get $invStd)))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br $next)))
    ;; Pass 2.
    (local.set $t (i32.const 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $t) (local.get $runCount)))
      (local.set $p (i32.mul (local.get $t) (local.get $runBytes)))
      (local.set $s (i32.add (local.get $scratch) (local.get $g)))
      ;; A spread past 2^100 would overflow x - mean in float32: float64 instead.
      (if (f64.lt (f64.load offset=8 (local.get $s)) (f64.const 0x1p-100))
        (then (call $normalizeRunF64
            (i32.add (local.get $x) (local.get $p)) (i32.add (local.get $gamma) (local.get $r))
            (i32.add (local.get $beta) (local.get $r)) (i32.add (local.get $y) (local.get $p))
            (local.get $runBytes) (f64.load (local.get $s)) (f64.load offset=8 (local.get $s))))
        (else (call $normalizeRun
            (i32.add (local.get $x) (local.get $p)) (i32.add (local.get $gamma) (local.get $r))
            (i32.add (local.get $beta) (local.get $r)) (i32.add (local.get $y) (local.get $p))
            (local.get $runBytes) (f32.load offset=16 (local.get $s)) (f32.load offset=20 (local.get $s))
            (f32.load offset=24 (local.get $s)))))
      (call $advance (local.get $dims) (local.get $dimCount) (local.get $g) (local.get $r))
      (local.set $r)
      (local.set $g)
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br $next))))

  ;; $dGammaSum and $dBetaSum: float64 scratch of groupLength elements.
  (func (export "backwardRuns")
      (param $dy i32) (param $x i32) (param $invStd i32) (param $gamma i32)
      (param $dMean i32) (param $dInvStd i32) (param $dx i32) (param $dGamma i32)
      (param $dBeta i32) (param $dGammaSum i32) (param $dBetaSum i32)
      (param $groupCount i32) (param $dims i32) (param $dimCount i32) (param $runCount i32)
      (param $runLength i32) (param $scratch i32)
    (local $t i32) (local $g i32) (local $r i32) (local $p i32) (local $s i32) (local $runBytes i32)
    (local $n i32) (local $count f64) (local $mean f64) (local $scale f64) (local $hi f32)
    (local.set $runBytes (i32.shl (local.get $runLength) (i32.const 2)))
    (local.set $n (i32.mul (i32.div_u (local.get $runCount) (local.get $groupCount)) (local.get $runLength)))
    (local.set $count (f64.convert_i32_u (local.get $n)))
    (memory.fill (local.get $dGammaSum) (i32.const 0) (i32.shl (local.get $n) (i32.const 3)))
    (memory.fill (local.get $dBetaSum) (i32.const 0) (i32.shl (local.get $n) (i32.const 3)))
    (memory.fill (local.get $scratch) (i32.const 0) (i32.shl (local.get $groupCount) (i32.const 5)))
    ;; Per group: the sum of x (then the mean), invStd, the sums of g and g * xhat (float64).
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $t) (local.get $runCount)))
      (local.set $s (i32.add (local.get $scratch) (local.get $g)))
      (f64.store (local.get $s) (f64.add (f64.load (local.get $s)) (call $sum
          (i32.add (local.get $x) (i32.mul (local.get $t) (local.get $runBytes))) (local.get $runLength))))
      (call $advance (local.get $dims) (local.get $dimCount) (local.get $g) (local.get $r))
      (local.set $r)
      (local.set $g)
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br $next)))
    (local.set $t (i32.const 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $t) (local.get $groupCount)))
      (local.set $s (i32.add (local.get $scratch) (i32.shl (local.get $t) (i32.const 5))))
      ;; The mean from x in float64 (src/kernel_names.ts).
      (f64.store (local.get $s) (f64.div (f64.load (local.get $s)) (local.get $count)))
      (f64.store offset=8 (local.get $s)
          (f64.promote_f32 (f32.load (i32.add (local.get $invStd) (i32.shl (local.get $t) (i32.const 2))))))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br $next)))
    ;; Pass 1: the sums of g and g * xhat; dGamma, dBeta.
    (local.set $t (i32.const 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $t) (local.get $runCount)))
      (local.set $p (i32.mul (local.get $t) (local.get $runBytes)))
      (local.set $s (i32.add (local.get $scratch) (local.get $g)))
      (call $gradSumsRun
          (i32.add (local.get $dy) (local.get $p)) (i32.add (local.get $x) (local.get $p))
          (i32.add (local.get $gamma) (local.get $r))
          (i32.add (local.get $dGammaSum) (i32.shl (local.get $r) (i32.const 1)))
          (i32.add (local.get $dBetaSum) (i32.shl (local.get $r) (i32.const 1)))
          (local.get $runLength) (f64.load (local.get $s)) (f64.load offset=8 (local.get $s)))
      (local.set $scale)
      (local.set $mean)
      (f64.store offset=16 (local.get $s) (f64.add (f64.load offset=16 (local.get $s)) (local.get $mean)))
      (f64.store offset=24 (local.get $s) (f64.add (f64.load offset=24 (local.get $s)) (local.get $scale)))
      (call $advance (local.get $dims) (local.get $dimCount) (local.get $g) (local.get $r))
      (local.set $r)
      (local.set $g)
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br $next)))
    ;; xhatCoef and constCoef (src/kernel_names.ts); $scratch then holds hi, lo,
    ;; scale, xhatCoef and constCoef as float32.
    (local.set $t (i32.const 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $t) (local.get $groupCount)))
      (local.set $s (i32.add (local.get $scratch) (i32.shl (local.get $t) (i32.const 5))))
      (local.set $p (i32.shl (local.get $t) (i32.const 2)))
      (local.set $mean (f64.load (local.get $s)))
      (local.set $scale (f64.load offset=8 (local.get $s)))
      (local.set $hi (f32.demote_f64 (local.get $mean)))
      (f32.store offset=12 (local.get $s) (f32.demote_f64 (f64.div
          (f64.add (f64.mul (local.get $scale) (f64.load offset=24 (local.get $s)))
                   (f64.mul (f64.mul (f64.promote_f32 (f32.load (i32.add (local.get $dInvStd) (local.get $p))))
                                     (local.get $scale)) (local.get $scale)))
          (local.get $count))))
      (f32.store offset=16 (local.get $s) (f32.demote_f64 (f64.div
          (f64.sub (f64.promote_f32 (f32.load (i32.add (local.get $dMean) (local.get $p))))
                   (f64.mul (local.get $scale) (f64.load offset=16 (local.get $s))))
          (local.get $count))))
      (f32.store (local.get $s) (local.get $hi))
      (f32.store offset=4 (local.get $s)
          (f32.demote_f64 (f64.sub (local.get $mean) (f64.promote_f32 (local.get $hi)))))
      (f32.store offset=8 (local.get $s) (f32.demote_f64 (local.get $scale)))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br $next)))
    ;; Pass 2: dx in float32 as the forward's y (the mean split in hi + lo).
    (local.set $t (i32.const 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $t) (local.get $runCount)))
      (local.set $p (i32.mul (local.get $t) (local.get $runBytes)))
      (local.set $s (i32.add (local.get $scratch) (local.get $g)))
      (call $dxRun
          (i32.add (local.get $dy) (local.get $p)) (i32.add (local.get $x) (local.get $p))
          (i32.add (local.get $gamma) (local.get $r)) (i32.add (local.get $dx) (local.get $p))
          (local.get $runBytes) (f32.load (local.get $s)) (f32.load offset=4 (local.get $s))
          (f32.load offset=8 (local.get $s)) (f32.load offset=12 (local.get $s))
          (f32.load offset=16 (local.get $s)))
      (call $advance (local.get $dims) (local.get $dimCount) (local.get $g) (local.get $r))
      (local.set $r)
      (local.set $g)
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

  ;; Forward over the first 4 * $vectors groups of a block, walking it in
  ;; memory order: column by column, the groups' running sums in $scratch
  ;; (96 bytes per four groups: float64 shifts, sums of d, sums of d^2).
  (func $forwardBlock (param $x i32) (param $gamma i32) (param $beta i32) (param $y i32)
      (param $meanOut i32) (param $invStdOut i32) (param $columns i32) (param $n i32)
      (param $vectors i32) (param $scratch i32) (param $epsilon f64)
    (local $k i32) (local $bytes i32) (local $row i32) (local $o i32) (local $s i32) (local $rowBytes i32)
    (local $v v128) (local $lo v128) (local $hi v128) (local $dLo v128) (local $dHi v128) (local $count v128)
    (local $a0 v128) (local $a1 v128) (local $meanLo v128) (local $meanHi v128)
    (local $invLo v128) (local $invHi v128) (local $vHi v128) (local $tiny v128) (local $zero v128)
    (local $g v128) (local $b v128)
    (local.set $bytes (i32.shl (local.get $n) (i32.const 2)))
    (local.set $rowBytes (i32.shl (local.get $vectors) (i32.const 4)))
    ;; The shifts: each group's first value, or 0 where it is not finite ($zero is never set).
    (local.set $row (i32.add (local.get $x) (i32.load (local.get $columns))))
    (local.set $s (local.get $scratch))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $o) (local.get $rowBytes)))
      (local.set $v (v128.load (i32.add (local.get $row) (local.get $o))))
      (local.set $lo (f64x2.promote_low_f32x4 (local.get $v)))
      (local.set $hi (call $promoteHigh (local.get $v)))
      (v128.store (local.get $s) (v128.and (local.get $lo)
          (f64x2.eq (f64x2.sub (local.get $lo) (local.get $lo)) (local.get $zero))))
      (v128.store offset=16 (local.get $s) (v128.and (local.get $hi)
          (f64x2.eq (f64x2.sub (local.get $hi) (local.get $hi)) (local.get $zero))))
      (v128.store offset=32 (local.get $s) (local.get $zero))
      (v128.store offset=48 (local.get $s) (local.get $zero))
      (v128.store offset=64 (local.get $s) (local.get $zero))
      (v128.store offset=80 (local.get $s) (local.get $zero))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (local.set $s (i32.add (local.get $s) (i32.const 96)))
      (br $next)))
    (block $columnsDone (loop $nextColumn
      (br_if $columnsDone (i32.ge_u (local.get $k) (local.get $bytes)))
      (local.set $row (i32.add (local.get $x) (i32.load (i32.add (local.get $columns) (local.get $k)))))
      (local.set $o (i32.const 0))
      (local.set $s (local.get $scratch))
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $o) (local.get $rowBytes)))
        (local.set $v (v128.load (i32.add (local.get $row) (local.get $o))))
        (local.set $dLo (f64x2.sub (f64x2.promote_low_f32x4 (local.get $v)) (v128.load (local.get $s))))
        (local.set $dHi (f64x2.sub (f64x2.promote_low_f32x4
            (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))
            (v128.load offset=16 (local.get $s))))
        (v128.store offset=32 (local.get $s) (f64x2.add (v128.load offset=32 (local.get $s)) (local.get $dLo)))
        (v128.store offset=48 (local.get $s) (f64x2.add (v128.load offset=48 (local.get $s)) (local.get $dHi)))
        (v128.store offset=64 (local.get $s) (f64x2.add (v128.load offset=64 (local.get $s))
            (f64x2.mul (local.get $dLo) (local.get $dLo))))
        (v128.store offset=80 (local.get $s) (f64x2.add (v128.load offset=80 (local.get $s))
            (f64x2.mul (local.get $dHi) (local.get $dHi))))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (local.set $s (i32.add (local.get $s) (i32.const 96)))
        (br $next)))
      (local.set $k (i32.add (local.get $k) (i32.const 4)))
      (br $nextColumn)))
    ;; The statistics; $scratch then holds hi, lo and scale as float32 (48 bytes per four groups).
    (local.set $count (f64x2.splat (f64.convert_i32_u (local.get $n))))
    (local.set $tiny (f64x2.splat (f64.const 0x1p-100)))
    (local.set $v (local.get $zero))
    (local.set $o (i32.const 0))
    (local.set $s (local.get $scratch))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $o) (local.get $rowBytes)))
      (local.set $a0 (v128.load offset=32 (local.get $s)))
      (local.set $a1 (v128.load offset=48 (local.get $s)))
      (local.set $meanLo (f64x2.add (v128.load (local.get $s)) (f64x2.div (local.get $a0) (local.get $count))))
      (local.set $meanHi (f64x2.add (v128.load offset=16 (local.get $s)) (f64x2.div (local.get $a1) (local.get $count))))
      ;; max(., 0): rounding may leave a zero variance a hair below zero.
      (local.set $invLo (f64x2.div (f64x2.splat (f64.const 1)) (f64x2.sqrt (f64x2.add
          (f64x2.max (local.get $zero) (f64x2.div
              (f64x2.sub (v128.load offset=64 (local.get $s))
                         (f64x2.mul (local.get $a0) (f64x2.div (local.get $a0) (local.get $count))))
              (local.get $count)))
          (f64x2.splat (local.get $epsilon))))))
      (local.set $invHi (f64x2.div (f64x2.splat (f64.const 1)) (f64x2.sqrt (f64x2.add
          (f64x2.max (local.get $zero) (f64x2.div
              (f64x2.sub (v128.load offset=80 (local.get $s))
                         (f64x2.mul (local.get $a1) (f64x2.div (local.get $a1) (local.get $count))))
              (local.get $count)))
          (f64x2.splat (local.get $epsilon))))))
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
      (local.set $s (i32.add (local.get $s) (i32.const 96)))
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
    (local.set $k (i32.const 0))
    (block $columnsDone (loop $nextColumn
      (br_if $columnsDone (i32.ge_u (local.get $k) (local.get $bytes)))
      (local.set $row (i32.load (i32.add (local.get $columns) (local.get $k))))
      (local.set $g (v128.load32_splat (i32.add (local.get $gamma) (local.get $k))))
      (local.set $b (v128.load32_splat (i32.add (local.get $beta) (local.get $k))))
      (local.set $o (i32.const 0))
      (local.set $s (local.get $scratch))
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $o) (local.get $rowBytes)))
        (v128.store (i32.add (i32.add (local.get $y) (local.get $row)) (local.get $o)) (f32x4.add
            (f32x4.mul
                (f32x4.mul (f32x4.sub (f32x4.sub
                               (v128.load (i32.add (i32.add (local.get $x) (local.get $row)) (local.get $o)))
                               (v128.load (local.get $s)))
                               (v128.load offset=16 (local.get $s)))
                           (v128.load offset=32 (local.get $s)))
                (local.get $g))
            (local.get $b)))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (local.set $s (i32.add (local.get $s) (i32.const 96)))
        (br $next)))
      (local.set $k (i32.add (local.get $k) (i32.const 4)))
      (br $nextColumn))))

  ;; Backward over the first 4 * $vectors groups of a block, in memory order;
  ;; $scratch: 128 bytes per four groups. Adds into the float64 $dGammaSum and
  ;; $dBetaSum the groups that $maskLo and $maskHi (float64 lanes) keep.
  (func $backwardBlock (param $dy i32) (param $x i32) (param $dx i32) (param $gamma i32)
      (param $invStd i32) (param $dMean i32) (param $dInvStd i32)
      (param $dGammaSum i32) (param $dBetaSum i32) (param $columns i32) (param $n i32)
      (param $vectors i32) (param $scratch i32) (param $maskLo v128) (param $maskHi v128)
    (local $k i32) (local $bytes i32) (local $row i32) (local $o i32) (local $s i32) (local $rowBytes i32)
    (local $sum i32) (local $v v128) (local $vdy v128) (local $count v128) (local $gm v128)
    (local $xhLo v128) (local $xhHi v128) (local $dyLo v128) (local $dyHi v128)
    (local $gLo v128) (local $gHi v128) (local $colGamma v128) (local $colBeta v128)
    (local $sLo v128) (local $sHi v128) (local $meanLo v128) (local $meanHi v128) (local $vHi v128)
    (local.set $bytes (i32.shl (local.get $n) (i32.const 2)))
    (local.set $rowBytes (i32.shl (local.get $vectors) (i32.const 4)))
    (local.set $count (f64x2.splat (f64.convert_i32_u (local.get $n))))
    ;; Per four groups: mean (lo, hi), invStd (lo, hi), sums of g and g * xhat (lo, hi).
    (memory.fill (local.get $scratch) (i32.const 0) (i32.shl (local.get $vectors) (i32.const 7)))
    ;; The means from x in float64 (src/kernel_names.ts).
    (block $columnsDone (loop $nextColumn
      (br_if $columnsDone (i32.ge_u (local.get $k) (local.get $bytes)))
      (local.set $row (i32.add (local.get $x) (i32.load (i32.add (local.get $columns) (local.get $k)))))
      (local.set $o (i32.const 0))
      (local.set $s (local.get $scratch))
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $o) (local.get $rowBytes)))
        (local.set $v (v128.load (i32.add (local.get $row) (local.get $o))))
        (v128.store (local.get $s) (f64x2.add (v128.load (local.get $s)) (f64x2.promote_low_f32x4 (local.get $v))))
        (v128.store offset=16 (local.get $s) (f64x2.add (v128.load offset=16 (local.get $s))
            (f64x2.promote_low_f32x4
                (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (local.set $s (i32.add (local.get $s) (i32.const 128)))
        (br $next)))
      (local.set $k (i32.add (local.get $k) (i32.const 4)))
      (br $nextColumn)))
    (local.set $o (i32.const 0))
    (local.set $s (local.get $scratch))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $o) (local.get $rowBytes)))
      (v128.store (local.get $s) (f64x2.div (v128.load (local.get $s)) (local.get $count)))
      (v128.store offset=16 (local.get $s) (f64x2.div (v128.load offset=16 (local.get $s)) (local.get $count)))
      (local.set $v (v128.load (i32.add (local.get $invStd) (local.get $o))))
      (v128.store offset=32 (local.get $s) (f64x2.promote_low_f32x4 (local.get $v)))
      (v128.store offset=48 (local.get $s) (call $promoteHigh (local.get $v)))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (local.set $s (i32.add (local.get $s) (i32.const 128)))
      (br $next)))
    ;; Pass 1: the sums of g = dy * gamma and g * xhat per group; dGamma, dBeta per column.
    (local.set $k (i32.const 0))
    (block $columnsDone (loop $nextColumn
      (br_if $columnsDone (i32.ge_u (local.get $k) (local.get $bytes)))
      (local.set $row (i32.load (i32.add (local.get $columns) (local.get $k))))
      (local.set $gm (f64x2.splat (f64.promote_f32 (f32.load (i32.add (local.get $gamma) (local.get $k))))))
      (local.set $colGamma (v128.const i64x2 0 0))
      (local.set $colBeta (v128.const i64x2 0 0))
      (local.set $o (i32.const 0))
      (local.set $s (local.get $scratch))
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $o) (local.get $rowBytes)))
        (local.set $v (v128.load (i32.add (i32.add (local.get $x) (local.get $row)) (local.get $o))))
        (local.set $vdy (v128.load (i32.add (i32.add (local.get $dy) (local.get $row)) (local.get $o))))
        (local.set $xhLo (f64x2.mul (f64x2.sub (f64x2.promote_low_f32x4 (local.get $v)) (v128.load (local.get $s)))
                                    (v128.load offset=32 (local.get $s))))
        (local.set $xhHi (f64x2.mul (f64x2.sub (f64x2.promote_low_f32x4
            (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))
            (v128.load offset=16 (local.get $s))) (v128.load offset=48 (local.get $s))))
        (local.set $dyLo (f64x2.promote_low_f32x4 (local.get $vdy)))
        (local.set $dyHi (f64x2.promote_low_f32x4
            (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $vdy) (local.get $vdy))))
        (local.set $gLo (f64x2.mul (local.get $dyLo) (local.get $gm)))
        (local.set $gHi (f64x2.mul (local.get $dyHi) (local.get $gm)))
        (v128.store offset=64 (local.get $s) (f64x2.add (v128.load offset=64 (local.get $s)) (local.get $gLo)))
        (v128.store offset=80 (local.get $s) (f64x2.add (v128.load offset=80 (local.get $s)) (local.get $gHi)))
        (v128.store offset=96 (local.get $s) (f64x2.add (v128.load offset=96 (local.get $s))
            (f64x2.mul (local.get $gLo) (local.get $xhLo))))
        (v128.store offset=112 (local.get $s) (f64x2.add (v128.load offset=112 (local.get $s))
            (f64x2.mul (local.get $gHi) (local.get $xhHi))))
        (local.set $dyLo (v128.and (local.get $dyLo) (local.get $maskLo)))
        (local.set $dyHi (v128.and (local.get $dyHi) (local.get $maskHi)))
        (local.set $colGamma (f64x2.add (local.get $colGamma)
            (f64x2.add (f64x2.mul (local.get $dyLo) (local.get $xhLo)) (f64x2.mul (local.get $dyHi) (local.get $xhHi)))))
        (local.set $colBeta (f64x2.add (local.get $colBeta) (f64x2.add (local.get $dyLo) (local.get $dyHi))))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (local.set $s (i32.add (local.get $s) (i32.const 128)))
        (br $next)))
      (local.set $sum (i32.shl (local.get $k) (i32.const 1)))
      (f64.store (i32.add (local.get $dGammaSum) (local.get $sum)) (f64.add
          (f64.load (i32.add (local.get $dGammaSum) (local.get $sum)))
          (f64.add (f64x2.extract_lane 0 (local.get $colGamma)) (f64x2.extract_lane 1 (local.get $colGamma)))))
      (f64.store (i32.add (local.get $dBetaSum) (local.get $sum)) (f64.add
          (f64.load (i32.add (local.get $dBetaSum) (local.get $sum)))
          (f64.add (f64x2.extract_lane 0 (local.get $colBeta)) (f64x2.extract_lane 1 (local.get $colBeta)))))
      (local.set $k (i32.add (local.get $k) (i32.const 4)))
      (br $nextColumn)))
    ;; xhatCoef and constCoef (src/kernel_names.ts); $scratch then holds hi, lo,
    ;; scale, xhatCoef and constCoef as float32.
    (local.set $o (i32.const 0))
    (local.set $s (local.get $scratch))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $o) (local.get $rowBytes)))
      (local.set $meanLo (v128.load (local.get $s)))
      (local.set $meanHi (v128.load offset=16 (local.get $s)))
      (local.set $sLo (v128.load offset=32 (local.get $s)))
      (local.set $sHi (v128.load offset=48 (local.get $s)))
      (local.set $v (v128.load (i32.add (local.get $dInvStd) (local.get $o))))
      (local.set $xhLo (f64x2.div (f64x2.add (f64x2.mul (local.get $sLo) (v128.load offset=96 (local.get $s)))
          (f64x2.mul (f64x2.mul (f64x2.promote_low_f32x4 (local.get $v)) (local.get $sLo)) (local.get $sLo)))
          (local.get $count)))
      (local.set $xhHi (f64x2.div (f64x2.add (f64x2.mul (local.get $sHi) (v128.load offset=112 (local.get $s)))
          (f64x2.mul (f64x2.mul (call $promoteHigh (local.get $v)) (local.get $sHi)) (local.get $sHi)))
          (local.get $count)))
      (local.set $v (v128.load (i32.add (local.get $dMean) (local.get $o))))
      (local.set $gLo (f64x2.div (f64x2.sub (f64x2.promote_low_f32x4 (local.get $v))
          (f64x2.mul (local.get $sLo) (v128.load offset=64 (local.get $s)))) (local.get $count)))
      (local.set $gHi (f64x2.div (f64x2.sub (call $promoteHigh (local.get $v))
          (f64x2.mul (local.get $sHi) (v128.load offset=80 (local.get $s)))) (local.get $count)))
      (local.set $vHi (call $demote4 (local.get $meanLo) (local.get $meanHi)))
      (v128.store (local.get $s) (local.get $vHi))
      (v128.store offset=16 (local.get $s) (call $demote4
          (f64x2.sub (local.get $meanLo) (f64x2.promote_low_f32x4 (local.get $vHi)))
          (f64x2.sub (local.get $meanHi) (call $promoteHigh (local.get $vHi)))))
      (v128.store offset=32 (local.get $s) (v128.load (i32.add (local.get $invStd) (local.get $o))))
      (v128.store offset=48 (local.get $s) (call $demote4 (local.get $xhLo) (local.get $xhHi)))
      (v128.store offset=64 (local.get $s) (call $demote4 (local.get $gLo) (local.get $gHi)))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (local.set $s (i32.add (local.get $s) (i32.const 128)))
      (br $next)))
    ;; Pass 2: dx in float32 as the forward's y (the mean split in hi + lo).
    (local.set $k (i32.const 0))
    (block $columnsDone (loop $nextColumn
      (br_if $columnsDone (i32.ge_u (local.get $k) (local.get $bytes)))
      (local.set $row (i32.load (i32.add (local.get $columns) (local.get $k))))
      (local.set $gm (v128.load32_splat (i32.add (local.get $gamma) (local.get $k))))
      (local.set $o (i32.const 0))
      (local.set $s (local.get $scratch))
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $o) (local.get $rowBytes)))
        (v128.store (i32.add (i32.add (local.get $dx) (local.get $row)) (local.get $o)) (f32x4.add (f32x4.sub
            (f32x4.mul (f32x4.mul (v128.load offset=32 (local.get $s))
                                  (v128.load (i32.add (i32.add (local.get $dy) (local.get $row)) (local.get $o))))
                       (local.get $gm))
            (f32x4.mul (f32x4.mul (f32x4.sub (f32x4.sub
                                      (v128.load (i32.add (i32.add (local.get $x) (local.get $row)) (local.get $o)))
                                      (v128.load (local.get $s)))
                                      (v128.load offset=16 (local.get $s)))
                                  (v128.load offset=32 (local.get $s)))
                       (v128.load offset=48 (local.get $s))))
            (v128.load offset=64 (local.get $s))))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (local.set $s (i32.add (local.get $s) (i32.const 128)))
        (br $next)))
      (local.set $k (i32.add (local.get $k) (i32.const 4)))
      (br $nextColumn))))

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

  ;; $dGammaSum and $dBetaSum: float64 scratch of n elements; $scratch: 32 * $chunk bytes.
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
            (local.get $scratch) (v128.const i64x2 -1 -1) (v128.const i64x2 -1 -1))
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
              (i64x2.replace_lane 1 (v128.const i64x2 0 0) (i64.extend_i32_s (i32.sub (i32.const 0)
                  (i32.eq (i32.and (local.get $lanes) (i32.const 3)) (i32.const 3)))))
              (i64x2.replace_lane 0 (v128.const i64x2 -1 -1) (i64.extend_i32_s (i32.sub (i32.const 0)
                  (i32.ge_u (i32.and (local.get $lanes) (i32.const 3)) (i32.const 2))))))))
      (local.set $block (i32.add (local.get $block) (i32.const 1)))
      (br $nextBlock)))
    (call $roundSums (local.get $dGammaSum) (local.get $dBetaSum) (local.get $dGamma)
        (local.get $dBeta) (local.get $n)))
)
