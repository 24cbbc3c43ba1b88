// Steps for cdp.mjs against mock_server.py: checks the DOM hooks, live updates, sorting, filtering,
// retry, run selection and responsiveness under the event stream.
//
//   node --experimental-websocket web-ui/dev/cdp.mjs http://127.0.0.1:8765/ /tmp/ui.png web-ui/dev/smoke.mjs
export default async ({ evaluate, wait, screenshot, send, log }) => {
  const check = (ok, what) => {
    if (!ok) throw new Error('check failed: ' + what);
    log('ok   ' + what);
  };
  /** Polls a page expression until it is truthy (or the time is up); returns its last value. */
  const until = async (expr, ms = 3000) => {
    const end = Date.now() + ms;
    let v;
    while (!(v = await evaluate(expr)) && Date.now() < end) await wait(100);
    return v;
  };

  // Responsiveness probes first, so they cover the whole session.
  await evaluate(`(() => {
    window.__longTasks = [];
    new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__longTasks.push(Math.round(e.duration)); })
      .observe({ type: 'longtask', buffered: true });
    window.__frames = 0;
    const tick = () => { window.__frames++; requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
    window.__mut = 0;
    new MutationObserver((m) => { window.__mut += m.length; }).observe(document.getElementById('leaderboard'), { subtree: true, childList: true, attributes: true, characterData: true });
    return true;
  })()`);

  await until(`document.querySelectorAll('.uplot').length === 3 && document.querySelectorAll('#table-gamma tbody tr').length > 0`, 8000);
  const hooks = await evaluate(`(() => ({
    rows: document.querySelectorAll('#leaderboard tr[data-cell]').length,
    chips: document.querySelectorAll('#leaderboard .chip[data-run][data-state]').length,
    states: [...document.querySelectorAll('#leaderboard .chip[data-state]')].reduce((a, c) => (a[c.dataset.state] = (a[c.dataset.state] || 0) + 1, a), {}),
    status: document.getElementById('experiment-status').textContent,
    retry: document.querySelectorAll('#leaderboard button.retry[data-run]').length,
    retryAll: !!document.getElementById('retry-failed'),
    tables: ['accuracy', 'fractions', 'gamma', 'eta'].map((n) => { const e = document.getElementById('table-' + n); return e ? e.querySelectorAll('tbody tr').length : -1; }),
    cell: document.querySelector('#leaderboard tr[data-cell]')?.dataset.cell,
    firstChip: document.querySelector('#leaderboard .chip')?.outerHTML,
    running: document.querySelectorAll('#leaderboard .run-running .epoch-fill').length,
    plots: document.querySelectorAll('.uplot').length,
    workers: document.querySelectorAll('#workers .slot').length,
  }))()`);
  log(JSON.stringify(hooks, null, 1));
  check(hooks.rows === 225, '225 cell rows');
  check(hooks.chips === 1125, '1125 run chips');
  check(/^(queued|running|succeeded|finished-with-failures)$/.test(hooks.status), 'experiment-status text is a status: ' + hooks.status);
  check(hooks.retry === (hooks.states.failed || 0), 'one retry button per failed run');
  check(hooks.tables.every((n) => n > 0), 'four result tables rendered');
  check(/^m[1-4](\+m[1-4])*\|[0-9.]+\|overlap=[0-9.]+$/.test(hooks.cell), 'data-cell format: ' + hooks.cell);
  check(hooks.running > 0, 'epoch bars for running runs');
  check(hooks.plots === 3, 'three plots');
  check(hooks.workers === 8, 'eight worker slots');

  // Live epochs move the bars.
  const bar1 = await evaluate(`[...document.querySelectorAll('.run-running .epoch-text')].map((e) => e.textContent).join(',')`);
  await wait(700);
  const bar2 = await evaluate(`[...document.querySelectorAll('.run-running .epoch-text')].map((e) => e.textContent).join(',')`);
  check(bar1 !== bar2, 'epoch bars advance live');

  // Retry one failed run: its chip leaves 'failed'.
  const rid = await evaluate(`document.querySelector('#leaderboard button.retry[data-run]')?.dataset.run`);
  if (rid) {
    await evaluate(`document.querySelector('#leaderboard button.retry[data-run="${rid}"]').click()`);
    const st = await until(`(s => s !== 'failed' && s)(document.querySelector('#leaderboard .chip[data-run="${rid}"]').dataset.state)`);
    check(st !== 'failed', `retried run ${rid} is now ${st}`);
  }

  // Select a run: the training curve shows it.
  const sel = await evaluate(`(() => { const c = document.querySelector('#leaderboard .chip[data-state="succeeded"]'); c.click(); return c.dataset.run; })()`);
  const detail = await until(`document.getElementById('run-detail').textContent.includes('${sel}') && document.getElementById('run-detail').textContent`);
  check(detail.includes(sel), 'run detail shows the selected run');
  check(await until(`!!document.querySelector('#plot-curve .uplot')`), 'training curve plotted');

  // Sort by the metric (lower is better for MSE: ascending first).
  await evaluate(`document.querySelector('#leaderboard th[data-sort="metric"]').click()`);
  await until(`document.querySelector('#leaderboard th[data-sort="metric"]').getAttribute('aria-sort') === 'ascending'`);
  await wait(100);
  const vals = await evaluate(`[...document.querySelectorAll('#leaderboard tbody tr:not([hidden]) td.metric .mean')].slice(0, 30).map((e) => parseFloat(e.textContent))`);
  check(vals.length > 5 && vals.every((v, i) => i === 0 || v >= vals[i - 1]), 'metric sort ascending for MSE');

  // Filter by state and by text.
  await evaluate(`(() => { const s = document.getElementById('filter-state'); s.value = 'running'; s.dispatchEvent(new Event('change')); })()`);
  await until(`document.getElementById('leaderboard-count').textContent.includes(' of ')`);
  const shownRunning = await evaluate(`[...document.querySelectorAll('#leaderboard tbody tr:not([hidden])')].every((tr) => tr.querySelector('.chip[data-state="running"]'))`);
  check(shownRunning, 'state filter keeps rows with running runs');
  await evaluate(`(() => { const s = document.getElementById('filter-state'); s.value = ''; s.dispatchEvent(new Event('change')); const t = document.getElementById('filter-text'); t.value = 'm1+m2+m3+m4 overlap=0.5'; t.dispatchEvent(new Event('input')); })()`);
  await until(`(rows => rows.length === 3 && rows.every((tr) => /^m1\\+m2\\+m3\\+m4\\|.*overlap=0\\.5$/.test(tr.dataset.cell)))([...document.querySelectorAll('#leaderboard tbody tr:not([hidden])')])`);
  const shown = await evaluate(`[...document.querySelectorAll('#leaderboard tbody tr:not([hidden])')].map((tr) => tr.dataset.cell)`);
  check(shown.length === 3 && shown.every((c) => c.startsWith('m1+m2+m3+m4|') && c.endsWith('overlap=0.5')), 'text filter: ' + shown.join(' '));
  await evaluate(`(() => { const t = document.getElementById('filter-text'); t.value = ''; t.dispatchEvent(new Event('input')); })()`);
  await until(`!document.getElementById('leaderboard-count').textContent.includes(' of ')`);

  // Responsiveness under the stream: script time per second (CPU profile) and long tasks. Paint
  // in headless Chromium without a GPU is software-only, so long tasks there mostly measure paint.
  await evaluate(`(window.__frames = 0, window.__mut = 0, window.__longTasks.length = 0, true)`);
  await send('Profiler.enable');
  await send('Profiler.setSamplingInterval', { interval: 500 });
  await send('Profiler.start');
  await wait(5000);
  const { profile } = await send('Profiler.stop');
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  let scriptUs = 0;
  profile.samples.forEach((id, i) => {
    const u = byId.get(id).callFrame.url;
    if (u.endsWith('app.js') || u.includes('uPlot')) scriptUs += profile.timeDeltas[i] || 0;
  });
  const perf = await evaluate(`({ fps: window.__frames / 5, mutationsPerSec: Math.round(window.__mut / 5), longTasks: window.__longTasks.slice() })`);
  perf.scriptMsPerSec = Math.round(scriptUs / 1000 / 5);
  log('perf ' + JSON.stringify(perf));
  check(perf.scriptMsPerSec < 100, 'page script under 100 ms per second while streaming');
  check(perf.longTasks.filter((d) => d > 400).length === 0, 'no task over 400 ms while streaming');

  await screenshot('/tmp/ui-full.png', true);
};
