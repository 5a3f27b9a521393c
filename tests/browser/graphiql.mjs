// GraphiQL as a newcomer meets it: `node graphiql.mjs <base-url> [--screenshot PATH]`.
// Opens <base>/, waits for the schema, opens the Docs pane and checks that it lists Query, that
// nothing says "Error fetching schema", and that no request left the server's origin. Prints
// one JSON line; exits non-zero on a failure.

import { foreign, open, options, run } from './lib.mjs';

const args = options(process.argv.slice(2));
const [base] = args.positional;
if (!base) {
  console.error('usage: node graphiql.mjs <base-url> [--screenshot PATH]');
  process.exit(64);
}

run(async () => {
  const failures = [];
  const { browser, page, requests, problems } = await open(base);
  try {
    await page.goto(`${base}/`, { waitUntil: 'load' });
    await page.waitForSelector('.graphiql-container', { timeout: 15000 });
    // The schema is fetched at start; the Docs button opens the explorer on it.
    const docs = page.locator('button[aria-label="Show Documentation Explorer"]');
    await docs.waitFor({ timeout: 15000 });
    await docs.click();
    const explorer = page.locator('.graphiql-doc-explorer');
    await explorer.waitFor({ timeout: 15000 });
    let listsQuery = false;
    try {
      await explorer.getByText('Query', { exact: true }).first().waitFor({ timeout: 15000 });
      listsQuery = true;
    } catch {
      failures.push(`the Docs pane does not list Query: ${await explorer.innerText()}`);
    }
    const text = await page.locator('body').innerText();
    if (text.includes('Error fetching schema')) failures.push('GraphiQL says "Error fetching schema"');
    const away = foreign(base, requests);
    if (away.length) failures.push(`requests left the origin: ${away.join(', ')}`);
    if (problems.length) failures.push(...problems);
    if (args.screenshot) await page.screenshot({ path: args.screenshot });
    return { listsQuery, docs: (await explorer.innerText()).slice(0, 400), requests, failures };
  } finally {
    await browser.close();
  }
});
