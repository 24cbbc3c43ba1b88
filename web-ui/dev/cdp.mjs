// Drives headless Chromium over the DevTools protocol to check the page against the mock server:
// collects console errors and uncaught exceptions, runs a script of steps, takes screenshots.
//
//   node --experimental-websocket web-ui/dev/cdp.mjs http://127.0.0.1:8765/ /tmp/ui.png [steps.mjs]
//   WIDTH=800 ... for a narrow viewport; CHROMIUM=/path/to/chrome to pick the browser.
//
// steps.mjs (optional) exports `default async ({evaluate, wait, screenshot, log}) => {...}`.
// Exits non-zero when the page logged an error. Development aid only; not shipped.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [url = 'http://127.0.0.1:8765/', shot = '/tmp/ui.png', stepsFile] = process.argv.slice(2);
const port = 9300 + Math.floor(Math.random() * 500);
const chrome = spawn(process.env.CHROMIUM || 'chromium', [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', `--user-data-dir=${mkdtempSync(join(tmpdir(), 'mg-'))}`,
  '--window-size=1400,1800', `--remote-debugging-port=${port}`, '--remote-debugging-address=127.0.0.1', 'about:blank',
], { stdio: ['ignore', 'ignore', 'ignore'] });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let target;
for (let i = 0; i < 100 && !target; i++) {
  await sleep(100);
  try {
    const list = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
    target = list.find((t) => t.type === 'page');
  } catch (e) { /* not up yet */ }
}
if (!target) { console.error('chromium did not start'); chrome.kill(); process.exit(2); }

const ws = new WebSocket(target.webSocketDebuggerUrl);
await new Promise((r) => ws.addEventListener('open', r, { once: true }));
let nextId = 1;
const pending = new Map();
const problems = [];
ws.addEventListener('message', (m) => {
  const msg = JSON.parse(m.data);
  if (msg.id && pending.has(msg.id)) {
    const { resolve: res, reject } = pending.get(msg.id);
    pending.delete(msg.id);
    msg.error ? reject(new Error(JSON.stringify(msg.error))) : res(msg.result);
    return;
  }
  if (msg.method === 'Tracing.dataCollected') { (globalThis.__traceEvents ||= []).push(...msg.params.value); return; }
  if (msg.method === 'Runtime.consoleAPICalled' && ['error', 'warning', 'assert'].includes(msg.params.type)) {
    problems.push(`console.${msg.params.type}: ` + msg.params.args.map((a) => a.value ?? a.description).join(' '));
  } else if (msg.method === 'Runtime.exceptionThrown') {
    const d = msg.params.exceptionDetails;
    problems.push('exception: ' + (d.exception && d.exception.description || d.text));
  } else if (msg.method === 'Log.entryAdded' && msg.params.entry.level === 'error') {
    problems.push(`log: ${msg.params.entry.text} ${msg.params.entry.url || ''}`);
  }
});
const send = (method, params = {}) => new Promise((res, reject) => {
  const id = nextId++;
  pending.set(id, { resolve: res, reject });
  ws.send(JSON.stringify({ id, method, params }));
});
const evaluate = async (expr) => {
  const r = await send('Runtime.evaluate', { expression: expr, awaitPromise: true, returnByValue: true });
  if (r.exceptionDetails) throw new Error('evaluate: ' + (r.exceptionDetails.exception?.description || r.exceptionDetails.text));
  return r.result.value;
};
const screenshot = async (path, full = false, clip = null) => {
  const params = { format: 'png' };
  if (clip) {
    params.clip = { scale: 1, ...clip };
    params.captureBeyondViewport = true;
  } else if (full) {
    const m = await send('Page.getLayoutMetrics');
    params.clip = { x: 0, y: 0, width, height: Math.ceil(m.cssContentSize.height), scale: 1 };
    params.captureBeyondViewport = true;
  }
  const r = await send('Page.captureScreenshot', params);
  writeFileSync(path, Buffer.from(r.data, 'base64'));
  console.log('screenshot', path);
};

await send('Runtime.enable');
await send('Log.enable');
await send('Page.enable');
const width = Number(process.env.WIDTH || 1400);
await send('Emulation.setDeviceMetricsOverride', { width, height: 1800, deviceScaleFactor: 1, mobile: false });
await send('Page.navigate', { url });
await sleep(2500);

let code = 0;
try {
  if (stepsFile) {
    const mod = await import(pathToFileURL(resolve(stepsFile)).href);
    await mod.default({ evaluate, wait: sleep, screenshot, send, log: console.log, problems });
  } else {
    await sleep(2000);
  }
  await screenshot(shot);
} catch (e) {
  console.error('step failed:', e.message);
  code = 1;
}
if (problems.length) {
  console.error('page problems:\n  ' + problems.join('\n  '));
  code = code || 3;
} else {
  console.log('no console errors');
}
ws.close();
chrome.kill();
process.exit(code);
