"""Compares regenerated fixtures with the committed ones (stdlib only).

  python3 interop/compare.py NEW_DIR COMMITTED_DIR FILE...

Everything but the recorded outputs and gradients must be identical (framework, versions,
arguments, inputs, dy, parameters); `y`, `outputs`, `grads` and `own_param_grads` may differ by
float noise:
|new - old| <= (1e-5 + 16 * 2^-23 * max(1, max|x|)) * (max(1, max|old|) + |old|) element-wise, and
non-finite values (written as the strings NaN, Infinity, -Infinity) exactly. The second term is the
float32 frameworks' own error on rows far from zero (rows of mean 1e4): their summation order, and so
their rounding there, depends on the CPU's vector width (tf-keras' fused batch norm differed by 60x the
first term alone between two x86 machines). Exit 1 on any other difference.
"""
import json
import sys

NOISY = ('y', 'outputs', 'grads', 'own_param_grads')
RTOL = 1e-5
# float32 epsilon times the summation-order slack of the parity tests' GPU bound
KAPPA_RTOL = 16 * 2.0 ** -23


def tensors(value, path):
    """(path, tensor) pairs of a fixture's output tree."""
    if isinstance(value, dict) and 'shape' in value and 'data' in value:
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from tensors(v, f'{path}.{k}')


def input_scale(case):
    """max(1, max|x|) of a case's input: how far its rows sit from zero."""
    x = case.get('x')
    data = x.get('data', []) if isinstance(x, dict) else []
    return max([1.0] + [abs(v) for v in data if isinstance(v, (int, float))])


def non_finite(data):
    return [(i, v) for i, v in enumerate(data) if isinstance(v, str)]


def compare_case(new, old, where, problems):
    rtol = RTOL + KAPPA_RTOL * input_scale(old)
    if sorted(new) != sorted(old):
        problems.append(f'{where}: keys {sorted(new)} != {sorted(old)}')
        return
    for key in new:
        if key not in NOISY:
            if new[key] != old[key]:
                problems.append(f'{where}.{key} differs')
            continue
        a, b = dict(tensors(new[key], key)), dict(tensors(old[key], key))
        if sorted(a) != sorted(b):
            problems.append(f'{where}: {key} holds {sorted(a)} != {sorted(b)}')
            continue
        for path, t in a.items():
            o = b[path]
            if t['shape'] != o['shape']:
                problems.append(f'{where}.{path}: shape {t["shape"]} != {o["shape"]}')
                continue
            if non_finite(t['data']) != non_finite(o['data']):
                problems.append(f'{where}.{path}: non-finite values (NaN, Infinity) differ')
                continue
            finite = [(x, y) for x, y in zip(t['data'], o['data']) if not isinstance(y, str)]
            scale = max([1.0] + [abs(y) for _, y in finite])
            worst = max([abs(x - y) / (rtol * (scale + abs(y))) for x, y in finite], default=0.0)
            if worst > 1:
                problems.append(f'{where}.{path}: differs by {worst:.3g}x the float-noise tolerance')


def main():
    new_dir, old_dir, *files = sys.argv[1:]
    problems = []
    for name in files:
        with open(f'{new_dir}/{name}') as f:
            new = json.load(f)
        try:
            with open(f'{old_dir}/{name}') as f:
                old = json.load(f)
        except FileNotFoundError:
            problems.append(f'{old_dir}/{name} is not committed')
            continue
        head_new = {k: v for k, v in new.items() if k != 'cases'}
        head_old = {k: v for k, v in old.items() if k != 'cases'}
        if head_new != head_old:
            diff = sorted(k for k in set(head_new) | set(head_old) if head_new.get(k) != head_old.get(k))
            problems.append(f'{name}: header fields {diff} differ')
        by_name = {c['name']: c for c in old['cases']}
        if [c['name'] for c in new['cases']] != [c['name'] for c in old['cases']]:
            problems.append(f'{name}: case list differs')
        for c in new['cases']:
            if c['name'] in by_name:
                compare_case(c, by_name[c['name']], f'{name} [{c["name"]}]', problems)
    for p in problems:
        print(f'fixture check: {p}')
    print(f'fixture check: {len(files)} file(s), {"OK" if not problems else f"{len(problems)} difference(s)"}')
    sys.exit(1 if problems else 0)


main()
