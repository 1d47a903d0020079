"""``agenttui slots``: holder, since, lease, queue and ETA as text and JSON; release and hand
over by hand; clear errors for what cannot be done."""

from __future__ import annotations

import json
import time

from tests.support.cli import agenttui, agenttui_result
from tests.support.environment import write_config
from workflows.runs.run_store import RunStore
from workflows.runs.slots.book import SlotBook

CONFIG = """
[slots.staging]
deploy = "./deploy-staging.sh {branch}"
url = "https://staging.example.invalid/"
lease = 600
"""


def test_slots_reports_holder_queue_and_lease_and_people_can_release_or_hand_over() -> None:
    assert agenttui("slots").stdout.startswith("no slots: add a [slots.NAME]")
    write_config(CONFIG)
    runs = RunStore()
    first, second, third = (runs.create("w", {"steps": []}, [f"ENG-{n}"], {}).id for n in (1, 2, 3))
    book = SlotBook()
    now = time.time()
    assert book.acquire("staging", first, lease=600, now=now - 30)
    book.mark_deployed("staging", first, "0123456789abcdef")
    assert not book.acquire("staging", second, lease=600, now=now - 20)
    assert not book.acquire("staging", third, lease=600, now=now - 10)

    (slot,) = json.loads(agenttui("slots", "--json").stdout)
    (holder,) = slot["holders"]
    assert holder["run"] == first and holder["deployed"] == "0123456789abcdef"
    assert 29 <= holder["held_for"] <= 60 and 540 <= holder["lease_left"] <= 571
    assert [(w["run"], w["position"]) for w in slot["queue"]] == [(second, 1), (third, 2)]
    assert slot["url"] == "https://staging.example.invalid/" and slot["lease"] == 600
    text = agenttui("slots").stdout
    assert f"staging: {first} since 3" in text and "0123456789 deployed" in text
    assert f"1. {second} waiting" in text and "ETA unknown" in text

    handed = json.loads(agenttui("slots", "hand-over", "staging", third, "--json").stdout)
    assert handed == {"slot": "staging", "holder": third, "displaced": [first]}
    (slot,) = json.loads(agenttui("slots", "--json").stdout)
    assert [h["run"] for h in slot["holders"]] == [third]
    assert [w["run"] for w in slot["queue"]] == [second]
    assert slot["mean_hold"] is not None  # the first hold ended: ETAs now have a base
    assert slot["queue"][0]["eta"] is not None

    assert agenttui("slots", "release", "staging").stdout.strip() == f"staging: released ({third})"
    assert json.loads(agenttui("slots", "--json").stdout)[0]["holders"] == []


def test_slot_verbs_refuse_what_cannot_be_done_without_a_traceback() -> None:
    write_config(CONFIG)
    run = RunStore().create("w", {"steps": []}, ["ENG-1"], {}).id
    for args, said in (
        (("slots", "release", "qa"), "no slot 'qa': add a [slots.qa] table"),
        (("slots", "hand-over", "staging", run), f"run {run} is not waiting for staging"),
        (("slots", "hand-over", "staging"), "usage: agenttui slots hand-over NAME RUN"),
        (("slots", "release", "staging", run), f"run {run} does not hold staging"),
    ):
        result = agenttui_result(*args)
        assert result.returncode != 0 and said in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
    write_config('[slots.staging]\ndeploy = "x"\nlease = -1\n')
    result = agenttui_result("slots")
    assert (
        result.returncode != 0 and "config.toml:3: [slots.staging] lease must be" in result.stderr
    )
