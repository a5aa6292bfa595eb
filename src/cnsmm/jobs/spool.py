"""Keeping an upload in the store until its job has run: zlib-compressed chunks of 1 MiB.

The store is what every replica and worker shares, on SQLite and on PostgreSQL alike, so a
job can run anywhere. Uploads are written and read a chunk at a time: a report of hundreds
of megabytes is never held in memory.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Connection, Table, delete, insert, select

from cnsmm.errors import Error
from cnsmm.jobs.models import JobChunk
from cnsmm.tracking.store import Store

CHUNK = 1 << 20
"""Bytes of the upload per stored chunk (before compression)."""
C = cast(Table, JobChunk.__table__)


class UploadTooLarge(Error):
    """The request body is larger than the service accepts."""


@dataclass(frozen=True)
class Received:
    """An upload received into a local temporary file."""

    path: str
    size: int
    sha256: str


async def receive(stream: AsyncIterator[bytes], limit: int, *, spool_dir: str | None = None) -> Received:
    """Write a request body to a temporary file, counting and hashing it; :class:`UploadTooLarge`
    (the file removed) past ``limit`` bytes."""
    fd, path = tempfile.mkstemp(prefix="cnsmm-upload-", dir=spool_dir)
    size, digest = 0, hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out:
            async for chunk in stream:
                size += len(chunk)
                if size > limit:
                    raise UploadTooLarge(f"upload larger than {limit} bytes",
                                         hint="Split the report, or raise the limit of the service")
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        os.unlink(path)
        raise
    return Received(path, size, digest.hexdigest())


def store_chunks(conn: Connection, job_id: str, path: str) -> None:
    """Copy the file at ``path`` into the job's chunks (inside the caller's transaction)."""
    with open(path, "rb") as handle:
        seq = 0
        while data := handle.read(CHUNK):
            conn.execute(insert(C).values(job_id=job_id, seq=seq, data=zlib.compress(data, 1)))
            seq += 1


def write_file(store: Store, job_id: str, path: str) -> int:
    """Write the job's upload to ``path``, a chunk at a time; returns its size."""
    size, seq = 0, 0
    with open(path, "wb") as out:
        while True:
            with store.read() as conn:
                data = conn.scalar(select(C.c.data).where(C.c.job_id == job_id, C.c.seq == seq))
            if data is None:
                return size
            raw = zlib.decompress(data)
            out.write(raw)
            size += len(raw)
            seq += 1


def drop(conn: Connection, job_id: str) -> None:
    """Remove the job's upload (its job has finished)."""
    conn.execute(delete(C).where(C.c.job_id == job_id))
