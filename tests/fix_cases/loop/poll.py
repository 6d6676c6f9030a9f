"""Polls that never give up, sync and async."""

import asyncio
import time


def wait_for_export(client, export_id):
    while True:
        status = client.export_status(export_id)
        if status == "done":
            return
        time.sleep(5)


async def wait_ready(api, key):
    while not await api.is_ready(key):
        await asyncio.sleep(2)
