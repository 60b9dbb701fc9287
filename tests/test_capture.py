"""Action capture: which messages are actions, their owners, due dates, titles and numbers.

Cases are written the way partnership minutes are, with
the fictional Westshire people. Owners are written "p:HN" (person), "g:health"
(group), "a:police" (agency) and "all"; questions "?SM" (ambiguous) and "!TM"
(unknown).
"""

from __future__ import annotations

import io
import json
from datetime import date, datetime
from pathlib import Path

import pytest
from capture_fixtures import (
    FRI,
    NEXT,
    NORTHMARCH,
    NORTHMARCH_ACTIONS,
    NOV,
    SEPT,
    at,
    example_cases,
    northmarch,
    westshire,
    westshire_plus,
)
from conftest import Chat
from sqlalchemy import func, select

from handlers.capture import Capture, capture_action, may_capture
from handlers.capture_preview import as_capture, compose_capture
from handlers.names import Ambiguous, Owner, Unknown
from handlers.parse_jsonl import answer, run
from storage.models import Action, ActionUpdate, PendingQuestion, Person
from storage.roster import PersonRef, Roster

ROSTER = westshire()
PLUS = westshire_plus()
KIND = {"p": "person", "g": "group", "a": "agency"}


def cap(
    text: str,
    sent: datetime = FRI,
    next_meeting: date | None = NEXT,
    series: str | None = "board",
    roster: Roster = ROSTER,
) -> Capture:
    return capture_action(text, roster, series=series, sent_at=sent, next_meeting=next_meeting)


def owners(spec: str) -> tuple[Owner, ...]:
    out = []
    for item in spec.split():
        if item == "all":
            out.append(Owner("all"))
        else:
            kind, _, ident = item.partition(":")
            out.append(Owner(KIND[kind], ident))
    return tuple(out)


def questions(c: Capture) -> str:
    return " ".join(("?" if isinstance(q, Ambiguous) else "!") + q.text for q in c.questions)


# --- the worked examples ------------------------------------------------------------------------


def _norm_owners(items: list[dict[str, str]] | None) -> set[tuple[str, str | None]]:
    return {(o["kind"], None if o["kind"] == "all" else o["id"].lower()) for o in items or []}


def test_worked_examples_all_right() -> None:
    """The 22 cases of capture-examples.jsonl, scored the way score_capture.py scores them."""
    cases = example_cases()
    misses = []
    for n, case in enumerate(cases, start=1):
        item, want = case["input"], case["expect"]
        got = answer(
            capture_action(
                item["text"],
                ROSTER,
                series=item["series"],
                sent_at=datetime.fromisoformat(item["sent_at"]),
                next_meeting=date.fromisoformat(item["next_meeting"]),
            )
        )
        if got["is_action"] != want["is_action"]:
            misses.append(f"{n} is_action")
        if want["is_action"]:
            if _norm_owners(got["owners"]) != _norm_owners(want["owners"]):
                misses.append(f"{n} owners {got['owners']}")
            wanted = want["due"] if isinstance(want["due"], list) else [want["due"]]
            if got["due"] not in wanted:
                misses.append(f"{n} due {got['due']}")
            if got["due_kind"] != want["due_kind"]:
                misses.append(f"{n} due_kind {got['due_kind']}")
    assert len(cases) == 22
    assert misses == []


