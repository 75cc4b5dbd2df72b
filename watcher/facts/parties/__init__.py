"""The party family: named third parties (processors, service providers, recipients,
representatives, group companies) and their findings.

- `extraction.py`: the facts of one version (tables, the owner, memoized blocks of prose);
- `prose.py`: the parties one block of prose names (legal forms, lists, labels, cues);
- `comparison.py`: party_added / party_removed / party_renamed between two versions;
- `names.py`: normalization into keys and the gazetteer of known companies;
- `forms.py`: names found by their form (legal forms, example lists), with the vocabulary of
  `watcher/data/parties_lexicon.json` (per language).
"""

from __future__ import annotations

from watcher.facts.parties.comparison import KINDS, compare, diff_parties, named_in
from watcher.facts.parties.extraction import extract
from watcher.facts.parties.forms import legal_names, listed_names
from watcher.facts.parties.names import gazetteer, normalize_name, strip_suffix

# compare() also reads the changed text (diff-aware names): asked even without party facts
TEXT_AWARE = True

__all__ = [
    "KINDS",
    "TEXT_AWARE",
    "compare",
    "diff_parties",
    "extract",
    "gazetteer",
    "legal_names",
    "listed_names",
    "named_in",
    "normalize_name",
    "strip_suffix",
]
