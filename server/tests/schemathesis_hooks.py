"""schemathesis hooks for server/tests/schemathesis.sh.

`no_server_error`: like schemathesis' `not_a_server_error`, but a 501 whose problem body has the
code `unsupported` passes: the server answers that, by design, for what the engine cannot do yet
(the problem names the missing capability). Any other 5xx fails.
"""

import schemathesis


@schemathesis.check
def no_server_error(ctx, response, case):
    if response.status_code < 500:
        return None
    if response.status_code == 501:
        try:
            if response.json().get("code") == "unsupported":
                return None
        except ValueError:
            pass
    raise AssertionError(
        f"{case.method} {case.path}: server error {response.status_code}: {response.text[:500]}"
    )