# --- actions ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "owner_spec", "due", "kind"),
    [
        # prefixes
        (
            "Action: SMa/PMw to invite the performance lead to the next meeting.",
            "p:SMa p:PMw",
            "2024-03-15",
            "next_meeting",
        ),
        ("ACTION - TR to share the Operation Encompass figures by 2/2/24", "p:TR", "2024-02-02", "date"),
        ("Chair's action: TR to sign off the threshold document by 2/2/24", "p:TR", "2024-02-02", "date"),
        (
            "ACTION: MT to invite the training lead to present at the next meeting.",
            "p:MT",
            "2024-03-15",
            "next_meeting",
        ),
        (
            "Action – Police colleagues to share the missing children data before the next meeting.",
            "a:police",
            "2024-03-15",
            "next_meeting",
        ),
        (
            "Action 14. BL to investigate whether partners can receive updates when documents are uploaded.",
            "p:BLl",
            None,
            None,
        ),
        (
            "Action 22. All partners to confirm at the next meeting that their agencies have completed the "
            "survey. Business Unit to resend the survey with a deadline for completion on the 8th of March "
            "2024.",
            "all",
            "2024-03-15",
            "next_meeting",
        ),
        ("Action 24. Partners to put their summaries into a slide or an e-mail.", "all", None, None),
        (
            "Action 9. Agencies to provide feedback on the usage of the Neglect Screening Tool.",
            "all",
            None,
            None,
        ),
        (
            "Action 7. WSCP Business Unit to raise the inconsistent attendance from health at triage.",
            "g:business-unit",
            None,
            None,
        ),
        (
            "Action 11. The Business Unit to ensure that agencies are listed in the Terms of Reference.",
            "g:business-unit",
            None,
            None,
        ),
        ("- Action: RB to circulate the slides to all members by Wednesday.", "p:RB", "2024-01-24", "date"),
        ("**Action:** HN to update the attendance tracker by 02/02/24.", "p:HN", "2024-02-02", "date"),
        ("3.2 Action: TT to share the audit findings in two weeks' time.", "p:TT", "2024-02-02", "date"),
        ("action: kb to send the data by fri", "p:KB", "2024-01-26", "date"),
        (
            "Action point 4: DA to write to the Chief Constable by the end of next week.",
            "p:DA",
            "2024-01-26",
            "date",
        ),
        (
            "New action: LE to confirm health representation at strategy meetings by 31/01/2024.",
            "p:LE",
            "2024-01-31",
            "date",
        ),
        (
            "Actions: WB to draft the domestic abuse briefing by 23 February 2024.",
            "p:WB",
            "2024-02-23",
            "date",
        ),
        ("ACTION: HN TO CIRCULATE THE SLIDES BY FRIDAY", "p:HN", "2024-01-26", "date"),
        # owners: several, roles, groups, names, mentions
        (
            "Action 23. SMa, BLl and DA to discuss moving the training into Early Help.",
            "p:SMa p:BLl p:DA",
            None,
            None,
        ),
        (
            "Action: KB and CG to agree the joint protocol on knife crime referrals within a month.",
            "p:KB p:CG",
            "2024-02-19",
            "date",
        ),
        (
            "LE/TT/SC to review the health triage pathway within six weeks.",
            "p:LE p:TT p:SC",
            "2024-03-01",
            "date",
        ),
        (
            "Action: SMa & PMw to invite the analyst to the next meeting.",
            "p:SMa p:PMw",
            "2024-03-15",
            "next_meeting",
        ),
        (
            "Action: Chair to write to the Executive about the data-sharing gap by 14/06/24.",
            "p:MT",
            "2024-06-14",
            "date",
        ),
        (
            "Action: Vice Chair to chase the ICB for the Section 11 return by end of next week.",
            "p:TR",
            "2024-01-26",
            "date",
        ),
        (
            "Action: Minute taker to circulate the draft minutes within 10 working days.",
            "p:PMw",
            "2024-02-02",
            "date",
        ),
        (
            "Action: the Chair and the Business Manager to meet the Independent Scrutineer within two weeks.",
            "p:MT p:RB",
            "2024-02-02",
            "date",
        ),
        ("Action: Business Unit/Chair to agree the agenda.", "g:business-unit p:MT", None, None),
        ("Action: LSCP Business Manager to circulate the escalation policy.", "p:RB", None, None),
        ("Action: Executive chair to brief the Lead Safeguarding Partners.", "p:DA", None, None),
        (
            "Action: Health colleagues to confirm GP attendance at strategy meetings by the end of February.",
            "g:health",
            "2024-02-29",
            "date",
        ),
        (
            "Health partners and Education colleagues to agree a joint approach by the end of the month.",
            "g:health g:education",
            "2024-01-31",
            "date",
        ),
        (
            "Action: Education colleagues to follow up the single point of failure as soon as possible.",
            "g:education",
            None,
            None,
        ),
        (
            "Business Unit to resend the survey with a deadline for completion on the 9th of February 2024.",
            "g:business-unit",
            "2024-02-09",
            "date",
        ),
        (
            "The Business Unit to circulate the papers no later than 8 March 2024.",
            "g:business-unit",
            "2024-03-08",
            "date",
        ),
        ("Police to provide the figures by 31st July", "a:police", "2024-07-31", "date"),
        ("Action: the ICB to confirm the funding by 1 April.", "a:icb", "2024-04-01", "date"),
        ("Action: All to offer any feedback or suggestions to MT.", "all", None, None),
        (
            "All to read the Working Together document before the next meeting.",
            "all",
            "2024-03-15",
            "next_meeting",
        ),
        (
            "Members to send any comments on the draft strategy to RB by 9 February.",
            "all",
            "2024-02-09",
            "date",
        ),
        ("Action: Everyone to complete the training survey.", "all", None, None),
        (
            "Action: Rhian Bowen to book the venue for the neglect spotlight session by next Friday.",
            "p:RB",
            "2024-01-26",
            "date",
        ),
        ("Action: Samir to share the CHAT data with the group after the meeting.", "p:SMa", None, None),
        (
            "Action: @Lowri Evans to send the revised triage pathway to members tomorrow.",
            "p:LE",
            "2024-01-20",
            "date",
        ),
        ("Action: <@U07SAMIRM1> to share the dashboard link by tomorrow.", "p:SMa", "2024-01-20", "date"),
        ("Action: Dr Lowri Evans to confirm the GP audit date.", "p:LE", None, None),
        (
            "Action: Designated Nurse to provide the GP audit results by the end of March.",
            "p:LE",
            "2024-03-31",
            "date",
        ),
        ("Action: sma to send the slides", "p:SMa", None, None),
        ("Action: PM to circulate the minutes within 5 working days.", "p:PMw", "2024-01-26", "date"),
        ("hn to send the slides by friday", "p:HN", "2024-01-26", "date"),
        ("1. HN to circulate the slides by Friday.", "p:HN", "2024-01-26", "date"),
        ("• RB to book the venue by 1 March.", "p:RB", "2024-03-01", "date"),
        # deputies act for the member: the deputy owns it
        ("Action: CG for TR to provide the figures.", "p:CG", None, None),
        # supporters are not owners
        ("Action: HN with support from GP to review the guidance.", "p:HN", None, None),
        ("Action: HN, supported by GP, to review the guidance.", "p:HN", None, None),
        ("Action: HN (Education) to circulate the revised guidance by Friday.", "p:HN", "2024-01-26", "date"),
        # people named after the verb are not owners
        (
            "HN to inform MT by Monday the 29th of January 2024 why education colleagues are not attending.",
            "p:HN",
            "2024-01-29",
            "date",
        ),
        ("HN to check with RB whether the training dates have been confirmed.", "p:HN", None, None),
        ("MT to ask the performance lead to attend the next meeting.", "p:MT", "2024-03-15", "next_meeting"),
        (
            "Action - JK to share the permanent exclusions data with HN by 21.06.24",
            "p:JK",
            "2024-06-21",
            "date",
        ),
        ("WB to contact June Hughes about the DA conference.", "p:WB", None, None),
        # owners after the verb in passive minutes English
        (
            "Agreed: the revised protocol to be shared by the Business Manager by 3 May",
            "p:RB",
            "2024-05-03",
            "date",
        ),
        (
            "Agreed: the escalation policy to be reviewed by Health colleagues by the end of June.",
            "g:health",
            "2024-06-30",
            "date",
        ),
        (
            "Action: the terms of reference to be circulated by RB before the next meeting.",
            "p:RB",
            "2024-03-15",
            "next_meeting",
        ),
        (
            "Action: Task and finish group to be set up, led by HN, reporting by the end of April.",
            "p:HN",
            "2024-04-30",
            "date",
        ),
        (
            "The Board agreed that the policy will be reviewed by the Business Unit by June.",
            "g:business-unit",
            "2024-06-30",
            "date",
        ),
        ("The protocol to be shared by TR with all partners by 1/3/24.", "p:TR", "2024-03-01", "date"),
        (  # a hyphenated verb
            "Agreed: the threshold document to be re-issued by the Business Unit by 1/3/24",
            "g:business-unit",
            "2024-03-01",
            "date",
        ),
        # agreements and commitments
        (
            "It was agreed for SMa and DA to hold a multi-agency focus group with managers.",
            "p:SMa p:DA",
            None,
            None,
        ),
        ("It was agreed that HN would circulate the guidance by Friday.", "p:HN", "2024-01-26", "date"),
        (
            "Agreed: all partners to share their single agency audits at the next meeting.",
            "all",
            "2024-03-15",
            "next_meeting",
        ),
        ("Action: It was agreed that HN would lead the review.", "p:HN", None, None),
        ("HN agreed to circulate the slides by Friday.", "p:HN", "2024-01-26", "date"),
        ("SMa has agreed to share the CHAT data with the group after the meeting.", "p:SMa", None, None),
        (
            "The group agreed to review the terms of reference at the next meeting.",
            "all",
            "2024-03-15",
            "next_meeting",
        ),
        # owners marked at the side
        ("Action for RB: update the membership list by 14/02/24.", "p:RB", "2024-02-14", "date"),
        ("Action on RB to update the membership list by 14/02/24", "p:RB", "2024-02-14", "date"),
        ("Action for HN and LE to agree the data set", "p:HN p:LE", None, None),
        (
            "Action (All): review the risk register before the next meeting.",
            "all",
            "2024-03-15",
            "next_meeting",
        ),
        ("Action: update the risk register (RB)", "p:RB", None, None),
        ("Action: circulate the revised terms of reference to members - RB", "p:RB", None, None),
        ("Action: RB - update the tracker by Friday.", "p:RB", "2024-01-26", "date"),
        ("Action: Lead – RB; Due – 14/02/24", "p:RB", "2024-02-14", "date"),
        # a status first, then the action
        (
            "Action 6: Ongoing - HN to provide an update at the next meeting.",
            "p:HN",
            "2024-03-15",
            "next_meeting",
        ),
        # dates that are not due dates
        ("Action 5: JK to share the permanent exclusions data over the past six months.", "p:JK", None, None),
        (
            "Action: DA to seek a budget of £40,000 for the animation by 30th April.",
            "p:DA",
            "2024-04-30",
            "date",
        ),
        ("Action: TR to share the figures from 14.06.23 by next Wednesday.", "p:TR", "2024-01-24", "date"),
        ("Action: DA to provide an update at the February meeting.", "p:DA", None, None),
        ("Action: KB to confirm the remand numbers for Q3.", "p:KB", None, None),
        (
            "Action: OK to circulate the agenda 5 working days before the meeting.",
            "p:OK",
            "2024-03-08",
            "date",
        ),
        (
            "Action 17. TR to update the board on Operation Encompass on Weds 31st.",
            "p:TR",
            "2024-01-31",
            "date",
        ),
        ("Action: all partners to feed back comments to RB by 5pm Friday.", "all", "2024-01-26", "date"),
        ("Action: TT to email SC the audit tool by COB Thursday.", "p:TT", "2024-01-25", "date"),
        ("Action: JK to share the exclusions data by w/e 9th Feb.", "p:JK", "2024-02-09", "date"),
        (
            "Action: RB to send the survey link to all partners, for completion by 15/02/2024.",
            "p:RB",
            "2024-02-15",
            "date",
        ),
        (
            "Action: KB to provide a written update for the next meeting.",
            "p:KB",
            "2024-03-15",
            "next_meeting",
        ),
        (
            "Action: DA to look into this and feed back at the next Exec.",
            "p:DA",
            "2024-03-15",
            "next_meeting",
        ),
        ("Action: NF to confirm the probation lead for the MAPPA review (date TBC).", "p:NF", None, None),
        (
            "Action – DA/RB to arrange a development session for members in the new year.",
            "p:DA p:RB",
            None,
            None,
        ),
        ("Action: All agencies to ensure staff complete the e-learning by the end of Q4.", "all", None, None),
        ("Action: OK to re-circulate the slides from today's meeting.", "p:OK", None, None),
        ("Action: Youth Justice to share the remand figures.", "a:yjs", None, None),
        ("Actions: RB to update the risk register; MT to escalate to the Executive.", "p:RB", None, None),
        (
            "Action 29: Health colleagues to inform MT by Monday the 29th of January 2024 the reasons why.",
            "g:health",
            "2024-01-29",
            "date",
        ),
    ],
)
def test_actions(text: str, owner_spec: str, due: str | None, kind: str | None) -> None:
    c = cap(text)
    assert c.is_action, c
    assert c.owners == owners(owner_spec), c
    assert c.questions == (), c
    assert (c.due, c.due_kind) == (date.fromisoformat(due) if due else None, kind), c


