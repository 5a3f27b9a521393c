// The dashboard as finance meets it:
//   node dashboard.mjs <base-url> <token> [SPEC-JSON] [--screenshot PATH] [--full-page yes]
// Opens <base>/dashboard on a 1366x768 screen, logs in with the token, and waits until every
// `before` text shows in its panel. With a `deposit` in the spec it then waits for the live
// connection, makes that deposit itself over GraphQL (POST <base>/graphql with the deposit's
// own token), and measures from the mutation's answer until every `after` text shows: more
// than `withinMs` (1000) is a failure. No request may leave the server's origin, no panel may
// fail to read, and the page may log no error (a Content-Security-Policy refusal is one).
//
// SPEC: { "before": [{ "panel": "p-today", "text": "1,234.56" }],
//         "deposit": { "token": "yk_…", "accountId": "…", "shiftId": "…", "amount": "10.00",
//                      "method": "CASH" },
//         "after": [{ "panel": "p-today", "text": "1,244.56" }], "withinMs": 1000 }
// Prints one JSON line; exits non-zero on a failure.

import { foreign, open, options, run } from './lib.mjs';

const args = options(process.argv.slice(2));
const [base, token, specText] = args.positional;
if (!base || !token) {
  console.error('usage: node dashboard.mjs <base-url> <token> [SPEC-JSON] [--screenshot PATH]');
  process.exit(64);
}
const spec = specText ? JSON.parse(specText) : {};
const PANELS = ['p-shifts', 'p-today', 'p-flagged', 'p-revenue', 'p-arrears', 'p-hours', 'p-reconcile',
  'p-workload', 'p-unsigned'];

const DEPOSIT = `mutation($account: UUID!, $amount: Money!, $method: PaymentMethod!, $shift: UUID!, $key: String!) {
  deposit(input: { accountId: $account, amount: $amount, method: $method, shiftId: $shift, idempotencyKey: $key }) {
    receiptNo account { balance }
  }
}`;

/** Waits until each { panel, text } shows in its panel; answers the ones that never did. */
async function waitForTexts(page, texts, timeout) {
  try {
    await page.waitForFunction((wanted) => wanted.every(({ panel, text }) => {
      const element = document.getElementById(panel);
      return element && element.innerText.includes(text);
    }), texts, { timeout, polling: 20 });
    return [];
  } catch {
    return page.evaluate((wanted) => wanted.filter(({ panel, text }) => {
      const element = document.getElementById(panel);
      return !(element && element.innerText.includes(text));
    }).map(({ panel, text }) => `${panel} never showed ${JSON.stringify(text)}: ${
      (document.getElementById(panel) || document.body).innerText.slice(0, 600)}`), texts);
  }
}

run(async () => {
  const failures = [];
  const result = { failures };
  const { browser, page, requests, problems } = await open(base);
  try {
    await page.goto(`${base}/dashboard`, { waitUntil: 'load' });
    await page.locator('#token').waitFor({ state: 'visible', timeout: 15000 });
    await page.fill('#token', token);
    await page.click('#login-button');
    await page.locator('#board').waitFor({ state: 'visible', timeout: 15000 });
    // Every panel has read its figures (a table, a notice or a chart).
    await page.waitForFunction((ids) => ids.every((id) => {
      const panel = document.getElementById(id);
      const body = panel.querySelector('.body');
      return body ? body.innerHTML.trim() !== '' : panel.querySelector('canvas').height > 0;
    }), PANELS, { timeout: 15000, polling: 50 });
    failures.push(...await waitForTexts(page, spec.before || [], 15000));
    await page.locator('#live.on').waitFor({ timeout: 15000 });
    result.balanceCheck = await page.locator('#check').innerText();

    if (spec.deposit) {
      // The subscription is sent right after the connection is acknowledged; let it settle.
      await page.waitForTimeout(500);
      const d = spec.deposit;
      const response = await fetch(`${base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${d.token}` },
        body: JSON.stringify({
          query: DEPOSIT,
          variables: {
            account: d.accountId, amount: d.amount, method: d.method || 'CASH', shift: d.shiftId,
            key: `browser-${Date.now()}-${Math.random()}`,
          },
        }),
      });
      const answer = await response.json();
      const answered = performance.now();
      if (answer.errors) throw new Error(`the deposit was refused: ${JSON.stringify(answer.errors)}`);
      result.deposit = answer.data.deposit;
      const within = spec.withinMs || 1000;
      const missing = await waitForTexts(page, spec.after || [], within + 4000);
      result.shownAfterMs = Math.round(performance.now() - answered);
      failures.push(...missing);
      if (!missing.length && result.shownAfterMs > within) {
        failures.push(`the deposit showed after ${result.shownAfterMs} ms, more than ${within} ms`);
      }
    }

    // English on a click, the figures unchanged; and back to Chinese.
    const before = await page.locator('#p-today .figures').innerText();
    await page.click('#lang');
    await page.waitForFunction(() => document.querySelector('#p-shifts h2').innerText.includes('Open shifts'),
      null, { timeout: 5000 }).catch(() => failures.push('the English button did not switch the labels'));
    await page.waitForFunction(() => document.querySelector('#p-today .figures')?.innerText.includes('Deposits'),
      null, { timeout: 5000 }).catch(() => failures.push('the day panel did not switch to English'));
    const english = await page.locator('#p-today .figures').innerText();
    const figures = (text) => text.split('\n').filter((line) => /^-?[\d,]+\.\d\d$/.test(line));
    if (figures(english).join() !== figures(before).join()) {
      failures.push(`the figures changed with the language: ${before} / ${english}`);
    }
    await page.click('#lang');
    await page.waitForFunction(() => document.querySelector('#p-shifts h2').innerText.includes('当前班次'),
      null, { timeout: 5000 }).catch(() => failures.push('the 中文 button did not switch back'));

    result.panels = {};
    for (const id of PANELS) {
      result.panels[id] = (await page.locator(`#${id}`).innerText()).slice(0, 300);
    }
    const unreadable = await page.locator('.panel .notice').allInnerTexts();
    for (const text of unreadable) {
      if (text.startsWith('读取失败') || text.startsWith('Could not read') || text.includes('无权')) {
        failures.push(`a panel could not read its figures: ${text}`);
      }
    }
    const away = foreign(base, requests);
    if (away.length) failures.push(`requests left the origin: ${away.join(', ')}`);
    failures.push(...problems);
    result.requests = [...new Set(requests)];
    if (args.screenshot) {
      await page.screenshot({ path: args.screenshot, fullPage: args['full-page'] === 'yes' });
    }
    return result;
  } finally {
    await browser.close();
  }
});
