#!/usr/bin/env python3
"""Development mock of the orchestrator's HTTP API for the web UI (not shipped in the jar).

Serves web-ui/src/main/resources/modalgrid-ui/ at /, uPlot straight from the WebJar in the local
Maven repository at /webjars/..., and a fake API under /api/v1/ with Server-Sent Events. Two
experiments: a finished 'mfeat' classification grid (105 runs, some failed) and a running
'synthetic-overlap' regression grid (4 modalities x 3 fractions x 5 overlaps x 5 seeds = 1125 runs)
that progresses over time on fake worker slots, with planned failures.

    python3 web-ui/dev/mock_server.py --port 8765
    python3 web-ui/dev/mock_server.py --port 8765 --token secret   # POSTs need 'Authorization: Bearer secret'
    python3 web-ui/dev/mock_server.py --prefix /modalgrid/         # serve everything under a path prefix

Python 3 standard library only. Binds to 127.0.0.1 by default.
"""

import argparse
import csv
import hashlib
import io
import itertools
import json
import math
import mimetypes
import os
import queue
import random
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

HERE = os.path.dirname(os.path.abspath(__file__))
STATIC = os.path.normpath(os.path.join(HERE, '..', 'src', 'main', 'resources', 'modalgrid-ui'))
UPLOT_JAR = os.path.expanduser('~/.m2/repository/org/webjars/npm/uplot/1.6.30/uplot-1.6.30.jar')
TABLE_NAMES = ['accuracy', 'fractions', 'gamma', 'eta']


def stable_hash(*parts):
    """A hash that is the same in every process (str hashes are salted per process)."""
    return int.from_bytes(hashlib.sha1(repr(parts).encode()).digest()[:8], 'big')


def now_ms():
    return int(time.time() * 1000)


def clean(v):
    """JSON has no NaN: NaN and infinities become null."""
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: clean(x) for k, x in v.items()}
    if isinstance(v, list):
        return [clean(x) for x in v]
    return v


def mean_std(xs):
    xs = [x for x in xs if x is not None and math.isfinite(x)]
    if not xs:
        return float('nan'), float('nan')
    m = sum(xs) / len(xs)
    if len(xs) < 2:
        return m, float('nan')
    return m, math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1))


def axis_points(axes):
    keys = list(axes.keys())
    return [dict(zip(keys, combo)) for combo in itertools.product(*[axes[k] for k in keys])] if keys else [{}]


def subset_key(subset, fraction, axes):
    return (subset, float(fraction), tuple(sorted((k, float(v)) for k, v in axes.items())))


# ------------------------------------------------------------------------------------------------
# The fake world
# ------------------------------------------------------------------------------------------------

class Experiment:
    def __init__(self, exp_id, name, source, task, modalities, subsets, fractions, seeds, axes, epochs, created_at):
        self.id = exp_id
        self.name = name
        self.source = source
        self.task = task
        self.modalities = modalities
        self.subsets = subsets
        self.fractions = fractions
        self.seeds = seeds
        self.axes = axes
        self.epochs = epochs
        self.created_at = created_at
        self.runs = {}          # id -> Run, in plan order
        self.completed_sent = False

    @property
    def metric(self):
        return 'accuracy' if self.task == 'classification' else 'test_mse'

    @property
    def eta_metric(self):
        return 'eta_error' if self.task == 'classification' else 'eta'

    def counts(self):
        c = {s: 0 for s in ['queued', 'running', 'succeeded', 'failed', 'cancelled']}
        for r in self.runs.values():
            c[r.status] += 1
        return c

    def status(self):
        c = self.counts()
        total = len(self.runs)
        if c['succeeded'] == total:
            return 'succeeded'
        if c['queued'] + c['running'] == 0:
            return 'finished-with-failures'
        if c['queued'] == total:
            return 'queued'
        return 'running'

    def summary(self, sim):
        c = self.counts()
        status = self.status()
        eta_ms = None
        if status in ('running', 'queued'):
            remaining = c['queued'] + c['running'] * 0.5
            eta_ms = int(remaining * sim.mean_run_ms() / max(1, sim.slots_total()))
        return clean({
            'id': self.id, 'name': self.name, 'source': self.source, 'task': self.task, 'status': status,
            'created_at': self.created_at, 'total': len(self.runs), 'counts': c, 'eta_ms': eta_ms,
            'results_dir': 'runs/' + self.id if status != 'queued' else None,
            'modalities': self.modalities, 'subsets': self.subsets, 'fractions': self.fractions,
            'seeds': self.seeds, 'axes': self.axes, 'epochs': self.epochs, 'metric': self.metric,
            'higher_is_better': self.task == 'classification', 'eta_metric': self.eta_metric,
        })


