"""Actions of the contact center, by what they serve: `calls` (call records, calls logged by
operators), `records` (importing the telephony system's call records: files and the webhook),
`callbacks` (slots and bookings), `screenpop` (calls ringing on an operator's extension) and
`planning` (the operating calendar, forecasts, staffing, shift plans). Callers import them from
here.

`planning` is loaded on first use of one of its names (PEP 562 `__getattr__`): it needs pandas,
SciPy and OR-Tools, which a web process serving the console and the citizen pages never loads
unless a supervisor opens the planning page (issue 19: lean web workers). Import the module
(`from ascolto.contactcenter import actions`) and call `actions.run_forecast(...)` where a
planning name is used, so that importing the caller loads nothing."""

from typing import TYPE_CHECKING, Any

from ascolto.contactcenter.actions.callbacks import (
    SLOT_MINUTES,
    CallbackSlot,
    book_callback,
    book_callback_for_case,
    callback_phone,
    callback_slots,
    callbacks_due,
    case_callback_refusal,
    free_callback_slots,
)
from ascolto.contactcenter.actions.calls import (
    ANSWER_NOTE,
    CALL_OUTCOMES,
    ESCALATE,
    MAX_CALL_SECONDS,
    RESOLVE,
    LoggedCall,
    log_call,
    record_call,
)
from ascolto.contactcenter.actions.records import (
    COLUMNS,
    CallImport,
    RowError,
    csv_records,
    file_records,
    import_call_records,
    payload_records,
    payloads_records,
    xlsx_records,
)
from ascolto.contactcenter.actions.screenpop import (
    POP_TTL,
    announce_call,
    incoming_call_for,
    parse_call_started,
    take_incoming_call,
)

if TYPE_CHECKING:
    from ascolto.contactcenter.actions.planning import (
        DEFAULT_TEMPLATES,
        HOURLY_COST,
        StaffingTargets,
        compute_staffing,
        forecast_calls,
        forecast_notes,
        make_shift_plan,
        measured_targets,
        operating_calendar,
        request_forecast,
        run_forecast,
        run_forecast_job,
        set_operating_calendar,
    )

_PLANNING = frozenset(
    {
        "DEFAULT_TEMPLATES",
        "HOURLY_COST",
        "StaffingTargets",
        "compute_staffing",
        "forecast_calls",
        "forecast_notes",
        "make_shift_plan",
        "measured_targets",
        "operating_calendar",
        "request_forecast",
        "run_forecast",
        "run_forecast_job",
        "set_operating_calendar",
    }
)


def __getattr__(name: str) -> Any:
    if name in _PLANNING:
        from ascolto.contactcenter.actions import planning

        return getattr(planning, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "POP_TTL",
    "announce_call",
    "incoming_call_for",
    "parse_call_started",
    "take_incoming_call",
    "ANSWER_NOTE",
    "CALL_OUTCOMES",
    "COLUMNS",
    "DEFAULT_TEMPLATES",
    "ESCALATE",
    "HOURLY_COST",
    "MAX_CALL_SECONDS",
    "RESOLVE",
    "SLOT_MINUTES",
    "CallImport",
    "CallbackSlot",
    "LoggedCall",
    "RowError",
    "StaffingTargets",
    "book_callback",
    "book_callback_for_case",
    "callback_phone",
    "callback_slots",
    "case_callback_refusal",
    "free_callback_slots",
    "callbacks_due",
    "compute_staffing",
    "csv_records",
    "file_records",
    "forecast_calls",
    "forecast_notes",
    "import_call_records",
    "log_call",
    "make_shift_plan",
    "measured_targets",
    "operating_calendar",
    "payload_records",
    "payloads_records",
    "record_call",
    "request_forecast",
    "run_forecast",
    "run_forecast_job",
    "set_operating_calendar",
    "xlsx_records",
]
