"""Where the training data comes from: the shared kline files, run through
`cockpit features`. Features are never computed in Python: the cockpit's own
export is the single definition, so the model sees live what it saw in training.
"""

import hashlib
import os
import subprocess
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

# The cockpit's FEATURE_VERSION and its feature columns, in export order. A model
# trained on other columns would be refused (or, worse, fed the wrong values) live,
# so a mismatch with the export header stops the pipeline.
FEATURE_VERSION = 1
FEATURE_NAMES = [
    "ret_1", "ret_4", "ret_12", "ret_24", "rvol", "rsi", "adx", "di_spread",
    "atr_pct", "macd_hist_pct", "bb_pctb", "bb_width", "obv_slope",
    "dist_ema_fast", "dist_ema_mid", "dist_ema_slow",
    "tod_sin", "tod_cos", "dow_sin", "dow_cos",
]
# Columns of the export before the features.
LEADING_COLUMNS = [
    "open_time_ms", "open", "high", "low", "close", "volume",
    "signal", "entry", "stop", "take_profit",
]
INTERVAL = "1h"
INTERVAL_MS = 3_600_000

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_KLINES = [
    "klines/BTCUSDT-1h-umfutures.csv",
    "klines/ETHUSDT-1h-umfutures.csv",
]


class PipelineError(Exception):
    """A problem the user can fix; main prints it as one line and exits non-zero."""


@dataclass
class KlineSource:
    path: Path          # absolute
    rel: str            # relative to the shared data dir, as the manifest records it
    sha256: str


def shared_data_dir() -> Path:
    """$COCKPIT_SHARED_DATA, else ../shared/data from the repo root."""
    env = os.environ.get("COCKPIT_SHARED_DATA")
    path = Path(env) if env else REPO_ROOT.parent / "shared" / "data"
    if not path.is_dir():
        how = "fix COCKPIT_SHARED_DATA" if env else "set COCKPIT_SHARED_DATA to the folder that holds klines/"
        raise PipelineError(f"shared data folder {path} not found: {how}")
    return path.resolve()


def cockpit_binary(arg: str | None) -> Path:
    """--cockpit, else $COCKPIT_BIN, else target/release/cockpit in the repo."""
    given = arg or os.environ.get("COCKPIT_BIN")
    path = Path(given).resolve() if given else REPO_ROOT / "target" / "release" / "cockpit"
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise PipelineError(
            f"cockpit binary {path} not found or not executable: "
            "build it (cargo build --release) or pass --cockpit PATH / set COCKPIT_BIN")
    return path


def kline_source(name: str, shared: Path) -> KlineSource:
    """A --data argument: a path, or a name relative to the shared data dir."""
    path = Path(name)
    if not path.is_absolute() and not path.exists():
        path = shared / name
    path = path.resolve()
    if not path.is_file():
        raise PipelineError(f"kline file {name} not found (looked in . and {shared})")
    try:
        rel = path.relative_to(shared).as_posix()
    except ValueError:
        raise PipelineError(
            f"kline file {path} is not under the shared data folder {shared}: "
            "the manifest records training files relative to it") from None
    return KlineSource(path=path, rel=rel, sha256=file_sha256(path))


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def export_features(binary: Path, source: Path, work_dir: Path) -> Path:
    """Runs `cockpit features` on one kline file, into work_dir (never the repo)."""
    out = work_dir / (source.stem + ".features.csv")
    # Built-in defaults only: an empty config file and no COCKPIT_* overrides, so a
    # user's ~/.config/cockpit or trading environment cannot change the proposals.
    config = work_dir / "defaults.toml"
    config.write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith("COCKPIT_")}
    cmd = [str(binary), "features", "--config", str(config), "--data", str(source), "--out", str(out)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise PipelineError(f"`{' '.join(cmd)}` failed ({done.returncode}): {done.stderr.strip()}")
    return out


def load_export(path: Path, source: Path) -> pd.DataFrame:
    """Reads the export of `source` and checks its columns are the ones this pipeline knows."""
    df = pd.read_csv(path, dtype="float64")
    columns = list(df.columns)
    if columns[: len(LEADING_COLUMNS)] != LEADING_COLUMNS:
        raise PipelineError(f"{source}: unexpected leading columns {columns[:len(LEADING_COLUMNS)]}")
    features = columns[len(LEADING_COLUMNS):]
    if features != FEATURE_NAMES:
        raise PipelineError(
            f"{source}: the cockpit exports features {features}, this pipeline expects "
            f"{FEATURE_NAMES} (FEATURE_VERSION {FEATURE_VERSION}): update training/cockpit_data.py "
            "together with the cockpit's FEATURE_VERSION")
    df["open_time_ms"] = df["open_time_ms"].astype("int64")
    df["signal"] = df["signal"].astype("int64")
    steps = np.diff(df["open_time_ms"].to_numpy())
    if len(steps) and np.median(steps) != INTERVAL_MS:
        raise PipelineError(f"{source}: candles are {np.median(steps) / 1000:.0f} s apart; this pipeline trains {INTERVAL} models")
    if (steps <= 0).any():
        raise PipelineError(f"{source}: open times are not strictly increasing")
    if (steps != INTERVAL_MS).any():
        # Labels count bars: across a gap "48 bars" would not be 48 hours.
        raise PipelineError(f"{source}: {(steps != INTERVAL_MS).sum()} gaps between candles; "
                            "the label needs gap-free data: pass a gap-free file")
    return df


def utc_iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_dates(ms: np.ndarray) -> np.ndarray:
    """Open times (ms) as numpy datetime64[D] UTC dates, for the date splits."""
    return np.asarray(ms, dtype="int64").astype("datetime64[ms]").astype("datetime64[D]")
