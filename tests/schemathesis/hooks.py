"""Schemathesis hooks for Yika's GraphQL schema: strategies for its custom scalars (valid and
invalid values alike, since bad input must be refused cleanly), and the one check that matters
here: no answer is a 5xx, a non-JSON body, or an error without one of the contract's codes
(INTERNAL, or no code, means the server failed rather than refused). Refusals such as
VALIDATION or NOT_FOUND are the contract's answers, not failures, so Schemathesis's built-in
`not_a_server_error` (which counts every GraphQL error) is excluded by the run script."""

import json

import schemathesis
from hypothesis import strategies as st
from schemathesis.graphql import nodes

CODES = {
    "UNAUTHENTICATED", "FORBIDDEN", "VALIDATION", "NOT_FOUND", "INSUFFICIENT_BALANCE",
    "INSUFFICIENT_CASH", "SHIFT_NOT_OPEN", "ACCOUNT_CLOSED", "ALREADY_SETTLED",
    "IDEMPOTENCY_MISMATCH", "CONFLICT", "LIMIT_EXCEEDED", "ANSWER_INCOMPLETE", "VIEWS_BEHIND",
}

money = st.one_of(
    st.decimals(min_value=-10**12, max_value=10**12, places=2, allow_nan=False,
                allow_infinity=False).map(str),
    st.sampled_from(["0.00", "0.01", "10000000.00", "10000000.01", "1.005", "-1", "1e3",
                     "99999999999999999999.99", "", "NaN", "１２.５０"]),
)
schemathesis.graphql.scalar("Money", money.map(nodes.String))

dates = st.one_of(
    st.dates().map(lambda d: d.isoformat()),
    st.sampled_from(["+262142-12-31", "2100-01-01", "1999-12-31", "2026-02-30", "today"]),
)
schemathesis.graphql.scalar("Date", dates.map(nodes.String))

instants = st.one_of(
    st.datetimes().map(lambda t: t.isoformat() + "Z"),
    st.sampled_from(["+10000-01-01T00:00:00Z", "2026-11-22T08:30:00+08:00", "yesterday"]),
)
schemathesis.graphql.scalar("DateTime", instants.map(nodes.String))

schemathesis.graphql.scalar(
    "UUID",
    st.one_of(st.uuids().map(str), st.sampled_from(["", "not-a-uuid", "0" * 36])).map(nodes.String),
)


@schemathesis.check
def answers_with_a_contract_code(ctx, response, case):
    """No 5xx, a JSON body, and every error carries one of the contract's codes."""
    if response.status_code >= 500:
        raise AssertionError(f"HTTP {response.status_code}")
    try:
        body = json.loads(response.content)
    except ValueError as error:
        raise AssertionError(f"not JSON: {error}") from error
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        if code not in CODES:
            raise AssertionError(f"an error without a contract code: {error}")
