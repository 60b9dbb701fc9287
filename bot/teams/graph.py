"""Microsoft Graph through msgraph-sdk: attendance reports, mail from the partnership mailbox, events.

Application permissions (an administrator grants them once; see docs/teams.md):
- attendance: `OnlineMeetingArtifact.Read.All` plus an application access policy for the organisers;
- reminders by e-mail: `Mail.Send`, scoped to the partnership mailbox with Exchange RBAC for Applications;
- next meeting as a Teams meeting in the organiser's calendar: `Calendars.ReadWrite` (scoped likewise).

The SDK's own retry middleware is off: every call goes through `retry.with_retries`, which also
retries 412 and 502 and keeps to a time budget. `base_url` points the client at a local fake
in tests (and at a national cloud's endpoint in production).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.teams.attendance import DOOR, REPORT
from bot.teams.config import GraphSettings
from bot.teams.retry import RetryLater, status_of, with_retries
from handlers.attendance_report import AttendanceReport, Attendee, Interval

if TYPE_CHECKING:
    from msgraph import GraphServiceClient

log = logging.getLogger("partnerbot.graph")

SCOPES = ["https://graph.microsoft.com/.default"]


class GraphError(Exception):
    """Graph refused (permission, access policy, not found): the message says what to grant or fix."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def _aware(value: datetime | None) -> datetime | None:
    return None if value is None else _utc(value)


