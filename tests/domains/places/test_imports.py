"""Importing house numbers and organizations from CSV and XLSX, on SQLite and PostgreSQL:
every bad row reported with its field and kept, re-import idempotent, progress recorded."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from tests.domains.places import registry_data as data
from tests.helpers import App, running_app
from zhian.core.audit.models import AuditEntry
from zhian.core.db import unit_of_work
from zhian.core.errors import InvalidInput
from zhian.core.scope import SYSTEM, Actor
from zhian.core.time import utcnow
from zhian.domains.places.imports import reader, service
from zhian.domains.places.imports.models import ImportJob
from zhian.domains.places.registry.models import House, Organization

HEADER = ["区县", "道路", "门牌号", "后缀", "经度", "纬度"]


@pytest.fixture()
def world(fresh_url: str) -> Iterator[tuple[App, dict[str, Any]]]:
    with running_app(fresh_url) as app:
        with unit_of_work(app.factory) as session:
            ids: dict[str, Any] = dict(data.build(session))
            ids["seat"] = data.seat(session, data.HOME)
            ids["other_seat"] = data.seat(session, data.OTHER)
            ids["code_1"] = data.find(session, "朝阳大街", 1).code
        yield app, ids


def house_rows(ids: dict[str, Any]) -> list[list[str]]:
    lon, lat = ids["seat"]
    olon, olat = ids["other_seat"]
    return [
        [data.HOME, "朝阳大街", "21", "", f"{lon + 0.0042}", f"{lat}"],  # new
        ["临渭区", "朝阳大街", "22", "", f"{lon + 0.0044}", f"{lat}"],  # new, county by name
        [data.HOME, "新建路", "1", "", f"{lon}", f"{lat + 0.001}"],  # new road
        [data.HOME, "朝阳大街", "5", "", f"{lon + 0.001}", f"{lat}"],  # already there
        [data.HOME, "朝阳大街", "abc", "", f"{lon}", f"{lat}"],  # bad number
        [data.HOME, "朝阳大街", "30", "", f"{lon}", ""],  # lat missing
        [data.HOME, "东风街", "40", "", f"{olon}", f"{olat}"],  # outside the county
        [data.OTHER, "金城大街", "9", "", f"{olon}", f"{olat}"],  # another county
    ]


def as_csv(rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def upload(app: App, headers: dict[str, str], name: str, body: bytes, kind: str = "houses") -> Any:
    return app.client.post(
        "/api/v1/addresses/imports",
        files={"file": (name, body, "application/octet-stream")},
        data={"kind": kind},
        headers=headers,
    )


def houses(app: App) -> int:
    with app.factory() as session:
        return int(session.scalar(select(func.count(House.id))) or 0)


def test_csv_import_reports_every_bad_row_and_is_idempotent(
    world: tuple[App, dict[str, Any]],
) -> None:
    app, ids = world
    headers = app.headers(app.token("imp_cmd", role="commander", division=data.HOME))
    before = houses(app)
    body = as_csv(house_rows(ids))
    resp = upload(app, headers, "门牌.csv", body)
    assert resp.status_code == 202, resp.text
    job_id = resp.json()["id"]
    job = app.client.get(f"/api/v1/addresses/imports/{job_id}", headers=headers).json()
    assert (job["status"], job["total_rows"], job["processed"], job["progress"]) == (
        "done",
        8,
        8,
        1.0,
    )
    assert (job["accepted"], job["unchanged"], job["rejected"]) == (3, 1, 4)
    assert houses(app) == before + 3
    rejected = app.client.get(job["rejected_url"], headers=headers)
    assert rejected.status_code == 200 and rejected.content.startswith(b"\xef\xbb\xbf")
    table = list(csv.DictReader(io.StringIO(rejected.content.decode("utf-8-sig"))))
    assert [r["row_number"] for r in table] == ["6", "7", "8", "9"]
    assert table[0]["number"] == "abc" and table[0]["reasons"].startswith("number:")
    assert table[1]["reasons"].startswith("lat:")
    assert table[2]["reasons"].startswith("lon:")
    assert table[3]["reasons"].startswith("county:") and "管辖" in table[3]["reasons"]
    again = upload(app, headers, "门牌.csv", body).json()
    job2 = app.client.get(f"/api/v1/addresses/imports/{again['id']}", headers=headers).json()
    assert (job2["accepted"], job2["unchanged"], job2["rejected"]) == (0, 4, 4)
    assert houses(app) == before + 3
    with app.factory() as session:
        actions = session.execute(
            select(AuditEntry.action, AuditEntry.record_id).where(
                AuditEntry.record_type == "place_import_job"
            )
        ).all()
    assert sorted(actions) == sorted(
        [("create", str(job_id)), ("read", str(job_id)), ("create", str(again["id"]))]
    )


def test_xlsx_import_of_organizations(world: tuple[App, dict[str, Any]]) -> None:
    app, ids = world
    headers = app.headers(app.token("imp_xlsx", role="commander", division=data.HOME))
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["单位名称", "类别", "门牌编码", "负责人", "联系电话"])
    sheet.append(["朝阳宾馆", "旅馆", ids["code_1"], "李四", "13900001111"])
    sheet.append(["朝阳银行", "finance", ids["code_1"], None, None])
    sheet.append(["某某", "旅馆", ids["code_1"], None, None])
    sheet.append(["朝阳歌厅", "歌厅", ids["code_1"], None, None])  # unknown category
    sheet.append(["无名单位", "other", "999", None, None])  # unknown address code
    sheet.append(["朝阳药店", "other", ids["code_1"], None, "abc"])  # bad phone
    buf = io.BytesIO()
    book.save(buf)
    resp = upload(app, headers, "单位.xlsx", buf.getvalue(), kind="organizations")
    assert resp.status_code == 202, resp.text
    job = app.client.get(f"/api/v1/addresses/imports/{resp.json()['id']}", headers=headers).json()
    assert (job["accepted"], job["unchanged"], job["rejected"]) == (3, 0, 3)
    text = app.client.get(job["rejected_url"], headers=headers).content.decode("utf-8-sig")
    reasons = [r["reasons"] for r in csv.DictReader(io.StringIO(text))]
    assert [r.split(":")[0] for r in reasons] == ["category", "address_code", "contact_phone"]
    again = upload(app, headers, "单位.xlsx", buf.getvalue(), kind="organizations").json()
    job2 = app.client.get(f"/api/v1/addresses/imports/{again['id']}", headers=headers).json()
    assert (job2["accepted"], job2["unchanged"], job2["rejected"]) == (0, 3, 3)
    with app.factory() as session:
        assert session.scalar(select(func.count(Organization.id))) == 2 + 3


def test_bad_files_and_roles_are_refused(world: tuple[App, dict[str, Any]]) -> None:
    app, ids = world
    cmd = app.headers(app.token("imp_bad", role="commander", division=data.HOME))
    for name, body in (("a.txt", b"x"), ("a.csv", b""), ("a.csv", as_csv([])), ("a.xlsx", b"PK")):
        resp = upload(app, cmd, name, body)
        assert resp.status_code == 422 and resp.json()["detail"][0]["field"] == "file", name
    assert upload(app, cmd, "a.csv", as_csv(house_rows(ids)), kind="people").status_code == 422
    disp = app.headers(app.token("imp_disp", role="dispatcher", division=data.HOME))
    assert upload(app, disp, "a.csv", as_csv(house_rows(ids))).status_code == 403
    job_id = upload(app, cmd, "a.csv", as_csv(house_rows(ids)[:1])).json()["id"]
    other = app.headers(app.token("imp_other", role="commander", division=data.OTHER))
    for path in (
        f"/api/v1/addresses/imports/{job_id}",
        f"/api/v1/addresses/imports/{job_id}/rejected.csv",
    ):
        assert app.client.get(path, headers=other).status_code == 404


def test_progress_is_recorded_chunk_by_chunk(
    session: Session, session_factory: sessionmaker[Session]
) -> None:
    data.build(session)
    session.commit()
    lon, lat = data.seat(session, data.HOME)
    rows = [
        {
            "county": data.HOME,
            "road": "进度路",
            "number": str(n),
            "lon": str(lon + n * 1e-4),
            "lat": str(lat),
        }
        for n in range(1, 6)
    ]
    content = as_csv([list(r.values()) for r in rows], header=list(rows[0]))
    job, read = service.start_import(
        session, actor=SYSTEM, kind="houses", filename="p.csv", content=content
    )
    session.commit()
    assert read == rows and job.status == "queued"
    service.run_chunk(session, actor=SYSTEM, job_id=job.id, rows=rows[:2], first=1)
    assert (job.status, job.processed, job.accepted) == ("running", 2, 2)
    service.run_import(session_factory, actor=SYSTEM, job_id=job.id, rows=rows[2:], chunk=2)
    session.expire_all()
    done = session.get(ImportJob, job.id)
    assert done is not None and (done.status, done.processed, done.accepted) == ("done", 5, 5)
    assert done.started_at is not None and done.finished_at is not None


def test_county_user_cannot_import_into_another_county(session: Session) -> None:
    data.build(session)
    county = Actor(user_id=None, username="imp_county", role="commander", division=data.HOME)
    lon, lat = data.seat(session, data.OTHER)
    rows = [
        {"county": data.OTHER, "road": "金城大街", "number": "50", "lon": str(lon), "lat": str(lat)}
    ]
    job, _ = service.start_import(
        session,
        actor=county,
        kind="houses",
        filename="x.csv",
        content=as_csv([list(rows[0].values())], header=list(rows[0])),
    )
    service.run_chunk(session, actor=county, job_id=job.id, rows=rows, first=1)
    assert (job.accepted, job.rejected) == (0, 1)
    (row,) = service.rejected_rows(session, job.id)
    assert '"field": "county"' in row.reasons and "金城大街" in row.raw


def test_reader_accepts_gbk_csv_and_numbers_from_xlsx() -> None:
    gbk = "道路,门牌号\n朝阳大街,12\n".encode("gb18030")
    assert reader.read_table("a.CSV", gbk) == [{"road": "朝阳大街", "number": "12"}]
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["road", "number", "lon"])
    sheet.append(["朝阳大街", 12.0, 109.5])
    buf = io.BytesIO()
    book.save(buf)
    assert reader.read_table("a.xlsx", buf.getvalue()) == [
        {"road": "朝阳大街", "number": "12", "lon": "109.5"}
    ]
    with pytest.raises(InvalidInput) as bad:
        reader.read_table("a.xls", b"")
    assert bad.value.field == "file"


def test_error_report_as_json_and_the_job_list(world: tuple[App, dict[str, Any]]) -> None:
    app, ids = world
    headers = app.headers(app.token("imp_json", role="commander", division=data.HOME))
    job_id = upload(app, headers, "门牌.csv", as_csv(house_rows(ids))).json()["id"]
    report = app.client.get(f"/api/v1/addresses/imports/{job_id}/rejected", headers=headers)
    assert report.status_code == 200, report.text
    body = report.json()
    assert body["total"] == 4 and [r["row_number"] for r in body["items"]] == [6, 7, 8, 9]
    first = body["items"][0]
    assert first["values"]["number"] == "abc" and first["reasons"][0]["field"] == "number"
    listed = app.client.get("/api/v1/addresses/imports", headers=headers).json()
    assert [j["id"] for j in listed["items"]] == [job_id]
    other = app.headers(app.token("imp_json_other", role="commander", division=data.OTHER))
    assert app.client.get("/api/v1/addresses/imports", headers=other).json()["total"] == 0
    path = f"/api/v1/addresses/imports/{job_id}/rejected"
    assert app.client.get(path, headers=other).status_code == 404


def test_a_crash_marks_the_job_failed_and_keeps_the_chunks_done(
    world: tuple[App, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, ids = world
    real = service.APPLY["houses"]
    calls = {"n": 0}

    def flaky(session: Session, actor: Actor, row: dict[str, str]) -> str:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk on fire")
        return real(session, actor, row)

    monkeypatch.setitem(service.APPLY, "houses", flaky)
    rows = [
        dict(zip(["county", "road", "number", "suffix", "lon", "lat"], r, strict=True))
        for r in house_rows(ids)[:4]
    ]
    with unit_of_work(app.factory) as session:
        job, _ = service.start_import(
            session, actor=SYSTEM, kind="houses", filename="x.csv", content=as_csv(house_rows(ids))
        )
    before = houses(app)
    service.run_import(app.factory, actor=SYSTEM, job_id=job.id, rows=rows, chunk=2)
    with app.factory() as session:
        failed = session.get(ImportJob, job.id)
        assert failed is not None
        assert (failed.status, failed.processed) == ("failed", 2)
        assert failed.error is not None and "RuntimeError: disk on fire" in failed.error
        assert failed.finished_at is not None
    assert houses(app) == before + 2  # the first chunk stays committed
    headers = app.headers(app.token("imp_crash", role="commander", division=data.HOME))
    calls["n"] = 0  # the API's run crashes on its third row too
    resp = upload(app, headers, "门牌.csv", as_csv(house_rows(ids)))
    assert resp.status_code == 202, resp.text
    shown = app.client.get(f"/api/v1/addresses/imports/{resp.json()['id']}", headers=headers)
    assert shown.json()["status"] == "failed" and "disk on fire" in shown.json()["error"]


def test_a_job_left_running_by_a_dead_process_is_failed_when_read(
    world: tuple[App, dict[str, Any]],
) -> None:
    app, ids = world
    headers = app.headers(app.token("imp_stale", role="commander", division=data.HOME))
    actor = Actor(user_id=None, username="imp_stale", role="commander", division=data.HOME)
    with unit_of_work(app.factory) as session:
        job, _ = service.start_import(
            session, actor=actor, kind="houses", filename="x.csv", content=as_csv(house_rows(ids))
        )
        job.status = "running"
    path = f"/api/v1/addresses/imports/{job.id}"
    assert app.client.get(path, headers=headers).json()["status"] == "running"
    with unit_of_work(app.factory) as session:
        session.execute(
            update(ImportJob)
            .where(ImportJob.id == job.id)
            .values(updated_at=utcnow() - service.STALE_AFTER - timedelta(seconds=1))
        )
    shown = app.client.get(path, headers=headers).json()
    assert (shown["status"], shown["error"]) == ("failed", service.INTERRUPTED)
    # Recorded, not only shown: the job is failed for every later reader too.
    with app.factory() as session:
        again = session.get(ImportJob, job.id)
        assert again is not None and again.status == "failed"


def test_a_job_whose_request_never_committed_does_not_run(
    session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "COMMIT_WAIT_S", 0.01)
    with session_factory() as request_session:
        gate = service.CommitGate(request_session)
        request_session.rollback()
    ran: list[int] = []
    monkeypatch.setattr(service, "run_chunk", lambda *a, **k: ran.append(1))
    service.run_import(session_factory, actor=SYSTEM, job_id=1, rows=[{"a": "b"}], gate=gate)
    assert ran == []
