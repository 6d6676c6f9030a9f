"""RL201: a delay of 90 s leaves the default 60 s cap no room to grow: max_delay_exponent too."""

import taskiq as tq

broker = tq.InMemoryBroker()
broker.add_middlewares(tq.SmartRetryMiddleware(use_delay_exponent=True, use_jitter=True, max_delay_exponent=3600))


@broker.task(retry_on_error=True)
async def resize(image_id):
    return image_id


@broker.task(retry_on_error=True, delay=90)
async def transcode(video_id):
    return video_id
