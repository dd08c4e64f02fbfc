"""Import jobs: starting one from an uploaded file, running it in committed chunks so its
progress can be polled, and reading a job and its rejected rows inside the actor's scope.

``start_import`` flushes (the request commits); ``run_import`` is a job and owns its
transactions, one per chunk of rows: a row that fails rolls back only its own savepoint and is
kept, with its reasons, as a rejected row. The job waits for the request's commit
(:class:`CommitGate`) before it starts, so it never looks for a job row not yet committed.

A job that crashes is marked ``failed`` with the reason; one whose process died (no chunk
committed for ``STALE_AFTER``) is marked failed when next read. Rows done before the failure
stay committed; importing the file again is idempotent and finishes the rest.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any, BinaryIO

from sqlalchemy import event, or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from zhian.core import scope as scoping
from zhian.core.audit import service as audit
from zhian.core.db import unit_of_work
from zhian.core.errors import DomainError, InvalidInput, NotFound
from zhian.core.identity.roles import require
from zhian.core.pagination import Page, paginate
from zhian.core.scope import Actor
from zhian.core.time import utcnow
from zhian.domains.places.imports import reader
from zhian.domains.places.imports.models import ImportJob, RejectedRow
from zhian.domains.places.imports.rows import ACCEPTED, APPLY, UNCHANGED, RowRejected

log = logging.getLogger(__name__)

KINDS = tuple(APPLY)
CHUNK = 100
# SQLite has one writer and its busy handler is not fair: a job that begins its next chunk the
# moment it commits starves the console's requests (each takes the write lock) until they
# time out. Between chunks the job steps aside this long, longer than the handler's 100 ms
# back-off. PostgreSQL needs no pause.
SQLITE_PAUSE_S = 0.15
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
OPEN = (QUEUED, RUNNING)
STALE_AFTER = timedelta(minutes=15)
COMMIT_WAIT_S = 60.0
INTERRUPTED = "任务中断（服务重启或崩溃）"
MAX_BYTES = 20 * 1024 * 1024


class CommitGate:
    """Opens when the request's transaction commits: a job started after the response must
    not look for its job row before the row is committed."""

    def __init__(self, session: Session) -> None:
        self._committed = threading.Event()
        event.listen(session, "after_commit", self._open, once=True)

    def _open(self, _session: Session) -> None:
        self._committed.set()

    def wait(self) -> bool:
        """Whether the request committed (False: it rolled back, or never finished)."""
        return self._committed.wait(COMMIT_WAIT_S)


def read_upload(file: BinaryIO) -> bytes:
    """An uploaded file's bytes, refused above ``MAX_BYTES``."""
    content = file.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:
        raise InvalidInput(f"文件超过 {MAX_BYTES // (1024 * 1024)} MB", field="file")
    return content


def start_import(
    session: Session, *, actor: Actor, kind: str, filename: str, content: bytes
) -> tuple[ImportJob, list[dict[str, str]]]:
    """Read the file and open a queued job for its rows (audited); the rows are run later."""
    require(actor, "places.manage")
    if kind not in APPLY:
        raise InvalidInput(f"导入类型须为 {'/'.join(KINDS)}", field="kind")
    rows = reader.read_table(filename, content)
    if not rows:
        raise InvalidInput("文件没有数据行", field="file")
    job = ImportJob(
        kind=kind,
        filename=filename[:200],
        division=actor.division,
        status=QUEUED,
        total_rows=len(rows),
        created_by=actor.username,
    )
    session.add(job)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="create",
        record_type="place_import_job",
        record_id=str(job.id),
        division=job.division or None,
        detail={"kind": kind, "filename": job.filename, "rows": len(rows)},
    )
    return job, rows


def launch_import(
    session: Session,
    factory: sessionmaker[Session],
    schedule: Callable[..., Any],
    *,
    actor: Actor,
    kind: str,
    filename: str,
    content: bytes,
) -> ImportJob:
    """Open a job for the file and hand its run to ``schedule`` (a request's background
    tasks): it runs after the response, once the request has committed the job."""
    job, rows = start_import(session, actor=actor, kind=kind, filename=filename, content=content)
    schedule(run_import, factory, actor=actor, job_id=job.id, rows=rows, gate=CommitGate(session))
    return job


def _one(session: Session, actor: Actor, kind: str, row: dict[str, str]) -> str | RowRejected:
    try:
        with session.begin_nested():
            return APPLY[kind](session, actor, row)
    except RowRejected as exc:
        return exc
    except DomainError as exc:
        return RowRejected([(exc.field or "row", exc.message)])
    except SQLAlchemyError as exc:
        log.warning("import row refused by the database: %s", exc)
        return RowRejected([("row", "数据库拒绝此行")])


def run_chunk(
    session: Session, *, actor: Actor, job_id: int, rows: Sequence[dict[str, str]], first: int
) -> ImportJob:
    """Apply rows ``first``… of a job (row numbers count the header as row 1), counting them."""
    job = session.get(ImportJob, job_id)
    if job is None:
        raise NotFound(f"导入任务不存在：{job_id}")
    if job.started_at is None:
        job.started_at = utcnow()
    job.status = RUNNING
    for offset, row in enumerate(rows):
        outcome = _one(session, actor, job.kind, row)
        if isinstance(outcome, RowRejected):
            job.rejected += 1
            session.add(
                RejectedRow(
                    job_id=job.id,
                    row_number=first + offset + 1,
                    raw=json.dumps(row, ensure_ascii=False),
                    reasons=json.dumps(
                        [{"field": f, "reason": r} for f, r in outcome.reasons], ensure_ascii=False
                    ),
                )
            )
        elif outcome == ACCEPTED:
            job.accepted += 1
        elif outcome == UNCHANGED:
            job.unchanged += 1
        job.processed += 1
    if job.processed >= job.total_rows:
        job.status = DONE
        job.finished_at = utcnow()
    session.flush()
    return job


