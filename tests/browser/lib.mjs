// What the browser scripts share: Debian's headless Chromium driven by playwright-core, every
// request the page makes recorded (none may leave the server's origin), and a JSON result.

import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.YIKA_CHROMIUM || '/usr/bin/chromium';

/** Launches headless Chromium with a 1366x768 page that records every request it makes. */
export async function open(base) {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu'],
  });
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN' });
  const page = await context.newPage();
  const requests = [];
  const problems = [];
  page.on('request', (request) => requests.push(request.url()));
  page.on('websocket', (socket) => requests.push(socket.url()));
  // A resource that fails to load is reported below with its URL (the browser's own
  // /favicon.ico probe is not the page's request and is left out).
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
      problems.push(`console: ${message.text()}`);
    }
  });
  page.on('response', (response) => {
    if (response.status() >= 400 && !response.url().endsWith('/favicon.ico')) {
      problems.push(`HTTP ${response.status()}: ${response.url()}`);
    }
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) =>
    problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`));
  return { browser, page, requests, problems };
}

/** The recorded requests that went anywhere but the server (data: and blob: stay in the page). */
export function foreign(base, requests) {
  const host = new URL(base).host;
  return requests.filter((url) => {
    const parsed = new URL(url);
    if (parsed.protocol === 'data:' || parsed.protocol === 'blob:' || parsed.protocol === 'about:') return false;
    return parsed.host !== host || !['http:', 'https:', 'ws:', 'wss:'].includes(parsed.protocol);
  });
}

/** Reads `--name value` options after the positional arguments. */
export function options(args) {
  const out = { positional: [] };
  for (let i = 0; i < args.length; i += 1) {
    if (args[i].startsWith('--')) {
      out[args[i].slice(2)] = args[i + 1];
      i += 1;
    } else {
      out.positional.push(args[i]);
    }
  }
  return out;
}

/** Runs `body`, prints its result as one JSON line, and exits non-zero when it failed. */
export async function run(body) {
  try {
    const result = await body();
    console.log(JSON.stringify({ ok: result.failures.length === 0, ...result }));
    process.exit(result.failures.length === 0 ? 0 : 1);
  } catch (error) {
    console.log(JSON.stringify({ ok: false, failures: [String(error && error.stack || error)] }));
    process.exit(2);
  }
}