@pytest.mark.parametrize(
    ("text", "owner_spec", "asked"),
    [
        ("Action: SM to check the figures with the ICB", "", "?SM"),
        (
            "Action 16. SM to investigate whether concerns around online harm are reaching "
            "Children's Services.",
            "",
            "?SM",
        ),
        ("Action: SM/MT to ask the analyst to pull all the data into one place.", "p:MT", "?SM"),
        ("ACTION: TM to invite the training lead to present at the next meeting.", "", "!TM"),
        ("Action 1. Ceri Holt to agree a timescale with the animator.", "", "!Ceri Holt"),
        ("Action 2. Jan Ridley and Joe Fenn to discuss the data set.", "", "!Jan Ridley !Joe Fenn"),
        ("Action 3. SHB to change the wording in the business plan.", "", "!SHB"),
        ("Action 30. AS to update MT on the new arrangements.", "", "!AS"),
        ("Schools to submit attendance data by 1/9", "", "!Schools"),
        ("Action: Head of Service to confirm the remand figures.", "", "?Head of Service"),
        (
            "WB and August Peters to present the DA findings at the December board meeting.",
            "p:WB",
            "!August Peters",
        ),
        ("Agreed: the policy to be ratified by the Executive.", "", "!the Executive"),
        ("Action: MT to invite the performance lead. TW to contact the school.", "p:MT", ""),
        ("The LADO to present the annual report at the next meeting.", "", "!The LADO"),
        ("The performance lead to attend the next meeting.", "", "!The performance lead"),
    ],
)
def test_owner_questions(text: str, owner_spec: str, asked: str) -> None:
    c = cap(text)
    assert c.is_action
    assert c.owners == owners(owner_spec)
    assert questions(c) == asked


