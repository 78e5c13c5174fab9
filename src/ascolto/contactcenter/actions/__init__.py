"""Actions of the contact center, by what they serve: `calls` (call records, calls logged by
operators), `callbacks` (slots and bookings), `screenpop` (calls ringing on an
operator's extension) and `planning` (the operating calendar, forecasts,
staffing, shift plans). Callers import them from here."""

from ascolto.contactcenter.actions.callbacks import (
    SLOT_MINUTES,
    CallbackSlot,
    book_callback,
    callback_slots,
    callbacks_due,
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
from ascolto.contactcenter.actions.screenpop import (
    POP_TTL,
    announce_call,
    incoming_call_for,
    parse_call_started,
    take_incoming_call,
)

__all__ = [
    "POP_TTL",
    "announce_call",
    "incoming_call_for",
    "parse_call_started",
    "take_incoming_call",
    "ANSWER_NOTE",
    "CALL_OUTCOMES",
    "DEFAULT_TEMPLATES",
    "ESCALATE",
    "HOURLY_COST",
    "MAX_CALL_SECONDS",
    "RESOLVE",
    "SLOT_MINUTES",
    "CallbackSlot",
    "LoggedCall",
    "StaffingTargets",
    "book_callback",
    "callback_slots",
    "callbacks_due",
    "compute_staffing",
    "forecast_calls",
    "forecast_notes",
    "log_call",
    "make_shift_plan",
    "measured_targets",
    "operating_calendar",
    "record_call",
    "request_forecast",
    "run_forecast",
    "run_forecast_job",
    "set_operating_calendar",
]
