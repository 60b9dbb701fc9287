"""Agenda packs and minutes as chat text, Word, PDF and a calendar invitation, from templates.

Templates are Jinja2, run in an immutable sandbox with autoescaping (HTML and Word XML) and
strict undefined names, so text people typed is only ever data. A business unit may point
`documents: {templates: PATH}` in app.yaml at a folder of its own: a template found there (or in
a sub-folder named after the series) replaces the built-in one. A broken custom template is an
error naming the template and line; the built-in one is never used silently in its place.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FunctionType
from typing import TYPE_CHECKING, Any, TypeVar

import templates as _templates_package
from handlers.collector import cycle_collection_paused
from handlers.context import UserError
from handlers.documents_data import AgendaPack, Invite, Minutes
from handlers.reply import File, Text

if TYPE_CHECKING:
    # Jinja is imported when a document is first rendered: the shell and most commands never render.
    from jinja2.sandbox import ImmutableSandboxedEnvironment

DEFAULT_DIR = Path(_templates_package.__file__).resolve().parent

# A chat message stays under Slack's practical size for blocks (~13k characters) and a Teams card
# (~28 KB); one text block stays under Slack's 3,000 characters per section.
CHAT_LIMIT = 12_000
BLOCK_LIMIT = 2_800

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF = "application/pdf"
ICS = "text/calendar; method=REQUEST"


class TemplateProblem(UserError):
    """A template that cannot be rendered: the message names the template and the line."""


class Templates:
    """Where templates are found: a business unit's own folder (app.yaml `documents: {templates: PATH}`)
    first, then the built-in ones. The app makes one and hands it to the core; nothing is global."""

    def __init__(self, folder: str | Path | None = None) -> None:
        custom = Path(folder).expanduser().resolve() if folder else None
        if custom is not None and not custom.is_dir():
            raise TemplateProblem(f"The documents templates folder “{folder}” does not exist.")
        self.custom_dir = custom
        self._envs: dict[str | None, ImmutableSandboxedEnvironment] = {}

    def dirs(self, series_key: str | None) -> list[Path]:
        """First match wins: custom/SERIES, custom, then the built-in ones."""
        dirs: list[Path] = []
        if self.custom_dir is not None:
            if series_key and (self.custom_dir / series_key).is_dir():
                dirs.append(self.custom_dir / series_key)
            dirs.append(self.custom_dir)
        dirs.append(DEFAULT_DIR)
        return dirs

    def env(self, series_key: str | None) -> ImmutableSandboxedEnvironment:
        env = self._envs.get(series_key)
        if env is None:
            from jinja2 import FileSystemLoader, StrictUndefined, select_autoescape
            from jinja2.sandbox import ImmutableSandboxedEnvironment

            env = ImmutableSandboxedEnvironment(
                loader=FileSystemLoader([str(d) for d in self.dirs(series_key)]),
                autoescape=select_autoescape(enabled_extensions=("html", "html.j2", "xml"), default=False),
                undefined=StrictUndefined,
                trim_blocks=True,
                lstrip_blocks=True,
            )
            env.filters["clip"] = _clip
            self._envs[series_key] = env
        return env

    def find_file(self, name: str, series_key: str | None) -> Path:
        for folder in self.dirs(series_key):
            if (folder / name).is_file():
                return folder / name
        raise TemplateProblem(f"The template “{name}” is missing.")

    def where(self, filename: str | None, name: str) -> str:
        if filename and self.custom_dir is not None:
            try:
                return f"“{Path(filename).resolve().relative_to(self.custom_dir)}” (custom templates)"
            except ValueError:
                pass
        return f"“{name}” (built-in)"

    def problem(self, name: str, filename: str | None, line: int | None, message: str) -> TemplateProblem:
        at = f" at line {line}" if line else ""
        return TemplateProblem(
            f"The template {self.where(filename, name)} cannot be used{at}: {message.rstrip('.')}. "
            "Fix it, or remove it to go back to the built-in template."
        )


BUILT_IN = Templates()  # the built-in templates alone: for tools and tests with no app.yaml folder


def _clip(value: Any, limit: int = 200) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _docx_env() -> ImmutableSandboxedEnvironment:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    # docxtpl renders the document XML from a string: escape everything, and keep its whitespace as is.
    env = ImmutableSandboxedEnvironment(autoescape=True, undefined=StrictUndefined)
    env.filters["clip"] = _clip
    return env


def _line_in(exc: BaseException, filename: str | None) -> int | None:
    """The template line a runtime error happened on: Jinja rewrites tracebacks to template lines."""
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if filename and tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def render_text(templates: Templates, name: str, series_key: str | None, **context: Any) -> str:
    """Render a text template (chat, HTML) by name, mapping any failure to a TemplateProblem."""
    from jinja2 import TemplateNotFound, TemplateSyntaxError

    env = templates.env(series_key)
    try:
        template = env.get_template(name)
    except TemplateSyntaxError as e:
        raise templates.problem(e.name or name, e.filename, e.lineno, e.message or "syntax error") from e
    except TemplateNotFound as e:
        raise TemplateProblem(f"The template “{e.name}” is missing.") from e
    try:
        return template.render(**context)
    except Exception as e:  # a custom template may fail in any way: say where, never fall back
        raise templates.problem(name, template.filename, _line_in(e, template.filename), _message(e)) from e


def _message(e: BaseException) -> str:
    text = str(e).strip() or type(e).__name__
    return text if len(text) < 300 else text[:300] + "…"


# --- chat ------------------------------------------------------------------------------------------------


def chat_blocks(text: str) -> list[Text]:
    """Split rendered chat text into blocks under the per-block limit, at blank lines where possible."""
    blocks: list[str] = []
    current = ""
    for para in text.strip().split("\n\n"):
        para = para.strip("\n")
        if not para:
            continue
        while len(para) > BLOCK_LIMIT:  # one huge paragraph: cut at a line end
            cut = para.rfind("\n", 0, BLOCK_LIMIT)
            cut = cut if cut > 0 else BLOCK_LIMIT
            if current:
                blocks.append(current)
                current = ""
            blocks.append(para[:cut])
            para = para[cut:].lstrip("\n")
        if current and len(current) + len(para) + 2 > BLOCK_LIMIT:
            blocks.append(current)
            current = ""
        current = f"{current}\n\n{para}" if current else para
    if current:
        blocks.append(current)
    return [Text(b) for b in blocks]


def render_chat(templates: Templates, name: str, series_key: str | None, **context: Any) -> list[Text]:
    """The chat message: in full when it fits the platforms' limits, else the template's summary."""
    text = render_text(templates, name, series_key, full=True, **context)
    if len(text) > CHAT_LIMIT or len(text.encode()) > 2 * CHAT_LIMIT:
        text = render_text(templates, name, series_key, full=False, **context)
    if len(text) > CHAT_LIMIT:
        text = text[: CHAT_LIMIT - 80].rsplit("\n", 1)[0] + "\n\n(Cut short: the whole document is attached.)"
    return chat_blocks(text)


# --- Word -----------------------------------------------------------------------------------------------


def render_docx(templates: Templates, name: str, series_key: str | None, title: str, **context: Any) -> bytes:
    from docxtpl import DocxTemplate
    from jinja2 import TemplateError

    path = templates.find_file(name, series_key)
    try:
        doc = DocxTemplate(str(path))
    except Exception as e:
        raise templates.problem(name, str(path), None, f"not a Word document ({_message(e)})") from e
    try:
        doc.render(context, jinja_env=_docx_env())
    except TemplateError as e:
        near = " / ".join(x.strip() for x in getattr(e, "docx_context", []) if x.strip())
        line = getattr(e, "lineno", None) or _line_in(e, "<template>")
        detail = _message(e) + (f" (near “{_clip(near, 120)}”)" if near else "")
        raise templates.problem(name, str(path), line, detail) from e
    except Exception as e:
        raise templates.problem(name, str(path), _line_in(e, "<template>"), _message(e)) from e
    # Set after rendering: docxtpl would otherwise run the properties through the XML-escaping env.
    doc.docx.core_properties.title = title
    doc.docx.core_properties.language = "en-GB"
    doc.docx.core_properties.author = "partnerbot"
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# --- PDF ------------------------------------------------------------------------------------------------


def _local_fetcher(templates: Templates, images: Mapping[str, bytes]) -> Any:
    """Only files from the template folders, data: URLs and the images given by their URL
    ("chart:NAME"); a template never reaches the network."""
    from urllib.parse import urlparse
    from urllib.request import url2pathname

    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class LocalOnly(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            if url in images:
                return URLFetcherResponse(url, body=images[url], headers={"Content-Type": "image/png"})
            if url.startswith("file:"):
                path = Path(url2pathname(urlparse(url).path)).resolve()
                if not any(path.is_relative_to(d.resolve()) for d in templates.dirs(None)):
                    raise ValueError(f"documents only load files from the template folders, not {path.name}")
            return super().fetch(url, headers)

    return LocalOnly(allowed_protocols=("file", "data"))


R = TypeVar("R")


def _call(fn: Callable[[], Any]) -> Any:
    return fn()


# CPython 3.11 and 3.12 keep Python frames in 16 KiB chunks and free a chunk as soon as the frame
# that opened it returns, so a hot call sitting on a chunk's edge maps and unmaps memory each time
# it is made (python/cpython#142183, fixed in later 3.13 releases and in 3.14). WeasyPrint's layout
# recurses deep enough to sit on such an edge, which one depending on the caller's depth: up to
# 48,000 mmap/munmap pairs for one agenda pack, and up to a fifth of its time. A frame that declares
# a large evaluation stack (never used) makes CPython open one 256 KiB chunk with about 130 KiB free
# after that frame: room for all of WeasyPrint's frames, whatever depth it is called from. Sized so
# that CPython's rule (the frame plus 1,000 slots, 16 KiB doubled until it fits) gives 256 KiB.
_ROOMY = FunctionType(_call.__code__.replace(co_stacksize=16 * 1024 - 1000 + 1), {})


def with_stack_room(fn: Callable[[], R]) -> R:
    """`fn()` with room for deep recursion in one chunk of CPython's frame stack (see above)."""
    result: R = _ROOMY(fn)
    return result