def test_ambiguous_owner_is_a_question_never_a_guess() -> None:
    c = cap("Action: SM to check the figures with the ICB")
    assert c.questions == (Ambiguous("SM", ("SMa", "SMi")),)
    c = cap("Action: TW to contact the school by Friday.", roster=PLUS)
    assert c.questions == (Ambiguous("TW", ("TWa", "TWi")),)
    assert c.due == date(2024, 1, 26)


def test_people_named_like_months_are_people() -> None:
    c = cap("Action: June to share the audit by Friday.", roster=PLUS)
    assert c.owners == owners("p:JH") and c.due == date(2024, 1, 26)
    c = cap("Agreed: the audit to be shared by June.", roster=PLUS)
    assert c.owners == owners("p:JH") and c.due is None
    c = cap("WB to contact August Peters about the conference.", roster=PLUS)
    assert c.owners == owners("p:WB") and c.due is None


@pytest.mark.parametrize(
    "text",
    [
        "Action: to form a task and finish group",
        "Action 26. To form an urgent Task & Finish Group on local procedures, to be attended by HN, TT, "
        "SC and Lena Carr.",
        "Action 31. The reviewing of the Threshold document will be on the agenda for the next meeting.",
        "Action 32. Voice of the Child resources to be delayed until the next meeting of the group.",
        "Action 4. FD suggested getting the Neglect Screening tool onto the ICB agenda.",
        "Agreed: revised terms of reference to be circulated by 1/3/24.",
    ],
)
def test_actions_without_an_owner(text: str) -> None:
    c = cap(text)
    assert c.is_action
    assert c.owners == () and c.questions == ()


@pytest.mark.parametrize(
    "text",
    [
        "SMa updated that further conversations will be held with the training lead by 02/02/24.",
        "TM advised that the next follow-up meeting would be held on 26 September, at the council offices.",
        "MT confirmed that development officers from the Business Unit would author reports.",
        "SM requested all partners to read the Working Together document.",
        "SMa explained the figures around assessment and S47 enquiries.",
        "EL - one of the rapid reviews looked at GPs attending strategy meetings.",
        "HN will circulate the guidance by Friday.",
        "No further update. Action ongoing.",
        "No further updates.",
        "Action closed.",
        "Action ongoing.",
        "Action 6: Ongoing.",
        "Action 7: Complete. RB circulated the terms of reference.",
        "Action: No further update.",
        "Action 3 done",
        "Action 23 update: conversations with the training lead by 29/09/23",
        "RESOLVED: that the annual report be approved for publication.",
        "Resolved that the budget be approved.",
        "Decision: the board approved the budget.",
        "The minutes were agreed as an accurate record of the previous meeting.",
        "The minutes were then agreed to be an accurate representation of the previous meeting.",
        "Minutes of the last meeting agreed.",
        "The meeting was not quorate as police were not represented.",
        "Members agreed that the paper should be shared with schools.",
        "Agreed: the item to be deferred to the next meeting.",
        "Tom Carver to be invited for presentation of Power BI",
        "RB to be thanked for organising the event.",
        "Updates to be sent to RB by 1 March.",
        "Nothing to report.",
        "Nothing further to add.",
        "Thanks to all partners for their updates.",
        "Thank you to RB for organising the event.",
        "Dates to note: the conference is on 12 March.",
        "Happy to help with the audit.",
        "Reminder to all partners to complete the survey by Friday.",
        "Please send apologies to RB by Friday.",
        "Concerns were raised about the number of referrals to Compass.",
        "The next meeting will be held on 15 March 2024.",
        "3 partners to attend the conference.",
        "Next steps to be agreed at the development day.",
        "It was noted that RB will circulate the papers.",
        "It was agreed that this will be shared for all Board members to update.",
        "Partners who don't have a copy should ask SMa for one.",
        "The report to go to the Executive in March.",
        "A correction was made to the minutes: Page 6 Action 28: HN to inform MT by Monday 29 January.",
        "present MT LE SMa PMw",
        "apologies Tom Rees, Dev Anand",
        "CG for TR",
        "",
    ],
)
def test_not_actions(text: str) -> None:
    c = cap(text)
    assert not c.is_action, c
    assert c.owners == () and c.due is None and c.due_kind is None


