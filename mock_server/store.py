"""The records, kept as pre-serialised JSON in one buffer with integer indexes.

Why this layout: a million records as Python dicts would cost gigabytes; as one ``bytearray``
(each record followed by a comma) plus ``array`` offsets they cost their JSON size plus a few
bytes each. A filtered lookup touches only the matching records (the per-course and
per-learner posting lists), and the unfiltered list is the buffer itself, streamed in chunks.
Forked workers share the buffer's pages: reference counting never writes to them.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator

CHUNK_BYTES = 256 * 1024
"""Size of the pieces the unfiltered list is streamed in."""


class StoreBuilder:
    """Appends records one by one; :meth:`build` freezes them into a :class:`RecordStore`."""

    def __init__(self) -> None:
        self._blob = bytearray()
        self._offsets = array("Q", [0])
        self._course_of = array("I")
        self._courses: dict[str, int] = {}
        self._learners: dict[str, int] = {}
        self._by_course: list[array[int]] = []
        self._by_learner: list[array[int]] = []

    def course(self, course_id: str) -> int:
        """The ordinal of ``course_id``, registering it on first sight."""
        return _ordinal(self._courses, self._by_course, course_id)

    def learner(self, username: str) -> int:
        """The ordinal of ``username``, registering it on first sight."""
        return _ordinal(self._learners, self._by_learner, username)

    def add(self, learner: int, course: int, record_json: bytes) -> None:
        """Append one record (its JSON object) for ordinals from :meth:`learner`/:meth:`course`."""
        index = len(self._course_of)
        self._blob += record_json
        self._blob += b","
        self._offsets.append(len(self._blob))
        self._course_of.append(course)
        self._by_course[course].append(index)
        self._by_learner[learner].append(index)

    def pair_taken(self, username: str, course_id: str) -> bool:
        """Whether a record of this learner in this course was already added."""
        learner, course = self._learners.get(username), self._courses.get(course_id)
        if learner is None or course is None:
            return False
        return any(self._course_of[i] == course for i in self._by_learner[learner])

    def build(self) -> RecordStore:
        return RecordStore(self)


class RecordStore:
    """Read-only access to the records: filtered look-ups and the streamed full list."""

    def __init__(self, builder: StoreBuilder) -> None:
        self._blob = builder._blob
        self._view = memoryview(self._blob)
        """Slices of a view copy nothing; holding it also keeps the buffer from being resized."""
        self._offsets = builder._offsets
        self._course_of = builder._course_of
        self._courses = builder._courses
        self._learners = builder._learners
        self._by_course = builder._by_course
        self._by_learner = builder._by_learner

    def __len__(self) -> int:
        return len(self._course_of)

    def record(self, index: int) -> bytes:
        """The JSON object of record ``index``."""
        return bytes(self._blob[self._offsets[index] : self._offsets[index + 1] - 1])

    def matching(self, course_id: str | None, username: str | None) -> list[int]:
        """Indexes of the records matching both filters (``None``: no filter), in load order."""
        course = None if course_id is None else self._courses.get(course_id, -1)
        learner = None if username is None else self._learners.get(username, -1)
        if course == -1 or learner == -1:
            return []
        if learner is not None:
            found = self._by_learner[learner]
            return [i for i in found if course is None or self._course_of[i] == course]
        if course is not None:
            return list(self._by_course[course])
        return list(range(len(self)))

    def render(self, indexes: list[int]) -> bytes:
        """A JSON array of the given records (cost grows with the result only).

        Joins views of the buffer, so each record is copied once, into the answer: slicing
        the ``bytearray`` and converting to ``bytes`` copied it twice and took twice as long
        at 1M records (``docs/benchmarks.md``)."""
        view, offsets = self._view, self._offsets
        return b"[" + b",".join([view[offsets[i] : offsets[i + 1] - 1] for i in indexes]) + b"]"

    def dump_length(self) -> int:
        """Byte length of :meth:`dump` (for ``Content-Length``)."""
        return len(self._blob) + 1 if len(self) else 2

    def dump(self) -> Iterator[bytes]:
        """The whole list as a JSON array, in chunks: never one big string in memory."""
        if not len(self):
            yield b"[]"
            return
        view = self._view
        end = len(self._blob) - 1  # the trailing comma
        yield b"["
        for start in range(0, end, CHUNK_BYTES):
            yield bytes(view[start : min(start + CHUNK_BYTES, end)])
        yield b"]"


def _ordinal(ordinals: dict[str, int], index: list[array[int]], key: str) -> int:
    """The ordinal of ``key`` in ``ordinals``, adding it (and its empty index row) if new."""
    ordinal = ordinals.get(key)
    if ordinal is None:
        ordinal = ordinals[key] = len(index)
        index.append(array("I"))
    return ordinal
