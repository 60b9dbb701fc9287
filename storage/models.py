"""The database schema: SQLAlchemy 2 typed models.

Two kinds of table. Configuration mirrors the partnership file (people, agencies,
groups, series; series roles and members are kept as initials, as in the file)
and is replaced on every load. Facts (meetings, attendance, actions, updates,
decisions, the audit trail) reference people by id and are never rewritten by a
load, so history survives people leaving or files changing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes stored as UTC; SQLite keeps no offset, so one is put back on read."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        datetime: UTCDateTime,
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


# --- configuration, mirrored from the partnership file -------------------------------------------------


class Partnership(Base):
    __tablename__ = "partnerships"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    business_unit: Mapped[str | None] = mapped_column(String(64))
    # Hash of the last file loaded, so a load of the same file is a no-op; version bumps on every change
    # of who is who (a file load that changed something, a guest added, changed or merged).
    spec_hash: Mapped[str] = mapped_column(String(64), default="")
    version: Mapped[int] = mapped_column(Integer, default=0)
    loaded_at: Mapped[datetime | None]


class Agency(Base):
    __tablename__ = "agencies"
    __table_args__ = (UniqueConstraint("partnership_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[str] = mapped_column(ForeignKey("partnerships.id"))
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    statutory: Mapped[bool] = mapped_column(Boolean, default=False)
    contact: Mapped[str | None] = mapped_column(String(200))
    # Initials of the person who answers for the agency: "all partners" actions remind them.
    lead: Mapped[str | None] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Person(Base):
    """Someone of the partnership: in the file, or a guest the file does not hold.

    A guest (an owner, presenter or attendee named in a meeting) is kept by the name as typed;
    `initials` holds a key no file can give ("guest-12": file initials are letters only), so a
    guest is never found by initials, and the file loader never touches them.
    """

    __tablename__ = "people"
    __table_args__ = (UniqueConstraint("partnership_id", "initials"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[str] = mapped_column(ForeignKey("partnerships.id"))
    initials: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    agency_key: Mapped[str] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200))
    slack_id: Mapped[str | None] = mapped_column(String(64), index=True)
    teams_id: Mapped[str | None] = mapped_column(String(128), index=True)
    # A member of a joint series from the partnership it is shared with (`other-id:XX` in the file):
    # that partnership's id; their details are copied from its file at each load.
    shared_from: Mapped[str | None] = mapped_column(String(64))
    # A person removed from the file keeps their history; they are marked as having left.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    left_at: Mapped[datetime | None]
    guest: Mapped[bool] = mapped_column(Boolean, default=False)
    # A guest merged into a person once the file gained them: everything moved there; kept for the audit.
    # The id of that person (no foreign key: SQLite then adds and drops the column without a rebuild).
    merged_into_id: Mapped[int | None] = mapped_column(Integer)
    roles: Mapped[list[Any]] = mapped_column(default=list)  # the file's labels: ["dsp", "lsp"]
    # Not a person: the contact address of this agency (its key), which "all partners" reminders go to
    # when the agency names no lead. Kept out of the roster and identity; `initials` is "mailbox-<id>".
    mailbox_of: Mapped[str | None] = mapped_column(String(64))


class Group(Base):
    __tablename__ = "groups"
    __table_args__ = (UniqueConstraint("partnership_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[str] = mapped_column(ForeignKey("partnerships.id"))
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    aliases: Mapped[list[Any]] = mapped_column(default=list)
    members: Mapped[list[Any]] = mapped_column(default=list)  # initials
    agencies: Mapped[list[Any]] = mapped_column(default=list)  # agency keys
    # Initials of the members a group action reminds; none: each member is reminded.
    leads: Mapped[list[Any]] = mapped_column(default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Series(Base):
    __tablename__ = "series"
    __table_args__ = (UniqueConstraint("partnership_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partnership_id: Mapped[str] = mapped_column(ForeignKey("partnerships.id"))
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    chair: Mapped[str] = mapped_column(String(16))
    vice_chair: Mapped[str | None] = mapped_column(String(16))
    minute_taker: Mapped[str | None] = mapped_column(String(16))
    business_manager: Mapped[str | None] = mapped_column(String(16))
    members: Mapped[list[Any]] = mapped_column(default=list)
    deputies: Mapped[dict[str, Any]] = mapped_column(default=dict)
    quorum: Mapped[dict[str, Any]] = mapped_column(default=dict)
    cadence: Mapped[str | None] = mapped_column(String(100))  # None: each date set by `next meeting`
    time: Mapped[str | None] = mapped_column(String(20))
    place: Mapped[str | None] = mapped_column(String(300))
    papers_due: Mapped[str | None] = mapped_column(String(100))
    escalates_to: Mapped[list[Any]] = mapped_column(default=list)  # series keys: one or several routes
    standing_items: Mapped[list[Any]] = mapped_column(default=list)
    # The standing item that reviews the action tracker (its title), when the file names one.
    tracker_item: Mapped[str | None] = mapped_column(Text)
    minutes_preamble: Mapped[str | None] = mapped_column(Text)  # standing text at the top of the minutes
    observers: Mapped[list[Any]] = mapped_column(default=list)  # initials: minuted, never counted
    # An unlisted deputy of the member's agency may count, once the chair authorises them on the day.
    deputies_on_the_day: Mapped[bool] = mapped_column(Boolean, default=False)
    # {"chairs": [...], "months": 18, "from": "2024-04-01"}: who chairs on a date (see SeriesRef.chair_on).
    chair_rotation: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # What a decision needs besides the quorum, shaped like `quorum`; None: the quorum alone.
    decision_quorum: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    terms_of_reference: Mapped[str | None] = mapped_column(Text)  # an https address
    # The last day of a time-limited group: after it the series is closed (see SeriesRef.closed_on).
    ends: Mapped[date | None] = mapped_column(Date)
    # Series keys whose chair sits as a member (`{chair_of: SERIES}`), whoever chairs them on the day.
    members_by_office: Mapped[list[Any]] = mapped_column(default=list)
    # A joint series: {partnership id: initials here of that partnership's business unit}.
    shared_with: Mapped[dict[str, Any]] = mapped_column(default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Actions are numbered per series for ever: the counter is bumped atomically.
    last_action_number: Mapped[int] = mapped_column(Integer, default=0)


# --- facts -----------------------------------------------------------------------------------------------


class Binding(Base):
    """A channel or chat bound to a series, so meeting commands there need no series name."""

    __tablename__ = "bindings"
    __table_args__ = (UniqueConstraint("door", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    door: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(200))
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id"))
    bound_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    bound_at: Mapped[datetime]


class Meeting(Base):
    __tablename__ = "meetings"
    __table_args__ = (Index("ix_meetings_series_status", "series_id", "status", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id"))
    status: Mapped[str] = mapped_column(String(16))  # planned | open | closed | cancelled
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    place: Mapped[str | None] = mapped_column(String(300))
    door: Mapped[str | None] = mapped_column(String(16))
    channel: Mapped[str | None] = mapped_column(String(200))
    opened_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    opened_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    # Bumped whenever the date, time or place changes (calendar invites carry it as SEQUENCE).
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    online_link: Mapped[str | None] = mapped_column(String(500))
    # Minutes approval happens at a later meeting: when, by whom, in which meeting.
    minutes_approved_at: Mapped[datetime | None]
    minutes_approved_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    minutes_approved_in: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"))
    # The agenda item being taken now: what is recorded meanwhile is filed under it. The two tables
    # refer to each other, so this key is added after both exist.
    current_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("agenda_items.id", use_alter=True, name="fk_meetings_current_item_id")
    )
    # `chair today XX`: who chairs this meeting instead of the series' chair on its date.
    chair: Mapped[str | None] = mapped_column(String(16))

    series: Mapped[Series] = relationship(foreign_keys=[series_id])


class Attendance(Base):
    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("meeting_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    # Rows from before guests were people (migration 0005 made each a guest person); no longer written.
    guest_name: Mapped[str | None] = mapped_column(String(200))
    # present | deputy | apologies | in_attendance
    status: Mapped[str] = mapped_column(String(16))
    deputy_for_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    role_note: Mapped[str | None] = mapped_column(String(200))  # "presenter", "minute taker", ...
    arrived_at: Mapped[datetime | None]
    left_at: Mapped[datetime | None]
    # Every join and leave in order: [{"event": "left", "at": ISO}, ...] for the minutes.
    movements: Mapped[list[Any]] = mapped_column(default=list)
    # A deputy the file does not list, in a series allowing deputies chosen on the day: the chair's
    # answer (None: not asked, or not answered yet; only True counts towards quorum).
    authorised: Mapped[bool | None] = mapped_column(Boolean)
    updated_at: Mapped[datetime]


class MinutesCorrection(Base):
    """A correction to a meeting's minutes, recorded when they are approved (kept as a log, as in minutes)."""

    __tablename__ = "minutes_corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)  # the minutes corrected
    made_in_meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"))
    text: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime]


