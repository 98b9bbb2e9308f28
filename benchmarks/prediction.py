"""Backtests of the climate forecast, breach warnings and anomaly detection (issue 5).

On the demo museum's year (``demo_climate``: a gallery, a display case, a store and a lab,
2025, 5-minute readings):

* rolling-origin forecasts (every 3 days; ``--quick`` every 30 days): MAE of T and RH at 6,
  24 and 72 h for ``forecast_climate`` and for the seasonal-naive baseline computed in the
  same run (ratio < 1: the model is better), the same with the outdoor climate as a perfect
  weather forecast, and the share of actual hourly means inside the 80 % and 95 % intervals;
* breach warnings (origins every 6 h; ``--quick`` every 24 h): against a specification set at
  each sensor's 2nd/98th hourly percentiles, how many breaches (first hour outside after 24 h
  inside) were warned of beforehand within 72 h, the median lead time, and the share of
  warnings not followed by a breach within 72 h (false alarms);
* anomaly detection: precision and recall on faults injected into clean sensors (step, drift
  against a reference sensor, spikes) and the demo incidents (flat-line, dehumidifier
  failure), and the detections on the clean sensors (false alarms; ``weather`` causes are
  listed apart).

Imported real series: the logger fixtures in ``tests/fixtures/conservation/loggers`` hold at
most 28 readings each, too short for a 48-hour minimum; none is backtested.

Usage:
    PYTHONPATH=src python benchmarks/prediction.py           # full run (about 3 minutes)
    PYTHONPATH=src python benchmarks/prediction.py --quick   # smoke run
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from taihe.modules.conservation import demo_climate as dc
from taihe.modules.conservation.science._hourly import hourly_means
from taihe.modules.conservation.science.anomalies import detect_anomalies
from taihe.modules.conservation.science.forecast import (
    forecast_climate,
    predict_breach,
    seasonal_naive,
)

START = datetime(2025, 1, 1, tzinfo=UTC)
END = datetime(2026, 1, 1, tzinfo=UTC)
Q = ("temperature", "relative_humidity")
SENSORS = (
    dc.SensorProfile("G1", "gallery", Q, seed=1),
    dc.SensorProfile("C1", "case", Q, seed=1),
    dc.SensorProfile("S1", "store", Q, seed=2),
    dc.SensorProfile("L1", "lab", Q, seed=3),
)
HORIZONS = (6, 24, 72)
DAY = 86400
HOUR = 3600


def readings(profile: dc.SensorProfile) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    data = dc.generate(profile, START, END)
    return data["time"], data["temperature"], data["relative_humidity"]


def backtest(step_days: int) -> None:
    print(f"\nRolling-origin backtest, origins every {step_days} days from day 35 (MAE)")
    header = f"{'sensor':8} {'qty':3} " + " ".join(
        f"{f'{h}h model':>9} {'naive':>6} {'ratio':>5}" for h in HORIZONS
    )
    print(header + f" {'+outdoor 72h':>12} {'cov80':>6} {'cov95':>6}")
    totals: dict[str, list[float]] = {"model": [], "naive": []}
    fit_times = []
    for profile in SENSORS:
        times, t, rh = readings(profile)
        out_t, out_rh = dc.outdoor_climate(times)
        hourly = hourly_means(times, t, rh)
        errors = {q: {h: ([], [], []) for h in HORIZONS} for q in Q}
        inside = {q: {0.8: [], 0.95: []} for q in Q}
        for origin in range(35 * DAY, (365 - 3) * DAY, step_days * DAY):
            cut = int(np.searchsorted(times, times[0] + origin))
            began = time.perf_counter()
            f = forecast_climate(times[:cut], t[:cut], rh[:cut])
            fit_times.append(time.perf_counter() - began)
            with_weather = forecast_climate(
                times[:cut],
                t[:cut],
                rh[:cut],
                outdoor_times=times[: cut + 72 * 12],
                outdoor_t_c=out_t[: cut + 72 * 12],
                outdoor_rh=out_rh[: cut + 72 * 12],
            )
            first = int(np.searchsorted(hourly.hours, f.times[0].astype(np.int64)))
            for q, values in zip(Q, (t, rh), strict=True):
                actual = hourly.values[Q.index(q)][first : first + 72]
                _, naive = seasonal_naive(times[:cut], values[:cut], 72)
                qf = f.quantity(q)
                for h in HORIZONS:
                    if not np.isnan(actual[h - 1]):
                        errors[q][h][0].append(abs(qf.mean[h - 1] - actual[h - 1]))
                        errors[q][h][1].append(abs(naive[h - 1] - actual[h - 1]))
                        errors[q][h][2].append(
                            abs(with_weather.quantity(q).mean[h - 1] - actual[h - 1])
                        )
                ok = ~np.isnan(actual)
                for level in (0.8, 0.95):
                    key = f"{level:g}"
                    hit = (actual >= qf.lower[key]) & (actual <= qf.upper[key])
                    inside[q][level].extend(hit[ok].tolist())
        for q in Q:
            cells = []
            for h in HORIZONS:
                model, naive, _ = (float(np.mean(x)) for x in errors[q][h])
                totals["model"].append(model)
                totals["naive"].append(naive)
                cells.append(f"{model:9.3f} {naive:6.3f} {model / naive:5.2f}")
            weather = float(np.mean(errors[q][72][2]))
            print(
                f"{profile.code + ' ' + profile.kind:8} {'T' if q == Q[0] else 'RH':3} "
                + " ".join(cells)
                + f" {weather:12.3f} {np.mean(inside[q][0.8]):6.2f} {np.mean(inside[q][0.95]):6.2f}"
            )
    print(
        f"fit time per forecast (T and RH): median {np.median(fit_times) * 1e3:.1f} ms; "
        f"model better than naive in {sum(m < n for m, n in zip(*totals.values(), strict=True))}"
        f" of {len(totals['model'])} cells"
    )


def breaches(step_hours: int) -> None:
    print(f"\nBreach warnings (origins every {step_hours} h, limits at P2/P98, level 0.8)")
    print("  'interval': any crossing of the 80 % interval counts as a warning (the forecast "
          "page shows these);\n  'alert': only a crossing by the forecast mean (what opens "
          "an early-warning alert, prediction.services)")
    print(f"{'sensor':10} {'rule':8} {'breaches':>8} {'warned':>7} {'median lead h':>13} "
          f"{'warnings':>8} {'false alarms':>12}")  # fmt: skip
    profiles = (*SENSORS, dc.SensorProfile("S2", "store", Q, "dehumidifier_failure", seed=2))
    for profile in profiles:
        times, t, rh = readings(profile)
        hourly = hourly_means(times, t, rh)
        t_h, rh_h = hourly.values
        limits = {
            "t_min": float(np.nanpercentile(t_h, 2)),
            "t_max": float(np.nanpercentile(t_h, 98)),
            "rh_min": float(np.nanpercentile(rh_h, 2)),
            "rh_max": float(np.nanpercentile(rh_h, 98)),
        }
        if profile.incident == "dehumidifier_failure":
            limits["rh_max"] = 60.0
        outside = (
            (t_h < limits["t_min"])
            | (t_h > limits["t_max"])
            | (rh_h < limits["rh_min"])
            | (rh_h > limits["rh_max"])
        )
        events = [
            i for i in range(24, outside.shape[0]) if outside[i] and not outside[i - 24 : i].any()
        ]
        counted = [e for e in events if e >= 35 * 24 + step_hours]
        rules = {"interval": lambda b: True, "alert": lambda b: b.expected_at is not None}
        warned_at: dict[str, dict[int, int]] = {rule: {} for rule in rules}
        warnings = dict.fromkeys(rules, 0)
        false = dict.fromkeys(rules, 0)
        for origin_h in range(35 * 24, outside.shape[0] - 72, step_hours):
            cut = int(np.searchsorted(times, hourly.hours[origin_h]))
            if outside[origin_h - 1]:
                continue  # already outside: no warning to give
            f = forecast_climate(times[:cut], t[:cut], rh[:cut])
            found = predict_breach(f, **limits)
            upcoming = [e for e in events if origin_h <= e < origin_h + 72]
            for rule, keeps in rules.items():
                if not any(keeps(b) for b in found):
                    continue
                warnings[rule] += 1
                if not upcoming:
                    false[rule] += 1
                for e in upcoming:
                    warned_at[rule].setdefault(e, origin_h)
        for rule in rules:
            leads = [e - warned_at[rule][e] for e in counted if e in warned_at[rule]]
            lead = f"{np.median(leads):13.0f}" if leads else f"{'–':>13}"
            print(
                f"{profile.code + ' ' + profile.kind:10} {rule:8} {len(counted):8d} "
                f"{len(leads):7d} {lead} {warnings[rule]:8d} "
                f"{false[rule] / max(warnings[rule], 1):12.2f}"
            )


def anomalies() -> None:
    print(
        "\nAnomaly detection on injected faults (matched: right kind, start within 2 days; "
        "drift 14)"
    )
    out = readings(dc.SensorProfile("O1", "outdoor", Q))
    reference = readings(dc.SensorProfile("G2", "gallery", Q, seed=1))
    cases = []
    times, t, rh = readings(SENSORS[0])
    day = lambda d: int(np.searchsorted(times, times[0] + d * DAY))  # noqa: E731
    stepped = rh.copy()
    stepped[day(100) :] += 5.0
    cases.append(("step +5 %RH", "step", "sensor", 100, (times, t, stepped), reference))
    t_step = t.copy()
    t_step[day(200) :] -= 2.0
    cases.append(("step -2 K", "step", "sensor", 200, (times, t_step, rh), reference))
    drifted = rh.copy()
    ramp = np.clip((times - times[day(150)]) / (30 * DAY), 0.0, 1.0) * 6.0
    drifted += np.where(times >= times[day(150)], ramp, 0.0)
    cases.append(("drift +6 %RH/30 d", "drift", "sensor", 150, (times, t, drifted), reference))
    rng = np.random.default_rng(5)
    for k, at in enumerate(rng.integers(day(10), day(350), 5)):
        spiked = t.copy() if k % 2 else rh.copy()
        spiked[at] += 3.0 if k % 2 else 15.0
        data = (times, spiked, rh) if k % 2 else (times, t, spiked)
        offset = (times[at] - times[0]) / DAY
        cases.append(
            (f"spike {'T' if k % 2 else 'RH'} #{k}", "spike", "sensor", offset, data, None)
        )
    for incident, kind, profile in (
        ("flatline", "flatline", dc.SensorProfile("G3", "gallery", Q, "flatline", seed=1)),
        ("dehumidifier", "control_loss",
         dc.SensorProfile("S2", "store", Q, "dehumidifier_failure", seed=2)),
    ):  # fmt: skip
        window = dc.incident_window(profile.incident, START, END)
        assert window is not None
        offset = (window.start - START).total_seconds() / DAY
        cause = "sensor" if kind == "flatline" else "equipment"
        cases.append((incident, kind, cause, offset, readings(profile), reference))
    true_positive = detections = found = 0
    print(f"{'fault':20} {'found':>5} {'cause':>10} {'other detections':>16}")
    for label, kind, _cause, offset, data, ref in cases:
        result = [
            a for a in detect_anomalies(*data, reference=ref, outdoor=out) if a.cause != "weather"
        ]
        start = times[0] + offset * DAY
        # A drift is seen over the 14-day fit window, so it may be dated up to 14 days early.
        tolerance = (14 if kind == "drift" else 2) * DAY
        hits = [
            a
            for a in result
            if a.kind == kind and abs(a.start.astype(np.int64) - start) <= tolerance
        ]
        detections += len(result)
        true_positive += len(hits)
        found += bool(hits)
        print(f"{label:20} {'yes' if hits else 'no':>5} {hits[0].cause if hits else '–':>10} "
              f"{len(result) - len(hits):16d}")  # fmt: skip
    print(f"recall {found}/{len(cases)} = {found / len(cases):.2f}; "
          f"precision {true_positive}/{detections} = "
          f"{true_positive / max(detections, 1):.2f}")  # fmt: skip
    print("\nClean year (no fault): detections per sensor (weather-caused listed apart)")
    for profile in SENSORS:
        ref = reference if profile.kind in ("gallery", "case") else None
        result = detect_anomalies(*readings(profile), reference=ref, outdoor=out)
        alarms = [a for a in result if a.cause != "weather"]
        kinds = sorted({a.kind for a in alarms})
        print(f"{profile.code + ' ' + profile.kind:10} alarms {len(alarms):3d} {kinds} "
              f"weather {len(result) - len(alarms)}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run (under a minute)")
    args = parser.parse_args()
    began = time.perf_counter()
    backtest(30 if args.quick else 3)
    breaches(24 * 7 if args.quick else 6)
    anomalies()
    print(f"\ntotal {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
