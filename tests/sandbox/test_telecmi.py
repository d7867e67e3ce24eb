"""The sandbox's TeleCMI API, over real HTTP on loopback."""

from __future__ import annotations

import json

import aiohttp
import pytest

from sandbox import samples, telecmi
from tests.conftest import SandboxServer


async def test_telecmi_refuses_a_wrong_secret(
    sandbox: SandboxServer, session: aiohttp.ClientSession
) -> None:
    body = {"user_id": "101_1111112", "secret": "wrong", "to": 919876543210}
    async with session.post(
        sandbox.url("/telecmi/v2/webrtc/click2call"), json=body
    ) as answer:
        assert answer.status == 404
        assert await answer.json() == {
            "code": 404,
            "msg": "Failed to authenticate secret",
        }


def test_telecmi_notifications_copy_the_documented_shapes() -> None:
    """Every notification has its sample's keys; a hangup event precedes each CDR."""
    plan = telecmi.notifications(
        "chub", "completed", 919876543210, "rid", (2.0, 6.0), "101_1111112"
    )
    event_keys = set(json.loads(samples.TELECMI_EVENT_A_STARTED))
    cdr_keys = set(json.loads(samples.TELECMI_CDR_B_ANSWERED))
    for _, label, body in plan:
        assert set(body) == (event_keys if body["type"] == "event" else cdr_keys)
        assert body["request_id"] == "rid"
        assert label.startswith(body["type"])
    times = [at for at, _, _ in plan]
    assert times == sorted(times) == [0, 1.0, 1.0, 2.0, 6.0, 6.0, 6.0, 6.0]
    labels = [label for _, label, _ in plan]
    assert labels.index("event b hangup") < labels.index("cdr b answered (sent_bye)")
    leg_b = {body["cmiuuid"] for _, _, body in plan if body["leg"] == "b"}
    leg_a = {body["cmiuuid"] for _, _, body in plan if body["leg"] == "a"}
    assert len(leg_a) == len(leg_b) == 1
    assert leg_a != leg_b
    assert {body["call_id"] for _, _, body in plan} == {plan[0][2]["call_id"]}
    cdr_b = plan[-2][2]
    assert (cdr_b["to"], cdr_b["answeredsec"]) == (919876543210, 4)
    assert plan[0][2]["to"] == "919876543210"  # events write it as text


@pytest.mark.parametrize(
    ("ending", "reason"),
    [("busy", "busy"), ("cancelled", "sent_bye"), ("failed", "failed")],
)
def test_telecmi_missed_leg_b(ending: str, reason: str) -> None:
    plan = telecmi.notifications("chub", ending, 1, "rid", (2.0, 6.0), "101_1111112")
    *_, (_, label, cdr_b), (_, _, cdr_a) = plan
    assert label == f"cdr b missed ({reason})"
    assert cdr_b["status"] == "missed"
    assert "answeredsec" not in cdr_b
    assert "filename" not in cdr_b
    assert (cdr_a["status"], cdr_a["answeredsec"]) == ("answered", 5)


def test_telecmi_older_format_has_no_request_id_and_no_legs_in_its_record() -> None:
    answered = telecmi.notifications(
        "chub-india", "completed", 9100000000, "r", (2, 6), "101_1111112"
    )
    missed = telecmi.notifications(
        "chub-india", "no_answer", 9100000000, "r", (2, 6), "101_1111112"
    )
    for plan in (answered, missed):
        (_, _, event), (at, _, record) = plan
        assert set(event) == set(json.loads(samples.TELECMI_INDIA_EVENT))
        assert "request_id" not in record
        assert "leg" not in record
        assert at == 6
        assert event["to"] == record["to"] == 9100000000
    assert answered[1][2]["answeredsec"] == 4
    assert missed[1][2]["status"] == "missed"
    assert "answeredsec" not in missed[1][2]
