-- The reporting schema (sql/019) for tools that relate tables on one column (Power BI, Tableau)
-- or read one table (a spreadsheet's pivot table): `account_key`, the ledger and the account in
-- one text, on the facts and the account dimension; and `postings_by_account`, the facts with
-- their account's and effective date's attributes. See docs/reporting.md.
alter table reporting.postings add column account_key text generated always as (ledger_id || '/' || account_id) stored;
alter table reporting.accounts add column account_key text generated always as (ledger_id || '/' || account_id) stored;

create view reporting.postings_by_account as
select p.*, a.name as account_name, a.type as account_type, a.normal_balance, a.depth,
       a.level1, a.level2, a.level3, a.level4, a.level5, a.level6,
       d.year, d.quarter, d.month, d.year_quarter, d.year_month
  from reporting.postings p
  join reporting.accounts a on a.ledger_id = p.ledger_id and a.account_id = p.account_id
  join reporting.dates d on d.date = p.effective_date;

grant select on reporting.postings_by_account to ledger_reporting;