@pytest.mark.parametrize(
    ("text", "title"),
    [
        (
            "Action: SMa/PMw to invite the performance lead to the next meeting to present the Power BI "
            "dashboard.",
            "invite the performance lead to the next meeting to present the Power BI dashboard",
        ),
        (
            "HN to inform MT by Monday the 29th of January 2024 why education colleagues are not attending.",
            "inform MT why education colleagues are not attending",
        ),
        (
            "Business Unit to resend the survey to the mailing list with a deadline for completion on the "
            "9th of February 2024.",
            "resend the survey to the mailing list",
        ),
        (
            "Action 23. SMa, BLl and DA to discuss the training and report back at the next meeting of the "
            "group.",
            "discuss the training and report back at the next meeting of the group",
        ),
        (
            "Action: TR to circulate the police protection protocol within 5 working days.",
            "circulate the police protection protocol",
        ),
        (
            "Action: @Lowri Evans to send the revised pathway to members tomorrow.",
            "send the revised pathway to members",
        ),
        ("SMi to confirm the named nurse before the next meeting.", "confirm the named nurse"),
        ("Action: to form a task and finish group", "form a task and finish group"),
        (
            "Agreed: the revised protocol to be shared by the Business Manager by 3 May",
            "the revised protocol to be shared",
        ),
        ("Action: update the risk register (RB)", "update the risk register"),
        (
            "Action: Education colleagues to follow it up as soon as possible.",
            "follow it up as soon as possible",
        ),
        (
            "Action: HN to send the paper to the board by Friday and present it.",
            "send the paper to the board and present it",
        ),
    ],
)
def test_titles(text: str, title: str) -> None:
    assert cap(text).title == title


def test_numbers_and_due_text() -> None:
    c = cap("Action 23. SMa to report back at the next meeting.")
    assert c.number == 23 and c.due_text == "at the next meeting"
    c = cap("Action 23: RB to send the slides by next Friday.")
    assert c.number == 23 and c.due_text == "by next Friday"
    assert cap("Action: RB to send the slides.").number is None


def test_next_meeting_without_a_known_date() -> None:
    c = cap("Action: MT to invite the training lead to the next meeting.", next_meeting=None)
    assert (c.due, c.due_kind) == (None, "next_meeting")


def test_roles_follow_the_series() -> None:
    assert cap("Action: Chair to write to the DfE.", series="exploitation").owners == owners("p:TR")
    assert cap("Action: Chair to write to the DfE.", series="executive").owners == owners("p:DA")
    c = cap("Action: Chair to write to the DfE.", series=None)
    assert c.is_action and c.owners == () and questions(c) == "!Chair"


def test_due_uses_the_message_time() -> None:
    c = cap(
        "Action: Minute taker to circulate the draft minutes within 10 working days.",
        sent=at("2024-06-04T14:30:00+01:00"),
        next_meeting=date(2024, 7, 30),
    )
    assert c.due == date(2024, 6, 18)
    c = cap("Action: KB to send the data tomorrow.", sent=at("2024-06-30T23:30:00+00:00"))
    assert c.due == date(2024, 7, 2)  # already 1 July in London


def test_answer_shape() -> None:
    got = answer(cap("Action: SMa/PMw to invite the performance lead to the next meeting."))
    assert got == {
        "is_action": True,
        "owners": [{"kind": "person", "id": "SMa"}, {"kind": "person", "id": "PMw"}],
        "due": "2024-03-15",
        "due_kind": "next_meeting",
        "title": "invite the performance lead to the next meeting",
    }
    got = answer(cap("Action: All to offer feedback to MT by Friday."))
    assert got["owners"] == [{"kind": "all"}] and got["due"] == "2024-01-26"
    got = answer(cap("No further update. Action ongoing."))
    assert got == {
        "is_action": False,
        "owners": None,
        "due": None,
        "due_kind": None,
        "title": "No further update. Action ongoing.",
        "update": "No further update.",
        "status": "ongoing",
    }


# --- the action lines of real minutes (Northmarch: the people renamed) ------------------------------------


def test_the_minutes_action_lines_through_parse(tmp_path: Path) -> None:
    """The 27 action lines of one meeting's minutes, read by `partnerbot parse` against their partnership.

    Owners the file does not hold come back unresolved, as typed, for the name rules to settle.
    """
    out, err = io.StringIO(), io.StringIO()
    assert run(str(NORTHMARCH), str(NORTHMARCH_ACTIONS), out, err) == 0, err.getvalue()
    got = [json.loads(line) for line in out.getvalue().splitlines()]
    cases = example_cases(NORTHMARCH_ACTIONS)
    assert len(cases) == len(got) == 27
    misses = []
    for case, answered in zip(cases, got, strict=True):
        want, text = case["expect"], case["input"]["text"][:50]
        unresolved = [u["text"] for u in answered.get("unresolved", [])]
        for key, value in (
            ("is_action", answered["is_action"]),
            ("owners", answered["owners"]),
            ("due", answered["due"]),
            ("due_kind", answered["due_kind"]),
            ("number", answered.get("number")),
            ("unresolved", unresolved),
            ("update", answered.get("update")),
            ("status", answered.get("status")),
            ("title", answered["title"]),
        ):
            if key in want and want[key] != value:
                misses.append(f"{text}: {key} {value!r}")
    assert misses == []


def test_a_full_name_not_in_the_file_is_the_owner_candidate() -> None:
    """The name as typed goes to the name rules; capture itself decides nothing about who it is."""
    text = "Action 1. Ceri Holt to agree timescale with animator for the animation for G family SCR."
    c = cap(text)
    assert c.is_action and c.number == 1 and c.owners == ()
    assert c.questions == (Unknown("Ceri Holt"),)
    assert c.title == "agree timescale with animator for the animation for G family SCR"
    assert answer(c)["unresolved"] == [{"text": "Ceri Holt", "kind": "unknown", "choices": []}]
    # Once the name resolves (a guest, or someone added to the file), it is simply the owner: no question.
    roster = westshire()
    roster.people["CH"] = PersonRef("CH", "Ceri Holt", "council", "Development Officer")
    c = cap(text, roster=roster)
    assert c.owners == owners("p:CH") and c.questions == ()


