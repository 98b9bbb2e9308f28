"""Generate one synthetic year for one gallery and print every metric (docs/science).

The numbers in ``worked-example.md`` come from running this script:

    PYTHONPATH=src python docs/science/worked_example.py

The gallery: a heated, not humidity-controlled, top-lit room in a temperate climate, logged
every 15 minutes. Winter is warm and dry (heating), summer is cooler-than-outside but damp; a
leaking roof light makes one week in August very damp at the wall; the logger was off for
five days in March; lights are on 10:00–18:00 at about 120 lx, with sun patches in summer.
"""

from __future__ import annotations

import numpy as np

from taihe.modules.conservation import science as s

STEP = np.timedelta64(15, "m")
START = np.datetime64("2025-01-01T00:00")


def synthetic_gallery(seed: int = 2025) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    n = 365 * 96
    times = START + np.arange(n) * STEP
    day = np.arange(n) / 96.0
    hour = (day % 1.0) * 24.0
    summer = np.sin(2 * np.pi * (day - 105) / 365.25)  # +1 mid-July, −1 mid-January
    t = 19.5 + 3.0 * summer + 0.8 * np.sin(2 * np.pi * (hour - 9) / 24) + rng.normal(0, 0.3, n)
    rh = 48.0 + 9.0 * summer - 2.5 * np.sin(2 * np.pi * (hour - 9) / 24)
    rh += rng.normal(0, 1.5, n)
    leak = (day >= 220) & (day < 227)  # a leaking roof light in August
    rh[leak] = 93.0 + rng.normal(0, 2.0, leak.sum())
    t[leak] -= 1.0
    rh = np.clip(rh, 0.0, 100.0)
    lights = (hour >= 10) & (hour < 18)
    lux = np.where(lights, 120.0 + 60.0 * np.clip(summer, 0, None), 0.0)
    lux += np.where(lights, rng.uniform(0, 30, n), 0.0)
    keep = ~((day >= 70) & (day < 75))  # logger off for five days in March
    return times[keep], t[keep], rh[keep], lux[keep]


def main() -> None:
    times, t, rh, lux = synthetic_gallery()
    print(f"readings: {times.size}, from {times[0]} to {times[-1]}")
    print(f"coverage: {s.series_coverage(times):.4f}")
    print(f"T:  mean {t.mean():.2f} °C, min {t.min():.2f}, max {t.max():.2f}")
    print(f"RH: mean {rh.mean():.2f} %, min {rh.min():.2f}, max {rh.max():.2f}")

    print("\n# Point metrics at the annual mean and at the worst hour of the leak")
    worst = int(np.argmax(rh))
    for label, tc, h in [("annual mean", t.mean(), rh.mean()), ("leak peak", t[worst], rh[worst])]:
        print(
            f"{label:12} T={tc:5.2f} RH={h:5.1f}: dew point {s.dew_point(tc, h):6.2f} °C, "
            f"AH {s.absolute_humidity(tc, h):5.2f} g/m³, x {s.mixing_ratio(tc, h):5.2f} g/kg, "
            f"EMC {s.emc_wood(tc, h):5.2f} %, PI {s.preservation_index(tc, h):6.1f} y, "
            f"LM {s.lifetime_multiplier(tc, h):4.2f}"
        )

    print("\n# Natural ageing")
    month = (times - START).astype("timedelta64[D]").astype(int) // 30.44
    print(f"TWPI (approx.) for the year: {s.twpi(times, t, rh):.1f} years")
    for m in (0, 6):
        sel = month == m
        print(f"  TWPI month {m + 1:2d}: {s.twpi(times[sel], t[sel], rh[sel]):.1f} years")
    # Readings are evenly spaced apart from the gap, so a plain mean of the rate is the
    # duration-weighted one here (conservation.md §6.2: average 1/LM, then invert).
    rate = 1.0 / np.asarray(s.lifetime_multiplier(t, rh))
    print(f"  effective lifetime multiplier vs 20 °C/50 %: {1.0 / rate.mean():.2f}")

    print("\n# Mould")
    m = s.vtt_mould_index(times, t, rh)
    i = int(np.argmax(m))
    print(f"max VTT mould index (very sensitive): {m.max():.3f} at {times[i]}")
    print(f"mould index at the end of the year: {m[-1]:.3f}")
    for cls in ("sensitive", "medium_resistant"):
        print(f"  max M, {cls}: {s.vtt_mould_index(times, t, rh, sensitivity=cls).max():.3f}")
    print(f"critical RH at 18 °C: {s.vtt_rh_critical(18.0):.2f} %")

    print("\n# ASHRAE classes (annual reference = the year's mean)")
    for cls in ("AA", "As", "A", "B", "C", "D"):
        r = s.ashrae_compliance(times, t, rh, cls)
        print(
            f"{cls:2}: in class {r.fraction_in_class:.3f} | RH short {r.rh_short_fraction:.3f} "
            f"T short {r.t_short_fraction:.3f} RH season {r.rh_seasonal_fraction:.3f} "
            f"T season {r.t_seasonal_fraction:.3f} | coverage {r.coverage:.3f}"
        )
    env = s.ashrae_envelope("A", float(t.mean()), float(rh.mean()))
    print(
        f"class A envelope: RH {env.rh_min:.1f}–{env.rh_max:.1f} %, "
        f"T {env.t_min_c:.1f}–{env.t_max_c:.1f} °C"
    )

    print("\n# EN 15757")
    band = s.en15757_band(times, rh)
    print(
        f"P7 {band.p7:.2f}, P93 {band.p93:.2f} -> offsets {band.lower_offset:.2f} / "
        f"+{band.upper_offset:.2f} % RH"
    )
    print(
        f"band defined for {np.mean(~np.isnan(band.moving_average)):.3f} of readings; "
        f"inside the band {band.fraction_within:.3f} of that time"
    )
    sel = month == 0
    print(f"January band: {np.nanmin(band.lower[sel]):.1f}–{np.nanmax(band.upper[sel]):.1f} %")
    sel = month == 6
    print(f"July band:    {np.nanmin(band.lower[sel]):.1f}–{np.nanmax(band.upper[sel]):.1f} %")

    print("\n# Light")
    dose = s.light_exposure(times, lux)
    covered_days = times.size * 15 / 1440  # each reading stands for 15 minutes
    annual = dose * 365.0 / covered_days
    print(f"exposure logged: {dose:,.0f} lx·h; annualised: {annual:,.0f} lx·h/yr")
    print(f"max illuminance {lux.max():.0f} lx")
    for bw in (1, 3, 5, 7):
        cat = s.cie157_category(bw)
        print(
            f"BW{bw} ({cat.name}, limit {cat.max_annual_exposure_lux_hours:,.0f} lx·h/yr, "
            f"{cat.max_illuminance_lux:.0f} lx): "
            f"{s.years_to_just_noticeable_fade(annual, bw):.1f} years to one JNF"
        )

    print("\n# IPI-style ratings")
    ratings = s.ipi_ratings(times, t, rh)
    for name in ("natural_ageing", "mechanical", "metal_corrosion", "mould"):
        r = getattr(ratings, name)
        extra = ", ".join(f"{k} {v:.2f}" for k, v in r.numbers.items())
        print(
            f"{name:16} {r.rating:5} value {r.value:.2f} {r.unit}"
            + (f" ({extra})" if extra else "")
        )


if __name__ == "__main__":
    main()
