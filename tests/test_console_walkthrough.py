"""A newcomer's walk through the practice console, typed over stdin: every answer checked as it
is typed, previous answers kept as defaults, errors that say what to type, confirmations before
anything is thrown away, and a clock that survives a restart."""

from __future__ import annotations

from tests.test_cli import FIRST_HALF, SECOND_HALF, ypsi

REF = "YPSI-2026-0001"
TO_SHARING = "report\n1\n2\n2\n2\n15, 15\nAB\n"  # safety, no immediate risk, young people


def _between(text: str, start: str, end: str) -> str:
    return text.split(start, 1)[1].split(end, 1)[0]


def test_a_one_answer_question_takes_exactly_one_number(tmp_path):
    out = ypsi(["console"], tmp_path, TO_SHARING + "2\n1\n\n2,3\n2\nsave\nquit\n").stdout
    assert "  ! Type one number from 1 to 5: this question takes one answer." in out
    asked = out.split("Was the imagery sent or shared?")
    assert len(asked) == 3, "asked again, alone, after the refusal"


def test_each_field_is_checked_as_typed_and_asked_again_alone(tmp_path):
    out = ypsi(["console"], tmp_path, "report\n1\n2\ntwo\n2\n2\n15, 15\nAB\nsave\nquit\n").stdout
    step = _between(out, "== Young people involved ==", "== How it came to light")
    assert step.count("How many young people are involved?") == 2
    assert "  ! Please enter a whole number, like 2." in step
    assert step.count("Ages (tick all that apply)") == 1


def test_back_and_resume_show_the_answers_given_and_enter_keeps_them(tmp_path):
    out = ypsi(["console"], tmp_path, TO_SHARING + "back\n\n\n\n\nsave\nquit\n").stdout
    again = out.split("== Young people involved ==")[2]
    assert "How many young people are involved? [Enter: 2]:" in again
    assert "[Enter: 13 to 15]" in again and "[Enter: 15, 15]" in again and "[Enter: AB]" in again
    # Enter kept every answer: the next step is reached without a complaint.
    assert "== How it came to light and how it was shared ==" in again and "  ! " not in again


def test_cancel_asks_first_and_quit_keeps_the_draft(tmp_path):
    out = ypsi(["console"], tmp_path, TO_SHARING + "cancel\nno\nquit\n")
    assert out.returncode == 0
    assert "Discard this report and every answer in it? (yes / no): no" in out.stdout
    assert "Kept. Carrying on where you were." in out.stdout
    assert "Your report is saved: type `report` to carry on where you left it." in out.stdout
    resumed = ypsi(["console"], tmp_path, "report\nsave\nquit\n").stdout
    assert "Resuming your unfinished report at: How it came to light" in resumed
    gone = ypsi(["console"], tmp_path, "report\ncancel\nyes\nreport\nsave\nquit\n").stdout
    assert "Report discarded." in gone and gone.count("Resuming your unfinished report") == 1


def test_errors_say_what_is_wrong_and_what_to_type(tmp_path):
    script = FIRST_HALF + SECOND_HALF + "dsl\nack\nack YPSI-2026-9999\n"
    script += f"ack {REF}\nack {REF}\ndecide {REF} 99\ndecide {REF}\n42\n\nquit\n"
    out = ypsi(["console"], tmp_path, script).stdout
    assert "Type `ack` and the case reference, e.g. `ack YPSI-2026-0001`" in out
    assert "There is no case YPSI-2026-9999 in your academies: check the reference" in out
    assert f"{REF} is already yours. `open {REF}` shows what is due." in out
    assert f"There is no decision `99`. Possible now on {REF}: principal_informed" in out
    listed = _between(out, f"dsl> decide {REF}\n", "Which decision?")
    assert f"(`decide {REF} note`)" in listed and f"(`decide {REF} initial_review`)" in listed
    assert "  ! Type one number from 1 to" in out and "a key shown, or Enter for none." in out


def test_the_console_card_follows_the_case_as_the_slack_card_does(tmp_path):
    out = ypsi(["console"], tmp_path, FIRST_HALF + SECOND_HALF + f"dsl\nack {REF}\nquit\n").stdout
    sent = _between(out, "receives ---\n", "---\n")
    assert "| Urgency: Normal" in sent and "| [Acknowledge] [Open case]" in sent
    updated = _between(out, "receives as an update to the card ---\n", "---\n")
    assert "| Status: Acknowledged" in updated and "| [Open case]" in updated
    assert "[Acknowledge]" not in updated and "| Owner: <@U0DEMODSL00>" in updated


def test_the_practice_clock_survives_a_restart(tmp_path):
    first = ypsi(["console"], tmp_path, "clock +3d\nquit\n").stdout
    moved = _between(first, "It is now ", " (simulated)")
    again = ypsi(["console"], tmp_path, "clock\nquit\n").stdout
    assert _between(again, "It is now ", " (simulated)") == moved