# --- an "Action:" starting mid-line ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "owner_spec", "due", "title", "context"),
    [
        (
            "FD suggested that we look at the cross-border cases. "
            "Action: LE to arrange a meeting with the leads",
            "p:LE",
            None,
            "arrange a meeting with the leads",
            "FD suggested that we look at the cross-border cases.",
        ),
        (
            "Discussion of the audit findings followed. ACTION – TR to share the figures by 2/2/24",
            "p:TR",
            "2024-02-02",
            "share the figures",
            "Discussion of the audit findings followed.",
        ),
        (
            "HN raised attendance at strategy meetings.\nAction: HN to write to the three schools by Friday",
            "p:HN",
            "2024-01-26",
            "write to the three schools",
            "HN raised attendance at strategy meetings.",
        ),
        # the sentence before is context: its dates and names are not the action's
        (
            "On 14/02/24 SMa said MT would look at it. Action: to arrange a meeting with the leads",
            "",
            None,
            "arrange a meeting with the leads",
            "On 14/02/24 SMa said MT would look at it.",
        ),
    ],
)
def test_an_action_starting_mid_line(
    text: str, owner_spec: str, due: str | None, title: str, context: str
) -> None:
    c = cap(text)
    assert c.is_action and c.owners == owners(owner_spec) and c.questions == ()
    assert c.due == (date.fromisoformat(due) if due else None)
    assert (c.title, c.context) == (title, context)
    assert text[c.offset :].startswith(("Action", "ACTION"))
    assert answer(c)["context"] == context


def test_a_numbered_action_mid_line_keeps_its_number() -> None:
    c = cap("The group noted the risk. Action 12: RB to update the register by the end of February.")
    assert (c.number, c.owners, c.due) == (12, owners("p:RB"), date(2024, 2, 29))
    assert c.action_text == "RB to update the register by the end of February."


@pytest.mark.parametrize(
    "text",
    [
        "We looked at the action plan. Actions were agreed at the last meeting.",
        "The tracker was reviewed. Action ongoing.",
        "Thanks for the update — for RB",
    ],
)
def test_not_actions_mid_line(text: str) -> None:
    assert not cap(text).is_action


@pytest.mark.parametrize(
    "text",
    [
        "Action: HN to write to the three schools by Friday",
        "2. Action for SMa: check the police figures",
        "- **Action** – RB to update the register",
        "Action 28 EH to inform TM of the outcome. Action ongoing.",
        "Agreed: HN to circulate the protocol",
        "It was also agreed that LE would arrange a meeting with the leads",
        "The board agreed that HN will write to the three schools by Friday",
        "FD suggested a review. Action: LE to arrange a meeting with the leads",
    ],
)
def test_lines_a_door_gives_the_core_unasked(text: str) -> None:
    assert may_capture(text)


@pytest.mark.parametrize(
    "text",
    [
        "Thanks all, see you next time",
        "HN raised attendance at strategy meetings.",
        "We looked at the action plan and it was good.",
        "I agreed with Lowri on that",
    ],
)
def test_chat_a_door_leaves_unread(text: str) -> None:
    assert not may_capture(text)


# --- owners named later in the sentence, or by "for" -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "owner_spec", "due", "title"),
    [
        (
            "Agreed that the Business Unit will circulate the report — for SMa",
            "p:SMa",
            None,
            "the Business Unit will circulate the report",
        ),
        (
            "To invite the performance lead to the next meeting (owner: SMa)",
            "p:SMa",
            "2024-03-15",
            "invite the performance lead to the next meeting",
        ),
        (
            "Action: invite the analyst to present the dashboard (owner: SMa/PMw)",
            "p:SMa p:PMw",
            None,
            "invite the analyst to present the dashboard",
        ),
        ("Action: review the risk register — for RB", "p:RB", None, "review the risk register"),
        ("Action: review the risk register; for RB", "p:RB", None, "review the risk register"),
        (
            "Action: circulate the revised terms of reference, RB to lead.",
            "p:RB",
            None,
            "circulate the revised terms of reference",
        ),
        (
            "Action: circulate the revised terms of reference (RB to lead)",
            "p:RB",
            None,
            "circulate the revised terms of reference",
        ),
        ("Action: circulate the audit summary (for HN)", "p:HN", None, "circulate the audit summary"),
        (
            "Action: the escalation policy to be taken forward by HN by end of October",
            "p:HN",
            "2024-10-31",
            "the escalation policy to be taken forward",
        ),
        # the owner marked after the task wins over the subject, whose words then stay in the title
        ("Action: HN to send the slides — for MT", "p:MT", None, "HN to send the slides"),
        ("Action: HN to send the slides (owner: HN)", "p:HN", None, "send the slides"),
        # a deputy acting for a member, and "for all partners" (who it is for), are not owner marks
        ("Action: CG to provide the figures (for TR)", "p:CG", None, "provide the figures (for TR)"),
        (
            "Action: RB to send the papers — for all partners",
            "p:RB",
            None,
            "send the papers — for all partners",
        ),
        ("Rhian Bowen to book the venue by 1 March", "p:RB", "2024-03-01", "book the venue"),
    ],
)
def test_owner_named_later_or_by_for(text: str, owner_spec: str, due: str | None, title: str) -> None:
    c = cap(text)
    assert c.is_action and c.owners == owners(owner_spec) and c.questions == (), c
    assert c.due == (date.fromisoformat(due) if due else None)
    assert c.title == title


def test_an_unknown_owner_marked_later_is_asked_about_as_typed() -> None:
    c = cap("Agreed that the Business Unit will circulate the report — for Ceri Holt")
    assert c.owners == () and c.questions == (Unknown("Ceri Holt"),)
    assert c.title == "the Business Unit will circulate the report"


