-- `deductions_account` served no query (a deduction is looked up by its id; an account's history
-- comes from the audit index and the journal), yet every deduction wrote a page of it at a
-- random place in the file: about 7% of the whole path's rate (docs/performance.md).
DROP INDEX IF EXISTS deductions_account;
