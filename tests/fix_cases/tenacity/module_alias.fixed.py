"""tenacity used through module names: no import is added."""

import tenacity
import tenacity as t


@t.retry(wait=t.wait_random_exponential(multiplier=1, max=3600), reraise=True, stop=t.stop_after_attempt(5))
def fetch_catalogue(session):
    return session.get("/catalogue")


@tenacity.retry(retry=tenacity.retry_if_exception_type(OSError), stop=tenacity.stop_after_attempt(5), wait=tenacity.wait_random_exponential(multiplier=1, max=3600))
def fetch_prices(session):
    return session.get("/prices")


# a parenthesized last argument, and a non-ASCII string before it on the line
@t.retry(retry=t.retry_if_exception_message(match="délai dépassé"), wait=(t.wait_random_exponential(multiplier=1, max=3600)), stop=t.stop_after_attempt(5))
def fetch_fees(session):
    return session.get("/fees")