# --- several owners, groups and the due phrases of the minutes ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "owner_spec", "due", "kind"),
    [
        (
            "Action: SMa and PMw to invite the analyst by the next meeting",
            "p:SMa p:PMw",
            "2023-11-20",
            "next_meeting",
        ),
        ("Action: SMa & PMw to invite the analyst by 29/09/23", "p:SMa p:PMw", "2023-09-29", "date"),
        (
            "Action: SMa/PMw/HN to agree the data set by end of October",
            "p:SMa p:PMw p:HN",
            "2023-10-31",
            "date",
        ),
        ("Action 7. SSCP Business Unit to raise the attendance at triage.", "g:business-unit", None, None),
        (
            "Action: Health colleagues and the Business Unit to meet by mid-October",
            "g:health g:business-unit",
            "2023-10-15",
            "date",
        ),
        (
            "Action: Education colleagues to resolve the single point of failure ASAP",
            "g:education",
            None,
            None,
        ),
    ],
)
def test_owners_and_due_phrases_of_the_minutes(
    text: str, owner_spec: str, due: str | None, kind: str | None
) -> None:
    c = cap(text, sent=SEPT, next_meeting=NOV)
    assert c.is_action and c.owners == owners(owner_spec) and c.questions == (), c
    assert (c.due, c.due_kind) == (date.fromisoformat(due) if due else None, kind)


def test_asap_is_no_date_and_stays_in_the_title() -> None:
    c = cap("Action: SMa and PMw to invite the analyst ASAP", sent=SEPT, next_meeting=NOV)
    assert c.due is None and c.title == "invite the analyst ASAP"


def test_owners_it_cannot_read_stay_in_the_words_for_a_question() -> None:
    """Nothing is dropped: the sentence is kept whole and the capture has no owner, so the bot asks."""
    c = cap("Action: the new team from early help to arrange the training")
    assert c.is_action and c.owners == () and c.questions == ()
    assert c.title == "the new team from early help to arrange the training"


def test_the_northmarch_business_unit_is_the_group_not_the_agency_of_that_name() -> None:
    c = cap("Action 7. NSCP Business Unit to raise the issue.", series="practice", roster=northmarch())
    assert c.owners == owners("g:business-unit")


# --- a line in the tracker's own form ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "is_action", "number", "action_text", "update", "status"),
    [
        (
            "Action 28. HN to inform MT of the attendance at strategy meetings — No further update. "
            "Action ongoing.",
            True,
            28,
            "HN to inform MT of the attendance at strategy meetings",
            "No further update.",
            "ongoing",
        ),
        (
            "Action 2. JK to share the exclusions data.\n\nNo further update. Action ongoing.",
            True,
            2,
            "JK to share the exclusions data.",
            "No further update.",
            "ongoing",
        ),
        (
            "Action 9. Agencies to give feedback on the screening tool. RB has merged the related actions "
            "into this one. Action ongoing.",
            True,
            9,
            "Agencies to give feedback on the screening tool.",
            "RB has merged the related actions into this one.",
            "ongoing",
        ),
        (
            "Action 14: RB to check with the web team – RB has asked for a quote. Action ongoing.",
            True,
            14,
            "RB to check with the web team",
            "RB has asked for a quote.",
            "ongoing",
        ),
        ("Action 16. SMa to report back. Status: closed", True, 16, "SMa to report back.", None, "closed"),
        (
            "Action 6: Ongoing - HN to provide an update at the next meeting.",
            True,
            6,
            "HN to provide an update at the next meeting.",
            None,
            "ongoing",
        ),
        (
            "Action 3: Neglect training has been undertaken across the service, workers are trained. "
            "Action closed.",
            False,
            3,
            None,
            "Neglect training has been undertaken across the service, workers are trained.",
            "closed",
        ),
        (
            "Action 7: Complete. RB circulated the terms of reference.",
            False,
            7,
            None,
            "RB circulated the terms of reference.",
            "complete",
        ),
        ("No further update. Action ongoing.", False, None, None, "No further update.", "ongoing"),
        (
            "Action 5: JK to keep the referral line open.",
            True,
            5,
            "JK to keep the referral line open.",
            None,
            None,
        ),
    ],
)
def test_tracker_lines_give_number_action_update_and_status_apart(
    text: str,
    is_action: bool,
    number: int | None,
    action_text: str | None,
    update: str | None,
    status: str | None,
) -> None:
    c = cap(text)
    assert (c.is_action, c.number, c.action_text, c.update, c.status) == (
        is_action,
        number,
        action_text,
        update,
        status,
    )


def test_a_tracker_line_title_is_the_action_alone() -> None:
    c = cap("Action 28. HN to inform MT by 29/01/24 of the attendance — No further update. Action ongoing.")
    assert c.owners == owners("p:HN") and c.due == date(2024, 1, 29)
    assert c.title == "inform MT of the attendance"
    got = answer(c)
    assert (got["number"], got["action_text"], got["update"], got["status"]) == (
        28,
        "HN to inform MT by 29/01/24 of the attendance",
        "No further update.",
        "ongoing",
    )


# --- capture forms: the text they stand for -----------------------------------------------------------


def test_a_capture_form_never_glues_the_owner_into_the_sentence() -> None:
    text = compose_capture("SMa", "FD suggested getting the screening tool onto the ICB agenda", "")
    assert text == "Action: FD suggested getting the screening tool onto the ICB agenda (owner: SMa)"
    c = cap(text)
    assert (
        c.owners == owners("p:SMa")
        and c.title == "FD suggested getting the screening tool onto the ICB agenda"
    )
    text = compose_capture("HN", "write to the three schools", "Friday")
    assert text == "Action: HN to write to the three schools by Friday"
    assert compose_capture("RB", "update the risk register", "") == "Action: RB to update the risk register"
    text = compose_capture("RB", "we need a new venue", "")
    assert text == "Action: we need a new venue (owner: RB)"
    text = compose_capture("RB", "the revised protocol to be shared", "next meeting")
    assert text == "Action: the revised protocol to be shared by the next meeting (owner: RB)"
    c = cap(text)
    assert c.owners == owners("p:RB") and (c.due, c.due_kind) == (NEXT, "next_meeting")


