// Steps for cdp.mjs: experiment selection by URL and picker, a classification grid without axes,
// retry-all, cancel (run and experiment), and the token prompt when the mock runs with --token.
//
//   node --experimental-websocket web-ui/dev/cdp.mjs 'http://127.0.0.1:8765/?experiment=mfeat-1a2b3c4d' /tmp/ui-mfeat.png web-ui/dev/actions.mjs
//   TOKEN=secret node --experimental-websocket web-ui/dev/cdp.mjs 'http://127.0.0.1:8766/' /tmp/ui-token.png web-ui/dev/actions.mjs
export default async ({ evaluate, wait, screenshot, log }) => {
  const check = (ok, what) => {
    if (!ok) throw new Error('check failed: ' + what);
    log('ok   ' + what);
  };
  const until = async (expr, ms = 4000) => {
    const end = Date.now() + ms;
    let v;
    while (!(v = await evaluate(expr)) && Date.now() < end) await wait(100);
    return v;
  };
  const token = process.env.TOKEN;
  let asked = false;

  // ?experiment= selects; the picker lists both experiments.
  const wanted = await evaluate(`new URL(location.href).searchParams.get('experiment')`);
  await until(`document.querySelectorAll('#leaderboard tr[data-cell]').length > 0`);
  if (wanted) {
    check(await evaluate(`document.getElementById('experiment-picker').value`) === wanted, 'URL selects ' + wanted);
    const info = await evaluate(`({
      status: document.getElementById('experiment-status').textContent,
      rows: document.querySelectorAll('#leaderboard tr[data-cell]').length,
      cell: document.querySelector('#leaderboard tr[data-cell]').dataset.cell,
      fractionsPlot: !!document.querySelector('#plot-fractions .uplot'),
      failed: document.querySelectorAll('#leaderboard .chip[data-state="failed"]').length,
      header: [...document.querySelectorAll('#leaderboard th')].map((th) => th.textContent).join(' | '),
    })`);
    log(JSON.stringify(info));
    check(info.rows === 35 && /^[a-z+]+\|[0-9.]+\|$/.test(info.cell), 'mfeat: 35 cells, key without axes: ' + info.cell);
    check(info.status === 'finished-with-failures', 'mfeat status');
    check(info.header.includes('Accuracy (%) ↑'), 'classification header');
    await until(`document.querySelector('#table-gamma .summary-item') || document.querySelector('[data-table="gamma"] .summary-item')`);
    const summary = await evaluate(`document.querySelector('[data-table="gamma"] .table-foot').textContent`);
    check(/0-1 loss/.test(summary) && /cross-entropy/.test(summary), 'gamma summary shows both losses: ' + summary.slice(0, 120));
    await screenshot('/tmp/ui-mfeat.png', true);

    // Retry all failed: the failed chips leave 'failed'; the experiment runs again.
    check(info.failed > 0, 'mfeat has failed runs');
    await evaluate(`document.getElementById('retry-failed').click()`);
    if (token) await answerToken();
    check(await until(`document.querySelectorAll('#leaderboard .chip[data-state="failed"]').length === 0`), 'retry-all requeued every failed run');
    check(await until(`document.getElementById('experiment-status').textContent === 'running'`), 'status back to running');

    // Switch with the picker to the other experiment.
    await evaluate(`(() => { const p = document.getElementById('experiment-picker'); p.value = [...p.options].find((o) => o.value !== p.value).value; p.dispatchEvent(new Event('change')); })()`);
    check(await until(`document.querySelectorAll('#leaderboard tr[data-cell]').length === 225`), 'picker switches to the synthetic grid');
    check(await evaluate(`new URL(location.href).searchParams.get('experiment') === document.getElementById('experiment-picker').value`), 'URL follows the picker');
  }

  // Cancel one queued run.
  await until(`document.querySelector('#leaderboard button.cancel[data-run]')`);
  const rid = await evaluate(`(() => { const b = [...document.querySelectorAll('#leaderboard button.cancel[data-run]')].find((b) => b.parentNode.querySelector('.chip').dataset.state === 'queued'); b.click(); return b.dataset.run; })()`);
  if (token) await answerToken();
  check(await until(`document.querySelector('#leaderboard .chip[data-run="${rid}"]').dataset.state === 'cancelled'`), 'cancel turns a queued run cancelled');

  // Retry it (cancelled runs can be retried from the detail panel).
  await evaluate(`document.querySelector('#leaderboard .chip[data-run="${rid}"]').click()`);
  await until(`document.querySelector('#run-detail button[data-action="retry"]')`);
  await evaluate(`document.querySelector('#run-detail button[data-action="retry"]').click()`);
  check(await until(`document.querySelector('#leaderboard .chip[data-run="${rid}"]').dataset.state !== 'cancelled'`), 'retry from the detail panel');

  // Cancel the experiment: two clicks.
  await evaluate(`document.getElementById('cancel-experiment').click()`);
  check(await evaluate(`document.getElementById('cancel-experiment').classList.contains('armed')`), 'first click arms the cancel button');
  await evaluate(`document.getElementById('cancel-experiment').click()`);
  check(await until(`document.querySelectorAll('#leaderboard .chip[data-state="queued"]').length === 0`, 6000), 'experiment cancel cancels every queued run');
  check(await until(`document.getElementById('experiment-status').textContent === 'finished-with-failures'`, 8000), 'status finished-with-failures after cancel');
  log('toasts: ' + await evaluate(`[...document.querySelectorAll('.toast')].map((t) => t.textContent).join(' / ')`));

  async function answerToken() {
    if (asked) return;   // the token is kept in sessionStorage: asked once
    asked = true;
    check(await until(`document.getElementById('token-dialog').open`), 'token dialog opens on 401');
    await evaluate(`(() => { document.getElementById('token-input').value = ${JSON.stringify(token)}; document.getElementById('token-ok').click(); })()`);
    await wait(300);
  }
};
