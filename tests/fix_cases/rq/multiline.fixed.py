"""RL201 on multi-line Retry calls, with and without a trailing comma."""

from rq import Queue, Retry

queue = Queue("default")


def export_rows(table):
    return table


class Exporter:
    def export(self, table):
        queue.enqueue(
            export_rows,
            table,
            retry=Retry(
                max=3, interval=[10, 20, 40],
            ),
        )

    def export_later(self, table):
        queue.enqueue(
            export_rows,
            table,
            retry=Retry(
                max=3,
                interval=[20, 40, 80]
            ),
        )