class Run:
    def __init__(self, exp, run_id, subset, fraction, seed, axes):
        self.exp = exp
        self.id = run_id
        self.subset = subset
        self.modalities = subset.split('+')
        self.fraction = fraction
        self.seed = seed
        self.axes = axes
        self.status = 'queued'
        self.attempts = []
        self.history = []
        self.metrics = None
        self.eta = None
        self.error = None
        self.worker = None
        self.device = None
        self.queued_at = exp.created_at
        self.started_at = None
        self.finished_at = None
        self.progress = 0.0       # epochs done, fractional
        self.fail_at = None       # epoch at which this attempt fails, if planned
        self.fail_kind = None
        self.cancel_requested = False
        self.final = None         # (metrics, eta) this run converges to

    def to_json(self, with_history=False):
        d = {
            'id': self.id, 'experiment': self.exp.id,
            'cell': {'subset': self.subset, 'modalities': self.modalities, 'fraction': self.fraction,
                     'seed': self.seed, 'axes': self.axes},
            'status': self.status, 'attempts': self.attempts, 'metrics': self.metrics, 'eta': self.eta,
            'train_rows': max(1, math.ceil(self.fraction * (10000 if self.exp.task == 'regression' else 1600))),
            'timing': {'queued_at': self.queued_at, 'started_at': self.started_at, 'finished_at': self.finished_at,
                       'train_ms': (self.finished_at - self.started_at) if self.finished_at and self.started_at else None,
                       'probe_ms': 40 if self.status == 'succeeded' else None,
                       'total_ms': (self.finished_at - self.started_at) if self.finished_at and self.started_at else None},
            'worker': self.worker, 'device': self.device, 'error': self.error,
        }
        if with_history:
            d['history'] = self.history
        return clean(d)


def outcome(run, rng):
    """The metrics a run converges to: shaped like the paper's claims, with seed noise."""
    exp = run.exp
    k = len(run.modalities)
    f = run.fraction
    small = 1 / math.sqrt(f) - 1          # 0 at full data, large with little data
    if exp.task == 'regression':
        w = float(run.axes.get('overlap', 1))
        missing = len(exp.modalities) - k
        eta = max(0.0, 100 * (1 - w) ** 2 * missing * (1 + 0.03 * rng.gauss(0, 1)) + 0.6 * k * small * (1 + 0.2 * abs(rng.gauss(0, 1))))
        mse = eta + 2.5 * k * small * (1 + 0.1 * rng.gauss(0, 1)) + abs(rng.gauss(0.4, 0.2))
        return {'test_mse': mse}, {'eta': eta}
    base = {'fou': 82.0, 'kar': 94.0, 'pix': 95.0}
    best = max(base[m] for m in run.modalities)
    acc_full = min(99.0, best + 1.3 * (k - 1))
    acc = acc_full - 6.5 * small * (0.55 + 0.3 * k) / 3.2 + rng.gauss(0, 0.6)
    acc = max(10.0, min(99.5, acc))
    probe_err = max(0.0, 100 - acc - 1.2 + rng.gauss(0, 0.5))
    return ({'accuracy': acc, 'test_error': 100 - acc, 'test_ce': 0.02 * (100 - acc) + 0.05 + abs(rng.gauss(0, 0.02))},
            {'eta_error': probe_err, 'eta_ce': 0.018 * probe_err + 0.04})


def loss_at(run, epoch):
    exp = run.exp
    tau = exp.epochs / 6
    rnd = random.Random(stable_hash(run.id, epoch, len(run.attempts)))
    if exp.task == 'regression':
        final = (run.final[0]['test_mse']) * 0.9
        start = final + 400 + 40 * len(run.modalities)
    else:
        final = 0.02 + 0.01 * len(run.modalities) / run.fraction ** 0.1
        start = 1.8
    return max(1e-4, final + (start - final) * math.exp(-epoch / tau)) * (1 + 0.03 * rnd.gauss(0, 1))


def test_at(run, epoch):
    exp = run.exp
    frac = 1 - math.exp(-epoch / (exp.epochs / 5))
    if exp.task == 'regression':
        final = run.final[0]['test_mse']
        return final + (final + 500) * (1 - frac)
    final = run.final[0]['accuracy']
    return 100 / 10 + (final - 10) * frac