def _utc(value: datetime) -> datetime:
    """A Graph time made aware: one without a zone is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _explain(e: BaseException, what: str) -> GraphError:
    status = status_of(e)
    code = ""
    error = getattr(e, "error", None)
    if error is not None:
        code = getattr(error, "code", "") or ""
    hints = {
        403: {
            "attendance": "grant OnlineMeetingArtifact.Read.All and an application access policy "
            "(Grant-CsApplicationAccessPolicy) for the organiser",
            "sendMail": "grant Mail.Send and allow the partnership mailbox (Exchange RBAC for Applications)",
            "events": "grant Calendars.ReadWrite for the organiser's mailbox",
        }.get(what, "check the app's Graph permissions"),
        404: "the meeting or mailbox was not found (is the organiser right? reports come after the meeting)",
        401: "the Graph credentials were refused (tenant id, client id, secret)",
    }
    hint = hints.get(status or 0, "")
    text = f"Graph {what} failed ({status or type(e).__name__}{', ' + code if code else ''})"
    return GraphError(text + (f": {hint}" if hint else ""), status)


class Graph:
    def __init__(
        self,
        settings: GraphSettings,
        *,
        credential: Any = None,
        sleep: Any = None,
    ) -> None:
        self.settings = settings
        self._credential = credential
        self._client: GraphServiceClient | None = None
        self._sleep = sleep

    def client(self) -> GraphServiceClient:
        if self._client is None:
            from kiota_authentication_azure.azure_identity_authentication_provider import (
                AzureIdentityAuthenticationProvider,
            )
            from kiota_http.middleware.options import RetryHandlerOption
            from msgraph import GraphRequestAdapter, GraphServiceClient
            from msgraph.graph_request_adapter import options as default_options
            from msgraph_core import GraphClientFactory

            credential = self._credential
            if credential is None:
                from azure.identity.aio import ClientSecretCredential

                s = self.settings
                if not (s.tenant_id and s.client_id and s.secret):
                    raise GraphError(
                        "Graph is enabled but its credentials are missing: set GRAPH_TENANT_ID, "
                        "GRAPH_CLIENT_ID and GRAPH_CLIENT_SECRET (or the TEAMS_* ones)"
                    )
                credential = ClientSecretCredential(s.tenant_id, s.client_id, s.secret)
            hosts = []
            if self.settings.base_url:
                from urllib.parse import urlsplit

                hosts.append(urlsplit(self.settings.base_url).hostname or "")
            auth = AzureIdentityAuthenticationProvider(
                credential, scopes=SCOPES, allowed_hosts=hosts or ["graph.microsoft.com"]
            )
            # Our own retries (with 412/502 and a time budget) replace the middleware's.
            options = dict(default_options)
            options[RetryHandlerOption.get_key()] = RetryHandlerOption(should_retry=False, max_retries=0)
            http = GraphClientFactory.create_with_default_middleware(options=options)
            adapter = GraphRequestAdapter(auth, client=http)
            if self.settings.base_url:
                adapter.base_url = self.settings.base_url
            self._client = GraphServiceClient(request_adapter=adapter)
        return self._client

    async def _call(self, what: str, call: Any) -> Any:
        kwargs: dict[str, Any] = {"what": f"Graph {what}", "budget": self.settings.retry_seconds}
        if self._sleep is not None:
            kwargs["sleep"] = self._sleep
        try:
            return await with_retries(call, **kwargs)
        except GraphError:
            raise
        except RetryLater as e:
            raise GraphError(
                f"Graph {what}: still throttled or unavailable ({e.status or 'network'})", e.status
            ) from e
        except Exception as e:
            if status_of(e) is None:
                raise
            raise _explain(e, what) from e

    # --- attendance ----------------------------------------------------------------------------------

    async def attendance(
        self, organiser: str, online_meeting_id: str, *, around: datetime | None = None
    ) -> AttendanceReport:
        """The meeting's attendance report: the one nearest `around`, else the most recent."""
        meeting = (
            self.client().users.by_user_id(organiser).online_meetings.by_online_meeting_id(online_meeting_id)
        )
        listed = await self._call("attendance", lambda: meeting.attendance_reports.get())
        reports = list(getattr(listed, "value", None) or [])
        if not reports:
            return AttendanceReport(DOOR, REPORT, note="Teams has no attendance report for this meeting yet.")

        def start(r: Any) -> datetime:
            return _aware(r.meeting_start_date_time) or datetime.min.replace(tzinfo=UTC)

        if around is not None:
            report = min(reports, key=lambda r: abs((start(r) - around).total_seconds()))
        else:
            report = max(reports, key=start)
        records_builder = meeting.attendance_reports.by_meeting_attendance_report_id(
            report.id
        ).attendance_records
        records: list[Any] = []
        page = await self._call("attendance", lambda: records_builder.get())
        while page is not None:
            records.extend(page.value or [])
            link = getattr(page, "odata_next_link", None)
            if not link:
                break
            next_builder = records_builder.with_url(link)
            page = await self._call("attendance", lambda b=next_builder: b.get())
        attendees = []
        for r in records:
            ident = r.identity
            intervals = tuple(
                Interval(_utc(i.join_date_time), _utc(i.leave_date_time))
                for i in (r.attendance_intervals or [])
                if i.join_date_time and i.leave_date_time
            )
            attendees.append(
                Attendee(
                    name=(ident.display_name if ident else None) or r.email_address or "someone",
                    email=(r.email_address or "").lower() or None,
                    user=ident.id if ident else None,
                    role=r.role,
                    intervals=intervals,
                )
            )
        return AttendanceReport(
            DOOR,
            REPORT,
            started=_aware(report.meeting_start_date_time),
            ended=_aware(report.meeting_end_date_time),
            attendees=attendees,
        )

    # --- mail ----------------------------------------------------------------------------------------

    async def send_mail(
        self,
        to_name: str,
        to_address: str,
        subject: str,
        body: str,
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        from msgraph.generated.models.body_type import BodyType
        from msgraph.generated.models.email_address import EmailAddress
        from msgraph.generated.models.internet_message_header import InternetMessageHeader
        from msgraph.generated.models.item_body import ItemBody
        from msgraph.generated.models.message import Message
        from msgraph.generated.models.recipient import Recipient
        from msgraph.generated.users.item.send_mail.send_mail_post_request_body import (
            SendMailPostRequestBody,
        )

        mailbox = self.settings.mailbox
        if not mailbox:
            raise GraphError("graph: mailbox is not set, so there is no address to send reminders from")
        message = Message(
            subject=subject,
            body=ItemBody(content_type=BodyType.Text, content=body),
            to_recipients=[Recipient(email_address=EmailAddress(name=to_name, address=to_address))],
            internet_message_headers=[
                InternetMessageHeader(name=k, value=v) for k, v in (headers or {}).items()
            ]
            or None,
        )
        request = SendMailPostRequestBody(message=message, save_to_sent_items=True)
        builder = self.client().users.by_user_id(mailbox).send_mail
        await self._call("sendMail", lambda: builder.post(request))

    # --- calendar ------------------------------------------------------------------------------------

    async def upsert_event(
        self,
        *,
        subject: str,
        start: datetime,
        end: datetime,
        location: str | None,
        attendees: list[tuple[str, str]],
        body: str,
        transaction_id: str,
        event_id: str | None = None,
    ) -> tuple[str, str | None]:
        """Create or update the meeting as a Teams meeting in the organiser's calendar: (id, join URL)."""
        from msgraph.generated.models.attendee import Attendee as GraphAttendee
        from msgraph.generated.models.attendee_type import AttendeeType
        from msgraph.generated.models.body_type import BodyType
        from msgraph.generated.models.date_time_time_zone import DateTimeTimeZone
        from msgraph.generated.models.email_address import EmailAddress
        from msgraph.generated.models.event import Event
        from msgraph.generated.models.item_body import ItemBody
        from msgraph.generated.models.location import Location
        from msgraph.generated.models.online_meeting_provider_type import OnlineMeetingProviderType

        organiser = self.settings.organiser
        if not organiser:
            raise GraphError("graph: organiser is not set, so there is no calendar to put the meeting in")

        def when(value: datetime) -> DateTimeTimeZone:
            return DateTimeTimeZone(
                date_time=value.astimezone(UTC).replace(tzinfo=None).isoformat(), time_zone="UTC"
            )

        event = Event(
            subject=subject,
            body=ItemBody(content_type=BodyType.Text, content=body),
            start=when(start),
            end=when(end),
            location=Location(display_name=location) if location else None,
            attendees=[
                GraphAttendee(email_address=EmailAddress(name=n, address=a), type=AttendeeType.Required)
                for n, a in attendees
            ],
            is_online_meeting=True,
            online_meeting_provider=OnlineMeetingProviderType.TeamsForBusiness,
            # Graph drops a repeated create with the same transaction id (a retry after a timeout).
            transaction_id=None if event_id else transaction_id,
        )
        events = self.client().users.by_user_id(organiser).events
        if event_id:
            saved = await self._call("events", lambda: events.by_event_id(event_id).patch(event))
        else:
            saved = await self._call("events", lambda: events.post(event))
        join = saved.online_meeting.join_url if saved and saved.online_meeting else None
        return str(saved.id if saved else event_id), join
