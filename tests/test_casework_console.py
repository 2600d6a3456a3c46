"""The DSL's commands in the practice console, typed over stdin as a person would."""

from __future__ import annotations

from datetime import date, timedelta

from tests.test_cli import FIRST_HALF, SECOND_HALF, ypsi

REF = "YPSI-2026-0001"


def case_study_a_as_typed() -> str:
    """Case study A at the console: report, then the DSL takes it to closed (Enter takes defaults)."""
    deadline = (date.today() + timedelta(days=7)).isoformat()
    return "".join(
        [
            FIRST_HALF,
            SECOND_HALF,
            "open ypsi-2026-0001\n",
            "dsl\n",
            f"ack {REF}\n",
            f"decide {REF} initial_review\n\nDSL, form tutor\nNo wider concerns\n\n\n",
            f"decide {REF}\n",
            "0\n\n",  # not a decision on the list: asked again; Enter records nothing
            f"decide {REF} managed_in_school\n2\n\nNo aggravating features\nAdvise both, tell parents\n",
            "\n\n\n",  # the Principal, when agreed, others consulted: Enter takes the defaults
            f"close {REF}\n",
            f"decide {REF} principal_informed\n\n\n",
            # interview held: when, by whom (the DSL), as the DSL; then the risk questions
            f"decide {REF} further_review\n1\n{date.today()}\nU0DEMODSL00\n1\n",
            "Asked\nTo him only\nNo\nWorried\nNone\nYes\nNo\n2\n1\n\n",
            f"decide {REF} parents_informed\n\n\n1\n\n",
            f"decide {REF} deletion_requested\n{deadline}\nPupil B\n\n",
            f"decide {REF} deletion_confirmed\n1\n\n",
            f"close {REF}\nPlan followed\nTutor check-ins\nNone new\n",
            f"open {REF}\n",
            "cases\n",
            "teacher\nstatus\nquit\n",
        ]
    )


def test_dsl_takes_case_study_a_to_closed_at_the_console(tmp_path):
    out = ypsi(["console"], tmp_path, case_study_a_as_typed())
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "Only the DSL team can do that: type `dsl`" in text.split("dsl> ")[0]
    assert "The member of staff who reported it is told privately: A DSL has picked up your report" in text
    assert "Recorded: Initial review meeting. Status: Initial review." in text
    assert "Recorded: Not referred: managed in school. Status: Managed in school." in text
    refused = text.split(f"dsl> close {REF}\n")[1].split("dsl> ")[0]
    assert "That is not possible at this stage of the case." in refused
    assert "  - record the parents/carers decision" in refused and "referral decision" not in refused
    assert "Then: Deletion confirmed for every young person." in text
    assert "Recorded: Close the case. Status: Closed." in text
    record = text.split(f"dsl> open {REF}\n")[1].split("dsl> ")[0]
    assert "Confirmed category: Experimental: romantic" in record
    assert "Who attended (names and roles): DSL, form tutor" in record
    assert "Deletion: Pupil B" in record and "confirmed" in record
    timeline = record.split("-- Timeline --")[1].split("-- Due next --")[0].splitlines()
    assert [line.split("  ", 2)[2] for line in timeline if line.strip()][:12] == [
        "Case created",
        "Report sent to the DSL team",
        "Access refused",
        "Acknowledge  (reported -> acknowledged)",
        "Initial review meeting  (acknowledged -> in_review)",
        "Not referred: managed in school  (in_review -> managed_in_school)",
        "Principal informed",
        "Further review and risk assessment",
        "Parents/carers informed  (managed_in_school -> parents_decided)",
        "Deletion requested  (parents_decided -> deletion_requested)",
        "Deletion confirmed",
        "Deletion confirmed for every young person  (deletion_requested -> deletion_confirmed)",
    ]
    assert "dsl> cases\nNo open cases." in text
    assert f"{REF}  Closed by the DSL team" in text.split("teacher> status\n")[1]


def test_console_decision_errors_are_clear_and_cancel_records_nothing(tmp_path):
    script = "".join(
        [
            FIRST_HALF,
            SECOND_HALF,
            "dsl\n",
            f"decide {REF} referred\n",
            f"ack {REF}\n",
            # A date in the future is refused as typed and asked again alone; Enter takes now.
            f"decide {REF} referred\n1\nFR-1\n31/12/2099 10:00\n\n\nRisk of harm\n\n\n\n",
            f"decide {REF} note\ncancel\n",
            f"decide {REF} frobnicate\n",
            "quit\n",
        ]
    )
    out = ypsi(["console"], tmp_path, script)
    assert out.returncode == 0, out.stderr
    assert "That is not possible at this stage of the case." in out.stdout
    asked = out.stdout.split("Date and time of the referral")
    assert len(asked) == 3 and asked[1].endswith("10:00\n  ! That date is in the future.\n")
    assert "Recorded: Referral made. Status: Referred." in out.stdout
    assert "Nothing recorded." in out.stdout and "There is no decision `frobnicate`" in out.stdout


