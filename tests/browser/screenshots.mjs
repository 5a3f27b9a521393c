// The README's pictures: `node screenshots.mjs <base-url> <token> <dir>` saves dashboard.png
// (logged in with the token, 1366x768, the whole page) and graphiql.png (the Docs pane open, a
// query run with the token) into <dir>. Run by hand against a server `yika demo` filled.

import { open, options, run } from './lib.mjs';

const args = options(process.argv.slice(2));
const [base, token, dir] = args.positional;
if (!base || !token || !dir) {
  console.error('usage: node screenshots.mjs <base-url> <token> <dir>');
  process.exit(64);
}

run(async () => {
  const failures = [];
  {
    const { browser, page } = await open(base);
    try {
      await page.goto(`${base}/dashboard`);
      await page.fill('#token', token);
      await page.click('#login-button');
      await page.locator('#live.on').waitFor({ timeout: 30000 });
      await page.waitForFunction(() => [...document.querySelectorAll('.panel .body')]
        .every((body) => body.innerHTML.trim() !== ''), null, { timeout: 60000 });
      await page.waitForTimeout(1000);
      await page.screenshot({ path: `${dir}/dashboard.png`, fullPage: true });
    } finally {
      await browser.close();
    }
  }
  {
    const { browser, page } = await open(base);
    try {
      await page.goto(`${base}/`);
      await page.locator('button[aria-label="Show Documentation Explorer"]').click();
      await page.locator('.graphiql-doc-explorer').getByText('Query', { exact: true }).first().waitFor();
      // A query of the day, run with the token in the Headers tab.
      const query = '{\n  me { name role }\n  shifts(filter: { status: OPEN }) {\n    edges { node { window expectedCash cashier { name } } }\n  }\n}\n';
      await page.evaluate((text) => {
        const editors = document.querySelectorAll('.graphiql-query-editor .CodeMirror');
        editors[0].CodeMirror.setValue(text);
      }, query);
      await page.getByText('Headers', { exact: true }).click();
      await page.evaluate((header) => {
        const editor = document.querySelector('.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror');
        editor.CodeMirror.setValue(header);
      }, JSON.stringify({ Authorization: `Bearer ${token}` }));
      // The token stays out of the picture.
      await page.getByText('Variables', { exact: true }).click();
      await page.locator('button.graphiql-execute-button').click();
      await page.waitForFunction(() => document.querySelector('.result-window')?.innerText.includes('"data"'),
        null, { timeout: 15000 });
      await page.screenshot({ path: `${dir}/graphiql.png` });
    } catch (error) {
      failures.push(String(error));
      await page.screenshot({ path: `${dir}/graphiql.png` });
    } finally {
      await browser.close();
    }
  }
  return { saved: [`${dir}/dashboard.png`, `${dir}/graphiql.png`], failures };
});
