"""RL201 on multi-line decorators, with and without a trailing comma."""

import huey

hq = huey.SqliteHuey("jobs")


@hq.task(
    retries=3,
    retry_delay=20, retry_backoff=2,
)
def index_message(message_id):
    return message_id


@hq.task(
    retries=3,
    priority=10, retry_delay=10, retry_backoff=2
)
def render_message(message_id):
    return message_id
