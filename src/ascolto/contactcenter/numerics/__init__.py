"""The contact center's numerics, with no Django: forecasts, staffing and shift plans.

The forecasts' public API is `ascolto.contactcenter.forecasting`; the modules here are its parts:
`calendar` (operating days, holidays, the day × interval layout of a series), `base` (the
fit/predict protocol, prediction intervals and aggregation), `baselines` (seasonal naive,
statsforecast MSTL and AutoETS, dynamic harmonic regression), `profile` (our model: daily
volume × intraday profile) and `selection` (errors and rolling-origin model choice); beside them
`staffing` (operators required: Erlang B, C and A) and `scheduling` (shift plans, CP-SAT).
"""