class QuorumChange(Base):
    __tablename__ = "quorum_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    at: Mapped[datetime]
    quorate: Mapped[bool] = mapped_column(Boolean)
    missing: Mapped[list[Any]] = mapped_column(default=list)


class Decision(Base):
    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id"), index=True)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    inquorate: Mapped[bool] = mapped_column(Boolean, default=False)  # for ratification
    # Marked only because the series' decision quorum was not met (the meeting was quorate): what it
    # lacked ("Marcia Police (no dsp)"); None otherwise.
    decision_quorum_missing: Mapped[list[Any] | None] = mapped_column(JSON)
    ratified_meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"))
    agenda_item_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_items.id"))  # taken under it
    created_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime]


class Declaration(Base):
    __tablename__ = "declarations"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    text: Mapped[str] = mapped_column(Text)
    agenda_item_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_items.id"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime]


class Note(Base):
    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    agenda_item_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_items.id"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime]


class AgendaItem(Base):
    __tablename__ = "agenda_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id"), index=True)
    # The meeting the item is for; None means "the next meeting", whichever that turns out to be.
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"))
    title: Mapped[str] = mapped_column(Text)
    # requested (asked for with `agenda add`) | standing (a series' standing item, one row per meeting,
    # made when the meeting opens) | ratification (decisions to ratify, when there are some)
    kind: Mapped[str] = mapped_column(String(16), default="requested", server_default="requested")
    presenter_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    paper_url: Mapped[str | None] = mapped_column(String(500))
    minutes: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="proposed")  # proposed | taken | withdrawn
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    requested_in_meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"))
    created_at: Mapped[datetime]


