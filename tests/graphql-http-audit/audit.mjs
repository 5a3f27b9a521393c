// Runs the graphql-http server audit against URL (argv[2]) and prints one line per check.
// Exits 1 when any MUST check fails, so the Rust end-to-end test can assert on it.
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs http://127.0.0.1:PORT/graphql');
  process.exit(2);
}
const results = await auditServer({ url });
let mustFailures = 0;
for (const result of results) {
  const line = `${result.status.toUpperCase()} ${result.name}`;
  if (result.status !== 'ok') {
    console.log(`${line}: ${result.reason}`);
  } else {
    console.log(line);
  }
  if (result.status === 'error') mustFailures += 1;
}
console.log(`graphql-http audit: ${results.length} checks, ${mustFailures} MUST failures`);
process.exit(mustFailures === 0 ? 0 : 1);
