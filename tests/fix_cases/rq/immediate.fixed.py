"""RL201: Retry(max=N) without interval retries at once; the fix adds a growing list."""

from rq import Queue, Retry

queue = Queue("default")


def build_report(report_id):
    return report_id


def request_report(report_id):
    return queue.enqueue(build_report, report_id, retry=Retry(max=3, interval=[10, 20, 40]))


def request_many(report_id):
    return queue.enqueue(build_report, report_id, retry=Retry(max=8, interval=[10, 20, 40, 80, 160, 320, 640, 1280]))
