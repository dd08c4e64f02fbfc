"""Import jobs: starting one from an uploaded file, running it in committed chunks so its
progress can be polled, and reading a job and its rejected rows inside the actor's scope.

``start_import`` flushes (the request commits); ``run_import`` is a job and owns its
transactions, one per chunk of rows: a row that fails rolls back only its own savepoint and is
kept, with its reasons, as a rejected row.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from zhian.core import scope as scoping
from zhian.core.audit import service as audit
from zhian.core.db import unit_of_work
from zhian.core.errors import DomainError, InvalidInput, NotFound
from zhian.core.identity.roles import require
from zhian.core.scope import Actor
from zhian.core.time import utcnow
from zhian.domains.places.imports import reader
from zhian.domains.places.imports.models import ImportJob, RejectedRow
from zhian.domains.places.imports.rows import ACCEPTED, APPLY, UNCHANGED, RowRejected

log = logging.getLogger(__name__)

KINDS = tuple(APPLY)
CHUNK = 200


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
        status="queued",
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
    job.status = "running"
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
        job.status = "done"
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
) -> None:
    """Run a job: each chunk of rows in its own committed transaction, progress on the job."""
    try:
        for start in range(0, len(rows), chunk):
            with unit_of_work(factory) as session:
                run_chunk(
                    session,
                    actor=actor,
                    job_id=job_id,
                    rows=rows[start : start + chunk],
                    first=start + 1,
                )
    except Exception:
        log.exception("import job %s failed", job_id)
        with unit_of_work(factory) as session:
            job = session.get(ImportJob, job_id)
            if job is not None:
                job.status = "failed"
                job.finished_at = utcnow()
        raise


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
    return job


def rejected_rows(session: Session, job_id: int) -> Sequence[RejectedRow]:
    """The rejected rows of a job, in file order."""
    return session.scalars(
        select(RejectedRow).where(RejectedRow.job_id == job_id).order_by(RejectedRow.row_number)
    ).all()


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
    audit.record(
        session,
        actor=actor,
        action="read",
        record_type="place_import_job",
        record_id=str(job.id),
        division=job.division or None,
        detail={"rejected_rows": len(found)},
    )
    return "\ufeff" + out.getvalue()