class Sim:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.lock = threading.RLock()
        self.experiments = {}
        self.runs = {}
        self.queue = []               # run ids, FIFO
        self.nodes = [{'node': f'node-{n + 1}' if args.nodes > 1 else 'local',
                       'slots': [{'worker': None, 'device': f'{"cuda" if n % 2 else "cpu"}:{s}', 'busy': False, 'run': None}
                                 for s in range(args.slots)]} for n in range(args.nodes)]
        for node in self.nodes:
            for slot in node['slots']:
                slot['worker'] = f"{node['node']}/{slot['device']}"
        self.clients = []             # (queue, experiment filter)
        self.last_tables = {}
        self.pending_tables = set()
        self.run_ms = []
        self._build()

    # -- setup ---------------------------------------------------------------------------------

    def _build(self):
        t0 = now_ms()
        mfeat = Experiment('mfeat-1a2b3c4d', 'mfeat', 'configs/mfeat.conf', 'classification',
                           ['fou', 'kar', 'pix'], ['fou', 'kar', 'pix', 'fou+kar', 'fou+pix', 'kar+pix', 'fou+kar+pix'],
                           [0.01, 0.05, 0.1, 0.5, 1.0], [0, 1, 2], {}, 200, t0 - 3 * 3600 * 1000)
        mods = ['m1', 'm2', 'm3', 'm4']
        subsets = ['+'.join(c) for k in range(1, 5) for c in itertools.combinations(mods, k)]
        synth = Experiment('synthetic-overlap-9f8e7d6c', 'synthetic-overlap', 'configs/synthetic-overlap.conf', 'regression',
                           mods, subsets, [0.01, 0.1, 1.0], [0, 1, 2, 3, 4], {'overlap': [1, 0.8, 0.5, 0.2, 0]},
                           self.args.epochs, t0 - 20 * 60 * 1000)
        for exp in (mfeat, synth):
            self.experiments[exp.id] = exp
            n = 0
            for point in axis_points(exp.axes):
                for f in exp.fractions:
                    for s in exp.subsets:
                        for seed in exp.seeds:
                            rid = 'r%012x' % (stable_hash(exp.id, s, f, seed, tuple(point.items())) & 0xffffffffffff)
                            run = Run(exp, rid, s, f, seed, dict(point))
                            run.final = outcome(run, random.Random(stable_hash(rid, 'final')))
                            exp.runs[rid] = run
                            self.runs[rid] = run
                            n += 1
        # mfeat: finished long ago, three failures
        failed = set(self.rng.sample(list(mfeat.runs), 3))
        for rid, run in mfeat.runs.items():
            self._finish_instantly(run, fail=rid in failed, at=mfeat.created_at + 3600 * 1000)
        mfeat.completed_sent = True
        # synthetic: a random share already done (so every plot has points), the rest queued in plan order
        order = list(synth.runs)
        done = set(self.rng.sample(order, int(len(order) * self.args.warm)))
        for rid in order:
            if rid in done:
                self._finish_instantly(synth.runs[rid], fail=self.rng.random() < self.args.fail_rate, at=now_ms() - self.rng.randint(1000, 600000))
        self.queue = [rid for rid in order if rid not in done]

    def _finish_instantly(self, run, fail, at):
        exp = run.exp
        run.attempts = [{'number': 1, 'worker': 'local/cpu:0', 'device': 'cpu:0', 'status': 'failed' if fail else 'succeeded',
                         'started_at': at - 5000, 'finished_at': at, 'kind': 'chaos' if fail else None,
                         'error': f'planned failure (chaos) at epoch {exp.epochs // 3}' if fail else None}]
        run.worker, run.device = 'local/cpu:0', 'cpu:0'
        run.started_at, run.finished_at = at - 5000, at
        last = exp.epochs // 3 if fail else exp.epochs
        run.history = [{'epoch': e, 'loss': loss_at(run, e), 'test': test_at(run, e) if e % 10 == 0 else None, 'ms': 25 * e}
                       for e in range(1, last + 1)]
        if fail:
            run.status = 'failed'
            run.error = run.attempts[0]['error']
        else:
            run.status = 'succeeded'
            run.metrics, run.eta = run.final

    # -- events --------------------------------------------------------------------------------

    def subscribe(self, exp_filter):
        q = queue.Queue()
        with self.lock:
            self.clients.append((q, exp_filter))
            snap = {'experiments': [e.summary(self) for e in self.experiments.values()],
                    'runs': [r.to_json() for r in self.experiments[exp_filter].runs.values()] if exp_filter in self.experiments else []}
        q.put(('snapshot', snap))
        return q

    def unsubscribe(self, q):
        with self.lock:
            self.clients = [c for c in self.clients if c[0] is not q]

    def emit(self, name, data, experiment=None):
        with self.lock:
            for q, f in self.clients:
                if name in ('experiment', 'completed') or f == experiment:
                    q.put((name, data))

    def emit_run(self, run):
        self.emit('run', run.to_json(), run.exp.id)
        self.emit('experiment', run.exp.summary(self))
        if run.status == 'succeeded':
            self.pending_tables.add(run.exp.id)

    # -- workers -------------------------------------------------------------------------------

    def slots_total(self):
        return sum(len(n['slots']) for n in self.nodes)

    def mean_run_ms(self):
        if self.run_ms:
            return sum(self.run_ms[-50:]) / len(self.run_ms[-50:])
        return 1000 * self.args.epochs / self.args.epoch_rate

    def workers(self):
        with self.lock:
            busy = sum(1 for n in self.nodes for s in n['slots'] if s['busy'])
            return {'slots_total': self.slots_total(), 'slots_busy': busy,
                    'nodes': [{'node': n['node'], 'slots': [dict(s) for s in n['slots']]} for n in self.nodes]}

    # -- the loop ------------------------------------------------------------------------------

    def loop(self):
        last = time.time()
        last_tables = 0
        while True:
            time.sleep(self.args.tick)
            t = time.time()
            dt, last = t - last, t
            with self.lock:
                self._step(dt)
                if self.pending_tables and t - last_tables >= 1.0:
                    for eid in self.pending_tables:
                        self.emit('tables', {'experiment': eid}, eid)
                    self.pending_tables.clear()
                    last_tables = t

    def _step(self, dt):
        for node in self.nodes:
            for slot in node['slots']:
                if not slot['busy']:
                    self._start_next(slot)
                if slot['busy']:
                    self._advance(slot, dt)

    def _start_next(self, slot):
        while self.queue:
            rid = self.queue.pop(0)
            run = self.runs[rid]
            if run.status != 'queued':
                continue
            n = len(run.attempts) + 1
            t = now_ms()
            run.attempts.append({'number': n, 'worker': slot['worker'], 'device': slot['device'], 'status': 'running',
                                 'started_at': t, 'finished_at': None, 'kind': None, 'error': None})
            run.status, run.worker, run.device = 'running', slot['worker'], slot['device']
            run.started_at, run.finished_at, run.error = t, None, None
            run.history, run.progress, run.cancel_requested = [], 0.0, False
            # planned failures: mostly on the first attempt, a few divergences
            run.fail_at, run.fail_kind = None, None
            p = self.args.fail_rate if n == 1 else self.args.fail_rate / 4
            if self.rng.random() < p:
                run.fail_at = self.rng.randint(2, run.exp.epochs - 1)
                run.fail_kind = 'diverged' if self.rng.random() < 0.3 else 'chaos'
            slot['busy'], slot['run'] = True, rid
            self.emit_run(run)
            return

    def _advance(self, slot, dt):
        run = self.runs[slot['run']]
        exp = run.exp
        if run.cancel_requested:
            self._end(slot, run, 'cancelled', 'cancelled', 'cancelled while running')
            return
        rate = self.args.epoch_rate * (0.6 + 0.8 * ((stable_hash(run.id) % 100) / 100))
        before = int(run.progress)
        run.progress = min(exp.epochs, run.progress + rate * dt)
        for e in range(before + 1, int(run.progress) + 1):
            if run.fail_at is not None and e >= run.fail_at:
                msg = (f'planned failure (chaos) at epoch {e}' if run.fail_kind == 'chaos'
                       else f'training diverged: loss became NaN at epoch {e} (lr 0.01)')
                self._end(slot, run, 'failed', run.fail_kind, msg)
                return
            point = {'epoch': e, 'loss': loss_at(run, e), 'test': test_at(run, e) if e % 10 == 0 or e == exp.epochs else None,
                     'ms': now_ms() - run.started_at}
            run.history.append(point)
            self.emit('epoch', clean({'experiment': exp.id, 'run': run.id, 'attempt': len(run.attempts), **point}), exp.id)
        if run.progress >= exp.epochs:
            self._end(slot, run, 'succeeded', None, None)

    def _end(self, slot, run, status, kind, error):
        t = now_ms()
        a = run.attempts[-1]
        a.update({'status': status, 'finished_at': t, 'kind': kind, 'error': error})
        run.status, run.finished_at, run.error = status, t, error
        if status == 'succeeded':
            run.metrics, run.eta = run.final
            self.run_ms.append(t - run.started_at)
        slot['busy'], slot['run'] = False, None
        self.emit_run(run)
        self._check_completed(run.exp)

    def _check_completed(self, exp):
        st = exp.status()
        if st in ('succeeded', 'finished-with-failures') and not exp.completed_sent:
            exp.completed_sent = True
            self.emit('completed', exp.summary(self))
        elif st not in ('succeeded', 'finished-with-failures'):
            exp.completed_sent = False

    # -- commands ------------------------------------------------------------------------------

    def retry(self, run):
        if run.status in ('queued', 'running'):
            return 409, {'error': f'run {run.id} is {run.status}', 'detail': 'only failed, cancelled or succeeded runs can be retried'}
        self._requeue(run)
        return 202, {'status': 'ok', 'message': f'run {run.id} queued again', 'runs': [run.id]}

    def _requeue(self, run):
        run.status, run.error, run.metrics, run.eta, run.history = 'queued', None, None, None, []
        run.queued_at, run.started_at, run.finished_at, run.progress = now_ms(), None, None, 0.0
        self.queue.insert(0, run.id)
        self.emit_run(run)
        self._check_completed(run.exp)

    def retry_failed(self, exp):
        ids = [r.id for r in exp.runs.values() if r.status == 'failed']
        for rid in reversed(ids):
            self._requeue(self.runs[rid])
        return 202, {'status': 'ok', 'message': f'{len(ids)} failed run(s) of {exp.id} queued again', 'runs': ids}

    def cancel(self, run):
        if run.status not in ('queued', 'running'):
            return 409, {'error': f'run {run.id} is {run.status}', 'detail': 'only queued or running runs can be cancelled'}
        if run.status == 'queued':
            run.status, run.error, run.finished_at = 'cancelled', 'cancelled before it started', now_ms()
            self.emit_run(run)
            self._check_completed(run.exp)
        else:
            run.cancel_requested = True
        return 202, {'status': 'ok', 'message': f'run {run.id} cancelled', 'runs': [run.id]}

    def cancel_experiment(self, exp):
        ids = []
        for r in exp.runs.values():
            if r.status in ('queued', 'running'):
                self.cancel(r)
                ids.append(r.id)
        if not ids:
            return 409, {'error': f'experiment {exp.id} has no queued or running runs', 'detail': exp.status()}
        return 202, {'status': 'ok', 'message': f'{len(ids)} run(s) of {exp.id} cancelled', 'runs': ids}

    # -- tables (a port of the orchestrator's analysis.Tables, enough for the UI) ---------------

    def table(self, exp, name):
        cls = exp.task == 'classification'
        test_metrics = ['accuracy', 'test_ce'] if cls else ['test_mse']
        eta_metrics = ['eta_error', 'eta_ce'] if cls else ['eta']
        full = max(exp.fractions)
        groups = {}
        for r in exp.runs.values():
            if r.status == 'succeeded':
                groups.setdefault(subset_key(r.subset, r.fraction, r.axes), []).append({**r.metrics, **r.eta, '_seed': r.seed})
        if name == 'accuracy':
            return self._cell_table(exp, 'accuracy', ('Test accuracy (%) and cross-entropy (nats)' if cls else 'Test mean squared error')
                                    + f' by subset at fraction {fmt_frac(full)}, mean ± std over seeds', groups, [full], test_metrics, [])
        if name == 'fractions':
            return self._cell_table(exp, 'fractions', ('Test accuracy (%) and cross-entropy' if cls else 'Test mean squared error')
                                    + ' by subset and training fraction, mean ± std over seeds', groups, exp.fractions, test_metrics, [])
        if name == 'eta':
            notes = ['For real data the oracle risk r(h*∘g*) is unknown: eta is shown up to that constant, which cancels in gamma.'] if cls else []
            title = (f'Latent quality eta at fraction {fmt_frac(full)}: cross-fitted probe risk on frozen latent codes, error (%) and cross-entropy (nats)'
                     if cls else f'Latent quality eta = inf_h r(h∘ĝ) − r(h*∘g*) (MSE) at fraction {fmt_frac(full)}, least-squares head on fresh generator rows')
            return self._cell_table(exp, 'eta', title, groups, [full], eta_metrics, notes)
        return self._gamma(exp, groups)

    def _cell_table(self, exp, name, title, groups, fractions, metrics, notes):
        axes = list(exp.axes)
        cols = ['subset', *axes, 'fraction', 'n'] + [m + s for m in metrics for s in ('_mean', '_std')]
        rows = []
        for point in axis_points(exp.axes):
            for f in fractions:
                for s in exp.subsets:
                    g = groups.get(subset_key(s, f, point), [])
                    row = {'subset': s, **point, 'fraction': f, 'n': len(g)}
                    for m in metrics:
                        row[m + '_mean'], row[m + '_std'] = mean_std([o.get(m) for o in g])
                    rows.append(row)
        return {'name': name, 'title': title, 'columns': cols, 'rows': rows, 'summary': {}, 'notes': notes}

    def _gamma(self, exp, groups):
        cls = exp.task == 'classification'
        losses = {'01': ('eta_error', 'test_error'), 'ce': ('eta_ce', 'test_ce')} if cls else {'': ('eta', 'test_mse')}
        axes = list(exp.axes)
        cols = ['subset', 'baseline', *axes, 'fraction', 'n']
        for l in losses:
            sfx = '_' + l if l else ''
            for base in ('gamma', 'gain', 'risk_diff'):
                cols += [base + sfx + '_mean', base + sfx + '_std']
            if cls and l == '01':
                cols += ['acc_diff_mean', 'acc_diff_std']
            cols.append('consistent' + sfx)
        counts = {l: [0, 0] for l in losses}
        rows = []
        sets = [(s, set(s.split('+'))) for s in exp.subsets]
        for point in axis_points(exp.axes):
            for f in exp.fractions:
                for m, ms in sets:
                    for n, ns in sets:
                        if len(ms) != len(ns) + 1 or not ns <= ms:
                            continue
                        bm = {o['_seed']: o for o in groups.get(subset_key(m, f, point), [])}
                        bn = {o['_seed']: o for o in groups.get(subset_key(n, f, point), [])}
                        seeds = sorted(set(bm) & set(bn))
                        row = {'subset': m, 'baseline': n, **point, 'fraction': f, 'n': len(seeds)}
                        for l, (eta_name, risk_name) in losses.items():
                            sfx = '_' + l if l else ''
                            g = mean_std([bm[s][eta_name] - bn[s][eta_name] for s in seeds])
                            gain = mean_std([bn[s][eta_name] - bm[s][eta_name] for s in seeds])
                            risk = mean_std([bm[s][risk_name] - bn[s][risk_name] for s in seeds])
                            row['gamma' + sfx + '_mean'], row['gamma' + sfx + '_std'] = g
                            row['gain' + sfx + '_mean'], row['gain' + sfx + '_std'] = gain
                            row['risk_diff' + sfx + '_mean'], row['risk_diff' + sfx + '_std'] = risk
                            if cls and l == '01':
                                row['acc_diff_mean'], row['acc_diff_std'] = mean_std([bm[s]['accuracy'] - bn[s]['accuracy'] for s in seeds])
                            consistent = None
                            if seeds and math.isfinite(g[0]) and math.isfinite(risk[0]):
                                consistent = math.copysign(1, g[0]) == math.copysign(1, risk[0]) if g[0] and risk[0] else g[0] == risk[0]
                                counts[l][1] += 1
                                counts[l][0] += 1 if consistent else 0
                            row['consistent' + sfx] = consistent
                        rows.append(row)
        summary, notes = {}, ['gamma = eta(M) − eta(N) (definition: negative when the larger subset M is better); gain = −gamma (the sign the paper\'s Table 3 prints); '
                              'risk_diff = r(M) − r(N) on the test split; consistent: gamma and risk_diff share their sign (Theorem 1). Per-seed paired differences, mean ± std.']
        for l, (c, n) in counts.items():
            sfx = '_' + l if l else ''
            summary['consistent_pairs' + sfx] = c
            summary['compared_pairs' + sfx] = n
            summary['consistent_share' + sfx] = c / n if n else float('nan')
            loss = {'01': '0-1 loss (probe error vs test error, % points)', 'ce': 'cross-entropy (probe CE vs test CE, nats)'}.get(l, 'squared error')
            notes.append(f'Consistent with Theorem 1, {loss}: {c} of {n} pairs' + (f' ({c / n:.2f}).' if n else '.'))
        title = ('gamma_S(M,N) for pairs N ⊂ M, |M| = |N| + 1: 0-1 loss in % points and cross-entropy in nats, beside the test-risk difference'
                 if cls else 'gamma_S(M,N) for pairs N ⊂ M, |M| = |N| + 1 (MSE), beside the test-risk difference')
        return {'name': 'gamma', 'title': title, 'columns': cols, 'rows': rows, 'summary': summary, 'notes': notes}


