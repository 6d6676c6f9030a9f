"""Polls that never give up, sync and async."""

from retrylint.guard import RetryBudget


def wait_for_export(client, export_id):
    retry_budget = RetryBudget(attempts=15, base=5, cap=3600, deadline=21600)
    while True:
        status = client.export_status(export_id)
        if status == "done":
            return
        retry_budget.sleep()


async def wait_ready(api, key):
    retry_budget = RetryBudget(attempts=16, base=2, cap=3600, deadline=21600)
    while not await api.is_ready(key):
        await retry_budget.asleep()
