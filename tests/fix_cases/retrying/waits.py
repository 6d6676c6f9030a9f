"""Waits: fixed ones get exponential backoff, exponential ones jitter and a cap."""

import retrying
from retrying import retry


@retry(stop_max_attempt_number=4, wait_fixed=2000)
def upload_archive(bucket, path):
    bucket.upload(path)


def rebuild_index(index):
    return retrying.Retrying(stop_max_attempt_number=2, wait_random_min=100, wait_random_max=900).call(
        index.rebuild
    )


@retry(stop_max_attempt_number=20, wait_exponential_multiplier=500, wait_exponential_max=10000)
def download_archive(bucket, path):
    return bucket.download(path)


@retry(
    stop_max_attempt_number=30,
    wait_exponential_multiplier=1000,
    wait_jitter_max=500,
)
def download_index(bucket):
    return bucket.download("index")


@retry(stop_max_attempt_number=30, wait_exponential_multiplier=1000, wait_exponential_max=None, wait_jitter_max=500)
def download_manifest(bucket):
    return bucket.download("manifest")