# A PNG drawn elsewhere while the PDF is made: its head (all before the pixels), and what returns it.
Later = tuple[bytes, Callable[[], bytes]]


def render_pdf(
    templates: Templates,
    html: str,
    images: Mapping[str, bytes] | None = None,
    later: Mapping[str, Later] | None = None,
) -> bytes:
    """`images`: PNGs the HTML names by URL, handed over as they are (a large data: URL in the HTML
    costs its parser more than the image costs the PDF). `later`: PNGs the HTML names whose pixels
    are still being drawn: the document is laid out from their heads, and each PNG is asked for
    only when the PDF is written, at the end (handlers/pdf_png.py). The PDF is the one the PNGs
    given in `images` would make."""
    # Imported here: WeasyPrint takes most of a second to import, and the shell must start fast.
    from weasyprint import HTML

    from handlers.pdf_png import StandInMismatch, hand_over_pngs, pixels_later, stand_in

    hand_over_pngs()
    base = templates.custom_dir or DEFAULT_DIR  # relative links in a custom template are to its own folder
    later = later or {}
    given: Mapping[str, bytes] = images or {}

    def make(stand_ins: bool) -> bytes | None:
        shown = {**given, **{url: stand_in(head) for url, (head, _) in later.items()}} if stand_ins else given
        html_doc = HTML(string=html, base_url=str(base) + "/", url_fetcher=_local_fetcher(templates, shown))
        cache: dict[str, Any] = {}
        document = html_doc.render(cache=cache, pdf_variant="pdf/ua-1")
        if stand_ins and not pixels_later(cache, later):
            return None
        return bytes(document.write_pdf(pdf_variant="pdf/ua-1"))

    with cycle_collection_paused():
        if later:
            try:
                pdf = with_stack_room(lambda: make(stand_ins=True))
                if pdf is not None:
                    return pdf
            except StandInMismatch:
                pass
            # Laid out for other images, or a WeasyPrint that keeps images otherwise: with the PNGs.
            given = {**given, **{url: fetch() for url, (_, fetch) in later.items()}}
        result = with_stack_room(lambda: make(stand_ins=False))
        assert result is not None
        return result


