// modalgrid live leaderboard. Plain JavaScript, no build step.
//
// Data flow: REST for the initial lists, tables, run histories and workers; Server-Sent Events for
// everything live. Events only change plain JS state (Maps) and mark what is dirty; one
// requestAnimationFrame callback per frame applies the dirty parts to the DOM in place (rows are
// keyed by cell, run chips by run id). High-rate updates (epoch bars, live losses, plots) take a
// slower path: they are applied together in one frame at most every SLOW_INTERVAL_MS.
'use strict';

(() => {
  const API = 'api/v1/';
  const STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];
  const TABLES = ['accuracy', 'fractions', 'gamma', 'eta'];
  const SLOW_INTERVAL_MS = 250;        // epoch bars, live losses and plots: at most 4 updates per second
  const TABLES_DEBOUNCE_MS = 1500;     // refetch the result tables this long after the last 'tables' event
  const TABLES_MAX_WAIT_MS = 5000;     // ...but no later than this after the first one
  const WORKERS_POLL_MS = 2000;
  const TOKEN_KEY = 'modalgrid.token';
  const PALETTE = ['#2f6fed', '#e8590c', '#2b8a3e', '#c2255c', '#7048e8', '#0c8599', '#e67700', '#5c940d',
    '#862e9c', '#1864ab', '#d6336c', '#087f5b', '#a61e4d', '#364fc7', '#74b816', '#495057'];

  // ---------------------------------------------------------------------------------------------
  // State
  // ---------------------------------------------------------------------------------------------

  const S = {
    experiments: new Map(),   // id -> Summary
    expId: null,              // selected experiment
    runs: new Map(),          // run id -> Run (selected experiment, without history)
    live: new Map(),          // run id -> {attempt, epoch, loss, test}: latest epoch of running runs
    cells: new Map(),         // cell key -> Cell (see newCell)
    runCell: new Map(),       // run id -> cell key
    axisNames: [],            // dataset axes of the selected experiment, in summary order
    shapeKey: '',             // identifies the leaderboard's columns; a change rebuilds the table
    sort: { col: 'rank', dir: 1 },
    filterText: '',
    filterState: '',
    order: [],                // cell keys in current DOM order
    selectedRun: null,
    curve: null,              // {runId, attempt, points:[{epoch, loss, test}], loading, pending:[]}
    snapshotSeen: false,
    autoSelected: false,
    token: sessionStorage.getItem(TOKEN_KEY),
    workersJson: '',
    plotAxisPoint: '',        // axis point shown by the fraction plot
  };

  const dirty = {
    picker: false, header: false, rebuild: false, order: false, ranks: false, detail: false, detailLive: false,
    cells: new Set(),          // cell keys whose aggregate needs recomputing
    runs: new Set(),           // run ids whose chip needs re-rendering (state change)
    progress: new Set(),       // run ids whose epoch bar/loss changed (slow path)
  };

  const $ = (id) => document.getElementById(id);
  const el = {};

  // ---------------------------------------------------------------------------------------------
  // Formatting
  // ---------------------------------------------------------------------------------------------

  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
  const finite = (v) => typeof v === 'number' && Number.isFinite(v);

  /** Same rules as the tables' Markdown: percent metrics with 2 decimals, others 4 significant digits. */
  function fmtMetric(metric, v) {
    if (!finite(v)) return '—';
    const m = metric || '';
    const percent = m.startsWith('accuracy') || m.includes('error') || m.endsWith('_01') || m.startsWith('acc_diff');
    if (percent) return v.toFixed(2);
    const a = Math.abs(v);
    if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(3);
    if (a >= 100) return v.toFixed(1);
    return v.toPrecision(4);
  }
  const fmtFraction = (f) => (finite(f) ? String(f) : '—');
  const fmtLoss = (v) => (!finite(v) ? '—' : v === 0 ? '0' : Math.abs(v) >= 1000 || Math.abs(v) < 1e-3 ? v.toExponential(2) : v.toPrecision(3));

  function fmtDuration(ms) {
    if (!finite(ms) || ms < 0) return '—';
    let s = Math.round(ms / 1000);
    if (s < 60) return s + ' s';
    const h = Math.floor(s / 3600); s -= h * 3600;
    const m = Math.floor(s / 60); s -= m * 60;
    return h > 0 ? `${h} h ${m} min` : `${m} min ${s} s`;
  }
  const fmtTime = (t) => (finite(t) ? new Date(t).toLocaleString() : '—');
  const axesText = (axes, names) => names.map((k) => `${k}=${axes == null ? '' : axes[k]}`).join(',');

  // ---------------------------------------------------------------------------------------------
  // HTTP
  // ---------------------------------------------------------------------------------------------

  async function getJson(path) {
    const res = await fetch(API + path, { headers: { Accept: 'application/json' } });
    if (!res.ok) throw new Error(await errorText(res));
    return res.json();
  }

  async function errorText(res) {
    try {
      const body = await res.json();
      if (body && body.error) return body.error + (body.detail ? ': ' + (typeof body.detail === 'string' ? body.detail : JSON.stringify(body.detail)) : '');
    } catch (e) { /* not JSON */ }
    return `${res.status} ${res.statusText}`;
  }

  let tokenPromise = null;
  /** One token prompt at a time; concurrent callers share it. Resolves to the token or null. */
  function askToken() {
    if (tokenPromise) return tokenPromise;
    tokenPromise = new Promise((resolve) => {
      const dlg = el.tokenDialog;
      el.tokenInput.value = '';
      const done = (value) => {
        el.tokenForm.removeEventListener('submit', onSubmit);
        el.tokenCancel.removeEventListener('click', onCancel);
        dlg.removeEventListener('cancel', onCancel);
        if (dlg.open) dlg.close();
        tokenPromise = null;
        resolve(value);
      };
      const onSubmit = (e) => { e.preventDefault(); done(el.tokenInput.value.trim() || null); };
      const onCancel = (e) => { e.preventDefault(); done(null); };
      el.tokenForm.addEventListener('submit', onSubmit);
      el.tokenCancel.addEventListener('click', onCancel);
      dlg.addEventListener('cancel', onCancel);
      dlg.showModal();
      el.tokenInput.focus();
    });
    return tokenPromise;
  }

  /** A mutating call: sends the bearer token when one is known; on 401 asks for one once and retries. */
  async function post(path) {
    for (let tries = 0; ; tries++) {
      const headers = { Accept: 'application/json' };
      if (S.token) headers.Authorization = 'Bearer ' + S.token;
      const res = await fetch(API + path, { method: 'POST', headers });
      if (res.status === 401) {
        if (tries > 0) {
          S.token = null;
          sessionStorage.removeItem(TOKEN_KEY);
          throw new Error('the token was not accepted');
        }
        const token = await askToken();
        if (!token) throw new Error('a token is required for this action');
        S.token = token;
        sessionStorage.setItem(TOKEN_KEY, token);
        continue;
      }
      if (!res.ok) throw new Error(await errorText(res));
      return res.json().catch(() => ({}));
    }
  }

  async function action(path, what) {
    try {
      const body = await post(path);
      toast(body && body.message ? body.message : what + ': accepted', 'ok');
    } catch (e) {
      toast(what + ' failed: ' + e.message, 'error');
    }
  }

  function toast(text, kind) {
    const t = document.createElement('div');
    t.className = 'toast ' + (kind || '');
    t.textContent = text;
    el.toasts.appendChild(t);
    setTimeout(() => t.classList.add('leaving'), 4200);
    setTimeout(() => t.remove(), 4600);
    while (el.toasts.childElementCount > 5) el.toasts.firstElementChild.remove();
  }

  // ---------------------------------------------------------------------------------------------
  // Frame scheduling: at most one DOM render per animation frame
  // ---------------------------------------------------------------------------------------------

  let frameRequested = false;
  let slowDue = false;          // the next frame also applies the slow path
  let slowTimer = null;
  let lastSlowAt = 0;

  /** Epoch events arrive in bursts: their DOM writes and the plot redraws share one frame every SLOW_INTERVAL_MS. */
  function scheduleSlow() {
    if (slowTimer || slowDue) return;
    const wait = Math.max(0, SLOW_INTERVAL_MS - (performance.now() - lastSlowAt));
    slowTimer = setTimeout(() => { slowTimer = null; slowDue = true; schedule(); }, wait);
  }

  function schedule() {
    if (frameRequested) return;
    frameRequested = true;
    requestAnimationFrame(render);
  }

  function render() {
    frameRequested = false;
    try {
      if (dirty.picker) { dirty.picker = false; renderPicker(); }
      if (dirty.rebuild) { dirty.rebuild = false; buildLeaderboard(); }
      if (dirty.header) { dirty.header = false; renderHeader(); }
      if (dirty.cells.size) {
        for (const key of dirty.cells) {
          const cell = S.cells.get(key);
          if (cell && aggregate(cell)) dirty.ranks = true;
          if (cell) renderCellStats(cell);
        }
        dirty.cells.clear();
        dirty.order = true;
        requestPlot('fractions'); requestPlot('eta');
      }
      if (dirty.runs.size) {
        for (const id of dirty.runs) renderRunItem(id);
        dirty.runs.clear();
      }
      if (dirty.ranks) { dirty.ranks = false; computeRanks(); dirty.order = true; }
      if (dirty.order) { dirty.order = false; applyOrder(); }
      if (dirty.detail) { dirty.detail = false; dirty.detailLive = false; renderDetail(); }
      if (slowDue) {
        slowDue = false;
        lastSlowAt = performance.now();
        for (const id of dirty.progress) renderRunProgress(id);
        dirty.progress.clear();
        if (dirty.detailLive) { dirty.detailLive = false; renderDetailLive(); }
        drawPlots();
      }
    } catch (e) {
      console.error(e);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Experiments and the picker
  // ---------------------------------------------------------------------------------------------

  const current = () => S.experiments.get(S.expId) || null;

  function newestId() {
    let best = null;
    for (const e of S.experiments.values()) if (!best || (e.created_at || 0) > (best.created_at || 0)) best = e;
    return best ? best.id : null;
  }

  function upsertExperiment(summary) {
    if (!summary || !summary.id) return;
    const before = S.experiments.get(summary.id);
    S.experiments.set(summary.id, summary);
    if (!before || before.status !== summary.status || before.name !== summary.name) dirty.picker = true;
    if (summary.id === S.expId) {
      dirty.header = true;
      const key = shapeKeyOf(summary);
      if (key !== S.shapeKey) { rebuildCells(); }
    }
    if (!S.expId) selectExperiment(summary.id, false);
    schedule();
  }

  function renderPicker() {
    const sel = el.picker;
    const list = [...S.experiments.values()].sort((a, b) => (b.created_at || 0) - (a.created_at || 0));
    sel.textContent = '';
    if (!list.length) {
      const o = document.createElement('option');
      o.textContent = 'No experiments';
      o.value = '';
      sel.appendChild(o);
      sel.disabled = true;
      return;
    }
    sel.disabled = false;
    for (const e of list) {
      const o = document.createElement('option');
      o.value = e.id;
      o.textContent = `${e.name || e.id} · ${e.id} · ${e.status}`;
      sel.appendChild(o);
    }
    sel.value = S.expId || '';
  }

  function selectExperiment(id, userAction) {
    if (id === S.expId) return;
    S.expId = id;
    S.runs.clear();
    S.live.clear();
    S.snapshotSeen = false;
    S.autoSelected = false;
    S.selectedRun = null;
    S.curve = null;
    S.plotAxisPoint = '';
    rebuildCells();
    dirty.picker = true;
    dirty.header = true;
    dirty.detail = true;
    if (userAction) {
      const url = new URL(window.location.href);
      url.searchParams.set('experiment', id);
      history.replaceState(null, '', url);
    }
    clearTables();
    destroyPlots();
    connectEvents();
    fetchTables();
    schedule();
  }

  function renderHeader() {
    const e = current();
    el.accuracyHeading.textContent = e && e.metric === 'test_mse' ? 'Test MSE at full data' : 'Test accuracy at full data';
    if (!e) {
      el.expName.textContent = S.experiments.size ? 'Select an experiment' : 'No experiments yet';
      el.expMeta.textContent = '';
      el.status.textContent = '—';
      el.status.dataset.status = '';
      for (const b of el.counts.querySelectorAll('b')) b.textContent = '0';
      el.eta.textContent = '—';
      el.progressText.textContent = '';
      el.retryFailed.disabled = true;
      el.cancelExperiment.disabled = true;
      return;
    }
    el.expName.textContent = e.name || e.id;
    const meta = [
      ['id', e.id], ['task', e.task], ['source', e.source], ['created', fmtTime(e.created_at)],
      ['results', e.results_dir], ['epochs', e.epochs],
      ['modalities', (e.modalities || []).join(', ')], ['seeds', (e.seeds || []).length],
    ];
    const metaHtml = meta.filter(([, v]) => v != null && v !== '')
      .map(([k, v]) => `<span><i>${esc(k)}</i> ${esc(v)}</span>`).join('');
    if (el.expMeta.innerHTML !== metaHtml) el.expMeta.innerHTML = metaHtml;
    el.status.textContent = e.status || '—';
    el.status.dataset.status = e.status || '';

    const counts = countsFor(e);
    const total = e.total || STATES.reduce((a, s) => a + (counts[s] || 0), 0);
    if (!el.counts.firstChild) {
      el.counts.innerHTML = STATES.map((s) =>
        `<button type="button" class="count" data-state="${s}" title="Show cells with ${s} runs"><i></i>${s} <b></b></button>`).join('');
    }
    for (const b of el.counts.children) {
      const text = String(counts[b.dataset.state] || 0);
      const num = b.lastElementChild;
      if (num.textContent !== text) num.textContent = text;
      b.classList.toggle('active', S.filterState === b.dataset.state);
    }
    const done = (counts.succeeded || 0) + (counts.failed || 0) + (counts.cancelled || 0);
    const pct = (n) => (total ? (100 * n) / total : 0);
    for (const seg of el.progress.querySelectorAll('.seg')) seg.style.width = pct(counts[seg.dataset.state] || 0) + '%';
    el.progress.setAttribute('aria-valuenow', String(Math.round(pct(done))));
    el.progressText.textContent = `${done} / ${total} finished (${pct(done).toFixed(0)}%)`;
    const terminal = e.status === 'succeeded' || e.status === 'finished-with-failures';
    el.eta.textContent = terminal ? 'done' : e.eta_ms == null ? '—' : fmtDuration(e.eta_ms);
    el.retryFailed.disabled = !(counts.failed > 0);
    el.cancelExperiment.disabled = !((counts.queued || 0) + (counts.running || 0) > 0);
  }

  /** Counts from the local run map when it is complete (it is what the table shows), else the summary's. */
  function countsFor(e) {
    if (S.runs.size && S.runs.size >= (e.total || 0)) {
      const c = { queued: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 };
      for (const r of S.runs.values()) c[r.status] = (c[r.status] || 0) + 1;
      return c;
    }
    return e.counts || {};
  }

  // ---------------------------------------------------------------------------------------------
  // Cells: one leaderboard row per (subset, fraction, axis point), aggregating the seeds' runs
  // ---------------------------------------------------------------------------------------------

  function shapeKeyOf(e) {
    return JSON.stringify([e.id, e.task, e.metric, e.eta_metric, Object.keys(e.axes || {})]);
  }

  /** The data-cell key: subset|fraction|k=v,... with axes in the experiment's axis order. */
  function cellKeyOf(cell) {
    return `${cell.subset}|${String(cell.fraction)}|${axesText(cell.axes || {}, S.axisNames)}`;
  }

  function axisPoints(axes) {
    let points = [{}];
    for (const [k, values] of Object.entries(axes || {})) {
      const next = [];
      for (const p of points) for (const v of values) next.push({ ...p, [k]: v });
      points = next;
    }
    return points;
  }

  function newCell(key, subset, fraction, axes, gridIndex) {
    const size = String(subset).split('+').length;
    return {
      key, subset, size, fraction, axes, gridIndex, runIds: [],
      haystack: '', n: 0, mean: NaN, std: NaN, etaMean: NaN, etaStd: NaN, rank: null, done: 0,
      states: new Set(), tr: null, tds: null, runsEl: null, items: new Map(),
    };
  }

  /** Rebuilds the cell map from the summary's grid and the known runs; the table follows next frame. */
  function rebuildCells() {
    const e = current();
    S.cells.clear();
    S.runCell.clear();
    S.axisNames = e ? Object.keys(e.axes || {}) : [];
    S.shapeKey = e ? shapeKeyOf(e) : '';
    if (e) {
      let i = 0;
      for (const point of axisPoints(e.axes)) {
        for (const f of e.fractions || []) {
          for (const subset of e.subsets || []) {
            const key = cellKeyOf({ subset, fraction: f, axes: point });
            if (!S.cells.has(key)) S.cells.set(key, newCell(key, subset, f, point, i++));
          }
        }
      }
    }
    const runs = [...S.runs.values()];
    runs.sort((a, b) => (a.cell.seed ?? 0) - (b.cell.seed ?? 0));
    for (const r of runs) attachRun(r);
    for (const c of S.cells.values()) c.haystack = haystackOf(c);
    dirty.rebuild = true;
    schedule();
  }

  function attachRun(run) {
    const key = cellKeyOf(run.cell);
    let cell = S.cells.get(key);
    if (!cell) {
      cell = newCell(key, run.cell.subset, run.cell.fraction, run.cell.axes || {}, S.cells.size);
      S.cells.set(key, cell);
      dirty.rebuild = true;
    }
    if (!cell.runIds.includes(run.id)) {
      cell.runIds.push(run.id);
      cell.runIds.sort((a, b) => (S.runs.get(a)?.cell.seed ?? 0) - (S.runs.get(b)?.cell.seed ?? 0));
      if (cell.tr && !dirty.rebuild) dirty.rebuild = true;
    }
    S.runCell.set(run.id, key);
    return cell;
  }

  function haystackOf(cell) {
    return [cell.subset, 'f=' + cell.fraction, String(cell.fraction), axesText(cell.axes, S.axisNames).replace(/,/g, ' '),
      ...cell.states].join(' ').toLowerCase();
  }

  /** Recomputes a cell's aggregate; returns true when the mean (hence ranks) changed. */
  function aggregate(cell) {
    const e = current();
    const metric = e ? e.metric : 'accuracy';
    const etaMetric = e ? e.eta_metric : 'eta_error';
    const xs = [], etas = [];
    cell.states = new Set();
    let done = 0;
    for (const id of cell.runIds) {
      const r = S.runs.get(id);
      if (!r) continue;
      cell.states.add(r.status);
      if (r.status === 'succeeded' || r.status === 'failed' || r.status === 'cancelled') done++;
      if (r.status !== 'succeeded') continue;
      const v = r.metrics ? r.metrics[metric] : undefined;
      if (finite(v)) xs.push(v);
      const h = r.eta ? r.eta[etaMetric] : undefined;
      if (finite(h)) etas.push(h);
    }
    const a = stats(xs), b = stats(etas);
    const changed = !(a.mean === cell.mean || (Number.isNaN(a.mean) && Number.isNaN(cell.mean)));
    cell.n = xs.length;
    cell.mean = a.mean; cell.std = a.std;
    cell.etaMean = b.mean; cell.etaStd = b.std;
    cell.done = done;
    cell.haystack = haystackOf(cell);
    return changed;
  }

  function stats(xs) {
    const n = xs.length;
    if (!n) return { n, mean: NaN, std: NaN };
    const mean = xs.reduce((a, x) => a + x, 0) / n;
    if (n < 2) return { n, mean, std: NaN };
    const ss = xs.reduce((a, x) => a + (x - mean) * (x - mean), 0);
    return { n, mean, std: Math.sqrt(ss / (n - 1)) };
  }

  function computeRanks() {
    const e = current();
    const hib = e ? e.higher_is_better !== false : true;
    const ranked = [...S.cells.values()].filter((c) => c.n >= 1 && finite(c.mean));
    ranked.sort((a, b) => (hib ? b.mean - a.mean : a.mean - b.mean));
    for (const c of S.cells.values()) c.newRank = null;
    let prev = null, rank = 0;
    ranked.forEach((c, i) => {
      if (prev === null || c.mean !== prev) rank = i + 1;   // ties share a rank
      prev = c.mean;
      c.newRank = rank;
    });
    for (const c of S.cells.values()) {
      if (c.newRank !== c.rank) {
        c.rank = c.newRank;
        if (c.tds) c.tds.rank.textContent = c.rank == null ? '—' : String(c.rank);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Leaderboard DOM
  // ---------------------------------------------------------------------------------------------

  function columns() {
    const e = current();
    const metricLabel = !e ? 'test metric' : e.metric === 'accuracy' ? 'Accuracy (%)' : e.metric === 'test_mse' ? 'Test MSE' : e.metric;
    const etaLabel = !e ? 'η' : e.eta_metric === 'eta_error' ? 'η error (%)' : e.eta_metric === 'eta' ? 'η (MSE)' : e.eta_metric;
    const arrow = !e ? '' : e.higher_is_better !== false ? ' ↑' : ' ↓';
    return [
      { id: 'rank', label: '#', cls: 'num', title: 'Rank by mean test metric among cells with a finished seed' },
      { id: 'subset', label: 'Subset', cls: '' },
      ...S.axisNames.map((a) => ({ id: 'axis:' + a, label: a, cls: 'num', title: 'Dataset axis ' + a })),
      { id: 'fraction', label: 'Fraction', cls: 'num' },
      { id: 'metric', label: metricLabel + arrow, cls: 'num', title: 'Mean ± std over finished seeds' },
      { id: 'eta', label: etaLabel, cls: 'num', title: 'Latent quality η, mean ± std over finished seeds (smaller is better)' },
      { id: 'n', label: 'n', cls: 'num', title: 'Finished seeds with a result / planned runs' },
      { id: 'runs', label: 'Runs (by seed)', cls: 'runs-col', title: 'Sort by share of finished runs' },
    ];
  }

  function buildLeaderboard() {
    const cols = columns();
    // Fixed table layout: column widths come from the colgroup, so a changing cell never makes
    // the browser re-measure every row.
    const colgroup = el.lb.querySelector('colgroup') || el.lb.insertBefore(document.createElement('colgroup'), el.lb.firstChild);
    colgroup.innerHTML = cols.map((c) => `<col class="col-${c.id.replace(/[^a-z0-9]+/gi, '-')}">`).join('');
    const longest = Math.max(6, ...[...S.cells.values()].map((c) => String(c.subset).length));
    // room for the longest subset name and its size badge
    colgroup.querySelector('.col-subset').style.width = Math.min(340, Math.max(150, 70 + 8.5 * longest)) + 'px';
    const head = document.createElement('tr');
    for (const c of cols) {
      const th = document.createElement('th');
      th.dataset.sort = c.id;
      th.className = c.cls;
      th.textContent = c.label;
      th.tabIndex = 0;
      th.setAttribute('role', 'columnheader');
      if (c.title) th.title = c.title;
      head.appendChild(th);
    }
    el.lbHead.textContent = '';
    el.lbHead.appendChild(head);
    updateSortIndicators();

    const frag = document.createDocumentFragment();
    for (const cell of S.cells.values()) {
      const tr = document.createElement('tr');
      tr.dataset.cell = cell.key;
      const axisTds = S.axisNames.map((a) => `<td class="num axis">${esc(cell.axes[a] ?? '—')}</td>`).join('');
      tr.innerHTML = `<td class="num rank">—</td>` +
        `<td class="subset"><span class="subset-name">${esc(cell.subset)}</span><span class="size" title="${cell.size} modalities">${cell.size}</span></td>` +
        axisTds +
        `<td class="num">${esc(fmtFraction(cell.fraction))}</td>` +
        `<td class="num metric"></td><td class="num eta"></td><td class="num n"></td>` +
        `<td class="runs"><div class="run-list"></div></td>`;
      const tds = tr.children;
      const k = S.axisNames.length;
      cell.tr = tr;
      cell.tds = { rank: tds[0], metric: tds[3 + k], eta: tds[4 + k], n: tds[5 + k] };
      cell.runsEl = tds[6 + k].firstElementChild;
      cell.items = new Map();
      cell.rank = null;
      aggregate(cell);
      renderCellStats(cell);
      for (const id of cell.runIds) renderRunItem(id);
      frag.appendChild(tr);
    }
    el.lbBody.textContent = '';
    el.lbBody.appendChild(frag);
    S.order = [...S.cells.keys()];
    el.lbEmpty.hidden = S.cells.size > 0;
    computeRanks();
    dirty.order = true;
    requestPlot('fractions'); requestPlot('eta');
  }

  function renderCellStats(cell) {
    if (!cell.tds) return;
    const e = current();
    const metric = e ? e.metric : 'accuracy';
    const etaMetric = e ? e.eta_metric : 'eta';
    cell.tds.metric.innerHTML = meanStdHtml(metric, cell.mean, cell.std);
    cell.tds.eta.innerHTML = meanStdHtml(etaMetric, cell.etaMean, cell.etaStd);
    cell.tds.n.textContent = `${cell.n}/${cell.runIds.length}`;
    cell.tr.classList.toggle('complete', cell.runIds.length > 0 && cell.n === cell.runIds.length);
  }

  function meanStdHtml(metric, mean, std) {
    if (!finite(mean)) return '<span class="na">—</span>';
    return `<span class="mean">${fmtMetric(metric, mean)}</span>` +
      (finite(std) ? `<span class="std"> ± ${fmtMetric(metric, std)}</span>` : '');
  }

  /** Re-renders one run's chip, error, buttons and epoch bar (on a state change). */
  function renderRunItem(id) {
    const run = S.runs.get(id);
    const cell = S.cells.get(S.runCell.get(id));
    if (!run || !cell || !cell.runsEl) return;
    let item = cell.items.get(id);
    if (!item) {
      item = document.createElement('span');
      item.className = 'run';
      cell.items.set(id, item);
      // keep seed order among the cell's items
      const idx = cell.runIds.indexOf(id);
      const next = cell.runIds.slice(idx + 1).map((r) => cell.items.get(r)).find((n) => n && n.parentNode === cell.runsEl);
      cell.runsEl.insertBefore(item, next || null);
    }
    const st = run.status;
    const seed = run.cell.seed;
    const e = current();
    const parts = [`seed ${seed}`, st];
    if (run.worker) parts.push(run.worker);
    if (st === 'succeeded' && run.metrics && e) parts.push(`${e.metric} ${fmtMetric(e.metric, run.metrics[e.metric])}`);
    if (run.error) parts.push(run.error);
    const attempts = (run.attempts || []).length;
    if (attempts > 1) parts.push(`${attempts} attempts`);
    let html = `<button type="button" class="chip${S.selectedRun === id ? ' selected' : ''}" data-run="${esc(id)}" data-state="${esc(st)}" title="${esc(parts.join(' · '))}">s${esc(seed)}</button>`;
    if (st === 'running') {
      html += `<span class="epoch" title="epoch / planned epochs, live training loss"><span class="epoch-bar"><span class="epoch-fill"></span></span><span class="epoch-text"></span><span class="loss"></span></span>`;
    }
    if (st === 'failed') {
      const msg = run.error || lastError(run) || 'failed';
      html += `<span class="error" title="${esc(msg)}">${esc(msg)}</span><button type="button" class="retry" data-run="${esc(id)}">Retry</button>`;
    }
    if (st === 'queued' || st === 'running') {
      html += `<button type="button" class="cancel" data-run="${esc(id)}" title="Cancel this run" aria-label="Cancel run ${esc(id)}">×</button>`;
    }
    item.className = 'run run-' + st;
    item.innerHTML = html;
    if (st === 'running') renderRunProgress(id);
  }

  function lastError(run) {
    const a = run.attempts || [];
    for (let i = a.length - 1; i >= 0; i--) if (a[i].error) return a[i].error;
    return null;
  }

  /** Cheap per-epoch update: only the bar width and two texts. */
  function renderRunProgress(id) {
    const cell = S.cells.get(S.runCell.get(id));
    const item = cell && cell.items.get(id);
    if (!item) return;
    const fill = item.querySelector('.epoch-fill');
    if (!fill) return;
    const live = S.live.get(id);
    const planned = (current() && current().epochs) || 0;
    const epoch = live ? live.epoch : 0;
    fill.style.width = planned ? Math.min(100, (100 * epoch) / planned) + '%' : '0%';
    item.querySelector('.epoch-text').textContent = planned ? `${epoch}/${planned}` : String(epoch);
    item.querySelector('.loss').textContent = live && finite(live.loss) ? fmtLoss(live.loss) : '';
  }

  // Sorting and filtering ------------------------------------------------------------------------

  function sortValue(cell, col) {
    switch (col) {
      case 'rank': return cell.rank;
      case 'subset': return cell.subset;
      case 'fraction': return cell.fraction;
      case 'metric': return finite(cell.mean) ? cell.mean : null;
      case 'eta': return finite(cell.etaMean) ? cell.etaMean : null;
      case 'n': return cell.n;
      case 'runs': return cell.runIds.length ? cell.done / cell.runIds.length : null;
      default:
        if (col.startsWith('axis:')) return cell.axes[col.slice(5)];
        return null;
    }
  }

  function compareCells(a, b) {
    const { col, dir } = S.sort;
    const va = sortValue(a, col), vb = sortValue(b, col);
    const na = va == null || va === '', nb = vb == null || vb === '';
    if (na !== nb) return na ? 1 : -1;    // missing values last in either direction
    if (!na) {
      let c;
      if (typeof va === 'number' && typeof vb === 'number') c = va - vb;
      else if (col === 'subset') c = a.size - b.size || String(va).localeCompare(String(vb));
      else c = String(va).localeCompare(String(vb), undefined, { numeric: true });
      if (c !== 0) return c * dir;
    }
    return a.gridIndex - b.gridIndex;
  }

  function matches(cell) {
    if (S.filterState && !cell.states.has(S.filterState)) return false;
    if (!S.filterText) return true;
    return S.filterText.split(/\s+/).every((t) => !t || cell.haystack.includes(t));
  }

  function applyOrder() {
    const cells = [...S.cells.values()].filter((c) => c.tr);
    cells.sort(compareCells);
    let shown = 0;
    for (const c of cells) {
      const visible = matches(c);
      if (c.tr.hidden === visible) c.tr.hidden = !visible;
      if (visible) shown++;
    }
    const keys = cells.map((c) => c.key);
    let same = keys.length === S.order.length;
    for (let i = 0; same && i < keys.length; i++) same = keys[i] === S.order[i];
    if (!same) {
      // Move only the rows that are out of place: a cell that climbs the ranking is one move,
      // not a re-insertion of every row (which costs a full table style and layout pass).
      let at = el.lbBody.firstElementChild;
      for (const c of cells) {
        if (c.tr === at) at = at.nextElementSibling;
        else el.lbBody.insertBefore(c.tr, at);
      }
      S.order = keys;
    }
    el.lbCount.textContent = shown === cells.length ? `${cells.length} cells · ${S.runs.size} runs` : `${shown} of ${cells.length} cells`;
  }

  function updateSortIndicators() {
    for (const th of el.lbHead.querySelectorAll('th')) {
      const on = th.dataset.sort === S.sort.col;
      th.classList.toggle('sorted', on);
      th.setAttribute('aria-sort', on ? (S.sort.dir > 0 ? 'ascending' : 'descending') : 'none');
    }
  }

  function onSortClick(col) {
    if (S.sort.col === col) S.sort.dir = -S.sort.dir;
    else {
      const e = current();
      const hib = e ? e.higher_is_better !== false : true;
      // first click: best first for the metric, "most finished" first for progress, ascending otherwise
      S.sort = { col, dir: col === 'metric' ? (hib ? -1 : 1) : col === 'n' || col === 'runs' ? -1 : 1 };
    }
    updateSortIndicators();
    dirty.order = true;
    schedule();
  }

  // ---------------------------------------------------------------------------------------------
  // Runs: snapshot and live events
  // ---------------------------------------------------------------------------------------------

  function setRuns(runs) {
    S.runs.clear();
    for (const r of runs) if (r && r.id && (!r.experiment || r.experiment === S.expId)) S.runs.set(r.id, r);
    for (const id of [...S.live.keys()]) {
      const r = S.runs.get(id);
      if (!r || r.status !== 'running' || currentAttempt(r) !== S.live.get(id).attempt) S.live.delete(id);
    }
    rebuildCells();
    dirty.header = true;
    autoSelectRun();
    if (S.selectedRun) {
      if (S.runs.has(S.selectedRun)) loadCurve(S.selectedRun, false);
      else { S.selectedRun = null; S.curve = null; dirty.detail = true; requestPlot('curve'); }
    }
    schedule();
  }

  const currentAttempt = (run) => {
    const a = run.attempts || [];
    return a.length ? a[a.length - 1].number || a.length : 0;
  };

  function onRun(run) {
    if (!run || !run.id || (run.experiment && run.experiment !== S.expId)) return;
    const before = S.runs.get(run.id);
    S.runs.set(run.id, run);
    if (run.status !== 'running') S.live.delete(run.id);
    else {
      const live = S.live.get(run.id);
      if (live && live.attempt !== currentAttempt(run)) S.live.delete(run.id);
    }
    let cell = S.cells.get(S.runCell.get(run.id));
    if (!cell) cell = attachRun(run);
    dirty.runs.add(run.id);
    dirty.cells.add(cell.key);
    dirty.header = true;
    if (run.id === S.selectedRun) {
      dirty.detail = true;
      if (!before || before.status !== run.status || currentAttempt(before) !== currentAttempt(run)) loadCurve(run.id, true);
    }
    if (!S.selectedRun) autoSelectRun();
    refreshWorkersSoon();
    schedule();
  }

  function onEpoch(ev) {
    if (!ev || (ev.experiment && ev.experiment !== S.expId)) return;
    const prev = S.live.get(ev.run);
    if (prev && finite(ev.attempt) && ev.attempt < prev.attempt) return;   // late event of an older attempt
    S.live.set(ev.run, { attempt: ev.attempt, epoch: ev.epoch, loss: ev.loss, test: ev.test });
    dirty.progress.add(ev.run);
    scheduleSlow();
    if (ev.run === S.selectedRun && S.curve) {
      const c = S.curve;
      if (finite(ev.attempt) && c.attempt && ev.attempt > c.attempt) { c.attempt = ev.attempt; c.points = []; }
      if (c.loading) c.pending.push(ev);
      else addCurvePoint(c, ev);
      requestPlot('curve');
      dirty.detailLive = true;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Selected run: training curve and details
  // ---------------------------------------------------------------------------------------------

  function autoSelectRun() {
    if (S.autoSelected || S.selectedRun) return;
    for (const r of S.runs.values()) {
      if (r.status === 'running') { S.autoSelected = true; selectRun(r.id); return; }
    }
  }

  function selectRun(id) {
    if (!id || !S.runs.has(id)) return;
    const prev = S.selectedRun;
    S.selectedRun = id;
    S.autoSelected = true;
    for (const rid of [prev, id]) {
      if (!rid) continue;
      const cell = S.cells.get(S.runCell.get(rid));
      const chip = cell && cell.items.get(rid) && cell.items.get(rid).querySelector('.chip');
      if (chip) chip.classList.toggle('selected', rid === id);
    }
    loadCurve(id, true);
  }

  async function loadCurve(id, reset) {
    const run = S.runs.get(id);
    if (!S.curve || S.curve.runId !== id || reset) {
      S.curve = { runId: id, attempt: run ? currentAttempt(run) : 0, points: [], loading: true, pending: [], detail: null };
    } else {
      S.curve.loading = true;
    }
    const c = S.curve;
    dirty.detail = true;
    requestPlot('curve');
    schedule();
    try {
      const full = await getJson('runs/' + encodeURIComponent(id));
      if (S.curve !== c) return;
      c.detail = full;
      c.attempt = currentAttempt(full);
      c.points = [];
      for (const h of full.history || []) addCurvePoint(c, h);
      for (const ev of c.pending) if (!finite(ev.attempt) || ev.attempt === c.attempt) addCurvePoint(c, ev);
    } catch (e) {
      if (S.curve === c) c.error = e.message;
    } finally {
      if (S.curve === c) { c.loading = false; c.pending = []; }
      dirty.detail = true;
      requestPlot('curve');
      schedule();
    }
  }

  function addCurvePoint(c, p) {
    const pt = { epoch: p.epoch, loss: p.loss, test: p.test == null ? null : p.test };
    const last = c.points[c.points.length - 1];
    if (!last || pt.epoch > last.epoch) c.points.push(pt);
    else {
      const i = c.points.findIndex((q) => q.epoch === pt.epoch);
      if (i >= 0) c.points[i] = pt;
    }
  }

  function renderDetail() {
    const id = S.selectedRun;
    const run = id && S.runs.get(id);
    if (!run) {
      el.curveTitle.textContent = 'Click a run chip to select a run';
      el.runDetail.innerHTML = '';
      el.runDetail.dataset.run = '';
      return;
    }
    const e = current();
    const cell = run.cell;
    const axes = S.axisNames.map((a) => `${a}=${cell.axes ? cell.axes[a] : ''}`).join(' ');
    el.curveTitle.textContent = `${cell.subset} · f=${fmtFraction(cell.fraction)}${axes ? ' · ' + axes : ''} · seed ${cell.seed}`;
    const metrics = run.metrics ? Object.entries(run.metrics).map(([k, v]) => `${k} ${fmtMetric(k, v)}`).join(', ') : '';
    const etas = run.eta ? Object.entries(run.eta).map(([k, v]) => `${k} ${fmtMetric(k, v)}`).join(', ') : '';
    const detail = S.curve && S.curve.runId === id && S.curve.detail ? S.curve.detail : run;
    const attempts = (detail.attempts || run.attempts || []).map((a) =>
      `<li><b>#${esc(a.number)}</b> <span class="state-text" data-state="${esc(a.status === 'lost' ? 'failed' : a.status)}">${esc(a.status)}</span>` +
      ` on ${esc(a.worker || '—')}${a.kind ? ` · ${esc(a.kind)}` : ''}${a.error ? ` · <span class="err">${esc(a.error)}</span>` : ''}</li>`).join('');
    const timing = run.timing || {};
    const rows = [
      ['run', `<code>${esc(run.id)}</code>`],
      ['state', `<span class="state-text" data-state="${esc(run.status)}">${esc(run.status)}</span><span class="live-epoch"></span>`],
      ['worker', esc(run.worker ? `${run.worker}${run.device ? ' (' + run.device + ')' : ''}` : '—')],
      ['train rows', run.train_rows == null ? null : esc(run.train_rows)],
      ['metrics', metrics ? esc(metrics) : null],
      ['η', etas ? esc(etas) : null],
      ['time', finite(timing.total_ms) ? esc(fmtDuration(timing.total_ms)) : null],
      ['error', run.error ? `<span class="err">${esc(run.error)}</span>` : null],
    ].filter(([, v]) => v != null);
    const buttons = [];
    if (run.status === 'failed' || run.status === 'cancelled') buttons.push(`<button type="button" class="btn small retry-selected" data-action="retry" data-id="${esc(id)}">Retry</button>`);
    if (run.status === 'queued' || run.status === 'running') buttons.push(`<button type="button" class="btn small danger" data-action="cancel" data-id="${esc(id)}">Cancel</button>`);
    const status = S.curve && S.curve.error ? `<p class="err">Could not load the history: ${esc(S.curve.error)}</p>` : '';
    const prevDetails = el.runDetail.dataset.run === id ? el.runDetail.querySelector('details') : null;
    const open = prevDetails ? prevDetails.open : (detail.attempts || []).length > 1 || run.status === 'failed';
    el.runDetail.innerHTML = `<dl>${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('')}</dl>` +
      (attempts ? `<details${open ? ' open' : ''}><summary>Attempts (${(detail.attempts || []).length})</summary><ol class="attempts">${attempts}</ol></details>` : '') +
      status + (buttons.length ? `<div class="actions">${buttons.join('')}</div>` : '');
    el.runDetail.dataset.run = id;
    renderDetailLive();
  }

  /** The one line of the detail panel that changes every epoch. */
  function renderDetailLive() {
    const span = el.runDetail.querySelector('.live-epoch');
    if (!span) return;
    const id = S.selectedRun;
    const run = id && S.runs.get(id);
    const live = id && S.live.get(id);
    const planned = current() && current().epochs;
    span.textContent = run && run.status === 'running' && live
      ? ` · epoch ${live.epoch}${planned ? '/' + planned : ''}, loss ${fmtLoss(live.loss)}` : '';
  }

  // ---------------------------------------------------------------------------------------------
  // Plots (uPlot), throttled
  // ---------------------------------------------------------------------------------------------

  const plots = { fractions: null, eta: null, curve: null };
  const plotKeys = { fractions: '', eta: '', curve: '' };
  const plotDirty = new Set();

  function requestPlot(name) {
    plotDirty.add(name);
    scheduleSlow();
  }

  /** Runs inside render(), on the slow path. */
  function drawPlots() {
    if (!plotDirty.size || typeof window.uPlot !== 'function') return;
    const names = [...plotDirty];
    plotDirty.clear();
    for (const n of names) {
      try {
        if (n === 'fractions') drawFractions();
        else if (n === 'eta') drawEta();
        else if (n === 'curve') drawCurve();
      } catch (e) {
        console.error('plot ' + n, e);
      }
    }
  }

  function destroyPlots() {
    for (const k of Object.keys(plots)) {
      if (plots[k]) plots[k].destroy();
      plots[k] = null;
      plotKeys[k] = '';
    }
    requestPlot('fractions'); requestPlot('eta'); requestPlot('curve');
  }

  function plotSize(container) {
    const w = Math.max(240, Math.floor(container.clientWidth || 400));
    return { width: w, height: 240 };
  }

  /** Creates the plot when its series changed, else only swaps the data. */
  function upsertPlot(name, container, key, makeOpts, data) {
    if (plots[name] && plotKeys[name] === key) {
      plots[name].setData(data);
      return;
    }
    if (plots[name]) plots[name].destroy();
    container.textContent = '';
    const opts = { ...plotSize(container), ...makeOpts() };
    plots[name] = new window.uPlot(opts, data, container);
    plotKeys[name] = key;
  }

  function clearPlot(name, container, message) {
    if (plots[name]) { plots[name].destroy(); plots[name] = null; plotKeys[name] = ''; }
    container.innerHTML = `<p class="empty">${esc(message)}</p>`;
  }

  const axisStyle = { stroke: '#5b6472', grid: { stroke: '#eceef2', width: 1 }, ticks: { stroke: '#d8dce3', width: 1 }, font: '11px system-ui, sans-serif', labelFont: '12px system-ui, sans-serif' };

  function pointKey(point) { return axesText(point, S.axisNames); }

  function drawFractions() {
    const e = current();
    const box = el.plotFractions;
    const fractions = e ? [...(e.fractions || [])].sort((a, b) => a - b) : [];
    const single = !e || fractions.length <= 1;
    el.plotFractionsEmpty.hidden = !e || !single;
    box.hidden = single;
    if (!e) { clearPlot('fractions', box, 'No experiment selected.'); return; }
    if (single) { if (plots.fractions) clearPlot('fractions', box, ''); el.plotFractionsAxis.hidden = true; return; }
    const points = axisPoints(e.axes).map(pointKey);
    const sel = el.plotFractionsAxis;
    if (S.axisNames.length) {
      if (!points.includes(S.plotAxisPoint)) S.plotAxisPoint = points[0];
      if (sel.dataset.key !== points.join('|')) {
        sel.innerHTML = points.map((p) => `<option value="${esc(p)}">${esc(p.replace(/,/g, ', '))}</option>`).join('');
        sel.dataset.key = points.join('|');
      }
      sel.value = S.plotAxisPoint;
      sel.hidden = false;
    } else {
      S.plotAxisPoint = '';
      sel.hidden = true;
    }
    const subsets = e.subsets || [];
    const ys = subsets.map((s) => fractions.map((f) => {
      const c = S.cells.get(`${s}|${String(f)}|${S.plotAxisPoint}`);
      return c && finite(c.mean) ? c.mean : null;
    }));
    const metricLabel = e.metric === 'accuracy' ? 'test accuracy (%)' : e.metric === 'test_mse' ? 'test MSE' : e.metric;
    el.plotFractionsTitle.textContent = (e.metric === 'accuracy' ? 'Test accuracy' : 'Test MSE') + ' vs training fraction';
    const key = JSON.stringify([e.id, subsets, fractions, S.plotAxisPoint]);
    upsertPlot('fractions', box, key, () => ({
      scales: { x: { time: false, distr: 3, log: 10 }, y: { auto: true } },
      series: [
        { label: 'fraction', value: (u, v) => (v == null ? '—' : fmtFraction(v)) },
        ...subsets.map((s, i) => ({
          label: s, stroke: PALETTE[i % PALETTE.length], width: 1.5, spanGaps: true,
          points: { show: true, size: 5 }, value: (u, v) => (v == null ? '—' : fmtMetric(e.metric, v)),
        })),
      ],
      axes: [
        { ...axisStyle, label: 'training fraction (log)', values: (u, vals) => vals.map((v) => (v == null ? '' : fmtFraction(+v.toPrecision(6)))) },
        { ...axisStyle, label: metricLabel, size: 56 },
      ],
      legend: { live: false },
      cursor: { drag: { x: false, y: false } },
    }), [fractions, ...ys]);
  }

  function drawEta() {
    const e = current();
    const box = el.plotEta;
    if (!e) { clearPlot('eta', box, 'No experiment selected.'); return; }
    const k = (e.modalities || []).length || Math.max(1, ...(e.subsets || ['x']).map((s) => s.split('+').length));
    const xs = Array.from({ length: k }, (_, i) => i + 1);
    const full = Math.max(...(e.fractions && e.fractions.length ? e.fractions : [1]));
    const points = axisPoints(e.axes);
    const series = points.map((p) => {
      const pk = pointKey(p);
      return xs.map((size) => {
        const vals = [];
        for (const s of e.subsets || []) {
          if (s.split('+').length !== size) continue;
          const c = S.cells.get(`${s}|${String(full)}|${pk}`);
          if (c && finite(c.etaMean)) vals.push(c.etaMean);
        }
        return vals.length ? vals.reduce((a, v) => a + v, 0) / vals.length : null;
      });
    });
    const etaLabel = e.eta_metric === 'eta_error' ? 'η: probe error (%)' : e.eta_metric === 'eta' ? 'η (MSE)' : e.eta_metric;
    el.plotEtaNote.textContent = `mean over subsets of each size, fraction ${fmtFraction(full)}`;
    const labels = points.map((p) => (S.axisNames.length ? pointKey(p).replace(/,/g, ', ') : 'all subsets'));
    const key = JSON.stringify([e.id, k, labels]);
    upsertPlot('eta', box, key, () => ({
      scales: { x: { time: false, range: () => [0.75, k + 0.25] }, y: { auto: true } },
      series: [
        { label: '|M|', value: (u, v) => (v == null ? '—' : String(v)) },
        ...labels.map((l, i) => ({
          label: l, stroke: PALETTE[i % PALETTE.length], width: 1.5, spanGaps: true,
          points: { show: true, size: 6 }, value: (u, v) => (v == null ? '—' : fmtMetric(e.eta_metric, v)),
        })),
      ],
      axes: [
        { ...axisStyle, label: 'number of modalities |M|', splits: () => xs, values: (u, vals) => vals.map((v) => String(v)) },
        { ...axisStyle, label: etaLabel, size: 56 },
      ],
      legend: { live: false },
      cursor: { drag: { x: false, y: false } },
    }), [xs, ...series]);
  }

  function drawCurve() {
    const e = current();
    const box = el.plotCurve;
    const c = S.curve;
    if (!e || !c) { clearPlot('curve', box, 'No run selected.'); return; }
    const pts = c.points;
    if (!pts.length) {
      clearPlot('curve', box, c.loading ? 'Loading…' : 'No epochs yet.');
      return;
    }
    const xs = pts.map((p) => p.epoch);
    const loss = pts.map((p) => (finite(p.loss) ? p.loss : null));
    const test = pts.map((p) => (finite(p.test) ? p.test : null));
    const metricLabel = e.metric === 'accuracy' ? 'test accuracy (%)' : e.metric === 'test_mse' ? 'test MSE' : e.metric;
    const planned = e.epochs || null;
    const hasTest = test.some((v) => v != null);
    const key = JSON.stringify([e.id, c.runId, c.attempt, hasTest]);
    upsertPlot('curve', box, key, () => ({
      scales: { x: { time: false, range: (u, min, max) => [1, Math.max(planned || max, max, 2)] }, loss: { auto: true }, test: { auto: true } },
      series: [
        { label: 'epoch' },
        { label: 'loss', scale: 'loss', stroke: '#2f6fed', width: 1.5, value: (u, v) => (v == null ? '—' : fmtLoss(v)) },
        ...(hasTest ? [{ label: metricLabel, scale: 'test', stroke: '#e8590c', width: 0, paths: () => null,
          points: { show: true, size: 6, fill: '#e8590c', stroke: '#e8590c' }, value: (u, v) => (v == null ? '—' : fmtMetric(e.metric, v)) }] : []),
      ],
      axes: [
        { ...axisStyle, label: 'epoch' },
        { ...axisStyle, scale: 'loss', label: 'training loss', size: 56, values: (u, vals) => vals.map((v) => (v == null ? '' : fmtLoss(v))) },
        ...(hasTest ? [{ ...axisStyle, scale: 'test', side: 1, label: metricLabel, size: 56, grid: { show: false } }] : []),
      ],
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
    }), hasTest ? [xs, loss, test] : [xs, loss]);
  }

  const resizeObserver = typeof ResizeObserver === 'function' ? new ResizeObserver((entries) => {
    requestAnimationFrame(() => {
      for (const entry of entries) {
        const name = entry.target.dataset.plot;
        const p = plots[name];
        if (p) {
          const size = plotSize(entry.target);
          if (Math.abs(p.width - size.width) > 1) p.setSize(size);
        }
      }
    });
  }) : null;

  // ---------------------------------------------------------------------------------------------
  // Result tables
  // ---------------------------------------------------------------------------------------------

  let tablesGeneration = 0;
  let tablesTimer = null;
  let tablesFirstRequest = 0;
  const tableJson = new Map();   // table name -> last rendered JSON, to skip unchanged tables
  const tableDom = new WeakMap(); // table section -> {shapeKey, html[][], tbody}, for in-place refreshes
  const tableFoot = new Map();    // table section -> rendered summary and notes

  function tablesChanged() {
    const now = performance.now();
    if (!tablesFirstRequest) tablesFirstRequest = now;
    clearTimeout(tablesTimer);
    const wait = Math.min(TABLES_DEBOUNCE_MS, Math.max(0, TABLES_MAX_WAIT_MS - (now - tablesFirstRequest)));
    tablesTimer = setTimeout(() => { tablesFirstRequest = 0; tablesTimer = null; fetchTables(); }, wait);
  }

  function clearTables() {
    tablesGeneration++;
    for (const sec of document.querySelectorAll('section.result')) {
      sec.querySelector('.table-scroll').innerHTML = '<p class="empty">Loading…</p>';
      sec.querySelector('.table-title').textContent = '';
      sec.querySelector('.table-foot').textContent = '';
      sec.querySelector('.downloads').textContent = '';
    }
    tableJson.clear();
    tableFoot.clear();
  }

  async function fetchTables() {
    const id = S.expId;
    if (!id) return;
    const gen = ++tablesGeneration;
    await Promise.all(TABLES.map(async (name) => {
      const sec = document.querySelector(`section.result[data-table="${name}"]`);
      const base = `${API}experiments/${encodeURIComponent(id)}/tables/${name}`;
      try {
        const t = await getJson(`experiments/${encodeURIComponent(id)}/tables/${name}?format=json`);
        if (gen !== tablesGeneration) return;
        const json = JSON.stringify(t);
        if (tableJson.get(name) !== json) { tableJson.set(name, json); renderTable(sec, t); }
      } catch (e) {
        if (gen !== tablesGeneration) return;
        // keep a table already shown (the next 'tables' event or reconnect refetches it)
        if (!tableJson.has(name)) sec.querySelector('.table-scroll').innerHTML = `<p class="empty">Not available: ${esc(e.message)}</p>`;
      }
      sec.querySelector('.downloads').innerHTML = ['csv', 'md', 'json'].map((f) =>
        `<a href="${esc(base)}?format=${f}" download="${esc(id)}-${name}.${f}">${f.toUpperCase()}</a>`).join('');
    }));
  }

  /**
   * Renders one result table. When the columns and row count are unchanged (the usual refresh:
   * a few cells got another seed) only the cells whose content changed are rewritten.
   */
  function renderTable(sec, t) {
    const box = sec.querySelector('.table-scroll');
    const title = t.title || '';
    const titleEl = sec.querySelector('.table-title');
    if (titleEl.textContent !== title) titleEl.textContent = title;
    const cols = t.columns || [];
    const shown = [];
    for (const c of cols) {
      if (c.endsWith('_std') && cols.includes(c.slice(0, -4) + '_mean')) continue;
      if (c.endsWith('_mean')) shown.push({ key: c, label: c.slice(0, -5), metric: c.slice(0, -5), pair: true });
      else shown.push({ key: c, label: c, metric: c, pair: false });
    }
    const numeric = (c) => !['subset', 'baseline'].includes(c.key);
    const rows = t.rows || [];
    const cellHtml = (r, c) => {
      const v = r[c.key];
      if (c.pair) return meanStdHtml(c.metric, v, r[c.metric + '_std']);
      if (typeof v === 'boolean') return `<span class="bool ${v ? 'yes' : 'no'}">${v ? 'yes' : 'no'}</span>`;
      if (v == null) return '<span class="na">—</span>';
      if (c.key === 'fraction') return esc(fmtFraction(v));
      return esc(v);   // subset, baseline, axis values, n
    };
    const html = rows.map((r) => shown.map((c) => cellHtml(r, c)));
    const shapeKey = JSON.stringify([shown.map((c) => c.key), rows.length]);
    const prev = tableDom.get(sec);
    if (prev && prev.shapeKey === shapeKey && prev.tbody.isConnected) {
      const trs = prev.tbody.rows;
      for (let i = 0; i < html.length; i++) {
        const tds = trs[i].cells;
        for (let j = 0; j < html[i].length; j++) {
          if (prev.html[i][j] !== html[i][j]) tds[j].innerHTML = html[i][j];
        }
      }
      prev.html = html;
    } else if (rows.length) {
      const head = shown.map((c) => `<th class="${numeric(c) ? 'num' : ''}"${c.pair ? ' title="mean ± std over seeds"' : ''}>${esc(c.label)}</th>`).join('');
      const tdOpen = shown.map((c) => `<td class="${numeric(c) ? 'num' : ''}">`);
      const body = html.map((cells) => '<tr>' + cells.map((h, j) => tdOpen[j] + h + '</td>').join('') + '</tr>').join('');
      const scroll = box.scrollTop;
      box.innerHTML = `<table class="grid-table result-table"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
      box.scrollTop = scroll;
      tableDom.set(sec, { shapeKey, html, tbody: box.querySelector('tbody') });
    } else {
      box.innerHTML = '<p class="empty">No rows yet.</p>';
      tableDom.delete(sec);
    }
    const foot = summaryHtml(t.summary || {}) +
      ((t.notes || []).length ? `<ul class="notes">${t.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : '');
    const footEl = sec.querySelector('.table-foot');
    if (tableFoot.get(sec) !== foot) { footEl.innerHTML = foot; tableFoot.set(sec, foot); }
  }

  function summaryHtml(summary) {
    const keys = Object.keys(summary);
    if (!keys.length) return '';
    const used = new Set();
    const items = [];
    const lossName = { _01: '0-1 loss', _ce: 'cross-entropy', '': 'squared error' };
    for (const sfx of ['_01', '_ce', '']) {
      const k = 'consistent_share' + sfx;
      if (!(k in summary)) continue;
      const share = summary[k], c = summary['consistent_pairs' + sfx], n = summary['compared_pairs' + sfx];
      [k, 'consistent_pairs' + sfx, 'compared_pairs' + sfx].forEach((x) => used.add(x));
      items.push(`<span class="summary-item"><i>Consistent with Theorem 1, ${esc(lossName[sfx])}</i> <b>${finite(share) ? (100 * share).toFixed(0) + '%' : '—'}</b>` +
        ` <span class="muted">(${esc(c ?? 0)} of ${esc(n ?? 0)} pairs)</span></span>`);
    }
    for (const k of keys) {
      if (used.has(k)) continue;
      const v = summary[k];
      items.push(`<span class="summary-item"><i>${esc(k)}</i> <b>${esc(typeof v === 'number' ? fmtMetric(k, v) : v ?? '—')}</b></span>`);
    }
    return `<div class="summary-items">${items.join('')}</div>`;
  }

  // ---------------------------------------------------------------------------------------------
  // Workers
  // ---------------------------------------------------------------------------------------------

  let workersTimer = null;
  let workersInFlight = false;

  function refreshWorkersSoon() {
    if (workersTimer) return;
    workersTimer = setTimeout(() => { workersTimer = null; fetchWorkers(); }, 300);
  }

  async function fetchWorkers() {
    if (workersInFlight) return;
    workersInFlight = true;
    try {
      const w = await getJson('workers');
      const json = JSON.stringify(w);
      if (json !== S.workersJson) { S.workersJson = json; renderWorkers(w); }
    } catch (e) {
      if (S.workersJson !== 'error') { S.workersJson = 'error'; el.workers.innerHTML = `<p class="empty">Workers unavailable: ${esc(e.message)}</p>`; }
    } finally {
      workersInFlight = false;
    }
  }

  const NODE_STATES = {
    draining: 'finishing its runs, taking no new ones',
    drained: 'drained: takes no new runs',
    quarantined: 'its runs failed several times in a row: takes no new runs until resumed',
    unreachable: 'the cluster cannot reach this node; its runs return to the queue if it stays so',
  };

  function renderWorkers(w) {
    const total = w.slots_total || 0, busy = w.slots_busy || 0;
    const pct = total ? (100 * busy) / total : 0;
    el.workersUtil.textContent = `${busy} / ${total} slots busy · ${pct.toFixed(0)}% utilised`;
    el.workersUtilFill.style.width = pct + '%';
    const nodes = w.nodes || [];
    if (!nodes.length) { el.workers.innerHTML = '<p class="empty">No workers connected.</p>'; return; }
    el.workers.innerHTML = nodes.map((n) => {
      const slots = n.slots || [];
      const nb = slots.filter((s) => s.busy).length;
      const state = n.state || 'active';
      const badge = state === 'active' ? '' : `<span class="node-state ${esc(state)}" title="${esc(NODE_STATES[state] || state)}">${esc(state)}</span>`;
      const act = state === 'unreachable' ? ''
        : (n.draining || n.quarantined)
          ? `<button type="button" class="link" data-node-action="resume" data-node="${esc(n.node)}" title="Give this node runs again">resume</button>`
          : `<button type="button" class="link" data-node-action="drain" data-node="${esc(n.node)}" title="Finish its runs and take no new ones">drain</button>`;
      return `<div class="node ${esc(state)}"><div class="node-head"><span><b>${esc(n.node)}</b>${badge}</span>` +
        `<span class="muted">${nb}/${slots.length} busy ${act}</span></div>` +
        slots.map((s) => {
          const mine = s.run && S.runs.has(s.run);
          const r = mine ? S.runs.get(s.run) : null;
          const label = r ? `${r.cell.subset} f=${fmtFraction(r.cell.fraction)} s${r.cell.seed}` : s.run || '';
          return `<div class="slot ${s.busy ? 'busy' : 'idle'}"><span class="dot" aria-hidden="true"></span>` +
            `<span class="slot-name" title="${esc(s.worker)}">${esc(s.device || s.worker)}</span>` +
            (s.busy ? (mine ? `<button type="button" class="link" data-select-run="${esc(s.run)}" title="${esc(s.run)}">${esc(label)}</button>`
              : `<span class="muted" title="${esc(s.run || '')}">${esc(label || 'busy')}</span>`) : '<span class="muted">idle</span>') +
            '</div>';
        }).join('') + '</div>';
    }).join('');
  }

  // ---------------------------------------------------------------------------------------------
  // Server-Sent Events
  // ---------------------------------------------------------------------------------------------

  let es = null;
  let reconnectTimer = null;
  let snapshotFallback = null;

  function setConnection(state, text) {
    el.conn.dataset.conn = state;
    el.conn.textContent = text || state;
  }

  function connectEvents() {
    if (es) { es.close(); es = null; }
    clearTimeout(reconnectTimer);
    const url = API + 'events' + (S.expId ? '?experiment=' + encodeURIComponent(S.expId) : '');
    setConnection('connecting', 'connecting');
    const source = new EventSource(url);
    es = source;
    const on = (name, fn) => source.addEventListener(name, (ev) => {
      if (es !== source) return;
      let data;
      try { data = JSON.parse(ev.data); } catch (e) { console.warn('bad ' + name + ' event', e); return; }
      fn(data);
    });
    source.onopen = () => { if (es === source) setConnection('live', 'live'); };
    source.onerror = () => {
      if (es !== source) return;
      if (source.readyState === EventSource.CLOSED) {
        setConnection('down', 'disconnected');
        reconnectTimer = setTimeout(connectEvents, 3000);   // the browser gave up: try again ourselves
      } else {
        setConnection('reconnecting', 'reconnecting');
      }
    };
    on('snapshot', onSnapshot);
    on('experiment', upsertExperiment);
    on('completed', (s) => {
      upsertExperiment(s);
      if (s && s.id === S.expId) toast(`Experiment ${s.name || s.id} finished: ${s.status}`, s.status === 'succeeded' ? 'ok' : 'warn');
    });
    on('run', onRun);
    on('epoch', onEpoch);
    on('tables', (d) => { if (!d || !d.experiment || d.experiment === S.expId) tablesChanged(); });

    // If no snapshot arrives (a proxy that buffers the stream), load the runs over REST.
    clearTimeout(snapshotFallback);
    const expected = S.expId;
    snapshotFallback = setTimeout(async () => {
      if (S.snapshotSeen || !expected || expected !== S.expId) return;
      try {
        const body = await getJson(`experiments/${encodeURIComponent(expected)}/runs`);
        if (!S.snapshotSeen && expected === S.expId) setRuns(body.runs || []);
      } catch (e) { console.warn('runs', e); }
    }, 3000);
  }

  function onSnapshot(snap) {
    for (const s of snap.experiments || []) {
      const before = S.experiments.get(s.id);
      S.experiments.set(s.id, s);
      if (!before || before.status !== s.status) dirty.picker = true;
    }
    if (!S.expId || !S.experiments.has(S.expId)) {
      const id = newestId();
      if (id && id !== S.expId) { selectExperiment(id, false); return; }   // reconnects with the right filter
    }
    const e = current();
    if (e && shapeKeyOf(e) !== S.shapeKey) S.shapeKey = '';
    S.snapshotSeen = true;
    setRuns(snap.runs || []);
    dirty.header = true;
    dirty.picker = true;
    tablesChanged();
    schedule();
  }

  // ---------------------------------------------------------------------------------------------
  // Wiring
  // ---------------------------------------------------------------------------------------------

  function bind() {
    Object.assign(el, {
      picker: $('experiment-picker'), conn: $('connection'), expName: $('exp-name'), expMeta: $('exp-meta'),
      status: $('experiment-status'), counts: $('counts'), eta: $('eta'), progress: $('progress'),
      progressText: $('progress-text'), retryFailed: $('retry-failed'), cancelExperiment: $('cancel-experiment'),
      workers: $('workers'), workersUtil: $('workers-util'), workersUtilFill: $('workers-util-fill'),
      lb: $('leaderboard'), lbEmpty: $('leaderboard-empty'), lbCount: $('leaderboard-count'),
      filterText: $('filter-text'), filterState: $('filter-state'),
      plotFractions: $('plot-fractions'), plotFractionsAxis: $('plot-fractions-axis'), plotFractionsEmpty: $('plot-fractions-empty'),
      plotFractionsTitle: $('plot-fractions-title'), plotEta: $('plot-eta'), plotEtaNote: $('plot-eta-note'),
      plotCurve: $('plot-curve'), curveTitle: $('curve-title'), runDetail: $('run-detail'),
      toasts: $('toasts'), tokenDialog: $('token-dialog'), tokenForm: $('token-form'), tokenInput: $('token-input'),
      tokenCancel: $('token-cancel'), accuracyHeading: document.querySelector('section.result[data-table="accuracy"] h2'),
    });
    el.lbHead = el.lb.tHead;
    el.lbBody = el.lb.tBodies[0];
    el.plotFractions.dataset.plot = 'fractions';
    el.plotEta.dataset.plot = 'eta';
    el.plotCurve.dataset.plot = 'curve';
    if (resizeObserver) [el.plotFractions, el.plotEta, el.plotCurve].forEach((b) => resizeObserver.observe(b));

    el.picker.addEventListener('change', () => { if (el.picker.value) selectExperiment(el.picker.value, true); });

    el.lbHead.addEventListener('click', (ev) => {
      const th = ev.target.closest('th');
      if (th && th.dataset.sort) onSortClick(th.dataset.sort);
    });
    el.lbHead.addEventListener('keydown', (ev) => {
      const th = ev.target.closest('th');
      if (th && (ev.key === 'Enter' || ev.key === ' ')) { ev.preventDefault(); onSortClick(th.dataset.sort); }
    });

    // One delegated listener for every chip and button in the table.
    el.lbBody.addEventListener('click', (ev) => {
      const b = ev.target.closest('button');
      if (!b || !b.dataset.run) return;
      const id = b.dataset.run;
      if (b.classList.contains('retry')) action(`runs/${encodeURIComponent(id)}/retry`, 'Retry');
      else if (b.classList.contains('cancel')) action(`runs/${encodeURIComponent(id)}/cancel`, 'Cancel');
      else if (b.classList.contains('chip')) selectRun(id);
    });

    el.runDetail.addEventListener('click', (ev) => {
      const b = ev.target.closest('button[data-action]');
      if (!b) return;
      const id = encodeURIComponent(b.dataset.id);
      if (b.dataset.action === 'retry') action(`runs/${id}/retry`, 'Retry');
      else if (b.dataset.action === 'cancel') action(`runs/${id}/cancel`, 'Cancel');
    });

    el.workers.addEventListener('click', async (ev) => {
      const n = ev.target.closest('[data-node-action]');
      if (n) {
        const what = n.dataset.nodeAction === 'drain' ? 'Drain' : 'Resume';
        await action(`workers/${encodeURIComponent(n.dataset.node)}/${n.dataset.nodeAction}`, what);
        refreshWorkersSoon();
        return;
      }
      const b = ev.target.closest('[data-select-run]');
      if (b) selectRun(b.dataset.selectRun);
    });

    el.counts.addEventListener('click', (ev) => {
      const b = ev.target.closest('.count');
      if (!b) return;
      const st = b.dataset.state;
      S.filterState = S.filterState === st ? '' : st;
      el.filterState.value = S.filterState;
      dirty.order = true;
      dirty.header = true;
      schedule();
    });

    el.retryFailed.addEventListener('click', () => {
      if (S.expId) action(`experiments/${encodeURIComponent(S.expId)}/retry-failed`, 'Retry all failed');
    });

    // Cancelling a whole experiment asks for a second click within 4 s.
    let armed = null;
    el.cancelExperiment.addEventListener('click', () => {
      if (!S.expId) return;
      if (!armed) {
        el.cancelExperiment.textContent = 'Click again to cancel all';
        el.cancelExperiment.classList.add('armed');
        armed = setTimeout(() => { armed = null; el.cancelExperiment.textContent = 'Cancel experiment'; el.cancelExperiment.classList.remove('armed'); }, 4000);
        return;
      }
      clearTimeout(armed);
      armed = null;
      el.cancelExperiment.textContent = 'Cancel experiment';
      el.cancelExperiment.classList.remove('armed');
      action(`experiments/${encodeURIComponent(S.expId)}/cancel`, 'Cancel experiment');
    });

    let filterTimer = null;
    el.filterText.addEventListener('input', () => {
      clearTimeout(filterTimer);
      filterTimer = setTimeout(() => {
        S.filterText = el.filterText.value.trim().toLowerCase();
        dirty.order = true;
        schedule();
      }, 120);
    });
    el.filterState.addEventListener('change', () => {
      S.filterState = el.filterState.value;
      dirty.order = true;
      dirty.header = true;
      schedule();
    });
    el.plotFractionsAxis.addEventListener('change', () => {
      S.plotAxisPoint = el.plotFractionsAxis.value;
      requestPlot('fractions');
    });
  }

  async function start() {
    bind();
    dirty.header = true;
    dirty.picker = true;
    schedule();
    const wanted = new URL(window.location.href).searchParams.get('experiment');
    try {
      const body = await getJson('experiments');
      for (const s of body.experiments || []) S.experiments.set(s.id, s);
    } catch (e) {
      toast('Could not list experiments: ' + e.message, 'error');
    }
    let id = null;
    if (wanted) {
      if (S.experiments.has(wanted)) id = wanted;
      else {
        try {
          const s = await getJson('experiments/' + encodeURIComponent(wanted));
          S.experiments.set(s.id, s);
          id = s.id;
        } catch (e) {
          toast(`Experiment ${wanted} not found; showing the newest`, 'warn');
        }
      }
    }
    id = id || newestId();
    dirty.picker = true;
    if (id) selectExperiment(id, false);
    else connectEvents();   // nothing yet: listen for experiments to appear
    fetchWorkers();
    setInterval(() => { if (!document.hidden) fetchWorkers(); }, WORKERS_POLL_MS);
    schedule();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
