"""Public labelled sets in `../shared/data/` (read by path, never copied), mapped onto our heads.

Each row becomes a `PublicRow`: the text and, per head, 1 / 0 or absent when the set's labels
say nothing about that head. The mapping (also written into the model card):

- Davidson (MIT; ships): hate → offensive, identity_attack; offensive → offensive, profanity;
  neither → 0 on every head.
- OLID (no licence stated; `--data olid`): OFF → offensive; UNT (untargeted) → profanity, and
  not insult; TIN (targeted insult or threat) → insult; NOT → 0 on every head.
- HASOC 2019 (research release; `--data hasoc`): HOF → offensive; PRFN → profanity; OFFN →
  insult; HATE → identity_attack; NOT → 0 on every head.
- Test sets (evaluation only): OLID level A test, HASOC 2019 test task 1, ETHOS binary
  (isHate ≥ 0.5, GPL-3.0): binary offensive / not.

Severity heads and `threat` / `unrealistic_demand` learn from our corpus only (no public set
says whether abuse targets support staff). Training sets are cut 85 / 15 by a hash of the row
id; the 15 % dev part chooses public thresholds and is never trained on.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from classifiers.corpus import Split
from config.settings import PROJECT_ROOT

DEFAULT_PUBLIC_DIR = PROJECT_ROOT.parent / "shared" / "data"
TRAIN_SETS = ("davidson", "olid", "hasoc")
SHIPPABLE = frozenset({"davidson"})
TEST_SETS = ("olid_test", "hasoc_test", "ethos")
LICENCES = {
    "davidson": "MIT (Davidson et al., ICWSM 2017)",
    "olid": "no licence stated (Zampieri et al., NAACL 2019)",
    "hasoc": "research release, FIRE 2019 (Mandl et al. 2019)",
    "ethos": "GPL-3.0 (Mollas et al. 2020); evaluation only",
}
MAPPING = {
    "davidson": {
        "hate": "offensive, identity_attack",
        "offensive": "offensive, profanity",
        "neither": "0 on every head",
    },
    "olid": {
        "OFF": "offensive",
        "OFF/UNT": "profanity (insult 0)",
        "OFF/TIN": "insult",
        "NOT": "0 on every head",
    },
    "hasoc": {
        "HOF": "offensive",
        "HOF/PRFN": "profanity",
        "HOF/OFFN": "insult",
        "HOF/HATE": "identity_attack",
        "NOT": "0 on every head",
    },
    "olid_test / hasoc_test / ethos": {"binary": "offensive head (isHate >= 0.5 for ETHOS)"},
}
_ALL_HEADS = (
    "profanity",
    "insult",
    "threat",
    "identity_attack",
    "unrealistic_demand",
    "offensive",
)
csv.field_size_limit(10_000_000)


class PublicDataError(FileNotFoundError):
    """A public set is not where it was looked for."""


@dataclass(frozen=True, slots=True)
class PublicRow:
    id: str
    text: str
    labels: dict[str, int]  # head → 0/1, only heads the source speaks about
    source: str

    @property
    def split(self) -> Split:
        bucket = int.from_bytes(hashlib.sha256(self.id.encode()).digest()[:4], "big") % 100
        return "dev" if bucket >= 85 else "train"


def _negative() -> dict[str, int]:
    return dict.fromkeys(_ALL_HEADS, 0)


def _davidson(root: Path) -> Iterator[PublicRow]:
    with _open(root / "davidson" / "labeled_data.csv") as handle:
        for row in csv.DictReader(handle):
            kind = int(row["class"])
            if kind == 2:
                labels = _negative()
            elif kind == 1:
                labels = {"offensive": 1, "profanity": 1}
            else:
                labels = {"offensive": 1, "identity_attack": 1}
            yield PublicRow(f"davidson:{row['']}", row["tweet"], labels, "davidson")


def _olid(root: Path) -> Iterator[PublicRow]:
    with _open(root / "olid" / "olid-training-v1.0.tsv") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            if row["subtask_a"] == "NOT":
                labels = _negative()
            elif row["subtask_b"] == "UNT":
                labels = {"offensive": 1, "profanity": 1, "insult": 0}
            else:
                labels = {"offensive": 1, "insult": 1}
            yield PublicRow(f"olid:{row['id']}", row["tweet"], labels, "olid")


def _hasoc(root: Path) -> Iterator[PublicRow]:
    with _open(root / "hasoc2019" / "english_dataset.tsv") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            if row["task_1"] == "NOT":
                labels = _negative()
            else:
                head = {"PRFN": "profanity", "OFFN": "insult", "HATE": "identity_attack"}
                labels = {"offensive": 1, head[row["task_2"]]: 1}
            yield PublicRow(f"hasoc:{row['text_id']}", row["text"], labels, "hasoc")


TRAIN_READERS: dict[str, Callable[[Path], Iterator[PublicRow]]] = {
    "davidson": _davidson,
    "olid": _olid,
    "hasoc": _hasoc,
}


def training_rows(name: str, root: Path = DEFAULT_PUBLIC_DIR) -> list[PublicRow]:
    if name not in TRAIN_READERS:
        raise PublicDataError(f"unknown public set {name!r}; known: {', '.join(TRAIN_SETS)}")
    return list(TRAIN_READERS[name](root))


def test_rows(name: str, root: Path = DEFAULT_PUBLIC_DIR) -> list[tuple[str, int]]:
    """(text, 1 offensive / 0 not) of a public test set."""
    if name == "olid_test":
        with _open(root / "olid" / "labels-levela.csv") as handle:
            gold = {row["id"]: int(row["label"] == "OFF") for row in csv.DictReader(handle)}
        with _open(root / "olid" / "testset-levela.tsv") as handle:
            reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
            return [(row["tweet"], gold[row["id"]]) for row in reader]
    if name == "hasoc_test":
        with _open(root / "hasoc2019" / "hasoc2019_en_test-2919.tsv") as handle:
            reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
            return [(row["text"], int(row["task_1"] == "HOF")) for row in reader]
    if name == "ethos":
        with _open(root / "ethos" / "Ethos_Dataset_Binary.csv") as handle:
            reader = csv.DictReader(handle, delimiter=";")
            return [(row["comment"], int(float(row["isHate"]) >= 0.5)) for row in reader]
    raise PublicDataError(f"unknown test set {name!r}; known: {', '.join(TEST_SETS)}")


def source_files(name: str, root: Path = DEFAULT_PUBLIC_DIR) -> list[Path]:
    folder = {
        "davidson": ["davidson/labeled_data.csv"],
        "olid": ["olid/olid-training-v1.0.tsv"],
        "hasoc": ["hasoc2019/english_dataset.tsv"],
        "olid_test": ["olid/testset-levela.tsv", "olid/labels-levela.csv"],
        "hasoc_test": ["hasoc2019/hasoc2019_en_test-2919.tsv"],
        "ethos": ["ethos/Ethos_Dataset_Binary.csv"],
    }[name]
    return [root / f for f in folder]


def _open(path: Path):  # type: ignore[no-untyped-def]
    if not path.exists():
        raise PublicDataError(
            f"{path} not found: public data is read from ../shared/data by default; "
            "pass --public-dir to point elsewhere"
        )
    return path.open(encoding="utf-8", newline="")
