"""RL201 on multi-line decorators, with and without a trailing comma."""

import huey

hq = huey.SqliteHuey("jobs")


@hq.task(
    retries=3,
    retry_delay=20,
)
def index_message(message_id):
    return message_id


@hq.task(
    retries=3,
    priority=10
)
def render_message(message_id):
    return message_id