def test_an_explicit_capture_keeps_a_mid_line_action_marker() -> None:
    text = "FD suggested that we look at the cases. Action: LE to arrange a meeting with the leads"
    assert as_capture(text) == text
    assert as_capture("LE to arrange a meeting") == "Action: LE to arrange a meeting"


# --- through the bot: what is stored ------------------------------------------------------------------------


@pytest.fixture
def board(chat: Chat) -> Chat:
    chat.at("2024-01-19T10:00:00+00:00")
    chat.say("MT", "meeting start board")
    chat.say("MT", "next meeting 15/03/24 10:00")
    return chat


def _stored(chat: Chat, number: int) -> tuple[Action, list[str], list[tuple[str, str | None]]]:
    """The action, its owners' initials (or group keys), and its log."""
    with chat.app.sessions() as s:
        action = s.scalars(select(Action).where(Action.number == number)).one()
        owned = []
        for o in action.owners:
            person = s.get(Person, o.person_id) if o.person_id else None
            owned.append(person.initials if person else (o.key or o.kind))
        log = [
            (u.kind, u.text)
            for u in s.scalars(select(ActionUpdate).where(ActionUpdate.action_id == action.id))
        ]
        s.expunge(action)
        return action, owned, log


def _count(chat: Chat, model: type[Action] | type[PendingQuestion]) -> int:
    with chat.app.sessions() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_a_mid_line_action_is_stored_with_its_words_and_the_message_kept(board: Chat) -> None:
    text = (
        "FD suggested that we look at the cross-border cases. Action: LE to arrange a meeting with the leads"
    )
    board.say("PMw", text + " by Friday")
    action, owned, _ = _stored(board, 1)
    assert (action.title, owned, action.due_date) == (
        "arrange a meeting with the leads",
        ["LE"],
        date(2024, 1, 26),
    )
    assert action.text == text + " by Friday"  # the context is kept with the message, not in the title


def test_a_question_about_a_name_in_a_mid_line_action_fills_that_name(board: Chat) -> None:
    board.say("PMw", "TM raised the figures. Action: TM to chase the police figures by Friday")
    assert _count(board, PendingQuestion) == 1
    board.say("PMw", "MT")
    action, owned, _ = _stored(board, 1)
    assert owned == ["MT"] and action.title == "chase the police figures"
    assert action.text == "TM raised the figures. Action: MT to chase the police figures by Friday"


def test_an_owner_answer_is_never_glued_into_the_sentence(board: Chat) -> None:
    out = board.say("PMw", "Action 4. FD suggested getting the neglect screening tool onto the ICB agenda.")
    assert "Who owns this action?" in out and _count(board, Action) == 0
    board.say("PMw", "SMa")
    action, owned, _ = _stored(board, 4)
    assert owned == ["SMa"]
    assert action.title == "FD suggested getting the neglect screening tool onto the ICB agenda"
    assert "SMa FD" not in action.text and "SMa to FD" not in action.text


def test_owner_given_by_for_is_stored(board: Chat) -> None:
    board.say("PMw", "Agreed that the Business Unit will circulate the report — for SMa")
    action, owned, _ = _stored(board, 1)
    assert owned == ["SMa"] and action.title == "the Business Unit will circulate the report"


def test_a_new_action_in_tracker_form_says_its_update_was_not_recorded(board: Chat) -> None:
    out = board.say(
        "PMw",
        "Action 28. HN to inform MT of the attendance at strategy meetings — "
        "No further update. Action ongoing.",
    )
    action, owned, log = _stored(board, 28)
    assert (action.title, owned, action.status) == (
        "inform MT of the attendance at strategy meetings",
        ["HN"],
        "open",
    )
    assert log == [("created", action.text)]
    assert "“No further update. Action ongoing.”) is not recorded" in out and "`action 28 update: …`" in out


def test_an_update_only_tracker_line_stores_nothing_and_says_how(board: Chat) -> None:
    out = board.say(
        "PMw", "Action 3: Neglect training has been undertaken across the service. Action closed."
    )
    assert _count(board, Action) == 0 and _count(board, PendingQuestion) == 0
    assert "reads as an update of Action 3" in out and "`action 3 done`" in out


def test_an_update_only_tracker_line_of_an_existing_action_is_recorded_with_no_item_taken(
    board: Chat,
) -> None:
    """No agenda item taken: "Action 1 - no further update, action ongoing" can only be an update
    (under another item it is not: tests/test_agenda_items.py)."""
    board.say("PMw", "Action: HN to write to the three schools by 29/01/24")
    out = board.say("PMw", "Action 1 - no further update, action ongoing")
    action, _, log = _stored(board, 1)
    assert log[1:] == [("update", "no further update.")] and action.status == "open"
    assert "reads as an update" not in out and _count(board, Action) == 1
    board.say("PMw", "Action 1. The letters went out on Monday. Action closed.")
    action, _, log = _stored(board, 1)
    assert action.status == "done" and log[-1] == ("done", "The letters went out on Monday.")
    # A line that reads as another action is not taken as an update of this one.
    out = board.say("PMw", "Action 1. KB to bring the knife crime data to the next Board. Action ongoing.")
    assert _count(board, Action) == 1 and _stored(board, 1)[0].status == "done"


def test_a_full_name_owner_not_in_the_file_is_stored_without_a_question(board: Chat) -> None:
    board.say("PMw", "Action 1. Ceri Holt to agree timescale with the animator.")
    assert _count(board, PendingQuestion) == 0
    with board.app.sessions() as s:
        action = s.scalars(select(Action).where(Action.number == 1)).one()
        (owner,) = action.owners
        person = s.get(Person, owner.person_id)
        assert person is not None and person.name == "Ceri Holt"