def run_import(
    factory: sessionmaker[Session],
    *,
    actor: Actor,
    job_id: int,
    rows: Sequence[dict[str, str]],
    chunk: int = CHUNK,
    gate: CommitGate | None = None,
) -> None:
    """Run a job: each chunk of rows in its own committed transaction, progress on the job; a
    crash marks the job failed with its reason (logged) instead of leaving it running."""
    if gate is not None and not gate.wait():
        log.warning("import job %s: its request did not commit; not run", job_id)
        return
    try:
        with unit_of_work(factory) as session:
            job = session.get(ImportJob, job_id)
            if job is None or job.status not in OPEN:
                log.warning("import job %s is not open; not run", job_id)
                return
            pause = SQLITE_PAUSE_S if session.get_bind().dialect.name == "sqlite" else 0.0
        for start in range(0, len(rows), chunk):
            if start and pause:
                time.sleep(pause)
            with unit_of_work(factory) as session:
                run_chunk(
                    session,
                    actor=actor,
                    job_id=job_id,
                    rows=rows[start : start + chunk],
                    first=start + 1,
                )
    except Exception as exc:
        log.exception("import job %s failed", job_id)
        mark_failed(factory, job_id, f"{type(exc).__name__}: {exc}"[:500])


def mark_failed(factory: sessionmaker[Session], job_id: int, error: str) -> None:
    """Record that a job stopped, in its own transaction; if even that fails, the job is
    caught as stale when next read."""
    try:
        with unit_of_work(factory) as session:
            job = session.get(ImportJob, job_id)
            if job is not None and job.status in OPEN:
                job.status = FAILED
                job.error = error
                job.finished_at = utcnow()
    except Exception:
        log.exception("import job %s: could not record the failure", job_id)


def _expire_if_stale(job: ImportJob) -> None:
    if job.status in OPEN and job.updated_at < utcnow() - STALE_AFTER:
        job.status = FAILED
        job.error = INTERRUPTED
        job.finished_at = utcnow()


def get_job(session: Session, *, actor: Actor, job_id: int) -> ImportJob:
    """One import job of the actor's jurisdiction; another's is not found."""
    require(actor, "places.read")
    job = session.get(ImportJob, job_id)
    if job is None:
        raise NotFound(f"导入任务不存在：{job_id}")
    if not (scoping.can_see(actor, job.division) or job.created_by == actor.username):
        audit.deny(
            actor, record_type="place_import_job", record_id=str(job_id), division=job.division
        )
    _expire_if_stale(job)
    return job


def list_jobs(
    session: Session, *, actor: Actor, page: int = 1, per_page: int = 20
) -> Page[ImportJob]:
    """Import jobs of the actor's jurisdiction (and their own), newest first."""
    require(actor, "places.read")
    stmt = (
        select(ImportJob)
        .where(
            or_(
                scoping.scope_clause(actor, ImportJob.division),
                ImportJob.created_by == actor.username,
            )
        )
        .order_by(ImportJob.id.desc())
    )
    found = paginate(session, stmt, page, per_page)
    for job in found.items:
        _expire_if_stale(job)
    return found


def rejected_rows(session: Session, job_id: int) -> Sequence[RejectedRow]:
    """The rejected rows of a job, in file order."""
    return session.scalars(
        select(RejectedRow).where(RejectedRow.job_id == job_id).order_by(RejectedRow.row_number)
    ).all()


def _audit_rejected_read(session: Session, actor: Actor, job: ImportJob, rows: int) -> None:
    # Rejected rows may hold contacts (names, phones): reading them is a sensitive read.
    audit.record(
        session,
        actor=actor,
        action="read",
        record_type="place_import_job",
        record_id=str(job.id),
        division=job.division or None,
        detail={"rejected_rows": rows},
    )


def rejected_page(
    session: Session, *, actor: Actor, job_id: int, page: int = 1, per_page: int = 100
) -> Page[RejectedRow]:
    """One page of a job's rejected rows, in file order (the read is audited)."""
    job = get_job(session, actor=actor, job_id=job_id)
    stmt = (
        select(RejectedRow)
        .where(RejectedRow.job_id == job.id)
        .order_by(RejectedRow.row_number, RejectedRow.id)
    )
    found = paginate(session, stmt, page, per_page)
    _audit_rejected_read(session, actor, job, len(found.items))
    return found


def rejected_csv(session: Session, *, actor: Actor, job_id: int) -> str:
    """The rejected rows as CSV (UTF-8 with BOM for Excel), with row number and reasons; the
    read is audited."""
    job = get_job(session, actor=actor, job_id=job_id)
    found = rejected_rows(session, job.id)
    raws = [json.loads(r.raw) for r in found]
    columns: list[str] = []
    for raw in raws:
        columns.extend(c for c in raw if c not in columns)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["row_number", *columns, "reasons"])
    for r, raw in zip(found, raws, strict=True):
        reasons = "；".join(f"{x['field']}: {x['reason']}" for x in json.loads(r.reasons))
        writer.writerow([r.row_number, *(raw.get(c, "") for c in columns), reasons])
    _audit_rejected_read(session, actor, job, len(found))
    return "\ufeff" + out.getvalue()