def test_the_console_offers_a_referral_during_deletion_and_then_deletion_only_with_agreement(tmp_path):
    deadline = (date.today() + timedelta(days=7)).isoformat()
    script = "".join(
        [
            FIRST_HALF,
            SECOND_HALF,
            "dsl\n",
            f"ack {REF}\n",
            f"decide {REF} initial_review\n\nDSL\nNo wider concerns\n\n\n",
            f"decide {REF} managed_in_school\n2\n\nNo aggravating features\nAdvise both\n\n\n\n",
            f"decide {REF} parents_informed\n\n\n1\n\n",
            f"decide {REF} deletion_requested\n{deadline}\nPupil B\n\n",
            f"decide {REF} referred\n2\nMASH-1\n\n\nNew concern of harm\n\n\n\n",
            f"open {REF}\n",
            f"decide {REF}\n\n",
            "quit\n",
        ]
    )
    out = ypsi(["console"], tmp_path, script)
    assert out.returncode == 0, out.stderr
    assert "Recorded: Referral made. Status: Parents decision recorded." in out.stdout
    record = out.stdout.split(f"dsl> open {REF}\n")[1].split("dsl> ")[0]
    assert "Ask the police or children's social care whether the imagery may be deleted" in record
    assert "Send the written referral (MARF) by" in record
    menu = out.stdout.split(f"dsl> decide {REF}\n")[-1]
    assert (
        "Asked the agencies about deletion" in menu
        and "Deletion requested (agreed with the agencies)" in menu
    )
    assert "Deletion requested\n" not in menu


def test_policy_records_principal_notice_and_contacts_at_the_console(tmp_path):
    today = date.today().isoformat()
    script = "".join(
        [
            FIRST_HALF,
            SECOND_HALF,
            "dsl\n",
            f"ack {REF}\n",
            # viewing: reason, distress, decided by, viewed by, delegated by, same sex, why, present,
            # where, why not on premises, when, what was done, not copied; first without the why
            f"decide {REF} viewing\n3\n1\n\n\nU0DEMOPRN00\n2\n\nU0DEMODEP00\n1\n\n",
            f"{today} 09:00\nSecured\n1\n",
            "\nNo male DSL in school\n",  # asked again: the same-sex answer (Enter keeps it) and why
            # device search: authorised by, searched by, authority confirmed, when, outcome, agreed, notes
            f"decide {REF} device_search\n\n\n\n\n3\n\n\n",
            "\n1\n",  # asked again: who searched (Enter keeps it) and the authority confirmed
            f"decide {REF} initial_review\n\nDSL\nSeen as intent to harm\n2\nShared to hurt\n",
            f"decide {REF} referred\ncancel\n",
            f"open {REF}\n",
            "quit\n",
        ]
    )
    out = ypsi(["console"], tmp_path, script)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "  ! Why it was not possible: Say why it was not possible." in text
    assert "Recorded: Record of viewing imagery. Status: Acknowledged." in text
    not_principal = "Not the Principal: confirm below that they hold the Principal's formal authorisation."
    assert f"  ! Searched by: {not_principal}" in text
    assert "Recorded: Device searched. Status: Acknowledged." in text
    review = text.split(f"dsl> decide {REF} initial_review")[1].split("dsl> ")[0]
    assert "--- the Principal <@U0DEMOPRN00> receives by direct message ---" in review
    assert "SENTINEL" not in review.split("receives by direct message")[1]
    assert text.count("receives by direct message") == 1
    referral = text.split(f"dsl> decide {REF} referred")[1].split("dsl> ")[0]
    assert "Contacts for this step:" in referral
    assert (
        "  - Stoke-on-Trent Safeguarding Referral Team: 01782 235100, SRT.Referrals@stoke.gov.uk" in referral
    )
    record = text.split(f"dsl> open {REF}\n")[1]
    assert (
        "   If the viewer is not a DSL or deputy: who delegated authority (the Principal): "
        "U0DEMOPRN00 (Principal)" in record
    )
    assert "   Outcome: Returned to the young person" in record
    assert "-- Contacts at hand --" in record and "07815 492613" in record
