#!/usr/bin/python3
"""Runs Beancount's bean-check or bean-query with a decimal context of 100 significant digits.

Beancount computes with Python's default decimal context (28 significant digits), so a journal
whose amounts or sums have more (the ledger's amounts reach 48) is rounded, and bean-check then
reports unbalanced transactions and failed balance assertions that are not there. This runs the
same Beancount code with a wider context:
    python3 scripts/bean-precise.py check books.beancount
    python3 scripts/bean-precise.py query books.beancount "SELECT account, sum(number) GROUP BY account"
"""
import decimal
import sys

decimal.getcontext().prec = 100

if len(sys.argv) < 3 or sys.argv[1] not in ("check", "query"):
    sys.exit(__doc__)
tool = sys.argv.pop(1)
sys.argv[0] = f"bean-{tool}"
if tool == "check":
    from beancount.scripts.check import main
else:
    from beancount.query.shell import main
sys.exit(main())
