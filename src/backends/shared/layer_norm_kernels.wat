;; LayerNorm kernels on the TF.js wasm backend's own memory (every pointer is
;; a byte address of a tensor), for contiguous groups of n elements.
;; Reductions accumulate in float64 (several f64x2 partial sums); y and dx are
;; computed in float32 from the float64 statistics, the mean split in two
;; float32 parts so large-mean groups keep their precision (1.7x faster than
;; float64 elementwise passes, measured). scripts/build_wasm_kernels.js
;; compiles this with wabt, plain and with a `shared` memory import.
(module
  (import "env" "memory" (memory 1))  ;; MEMORY_IMPORT (rewritten for the shared variant)

  ;; Sum of the n float32 at $p, in float64.
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

  ;; The float64 sums of d and d^2 over the n float32 at $p, d = x - $shift
  ;; (shifted data, as src/backends/shared/layer_norm_impl.ts).
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

  ;; y = (x - mean) * invStd * gamma + beta over $bytes / 4 elements, in float64.
  (func $normalizeF64 (param $x i32) (param $gamma i32) (param $beta i32) (param $y i32)
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

  ;; Forward over $groupCount contiguous groups of $n elements. With mean = hi + lo,
  ;; x - hi is exact where x and hi are close (Sterbenz).
  (func (export "forwardGroups")
      (param $x i32) (param $gamma i32) (param $beta i32) (param $y i32)
      (param $meanOut i32) (param $invStdOut i32) (param $groupCount i32) (param $n i32)
      (param $epsilon f64)
    (local $groupBytes i32) (local $group i32) (local $j i32) (local $n4 i32)
    (local $shift f64) (local $s1 f64) (local $s2 f64) (local $count f64)
    (local $mean f64) (local $invStd f64) (local $hi f32) (local $lo f32) (local $scale f32)
    (local $vHi v128) (local $vLo v128) (local $vScale v128)
    (local.set $groupBytes (i32.shl (local.get $n) (i32.const 2)))
    (local.set $n4 (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $count (f64.convert_i32_u (local.get $n)))
    (block $groupsDone (loop $nextGroup
      (br_if $groupsDone (i32.ge_u (local.get $group) (local.get $groupCount)))
      (local.set $shift (call $shiftOf (local.get $x) (local.get $n)))
      (call $shiftedSums (local.get $x) (local.get $n) (local.get $shift))
      (local.set $s2)
      (local.set $s1)
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
      (local.set $vHi (f32x4.splat (local.get $hi)))
      (local.set $vLo (f32x4.splat (local.get $lo)))
      (local.set $vScale (f32x4.splat (local.get $scale)))
      ;; A spread past 2^100 would overflow x - mean in float32: float64 instead.
      (if (f64.lt (local.get $invStd) (f64.const 0x1p-100))
        (then (call $normalizeF64 (local.get $x) (local.get $gamma) (local.get $beta)
                  (local.get $y) (local.get $groupBytes) (local.get $mean) (local.get $invStd)))
        (else
          ;; $j is a byte offset into the group (and into gamma and beta).
          (local.set $j (i32.const 0))
          (block $done4 (loop $next4
            (br_if $done4 (i32.ge_u (local.get $j) (local.get $n4)))
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
            (br_if $done (i32.ge_u (local.get $j) (local.get $groupBytes)))
            (f32.store (i32.add (local.get $y) (local.get $j)) (f32.add
                (f32.mul
                    (f32.mul (f32.sub (f32.sub (f32.load (i32.add (local.get $x) (local.get $j)))
                                               (local.get $hi))
                                      (local.get $lo))
                             (local.get $scale))
                    (f32.load (i32.add (local.get $gamma) (local.get $j))))
                (f32.load (i32.add (local.get $beta) (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $next)))))
      (local.set $x (i32.add (local.get $x) (local.get $groupBytes)))
      (local.set $y (i32.add (local.get $y) (local.get $groupBytes)))
      (local.set $meanOut (i32.add (local.get $meanOut) (i32.const 4)))
      (local.set $invStdOut (i32.add (local.get $invStdOut) (i32.const 4)))
      (local.set $group (i32.add (local.get $group) (i32.const 1)))
      (br $nextGroup))))

  ;; Backward over $groupCount contiguous groups of $n elements, by the formula of
  ;; src/kernel_names.ts. $dGammaSum and $dBetaSum are float64 scratch arrays
  ;; of n elements (zeroed here) that accumulate across groups; they are rounded
  ;; once into the float32 outputs $dGamma and $dBeta at the end.
  (func (export "backwardGroups")
      (param $dy i32) (param $x i32) (param $invStdIn i32) (param $gamma i32)
      (param $dMean i32) (param $dInvStd i32) (param $dx i32) (param $dGamma i32)
      (param $dBeta i32) (param $dGammaSum i32) (param $dBetaSum i32)
      (param $groupCount i32) (param $n i32)
    (local $groupBytes i32) (local $group i32) (local $j i32) (local $k i32) (local $n4 i32)
    (local $mean f64) (local $invStd f64) (local $sumG f64) (local $sumGXhat f64)
    (local $xhatCoef f64) (local $constCoef f64) (local $xh f64) (local $dyj f64) (local $gj f64)
    (local $m v128) (local $s v128) (local $vx v128) (local $vdy v128) (local $vg v128)
    (local $xhLo v128) (local $xhHi v128) (local $dyLo v128) (local $dyHi v128)
    (local $gLo v128) (local $gHi v128) (local $accG v128) (local $accGX v128)
    (local $hi f32) (local $lo f32) (local $scale f32) (local $coef32 f32) (local $constCoef32 f32)
    (local $vHi v128) (local $vLo v128) (local $vScale v128) (local $vCoef v128) (local $vConstCoef v128)
    (local.set $groupBytes (i32.shl (local.get $n) (i32.const 2)))
    (local.set $n4 (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (memory.fill (local.get $dGammaSum) (i32.const 0) (i32.shl (local.get $n) (i32.const 3)))
    (memory.fill (local.get $dBetaSum) (i32.const 0) (i32.shl (local.get $n) (i32.const 3)))
    (block $groupsDone (loop $nextGroup
      (br_if $groupsDone (i32.ge_u (local.get $group) (local.get $groupCount)))
      ;; The mean from x in float64 (src/kernel_names.ts).
      (local.set $mean (f64.div (call $sum (local.get $x) (local.get $n))
                                (f64.convert_i32_u (local.get $n))))
      (local.set $invStd (f64.promote_f32 (f32.load (local.get $invStdIn))))
      (local.set $m (f64x2.splat (local.get $mean)))
      (local.set $s (f64x2.splat (local.get $invStd)))
      (local.set $accG (v128.const i64x2 0 0))
      (local.set $accGX (v128.const i64x2 0 0))
      ;; Pass 1: the group sums of g = dy * gamma and g * xhat; dGamma, dBeta.
      ;; $j is a byte offset into the group and gamma, $k into the f64 sums.
      (local.set $j (i32.const 0))
      (local.set $k (i32.const 0))
      (block $done4 (loop $next4
        (br_if $done4 (i32.ge_u (local.get $j) (local.get $n4)))
        (local.set $vx (v128.load (i32.add (local.get $x) (local.get $j))))
        (local.set $vdy (v128.load (i32.add (local.get $dy) (local.get $j))))
        (local.set $vg (v128.load (i32.add (local.get $gamma) (local.get $j))))
        (local.set $xhLo (f64x2.mul (f64x2.sub (f64x2.promote_low_f32x4 (local.get $vx)) (local.get $m))
                                    (local.get $s)))
        (local.set $xhHi (f64x2.mul (f64x2.sub (f64x2.promote_low_f32x4
            (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $vx) (local.get $vx)))
            (local.get $m)) (local.get $s)))
        (local.set $dyLo (f64x2.promote_low_f32x4 (local.get $vdy)))
        (local.set $dyHi (f64x2.promote_low_f32x4
            (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $vdy) (local.get $vdy))))
        (local.set $gLo (f64x2.mul (local.get $dyLo) (f64x2.promote_low_f32x4 (local.get $vg))))
        (local.set $gHi (f64x2.mul (local.get $dyHi) (f64x2.promote_low_f32x4
            (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $vg) (local.get $vg)))))
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
        (br_if $done (i32.ge_u (local.get $j) (local.get $groupBytes)))
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
      ;; xhatCoef and constCoef (src/kernel_names.ts).
      (local.set $xhatCoef (f64.div
          (f64.add (f64.mul (local.get $invStd) (local.get $sumGXhat))
                   (f64.mul (f64.mul (f64.promote_f32 (f32.load (local.get $dInvStd)))
                                     (local.get $invStd)) (local.get $invStd)))
          (f64.convert_i32_u (local.get $n))))
      (local.set $constCoef (f64.div
          (f64.sub (f64.promote_f32 (f32.load (local.get $dMean)))
                   (f64.mul (local.get $invStd) (local.get $sumG)))
          (f64.convert_i32_u (local.get $n))))
      ;; Pass 2: dx, in float32 as the forward's y (the mean split in hi + lo).
      (local.set $hi (f32.demote_f64 (local.get $mean)))
      (local.set $lo (f32.demote_f64 (f64.sub (local.get $mean) (f64.promote_f32 (local.get $hi)))))
      (local.set $scale (f32.demote_f64 (local.get $invStd)))
      (local.set $coef32 (f32.demote_f64 (local.get $xhatCoef)))
      (local.set $constCoef32 (f32.demote_f64 (local.get $constCoef)))
      (local.set $vHi (f32x4.splat (local.get $hi)))
      (local.set $vLo (f32x4.splat (local.get $lo)))
      (local.set $vScale (f32x4.splat (local.get $scale)))
      (local.set $vCoef (f32x4.splat (local.get $coef32)))
      (local.set $vConstCoef (f32x4.splat (local.get $constCoef32)))
      (local.set $j (i32.const 0))
      (block $done4 (loop $next4
        (br_if $done4 (i32.ge_u (local.get $j) (local.get $n4)))
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
        (br_if $done (i32.ge_u (local.get $j) (local.get $groupBytes)))
        (f32.store (i32.add (local.get $dx) (local.get $j)) (f32.add (f32.sub
            (f32.mul (f32.mul (local.get $scale) (f32.load (i32.add (local.get $dy) (local.get $j))))
                     (f32.load (i32.add (local.get $gamma) (local.get $j))))
            (f32.mul (f32.mul (f32.sub (f32.sub (f32.load (i32.add (local.get $x) (local.get $j)))
                                                (local.get $hi))
                                       (local.get $lo))
                              (local.get $scale))
                     (local.get $coef32)))
            (local.get $constCoef32)))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $next)))
      (local.set $x (i32.add (local.get $x) (local.get $groupBytes)))
      (local.set $dy (i32.add (local.get $dy) (local.get $groupBytes)))
      (local.set $dx (i32.add (local.get $dx) (local.get $groupBytes)))
      (local.set $invStdIn (i32.add (local.get $invStdIn) (i32.const 4)))
      (local.set $dMean (i32.add (local.get $dMean) (i32.const 4)))
      (local.set $dInvStd (i32.add (local.get $dInvStd) (i32.const 4)))
      (local.set $group (i32.add (local.get $group) (i32.const 1)))
      (br $nextGroup)))
    ;; Round the float64 parameter gradients once into the outputs.
    (local.set $j (i32.const 0))
    (local.set $k (i32.const 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $j) (local.get $groupBytes)))
      (f32.store (i32.add (local.get $dGamma) (local.get $j))
          (f32.demote_f64 (f64.load (i32.add (local.get $dGammaSum) (local.get $k)))))
      (f32.store (i32.add (local.get $dBeta) (local.get $j))
          (f32.demote_f64 (f64.load (i32.add (local.get $dBetaSum) (local.get $k)))))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (local.set $k (i32.add (local.get $k) (i32.const 8)))
      (br $next))))
)
