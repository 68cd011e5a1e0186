"""The results store and review queue, against SQLite and a real PostgreSQL server.

PostgreSQL runs when ``CARD_READER_TEST_POSTGRES_URL`` names an empty database (``.ci/run`` installs,
starts and sets it up with ``.ci/postgres.sh``); without it those cases are skipped.
"""

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from card_reader.cli import main
from card_reader.errors import CardNotStored, InvalidDecision
from card_reader.models import CardFailure, CardResult, FieldReading, Flag, PayerResult, Severity
from card_reader.store import ResultStore, metadata

POSTGRES = os.environ.get("CARD_READER_TEST_POSTGRES_URL")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    if not POSTGRES:
        pytest.skip("CARD_READER_TEST_POSTGRES_URL is not set (.ci/postgres.sh sets up a server)")
    yield POSTGRES
    engine = create_engine(POSTGRES.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as db:  # each test starts from an empty database
        db.execute(text("DROP TABLE IF EXISTS decisions, results, runs, alembic_version CASCADE"))
    engine.dispose()


@pytest.fixture
def store(db_url):
    with ResultStore(db_url) as opened:
        yield opened


def result(member_id="912345678", *flags: Severity, payer="uhc") -> CardResult:
    return CardResult(payer=PayerResult(id=payer, name=payer.upper(), confidence=1.0),
                      fields={"member_id": FieldReading(value=member_id, confidence=0.9, side="front", raw=member_id)},
                      flags=[Flag(code=f"flag_{s.value}", severity=s, message="m") for s in flags],
                      needs_review=any(s != Severity.INFO for s in flags))


def add(store, card_id, outcome, fingerprint="f1", templates="t1", run_id=None):
    return store.add(card_id, outcome, input_fingerprint=fingerprint, templates_version=templates,
                     engine_version="e1", run_id=run_id)


def test_the_migrated_schema_is_the_models_schema(store):
    """Alembic's migrations and the table definitions the code uses never drift apart."""
    with store.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), metadata) == []


def test_opening_again_migrates_nothing_and_keeps_the_rows(db_url):
    with ResultStore(db_url) as first:
        add(first, "a", result())
    with ResultStore(db_url) as second:
        assert second.count() == 1


def test_one_result_per_card_input_and_versions(store):
    assert add(store, "a", result()) is not None
    assert add(store, "a", result()) is None  # a resumed batch or a second worker: not counted twice
    assert add(store, "a", result(), fingerprint="f2") is not None  # the photo changed
    assert add(store, "a", result(), templates="t2") is not None  # the templates changed
    assert store.count() == 3 and [r.input_fingerprint for r in store.history("a")] == ["f1", "f2", "f1"]
    assert store.current_keys("t1", "e1") == {("a", "f1"), ("a", "f2")}


def test_review_queue_is_the_latest_results_needing_review_most_severe_first(store):
    add(store, "warned", result("1", Severity.WARNING))
    add(store, "fine", result("2", Severity.INFO))
    add(store, "wrong", result("3", Severity.ERROR, Severity.WARNING))
    add(store, "broken", CardFailure(case="broken", error="image_truncated", message="cut short"))
    add(store, "fixed", result("4", Severity.ERROR))
    add(store, "fixed", result("4"), fingerprint="f2")  # read again: fine now
    assert [r.card_id for r in store.review_queue()] == ["broken", "wrong", "warned"]


def test_a_decision_takes_a_card_off_the_queue_and_nothing_is_overwritten(store):
    add(store, "a", result("1", Severity.ERROR))
    first = store.decide("a", decided_by="sam", action="correct", corrections={"member_id": "912345679"},
                         note="typed one digit off")
    assert store.review_queue() == []
    second = store.decide("a", decided_by="lee", action="accept")
    assert [(d.id, d.decided_by, d.action) for d in store.decisions("a")] == [
        (first.id, "sam", "correct"), (second.id, "lee", "accept")]
    assert store.decisions("a")[0].corrections == {"member_id": "912345679"}
    # read again (a template change) and still wrong: back on the queue, the old decisions kept
    add(store, "a", result("1", Severity.ERROR), templates="t2")
    assert [r.card_id for r in store.review_queue()] == ["a"] and len(store.decisions("a")) == 2
    assert len(store.history("a")) == 2


def test_bad_decisions_and_unknown_cards_are_typed_errors(store):
    add(store, "a", result("1", Severity.ERROR))
    with pytest.raises(InvalidDecision):
        store.decide("a", decided_by="sam", action="correct")
    with pytest.raises(CardNotStored):
        store.decide("nobody", decided_by="sam", action="accept")


def test_changed_since_previous_lists_what_a_template_change_changed(store):
    run1 = store.start_run("cards", "t1", "e1")
    for card_id, member in (("same", "1"), ("moved", "2")):
        add(store, card_id, result(member), run_id=run1)
    run2 = store.start_run("cards", "t2", "e1")
    add(store, "same", result("1"), templates="t2", run_id=run2)
    add(store, "moved", result("22", Severity.WARNING), templates="t2", run_id=run2)
    add(store, "new", result("3"), templates="t2", run_id=run2)
    changed = {new.card_id: previous for new, previous in store.changed_since_previous(run2)}
    assert set(changed) == {"moved", "new"} and changed["new"] is None
    assert changed["moved"].summary == ("uhc", "2", None, False)


def test_review_commands(db_url, capsys):
    with ResultStore(db_url) as store:
        add(store, "card-7", result("912345678", Severity.ERROR))
    assert main(["review", "--db", db_url, "list"]) == 0
    assert "card-7" in capsys.readouterr().out
    assert main(["review", "--db", db_url, "show", "card-7"]) == 0
    assert "912345678" in capsys.readouterr().out  # staff see the member ID in full here
    assert main(["review", "--db", db_url, "resolve", "card-7", "--correct", "member_id=912345679",
                 "--note", "checked the photo", "--by", "sam"]) == 0
    assert main(["review", "--db", db_url, "resolve", "card-7", "--correct", "member_id"]) == 2
    assert main(["review", "--db", db_url, "resolve", "missing", "--accept"]) == 7
    capsys.readouterr()
    assert main(["review", "--db", db_url, "list"]) == 0
    assert "card-7" not in capsys.readouterr().out
    with ResultStore(db_url) as store:
        [decision] = store.decisions("card-7")
    assert (decision.decided_by, decision.note, decision.corrections) == ("sam", "checked the photo",
                                                                            {"member_id": "912345679"})


def test_an_unreachable_store_is_a_typed_error(tmp_path):
    from card_reader.errors import StoreUnreachable

    with pytest.raises(StoreUnreachable) as caught:
        ResultStore("postgresql://someone:secret@127.0.0.1:9/none")
    assert "secret" not in str(caught.value)
