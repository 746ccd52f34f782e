"""SQL for enrolment: tokens, typed codes and enrolment requests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from db.models import Device, EnrolCode, EnrolRequest, EnrolToken, table


def add_token(session: Session, row: dict[str, Any]) -> None:
    session.execute(insert(table(EnrolToken)), [row])


def token_by_id(session: Session, token_id: str) -> EnrolToken | None:
    return session.execute(
        select(EnrolToken).where(EnrolToken.token_id == token_id)).scalar_one_or_none()


def use_token(session: Session, row_id: int) -> None:
    session.execute(update(EnrolToken).where(EnrolToken.id == row_id)
                    .values(uses=EnrolToken.uses + 1))


def add_code(session: Session, row: dict[str, Any]) -> None:
    session.execute(insert(table(EnrolCode)), [row])


def code_by_id(session: Session, code_id: str) -> EnrolCode | None:
    return session.execute(
        select(EnrolCode).where(EnrolCode.code_id == code_id)).scalar_one_or_none()


def use_code(session: Session, row_id: int) -> None:
    session.execute(update(EnrolCode).where(EnrolCode.id == row_id).values(used=True))


def add_code_try(session: Session, code_id: str) -> None:
    session.execute(update(EnrolCode).where(EnrolCode.code_id == code_id)
                    .values(tries=EnrolCode.tries + 1))


def nonce_used(session: Session, nonce_hex: str) -> bool:
    found = session.execute(select(EnrolRequest.id).where(EnrolRequest.nonce == nonce_hex))
    return found.first() is not None


def add_request(session: Session, row: dict[str, Any]) -> None:
    session.execute(insert(table(EnrolRequest)), [row])


def request_by_id(session: Session, request_id: str) -> EnrolRequest | None:
    return session.execute(select(EnrolRequest).where(
        EnrolRequest.request_id == request_id)).scalar_one_or_none()


def decide(session: Session, request_id: str, state: str, when: datetime, who: str,
           certificate: bytes | None) -> None:
    session.execute(update(EnrolRequest).where(EnrolRequest.request_id == request_id).values(
        state=state, decided_at=when, decided_by=who, certificate=certificate))


def pending(session: Session) -> list[tuple[EnrolRequest, str | None]]:
    rows = session.execute(
        select(EnrolRequest, EnrolToken.label)
        .outerjoin(EnrolToken, EnrolToken.id == EnrolRequest.token_id)
        .where(EnrolRequest.state == "pending").order_by(EnrolRequest.created_at)).all()
    return [(request, label) for request, label in rows]


def known_hostnames(session: Session) -> set[str]:
    return set(session.execute(select(Device.hostname)).scalars())
