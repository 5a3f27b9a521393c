-- `deductions_account` served no query (a deduction is looked up by its id; an account's history
-- comes from the audit index and the journal), yet every deduction wrote a page of it at a
-- random place: about 7% of the whole path's rate on SQLite (docs/performance.md).
DROP INDEX IF EXISTS deductions_account;