def fmt_frac(f):
    return str(int(f)) if f == int(f) else str(f)


def table_csv(t):
    out = io.StringIO()
    w = csv.writer(out, lineterminator='\n')
    w.writerow(t['columns'])
    for r in t['rows']:
        w.writerow(['' if r.get(c) is None or (isinstance(r.get(c), float) and not math.isfinite(r.get(c))) else r.get(c) for c in t['columns']])
    return out.getvalue()


def table_md(t):
    cols = [c for c in t['columns'] if not c.endswith('_std')]
    lines = ['### ' + t['title'], '', '| ' + ' | '.join(c[:-5] if c.endswith('_mean') else c for c in cols) + ' |', '|' + '---|' * len(cols)]
    for r in t['rows']:
        cells = []
        for c in cols:
            v = r.get(c)
            if c.endswith('_mean'):
                s = r.get(c[:-5] + '_std')
                cells.append('—' if v is None or not math.isfinite(v) else f'{v:.4g}' + ('' if s is None or not math.isfinite(s) else f' ± {s:.4g}'))
            else:
                cells.append('—' if v is None else str(v))
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines + [''] + ['- ' + n for n in t['notes']]) + '\n'


# ------------------------------------------------------------------------------------------------
# HTTP
# ------------------------------------------------------------------------------------------------