class Action(Base):
    __tablename__ = "actions"
    __table_args__ = (
        UniqueConstraint("series_id", "number"),
        # The same chat message captured twice (a retry, a second route) is one action.
        UniqueConstraint("source_door", "source_channel", "source_message"),
        Index("ix_actions_series_status_due", "series_id", "status", "due_date"),
        # The open actions' ids alone (0021): "which of these owner rows are of open actions?"
        # (`actions mine`) reads the few open ones, not every action of the history.
        Index(
            "ix_actions_open",
            "id",
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id"))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)  # as typed
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | done | dropped
    due_date: Mapped[date | None] = mapped_column(Date)
    due_kind: Mapped[str | None] = mapped_column(String(16))  # date | next_meeting | None
    snoozed_until: Mapped[date | None] = mapped_column(Date)
    created_meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"))
    agenda_item_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_items.id"))  # raised under it
    created_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    source_door: Mapped[str | None] = mapped_column(String(16))
    source_channel: Mapped[str | None] = mapped_column(String(200))
    source_message: Mapped[str | None] = mapped_column(String(200))

    owners: Mapped[list[ActionOwner]] = relationship(
        back_populates="action", order_by="ActionOwner.position", cascade="all, delete-orphan"
    )
    updates: Mapped[list[ActionUpdate]] = relationship(
        back_populates="action", order_by="ActionUpdate.id", cascade="all, delete-orphan"
    )


class ActionOwner(Base):
    __tablename__ = "action_owners"
    __table_args__ = (
        # With the action's id, so "whose are these?" is read from the index alone (0020).
        Index("ix_action_owners_person", "person_id", "removed_at", "action_id"),
        Index("ix_action_owners_kind_key", "kind", "key"),
        # Only the owners that are not a person (groups, agencies, all partners; 0020): few, so the
        # planner reads them by index where the index over every owner looks unselective to it.
        Index(
            "ix_action_owners_shared",
            "kind",
            "key",
            sqlite_where=text("kind != 'person'"),
            postgresql_where=text("kind != 'person'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(16))  # person | group | agency | all
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    key: Mapped[str | None] = mapped_column(String(64))  # group or agency key
    added_at: Mapped[datetime]
    # Reassigned away or returned as "not mine": kept for the log, no longer an owner.
    removed_at: Mapped[datetime | None]
    removed_reason: Mapped[str | None] = mapped_column(String(32))

    action: Mapped[Action] = relationship(back_populates="owners")


class ActionUpdate(Base):
    """The action's log: every update, answer and change, with who and when."""

    __tablename__ = "action_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id"), index=True)
    at: Mapped[datetime]
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    door: Mapped[str] = mapped_column(String(16))
    # created | update | done | dropped | reopened | owner | due | not_mine | snooze
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str | None] = mapped_column(Text)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"))
    agenda_item_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_items.id"))
    # How it reached the bot: chat (a direct message or a reminder's button), email (an e-mailed
    # answer link), channel (a meeting or group chat); None for imports and rows from before 0019.
    route: Mapped[str | None] = mapped_column(String(16))

    action: Mapped[Action] = relationship(back_populates="updates")


class AuditEvent(Base):
    """Append-only: who changed what, when, through which door, before and after."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_series", "series_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    partnership_id: Mapped[str | None] = mapped_column(String(64))
    series_id: Mapped[int | None] = mapped_column(ForeignKey("series.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    actor: Mapped[str] = mapped_column(String(200))  # initials, or who/what acted ("loader", "scheduler")
    door: Mapped[str] = mapped_column(String(16))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    verb: Mapped[str] = mapped_column(String(32))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class PendingQuestion(Base):
    """A question waiting for one person's answer in one conversation; several queue in order.

    The answer to the first one fills the hole: `before + answer + after` runs as the original
    message. What the command could store without the answer is stored already; `holds` says in
    words what still waits on it, so nothing is dropped without saying exactly what.
    """

    __tablename__ = "pending_questions"
    __table_args__ = (Index("ix_pending_questions_asker", "door", "channel", "asker"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    door: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(200))
    asker: Mapped[str] = mapped_column(String(200))  # the person's key on that door
    position: Mapped[int] = mapped_column(default=0)  # order in this person's queue here
    batch: Mapped[str] = mapped_column(
        String(200), default=""
    )  # the message that asked: `cancel` drops all of it
    command: Mapped[str] = mapped_column(Text, default="")  # that message as typed
    part: Mapped[str] = mapped_column(Text, default="")  # the words asked about ("SM")
    holds: Mapped[str] = mapped_column(Text, default="")  # what waits on the answer; "" for the whole message
    prompt: Mapped[str] = mapped_column(Text, default="")  # the question with its options, to repeat it
    # The original message with a hole where the answer goes: before + answer + after.
    before: Mapped[str] = mapped_column(Text)
    after: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))  # person | owner | series | choice | guest
    choices: Mapped[list[Any]] = mapped_column(default=list)  # initials (words offered: series, choice)
    multiple: Mapped[bool] = mapped_column(default=False)  # several answers fit ("both", "1 2")
    skip: Mapped[str | None] = mapped_column(Text)  # the message `skip` runs; None: nothing is left to run
    sent_at: Mapped[datetime]  # the original message's time, for dates in it
    message_id: Mapped[str | None] = mapped_column(String(200))
    expires_at: Mapped[datetime]
    # The partnership whose command asked: its answer goes back to it (a direct message may reach
    # a person of several partnerships). None for questions asked before it was recorded.
    partnership_id: Mapped[str | None] = mapped_column(String(64))


# --- what the chat doors need to remember ----------------------------------------------------------------


class ProcessedEvent(Base):
    """An event a door has handled: platforms retry and several processes share one app, so dedupe here."""

    __tablename__ = "processed_events"
    __table_args__ = (UniqueConstraint("door", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    door: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime]


class DoorIdentity(Base):
    """A person's id on a door, learnt the first time (e.g. matched by the e-mail on their chat profile)."""

    __tablename__ = "door_identities"
    __table_args__ = (UniqueConstraint("door", "user_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    door: Mapped[str] = mapped_column(String(16))
    user_key: Mapped[str] = mapped_column(String(200))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    matched_by: Mapped[str] = mapped_column(String(32))  # file | email | admin
    at: Mapped[datetime]


class ConversationRef(Base):
    """Where a door can reach a person directly (Teams: the 1:1 conversation id and service URL)."""

    __tablename__ = "conversation_refs"
    __table_args__ = (UniqueConstraint("door", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    door: Mapped[str] = mapped_column(String(16))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    conversation_id: Mapped[str] = mapped_column(String(300))
    service_url: Mapped[str | None] = mapped_column(String(300))
    tenant_id: Mapped[str | None] = mapped_column(String(100))
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime]