# --- the calendar invitation ---------------------------------------------------------------------------


def render_ics(invite: Invite, now: datetime) -> bytes:
    from icalendar import Calendar, Event, vCalAddress, vText

    def address(person: Any) -> vCalAddress:
        addr = vCalAddress(person.address)
        addr.params["CN"] = vText(person.name)
        return addr

    cal = Calendar()
    cal.add("prodid", "-//partnerbot//Agenda pack//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "REQUEST")
    event = Event()
    event.add("uid", invite.uid)
    event.add("sequence", invite.sequence)
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", invite.start)
    event.add("dtend", invite.end)
    event.add("summary", invite.summary)
    if invite.location:
        event.add("location", invite.location)
    if invite.url:
        event.add("url", invite.url)
    event.add("description", invite.description)
    event.add("status", "CONFIRMED")
    event.add("transp", "OPAQUE")
    event["organizer"] = address(invite.organizer)
    for person in invite.attendees:
        attendee = address(person)
        attendee.params["ROLE"] = person.role
        attendee.params["PARTSTAT"] = person.partstat
        attendee.params["CUTYPE"] = "INDIVIDUAL"
        if person.partstat == "NEEDS-ACTION":
            attendee.params["RSVP"] = "TRUE"
        if person.delegated_to:
            attendee.params["DELEGATED-TO"] = person.delegated_to
        if person.delegated_from:
            attendee.params["DELEGATED-FROM"] = person.delegated_from
        event.add("attendee", attendee, encode=False)
    cal.add_component(event)
    # Only the transitions near the meeting: a full 1970–2038 table makes the invitation ten times larger.
    day = invite.start.date()
    cal.add_missing_timezones(first_date=day - timedelta(days=366), last_date=day + timedelta(days=366))
    return bytes(cal.to_ical())


# --- whole documents --------------------------------------------------------------------------------------


def _file_stem(kind: str, series_key: str, day: str) -> str:
    return f"{series_key}-{kind}-{day}"


def agenda_files(templates: Templates, pack: AgendaPack, now: datetime, *, pdf: bool = True) -> list[File]:
    stem = _file_stem("agenda", pack.series_key, pack.date_iso)
    files = [
        File(
            f"{stem}.docx",
            DOCX,
            render_docx(templates, "agenda.docx", pack.series_key, pack.title, pack=pack),
            "Agenda (Word)",
        )
    ]
    if pdf:
        html = render_text(templates, "agenda.html.j2", pack.series_key, pack=pack)
        files.append(File(f"{stem}.pdf", PDF, render_pdf(templates, html), "Agenda (PDF)"))
    invitation = invite_file(pack, now)
    if invitation is not None:
        files.append(invitation)
    return files


def invite_file(pack: AgendaPack, now: datetime) -> File | None:
    """The next meeting's calendar invitation (.ics), or None when the meeting has no time set."""
    if pack.invite is None:
        return None
    stem = _file_stem("agenda", pack.series_key, pack.date_iso)
    return File(f"{stem}.ics", ICS, render_ics(pack.invite, now), "Calendar invitation (.ics)")


def minutes_files(templates: Templates, minutes: Minutes, *, pdf: bool = True) -> list[File]:
    stem = _file_stem("minutes", minutes.series_key, minutes.date_iso) + (
        "" if minutes.approved else "-draft"
    )
    files = [
        File(
            f"{stem}.docx",
            DOCX,
            render_docx(templates, "minutes.docx", minutes.series_key, minutes.title, minutes=minutes),
            "Minutes (Word)",
        )
    ]
    if pdf:
        html = render_text(templates, "minutes.html.j2", minutes.series_key, minutes=minutes)
        files.append(File(f"{stem}.pdf", PDF, render_pdf(templates, html), "Minutes (PDF)"))
    return files