def make_handler(sim, args):
    jar = zipfile.ZipFile(args.uplot_jar) if os.path.exists(args.uplot_jar) else None
    prefix = '/' + args.prefix.strip('/') + '/' if args.prefix.strip('/') else '/'

    class Handler(BaseHTTPRequestHandler):
        server_version = 'modalgrid-mock/0.1'
        protocol_version = 'HTTP/1.1'

        def log_message(self, fmt, *a):
            if args.verbose:
                super().log_message(fmt, *a)

        def _send(self, code, body, ctype='application/json', extra=None):
            data = body if isinstance(body, bytes) else (json.dumps(body) if ctype == 'application/json' else body).encode()
            self.send_response(code)
            self.send_header('Content-Type', ctype + ('; charset=utf-8' if ctype.startswith(('text/', 'application/json', 'application/javascript')) else ''))
            self.send_header('Content-Length', str(len(data)))
            self.send_header('Cache-Control', 'no-store')
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            if self.command != 'HEAD':
                self.wfile.write(data)

        def _error(self, code, msg, detail=None):
            self._send(code, {'error': msg, 'detail': detail})

        def _path(self):
            u = urlparse(self.path)
            p = u.path
            if prefix != '/':
                if p + '/' == prefix:
                    return None, None   # redirect to the slash form
                if not p.startswith(prefix):
                    return '', parse_qs(u.query)
                p = '/' + p[len(prefix):]
            return p, parse_qs(u.query)

        def do_HEAD(self):
            self.do_GET()

        def do_GET(self):
            p, q = self._path()
            if p is None:
                self.send_response(301)
                self.send_header('Location', prefix)
                self.send_header('Content-Length', '0')
                self.end_headers()
                return
            if p.startswith('/api/v1/'):
                return self._api_get(p[len('/api/v1/'):], q)
            if p.startswith('/webjars/'):
                name = 'META-INF/resources' + p
                if jar is None:
                    return self._error(404, 'uPlot jar not found', args.uplot_jar)
                try:
                    data = jar.read(name)
                except KeyError:
                    return self._error(404, 'not found', p)
                return self._send(200, data, mimetypes.guess_type(name)[0] or 'application/octet-stream')
            if p in ('/', '/index.html'):
                p = '/index.html'
            f = os.path.normpath(os.path.join(STATIC, p.lstrip('/')))
            if not f.startswith(STATIC) or not os.path.isfile(f):
                return self._error(404, 'not found', p)
            ctype = mimetypes.guess_type(f)[0] or 'application/octet-stream'
            if f.endswith('.js'):
                ctype = 'application/javascript'
            with open(f, 'rb') as fh:
                self._send(200, fh.read(), ctype)

        def _api_get(self, p, q):
            parts = [x for x in p.split('/') if x]
            with sim.lock:
                if parts == ['health']:
                    return self._send(200, {'status': 'ok'})
                if parts == ['workers']:
                    return self._send(200, sim.workers())
                if parts == ['experiments']:
                    return self._send(200, {'experiments': [e.summary(sim) for e in sim.experiments.values()]})
                if parts == ['events']:
                    exp = (q.get('experiment') or [None])[0]
                elif len(parts) >= 2 and parts[0] == 'experiments':
                    exp = sim.experiments.get(parts[1])
                    if not exp:
                        return self._error(404, f'no experiment {parts[1]}')
                    if len(parts) == 2:
                        return self._send(200, exp.summary(sim))
                    if parts[2:] == ['runs']:
                        state = (q.get('state') or [None])[0]
                        return self._send(200, {'runs': [r.to_json() for r in exp.runs.values() if not state or r.status == state]})
                    if len(parts) == 4 and parts[2] == 'tables':
                        if parts[3] not in TABLE_NAMES:
                            return self._error(404, f"no table '{parts[3]}'", TABLE_NAMES)
                        fmt = (q.get('format') or ['json'])[0]
                        t = clean(sim.table(exp, parts[3]))
                        if fmt == 'json':
                            return self._send(200, t)
                        if fmt == 'csv':
                            return self._send(200, table_csv(t), 'text/csv')
                        if fmt == 'md':
                            return self._send(200, table_md(t), 'text/markdown')
                        return self._error(400, f"unknown format '{fmt}'", ['md', 'csv', 'json'])
                    return self._error(404, 'not found', p)
                elif len(parts) == 2 and parts[0] == 'runs':
                    r = sim.runs.get(parts[1])
                    if not r:
                        return self._error(404, f'no run {parts[1]}')
                    return self._send(200, r.to_json(with_history=True))
                else:
                    return self._error(404, 'not found', p)
            self._events(exp)   # only 'events' gets here; streams outside the lock

        def _events(self, exp):
            self.send_response(200)
            self.send_header('Content-Type', 'text/event-stream')
            self.send_header('Cache-Control', 'no-store')
            self.send_header('Connection', 'close')
            self.end_headers()
            self.close_connection = True
            q = sim.subscribe(exp)
            try:
                self.wfile.write(b'retry: 2000\n\n')
                while True:
                    try:
                        items = [q.get(timeout=15)]
                    except queue.Empty:
                        self.wfile.write(b': keep-alive\n\n')
                        self.wfile.flush()
                        continue
                    while len(items) < 500:
                        try:
                            items.append(q.get_nowait())
                        except queue.Empty:
                            break
                    buf = ''.join(f'event: {n}\ndata: {json.dumps(d)}\n\n' for n, d in items)
                    self.wfile.write(buf.encode())
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError, OSError):
                pass
            finally:
                sim.unsubscribe(q)

        def do_POST(self):
            p, _ = self._path()
            if not p or not p.startswith('/api/v1/'):
                return self._error(404, 'not found', p)
            length = int(self.headers.get('Content-Length') or 0)
            if length:
                self.rfile.read(length)
            if args.token and self.headers.get('Authorization') != 'Bearer ' + args.token:
                return self._error(401, 'unauthorized', 'send Authorization: Bearer <token>')
            parts = [x for x in p[len('/api/v1/'):].split('/') if x]
            with sim.lock:
                if len(parts) == 3 and parts[0] == 'runs' and parts[2] in ('retry', 'cancel'):
                    r = sim.runs.get(parts[1])
                    if not r:
                        return self._error(404, f'no run {parts[1]}')
                    code, body = sim.retry(r) if parts[2] == 'retry' else sim.cancel(r)
                    return self._send(code, body)
                if len(parts) == 3 and parts[0] == 'experiments' and parts[2] in ('retry-failed', 'cancel'):
                    e = sim.experiments.get(parts[1])
                    if not e:
                        return self._error(404, f'no experiment {parts[1]}')
                    code, body = sim.retry_failed(e) if parts[2] == 'retry-failed' else sim.cancel_experiment(e)
                    return self._send(code, body)
            return self._error(404, 'not found', p)

    return Handler


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--host', default='127.0.0.1')
    ap.add_argument('--port', type=int, default=8765)
    ap.add_argument('--prefix', default='', help='serve under this path prefix, e.g. /modalgrid/')
    ap.add_argument('--token', default=None, help='require this bearer token on POSTs')
    ap.add_argument('--nodes', type=int, default=2)
    ap.add_argument('--slots', type=int, default=4, help='worker slots per node')
    ap.add_argument('--epochs', type=int, default=60, help='planned epochs of the synthetic experiment')
    ap.add_argument('--epoch-rate', type=float, default=12.0, help='epochs per second per running run')
    ap.add_argument('--fail-rate', type=float, default=0.05)
    ap.add_argument('--warm', type=float, default=0.3, help='share of the synthetic grid already finished at start')
    ap.add_argument('--tick', type=float, default=0.1)
    ap.add_argument('--seed', type=int, default=7)
    ap.add_argument('--uplot-jar', default=UPLOT_JAR)
    ap.add_argument('--verbose', action='store_true')
    args = ap.parse_args()
    sim = Sim(args)
    threading.Thread(target=sim.loop, daemon=True).start()
    server = ThreadingHTTPServer((args.host, args.port), make_handler(sim, args))
    server.daemon_threads = True
    print(f'modalgrid mock: http://{args.host}:{args.port}{args.prefix or "/"}  (static from {STATIC})', flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == '__main__':
    main()
